#include "json_report.h"

#include "checkpoint_summary.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace ckpt {
namespace {

using json = nlohmann::ordered_json;

json pathJson(const Path &path)
{
    json out = json::array();
    for (const auto &e : path) {
        if (const auto *s = std::get_if<std::string>(&e)) out.push_back(*s);
        else out.push_back(std::get<int64_t>(e));
    }
    return out;
}

std::string dump(const json &j)
{
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string storageId(const Checkpoint &c, const StorageInfo &s)
{
    if (c.files().size() <= 1) return s.key;
    return std::filesystem::path(c.files()[size_t(s.file)].path).filename().string() + ":" + s.key;
}

json tensorJson(const Checkpoint &c, size_t entryIndex, const std::vector<int> &viewers)
{
    const TensorEntry &e = c.entries()[entryIndex];
    const TensorInfo &t = c.tensors()[size_t(e.tensor)];
    json j;
    j["path"] = pathJson(e.path);
    j["name"] = pathToString(e.path);
    j["dtype"] = dtypeName(t.dtype);
    j["shape"] = t.shape;
    j["strides"] = t.strides;
    j["numel"] = t.numel();
    j["nbytes"] = t.nbytes();
    j["requires_grad"] = t.requiresGrad;
    j["parameter"] = t.parameter;
    if (t.storage < 0) {
        j["storage"] = nullptr;
        j["offset"] = 0;
        return j;
    }
    const StorageInfo &s = c.storages()[size_t(t.storage)];
    j["storage"] = storageId(c, s);
    j["offset"] = t.storageOffset;
    j["storage_nbytes"] = s.byteLength;
    j["byte_offset"] = s.byteOffset + uint64_t(t.storageOffset) * uint64_t(dtypeBits(t.dtype)) / 8;
    if (c.files().size() > 1) j["file"] = c.files()[size_t(s.file)].path;
    if (!s.record.empty()) j["record"] = s.record;
    j["device"] = s.location;
    j["shares_storage"] = viewers[size_t(t.storage)] > 1;
    return j;
}

json verdictJson(const WeightsOnlyVerdict &v)
{
    json j;
    j["applicable"] = v.applicable;
    j["ok"] = v.applicable && v.ok;
    j["blockers"] = v.blockers;
    return j;
}

} // namespace

std::string inspectJson(const Checkpoint &c, const std::string &path)
{
    const CheckpointSummary s = summarize(c);
    // Storage sharing counts distinct tensor objects, not places they sit.
    std::vector<int> viewers(c.storages().size(), 0);
    {
        std::vector<bool> seen(c.tensors().size(), false);
        for (const auto &e : c.entries()) {
            const auto &t = c.tensors()[size_t(e.tensor)];
            if (seen[size_t(e.tensor)] || t.storage < 0) continue;
            seen[size_t(e.tensor)] = true;
            ++viewers[size_t(t.storage)];
        }
    }
    json j;
    j["file"] = path;
    j["format"] = s.format;
    j["file_size"] = s.fileSize;
    if (c.archiveVersion()) j["archive_version"] = c.archiveVersion();
    j["tensor_count"] = s.tensorCount;
    j["parameters"] = s.parameters;
    j["nbytes"] = s.tensorBytes;
    j["storage_nbytes"] = s.storageBytes;
    j["bytes_by_dtype"] = s.bytesByDtype;
    json candidates = json::array();
    for (const auto &w : c.weightsCandidates())
        candidates.push_back({{"path", pathJson(w.path)}, {"tensors", w.tensors},
                              {"parameters", w.parameters}, {"nbytes", w.bytes}});
    j["weights_candidates"] = candidates;
    if (c.files().size() > 1) {
        json files = json::array();
        for (const auto &f : c.files()) files.push_back({{"path", f.path}, {"size", f.size}});
        j["files"] = files;
    }
    j["metadata"] = c.metadata();
    j["warnings"] = c.warnings();
    j["dangerous"] = c.safety().dangerous;
    json tensors = json::array();
    for (size_t i = 0; i < c.entries().size(); ++i) tensors.push_back(tensorJson(c, i, viewers));
    j["tensors"] = std::move(tensors);
    return dump(j);
}

std::string scanJson(const Checkpoint &c, const std::string &path)
{
    const SafetyReport &r = c.safety();
    json j;
    j["file"] = path;
    j["format"] = formatName(c.format());
    j["dangerous"] = r.dangerous;
    json globals = json::array();
    for (const auto &g : r.globals)
        globals.push_back({{"module", g.module}, {"name", g.name},
                           {"category", categoryName(g.category)}, {"reason", g.reason},
                           {"count", g.count}, {"file", g.file}, {"offset", g.firstOffset}});
    j["globals"] = globals;
    j["weights_only"] = {{"torch_1_13", verdictJson(r.torch113)},
                         {"torch_2_6", verdictJson(r.torch2)}};
    return dump(j);
}

std::string jsonArray(const std::vector<std::string> &objects)
{
    std::string out = "[";
    for (size_t i = 0; i < objects.size(); ++i) {
        if (i) out += ",\n";
        out += objects[i];
    }
    return out + "]";
}

} // namespace ckpt
