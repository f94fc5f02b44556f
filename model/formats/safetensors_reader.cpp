#include "model/formats/safetensors_reader.h"

#include "model/base/format_error.h"
#include "model/base/json_reader.h"
#include "model/base/name_index.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <deque>
#include <map>
#include <span>

// The header is read as the reference implementation (the safetensors crate: serde_json into
// a struct with a flattened map) reads it, so that exactly the files it accepts open and list
// what it lists: any JSON whitespace around the object, nesting up to 127 levels, unknown
// fields ignored, an entry written as a [dtype, shape, data_offsets] list, a dtype written as
// {"F32": null}, "__metadata__": null; a tensor named twice counts by its last entry, a field
// named twice or "__metadata__" given twice is an error. One linear pass (JsonReader), no tree.

namespace ckpt {
namespace {

constexpr uint64_t kReferenceMaxHeader = 100'000'000; // the reference refuses larger headers
constexpr uint64_t kMaxHeader = uint64_t(1) << 30;    // ours: the parsed header takes ~3x its size

using Kind = JsonReader::Kind;

struct Item
{
    std::string_view name;
    DType dtype = DType::Unknown;
    uint32_t shapeAt = 0; ///< the dimensions: Header::dims[shapeAt, shapeAt + rank)
    uint32_t rank = 0;
    uint64_t begin = 0;
    uint64_t end = 0;
};

[[noreturn]] void bad(const std::string &what)
{
    throw FormatError("safetensors: " + what);
}

/// The header's tensors, read straight from the text (no tree: a header can hold millions).
class HeaderParser final
{
public:
    explicit HeaderParser(std::string_view text) : m_reader(text) {}

    std::vector<Item> items;
    std::vector<int64_t> dims;
    std::map<std::string, std::string> metadata;
    size_t repeated = 0; ///< tensor names given twice (the last entry counts)

    void run()
    {
        if (m_reader.next() != Kind::Object) bad("header is not a JSON object");
        NameIndex byName(1024);
        bool metadataSeen = false;
        while (m_reader.more()) {
            if (m_reader.key() == "__metadata__") {
                if (metadataSeen) bad("__metadata__ is given twice");
                metadataSeen = true;
                readMetadata();
                continue;
            }
            const std::string_view name = keptKey();
            Item item;
            if (!readWrittenItem(name, item)) item = readItem(name);
            const uint32_t at = byName.findOrInsert(item.name, uint32_t(items.size()), [&](uint32_t i) { return items[i].name; });
            if (at == items.size()) {
                items.push_back(item);
            } else {
                items[at] = item;
                ++repeated;
            }
        }
        m_reader.finish();
    }

private:
    // A tensor's name stays a view into the text, or, when it held escapes, into m_escaped.
    std::string_view keptKey()
    {
        if (m_reader.keyInText()) return m_reader.key();
        return m_escaped.emplace_back(m_reader.key());
    }

    void readMetadata()
    {
        const Kind kind = m_reader.next();
        if (kind == Kind::Null) return;
        if (kind != Kind::Object) bad("__metadata__ is not an object");
        while (m_reader.more()) {
            std::string key(m_reader.key());
            if (m_reader.next() != Kind::String) bad("__metadata__ value of " + key + " is not a string");
            metadata[std::move(key)] = std::string(m_reader.string()); // a key given twice: the last counts
        }
    }

    uint64_t whole(Kind kind, std::string_view name, const char *field)
    {
        if (kind != Kind::UInt)
            bad("tensor " + std::string(name) + ": " + field + " must be whole numbers, not " + std::string(jsonKindName(kind)));
        return m_reader.number();
    }

    DType readDtype(Kind kind, std::string_view name)
    {
        std::string_view code;
        if (kind == Kind::String) {
            code = m_reader.string();
        } else if (kind == Kind::Object && m_reader.more()) {
            // serde's other spelling of a unit variant: {"F32": null}
            code = m_reader.key();
            if (m_reader.next() != Kind::Null || m_reader.more()) bad("tensor " + std::string(name) + " has no dtype");
        } else {
            bad("tensor " + std::string(name) + " has no dtype");
        }
        const auto dtype = dtypeFromSafetensors(code);
        if (!dtype) bad("tensor " + std::string(name) + " has unknown dtype " + std::string(code));
        return *dtype;
    }

