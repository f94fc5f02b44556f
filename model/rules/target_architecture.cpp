#include "model/rules/target_architecture.h"

#include "model/compute/compute_backend.h"
#include "model/base/format_error.h"
#include "model/base/helper_process.h"
#include "model/remote/location.h"
#include "model/rules/rule_engine.h"
#include "model/formats/zip_directory.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <unordered_map>

namespace ckpt {
namespace {

using json = nlohmann::ordered_json;

std::string joinPath(const Path &path)
{
    std::string out;
    for (const auto &e : path) {
        if (!out.empty()) out += '.';
        out += pathElementText(e);
    }
    return out;
}

/// TorchScript runs a class's __setstate__ while loading: refuse archives that define one.
Result<bool> checkScriptCode(const std::string &path)
{
    auto opened = openLocation(path);
    if (!opened) return opened.error();
    try {
        const ByteSource &source = **opened;
        const ZipDirectory dir = ZipDirectory::parse(source);
        for (const auto &e : dir.entries()) {
            if (e.name.find("/code/") == std::string_view::npos || !e.name.ends_with(".py")) continue;
            if (e.size > (uint64_t(64) << 20)) return Error{"its TorchScript code record " + std::string(e.name) + " is implausibly large"};
            std::vector<uint8_t> inflated;
            if (e.method != 0) inflated = inflateRecord(source, e);
            const ByteView bytes = e.method != 0 ? ByteView(inflated) : source.view(e.dataOffset, e.size);
            const std::string_view text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
            if (text.find("__setstate__") != std::string_view::npos)
                return Error{"it defines __setstate__ code (" + std::string(e.name) +
                             ") that loading would run; give a JSON manifest of it instead"};
        }
    } catch (const FormatError &e) {
        return Error{e.what()};
    }
    return true;
}

Result<TargetArchitecture> fromScript(const std::string &path, std::shared_ptr<const Checkpoint> file)
{
    if (auto safe = checkScriptCode(path); !safe) return safe.error();
#ifdef CKPT_SCRIPT_READER
    const std::string helper = findHelper("ckpt-script-reader", "CKPT_SCRIPT_READER", CKPT_SCRIPT_READER);
#else
    const std::string helper = findHelper("ckpt-script-reader", "CKPT_SCRIPT_READER", nullptr);
#endif
    if (helper.empty()) return Error{"the TorchScript reader (ckpt-script-reader) is not installed"};
    // The helper reads a path: an address is copied first (a TorchScript target is a model's
    // skeleton and its weights, at most 4 GiB here).
    auto local = LocalCopy::of(path, uint64_t(4) << 30);
    if (!local) return local.error();
    auto text = runHelper({helper, (*local)->path()}, 120);
    if (!text) return Error{"torch::jit::load: " + text.error().message};
    auto info = parseScriptModuleJson(*text);
    if (!info) return Error{"torch::jit::load: " + info.error().message};
    TargetArchitecture t;
    t.path = path;
    t.source = TargetArchitecture::Source::TorchScript;
    t.modules = info->modules;
    // Values come from our own reading of the archive: the object tree's attribute paths are
    // the parameter names.
    std::unordered_map<std::string, int> byPath;
    for (size_t i = 0; i < file->entries().size(); ++i) byPath.emplace(joinPath(file->entries()[i].path), int(i));
    for (const auto &s : info->tensors) {
        TargetTensor x{s.name, s.shape, s.dtype, s.parameter ? TargetTensor::Kind::Parameter : TargetTensor::Kind::Buffer,
                       s.moduleType, -1};
        if (const auto it = byPath.find(s.name); it != byPath.end()) {
            const TensorInfo &ti = file->tensors()[size_t(file->entries()[size_t(it->second)].tensor)];
            if (ti.shape == s.shape && ti.dtype == s.dtype) x.entry = it->second;
        }
        t.tensors.push_back(std::move(x));
    }
    t.values = std::move(file);
    return t;
}

Result<TargetArchitecture> fromManifest(const std::string &path, const std::string &text)
{
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception &e) {
        return Error{std::string("not valid JSON: ") + e.what()};
    }
    if (!j.is_object()) return Error{"a manifest is a JSON object {name: {\"shape\": [...], \"dtype\": \"...\"}}"};
    TargetArchitecture t;
    t.path = path;
    t.source = TargetArchitecture::Source::Manifest;
    for (const auto &[name, v] : j.items()) {
        const std::string where = "manifest entry '" + name + "'";
        if (!v.is_object() || !v.contains("shape") || !v["shape"].is_array())
            return Error{where + ": expected {\"shape\": [...], \"dtype\": \"...\"}"};
        TargetTensor x;
        x.name = name;
        for (const auto &d : v["shape"]) {
            if (!d.is_number_integer() || d.get<int64_t>() < 0) return Error{where + ": shape holds a non-size"};
            x.shape.push_back(d.get<int64_t>());
        }
        if (v.contains("dtype")) {
            if (!v["dtype"].is_string()) return Error{where + ": dtype is not a string"};
            std::string dtype = v["dtype"].get<std::string>();
            if (dtype.starts_with("torch.")) dtype = dtype.substr(6);
            const auto d = dtypeFromName(dtype);
            if (!d) return Error{where + ": unknown dtype '" + dtype + "'"};
            x.dtype = *d;
        }
        if (v.contains("kind") && v["kind"].is_string())
            x.kind = v["kind"] == "parameter" ? TargetTensor::Kind::Parameter
                     : v["kind"] == "buffer"  ? TargetTensor::Kind::Buffer
                                              : TargetTensor::Kind::Unknown;
        if (v.contains("module_type") && v["module_type"].is_string()) x.moduleType = v["module_type"].get<std::string>();
        t.tensors.push_back(std::move(x));
    }
    return t;
}

} // namespace

