#include "model/formats/gguf_reader.h"

#include "model/base/format_error.h"
#include "model/formats/chat_template_scan.h"
#include "model/formats/value_access.h"
#include "model/sources/ggml_blocks.h"

#include <bit>
#include <cctype>
#include <cstdio>
#include <map>
#include <cmath>
#include <cstring>
#include <set>
#include <sstream>

namespace ckpt {
namespace {

constexpr uint32_t kMaxDims = 4;          // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 4;         // arrays of arrays: deeper is no model's metadata
constexpr size_t kListedItems = 16;       // an array this long or shorter is shown whole
constexpr size_t kShownText = 64 << 10;   // metadata text past this is cut when shown
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint64_t kMaxKeys = 1 << 16;     // metadata keys: a few dozen in any model
constexpr uint64_t kMaxTensors = 1 << 20;  // the largest mixtures of experts have ~10^5

enum ValueType : uint32_t { U8, I8, U16, I16, U32, I32, F32, Bool, String, Array, U64, I64, F64 };

/// The smallest encoding of one value of `type`: bounds an array's count by the bytes left.
uint64_t minimumBytes(uint32_t type)
{
    switch (type) {
    case U8: case I8: case Bool: return 1;
    case U16: case I16: return 2;
    case U32: case I32: case F32: return 4;
    case String: case U64: case I64: case F64: return 8;
    case Array: return 12;
    default: return 1;
    }
}

/// The GGUF header, front to back, in the file's byte order; every count checked against the
/// bytes left before anything is sized by it.
class GgufCursor
{
public:
    GgufCursor(ByteView bytes, bool bigEndian) : m_bytes(bytes), m_big(bigEndian) {}

    uint64_t position() const { return m_pos; }
    uint64_t left() const { return m_bytes.size() - m_pos; }

    ByteView take(uint64_t n, const char *what)
    {
        if (n > left())
            throw FormatError(std::string(what) + " of " + std::to_string(n) + " bytes at byte " + std::to_string(m_pos) +
                              " runs past the end of the file");
        const ByteView out = m_bytes.subspan(size_t(m_pos), size_t(n));
        m_pos += n;
        return out;
    }
    uint64_t number(int bytes, const char *what)
    {
        const ByteView b = take(uint64_t(bytes), what);
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v = v << 8 | b[size_t(m_big ? i : bytes - 1 - i)];
        return v;
    }
    uint32_t u32(const char *what) { return uint32_t(number(4, what)); }
    uint64_t u64(const char *what) { return number(8, what); }
    std::string_view string(const char *what)
    {
        const uint64_t n = u64(what);
        const ByteView b = take(n, what);
        return {reinterpret_cast<const char *>(b.data()), b.size()};
    }
    /// A count of items of at least `each` bytes that must fit in what is left.
    uint64_t count(uint64_t n, uint64_t each, const std::string &what) const
    {
        if (n > left() / std::max<uint64_t>(each, 1))
            throw FormatError(what + " claims " + std::to_string(n) + " items, which the " + std::to_string(left()) +
                              " bytes left cannot hold");
        return n;
    }

private:
    ByteView m_bytes;
    bool m_big;
    uint64_t m_pos = 0;
};

std::string typeName(uint32_t t)
{
    static const char *const names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};
    return t < 13 ? names[t] : "type " + std::to_string(t);
}

std::string quoted(std::string_view s)
{
    std::string out = "\"";
    for (char c : s.substr(0, 48)) out += c == '\n' ? std::string("\\n") : std::string(1, c);
    return out + (s.size() > 48 ? "...\"" : "\"");
}

/// A metadata value as text; arrays past kListedItems summarised by their count and first items.
class MetadataReader
{
public:
    explicit MetadataReader(GgufCursor &c) : m_c(c) {}