    void readShape(Kind kind, Item &item)
    {
        if (kind != Kind::Array) bad("tensor " + std::string(item.name) + " has no shape");
        item.shapeAt = uint32_t(dims.size());
        item.rank = 0;
        while (m_reader.more()) {
            const uint64_t d = whole(m_reader.next(), item.name, "shape");
            // The reference takes any u64; a PyTorch size cannot hold one past 2^63 - 1.
            if (d > uint64_t(INT64_MAX))
                bad("tensor " + std::string(item.name) + ": dimension " + std::to_string(d) + " is larger than a PyTorch size holds");
            dims.push_back(int64_t(d));
            ++item.rank;
        }
    }

    void readOffsets(Kind kind, Item &item)
    {
        const auto fail = [&] { bad("tensor " + std::string(item.name) + " needs data_offsets [begin, end]"); };
        if (kind != Kind::Array || !m_reader.more()) fail();
        item.begin = whole(m_reader.next(), item.name, "data_offsets");
        if (!m_reader.more()) fail();
        item.end = whole(m_reader.next(), item.name, "data_offsets");
        if (m_reader.more()) fail();
    }

    /// An entry as writers write one, read straight from the text:
    /// {"dtype":"F16","shape":[16,8],"data_offsets":[8,264]} in this order, JSON whitespace
    /// allowed between the tokens (serde_json writes none, Python's json a space), keys and
    /// dtype without escapes, plain whole numbers of up to 18 digits. False, with nothing
    /// consumed, for anything else, which readItem() then reads with every rule.
    bool readWrittenItem(std::string_view name, Item &item)
    {
        const std::string_view text = m_reader.rest();
        size_t at = 0;
        const auto space = [&] {
            while (at < text.size() && JsonReader::isSpace(text[at])) ++at;
        };
        const auto token = [&](std::string_view word) { // after any whitespace
            space();
            if (text.substr(at, word.size()) != word) return false;
            at += word.size();
            return true;
        };
        const auto number = [&](uint64_t &out) {
            space();
            const size_t first = at;
            uint64_t v = 0;
            while (at < text.size() && at - first < 19 && text[at] >= '0' && text[at] <= '9') v = v * 10 + uint64_t(text[at++] - '0');
            const size_t digits = at - first;
            out = v;
            return digits > 0 && digits <= 18 && (digits == 1 || text[first] != '0');
        };
        space();
        const size_t valueAt = at;
        if (!token("{") || !token(R"("dtype")") || !token(":") || !token("\"")) return false;
        const size_t codeAt = at;
        while (at < text.size() && ((text[at] >= 'A' && text[at] <= 'Z') || (text[at] >= '0' && text[at] <= '9') || text[at] == '_')) ++at;
        const auto dtype = dtypeFromSafetensors(text.substr(codeAt, at - codeAt));
        if (!dtype || at >= text.size() || text[at++] != '"') return false; // the code ends the string
        if (!token(",") || !token(R"("shape")") || !token(":") || !token("[")) return false;
        const size_t dimsBefore = dims.size();
        const auto fallBack = [&] {
            dims.resize(dimsBefore);
            return false;
        };
        item = Item{};
        item.name = name;
        item.dtype = *dtype;
        item.shapeAt = uint32_t(dimsBefore);
        if (!token("]")) {
            for (;;) {
                uint64_t d = 0;
                if (!number(d)) return fallBack();
                dims.push_back(int64_t(d));
                ++item.rank;
                if (token("]")) break;
                if (!token(",")) return fallBack();
            }
        }
        if (!token(",") || !token(R"("data_offsets")") || !token(":") || !token("[") || !number(item.begin) ||
            !token(",") || !number(item.end) || !token("]") || !token("}"))
            return fallBack();
        m_reader.skipValue(valueAt, at);
        check(item);
        return true;
    }

    Item readItem(std::string_view name)
    {
        Item item;
        item.name = name;
        const Kind kind = m_reader.next();
        if (kind == Kind::Array) {
            size_t count = 0;
            for (; m_reader.more(); ++count) {
                const Kind part = m_reader.next();
                if (count == 0) item.dtype = readDtype(part, name);
                else if (count == 1) readShape(part, item);
                else if (count == 2) readOffsets(part, item);
                else if (part == Kind::Array || part == Kind::Object) m_reader.skip();
            }
            if (count != 3) bad("tensor " + std::string(name) + " is a list of " + std::to_string(count) + " values, not [dtype, shape, data_offsets]");
        } else if (kind == Kind::Object) {
            bool seen[3] = {false, false, false};
            while (m_reader.more()) {
                const std::string_view key = m_reader.key();
                const int field = key == "dtype" ? 0 : key == "shape" ? 1 : key == "data_offsets" ? 2 : -1;
                const Kind value = m_reader.next();
                if (field < 0) { // unknown fields are ignored, as by the reference
                    if (value == Kind::Array || value == Kind::Object) m_reader.skip();
                    continue;
                }
                if (seen[field]) bad("tensor " + std::string(name) + ": " + std::string(key) + " is given twice");
                seen[field] = true;
                if (field == 0) item.dtype = readDtype(value, name);
                else if (field == 1) readShape(value, item);
                else readOffsets(value, item);
            }
            if (!seen[0]) bad("tensor " + std::string(name) + " has no dtype");
            if (!seen[1]) bad("tensor " + std::string(name) + " has no shape");
            if (!seen[2]) bad("tensor " + std::string(name) + " needs data_offsets [begin, end]");
        } else {
            bad("tensor " + std::string(name) + " is not an object");
        }
        check(item);
        return item;
    }

