#include "model/formats/orbax_item.h"

#include "model/base/format_error.h"
#include "model/formats/format_reader.h"
#include "model/formats/ocdbt_store.h"
#include "model/formats/table_merge.h"
#include "model/formats/value_access.h"
#include "model/formats/zarr_array.h"
#include "model/remote/location.h"
#include "model/sources/blosc_chunk.h"
#include "model/sources/deflate_stream.h"
#include "model/sources/zstd_stream.h"
#include "model/base/crc32c.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>

namespace fs = std::filesystem;

namespace ckpt {
namespace {

using ojson = nlohmann::ordered_json;

constexpr uint64_t kMaxJson = uint64_t(256) << 20;     ///< _METADATA, _strings.json
constexpr uint64_t kMaxArrayJson = uint64_t(1) << 20;  ///< one .zarray or zarr.json
constexpr uint64_t kMaxChunks = uint64_t(1) << 22;     ///< chunks listed in one item
constexpr size_t kMaxDepth = 256;

/// Where one stored value lies: a byte range of a file, or of an inline value copied out of
/// an OCDBT leaf.
struct Bytes
{
    int file = -1;
    const std::vector<uint8_t> *inlined = nullptr;
    uint64_t offset = 0;
    uint64_t length = 0;

    Bytes sub(uint64_t at, uint64_t n) const { return {file, inlined, offset + at, n}; }
};

/// A pytree being nested from its leaves' key paths (dict keys and sequence indices).
struct Node
{
    bool sequence = false;
    Value *leaf = nullptr;
    std::vector<std::pair<std::string, std::unique_ptr<Node>>> kids;

    Node &child(const std::string &key, bool seq, const std::string &where)
    {
        if (leaf) throw FormatError(where + ": a leaf that is also a container");
        for (auto &[k, n] : kids)
            if (k == key) return *n;
        if (kids.empty()) sequence = seq;
        kids.emplace_back(key, std::make_unique<Node>());
        return *kids.back().second;
    }
};


class ItemReader
{
public:
    ItemReader(CheckpointData &d, std::map<std::string, int> &files, fs::path folder)
        : m_d(d), m_files(files), m_folder(std::move(folder)), m_merge(d)
    {
    }

    Value *read()
    {
        m_ocdbt = locationHasFile(m_folder.string(), "manifest.ocdbt");
        if (m_ocdbt)
            for (auto &e : ocdbt::listLatest(m_folder.string())) m_kv.emplace(e.key, std::move(e));
        Node root;
        const fs::path meta = m_folder / "_METADATA";
        if (locationHasFile(m_folder.string(), "_METADATA")) readTree(meta, root);
        else guessTree(root);
        return materialise(root);
    }

private:
    // ---- bytes ----

    int fileIndex(const fs::path &p) { return openedFile(m_d, m_files, p.string(), p.string()); }

    std::optional<Bytes> value(const std::string &key)
    {
        if (m_ocdbt) {
            auto it = m_kv.find(key);
            if (it == m_kv.end()) return std::nullopt;
            const OcdbtEntry &e = it->second;
            const int f = fileIndex(m_folder / e.file); // an inline value's: its leaf node's
            if (e.inlined) return Bytes{f, &e.bytes, 0, e.bytes.size()};
            checkRange(e.offset, e.length, m_d.files[size_t(f)].size, (key + " in " + e.file).c_str());
            return Bytes{f, nullptr, e.offset, e.length};
        }
        if (leavesFolder(key)) throw FormatError("array key '" + key + "' lies outside the checkpoint's folder");
        if (!locationHasFile(m_folder.string(), key)) return std::nullopt;
        const int f = fileIndex(m_folder / key);
        return Bytes{f, nullptr, 0, m_d.files[size_t(f)].size};
    }

    ByteView view(const Bytes &b) const
    {
        if (b.inlined) return ByteView(*b.inlined).subspan(size_t(b.offset), size_t(b.length));
        return m_d.files[size_t(b.file)].source->view(b.offset, b.length);
    }

    std::string text(const Bytes &b, uint64_t limit, const std::string &what) const
    {
        if (b.length > limit) throw FormatError(what + ": " + std::to_string(b.length) + " bytes, past what it takes");
        const ByteView v = view(b);
        return {reinterpret_cast<const char *>(v.data()), v.size()};
    }

    // ---- chunks ----

