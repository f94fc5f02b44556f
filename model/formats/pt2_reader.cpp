#include "model/formats/pt2_reader.h"

#include "model/base/format_error.h"
#include "model/formats/pickle_run.h"
#include "model/formats/value_access.h"
#include "model/formats/zip_directory.h"
#include "model/sources/memory_source.h"

#include <nlohmann/json.hpp>

#include <map>

namespace ckpt {
namespace {

using json = nlohmann::ordered_json; // the configs in their order

constexpr uint64_t kMaxJson = uint64_t(256) << 20;

/// torch/_export/serde/schema.py's ScalarType, which is not c10's numbering.
std::optional<DType> exportDtype(int64_t code)
{
    switch (code) {
    case 1: return DType::UInt8;
    case 2: return DType::Int8;
    case 3: return DType::Int16;
    case 4: return DType::Int32;
    case 5: return DType::Int64;
    case 6: return DType::Float16;
    case 7: return DType::Float32;
    case 8: return DType::Float64;
    case 9: return DType::Complex32;
    case 10: return DType::Complex64;
    case 11: return DType::Complex128;
    case 12: return DType::Bool;
    case 13: return DType::BFloat16;
    case 28: return DType::UInt16;
    case 29: return DType::Float8E4M3FN;
    case 30: return DType::Float8E5M2;
    case 31: return DType::Float8E4M3FNUZ;
    case 32: return DType::Float8E5M2FNUZ;
    default: return std::nullopt;
    }
}

/// A SymInt as the schema writes it: {"as_int": n}; symbolic sizes have no number to list.
int64_t asInt(const json &j, const std::string &what)
{
    if (!j.is_object() || !j.contains("as_int") || !j["as_int"].is_number_integer())
        throw FormatError(what + ": a symbolic or missing size, which a saved tensor cannot have");
    return j["as_int"].get<int64_t>();
}

class Pt2Assembly
{
public:
    Pt2Assembly(CheckpointData &d, const ZipDirectory &zip, std::string top) : m_d(d), m_zip(zip), m_top(std::move(top)) {}

    json readJson(const std::string &name, bool required)
    {
        const ZipEntry *e = m_zip.find(m_top + name);
        if (!e) {
            if (required) throw FormatError(m_top + name + " is missing");
            return json();
        }
        if (e->size > kMaxJson) throw FormatError(m_top + name + ": past 256 MiB of JSON");
        std::vector<uint8_t> buffer;
        const ByteView bytes = recordBytes(*m_d.files.front().source, *e, buffer);
        try {
            return json::parse(bytes.begin(), bytes.end());
        } catch (const json::exception &err) {
            throw FormatError(m_top + name + ": not JSON (" + err.what() + ")");
        }
    }

    /// The tensors one config lists, as {fqn: tensor} in its order.
    Value *tensors(const std::string &folder, const std::string &configName)
    {
        Value *dict = m_d.arena->make(ValueKind::Dict);
        const json cfg = readJson(folder + configName, false);
        if (cfg.is_null()) return dict;
        if (!cfg.is_object() || !cfg.contains("config") || !cfg["config"].is_object())
            throw FormatError(m_top + folder + configName + ": no config object");
        for (const auto &[fqn, entry] : cfg["config"].items()) {
            const std::string what = m_top + folder + configName + ": " + fqn;
            try {
                if (entry.value("use_pickle", false)) {
                    m_d.warnings.push_back(fqn + ": a tensor subclass saved with torch.save inside the archive, not listed");
                    continue;
                }
                dict->items.push_back(stringValue(*m_d.arena, fqn));
                dict->items.push_back(tensor(folder + entry.at("path_name").get<std::string>(), entry, what));
            } catch (const json::exception &err) {
                throw FormatError(what + ": " + err.what());
            }
        }
        return dict;
    }