    void check(const Item &item) const
    {
        const std::string_view name = item.name;
        if (item.end < item.begin) bad("tensor " + std::string(name) + ": data_offsets end before they begin");
        unsigned __int128 numel = 1;
        for (uint32_t i = 0; i < item.rank; ++i) {
            numel *= uint64_t(dims[item.shapeAt + i]);
            if (numel > UINT64_MAX) bad("tensor " + std::string(name) + ": impossible shape");
        }
        const unsigned __int128 bits = numel * unsigned(dtypeBits(item.dtype));
        if (bits > UINT64_MAX) bad("tensor " + std::string(name) + ": impossible shape");
        if (bits % 8) bad("tensor " + std::string(name) + ": shape does not fill whole bytes");
        if (bits / 8 != item.end - item.begin)
            bad("tensor " + std::string(name) + ": " + std::to_string(item.end - item.begin) +
                " bytes given, shape and dtype need " + std::to_string(uint64_t(bits / 8)));
    }

    JsonReader m_reader;
    std::deque<std::string> m_escaped;
};

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
    // The parser checks the header's UTF-8 as it is made: that is inside the try too.
    std::optional<HeaderParser> parsed;
    try {
        parsed.emplace(std::string_view{reinterpret_cast<const char *>(headerBytes.data()), headerBytes.size()});
        parsed->run();
    } catch (const JsonReader::Error &e) {
        bad(std::string("header is not valid JSON (") + e.what() + " at byte " + std::to_string(e.offset()) + ")");
    }
    HeaderParser &header = *parsed;

    CheckpointData d;
    d.format = "safetensors";
    if (n > kReferenceMaxHeader)
        d.warnings.push_back("the header is " + std::to_string(n) +
                             " bytes: the reference safetensors refuses headers over 100,000,000 bytes");
    d.metadata = std::move(header.metadata);
    std::vector<Item> &items = header.items;
    if (header.repeated)
        d.warnings.push_back(std::to_string(header.repeated) + " tensor names are given twice in the header; "
                             "the last entry of each counts, as in the reference");
    const auto byOffset = [](const Item &a, const Item &b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    };
    if (!std::is_sorted(items.begin(), items.end(), byOffset)) // as writers write them: no sort
        std::stable_sort(items.begin(), items.end(), byOffset);
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
    d.storages.reserve(items.size());
    d.tensors.reserve(items.size());
    d.root->items.reserve(2 * items.size());
    const char *const textBegin = reinterpret_cast<const char *>(headerBytes.data());
    const char *const textEnd = textBegin + headerBytes.size();
    const std::vector<int64_t> &dims = header.dims;
    for (auto &item : items) {
        const std::span<const int64_t> shape(dims.data() + item.shapeAt, item.rank);
        TensorInfo t;
        t.dtype = item.dtype;
        t.shape.assign(shape.begin(), shape.end());
        t.strides.assign(shape.size(), 1);
        for (size_t i = shape.size(); i-- > 1;) t.strides[i - 1] = t.strides[i] * shape[i];
        t.storage = int(d.storages.size());

        StorageInfo s;
        s.key = std::string(item.name);
        s.dtype = item.dtype;
        s.location = "cpu";
        checkedNumel(t.shape, s.numel);
        s.byteOffset = 8 + n + item.begin;
        s.byteLength = item.end - item.begin;
        d.storages.push_back(std::move(s));
        d.tensors.push_back(std::move(t));

        Value *key = d.arena->make(ValueKind::String);
        // A name without escapes is a view into the mapped header, which the checkpoint keeps.
        const bool inHeader = item.name.data() >= textBegin && item.name.data() < textEnd;
        key->text = inHeader ? item.name : d.arena->keep(std::string(item.name));
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
