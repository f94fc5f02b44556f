#include "model/formats/flax_msgpack_reader.h"

#include "model/base/format_error.h"
#include "model/formats/table_merge.h"
#include "model/formats/value_access.h"

#include <msgpack.h>

#include <map>
#include <memory>

namespace ckpt {
namespace {

constexpr int8_t kNdarray = 1;
constexpr int8_t kComplex = 2;
constexpr int8_t kNumpyScalar = 3;
constexpr std::string_view kChunked = "__msgpack_chunked_array__";

constexpr uint64_t kMaxObjects = uint64_t(1) << 24;

/// Walks the headers of the msgpack document at the start of [data, data + size) and throws
/// unless every count and length it declares fits in the bytes left (each element takes at
/// least one) and it holds at most 2^24 objects. msgpack-c sizes an array's or a map's storage
/// by its declared count before reading an element: without this a few bytes that claim 2^32
/// entries would allocate gigabytes.
void checkDeclaredSizes(const uint8_t *data, size_t size, const std::string &what)
{
    size_t at = 0;
    uint64_t pending = 1, objects = 0;
    auto need = [&](uint64_t n) {
        if (n > size - at) throw FormatError(what + ": ends inside its msgpack (truncated)");
    };
    auto be = [&](int n) {
        need(uint64_t(n));
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v = v << 8 | data[at++];
        return v;
    };
    while (pending > 0) {
        --pending;
        if (++objects > kMaxObjects) throw FormatError(what + ": more than 2^24 msgpack objects");
        need(1);
        const uint8_t t = data[at++];
        uint64_t skip = 0, items = 0;
        if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
        } else if (t <= 0x8f) items = 2 * uint64_t(t & 0x0f);
        else if (t <= 0x9f) items = t & 0x0f;
        else if (t <= 0xbf) skip = t & 0x1f;
        else if (t >= 0xc4 && t <= 0xc6) skip = be(1 << (t - 0xc4));
        else if (t >= 0xc7 && t <= 0xc9) skip = be(1 << (t - 0xc7)) + 1;
        else if (t == 0xca || t == 0xcb) skip = t == 0xca ? 4 : 8;
        else if (t >= 0xcc && t <= 0xd3) skip = uint64_t(1) << ((t - 0xcc) % 4);
        else if (t >= 0xd4 && t <= 0xd8) skip = (uint64_t(1) << (t - 0xd4)) + 1;
        else if (t >= 0xd9 && t <= 0xdb) skip = be(1 << (t - 0xd9));
        else if (t == 0xdc || t == 0xdd) items = be(t == 0xdc ? 2 : 4);
        else if (t == 0xde || t == 0xdf) items = 2 * be(t == 0xde ? 2 : 4);
        else throw FormatError(what + ": byte 0xc1, which msgpack never uses");
        need(skip);
        at += size_t(skip);
        pending += items;
        if (pending > size - at) throw FormatError(what + ": a msgpack array or map declares more entries than bytes follow");
    }
}

/// One msgpack document decoded by msgpack-c into a zone it frees on destruction; strings,
/// bins and exts point into the bytes decoded.
class Unpacked
{
public:
    Unpacked(const char *data, size_t size, const std::string &what)
    {
        checkDeclaredSizes(reinterpret_cast<const uint8_t *>(data), size, what);
        msgpack_unpacked_init(&m_u);
        size_t off = 0;
        const msgpack_unpack_return rc = msgpack_unpack_next(&m_u, data, size, &off);
        if (rc == MSGPACK_UNPACK_CONTINUE) fail(what + ": ends inside its msgpack (truncated)");
        if (rc == MSGPACK_UNPACK_NOMEM_ERROR) fail(what + ": msgpack nests past what msgpack-c decodes, or is too large");
        if (rc != MSGPACK_UNPACK_SUCCESS && rc != MSGPACK_UNPACK_EXTRA_BYTES) fail(what + ": not msgpack");
        if (off != size) m_extra = size - off;
    }
    ~Unpacked() { msgpack_unpacked_destroy(&m_u); }
    Unpacked(const Unpacked &) = delete;
    Unpacked &operator=(const Unpacked &) = delete;

