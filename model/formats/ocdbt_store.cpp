#include "model/formats/ocdbt_store.h"

#include "model/base/byte_cursor.h"
#include "model/base/crc32c.h"
#include "model/formats/format_reader.h"
#include "model/remote/location.h"
#include "model/sources/zstd_stream.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>

namespace fs = std::filesystem;

namespace ckpt::ocdbt {
namespace {

constexpr uint32_t kManifestMagic = 0x0cdb3a2a;
constexpr uint32_t kBtreeMagic = 0x0cdb20de;
constexpr uint64_t kMaxEncoded = uint64_t(64) << 20;  ///< an encoded manifest or node
constexpr uint64_t kMaxDecoded = uint64_t(256) << 20; ///< what one may decode to
constexpr uint64_t kMaxPath = 65535;                  ///< TensorStore's kMaxPathLength
constexpr uint64_t kMaxKey = 65535;
constexpr uint64_t kMaxArity = uint64_t(1) << 20;     ///< entries in one B+tree node
constexpr uint64_t kMaxNodes = uint64_t(1) << 20;     ///< nodes visited in one walk
constexpr uint64_t kMaxEntries = uint64_t(1) << 24;   ///< keys listed

/// A data file as a node's table names it: its path from the database root, and the
/// transitive path that the nodes it holds resolve their own tables against.
struct DataFile
{
    std::string path;
    std::string transitive;
};

struct NodeRef
{
    uint64_t file = 0;
    uint64_t offset = 0;
    uint64_t length = 0;
};

std::vector<DataFile> readDataFileTable(ByteCursor &c, const std::string &transitive)
{
    const uint64_t n = c.varint(c.left(), "num_files");
    std::vector<uint64_t> prefix(static_cast<size_t>(n), 0), suffix(static_cast<size_t>(n)), base(static_cast<size_t>(n));
    for (uint64_t i = 1; i < n; ++i) prefix[i] = c.varint(kMaxPath, "path_prefix_length");
    for (auto &s : suffix) s = c.varint(kMaxPath, "path_suffix_length");
    for (auto &b : base) b = c.varint(kMaxPath, "base_path_length");
    std::vector<DataFile> files;
    files.reserve(size_t(n));
    std::string previous;
    for (size_t i = 0; i < n; ++i) {
        if (prefix[i] > previous.size()) c.fail("a data file path shares more with the one before than it has");
        std::string path = previous.substr(0, size_t(prefix[i]));
        path += c.text(suffix[i]);
        if (transitive.size() + path.size() > kMaxPath) c.fail("a data file path is past 65535 bytes");
        if (base[i] > path.size()) c.fail("a data file's base path is longer than its path");
        DataFile f{transitive + path, transitive + path.substr(0, size_t(base[i]))};
        if (leavesFolder(f.path)) c.fail("data file '" + f.path + "' lies outside the database's folder");
        files.push_back(std::move(f));
        previous = std::move(path);
    }
    return files;
}

/// The body of an encoded manifest or node (magic, length, version 0, compression, body,
/// CRC-32C), decompressed.
std::vector<uint8_t> decodeObject(ByteView raw, uint32_t magic, const std::string &what)
{
    ByteCursor c(raw, what);
    if (raw.size() < 16) c.fail("shorter than a header and a checksum");
    if (c.u32be() != magic) c.fail("does not start with the magic it should");
    if (c.le(8) != raw.size()) c.fail("its header gives a length other than its size");
    uint32_t stored = 0;
    std::memcpy(&stored, raw.data() + raw.size() - 4, 4); // little-endian hosts only (as the rest)
    if (crc32c(raw.data(), raw.size() - 4) != stored) c.fail("its CRC-32C does not match: the bytes are damaged");
    if (const uint64_t version = c.varint(); version != 0) c.fail("format version " + std::to_string(version) + ", which this version does not read");
    const uint64_t compression = c.varint();
    const size_t at = c.position();
    if (at > raw.size() - 4) c.fail("ends early");
    const ByteView body = raw.subspan(at, raw.size() - 4 - at);
    if (compression == 0) return {body.begin(), body.end()};
    if (compression != 1) c.fail("compression format " + std::to_string(compression) + " is neither none nor zstd");
    try {
        return zstd::decompress([&](uint64_t offset, void *out, size_t n) { std::memcpy(out, body.data() + offset, n); },
                                body.size(), kMaxDecoded);
    } catch (const FormatError &e) {
        throw FormatError(what + ": " + e.what());
    }
}

class Walk
{
public:
    explicit Walk(fs::path root) : m_root(std::move(root)) {}