    /// A compressed value decoded whole (an inline chunk): exactly `size` bytes.
    static std::vector<uint8_t> decodeWhole(const std::string &codec, ByteView in, uint64_t size, const std::string &what)
    {
        auto read = [&](uint64_t at, void *out, size_t n) { std::memcpy(out, in.data() + at, n); };
        std::vector<uint8_t> out;
        try {
            if (codec == "zstd") out = zstd::decompress(read, in.size(), size);
            else if (codec == "blosc") blosc::readRange(read, in.size(), 0, size, [&](const char *p, size_t n) { out.insert(out.end(), p, p + n); }, size);
            else out = deflate::inflatePrefix(read, in.size(), size, codec == "gzip" ? deflate::Framing::Gzip : deflate::Framing::Zlib);
        } catch (const FormatError &e) {
            throw FormatError(what + ": " + e.what());
        }
        if (out.size() != size) throw FormatError(what + ": decodes to " + std::to_string(out.size()) + " bytes where its chunk takes " + std::to_string(size));
        return out;
    }

    int chunkTensor(const ZarrArray &a, const Bytes &b, const std::vector<int64_t> &box, const std::string &key)
    {
        const std::vector<int64_t> &chunkShape = a.sharded ? a.innerChunks : a.chunks;
        const uint64_t bytes = a.chunkBytes();
        StorageInfo s;
        s.key = key;
        s.record = key;
        s.dtype = a.dtype;
        s.location = "cpu";
        s.numel = int64_t(bytes / uint64_t(dtypeBits(a.dtype) / 8));
        s.byteLength = bytes;
        if (a.compressor.empty() && b.length != bytes)
            throw FormatError(key + ": " + std::to_string(b.length) + " bytes where its chunk takes " + std::to_string(bytes));
        if (b.inlined) {
            const ByteView in = view(b);
            m_d.buffers.push_back(a.compressor.empty() ? std::vector<uint8_t>(in.begin(), in.end()) : decodeWhole(a.compressor, in, bytes, key));
            s.buffer = int(m_d.buffers.size()) - 1;
            s.mapped = false;
            s.file = b.file; // where the leaf node holding it lies
        } else if (a.compressor.empty()) {
            s.file = b.file;
            s.byteOffset = b.offset;
        } else {
            s.file = b.file;
            s.compressedItem = int(m_d.compressedItems.size());
            s.mapped = false;
            m_d.compressedItems.push_back({b.file, b.offset, b.length, a.compressor});
        }
        TensorInfo t;
        t.dtype = a.dtype;
        t.shape = box;
        t.strides = a.fortranOrder ? columnMajorStrides(chunkShape) : contiguousStrides(chunkShape);
        t.rebuild = m_merge.intern("_rebuild_tensor_v2");
        t.storage = int(m_d.storages.size());
        m_d.storages.push_back(std::move(s));
        m_d.tensors.push_back(std::move(t));
        return int(m_d.tensors.size()) - 1;
    }

    /// The chunk at `origin` (elements) clipped to the array; false when it lies wholly outside.
    static bool clip(const ZarrArray &a, const std::vector<int64_t> &origin, const std::vector<int64_t> &size, std::vector<int64_t> &box)
    {
        box.resize(origin.size());
        for (size_t d = 0; d < origin.size(); ++d) {
            if (origin[d] >= a.shape[d]) return false;
            box[d] = std::min(size[d], a.shape[d] - origin[d]);
        }
        return true;
    }

    void addShard(const ZarrArray &a, const Bytes &shard, const std::vector<int64_t> &origin, const std::string &key,
                  std::vector<TensorChunk> &chunks)
    {
        const size_t n = a.shape.size();
        std::vector<int64_t> per(n);
        uint64_t count = 1;
        for (size_t d = 0; d < n; ++d) count *= uint64_t(per[d] = a.chunks[d] / a.innerChunks[d]);
        if (count > kMaxChunks) throw FormatError(key + ": a shard of more than 2^22 chunks");
        const uint64_t indexBytes = count * 16 + (a.indexCrc ? 4 : 0);
        if (shard.length < indexBytes) throw FormatError(key + ": shorter than its shard index");
        const Bytes indexAt = shard.sub(a.indexAtEnd ? shard.length - indexBytes : 0, indexBytes);
        const ByteView index = view(indexAt);
        if (a.indexCrc) {
            uint32_t stored = 0;
            std::memcpy(&stored, index.data() + count * 16, 4);
            if (crc32c(index.data(), size_t(count * 16)) != stored) throw FormatError(key + ": its shard index fails its CRC-32C");
        }
        std::vector<int64_t> inner(n, 0), at(n), box;
        for (uint64_t i = 0; i < count; ++i) {
            uint64_t offset = 0, length = 0;
            std::memcpy(&offset, index.data() + i * 16, 8);
            std::memcpy(&length, index.data() + i * 16 + 8, 8);
            const bool absent = offset == ~uint64_t(0) && length == ~uint64_t(0);
            for (size_t d = 0; d < n; ++d) at[d] = origin[d] + inner[d] * a.innerChunks[d];
            if (!absent && clip(a, at, a.innerChunks, box)) {
                if (offset > shard.length || length > shard.length - offset) throw FormatError(key + ": an inner chunk runs past its shard");
                chunks.push_back({at, box, chunkTensor(a, shard.sub(offset, length), box, key + "[" + std::to_string(i) + "]"), false});
            }
            for (size_t d = n; d-- > 0;) {
                if (++inner[d] < per[d]) break;
                inner[d] = 0;
            }
        }
    }