    const msgpack_object &root() const { return m_u.data; }
    size_t extra() const { return m_extra; }

private:
    [[noreturn]] void fail(const std::string &why)
    {
        msgpack_unpacked_destroy(&m_u);
        throw FormatError(why);
    }
    msgpack_unpacked m_u;
    size_t m_extra = 0;
};

std::string_view text(const msgpack_object &o)
{
    if (o.type == MSGPACK_OBJECT_STR) return {o.via.str.ptr, o.via.str.size};
    return {};
}

class FlaxTree
{
public:
    FlaxTree(CheckpointData &d, const uint8_t *base, uint64_t size) : m_d(d), m_base(base), m_size(size), m_merge(d) {}

    Value *value(const msgpack_object &o, const std::string &where, int depth)
    {
        if (depth > 256) throw FormatError(where + ": nests more than 256 deep");
        ValueArena &a = *m_d.arena;
        switch (o.type) {
        case MSGPACK_OBJECT_NIL: return a.make(ValueKind::None);
        case MSGPACK_OBJECT_BOOLEAN: {
            Value *v = a.make(ValueKind::Bool);
            v->integer = o.via.boolean;
            return v;
        }
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: {
            Value *v = a.make(ValueKind::Int);
            v->integer = o.type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? o.via.i64 : int64_t(o.via.u64);
            if (o.type == MSGPACK_OBJECT_POSITIVE_INTEGER && o.via.u64 > uint64_t(INT64_MAX)) {
                v->kind = ValueKind::BigInt;
                v->text = a.keep(std::to_string(o.via.u64));
                v->index = 1; // decimal digits
            }
            return v;
        }
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64: {
            Value *v = a.make(ValueKind::Float);
            v->real = o.via.f64;
            return v;
        }
        case MSGPACK_OBJECT_STR: return stringValue(a, text(o));
        case MSGPACK_OBJECT_BIN: {
            Value *v = a.make(ValueKind::Bytes);
            v->text = std::string_view(o.via.bin.ptr, o.via.bin.size); // into the mapping, which the checkpoint keeps
            return v;
        }
        case MSGPACK_OBJECT_ARRAY: {
            Value *v = a.make(ValueKind::List);
            for (uint32_t i = 0; i < o.via.array.size; ++i)
                v->items.push_back(value(o.via.array.ptr[i], where + "/" + std::to_string(i), depth + 1));
            return v;
        }
        case MSGPACK_OBJECT_MAP: return map(o, where, depth);
        case MSGPACK_OBJECT_EXT: return ext(o, where);
        }
        throw FormatError(where + ": a msgpack type msgpack-c does not name");
    }

private:
    Value *map(const msgpack_object &o, const std::string &where, int depth)
    {
        const msgpack_object_map &m = o.via.map;
        for (uint32_t i = 0; i < m.size; ++i)
            if (text(m.ptr[i].key) == kChunked && m.ptr[i].val.type == MSGPACK_OBJECT_BOOLEAN && m.ptr[i].val.via.boolean)
                return chunked(m, where);
        Value *v = m_d.arena->make(ValueKind::Dict);
        for (uint32_t i = 0; i < m.size; ++i) {
            const msgpack_object &k = m.ptr[i].key;
            if (k.type != MSGPACK_OBJECT_STR) throw FormatError(where + ": a key that is not a string (to_bytes writes str(key))");
            v->items.push_back(stringValue(*m_d.arena, text(k)));
            v->items.push_back(value(m.ptr[i].val, where + "/" + std::string(text(k)), depth + 1));
        }
        return v;
    }

    struct Array
    {
        DType dtype = DType::Unknown;
        std::vector<int64_t> shape;
        uint64_t offset = 0; ///< of its bytes in the file
        uint64_t length = 0;
    };

