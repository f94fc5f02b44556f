#include "model/formats/hdf5_reader.h"

#include "model/base/format_error.h"
#include "model/base/helper_process.h"
#include "model/formats/hdf5_catalog.h"
#include "model/formats/keras_config.h"
#include "model/formats/value_access.h"
#include "model/formats/zip_directory.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace ckpt {
namespace {

constexpr uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
constexpr uint64_t kMaxConfig = uint64_t(64) << 20; // a config.json bigger than this is no model's
constexpr int kHelperSeconds = 120;

bool signatureAt(ByteView bytes, uint64_t at)
{
    return bytes.size() >= at + 8 && std::equal(kSignature, kSignature + 8, bytes.begin() + ptrdiff_t(at));
}

bool endsWith(std::string_view s, std::string_view tail) { return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail; }

/// libhdf5's answer about the HDF5 file in [offset, offset + size) of `path` (the whole file
/// when size is 0), from the helper process.
Hdf5Catalog catalogOf(const std::string &path, uint64_t offset, uint64_t size)
{
#ifdef CKPT_HDF5_READER
    const std::string helper = findHelper("ckpt-hdf5-reader", "CKPT_HDF5_READER", CKPT_HDF5_READER);
#else
    const std::string helper = findHelper("ckpt-hdf5-reader", "CKPT_HDF5_READER", nullptr);
#endif
    if (helper.empty()) throw FormatError("the HDF5 reader (ckpt-hdf5-reader) is not installed");
    std::vector<std::string> argv{helper, path};
    if (size > 0) {
        argv.push_back(std::to_string(offset));
        argv.push_back(std::to_string(size));
    }
    auto answer = runHelper(argv, kHelperSeconds);
    if (!answer) throw FormatError("libhdf5: " + answer.error().message);
    return parseHdf5Catalog(*answer);
}

/// An attribute's JSON text as plain text: a string unquoted, anything else as JSON.
std::string plainText(const std::string &json)
{
    const auto j = nlohmann::json::parse(json, nullptr, false);
    return j.is_string() ? j.get<std::string>() : json;
}

/// Paths ordered by their '/'-separated parts, decimal parts by value: Keras's vars/2 before vars/10.
bool naturalLess(std::string_view a, std::string_view b)
{
    while (!a.empty() && !b.empty()) {
        const size_t ea = std::min(a.find('/'), a.size()), eb = std::min(b.find('/'), b.size());
        const std::string_view pa = a.substr(0, ea), pb = b.substr(0, eb);
        const bool da = !pa.empty() && pa.size() < 19 && std::all_of(pa.begin(), pa.end(), ::isdigit);
        const bool db = !pb.empty() && pb.size() < 19 && std::all_of(pb.begin(), pb.end(), ::isdigit);
        if (da && db && std::stoll(std::string(pa)) != std::stoll(std::string(pb)))
            return std::stoll(std::string(pa)) < std::stoll(std::string(pb));
        if (pa != pb) return pa < pb;
        a.remove_prefix(std::min(ea + 1, a.size()));
        b.remove_prefix(std::min(eb + 1, b.size()));
    }
    return a.size() < b.size();
}

/// The catalog as a tree of dicts (groups) and tensors (datasets) whose bytes lie in the file
/// at `base` + the catalog's offsets.
class Hdf5Assembly
{
public:
    Hdf5Assembly(CheckpointData &d, uint64_t base, uint64_t imageSize) : m_d(d), m_base(base), m_imageSize(imageSize)
    {
        m_d.root = m_d.arena->make(ValueKind::Dict);
        m_dicts[""] = m_d.root;
    }