    std::string value(uint32_t type, const std::string &key, int depth)
    {
        switch (type) {
        case U8: return std::to_string(m_c.number(1, key.c_str()));
        case I8: return std::to_string(int8_t(m_c.number(1, key.c_str())));
        case U16: return std::to_string(m_c.number(2, key.c_str()));
        case I16: return std::to_string(int16_t(m_c.number(2, key.c_str())));
        case U32: return std::to_string(m_c.number(4, key.c_str()));
        case I32: return std::to_string(int32_t(m_c.number(4, key.c_str())));
        case U64: return std::to_string(m_c.number(8, key.c_str()));
        case I64: return std::to_string(int64_t(m_c.number(8, key.c_str())));
        case F32: return number(double(std::bit_cast<float>(uint32_t(m_c.number(4, key.c_str())))));
        case F64: return number(std::bit_cast<double>(m_c.number(8, key.c_str())));
        case Bool: {
            const uint64_t b = m_c.number(1, key.c_str());
            if (b > 1) throw FormatError(key + ": a bool of value " + std::to_string(b));
            return b ? "true" : "false";
        }
        case String: {
            const std::string_view s = m_c.string(key.c_str());
            return std::string(s.substr(0, kShownText)) + (s.size() > kShownText ? " [... " + std::to_string(s.size()) + " bytes]" : "");
        }
        case Array: {
            if (depth >= kMaxArrayDepth) throw FormatError(key + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth));
            const uint32_t itemType = m_c.u32(key.c_str());
            if (itemType > F64) throw FormatError(key + ": an array of unknown value type " + std::to_string(itemType));
            const uint64_t n = m_c.count(m_c.u64(key.c_str()), minimumBytes(itemType), key);
            std::string out = n > kListedItems ? "[" + std::to_string(n) + " " + typeName(itemType) + (itemType == String ? "s" : " values") + ": " : "[";
            const uint64_t shown = n <= kListedItems ? n : 3;
            for (uint64_t i = 0; i < shown; ++i) {
                std::string item = value(itemType, key, depth + 1);
                out += (i ? ", " : "") + (itemType == String ? quoted(std::string_view(item)) : item);
            }
            if (shown < n) {
                out += ", ...";
                if (itemType == String || itemType == Array) {
                    for (uint64_t i = shown; i < n; ++i) value(itemType, key, depth + 1); // each sized by its own header
                } else {
                    m_c.take((n - shown) * minimumBytes(itemType), key.c_str()); // fixed-size items: skipped at once
                }
            }
            return out + "]";
        }
        default: throw FormatError(key + ": unknown value type " + std::to_string(type));
        }
    }

private:
    static std::string number(double v)
    {
        std::ostringstream s;
        s.precision(9);
        s << v;
        return s.str();
    }

    GgufCursor &m_c;
};

std::optional<DType> plainDtype(uint32_t ggml)
{
    switch (ggml) {
    case 0: return DType::Float32;
    case 1: return DType::Float16;
    case 30: return DType::BFloat16;
    case 24: return DType::Int8;
    case 25: return DType::Int16;
    case 26: return DType::Int32;
    case 27: return DType::Int64;
    case 28: return DType::Float64;
    default: return std::nullopt;
    }
}