    Array array(const msgpack_object &o, const std::string &where)
    {
        const char *payload = o.via.ext.ptr;
        Unpacked u(payload, o.via.ext.size, where);
        const msgpack_object &r = u.root();
        if (r.type != MSGPACK_OBJECT_ARRAY || r.via.array.size != 3) throw FormatError(where + ": an ndarray that is not [shape, dtype, bytes]");
        const msgpack_object &shape = r.via.array.ptr[0], &dtype = r.via.array.ptr[1], &bytes = r.via.array.ptr[2];
        Array a;
        if (shape.type != MSGPACK_OBJECT_ARRAY || shape.via.array.size > 64) throw FormatError(where + ": its shape is not a list of at most 64 sizes");
        for (uint32_t i = 0; i < shape.via.array.size; ++i) {
            const msgpack_object &dim = shape.via.array.ptr[i];
            if (dim.type != MSGPACK_OBJECT_POSITIVE_INTEGER || dim.via.u64 > uint64_t(INT64_MAX)) throw FormatError(where + ": a size that is not a count");
            a.shape.push_back(int64_t(dim.via.u64));
        }
        const std::string name(text(dtype));
        const std::optional<DType> d = name.empty() ? std::nullopt : dtypeFromName(name);
        if (!d || isQuantized(*d) || dtypeBits(*d) % 8) throw FormatError(where + ": dtype '" + name + "' has no tensor dtype");
        a.dtype = *d;
        if (bytes.type != MSGPACK_OBJECT_BIN) throw FormatError(where + ": its data is not bytes");
        const auto *p = reinterpret_cast<const uint8_t *>(bytes.via.bin.ptr);
        if (p < m_base || uint64_t(p - m_base) + bytes.via.bin.size > m_size) throw FormatError(where + ": its bytes lie outside the file");
        a.offset = uint64_t(p - m_base);
        a.length = bytes.via.bin.size;
        int64_t numel = 0;
        if (!checkedNumel(a.shape, numel) || uint64_t(numel) > (uint64_t(1) << 62) / uint64_t(dtypeBits(a.dtype) / 8) ||
            uint64_t(numel) * uint64_t(dtypeBits(a.dtype) / 8) != a.length)
            throw FormatError(where + ": " + std::to_string(a.length) + " bytes, not what its shape and dtype take");
        return a;
    }

    int tensor(const Array &a, const std::string &where)
    {
        StorageInfo s;
        s.key = where;
        s.dtype = a.dtype;
        s.location = "cpu";
        s.numel = int64_t(a.length / uint64_t(dtypeBits(a.dtype) / 8));
        s.byteOffset = a.offset;
        s.byteLength = a.length;
        TensorInfo t;
        t.dtype = a.dtype;
        t.shape = a.shape;
        t.strides = contiguousStrides(a.shape);
        t.rebuild = m_merge.intern("_rebuild_tensor_v2");
        t.storage = int(m_d.storages.size());
        m_d.storages.push_back(std::move(s));
        m_d.tensors.push_back(std::move(t));
        return int(m_d.tensors.size()) - 1;
    }

    Value *tensorValue(int index)
    {
        Value *v = m_d.arena->make(ValueKind::Tensor);
        v->index = index;
        return v;
    }

    Value *ext(const msgpack_object &o, const std::string &where)
    {
        if (o.via.ext.type == kNdarray || o.via.ext.type == kNumpyScalar) return tensorValue(tensor(array(o, where), where));
        if (o.via.ext.type == kComplex) {
            Unpacked u(o.via.ext.ptr, o.via.ext.size, where);
            return value(u.root(), where, 0); // [re, im]
        }
        throw FormatError(where + ": msgpack ext type " + std::to_string(o.via.ext.type) + ", which flax does not write");
    }

