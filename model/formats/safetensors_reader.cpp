#include "model/formats/safetensors_reader.h"

#include "model/base/format_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <unordered_set>

namespace ckpt {
namespace {

using json = nlohmann::ordered_json;

constexpr uint64_t kMaxHeader = 100'000'000; // the reference implementation's limit

struct Item
{
    std::string name;
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    uint64_t begin = 0;
    uint64_t end = 0;
};

[[noreturn]] void bad(const std::string &what)
{
    throw FormatError("safetensors: " + what);
}

uint64_t unsignedField(const json &v, const std::string &name, const char *field)
{
    if (!v.is_number_unsigned()) bad("tensor " + name + ": " + field + " must be whole numbers");
    return v.get<uint64_t>();
}

Item parseItem(const std::string &name, const json &v)
{
    if (!v.is_object()) bad("tensor " + name + " is not an object");
    Item item;
    item.name = name;
    const auto dt = v.find("dtype");
    if (dt == v.end() || !dt->is_string()) bad("tensor " + name + " has no dtype");
    const auto dtype = dtypeFromSafetensors(dt->get<std::string>());
    if (!dtype) bad("tensor " + name + " has unknown dtype " + dt->get<std::string>());
    item.dtype = *dtype;
    const auto shape = v.find("shape");
    if (shape == v.end() || !shape->is_array()) bad("tensor " + name + " has no shape");
    for (const auto &dim : *shape) {
        const uint64_t d = unsignedField(dim, name, "shape");
        if (d > uint64_t(INT64_MAX)) bad("tensor " + name + ": impossible shape");
        item.shape.push_back(int64_t(d));
    }
    const auto offsets = v.find("data_offsets");
    if (offsets == v.end() || !offsets->is_array() || offsets->size() != 2)
        bad("tensor " + name + " needs data_offsets [begin, end]");
    item.begin = unsignedField((*offsets)[0], name, "data_offsets");
    item.end = unsignedField((*offsets)[1], name, "data_offsets");
    if (item.end < item.begin) bad("tensor " + name + ": data_offsets end before they begin");
    int64_t numel = 0;
    if (!checkedNumel(item.shape, numel)) bad("tensor " + name + ": impossible shape");
    const unsigned __int128 bits = static_cast<unsigned __int128>(numel) * unsigned(dtypeBits(item.dtype));
    if (bits % 8) bad("tensor " + name + ": shape does not fill whole bytes");
    if (bits / 8 != item.end - item.begin)
        bad("tensor " + name + ": " + std::to_string(item.end - item.begin) +
            " bytes given, shape and dtype need " + std::to_string(uint64_t(bits / 8)));
    return item;
}

json parseHeader(const char *begin, const char *end)
{
    if (begin == end || *begin != '{') bad("header does not start with '{'");
    std::unordered_set<std::string> keys;
    std::string duplicate;
    json::parser_callback_t onEvent = [&](int depth, json::parse_event_t event, json &parsed) {
        if (event == json::parse_event_t::key && depth == 1 && duplicate.empty() &&
            !keys.insert(parsed.get<std::string>()).second)
            duplicate = parsed.get<std::string>();
        return true;
    };
    json header;
    try {
        header = json::parse(begin, end, onEvent);
    } catch (const json::exception &e) {
        std::string msg = e.what();
        if (const auto p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
        bad("header is not valid JSON (" + msg + ")");
    }
    if (!duplicate.empty()) bad("tensor name " + duplicate + " appears twice");
    if (!header.is_object()) bad("header is not a JSON object");
    return header;
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
    if (n > kMaxHeader) bad("header length " + std::to_string(n) + " exceeds 100,000,000 bytes");
    if (n > size - 8) bad("header length " + std::to_string(n) + " runs past the end of the file");
    const auto *text = reinterpret_cast<const char *>(source.view(8, n).data());
    const json header = parseHeader(text, text + n);

    CheckpointData d;
    d.format = "safetensors";
    std::vector<Item> items;
    for (const auto &[name, value] : header.items()) {
        if (name == "__metadata__") {
            if (!value.is_object()) bad("__metadata__ is not an object");
            for (const auto &[k, v] : value.items()) {
                if (!v.is_string()) bad("__metadata__ value of " + k + " is not a string");
                d.metadata[k] = v.get<std::string>();
            }
            continue;
        }
        items.push_back(parseItem(name, value));
    }
    std::sort(items.begin(), items.end(), [](const Item &a, const Item &b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t expected = 0;
    for (const auto &item : items) {
        if (item.begin > expected) bad("gap in the data before tensor " + item.name);
        if (item.begin < expected) bad("tensor " + item.name + " overlaps the one before it");
        expected = item.end;
    }
    if (expected != size - 8 - n)
        bad("data holds " + std::to_string(size - 8 - n) + " bytes, the header describes " +
            std::to_string(expected));

    d.files.push_back(std::move(file));
    d.root = d.arena->make(ValueKind::Dict);
    for (auto &item : items) {
        StorageInfo s;
        s.key = item.name;
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
        key->text = d.arena->keep(item.name);
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
