#include "format_error.h"
#include "format_readers.h"
#include "checkpoint_loader.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace ckpt {
namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr uint64_t kMaxIndexBytes = 256u << 20;

json readIndex(const std::string &path)
{
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) throw FormatError(ec.message());
    if (size > kMaxIndexBytes) throw FormatError("index is larger than 256 MiB");
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    try {
        return json::parse(text.str());
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
    if (shard.format != CheckpointFormat::Safetensors && !shard.candidates.empty())
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

} // namespace

CheckpointData readShardedIndex(const std::string &indexPath)
{
    const json index = readIndex(indexPath);
    if (!index.is_object()) throw FormatError("index is not a JSON object");
    const auto map = index.find("weight_map");
    if (map == index.end() || !map->is_object())
        throw FormatError("index has no weight_map object");

    CheckpointData d;
    d.format = CheckpointFormat::ShardedSafetensors;
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
            auto loaded = loadCheckpointFile((folder / shardName).string());
            if (!loaded) throw FormatError(shardName + ": " + loaded.error().message);
            Shard s;
            s.data = std::move(loaded.value());
            if (s.data.format != CheckpointFormat::Safetensors)
                d.format = CheckpointFormat::ShardedPyTorch;
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