const TargetTensor *TargetArchitecture::find(const std::string &name) const
{
    const auto it = byName.find(name);
    return it == byName.end() ? nullptr : &tensors[it->second];
}

namespace {

Result<TargetArchitecture> readTarget(const std::string &path)
{
    // A JSON file that is not a shard index is a manifest.
    if (path.ends_with(".json")) {
        auto text = readLocationText(path, uint64_t(256) << 20);
        if (!text) return Error{"cannot be read: " + text.error().message};
        const std::string &s = *text;
        if (s.find("\"weight_map\"") == std::string::npos) return fromManifest(path, s);
    }
    auto file = Checkpoint::open(path);
    if (!file) return file.error();
    if ((*file)->format() == "torchscript") return fromScript(path, *file);
    auto inputs = planInputs(**file, std::nullopt);
    if (!inputs) return inputs.error();
    TargetArchitecture t;
    t.path = path;
    t.source = TargetArchitecture::Source::Checkpoint;
    for (const auto &in : *inputs) {
        const TensorInfo &ti = (*file)->tensors()[size_t((*file)->entries()[in.entry].tensor)];
        t.tensors.push_back({in.name, in.shape, in.dtype,
                             ti.parameter ? TargetTensor::Kind::Parameter : TargetTensor::Kind::Unknown, {},
                             ti.hasBytes() ? int(in.entry) : -1});
    }
    t.values = *file;
    return t;
}

} // namespace

Result<TargetArchitecture> loadTarget(const std::string &path)
{
    auto t = readTarget(path);
    if (!t) return t;
    for (size_t i = 0; i < t->tensors.size(); ++i)
        if (!t->byName.emplace(t->tensors[i].name, i).second)
            return Error{"it lists " + t->tensors[i].name + " twice"};
    return t;
}

Result<std::shared_ptr<const ModuleTypes>> moduleTypes(const std::string &path)
{
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const ModuleTypes>> cache;
    std::lock_guard lock(mutex);
    if (const auto it = cache.find(path); it != cache.end()) return it->second;
    auto target = loadTarget(path);
    if (!target) return target.error();
    auto types = std::make_shared<ModuleTypes>();
    for (const auto &[module, type] : target->modules) types->emplace(module, type);
    for (const auto &t : target->tensors) {
        if (t.moduleType.empty()) continue;
        types->emplace(moduleOfName(t.name), t.moduleType);
    }
    if (types->empty()) return Error{"it names no module classes (a TorchScript archive or a manifest with module_type does)"};
    cache.emplace(path, types);
    return std::shared_ptr<const ModuleTypes>(types);
}

std::string scriptModuleJson(const ScriptModuleInfo &info)
{
    json tensors = json::array(), modules = json::array();
    for (const auto &t : info.tensors)
        tensors.push_back({{"name", t.name}, {"shape", t.shape}, {"dtype", std::string(dtypeName(t.dtype))},
                           {"parameter", t.parameter}, {"module_type", t.moduleType}});
    for (const auto &[name, type] : info.modules) modules.push_back({name, type});
    return json{{"tensors", tensors}, {"modules", modules}}.dump();
}

Result<ScriptModuleInfo> parseScriptModuleJson(const std::string &text)
{
    try {
        const json j = json::parse(text);
        ScriptModuleInfo info;
        for (const auto &t : j.at("tensors")) {
            ScriptTensor s;
            s.name = t.at("name").get<std::string>();
            s.shape = t.at("shape").get<std::vector<int64_t>>();
            s.dtype = dtypeFromName(t.at("dtype").get<std::string>()).value_or(DType::Unknown);
            s.parameter = t.at("parameter").get<bool>();
            s.moduleType = t.at("module_type").get<std::string>();
            info.tensors.push_back(std::move(s));
        }
        for (const auto &m : j.at("modules")) info.modules.emplace_back(m.at(0).get<std::string>(), m.at(1).get<std::string>());
        return info;
    } catch (const json::exception &e) {
        return Error{std::string("the reader's answer is not readable: ") + e.what()};
    }
}

std::string manifestJson(const TargetArchitecture &target)
{
    json j = json::object();
    for (const auto &t : target.tensors) {
        json e = {{"shape", t.shape}, {"dtype", std::string(dtypeName(t.dtype))}};
        if (t.kind != TargetTensor::Kind::Unknown) e["kind"] = t.kind == TargetTensor::Kind::Parameter ? "parameter" : "buffer";
        if (!t.moduleType.empty()) e["module_type"] = t.moduleType;
        j[t.name] = e;
    }
    return j.dump(2) + "\n";
}

} // namespace ckpt