    void build(Hdf5Catalog &c)
    {
        size_t big = 0, little = 0;
        for (const auto &x : c.datasets)
            if (x.type.size > 1 && (x.type.kind == "float" || x.type.kind == "integer")) ++(x.type.bigEndian ? big : little);
        m_d.bigEndian = big > little;
        std::vector<std::pair<std::string_view, int>> order; // path, dataset index or -1 for a group
        for (const auto &g : c.groups) order.push_back({g.path, -1});
        for (size_t i = 0; i < c.datasets.size(); ++i) order.push_back({c.datasets[i].path, int(i)});
        std::stable_sort(order.begin(), order.end(), [](const auto &x, const auto &y) { return naturalLess(x.first, y.first); });
        for (const auto &[path, index] : order) {
            if (index < 0) dict(std::string(path));
            else add(c.datasets[size_t(index)]);
        }
    }

private:
    Value *dict(const std::string &path)
    {
        if (const auto it = m_dicts.find(path); it != m_dicts.end()) return it->second;
        Value *v = m_d.arena->make(ValueKind::Dict);
        place(path, v);
        return m_dicts[path] = v;
    }

    void place(const std::string &path, Value *v)
    {
        if (path.empty() || path.front() == '/' || path.back() == '/' || path.find("//") != std::string::npos)
            throw FormatError("an object named \"" + path + "\", which no HDF5 link is");
        const size_t slash = path.rfind('/');
        Value *parent = dict(slash == std::string::npos ? std::string() : path.substr(0, slash));
        const std::string key = slash == std::string::npos ? path : path.substr(slash + 1);
        for (size_t i = 0; i < parent->items.size(); i += 2)
            if (parent->items[i]->text == key) throw FormatError(path + " is listed twice");
        parent->items.push_back(stringValue(*m_d.arena, key));
        parent->items.push_back(v);
    }

    std::optional<DType> dtypeOf(const Hdf5Catalog::Dataset &x) const
    {
        const auto &t = x.type;
        if (t.kind == "bool" && t.size == 1) return DType::Bool;
        if (t.kind == "integer") {
            switch (t.size) {
            case 1: return t.isSigned ? DType::Int8 : DType::UInt8;
            case 2: return t.isSigned ? DType::Int16 : DType::UInt16;
            case 4: return t.isSigned ? DType::Int32 : DType::UInt32;
            case 8: return t.isSigned ? DType::Int64 : DType::UInt64;
            default: return std::nullopt;
            }
        }
        if (t.kind == "float") {
            if (t.size == 2 && t.exponentBits == 5 && t.mantissaBits == 10) return DType::Float16;
            if (t.size == 2 && t.exponentBits == 8 && t.mantissaBits == 7) return DType::BFloat16;
            if (t.size == 4 && t.exponentBits == 8 && t.mantissaBits == 23) return DType::Float32;
            if (t.size == 8 && t.exponentBits == 11 && t.mantissaBits == 52) return DType::Float64;
            return std::nullopt;
        }
        // Keras stores the ml_dtypes types h5py has no type for as opaque bytes, naming the
        // dtype in an attribute.
        if (t.kind == "opaque") {
            const auto it = x.attributes.find("dtype");
            if (it == x.attributes.end()) return std::nullopt;
            const auto named = dtypeFromName(plainText(it->second));
            if (named && uint32_t(dtypeBits(*named)) == t.size * 8) return named;
        }
        return std::nullopt;
    }