    /// Flax's cut of an array past 2^30 bytes: {"shape": {"0": d0, ..}, "chunks": {"0": 1-d
    /// array, ..}}, the chunks consecutive runs of the flattened array.
    Value *chunked(const msgpack_object_map &m, const std::string &where)
    {
        const msgpack_object *shape = nullptr, *chunks = nullptr;
        for (uint32_t i = 0; i < m.size; ++i) {
            if (text(m.ptr[i].key) == "shape") shape = &m.ptr[i].val;
            if (text(m.ptr[i].key) == "chunks") chunks = &m.ptr[i].val;
        }
        if (!shape || !chunks || shape->type != MSGPACK_OBJECT_MAP || chunks->type != MSGPACK_OBJECT_MAP || shape->via.map.size > 64)
            throw FormatError(where + ": a chunked array without its shape and chunks maps");
        std::vector<int64_t> dims;
        for (uint32_t i = 0; i < shape->via.map.size; ++i) {
            const msgpack_object &d = shape->via.map.ptr[i].val;
            if (text(shape->via.map.ptr[i].key) != std::to_string(i) || d.type != MSGPACK_OBJECT_POSITIVE_INTEGER || d.via.u64 > uint64_t(INT64_MAX))
                throw FormatError(where + ": a chunked array's shape is not {\"0\": size, ...}");
            dims.push_back(int64_t(d.via.u64));
        }
        int64_t numel = 0;
        if (!checkedNumel(dims, numel)) throw FormatError(where + ": its shape overflows");
        std::vector<TensorChunk> parts;
        DType dtype = DType::Unknown;
        int64_t at = 0;
        for (uint32_t i = 0; i < chunks->via.map.size; ++i) {
            const msgpack_object &c = chunks->via.map.ptr[i].val;
            const std::string part = where + "/chunks/" + std::to_string(i);
            if (text(chunks->via.map.ptr[i].key) != std::to_string(i) || c.type != MSGPACK_OBJECT_EXT || c.via.ext.type != kNdarray)
                throw FormatError(part + ": not the next ndarray of the chunks");
            const Array a = array(c, part);
            if (a.shape.size() != 1 || (i && a.dtype != dtype)) throw FormatError(part + ": not a flat run of the array's dtype");
            dtype = a.dtype;
            if (a.shape[0] > numel - at) throw FormatError(part + ": runs past the array's " + std::to_string(numel) + " elements");
            parts.push_back({{at}, {a.shape[0]}, tensor(a, part), true});
            at += a.shape[0];
        }
        if (at != numel) throw FormatError(where + ": its chunks hold " + std::to_string(at) + " of its " + std::to_string(numel) + " elements");
        return tensorValue(m_merge.chunkedTensor(dtype, dims, std::move(parts)));
    }

    CheckpointData &m_d;
    const uint8_t *m_base;
    uint64_t m_size;
    TableMerge m_merge;
};

} // namespace

Recognition FlaxMsgpackReader::recogniseFile(const FileProbe &probe) const
{
    if (probe.path.ends_with(".msgpack")) return {100, "named *.msgpack", {}, {}};
    // to_bytes writes one map: a fixmap (0x81..0x8f; 0x80 would be a pickle's PROTO) or map16/32.
    const ByteView h = probe.head;
    if (!h.empty() && ((h[0] >= 0x81 && h[0] <= 0x8f) || h[0] == 0xde || h[0] == 0xdf))
        return {30, "starts with a msgpack map (a Flax checkpoint?)", {}, {}};
    return {};
}

CheckpointData FlaxMsgpackReader::readFile(SourceFile file, const FormatRegistry &) const
{
    CheckpointData d;
    d.format = "flax-msgpack";
    for (auto *v : {&d.safety.torch113, &d.safety.torch2}) v->applicable = false; // msgpack_restore reads it, not torch.load
    const ByteView bytes = file.source->view(0, file.source->size());
    d.files.push_back(file);
    const std::string what = "msgpack";
    Unpacked u(reinterpret_cast<const char *>(bytes.data()), bytes.size(), what);
    if (u.extra()) throw FormatError(std::to_string(u.extra()) + " bytes follow the msgpack document (not one Flax state)");
    if (u.root().type != MSGPACK_OBJECT_MAP) throw FormatError("the msgpack document is not a map (to_bytes writes the state dict)");
    FlaxTree tree(d, bytes.data(), bytes.size());
    d.root = tree.value(u.root(), "", 0);
    d.pytreeWeights = true;
    d.preferredWeights = Path{};
    for (size_t i = 0; i + 1 < d.root->items.size(); i += 2)
        if (d.root->items[i]->text == "params" && d.root->items[i + 1]->kind == ValueKind::Dict) d.preferredWeights = Path{std::string("params")};
    return d;
}

} // namespace ckpt