    /// Whether `record` (relative to the top folder) is a raw storage listed from a config.
    bool rawStorage(std::string_view record) const { return m_storages.count(std::string(record)) > 0; }

private:
    Value *tensor(const std::string &record, const json &entry, const std::string &what)
    {
        const json &meta = entry.at("tensor_meta");
        const std::optional<DType> dtype = exportDtype(meta.at("dtype").get<int64_t>());
        if (!dtype) throw FormatError(what + ": dtype " + meta.at("dtype").dump() + " of the export schema, which this version does not map");
        if (meta.value("layout", 7) != 7) throw FormatError(what + ": a layout other than strided");
        TensorInfo t;
        t.dtype = *dtype;
        for (const json &s : meta.at("sizes")) t.shape.push_back(asInt(s, what));
        for (const json &s : meta.at("strides")) t.strides.push_back(asInt(s, what));
        t.storageOffset = asInt(meta.at("storage_offset"), what);
        t.requiresGrad = meta.value("requires_grad", false);
        t.parameter = entry.value("is_param", false);
        if (t.strides.size() != t.shape.size()) throw FormatError(what + ": sizes and strides differ in rank");
        t.storage = storage(record, *dtype, what);
        t.rebuild = "_rebuild_tensor_v2";
        const StorageInfo &s = m_d.storages[size_t(t.storage)];
        int64_t numel = 0;
        if (!checkedNumel(t.shape, numel) || t.storageOffset < 0) throw FormatError(what + ": its sizes overflow");
        if (numel > 0) {
            uint64_t last = uint64_t(t.storageOffset);
            for (size_t i = 0; i < t.shape.size(); ++i) {
                if (t.strides[i] < 0) throw FormatError(what + ": a negative stride");
                last += uint64_t(t.shape[i] - 1) * uint64_t(t.strides[i]);
            }
            if (last >= uint64_t(s.numel)) throw FormatError(what + ": its view runs past the " + std::to_string(s.numel) + " elements of " + record);
        }
        Value *v = m_d.arena->make(ValueKind::Tensor);
        v->index = int(m_d.tensors.size());
        m_d.tensors.push_back(std::move(t));
        return v;
    }

    int storage(const std::string &record, DType dtype, const std::string &what)
    {
        if (auto it = m_storages.find(record); it != m_storages.end()) {
            if (m_d.storages[size_t(it->second)].dtype != dtype) throw FormatError(what + ": " + record + " is read as two dtypes");
            return it->second;
        }
        const ZipEntry *e = m_zip.find(m_top + record);
        if (!e) throw FormatError(what + ": its record " + record + " is missing");
        const uint64_t item = uint64_t(dtypeBits(dtype) / 8);
        if (item == 0 || e->size % item) throw FormatError(what + ": " + record + " holds " + std::to_string(e->size) + " bytes, not whole elements");
        StorageInfo s;
        s.key = record;
        s.record = m_top + record;
        s.dtype = dtype;
        s.location = "cpu";
        s.numel = int64_t(e->size / item);
        s.byteOffset = e->dataOffset;
        s.byteLength = e->size;
        if (e->method == 8) {
            s.mapped = false;
            s.compressedItem = int(m_d.compressedItems.size());
            s.byteOffset = 0;
            m_d.compressedItems.push_back({0, e->dataOffset, e->compressedSize, "deflate"});
        } else if (e->method != 0) {
            throw FormatError(what + ": " + record + " is stored with compression method " + std::to_string(e->method));
        } else {
            checkRange(s.byteOffset, s.byteLength, m_d.files.front().size, record.c_str());
        }
        m_d.storages.push_back(std::move(s));
        m_storages.emplace(record, int(m_d.storages.size()) - 1);
        return int(m_d.storages.size()) - 1;
    }