    void add(Hdf5Catalog::Dataset &x)
    {
        const auto dtype = dtypeOf(x);
        if (!dtype) {
            m_d.warnings.push_back(x.path + ": " + x.type.text + ", which has no tensor dtype; not listed");
            return;
        }
        if (x.null) {
            m_d.warnings.push_back(x.path + ": a dataset with a null dataspace (no elements at all); not listed");
            return;
        }
        TensorInfo t;
        t.dtype = *dtype;
        for (uint64_t dim : x.shape) {
            if (dim > uint64_t(INT64_MAX)) throw FormatError(x.path + ": a dimension past 2^63");
            t.shape.push_back(int64_t(dim));
        }
        int64_t numel = 1;
        if (!checkedNumel(t.shape, numel)) throw FormatError(x.path + ": its shape overflows");
        t.strides = contiguousStrides(t.shape);
        StorageInfo s;
        s.key = x.path;
        s.record = x.path;
        s.dtype = *dtype;
        s.location = "cpu";
        s.numel = numel;
        s.file = 0;
        s.byteLength = s.nbytes();
        if (x.type.size > 1 && x.type.bigEndian != m_d.bigEndian) {
            // One table has one byte order: the file's majority.
            m_d.warnings.push_back(x.path + ": stored " + (x.type.bigEndian ? "big" : "little") + "-endian among " +
                                   (m_d.bigEndian ? "big" : "little") + "-endian datasets; not listed");
            return;
        }
        if (x.offset) {
            checkRange(*x.offset, s.byteLength, m_imageSize, ("the data of " + x.path).c_str());
            s.byteOffset = m_base + *x.offset;
        } else if (x.dataRead) {
            if (x.data.size() != s.byteLength)
                throw FormatError(x.path + ": " + std::to_string(x.data.size()) + " bytes read where its shape takes " +
                                  std::to_string(s.byteLength));
            m_d.buffers.push_back(std::move(x.data));
            s.buffer = int(m_d.buffers.size()) - 1;
            s.mapped = false;
        } else {
            m_d.warnings.push_back(x.path + ": stored " + x.layout + (x.filters.empty() ? "" : " (filtered)") +
                                   " and too big to pass along from the HDF5 helper; not listed");
            return;
        }
        t.storage = int(m_d.storages.size());
        m_d.storages.push_back(std::move(s));
        Value *v = m_d.arena->make(ValueKind::Tensor);
        v->index = int(m_d.tensors.size());
        m_d.tensors.push_back(std::move(t));
        place(x.path, v);
    }

    CheckpointData &m_d;
    uint64_t m_base;
    uint64_t m_imageSize;
    std::map<std::string, Value *> m_dicts;
};

bool hasGroup(const Hdf5Catalog &c, std::string_view path)
{
    return std::any_of(c.groups.begin(), c.groups.end(), [&](const auto &g) { return g.path == path; });
}

/// What the file is, where its weights are, and what its root's attributes say.
void describe(CheckpointData &d, const Hdf5Catalog &c, bool inKerasZip)
{
    const auto &rootAttributes = c.groups.empty() ? std::map<std::string, std::string>() : c.groups.front().attributes;
    const bool keras3 = std::any_of(c.groups.begin(), c.groups.end(),
                                    [](const auto &g) { return g.path == "vars" || endsWith(g.path, "/vars"); });
    const bool legacy = rootAttributes.count("layer_names") || hasGroup(c, "model_weights");
    d.format = inKerasZip ? "keras" : keras3 ? "keras-weights-h5" : legacy ? "keras-legacy-h5" : "hdf5";
    d.pytreeWeights = true;
    d.preferredWeights = Path{};
    if ((inKerasZip || keras3) && hasGroup(c, "layers")) d.preferredWeights = Path{std::string("layers")};
    if (legacy && hasGroup(c, "model_weights")) d.preferredWeights = Path{std::string("model_weights")};
    for (const auto &[name, json] : rootAttributes) {
        if (name == "model_config") {
            const std::string cls = scanKerasConfig(d.safety, plainText(json), "model_config");
            if (!cls.empty()) d.metadata["model_class"] = cls;
        } else if (name != "training_config" && name != "layer_names") {
            d.metadata[name] = plainText(json);
        }
    }
    for (const auto &w : c.warnings) d.warnings.push_back(w);
}

} // namespace