/// One GGUF file, d.files[file], read into d: its tensors added to d.root (names unique across
/// `names`), its metadata into `meta`. Its byte order must be d's when `file` > 0.
void readOne(CheckpointData &d, int file, std::map<std::string, std::string> &meta, std::set<std::string> &names)
{
    const ByteSource &source = *d.files[size_t(file)].source;
    const uint64_t size = source.size();
    const ByteView bytes = source.view(0, size);
    if (size < 8 || std::memcmp(bytes.data(), "GGUF", 4) != 0) throw FormatError("no GGUF magic at its start");
    // The version tells the byte order: a big-endian file's 3 reads as 0x03000000 here.
    const uint32_t littleVersion = uint32_t(bytes[4]) | uint32_t(bytes[5]) << 8 | uint32_t(bytes[6]) << 16 | uint32_t(bytes[7]) << 24;
    const bool big = (littleVersion & 0xffff) == 0 && littleVersion != 0;
    GgufCursor c(bytes, big);
    c.take(4, "the magic");
    const uint32_t version = c.u32("the version");
    if (version == 1) throw FormatError("GGUF version 1, which llama.cpp no longer reads either");
    if (version != 2 && version != 3) throw FormatError("GGUF version " + std::to_string(version) + ", not 2 or 3");
    if (file > 0 && big != d.bigEndian) throw FormatError("its byte order differs from the first split's");
    d.bigEndian = big;
    meta["gguf.version"] = std::to_string(version) + (big ? " (big-endian)" : "");
    const uint64_t tensorCount = c.u64("the tensor count");
    const uint64_t keyCount = c.u64("the metadata count");
    c.count(keyCount, 12, "the metadata count"); // a key (8-byte length) and a type at least
    c.count(tensorCount, 24, "the tensor count"); // name length, dims, type, offset at least
    if (keyCount > kMaxKeys) throw FormatError(std::to_string(keyCount) + " metadata keys, past the " + std::to_string(kMaxKeys) + " read here");
    if (tensorCount > kMaxTensors) throw FormatError(std::to_string(tensorCount) + " tensors, past the " + std::to_string(kMaxTensors) + " read here");
    uint64_t alignment = kDefaultAlignment;
    MetadataReader metadata(c);
    for (uint64_t i = 0; i < keyCount; ++i) {
        const std::string key(c.string("a metadata key"));
        const uint32_t type = c.u32(key.c_str());
        if (key == "general.alignment") {
            if (meta.count(key)) throw FormatError("metadata key general.alignment is given twice");
            if (type != U32) throw FormatError("general.alignment is a " + typeName(type) + ", not a u32");
            alignment = c.u32("general.alignment");
            if (alignment == 0 || (alignment & (alignment - 1)))
                throw FormatError("general.alignment " + std::to_string(alignment) + " is not a power of 2");
            meta[key] = std::to_string(alignment);
            continue;
        }
        if (meta.count(key)) throw FormatError("metadata key " + key + " is given twice");
        if (type == String && key.starts_with("tokenizer.chat_template")) {
            // Jinja that loaders render: scanned whole, shown cut.
            const std::string_view text = c.string(key.c_str());
            scanChatTemplate(d.safety, text, key);
            meta[key] = std::string(text.substr(0, kShownText)) + (text.size() > kShownText ? " [...]" : "");
            continue;
        }
        meta[key] = metadata.value(type, key, 0);
    }
    struct Info
    {
        std::string_view name;
        std::vector<int64_t> shape;
        const GgmlType *type = nullptr;
        uint64_t offset = 0, bytes = 0;
    };
    std::vector<Info> infos;
    for (uint64_t i = 0; i < tensorCount; ++i) {
        Info t;
        t.name = c.string("a tensor name");
        const std::string name(t.name);
        if (!names.insert(name).second) throw FormatError("tensor " + name + " is listed twice");
        const uint32_t dims = c.u32(name.c_str());
        if (dims > kMaxDims) throw FormatError(name + ": " + std::to_string(dims) + " dimensions, past ggml's " + std::to_string(kMaxDims));
        std::vector<uint64_t> ne(dims);
        for (auto &n : ne) n = c.u64(name.c_str());
        const uint32_t type = c.u32(name.c_str());
        t.type = ggmlType(type);
        if (!t.type) throw FormatError(name + ": ggml type " + std::to_string(type) + ", which ggml does not have");
        t.offset = c.u64(name.c_str());
        for (auto it = ne.rbegin(); it != ne.rend(); ++it) {
            if (*it > uint64_t(INT64_MAX)) throw FormatError(name + ": a dimension past 2^63");
            t.shape.push_back(int64_t(*it));
        }
        int64_t numel = 1;
        if (!checkedNumel(t.shape, numel)) throw FormatError(name + ": its shape overflows");
        if (!ne.empty() && ne[0] % t.type->blockElements)
            throw FormatError(name + ": its rows of " + std::to_string(ne[0]) + " do not fill " + std::string(t.type->name) +
                              " blocks of " + std::to_string(t.type->blockElements));
        const uint64_t blocks = uint64_t(numel) / t.type->blockElements;
        if (blocks > UINT64_MAX / t.type->blockBytes) throw FormatError(name + ": its size overflows");
        t.bytes = blocks * t.type->blockBytes;
        if (t.offset % alignment) throw FormatError(name + ": offset " + std::to_string(t.offset) + " is not aligned to " + std::to_string(alignment));
        infos.push_back(std::move(t));
    }
    const uint64_t dataStart = (c.position() + alignment - 1) / alignment * alignment;
    meta["gguf.data_offset"] = std::to_string(dataStart);
    for (const Info &t : infos) {
        const std::string name(t.name);
        if (dataStart > size || t.offset > size - dataStart || t.bytes > size - dataStart - t.offset)
            throw FormatError(name + ": its " + std::to_string(t.bytes) + " bytes at offset " + std::to_string(t.offset) +
                              " run past the end of the file");
        TensorInfo info;
        StorageInfo s;
        s.key = name;
        s.location = "cpu";
        s.file = file;
        s.byteOffset = dataStart + t.offset;
        info.shape = t.shape;
        const auto plain = plainDtype(t.type->id);
        // A big-endian file's blocks: their half fields swapped, as gguf_convert_endian.py writes them.
        const bool decoded = t.type->dequantized && (!big || bigEndianHalves(*t.type));
        if (plain) {
            info.dtype = *plain;
        } else if (decoded) {
            // Read as the float32 values its blocks dequantize to.
            info.dtype = DType::Float32;
            info.encoding = t.type->name;
            s.compressedItem = int(d.compressedItems.size());
            s.mapped = false;
            s.byteOffset = 0;
            d.compressedItems.push_back(
                {file, dataStart + t.offset, t.bytes, "ggml." + std::string(t.type->name) + (big ? ".be" : "")});
        } else {
            info.dtype = DType::UInt8;
            info.encoding = t.type->name;
            info.shape = {int64_t(t.bytes / t.type->blockBytes), int64_t(t.type->blockBytes)};
            d.warnings.push_back(name + ": " + std::string(t.type->name) + (big ? " in a big-endian file" : "") +
                                 " is not decoded here; listed as its raw blocks (uint8, one row per block)");
        }
        int64_t numel = 1;
        checkedNumel(info.shape, numel);
        info.strides = contiguousStrides(info.shape);
        s.dtype = info.dtype;
        s.numel = numel;
        s.byteLength = s.nbytes();
        info.storage = int(d.storages.size());
        d.storages.push_back(std::move(s));
        Value *v = d.arena->make(ValueKind::Tensor);
        v->index = int(d.tensors.size());
        d.tensors.push_back(std::move(info));
        d.root->items.push_back(stringValue(*d.arena, t.name));
        d.root->items.push_back(v);
    }
}

