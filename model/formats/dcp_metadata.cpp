#include "model/formats/dcp_metadata.h"

#include "model/base/format_error.h"
#include "model/formats/value_access.h"

namespace ckpt {
namespace {

std::string textOf(const Value *v)
{
    return v && v->kind == ValueKind::String ? std::string(v->text) : std::string();
}

std::vector<int64_t> requireInts(const Value *v, const std::string &what)
{
    auto out = ints(v);
    if (!out) throw FormatError(".metadata: " + what + " is not a tuple of integers");
    return *out;
}

void readTensorEntry(DcpMetadata::Entry &e, const Value *meta)
{
    const std::string what = "tensor " + e.fqn;
    e.size = requireInts(field(meta, "size"), what + " size");
    for (int64_t d : e.size)
        if (d < 0) throw FormatError(".metadata: " + what + " has a negative size");
    // TensorProperties: BUILD of a tuple (dtype, layout, requires_grad, memory_format,
    // pin_memory[, strides]) in today's PyTorch, of an attribute dict in older ones.
    const Value *props = field(meta, "properties");
    const Value *dtype = nullptr;
    const Value *grad = nullptr;
    if (props && props->kind == ValueKind::Object && props->state && props->state->kind == ValueKind::Tuple) {
        if (!props->state->items.empty()) dtype = props->state->items[0];
        if (props->state->items.size() > 2) grad = props->state->items[2];
    } else {
        dtype = field(props, "dtype");
        grad = field(props, "requires_grad");
    }
    if (!dtype || dtype->kind != ValueKind::Global) throw FormatError(".metadata: " + what + " has no dtype");
    e.dtypeName = std::string(dtype->module()) + "." + std::string(dtype->name());
    e.dtype = dtype->module() == "torch" ? dtypeFromName(dtype->name()).value_or(DType::Unknown) : DType::Unknown;
    if (e.dtype == DType::Unknown) throw FormatError(".metadata: " + what + " has dtype " + e.dtypeName + ", which is not known");
    e.requiresGrad = grad && grad->kind == ValueKind::Bool && grad->integer;
    const Value *chunks = field(meta, "chunks");
    if (!chunks || chunks->kind != ValueKind::List) throw FormatError(".metadata: " + what + " has no chunk list");
    for (const Value *c : chunks->items) {
        DcpMetadata::Chunk chunk{requireInts(field(c, "offsets"), what + " chunk offsets"),
                                 requireInts(field(c, "sizes"), what + " chunk sizes")};
        if (chunk.offsets.size() != e.size.size() || chunk.sizes.size() != e.size.size())
            throw FormatError(".metadata: " + what + " has a chunk of another rank than the tensor");
        for (size_t d = 0; d < e.size.size(); ++d)
            if (chunk.offsets[d] < 0 || chunk.sizes[d] < 0 || chunk.offsets[d] > e.size[d] ||
                chunk.sizes[d] > e.size[d] - chunk.offsets[d])
                throw FormatError(".metadata: " + what + " has a chunk outside the tensor");
        e.chunks.push_back(std::move(chunk));
    }
}

} // namespace

const DcpMetadata::Storage *DcpMetadata::find(const std::string &fqn, const std::vector<int64_t> *offsets) const
{
    const auto it = storage.find(ItemKey{fqn, offsets != nullptr, offsets ? *offsets : std::vector<int64_t>{}});
    return it == storage.end() ? nullptr : &it->second;
}

DcpMetadata readDcpMetadata(const Value *root)
{
    DcpMetadata out;
    const Value *sdm = field(root, "state_dict_metadata");
    if (!sdm || sdm->kind != ValueKind::Dict)
        throw FormatError(".metadata: not a DCP Metadata object (no state_dict_metadata dict)");
    for (size_t i = 0; i + 1 < sdm->items.size(); i += 2) {
        DcpMetadata::Entry e;
        e.fqn = textOf(sdm->items[i]);
        if (sdm->items[i]->kind != ValueKind::String) throw FormatError(".metadata: a state_dict_metadata key is not a string");
        const Value *meta = sdm->items[i + 1];
        const std::string cls = meta ? meta->qualifiedName() : std::string();
        if (cls.ends_with("TensorStorageMetadata")) {
            e.tensor = true;
            readTensorEntry(e, meta);
        } else if (!cls.ends_with("BytesStorageMetadata")) {
            throw FormatError(".metadata: entry " + e.fqn + " is neither tensor nor bytes metadata");
        }
        out.entries.push_back(std::move(e));
    }

    const Value *storage = field(root, "storage_data");
    if (storage && storage->kind == ValueKind::Dict)
        for (size_t i = 0; i + 1 < storage->items.size(); i += 2) {
            const Value *key = storage->items[i], *info = storage->items[i + 1];
            const std::string fqn = textOf(field(key, "fqn"));
            const Value *offset = field(key, "offset");
            DcpMetadata::Storage s;
            s.file = textOf(field(info, "relative_path"));
            const Value *at = field(info, "offset"), *length = field(info, "length");
            if (fqn.empty() || s.file.empty() || !at || at->kind != ValueKind::Int || !length ||
                length->kind != ValueKind::Int || at->integer < 0 || length->integer < 0)
                throw FormatError(".metadata: a storage_data entry lacks its key, file, offset or length");
            s.offset = uint64_t(at->integer);
            s.length = uint64_t(length->integer);
            if (const Value *t = field(info, "transform_descriptors"); !isNone(t)) {
                if (t->kind != ValueKind::List && t->kind != ValueKind::Tuple)
                    throw FormatError(".metadata: " + fqn + " has transform descriptors that are not a list");
                for (const Value *d : t->items) s.transforms.push_back(textOf(d));
            }
            const bool chunked = !isNone(offset);
            DcpMetadata::ItemKey k{fqn, chunked, chunked ? requireInts(offset, fqn + " storage offset") : std::vector<int64_t>{}};
            out.storage.insert_or_assign(std::move(k), std::move(s));
        }

    if (const Value *planner = field(root, "planner_data"); planner && planner->kind == ValueKind::Dict)
        for (size_t i = 0; i + 1 < planner->items.size(); i += 2) {
            const Value *path = planner->items[i + 1];
            if (planner->items[i]->kind != ValueKind::String || !path ||
                (path->kind != ValueKind::Tuple && path->kind != ValueKind::List) || path->items.empty())
                continue; // a planner of its own may keep other data here: the flat key stands
            Path p;
            bool plain = true;
            for (const Value *e : path->items) {
                if (e->kind == ValueKind::String) p.emplace_back(std::string(e->text));
                else if (e->kind == ValueKind::Int) p.emplace_back(e->integer);
                else plain = false;
            }
            if (plain) out.paths.emplace(std::string(planner->items[i]->text), std::move(p));
        }
    out.version = textOf(field(root, "version"));
    out.saveId = textOf(field(field(root, "storage_meta"), "save_id"));
    return out;
}

} // namespace ckpt
