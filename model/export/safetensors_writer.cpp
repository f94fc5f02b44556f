#include "model/export/export_job.h"
#include "model/export/made_tensor_bytes.h"
#include "model/export/planned_output.h"
#include "model/export/temp_file.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>

// safetensors written from the plan, in shards when asked, each read back and checked.
namespace ckpt::exporting {
namespace {

namespace fs = std::filesystem;

/// One safetensors file of `outs` into a temporary file, verified; returns it uncommitted.
std::unique_ptr<TempFile> writeSafetensorsFile(const Checkpoint &c, const Prepared &p, const SourceReader &src,
                                               const std::vector<PlannedOut> &outs, const nlohmann::ordered_json &meta,
                                               const std::string &destination, Progress &progress, ExportReport &report)
{
    using json = nlohmann::ordered_json;
    json header;
    header["__metadata__"] = meta;
    uint64_t offset = 0;
    for (const PlannedOut &out : outs) {
        const uint64_t n = out.nbytes();
        header[out.name] = {{"dtype", std::string(safetensorsCode(out.dtype))},
                            {"shape", out.shape},
                            {"data_offsets", {offset, offset + n}}};
        offset += n;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    auto temp = std::make_unique<TempFile>(destination);
    const uint64_t headerSize = text.size();
    auto put = [&](const void *data, size_t size) {
        if (size && std::fwrite(data, 1, size, temp->file()) != size)
            throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    };
    temp->reserve(8 + headerSize + offset);
    put(&headerSize, 8);
    put(text.data(), text.size());
    std::vector<uint32_t> crcs;
    MadeTensorBytes added(c, p);
    for (const PlannedOut &out : outs) crcs.push_back(writePlannedBytes(c, p, src, added, out, put, report, progress));
    temp->close();
    auto back = Checkpoint::open(temp->path());
    if (!back) throw std::runtime_error("the written file does not read back: " + back.error().message);
    std::map<std::string, const StorageInfo *> written;
    for (const auto &s : (*back)->storages()) written.emplace(s.key, &s);
    for (size_t k = 0; k < outs.size(); ++k) {
        const auto it = written.find(outs[k].name);
        if (it == written.end()) throw std::runtime_error("verification: " + outs[k].name + " is missing");
        if (it->second->dtype != outs[k].dtype ||
            crcOfFile(temp->path(), it->second->byteOffset, it->second->byteLength) != crcs[k])
            throw std::runtime_error("verification: " + outs[k].name + " differs from the source");
    }
    return temp;
}

} // namespace

ExportReport writeSafetensors(const Checkpoint &c, const Prepared &p, const ExportOptions &o, Progress &progress)
{
    using json = nlohmann::ordered_json;
    if (p.inputs.empty()) throw std::runtime_error("safetensors holds a dict of tensors; this file has none");
    ExportReport report;
    std::vector<PlannedOut> outs = plannedOutputs(c, p, o, report, [](DType d) { return !safetensorsCode(d).empty(); }, "safetensors");
    // The reference writer's order: larger elements first, then by name.
    std::stable_sort(outs.begin(), outs.end(), [](const PlannedOut &a, const PlannedOut &b) {
        const int ia = dtypeBits(a.dtype), ib = dtypeBits(b.dtype);
        return ia != ib ? ia > ib : a.name < b.name;
    });
    json meta = {{"format", "pt"}, {"producer", "Checkpoint Studio"}};
    if (!o.configName.empty()) meta["config"] = o.configName;
    if (!report.aliases.empty()) {
        json aliases = json::object();
        for (const auto &a : report.aliases) aliases[a.substr(0, a.find('='))] = a.substr(a.find('=') + 1);
        meta["aliases"] = aliases.dump();
    }
    uint64_t total = 0;
    for (const auto &out : outs) total += out.nbytes();
    progress.total = std::max<uint64_t>(total, 1);
    const SourceReader src(c);
    if (o.shardSize == 0) {
        auto temp = writeSafetensorsFile(c, p, src, outs, meta, o.output, progress, report);
        temp->commit(o.output);
        report.files.push_back(o.output);
        report.tensors = outs.size();
        return report;
    }
    // Shards of at most shardSize bytes (a larger tensor gets one of its own), then the index.
    std::vector<std::vector<PlannedOut>> shards(1);
    uint64_t inShard = 0;
    for (const auto &out : outs) {
        if (!shards.back().empty() && inShard + out.nbytes() > o.shardSize) {
            shards.emplace_back();
            inShard = 0;
        }
        shards.back().push_back(out);
        inShard += out.nbytes();
    }
    const fs::path target(o.output);
    std::string stem = target.filename().string();
    if (stem.ends_with(".safetensors")) stem.resize(stem.size() - 12);
    std::vector<std::unique_ptr<TempFile>> temps;
    std::vector<std::string> names;
    json weightMap = json::object();
    for (size_t k = 0; k < shards.size(); ++k) {
        char name[64];
        std::snprintf(name, sizeof name, "-%05zu-of-%05zu.safetensors", k + 1, shards.size());
        names.push_back(stem + name);
        const std::string path = (target.parent_path() / names.back()).string();
        temps.push_back(writeSafetensorsFile(c, p, src, shards[k], meta, path, progress, report));
        for (const auto &out : shards[k]) weightMap[out.name] = names.back();
    }
    json index = {{"metadata", {{"total_size", total}, {"producer", "Checkpoint Studio"}}}, {"weight_map", weightMap}};
    const std::string indexPath = (target.parent_path() / (stem + ".safetensors.index.json")).string();
    TempFile indexFile(indexPath);
    const std::string text = index.dump(2) + "\n";
    if (std::fwrite(text.data(), 1, text.size(), indexFile.file()) != text.size())
        throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    indexFile.close();
    for (size_t k = 0; k < temps.size(); ++k) {
        const std::string path = (target.parent_path() / names[k]).string();
        temps[k]->commit(path);
        report.files.push_back(path);
    }
    indexFile.commit(indexPath); // last: a reader never sees an index before its shards
    report.files.push_back(indexPath);
    report.tensors = outs.size();
    return report;
}

} // namespace ckpt::exporting