/// A split's name, `<prefix>-00002-of-00003.gguf`: its prefix, number and count (1-based).
struct SplitName
{
    std::string prefix;
    int number = 0, count = 0;
};

std::optional<SplitName> splitName(const std::string &path)
{
    // "-NNNNN-of-NNNNN.gguf" is 20 characters.
    if (path.size() < 20 || !path.ends_with(".gguf")) return std::nullopt;
    const std::string tail = path.substr(path.size() - 20);
    auto digits = [&](size_t at) {
        int v = 0;
        for (size_t k = at; k < at + 5; ++k) {
            if (!std::isdigit(static_cast<unsigned char>(tail[k]))) return -1;
            v = v * 10 + (tail[k] - '0');
        }
        return v;
    };
    if (tail[0] != '-' || tail.compare(6, 4, "-of-") != 0) return std::nullopt;
    const int number = digits(1), count = digits(10);
    if (number < 1 || count < 1 || number > count) return std::nullopt;
    return SplitName{path.substr(0, path.size() - 20), number, count};
}

std::string splitPath(const SplitName &s, int number)
{
    char tail[32];
    std::snprintf(tail, sizeof tail, "-%05d-of-%05d.gguf", number, s.count);
    return s.prefix + tail;
}

} // namespace

Recognition GgufReader::recogniseFile(const FileProbe &probe) const
{
    const ByteView h = probe.head;
    if (h.size() >= 4 && std::memcmp(h.data(), "GGUF", 4) == 0) return {95, "starts with GGUF", {}, {}};
    if (probe.path.ends_with(".gguf")) return {100, "named *.gguf", {}, {}};
    return {};
}

