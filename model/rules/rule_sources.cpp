#include "model/rules/rule_sources.h"

#include "model/remote/location.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>

namespace ckpt {
namespace {

namespace fs = std::filesystem;

/// Checkpoints opened as sources, by path, while the file is unchanged (size and mtime).
std::shared_ptr<const Checkpoint> cachedOpen(const std::string &path, std::string &error)
{
    struct Entry
    {
        fs::file_time_type mtime;
        uintmax_t size = 0;
        std::shared_ptr<const Checkpoint> checkpoint;
    };
    static std::mutex mutex;
    static std::map<std::string, Entry> cache;
    std::error_code ec;
    const auto mtime = fs::last_write_time(path, ec);
    const uintmax_t size = fs::is_regular_file(path, ec) ? fs::file_size(path, ec) : 0;
    {
        std::lock_guard lock(mutex);
        if (auto it = cache.find(path); it != cache.end() && it->second.mtime == mtime && it->second.size == size)
            return it->second.checkpoint;
    }
    auto opened = Checkpoint::open(path);
    if (!opened) {
        error = opened.error().message;
        return nullptr;
    }
    std::lock_guard lock(mutex);
    if (cache.size() > 16) cache.clear();
    cache[path] = {mtime, size, *opened};
    return *opened;
}

LoraConfig readLoraConfig(const std::string &file)
{
    auto text = readLocationText(file, uint64_t(16) << 20);
    if (!text) throw std::runtime_error(text.error().message);
    const auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) throw std::runtime_error("adapter_config.json is not a JSON object");
    const std::string type = j.value("peft_type", std::string("LORA"));
    if (type != "LORA") throw std::runtime_error("adapter_config.json: peft_type " + type + ", not LORA");
    if (j.value("use_dora", false)) throw std::runtime_error("a DoRA adapter (use_dora): its magnitude vectors are not merged here");
    LoraConfig c;
    auto num = [&](const char *key, double fallback) {
        return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
    };
    c.r = int64_t(num("r", 8));
    c.alpha = num("lora_alpha", 8);
    c.rslora = j.value("use_rslora", false);
    c.fanInFanOut = j.value("fan_in_fan_out", false);
    if (j.contains("alpha_pattern") && j["alpha_pattern"].is_object())
        for (const auto &[k, v] : j["alpha_pattern"].items())
            if (v.is_number()) c.alphaPattern.emplace_back(k, v.get<double>());
    if (c.r <= 0) throw std::runtime_error("adapter_config.json: r must be positive");
    return c;
}

} // namespace

double LoraConfig::alphaFor(const std::string &module) const
{
    for (const auto &[pattern, value] : alphaPattern) {
        try {
            if (std::regex_match(module, std::regex("(.*\\.)?(" + pattern + ")"))) return value;
        } catch (const std::regex_error &) {
            if (module == pattern || module.ends_with("." + pattern)) return value;
        }
    }
    return alpha;
}

Result<RuleSources> RuleSources::open(const RuleSet &set)
{
    RuleSources out;
    for (const auto &src : set.sources) {
        const std::string field = "sources." + src.name;
        // A relative path is the config's folder's; an address is where it says.
        std::string path = src.path;
        if (!isRemoteAddress(path) && fs::path(path).is_relative() && !set.folder.empty()) path = (fs::path(set.folder) / path).string();
        OpenedSource o;
        o.name = src.name;
        std::string file = path;
        const auto kind = locationKind(path);
        try {
            if (kind && *kind == LocationKind::Folder && locationHasFile(path, "adapter_config.json")) {
                o.lora = readLoraConfig(joinLocation(path, "adapter_config.json"));
                file = joinLocation(path, locationHasFile(path, "adapter_model.safetensors") ? "adapter_model.safetensors"
                                                                                            : "adapter_model.bin");
                if (!locationHasFile(path, fs::path(file).filename().string()))
                    return Error{field + ": " + src.path + ": the adapter folder has no adapter_model.safetensors or .bin"};
            }
        } catch (const std::exception &e) {
            return Error{field + ": " + src.path + ": " + e.what()};
        }
        if (!kind) return Error{field + ": " + src.path + ": no such file"};
        o.path = file;
        std::string error;
        o.checkpoint = cachedOpen(o.path, error);
        if (!o.checkpoint) return Error{field + ": " + src.path + ": " + error};
        auto inputs = planInputs(*o.checkpoint, src.weights);
        if (!inputs) return Error{field + ": " + src.path + ": " + inputs.error().message};
        o.inputs = std::move(*inputs);
        out.m_sources.push_back(std::move(o));
    }
    return out;
}

const OpenedSource *RuleSources::find(const std::string &name, int *index) const
{
    for (size_t k = 0; k < m_sources.size(); ++k)
        if (m_sources[k].name == name) {
            if (index) *index = int(k) + 1;
            return &m_sources[k];
        }
    return nullptr;
}

} // namespace ckpt