    CheckpointData &m_d;
    const ZipDirectory &m_zip;
    std::string m_top;
    std::map<std::string, int> m_storages;
};

/// The graph's inputs, one "kind name" text each ("parameter l.weight", "buffer bn.running_mean",
/// "user_input x"), as ExportedProgram.graph_signature lists them.
Value *signature(CheckpointData &d, const json &program)
{
    Value *list = d.arena->make(ValueKind::List);
    const json specs = program.value("graph_module", json::object()).value("signature", json::object()).value("input_specs", json::array());
    if (!specs.is_array()) return list;
    for (const json &spec : specs) {
        if (!spec.is_object() || spec.empty()) continue;
        const auto first = spec.begin();
        const std::string kind = first.key();
        const json &body = first.value();
        std::string name;
        for (const char *key : {"parameter_name", "buffer_name", "tensor_constant_name"})
            if (body.is_object() && body.contains(key) && body[key].is_string()) name = body[key].get<std::string>();
        if (name.empty() && body.is_object() && body.contains("arg") && body["arg"].is_object())
            for (const auto &[argKind, arg] : body["arg"].items())
                if (arg.is_object() && arg.contains("name") && arg["name"].is_string()) name = arg["name"].get<std::string>();
        list->items.push_back(stringValue(*d.arena, kind + (name.empty() ? "" : " " + name)));
    }
    return list;
}

/// Bytes of a record kept alive as long as d (a view of the mapping, or inflated into d.buffers).
ByteView keptRecord(CheckpointData &d, const ByteSource &source, const ZipEntry &e)
{
    std::vector<uint8_t> buffer;
    const ByteView bytes = recordBytes(source, e, buffer);
    if (buffer.empty()) return bytes;
    d.buffers.push_back(std::move(buffer));
    return ByteView(d.buffers.back());
}

/// torch.export.load unpickles more than the configs' raw storages: use_pickle weights and
/// constants (torch.load(weights_only=False)), custom_obj_ and opaque_obj_ constants
/// (pickle.loads), the sample inputs (torch.load). Every other record under data/ is a pickle
/// or a torch.save archive to be scanned, never run: its globals go to the safety report.
void scanPickled(CheckpointData &d, const ZipDirectory &zip, const std::string &top, const Pt2Assembly &a)
{
    const ByteSource &source = *d.files.front().source;
    for (const ZipEntry &e : zip.entries()) {
        if (!e.name.starts_with(top + "data/") || e.name.ends_with(".json")) continue;
        const std::string_view record = e.name.substr(top.size());
        if (a.rawStorage(record)) continue;
        const std::string label(e.name);
        try {
            const ByteView bytes = keptRecord(d, source, e);
            if (bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4) {
                const MemorySource inner(label, bytes);
                const ZipDirectory nested = ZipDirectory::parse(inner);
                for (const ZipEntry &n : nested.entries())
                    if (n.name.ends_with(".pkl")) {
                        const ByteView pickle = keptRecord(d, inner, n);
                        scanPickle(d, pickle.data(), pickle.size(), label + "/" + std::string(n.name));
                    }
            } else if (!bytes.empty() && bytes[0] == 0x80) {
                scanPickle(d, bytes.data(), bytes.size(), label);
            }
        } catch (const FormatError &err) {
            d.warnings.push_back(label + ": a pickled record that breaks: " + err.what());
        }
    }
}

} // namespace

Recognition Pt2Reader::recogniseFile(const FileProbe &probe) const
{
    if (probe.path.ends_with(".pt2")) return {100, "named *.pt2", {}, {}};
    const ByteView h = probe.head;
    if (h.size() >= 30 && h[0] == 'P' && h[1] == 'K' && h[2] == 3 && h[3] == 4) {
        const size_t n = size_t(h[26]) | size_t(h[27]) << 8;
        const std::string_view first(reinterpret_cast<const char *>(h.data()) + 30, std::min(n, h.size() - 30));
        if (first.find("/data/weights/") != std::string_view::npos || first.find("/models/") != std::string_view::npos)
            return {95, "a zip whose first record is a torch.export archive's", {}, {}};
    }
    return {};
}

CheckpointData Pt2Reader::readFile(SourceFile file, const FormatRegistry &) const
{
    CheckpointData d;
    d.format = "pt2";
    // torch.export.load reads the configs as JSON and the tensors as raw bytes; what it
    // unpickles besides is scanned (scanPickled). No torch.load verdict stands for the whole.
    for (auto *v : {&d.safety.torch113, &d.safety.torch2}) v->applicable = false;
    d.files.push_back(file);
    const ZipDirectory zip = ZipDirectory::parse(*file.source);
    if (zip.entries().empty()) throw FormatError("an empty zip");
    const std::string_view firstName = zip.entries().front().name;
    const size_t slash = firstName.find('/');
    if (slash == std::string_view::npos) throw FormatError("its records are not in one top folder");
    Pt2Assembly a(d, zip, std::string(firstName.substr(0, slash + 1)));
    if (const ZipEntry *format = zip.find(std::string(firstName.substr(0, slash + 1)) + "archive_format")) {
        std::vector<uint8_t> buffer;
        const ByteView b = recordBytes(*file.source, *format, buffer);
        const std::string text(b.begin(), b.end());
        if (text != "pt2") throw FormatError("archive_format '" + text.substr(0, 32) + "', not a torch.export archive");
        d.metadata["archive_format"] = text;
    }
    std::vector<std::string> models;
    const std::string prefix = std::string(firstName.substr(0, slash + 1)) + "models/";
    for (const ZipEntry &e : zip.entries())
        if (e.name.starts_with(prefix) && e.name.ends_with(".json") && e.name.find('/', prefix.size()) == std::string_view::npos)
            models.emplace_back(e.name.substr(prefix.size(), e.name.size() - prefix.size() - 5));
    if (models.empty()) throw FormatError("no models/<name>.json in the archive (not an ExportedProgram)");
    Value *root = d.arena->make(ValueKind::Dict);
    for (const std::string &m : models) {
        Value *model = d.arena->make(ValueKind::Dict);
        const json program = a.readJson("models/" + m + ".json", true);
        model->items.push_back(stringValue(*d.arena, "state_dict"));
        model->items.push_back(a.tensors("data/weights/", m + "_weights_config.json"));
        model->items.push_back(stringValue(*d.arena, "constants"));
        model->items.push_back(a.tensors("data/constants/", m + "_constants_config.json"));
        model->items.push_back(stringValue(*d.arena, "graph_inputs"));
        model->items.push_back(signature(d, program));
        if (program.is_object() && program.contains("torch_version") && program["torch_version"].is_string())
            d.metadata["torch_version"] = program["torch_version"].get<std::string>();
        root->items.push_back(stringValue(*d.arena, m));
        root->items.push_back(model);
    }
    scanPickled(d, zip, std::string(firstName.substr(0, slash + 1)), a);
    d.root = models.size() == 1 ? root->items[1] : root;
    return d;
}

} // namespace ckpt