    std::vector<OcdbtEntry> run()
    {
        ManifestView m = readManifest(m_root / "manifest.ocdbt", "manifest.ocdbt");
        if (m.numbered) {
            const std::string latest = latestNumberedManifest();
            m = readManifest(m_root / latest, latest);
            if (m.numbered) throw FormatError(latest + ": a numbered manifest that defers to another");
        }
        if (m.numKeys == 0) return {};
        if (m.root.file >= m.files.size()) throw FormatError("manifest.ocdbt: its root names data file " + std::to_string(m.root.file) + " of " + std::to_string(m.files.size()));
        visit(m.files[size_t(m.root.file)], m.root, m.rootHeight, std::string());
        return std::move(m_entries);
    }

private:
    struct ManifestView
    {
        bool numbered = false;
        std::vector<DataFile> files;
        NodeRef root;
        unsigned rootHeight = 0;
        uint64_t numKeys = 0;
    };

    const ByteSource &open(const std::string &relative)
    {
        auto it = m_maps.find(relative);
        if (it == m_maps.end()) {
            auto map = openLocation((m_root / relative).string());
            if (!map) throw FormatError("OCDBT data file " + relative + ": " + map.error().message);
            it = m_maps.emplace(relative, std::move(map.value())).first;
        }
        return *it->second;
    }

    ManifestView readManifest(const fs::path &path, const std::string &what)
    {
        auto map = openLocation(path.string());
        if (!map) throw FormatError(what + ": " + map.error().message);
        if (map.value()->size() > kMaxEncoded) throw FormatError(what + ": " + std::to_string(map.value()->size()) + " bytes, past what a manifest takes");
        const std::vector<uint8_t> body = decodeObject(map.value()->view(0, map.value()->size()), kManifestMagic, what);
        ByteCursor c(body, what);
        ManifestView m;
        c.take(16); // uuid
        const uint8_t kind = c.u8();
        if (kind > 1) c.fail("manifest kind " + std::to_string(kind) + " is neither single nor numbered");
        c.varint(); // max_inline_value_bytes
        c.varint(); // max_decoded_node_bytes
        const uint8_t arity = c.u8();
        if (arity == 0 || arity > 16) c.fail("version tree arity 2^" + std::to_string(arity) + " is out of range");
        if (const uint64_t method = c.varint(); method == 1) c.le(4); // zstd level
        else if (method != 0) c.fail("compression method " + std::to_string(method) + " is neither none nor zstd");
        if (kind == 1) {
            m.numbered = true;
            return m;
        }
        m.files = readDataFileTable(c, std::string());
        const uint64_t n = c.varint(uint64_t(1) << arity, "num_versions");
        if (n == 0) c.fail("lists no version");
        std::vector<uint64_t> columns(size_t(n) * 6);
        for (uint64_t i = 0; i < n; ++i) c.varint(); // generation numbers
        std::vector<uint8_t> heights(static_cast<size_t>(n));
        for (auto &h : heights) h = c.u8();
        // Column by column, n each: file ids, offsets, lengths, then the three statistics
        // (keys, tree bytes, indirect value bytes); commit times follow, unused here.
        for (auto &v : columns) v = c.varint();
        const size_t last = size_t(n - 1);
        m.root = {columns[last], columns[size_t(n) + last], columns[2 * size_t(n) + last]};
        m.numKeys = columns[3 * size_t(n) + last];
        m.rootHeight = heights[last];
        return m;
    }

    std::string latestNumberedManifest() const
    {
        std::string best;
        auto listing = listLocation(m_root.string());
        for (const std::string &name : listing ? listing->files : std::vector<std::string>()) {
            if (name.size() == 25 && name.starts_with("manifest.") &&
                std::all_of(name.begin() + 9, name.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); }) &&
                name > best)
                best = name;
        }
        if (best.empty()) throw FormatError("manifest.ocdbt defers to numbered manifests, and there is none beside it");
        return best;
    }

    static std::vector<std::string> readKeys(ByteCursor &c, uint64_t n, std::vector<uint64_t> *subtreePrefix)
    {
        std::vector<uint64_t> prefix(static_cast<size_t>(n), 0), suffix(static_cast<size_t>(n));
        for (uint64_t i = 1; i < n; ++i) prefix[i] = c.varint(kMaxKey, "key_prefix_length");
        for (auto &s : suffix) s = c.varint(kMaxKey, "key_suffix_length");
        if (subtreePrefix) {
            subtreePrefix->resize(size_t(n));
            for (auto &s : *subtreePrefix) s = c.varint(kMaxKey, "subtree_common_prefix_length");
        }
        std::vector<std::string> keys;
        keys.reserve(size_t(n));
        for (size_t i = 0; i < n; ++i) {
            const std::string_view before = i ? std::string_view(keys.back()) : std::string_view();
            if (prefix[i] > before.size()) c.fail("a key shares more with the one before than it has");
            std::string key(before.substr(0, size_t(prefix[i])));
            key += c.text(suffix[i]);
            if (key.size() > kMaxKey) c.fail("a key is past 65535 bytes");
            if (i && key <= keys.back()) c.fail("its keys are out of order");
            if (subtreePrefix && (*subtreePrefix)[i] > key.size()) c.fail("a subtree prefix is longer than its key");
            keys.push_back(std::move(key));
        }
        return keys;
    }

