#include "model/formats/sharded_index_reader.h"

#include "model/base/format_error.h"
#include "model/formats/format_registry.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <unordered_map>

namespace ckpt {
namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr uint64_t kMaxIndexBytes = 256u << 20;

json readIndex(const ByteSource &source)
{
    if (source.size() > kMaxIndexBytes) throw FormatError("index is larger than 256 MiB");
    const ByteView text = source.view(0, source.size());
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::exception &e) {
        std::string msg = e.what();
        if (const auto p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
        throw FormatError("index is not valid JSON (" + msg + ")");
    }
}

/// A shard must be a file beside (or below) the index: no absolute paths, no "..".
void checkShardName(const std::string &shard)
{
    const fs::path p(shard);
    bool escapes = shard.empty() || p.is_absolute();
    for (const auto &part : p) escapes = escapes || part == "..";
    if (escapes) throw FormatError("index names shard '" + shard + "' outside its folder");
}

/// name -> tensor index of a shard: safetensors names, or the keys of a .bin shard's
/// weights dict (its first candidate, else its root).
std::unordered_map<std::string, int> namesOf(const CheckpointData &shard)
{
    Path base;
    if (shard.format != "safetensors" && !shard.candidates.empty())
        base = shard.candidates.front().path;
    std::unordered_map<std::string, int> names;
    for (const auto &e : shard.entries) {
        if (e.path.size() != base.size() + 1 ||
            !std::equal(base.begin(), base.end(), e.path.begin()))
            continue;
        if (const auto *s = std::get_if<std::string>(&e.path.back())) names.emplace(*s, e.tensor);
    }
    return names;
}

bool looksLikeJson(ByteView head)
{
    size_t i = 0;
    while (i < head.size() && i < 64 && std::isspace(head[i])) ++i;
    return i < head.size() && head[i] == '{';
}

} // namespace

Recognition ShardedIndexReader::recogniseFile(const FileProbe &probe) const
{
    if (!probe.nested && probe.path.ends_with(".json")) return {100, "named *.json", {}, {}};
    if (looksLikeJson(probe.head))
        return {30, "holds JSON", "a JSON file; give an index.json of a sharded model", {}};
    return {};
}

Recognition ShardedIndexReader::recogniseFolder(const FolderProbe &probe) const
{
    for (const char *name : {"model.safetensors.index.json", "pytorch_model.bin.index.json"})
        if (std::find(probe.files.begin(), probe.files.end(), name) != probe.files.end())
            return {100, std::string("holds ") + name, {}, name};
    std::vector<std::string> indexes;
    for (const auto &file : probe.files)
        if (file.ends_with(".index.json")) indexes.push_back(file);
    if (indexes.size() > 1)
        return {90, "holds several index.json files", "folder holds several index.json files; name one", {}};
    if (indexes.size() == 1) return {90, "holds " + indexes.front(), {}, indexes.front()};
    return {};
}

CheckpointData ShardedIndexReader::readFile(SourceFile file, const FormatRegistry &registry) const
{
    const std::string indexPath = file.path;
    const json index = readIndex(*file.source);
    if (!index.is_object()) throw FormatError("index is not a JSON object");
    const auto map = index.find("weight_map");
    if (map == index.end() || !map->is_object())
        throw FormatError("index has no weight_map object");

    CheckpointData d;
    d.format = "sharded-safetensors";
    if (const auto meta = index.find("metadata"); meta != index.end() && meta->is_object())
        for (const auto &[k, v] : meta->items())
            d.metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();

    const fs::path folder = fs::path(indexPath).parent_path();
    struct Shard
    {
        CheckpointData data;
        std::unordered_map<std::string, int> names;
        int file = 0;
        int storageBase = 0;
        int tensorBase = 0;
        size_t used = 0;
    };
    std::unordered_map<std::string, Shard> shards;
    std::vector<std::string> shardOrder;
    d.root = d.arena->make(ValueKind::Dict);

    for (const auto &[name, shardValue] : map->items()) {
        if (!shardValue.is_string()) throw FormatError("weight_map entry " + name + " is not a file name");
        const std::string shardName = shardValue.get<std::string>();
        auto it = shards.find(shardName);
        if (it == shards.end()) {
            checkShardName(shardName);
            auto loaded = registry.readNested((folder / shardName).string());
            if (!loaded) throw FormatError(shardName + ": " + loaded.error().message);
            Shard s;
            s.data = std::move(loaded.value());
            if (s.data.format != "safetensors") d.format = "sharded-pytorch";
            s.names = namesOf(s.data);
            s.file = int(d.files.size());
            s.storageBase = int(d.storages.size());
            s.tensorBase = int(d.tensors.size());
            for (auto &f : s.data.files) d.files.push_back(f);
            for (auto st : s.data.storages) {
                st.file = s.file;
                d.storages.push_back(std::move(st));
            }
            for (auto t : s.data.tensors) {
                if (t.storage >= 0) t.storage += s.storageBase;
                d.tensors.push_back(std::move(t));
            }
            for (auto g : s.data.safety.globals) {
                g.file = shardName + ":" + g.file;
                d.safety.globals.push_back(std::move(g));
            }
            for (auto *v : {&s.data.safety.torch113, &s.data.safety.torch2}) {
                auto &into = v == &s.data.safety.torch113 ? d.safety.torch113 : d.safety.torch2;
                into.applicable = into.applicable && v->applicable;
                for (const auto &b : v->blockers) into.blockers.push_back(shardName + ": " + b);
                into.ok = into.blockers.empty();
            }
            for (const auto &w : s.data.warnings) d.warnings.push_back(shardName + ": " + w);
            shardOrder.push_back(shardName);
            it = shards.emplace(shardName, std::move(s)).first;
        }
        Shard &shard = it->second;
        const auto found = shard.names.find(name);
        if (found == shard.names.end())
            throw FormatError("tensor " + name + " is listed in the index but missing from " +
                              shardName);
        ++shard.used;
        Value *key = d.arena->make(ValueKind::String);
        key->text = d.arena->keep(name);
        Value *tensor = d.arena->make(ValueKind::Tensor);
        tensor->index = shard.tensorBase + found->second;
        d.root->items.push_back(key);
        d.root->items.push_back(tensor);
    }
    if (shards.empty()) throw FormatError("index lists no tensors");
    for (const auto &name : shardOrder) {
        const Shard &s = shards.at(name);
        if (s.used < s.names.size())
            d.warnings.push_back(name + " holds " + std::to_string(s.names.size() - s.used) +
                                 " tensors the index does not list");
    }
    return d;
}

} // namespace ckpt