Recognition Hdf5Reader::recogniseFile(const FileProbe &probe) const
{
    if (endsWith(probe.path, ".keras")) return {100, "named *.keras", {}, {}};
    if (endsWith(probe.path, ".h5") || endsWith(probe.path, ".hdf5")) return {100, "named *.h5", {}, {}};
    if (signatureAt(probe.head, 0)) return {90, "starts with \\x89HDF, HDF5's signature", {}, {}};
    // A .keras under another name: Keras writes metadata.json first.
    if (firstRecordName(probe.head) == "metadata.json") return {95, "a zip whose first record is metadata.json (a .keras model)", {}, {}};
    return {};
}

CheckpointData Hdf5Reader::readFile(SourceFile file, const FormatRegistry &) const
{
    CheckpointData d;
    const ByteSource &source = *file.source;
    d.files.push_back(file);
    for (auto *v : {&d.safety.torch113, &d.safety.torch2}) v->applicable = false; // Keras or h5py reads it, not torch.load
    const ByteView head = source.view(0, std::min<uint64_t>(source.size(), 8));
    const bool zip = head.size() >= 4 && head[0] == 'P' && head[1] == 'K';
    uint64_t base = 0, size = 0;
    if (zip) {
        const ZipDirectory dir = ZipDirectory::parse(source);
        auto member = [&](std::string_view name) -> const ZipEntry * {
            for (const auto &e : dir.entries())
                if (e.name == name) return &e;
            return nullptr;
        };
        for (const char *other : {"model.weights.json", "model.weights.npz"})
            if (!member("model.weights.h5") && member(other))
                throw FormatError(std::string("its weights are ") + other + " (sharded or NumPy Keras weights), which are not read yet");
        const ZipEntry *weights = member("model.weights.h5");
        if (!weights) throw FormatError("a zip without model.weights.h5, so no .keras model");
        if (weights->method != 0)
            throw FormatError("model.weights.h5 is compressed (zip method " + std::to_string(weights->method) +
                              "); Keras stores it: extract it and open the .h5");
        base = weights->dataOffset;
        size = weights->size;
        for (const char *name : {"metadata.json", "config.json"}) {
            const ZipEntry *e = member(name);
            if (!e) continue;
            if (e->size > kMaxConfig) throw FormatError(std::string(name) + " takes " + std::to_string(e->size) + " bytes, past the 64 MB a config may take");
            std::vector<uint8_t> buffer;
            const ByteView bytes = recordBytes(source, *e, buffer);
            const std::string_view text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
            if (std::string_view(name) == "config.json") {
                const std::string cls = scanKerasConfig(d.safety, text, name);
                if (!cls.empty()) d.metadata["model_class"] = cls;
                continue;
            }
            const auto j = nlohmann::json::parse(text, nullptr, false);
            if (j.is_object())
                for (const auto &item : j.items()) d.metadata[item.key()] = item.value().is_string() ? item.value().get<std::string>() : item.value().dump();
        }
        if (size < 8 || !signatureAt(source.view(base, 8), 0)) throw FormatError("model.weights.h5 is not an HDF5 file");
    } else {
        size = source.size();
        if (!signatureAt(source.view(0, std::min<uint64_t>(size, 8)), 0)) {
            // HDF5 allows a user block before the superblock, at 512, 1024, 2048, ... bytes.
            bool found = false;
            for (uint64_t at = 512; at + 8 <= size && !found; at *= 2) found = signatureAt(source.view(at, 8), 0);
            if (!found) throw FormatError("no HDF5 signature (\\x89HDF) at its start or at any user-block size");
        }
    }
    Hdf5Catalog catalog = catalogOf(file.path, zip ? base : 0, zip ? size : 0);
    addHdf5Catalog(d, catalog, base, size, zip);
    return d;
}

void addHdf5Catalog(CheckpointData &d, Hdf5Catalog &catalog, uint64_t base, uint64_t imageSize, bool inKerasZip)
{
    checkRange(base, imageSize, d.files.front().size, "the HDF5 file");
    Hdf5Assembly(d, base, imageSize).build(catalog);
    describe(d, catalog, inKerasZip);
}

} // namespace ckpt