    void visit(const DataFile &file, const NodeRef &ref, unsigned height, const std::string &prefix)
    {
        if (++m_nodes > kMaxNodes) throw FormatError("OCDBT: the B+tree has more than 2^20 nodes to visit (a cycle of references, or a lie)");
        const std::string what = "OCDBT node at " + std::to_string(ref.offset) + " of " + file.path;
        if (ref.length > kMaxEncoded) throw FormatError(what + ": " + std::to_string(ref.length) + " bytes, past what a node takes");
        const ByteSource &map = open(file.path);
        checkRange(ref.offset, ref.length, map.size(), what.c_str());
        const std::vector<uint8_t> body = decodeObject(map.view(ref.offset, ref.length), kBtreeMagic, what);
        ByteCursor c(body, what);
        if (const unsigned h = c.u8(); h != height) c.fail("height " + std::to_string(h) + " where its parent says " + std::to_string(height));
        const std::vector<DataFile> files = readDataFileTable(c, file.transitive);
        const uint64_t n = c.varint(kMaxArity, "num_entries");
        if (n == 0) c.fail("an empty node");
        auto fileOf = [&](uint64_t id) -> const DataFile & {
            if (id >= files.size()) c.fail("names data file " + std::to_string(id) + " of " + std::to_string(files.size()));
            return files[size_t(id)];
        };
        if (height > 0) {
            std::vector<uint64_t> subtree;
            const std::vector<std::string> keys = readKeys(c, n, &subtree);
            std::vector<NodeRef> children(static_cast<size_t>(n));
            for (auto &r : children) r.file = c.varint();
            for (auto &r : children) r.offset = c.varint();
            for (auto &r : children) r.length = c.varint();
            for (uint64_t i = 0; i < 3 * n; ++i) c.varint(); // statistics
            for (size_t i = 0; i < n; ++i) visit(fileOf(children[i].file), children[i], height - 1, prefix + keys[i].substr(0, size_t(subtree[i])));
            return;
        }
        const std::vector<std::string> keys = readKeys(c, n, nullptr);
        std::vector<uint64_t> lengths(static_cast<size_t>(n));
        for (auto &l : lengths) l = c.varint();
        std::vector<uint8_t> kinds(static_cast<size_t>(n));
        for (auto &k : kinds) {
            k = c.u8();
            if (k > 1) c.fail("value kind " + std::to_string(k) + " is neither inline nor out of line");
        }
        if (m_entries.size() + n > kMaxEntries) c.fail("the database lists more than 2^24 keys");
        const size_t first = m_entries.size();
        for (size_t i = 0; i < n; ++i) {
            OcdbtEntry e;
            e.key = prefix + keys[i];
            e.inlined = kinds[i] == 0;
            e.length = lengths[i];
            if (e.inlined) {
                e.file = file.path;
                e.offset = ref.offset;
            }
            m_entries.push_back(std::move(e));
        }
        for (size_t i = 0; i < n; ++i)
            if (kinds[i]) m_entries[first + i].file = fileOf(c.varint()).path;
        for (size_t i = 0; i < n; ++i)
            if (kinds[i]) {
                OcdbtEntry &e = m_entries[first + i];
                e.offset = c.varint();
                if (e.offset + e.length < e.offset) c.fail("a value's offset and length overflow");
            }
        for (size_t i = 0; i < n; ++i)
            if (!kinds[i]) {
                const auto bytes = c.take(lengths[i]);
                m_entries[first + i].bytes.assign(bytes.begin(), bytes.end());
            }
    }

    fs::path m_root;
    std::map<std::string, std::shared_ptr<const ByteSource>> m_maps;
    std::vector<OcdbtEntry> m_entries;
    uint64_t m_nodes = 0;
};

} // namespace

bool isManifest(const uint8_t *head, size_t size)
{
    return size >= 4 && head[0] == 0x0c && head[1] == 0xdb && head[2] == 0x3a && head[3] == 0x2a;
}

std::vector<OcdbtEntry> listLatest(const std::string &root) { return Walk(root).run(); }

} // namespace ckpt::ocdbt