CheckpointData GgufReader::readFile(SourceFile file, const FormatRegistry &) const
{
    CheckpointData d;
    d.format = "gguf";
    for (auto *v : {&d.safety.torch113, &d.safety.torch2}) v->applicable = false; // llama.cpp reads it, not torch.load
    d.root = d.arena->make(ValueKind::Dict);
    std::set<std::string> names;
    const auto split = splitName(file.path);
    if (!split || split->count == 1) {
        d.files.push_back(file);
        readOne(d, 0, d.metadata, names);
        return d;
    }
    // A split model (gguf-split): every split, from the first, read as one; the metadata is
    // the first split's, each split's split.no checked against its name.
    std::map<std::string, int> opened;
    for (int n = 1; n <= split->count; ++n) {
        const std::string path = splitPath(*split, n);
        const std::string label = "split " + std::to_string(n) + " of " + std::to_string(split->count) + " (" + path + ")";
        if (path == file.path) { // the one opened already: no second mapping
            opened.emplace(path, int(d.files.size()));
            d.files.push_back(file);
        }
        const int index = openedFile(d, opened, path, label);
        std::map<std::string, std::string> meta;
        try {
            readOne(d, index, meta, names);
        } catch (const FormatError &e) {
            throw FormatError(label + ": " + e.what());
        }
        if (const auto it = meta.find("split.no"); it != meta.end() && it->second != std::to_string(n - 1))
            throw FormatError(label + ": its split.no is " + it->second);
        if (n == 1) d.metadata = std::move(meta);
    }
    if (const auto it = d.metadata.find("split.tensors.count"); it != d.metadata.end() && it->second != std::to_string(names.size()))
        throw FormatError("the splits hold " + std::to_string(names.size()) + " tensors, the first says " + it->second);
    return d;
}

std::vector<GgufRecord> ggufMetadataRecords(ByteView bytes)
{
    if (bytes.size() < 24 || std::memcmp(bytes.data(), "GGUF", 4) != 0) throw FormatError("no GGUF magic at its start");
    if (bytes[4] == 0 && bytes[5] == 0) throw FormatError("a big-endian GGUF, whose metadata is not carried into a little-endian one");
    GgufCursor c(bytes, false);
    c.take(8, "the header");
    c.u64("the tensor count");
    const uint64_t keys = c.count(c.u64("the metadata count"), 12, "the metadata count");
    if (keys > kMaxKeys) throw FormatError(std::to_string(keys) + " metadata keys, past the " + std::to_string(kMaxKeys) + " read here");
    std::vector<GgufRecord> out;
    MetadataReader values(c);
    for (uint64_t i = 0; i < keys; ++i) {
        std::string key(c.string("a metadata key"));
        const uint64_t at = c.position();
        values.value(c.u32(key.c_str()), key, 0);
        if (key == "general.alignment" || key.starts_with("split.")) continue;
        out.push_back({std::move(key), std::string(reinterpret_cast<const char *>(bytes.data()) + at, size_t(c.position() - at))});
    }
    return out;
}

} // namespace ckpt
