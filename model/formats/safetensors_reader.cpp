#include "model/formats/safetensors_reader.h"

#include "model/base/format_error.h"
#include "model/base/json_document.h"
#include "model/base/name_index.h"

#include <algorithm>
#include <cstring>

// The header is read as the reference implementation (the safetensors crate: serde_json into
// a struct with a flattened map) reads it, so that exactly the files it accepts open and list
// what it lists: any JSON whitespace around the object, nesting up to 127 levels, unknown
// fields ignored, an entry written as a [dtype, shape, data_offsets] list, a dtype written as
// {"F32": null}, "__metadata__": null; a tensor named twice counts by its last entry, a field
// named twice or "__metadata__" given twice is an error. One linear pass (JsonDocument).

namespace ckpt {
namespace {

constexpr uint64_t kReferenceMaxHeader = 100'000'000; // the reference refuses larger headers
constexpr uint64_t kMaxHeader = uint64_t(1) << 30;    // ours: the parsed header takes ~3x its size

using Kind = JsonDocument::Kind;

struct Item
{
    std::string_view name;
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    uint64_t begin = 0;
    uint64_t end = 0;
};

[[noreturn]] void bad(const std::string &what)
{
    throw FormatError("safetensors: " + what);
}

uint64_t whole(const JsonDocument::Node &v, std::string_view name, const char *field)
{
    if (v.kind != Kind::UInt)
        bad("tensor " + std::string(name) + ": " + field + " must be whole numbers, not " +
            std::string(jsonKindName(v.kind)));
    return v.value;
}

DType parseDtype(const JsonDocument &doc, const JsonDocument::Node &v, std::string_view name)
{
    std::string_view code;
    if (v.kind == Kind::String) {
        code = doc.string(v);
    } else if (v.kind == Kind::Object && v.count == 1 && doc.node(doc.children(v)[1]).kind == Kind::Null) {
        code = doc.string(doc.node(doc.children(v)[0])); // serde's other spelling of a unit variant
    } else {
        bad("tensor " + std::string(name) + " has no dtype");
    }
    const auto dtype = dtypeFromSafetensors(code);
    if (!dtype) bad("tensor " + std::string(name) + " has unknown dtype " + std::string(code));
    return *dtype;
}

std::vector<int64_t> parseShape(const JsonDocument &doc, const JsonDocument::Node &v, std::string_view name)
{
    if (v.kind != Kind::Array) bad("tensor " + std::string(name) + " has no shape");
    std::vector<int64_t> shape;
    shape.reserve(v.count);
    for (uint32_t c : doc.children(v)) {
        const uint64_t d = whole(doc.node(c), name, "shape");
        // The reference takes any u64; a PyTorch size cannot hold one past 2^63 - 1.
        if (d > uint64_t(INT64_MAX)) bad("tensor " + std::string(name) + ": dimension " + std::to_string(d) + " is larger than a PyTorch size holds");
        shape.push_back(int64_t(d));
    }
    return shape;
}

void parseOffsets(const JsonDocument &doc, const JsonDocument::Node &v, Item &item)
{
    if (v.kind != Kind::Array || v.count != 2)
        bad("tensor " + std::string(item.name) + " needs data_offsets [begin, end]");
    item.begin = whole(doc.node(doc.children(v)[0]), item.name, "data_offsets");
    item.end = whole(doc.node(doc.children(v)[1]), item.name, "data_offsets");
}

Item parseItem(const JsonDocument &doc, std::string_view name, const JsonDocument::Node &v)
{
    Item item;
    item.name = name;
    const auto fields = doc.children(v);
    if (v.kind == Kind::Array) {
        if (v.count != 3) bad("tensor " + std::string(name) + " is a list of " + std::to_string(v.count) + " values, not [dtype, shape, data_offsets]");
        item.dtype = parseDtype(doc, doc.node(fields[0]), name);
        item.shape = parseShape(doc, doc.node(fields[1]), name);
        parseOffsets(doc, doc.node(fields[2]), item);
    } else if (v.kind == Kind::Object) {
        bool seen[3] = {false, false, false};
        for (size_t i = 0; i < fields.size(); i += 2) {
            const std::string_view key = doc.string(doc.node(fields[i]));
            const JsonDocument::Node &value = doc.node(fields[i + 1]);
            const int field = key == "dtype" ? 0 : key == "shape" ? 1 : key == "data_offsets" ? 2 : -1;
            if (field < 0) continue; // unknown fields are ignored, as by the reference
            if (seen[field]) bad("tensor " + std::string(name) + ": " + std::string(key) + " is given twice");
            seen[field] = true;
            if (field == 0) item.dtype = parseDtype(doc, value, name);
            else if (field == 1) item.shape = parseShape(doc, value, name);
            else parseOffsets(doc, value, item);
        }
        if (!seen[0]) bad("tensor " + std::string(name) + " has no dtype");
        if (!seen[1]) bad("tensor " + std::string(name) + " has no shape");
        if (!seen[2]) bad("tensor " + std::string(name) + " needs data_offsets [begin, end]");
    } else {
        bad("tensor " + std::string(name) + " is not an object");
    }
    if (item.end < item.begin) bad("tensor " + std::string(name) + ": data_offsets end before they begin");
    unsigned __int128 numel = 1;
    for (int64_t d : item.shape) {
        numel *= uint64_t(d);
        if (numel > UINT64_MAX) bad("tensor " + std::string(name) + ": impossible shape");
    }
    const unsigned __int128 bits = numel * unsigned(dtypeBits(item.dtype));
    if (bits > UINT64_MAX) bad("tensor " + std::string(name) + ": impossible shape");
    if (bits % 8) bad("tensor " + std::string(name) + ": shape does not fill whole bytes");
    if (bits / 8 != item.end - item.begin)
        bad("tensor " + std::string(name) + ": " + std::to_string(item.end - item.begin) +
            " bytes given, shape and dtype need " + std::to_string(uint64_t(bits / 8)));
    return item;
}

JsonDocument parseHeader(std::string_view text)
{
    try {
        return JsonDocument::parse(text);
    } catch (const JsonDocument::Error &e) {
        bad(std::string("header is not valid JSON (") + e.what() + " at byte " + std::to_string(e.offset()) + ")");
    }
}

} // namespace

Recognition SafetensorsReader::recogniseFile(const FileProbe &probe) const
{
    if (probe.path.ends_with(".safetensors")) return {100, "named *.safetensors", {}, {}};
    if (probe.head.size() < 9 || probe.head[8] != '{') return {};
    uint64_t n = 0;
    std::memcpy(&n, probe.head.data(), 8);
    if (n < 2) return {};
    return {70, "a header length and then '{'", {}, {}};
}

CheckpointData SafetensorsReader::readFile(SourceFile file, const FormatRegistry &) const
{
    const ByteSource &source = *file.source;
    const uint64_t size = source.size();
    if (size == 0) throw FormatError("empty file");
    if (size < 8) bad("file is shorter than the 8-byte header length");
    uint64_t n = 0;
    std::memcpy(&n, source.view(0, 8).data(), 8);
    if (n > kMaxHeader) bad("header length " + std::to_string(n) + " exceeds 1 GiB");
    if (n > size - 8) bad("header length " + std::to_string(n) + " runs past the end of the file");
    const ByteView headerBytes = source.view(8, n);
    const JsonDocument header = parseHeader({reinterpret_cast<const char *>(headerBytes.data()), headerBytes.size()});
    if (header.root().kind != Kind::Object) bad("header is not a JSON object");

    CheckpointData d;
    d.format = "safetensors";
    if (n > kReferenceMaxHeader)
        d.warnings.push_back("the header is " + std::to_string(n) +
                             " bytes: the reference safetensors refuses headers over 100,000,000 bytes");
    std::vector<Item> items;
    const auto members = header.children(header.root());
    NameIndex byName(members.size() / 2);
    bool metadataSeen = false;
    size_t repeated = 0;
    items.reserve(members.size() / 2);
    for (size_t i = 0; i < members.size(); i += 2) {
        const std::string_view name = header.string(header.node(members[i]));
        const JsonDocument::Node &value = header.node(members[i + 1]);
        if (name == "__metadata__") {
            if (metadataSeen) bad("__metadata__ is given twice");
            metadataSeen = true;
            if (value.kind == Kind::Null) continue;
            if (value.kind != Kind::Object) bad("__metadata__ is not an object");
            const auto entries = header.children(value);
            for (size_t k = 0; k < entries.size(); k += 2) {
                const std::string key(header.string(header.node(entries[k])));
                const JsonDocument::Node &v = header.node(entries[k + 1]);
                if (v.kind != Kind::String) bad("__metadata__ value of " + key + " is not a string");
                d.metadata[key] = std::string(header.string(v)); // a key given twice: the last counts
            }
            continue;
        }
        Item item = parseItem(header, name, value);
        const uint32_t at = byName.findOrInsert(name, uint32_t(items.size()), [&](uint32_t i) { return items[i].name; });
        if (at == items.size()) {
            items.push_back(std::move(item));
        } else {
            items[at] = std::move(item);
            ++repeated;
        }
    }
    if (repeated)
        d.warnings.push_back(std::to_string(repeated) + " tensor names are given twice in the header; "
                             "the last entry of each counts, as in the reference");
    std::stable_sort(items.begin(), items.end(), [](const Item &a, const Item &b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t expected = 0;
    for (const auto &item : items) {
        if (item.begin > expected) bad("gap in the data before tensor " + std::string(item.name));
        if (item.begin < expected) bad("tensor " + std::string(item.name) + " overlaps the one before it");
        expected = item.end;
    }
    if (expected != size - 8 - n)
        bad("data holds " + std::to_string(size - 8 - n) + " bytes, the header describes " +
            std::to_string(expected));

    d.files.push_back(std::move(file));
    d.root = d.arena->make(ValueKind::Dict);
    for (auto &item : items) {
        StorageInfo s;
        s.key = std::string(item.name);
        s.dtype = item.dtype;
        s.location = "cpu";
        checkedNumel(item.shape, s.numel);
        s.byteOffset = 8 + n + item.begin;
        s.byteLength = item.end - item.begin;
        d.storages.push_back(std::move(s));

        TensorInfo t;
        t.dtype = item.dtype;
        t.strides.assign(item.shape.size(), 1);
        for (size_t i = item.shape.size(); i-- > 1;) t.strides[i - 1] = t.strides[i] * item.shape[i];
        t.shape = std::move(item.shape);
        t.storage = int(d.storages.size() - 1);
        d.tensors.push_back(std::move(t));

        Value *key = d.arena->make(ValueKind::String);
        key->text = d.arena->keep(std::string(item.name));
        Value *tensor = d.arena->make(ValueKind::Tensor);
        tensor->index = int(d.tensors.size() - 1);
        d.root->items.push_back(key);
        d.root->items.push_back(tensor);
    }
    d.safety.torch113.applicable = false;
    d.safety.torch2.applicable = false;
    return d;
}

} // namespace ckpt