    /// The array stored under `name`, or nullptr when there is no zarr metadata for it.
    Value *array(const std::string &name)
    {
        std::optional<Bytes> meta = value(name + "/.zarray");
        std::string metaName = name + "/.zarray";
        if (!meta) {
            meta = value(name + "/zarr.json");
            metaName = name + "/zarr.json";
        }
        if (!meta) return nullptr;
        const ZarrArray a = parseZarrArray(text(*meta, kMaxArrayJson, metaName), metaName);
        if (a.bigEndian) {
            m_d.warnings.push_back(name + ": a big-endian array, not listed");
            return nullptr;
        }
        int64_t numel = 0, chunkNumel = 0;
        if (!checkedNumel(a.shape, numel) || !checkedNumel(a.sharded ? a.innerChunks : a.chunks, chunkNumel) ||
            uint64_t(numel) > (uint64_t(1) << 62) / uint64_t(dtypeBits(a.dtype) / 8) ||
            uint64_t(chunkNumel) > (uint64_t(1) << 62) / uint64_t(dtypeBits(a.dtype) / 8))
            throw FormatError(metaName + ": its shape or chunks overflow");
        const size_t n = a.shape.size();
        std::vector<int64_t> grid(n);
        uint64_t count = 1;
        for (size_t d = 0; d < n; ++d) {
            grid[d] = (a.shape[d] + a.chunks[d] - 1) / a.chunks[d];
            count *= uint64_t(std::max<int64_t>(grid[d], 1));
            if (count > kMaxChunks) throw FormatError(metaName + ": more than 2^22 chunks");
        }
        if (numel == 0 && n) count = 0;
        m_chunks += count;
        if (m_chunks > kMaxChunks) throw FormatError("more than 2^22 chunks in all");
        std::vector<TensorChunk> chunks;
        std::vector<int64_t> index(n, 0), origin(n), box;
        bool missing = false;
        for (uint64_t i = 0; i < count; ++i) {
            for (size_t d = 0; d < n; ++d) origin[d] = index[d] * a.chunks[d];
            const std::string key = name + "/" + a.chunkKey(index);
            if (const std::optional<Bytes> b = value(key)) {
                if (a.sharded) addShard(a, *b, origin, key, chunks);
                else if (clip(a, origin, a.chunks, box)) chunks.push_back({origin, box, chunkTensor(a, *b, box, key), false});
            } else {
                missing = true;
            }
            for (size_t d = n; d-- > 0;) {
                if (++index[d] < grid[d]) break;
                index[d] = 0;
            }
        }
        if (missing && !a.fillZero) m_d.warnings.push_back(name + ": chunks are absent and its fill value is not zero; they read as zeros");
        Value *v = m_d.arena->make(ValueKind::Tensor);
        const bool whole = chunks.size() == 1 && chunks[0].sizes == a.shape && !a.fortranOrder && (a.sharded ? a.innerChunks : a.chunks) == a.shape;
        v->index = whole ? chunks[0].tensor : m_merge.chunkedTensor(a.dtype, a.shape, std::move(chunks));
        return v;
    }

    // ---- the tree ----

    void readTree(const fs::path &meta, Node &root)
    {
        const int f = fileIndex(meta);
        const std::string json = text(Bytes{f, nullptr, 0, m_d.files[size_t(f)].size}, kMaxJson, "_METADATA");
        ojson j;
        try {
            j = ojson::parse(json);
        } catch (const ojson::exception &e) {
            throw FormatError("_METADATA: not JSON (" + std::string(e.what()) + ")");
        }
        const ojson *tree = j.is_object() && j.contains("tree_metadata") ? &j["tree_metadata"] : nullptr;
        if (!tree || !tree->is_object()) throw FormatError("_METADATA: no tree_metadata object");
        if (j.contains("use_zarr3") && j["use_zarr3"].is_boolean()) m_d.metadata["zarr"] = j["use_zarr3"].get<bool>() ? "3" : "2";
        m_d.metadata["ocdbt"] = m_ocdbt ? "true" : "false";
        const ojson strings = readStrings();
        try {
            for (const auto &[pathText, entry] : tree->items()) {
                const ojson &keys = entry.at("key_metadata");
                if (!keys.is_array() || keys.empty() || keys.size() > kMaxDepth) throw FormatError("_METADATA: " + pathText + ": its key path is empty or past 256 keys");
                Node *node = &root;
                std::string name;
                for (const ojson &k : keys) {
                    const std::string key = k.at("key").is_string() ? k.at("key").get<std::string>() : k.at("key").dump();
                    node = &node->child(key, k.value("key_type", 2) == 1, "_METADATA: " + pathText);
                    name += (name.empty() ? "" : ".") + key;
                }
                if (node->leaf || !node->kids.empty()) throw FormatError("_METADATA: " + pathText + " is given twice");
                const std::string type = entry.value("value_metadata", ojson::object()).value("value_type", "");
                node->leaf = leaf(name, type, strings);
            }
        } catch (const ojson::exception &e) {
            throw FormatError("_METADATA: " + std::string(e.what()));
        }
    }

