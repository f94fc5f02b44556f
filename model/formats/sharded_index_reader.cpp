#include "model/formats/sharded_index_reader.h"

#include "model/base/format_error.h"
#include "model/base/json_document.h"
#include "model/formats/format_registry.h"
#include "model/remote/location.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <unordered_map>

namespace ckpt {
namespace {

/// A JSON value (already read by our reader) as compact text, the way nlohmann dumps it; a
/// number nlohmann cannot hold (1e999, which Python's json reads as inf) keeps its own text,
/// with the whitespace between tokens taken out.
std::string compactJson(std::string_view text)
{
    try {
        return nlohmann::ordered_json::parse(text).dump();
    } catch (const nlohmann::json::exception &) {
        std::string out;
        bool inString = false, escaped = false;
        for (char ch : text) {
            if (inString) {
                out += ch;
                if (escaped) escaped = false;
                else if (ch == '\\') escaped = true;
                else if (ch == '"') inString = false;
                continue;
            }
            if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') continue;
            if (ch == '"') inString = true;
            out += ch;
        }
        return out;
    }
}

using Kind = JsonDocument::Kind;
namespace fs = std::filesystem;

constexpr uint64_t kMaxIndexBytes = 256u << 20;

/// The index read in one linear pass (nlohmann's ordered_json inserts by linear search: 17 s
/// for 91k names).
JsonDocument readIndex(std::string_view text)
{
    if (text.size() > kMaxIndexBytes) throw FormatError("index is larger than 256 MiB");
    try {
        return JsonDocument::parse(text, 1000);
    } catch (const JsonDocument::Error &e) {
        throw FormatError(std::string("index is not valid JSON (") + e.what() + " at byte " +
                          std::to_string(e.offset()) + ")");
    }
}

/// An object's members as Python's json.load leaves them: a key given twice keeps its first
/// place and its last value (what transformers reads).
std::vector<std::pair<std::string_view, uint32_t>> members(const JsonDocument &doc, const JsonDocument::Node &object)
{
    std::vector<std::pair<std::string_view, uint32_t>> out;
    std::unordered_map<std::string_view, size_t> at;
    const auto slots = doc.children(object);
    out.reserve(slots.size() / 2);
    at.reserve(slots.size() / 2);
    for (size_t i = 0; i < slots.size(); i += 2) {
        const std::string_view key = doc.string(doc.node(slots[i]));
        const auto [it, fresh] = at.try_emplace(key, out.size());
        if (fresh) out.emplace_back(key, slots[i + 1]);
        else out[it->second].second = slots[i + 1];
    }
    return out;
}

const JsonDocument::Node *member(const JsonDocument &doc, const std::vector<std::pair<std::string_view, uint32_t>> &m,
                                 std::string_view key)
{
    for (const auto &[k, v] : m)
        if (k == key) return &doc.node(v);
    return nullptr;
}

/// A shard must be a file beside (or below) the index: no absolute paths, no "..".
void checkShardName(const std::string &shard)
{
    if (leavesFolder(shard)) throw FormatError("index names shard '" + shard + "' outside its folder");
}

/// name -> tensor index of a shard: safetensors names, or the keys of a .bin shard's
/// weights dict (its first candidate, else its root). Views into the shard's entries.
std::unordered_map<std::string_view, int> namesOf(const CheckpointData &shard)
{
    Path base;
    if (shard.format != "safetensors" && !shard.candidates.empty())
        base = shard.candidates.front().path;
    std::unordered_map<std::string_view, int> names;
    names.reserve(shard.entries.size());
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
    const ByteView bytes = file.source->view(0, file.source->size());
    const JsonDocument index = readIndex({reinterpret_cast<const char *>(bytes.data()), bytes.size()});
    if (index.root().kind != Kind::Object) throw FormatError("index is not a JSON object");
    const auto top = members(index, index.root());
    const JsonDocument::Node *map = member(index, top, "weight_map");
    if (!map || map->kind != Kind::Object) throw FormatError("index has no weight_map object");

    CheckpointData d;
    d.format = "sharded-safetensors";
    if (const JsonDocument::Node *meta = member(index, top, "metadata"); meta && meta->kind == Kind::Object)
        for (const auto &[k, v] : members(index, *meta)) {
            const JsonDocument::Node &value = index.node(v);
            // Non-strings as compact JSON, the way they were always shown.
            d.metadata[std::string(k)] = value.kind == Kind::String ? std::string(index.string(value))
                                                                     : compactJson(index.source(value));
        }

    // Names are grouped by shard first, then each shard is read once and its tree let go
    // before the next (shards are not all held at once), and the dict is made in index order.
    const fs::path folder = fs::path(indexPath).parent_path();
    const auto names = members(index, *map);
    struct Shard
    {
        std::string name;
        std::vector<uint32_t> slots; ///< the index's names it holds, as positions in `names`
        size_t held = 0;             ///< tensors the shard holds
    };
    std::vector<Shard> shards;
    std::unordered_map<std::string_view, uint32_t> shardOf;
    std::vector<int> tensorOf(names.size(), -1);
    for (uint32_t i = 0; i < names.size(); ++i) {
        const JsonDocument::Node &shardValue = index.node(names[i].second);
        if (shardValue.kind != Kind::String)
            throw FormatError("weight_map entry " + std::string(names[i].first) + " is not a file name");
        const auto [it, fresh] = shardOf.try_emplace(index.string(shardValue), uint32_t(shards.size()));
        if (fresh) shards.push_back({std::string(it->first), {}, 0});
        shards[it->second].slots.push_back(i);
    }
    if (shards.empty()) throw FormatError("index lists no tensors");

    std::vector<std::string> shardPaths;
    for (const Shard &shard : shards) {
        checkShardName(shard.name);
        shardPaths.push_back(joinLocation(folder.string(), shard.name));
    }
    openLocations(shardPaths); // remote shards: their headers asked for at once
    for (size_t s = 0; s < shards.size(); ++s) {
        Shard &shard = shards[s];
        auto loaded = registry.readNested(shardPaths[s]);
        if (!loaded) throw FormatError(shard.name + ": " + loaded.error().message);
        CheckpointData data = std::move(loaded.value());
        if (data.format != "safetensors") d.format = "sharded-pytorch";
        const auto held = namesOf(data);
        shard.held = held.size();
        const int file = int(d.files.size());
        const int storageBase = int(d.storages.size());
        const int tensorBase = int(d.tensors.size());
        for (uint32_t slot : shard.slots) {
            const auto found = held.find(names[slot].first);
            if (found == held.end())
                throw FormatError("tensor " + std::string(names[slot].first) + " is listed in the index but missing from " +
                                  shard.name);
            tensorOf[slot] = tensorBase + found->second;
        }
        for (auto &f : data.files) d.files.push_back(std::move(f));
        for (auto &st : data.storages) {
            st.file = file;
            d.storages.push_back(std::move(st));
        }
        for (auto &t : data.tensors) {
            if (t.storage >= 0) t.storage += storageBase;
            d.tensors.push_back(std::move(t));
        }
        for (auto &g : data.safety.globals) {
            g.file = shard.name + ":" + g.file;
            d.safety.globals.push_back(std::move(g));
        }
        for (auto *v : {&data.safety.torch113, &data.safety.torch2}) {
            auto &into = v == &data.safety.torch113 ? d.safety.torch113 : d.safety.torch2;
            into.applicable = into.applicable && v->applicable;
            for (const auto &b : v->blockers) into.blockers.push_back(shard.name + ": " + b);
            into.ok = into.blockers.empty();
        }
        for (const auto &w : data.warnings) d.warnings.push_back(shard.name + ": " + w);
    }

    // Names without escapes stay views into the index, which the arena keeps mapped.
    d.arena->hold(file.source);
    d.root = d.arena->make(ValueKind::Dict);
    d.root->items.reserve(2 * names.size());
    const char *const textBegin = reinterpret_cast<const char *>(bytes.data());
    for (uint32_t i = 0; i < names.size(); ++i) {
        const std::string_view name = names[i].first;
        const bool inText = name.data() >= textBegin && name.data() < textBegin + bytes.size();
        Value *key = d.arena->make(ValueKind::String);
        key->text = inText ? name : d.arena->keep(std::string(name));
        Value *tensor = d.arena->make(ValueKind::Tensor);
        tensor->index = tensorOf[i];
        d.root->items.push_back(key);
        d.root->items.push_back(tensor);
    }
    for (const Shard &shard : shards)
        if (shard.slots.size() < shard.held)
            d.warnings.push_back(shard.name + " holds " + std::to_string(shard.held - shard.slots.size()) +
                                 " tensors the index does not list");
    return d;
}

} // namespace ckpt