    ojson readStrings()
    {
        if (!locationHasFile(m_folder.string(), "_strings.json")) return ojson::object();
        const int f = fileIndex(m_folder / "_strings.json");
        try {
            return ojson::parse(text(Bytes{f, nullptr, 0, m_d.files[size_t(f)].size}, kMaxJson, "_strings.json"));
        } catch (const ojson::exception &) {
            m_d.warnings.push_back("_strings.json: not JSON, its strings not listed");
            return ojson::object();
        }
    }

    Value *leaf(const std::string &name, const std::string &type, const ojson &strings)
    {
        if (type == "string") {
            if (strings.is_object() && strings.contains(name) && strings[name].is_string()) return stringValue(*m_d.arena, strings[name].get<std::string>());
            m_d.warnings.push_back(name + ": a string that _strings.json does not hold");
            return m_d.arena->make(ValueKind::None);
        }
        if (type == "None") return m_d.arena->make(ValueKind::None);
        if (Value *v = array(name)) return v;
        m_d.warnings.push_back(name + ": " + (type.empty() ? std::string("a leaf") : type) + " with no array stored for it");
        return m_d.arena->make(ValueKind::None);
    }

    /// The older layout, without _METADATA: the arrays' names, split at '.'.
    void guessTree(Node &root)
    {
        std::vector<std::string> names;
        auto take = [&](const std::string &key) {
            for (std::string_view tail : {"/.zarray", "/zarr.json"})
                if (key.size() > tail.size() && key.ends_with(tail)) names.push_back(key.substr(0, key.size() - tail.size()));
        };
        if (m_ocdbt) {
            for (const auto &[k, e] : m_kv) take(k);
        } else {
            auto listing = listLocation(m_folder.string());
            if (listing)
                for (const std::string &n : listing->folders)
                    if (locationHasFile(m_folder.string(), n + "/.zarray") || locationHasFile(m_folder.string(), n + "/zarr.json"))
                        names.push_back(n);
        }
        if (names.empty()) throw FormatError(m_folder.string() + ": neither _METADATA nor any zarr array");
        m_d.metadata["ocdbt"] = m_ocdbt ? "true" : "false";
        for (const std::string &name : names) {
            Node *node = &root;
            size_t from = 0;
            for (size_t depth = 0;; ++depth) {
                if (depth > kMaxDepth) throw FormatError(name + ": a name of more than 256 parts");
                const size_t dot = name.find('.', from);
                node = &node->child(name.substr(from, dot - from), false, name);
                if (dot == std::string::npos) break;
                from = dot + 1;
            }
            if (node->leaf || !node->kids.empty()) throw FormatError(name + ": an array whose name another's extends");
            node->leaf = leaf(name, "", ojson::object());
        }
    }

    Value *materialise(Node &node)
    {
        if (node.leaf) return node.leaf;
        const bool list = node.sequence && std::all_of(node.kids.begin(), node.kids.end(), [](const auto &k) { return decimalName(k.first, 9).has_value(); });
        if (list) {
            std::stable_sort(node.kids.begin(), node.kids.end(), [](const auto &x, const auto &y) { return *decimalName(x.first, 9) < *decimalName(y.first, 9); });
            Value *v = m_d.arena->make(ValueKind::List);
            for (auto &[k, kid] : node.kids) v->items.push_back(materialise(*kid));
            return v;
        }
        Value *v = m_d.arena->make(ValueKind::Dict);
        for (auto &[k, kid] : node.kids) {
            v->items.push_back(stringValue(*m_d.arena, k));
            v->items.push_back(materialise(*kid));
        }
        return v;
    }

    CheckpointData &m_d;
    std::map<std::string, int> &m_files;
    fs::path m_folder;
    TableMerge m_merge;
    bool m_ocdbt = false;
    std::map<std::string, OcdbtEntry> m_kv;
    uint64_t m_chunks = 0;
};

} // namespace

std::optional<uint64_t> decimalName(std::string_view name, size_t maxDigits)
{
    if (name.empty() || name.size() > maxDigits) return std::nullopt;
    uint64_t n = 0;
    for (char c : name) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + uint64_t(c - '0');
    }
    return n;
}

Value *OrbaxItem::read(const std::string &folder) { return ItemReader(m_d, m_files, folder).read(); }

} // namespace ckpt
