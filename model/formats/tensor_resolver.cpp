#include "model/formats/tensor_resolver.h"

#include "model/base/format_error.h"
#include "model/base/key_index.h"
#include "model/formats/tree_walker.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace ckpt {
namespace {

const Value *arg(const Value *args, size_t i)
{
    return args && args->kind == ValueKind::Tuple && i < args->items.size() ? args->items[i]
                                                                            : nullptr;
}

std::string describe(std::string_view fn, const std::string &what)
{
    return "malformed tensor (" + std::string(fn) + "): " + what;
}

int64_t intArg(const Value *v, std::string_view fn, const char *what)
{
    if (!v || (v->kind != ValueKind::Int && v->kind != ValueKind::Bool))
        throw FormatError(describe(fn, std::string(what) + " is not an integer"));
    return v->integer;
}

/// A shape or stride: a tuple of ints, or torch.Size(tuple).
std::vector<int64_t> intTuple(const Value *v, std::string_view fn, const char *what)
{
    if (v && v->kind == ValueKind::Object && v->callable &&
        v->callable->kind == ValueKind::Global && v->callable->module() == "torch" &&
        v->callable->name() == "Size")
        v = arg(v->args, 0);
    if (!v || (v->kind != ValueKind::Tuple && v->kind != ValueKind::List))
        throw FormatError(describe(fn, std::string(what) + " is not a tuple"));
    std::vector<int64_t> out;
    out.reserve(v->items.size());
    for (const Value *item : v->items) out.push_back(intArg(item, fn, what));
    return out;
}

bool boolArg(const Value *v)
{
    return v && (v->kind == ValueKind::Bool || v->kind == ValueKind::Int) && v->integer != 0;
}

DType dtypeArg(const Value *v, std::string_view fn)
{
    if (v && v->kind == ValueKind::Global && v->module() == "torch")
        if (auto d = dtypeFromName(v->name())) return *d;
    throw FormatError(describe(fn, "dtype is not a torch dtype"));
}

/// The rebuild functions, told apart once per distinct global node (pickles memoize them, so
/// a 100k-tensor file has a handful of these nodes and 100k calls).
enum class Rebuild : uint8_t {
    None, Tensor, TensorV2, TensorV3, QTensor, Parameter, ParameterWithState, FromTypeV2,
    MetaNoStorage, DeviceFromCpu, DeviceFromNumpy, WrapperSubclass, ParameterClass,
};

struct RebuildName
{
    std::string_view module;
    std::string_view name;
    Rebuild kind;
};

constexpr RebuildName kRebuilds[] = {
    {"torch._utils", "_rebuild_tensor", Rebuild::Tensor},
    {"torch._utils", "_rebuild_tensor_v2", Rebuild::TensorV2},
    {"torch._utils", "_rebuild_tensor_v3", Rebuild::TensorV3},
    {"torch._utils", "_rebuild_qtensor", Rebuild::QTensor},
    {"torch._utils", "_rebuild_parameter", Rebuild::Parameter},
    {"torch._utils", "_rebuild_parameter_with_state", Rebuild::ParameterWithState},
    {"torch._tensor", "_rebuild_from_type_v2", Rebuild::FromTypeV2},
    {"torch._utils", "_rebuild_meta_tensor_no_storage", Rebuild::MetaNoStorage},
    {"torch._utils", "_rebuild_device_tensor_from_cpu_tensor", Rebuild::DeviceFromCpu},
    {"torch._utils", "_rebuild_device_tensor_from_numpy", Rebuild::DeviceFromNumpy},
    {"torch._utils", "_rebuild_xla_tensor", Rebuild::DeviceFromNumpy},
    {"torch._utils", "_rebuild_wrapper_subclass", Rebuild::WrapperSubclass},
    {"torch.nn.parameter", "Parameter", Rebuild::ParameterClass},
};

Rebuild rebuildOf(const Value *callable)
{
    if (!callable || callable->kind != ValueKind::Global) return Rebuild::None;
    const auto module = callable->module();
    if (!module.starts_with("torch")) return Rebuild::None;
    const auto name = callable->name();
    for (const auto &r : kRebuilds)
        if (r.module == module && r.name == name) return r.kind;
    return Rebuild::None;
}

std::string_view nameOf(Rebuild kind)
{
    for (const auto &r : kRebuilds)
        if (r.kind == kind) return r.name;
    return "?";
}

class Resolver final
{
public:
    explicit Resolver(CheckpointData &d) : m_d(d) {}

    void run(size_t firstValue)
    {
        // Every tensor is an Object when made, every storage a PersistentRef: reserving for
        // them (up to a million, virtual until written) spares copying the tables as they grow.
        constexpr size_t kMostReserved = size_t(1) << 20;
        const ValueArena &arena = *m_d.arena;
        m_d.tensors.reserve(m_d.tensors.size() + std::min(arena.made(ValueKind::Object), kMostReserved));
        m_d.storages.reserve(m_d.storages.size() + std::min(arena.made(ValueKind::PersistentRef), kMostReserved));
        m_d.arena->forEachFrom(firstValue, [this](Value &v) {
            if (v.kind == ValueKind::PersistentRef) resolveStorage(v);
            else if (v.kind == ValueKind::Object) resolveObject(v);
        });
    }

private:
    void resolveStorage(Value &ref)
    {
        const Value *pid = ref.args;
        if (!pid || pid->kind != ValueKind::Tuple || pid->items.size() < 5) return;
        const Value *tag = pid->items[0];
        if (tag->kind != ValueKind::String || tag->text != "storage") return;
        const Value *cls = pid->items[1];
        const Value *key = pid->items[2];
        const Value *location = pid->items[3];
        const Value *numel = pid->items[4];
        if (key->kind != ValueKind::String && key->kind != ValueKind::Int)
            throw FormatError("malformed storage reference: key is not a string");
        if (numel->kind != ValueKind::Int || numel->integer < 0)
            throw FormatError("malformed storage reference: size is not a count");
        const DType dtype = storageDtype(cls);
        const std::string_view k = key->kind == ValueKind::String ? key->text : m_d.arena->keep(std::to_string(key->integer));
        const int index = m_storageByKey.findOrInsert(k, int(m_d.storages.size()));
        if (index == int(m_d.storages.size())) {
            StorageInfo &s = m_d.storages.emplace_back();
            s.key = k;
            s.dtype = dtype;
            if (location->kind == ValueKind::String) s.location = location->text;
            s.numel = numel->integer;
        } else if (m_d.storages[size_t(index)].dtype != dtype) {
            throw FormatError("storage " + std::string(k) + " is referenced with two different types");
        }
        ref.index = index;
        ref.integer = 0;
        // Legacy files: a 6th element (view_key, offset, size) makes this a view.
        if (pid->items.size() >= 6 && pid->items[5]->kind == ValueKind::Tuple &&
            pid->items[5]->items.size() >= 2)
            ref.integer = intArg(pid->items[5]->items[1], "storage view", "offset");
    }

    /// The dtype a storage class (torch.FloatStorage, torch.UntypedStorage) stands for; the
    /// last class asked about is remembered (a state dict names one or two, memoized).
    DType storageDtype(const Value *cls)
    {
        if (cls == m_lastStorageClass) return m_lastStorageDtype;
        DType dtype = DType::Unknown;
        if (cls->kind == ValueKind::Global) {
            if (cls->name() == "UntypedStorage") dtype = DType::UInt8;
            else if (auto d = dtypeFromStorageClass(cls->name())) dtype = *d;
        }
        if (dtype == DType::Unknown)
            throw FormatError("unknown storage type " +
                              (cls->kind == ValueKind::Global ? cls->qualifiedName()
                                                              : std::string("(not a class)")));
        m_lastStorageClass = cls;
        m_lastStorageDtype = dtype;
        return dtype;
    }

    Rebuild kindOf(const Value *callable)
    {
        // A state dict calls the same one or two globals (memoized) for every tensor.
        if (callable == m_lastCallable) return m_lastKind;
        const auto [it, inserted] = m_kinds.try_emplace(callable, Rebuild::None);
        if (inserted) it->second = rebuildOf(callable);
        m_lastCallable = callable;
        m_lastKind = it->second;
        return it->second;
    }

    void resolveObject(Value &v)
    {
        if (v.how != BuildKind::Reduce && v.how != BuildKind::NewObj) return;
        const Rebuild kind = kindOf(v.callable);
        if (kind == Rebuild::None) return;
        int t = -1;
        if (v.how == BuildKind::NewObj) {
            if (kind == Rebuild::ParameterClass) t = parameter(v.args, kind);
        } else {
            t = rebuild(kind, v.args);
        }
        if (t >= 0) {
            v.kind = ValueKind::Tensor;
            v.index = t;
        }
    }

    int parameter(const Value *args, Rebuild kind)
    {
        const Value *data = arg(args, 0);
        if (!data || data->kind != ValueKind::Tensor)
            throw FormatError(describe(std::string(nameOf(kind)), "data is not a tensor"));
        TensorInfo &info = m_d.tensors[size_t(data->index)];
        info.parameter = true;
        info.requiresGrad = boolArg(arg(args, 1));
        return data->index;
    }

    int rebuild(Rebuild kind, const Value *args)
    {
        switch (kind) {
        case Rebuild::Tensor:
        case Rebuild::TensorV2: return storageTensor(kind, args, 4, -1);
        case Rebuild::TensorV3: return storageTensor(kind, args, 4, 6);
        case Rebuild::QTensor: return storageTensor(kind, args, 5, -1);
        case Rebuild::Parameter:
        case Rebuild::ParameterWithState: return parameter(args, kind);
        case Rebuild::DeviceFromCpu: {
            const Value *data = arg(args, 0);
            return data && data->kind == ValueKind::Tensor ? data->index : -1;
        }
        case Rebuild::FromTypeV2: {
            // _rebuild_from_type_v2(func, type, args, state): the tensor is func(*args), made
            // a `type`; a wrapper subclass (DTensor) is the tensor its state holds.
            const Rebuild inner = kindOf(arg(args, 0));
            if (inner == Rebuild::FromTypeV2 || inner == Rebuild::ParameterClass || inner == Rebuild::None) return -1;
            const int t = inner == Rebuild::WrapperSubclass ? wrappedTensor(arg(args, 3)) : rebuild(inner, arg(args, 2));
            if (t >= 0) noteSubclass(m_d.tensors[size_t(t)], arg(args, 1));
            return t;
        }
        case Rebuild::DeviceFromNumpy: return numpyTensor(args);
        case Rebuild::WrapperSubclass: return -1; // without the state that holds its data
        case Rebuild::MetaNoStorage: {
            const std::string fn(nameOf(kind));
            TensorInfo info;
            info.dtype = dtypeArg(arg(args, 0), fn);
            info.shape = intTuple(arg(args, 1), fn, "size");
            info.strides = intTuple(arg(args, 2), fn, "stride");
            info.requiresGrad = boolArg(arg(args, 3));
            info.rebuild = nameOf(kind);
            return add(std::move(info), fn);
        }
        case Rebuild::None:
        case Rebuild::ParameterClass: return -1;
        }
        return -1;
    }

    /// The tensor a wrapper subclass's state holds: its "_local_tensor" (DTensor), else its
    /// only tensor; -1 when it holds several (their places in the state list them).
    int wrappedTensor(const Value *stateValue)
    {
        int only = -1;
        size_t tensors = 0;
        for (const Value *state : stateDicts(stateValue))
            for (size_t i = 0; i + 1 < state->items.size(); i += 2) {
                const Value *key = state->items[i];
                const Value *value = state->items[i + 1];
                if (value->kind != ValueKind::Tensor) continue;
                if (key->kind == ValueKind::String && key->text == "_local_tensor") return value->index;
                only = value->index;
                ++tensors;
            }
        return tensors == 1 ? only : -1;
    }

    void noteSubclass(TensorInfo &info, const Value *type)
    {
        if (!type || type->kind != ValueKind::Global) return;
        const std::string name = type->qualifiedName();
        if (name == "torch.Tensor" || name == "torch.nn.parameter.Parameter") return;
        info.subclass = m_d.arena->keep(name);
    }

    /// _rebuild_device_tensor_from_numpy(array, dtype, device, requires_grad): the bytes are
    /// the pickled numpy array's (numpy's _reconstruct + BUILD (version, shape, dtype,
    /// is_fortran, bytes)), inside the pickle itself.
    int numpyTensor(const Value *args)
    {
        const std::string fn(nameOf(Rebuild::DeviceFromNumpy));
        const Value *array = arg(args, 0);
        const Value *state = array && array->kind == ValueKind::Object ? array->state : nullptr;
        if (!state || state->kind != ValueKind::Tuple || state->items.size() < 5)
            throw FormatError(describe(fn, "the data is not a numpy array"));
        TensorInfo info;
        info.dtype = dtypeArg(arg(args, 1), fn);
        info.shape = intTuple(state->items[1], fn, "shape");
        info.requiresGrad = boolArg(arg(args, 3));
        info.rebuild = nameOf(Rebuild::DeviceFromNumpy);
        const bool fortran = boolArg(state->items[3]);
        info.strides = fortran ? columnMajorStrides(info.shape) : contiguousStrides(info.shape);
        const Value *device = arg(args, 2);
        const std::string location = device && device->kind == ValueKind::String ? std::string(device->text) : "";
        const Value *bytes = state->items[4];
        // The bytes are viewable where they lie in a file as numpy's dtype is the tensor's.
        const std::optional<DType> stored = numpyDtype(state->items[2]);
        int64_t numel = 0;
        if (bytes->kind == ValueKind::Bytes && stored == info.dtype && checkedNumel(info.shape, numel) &&
            static_cast<unsigned __int128>(uint64_t(numel)) * dtypeBits(info.dtype) / 8 <= bytes->text.size())
            info.storage = bytesStorage(bytes->text, info.dtype, numel, location);
        return add(std::move(info), fn);
    }

    /// numpy.dtype("f4", False, True) with BUILD (3, "<", ...): little-endian or one-byte
    /// codes only.
    static std::optional<DType> numpyDtype(const Value *dtype)
    {
        if (!dtype || dtype->kind != ValueKind::Object || !dtype->args || dtype->args->items.empty() ||
            dtype->args->items[0]->kind != ValueKind::String)
            return std::nullopt;
        if (dtype->state && dtype->state->kind == ValueKind::Tuple && dtype->state->items.size() > 1) {
            const Value *order = dtype->state->items[1];
            if (order->kind == ValueKind::String && order->text == ">") return std::nullopt;
        }
        // The wide unsigned codes stay out: the torch 1.13 fixtures this rebuild was checked on have none.
        const auto d = dtypeFromNumpyCode(dtype->args->items[0]->text);
        if (d && (*d == DType::UInt16 || *d == DType::UInt32 || *d == DType::UInt64)) return std::nullopt;
        return d;
    }

    /// A storage for bytes inside the pickle, when the pickle was read from a file's mapping
    /// (not inflated): -1 otherwise.
    int bytesStorage(std::string_view bytes, DType dtype, int64_t numel, const std::string &location)
    {
        const auto *p = reinterpret_cast<const uint8_t *>(bytes.data());
        for (size_t f = 0; f < m_d.files.size(); ++f) {
            const ByteSource &source = *m_d.files[f].source;
            if (source.size() == 0) continue;
            const ByteView whole = source.view(0, source.size());
            if (p < whole.data() || p + bytes.size() > whole.data() + whole.size()) continue;
            StorageInfo s;
            s.key = "numpy:" + std::to_string(m_d.storages.size());
            s.dtype = dtype;
            s.location = location;
            s.numel = numel;
            s.file = int(f);
            s.byteOffset = uint64_t(p - whole.data());
            s.byteLength = bytes.size();
            s.inPickle = true;
            m_d.storages.push_back(std::move(s));
            return int(m_d.storages.size() - 1);
        }
        return -1;
    }

    int storageTensor(Rebuild kind, const Value *args, int requiresGradAt, int dtypeAt)
    {
        const std::string_view fn = nameOf(kind);
        const Value *storage = arg(args, 0);
        if (!storage || storage->kind != ValueKind::PersistentRef || storage->index < 0)
            throw FormatError(describe(fn, "no storage"));
        TensorInfo info;
        info.storage = storage->index;
        info.dtype = m_d.storages[size_t(storage->index)].dtype;
        if (dtypeAt >= 0) info.dtype = dtypeArg(arg(args, size_t(dtypeAt)), fn);
        info.storageOffset = intArg(arg(args, 1), fn, "offset") + storage->integer;
        info.shape = intTuple(arg(args, 2), fn, "size");
        info.strides = intTuple(arg(args, 3), fn, "stride");
        info.requiresGrad = boolArg(arg(args, size_t(requiresGradAt)));
        info.rebuild = fn;
        return add(std::move(info), fn);
    }

    int add(TensorInfo info, std::string_view fnName)
    {
        if (info.shape.size() != info.strides.size())
            throw FormatError(describe(fnName, "size and stride differ in length"));
        int64_t n = 0;
        if (!checkedNumel(info.shape, n)) throw FormatError(describe(fnName, "impossible size"));
        if (info.storageOffset < 0) throw FormatError(describe(fnName, "negative offset"));
        for (int64_t s : info.strides)
            if (s < 0) throw FormatError(describe(fnName, "negative stride"));
        m_d.tensors.push_back(std::move(info));
        return int(m_d.tensors.size() - 1);
    }

    CheckpointData &m_d;
    KeyIndex m_storageByKey; // views live in the arena
    std::unordered_map<const Value *, Rebuild> m_kinds;
    const Value *m_lastCallable = nullptr;
    const Value *m_lastStorageClass = nullptr;
    DType m_lastStorageDtype = DType::Unknown;
    Rebuild m_lastKind = Rebuild::None;
};

} // namespace

void resolveTensors(CheckpointData &d, size_t firstValue)
{
    Resolver(d).run(firstValue);
}

void checkTensorBounds(const CheckpointData &d)
{
    for (const auto &s : d.storages) {
        const unsigned __int128 need =
            (static_cast<unsigned __int128>(s.numel) * unsigned(dtypeBits(s.dtype)) + 7) / 8;
        if ((s.mapped || s.buffer >= 0) && need > s.byteLength)
            throw FormatError("storage " + s.key + " needs " + std::to_string(uint64_t(need)) +
                              " bytes but its data holds " + std::to_string(s.byteLength));
    }
    for (const auto &t : d.tensors) {
        if (t.storage < 0 || t.numel() == 0) continue;
        // Highest element the view touches, in bits, against the storage's size in bits.
        unsigned __int128 last = uint64_t(t.storageOffset);
        for (size_t i = 0; i < t.shape.size(); ++i)
            last += static_cast<unsigned __int128>(uint64_t(t.shape[i] - 1)) * uint64_t(t.strides[i]);
        const auto &s = d.storages[size_t(t.storage)];
        const unsigned __int128 endBits = (last + 1) * unsigned(elementBits(t.dtype));
        const unsigned __int128 haveBits =
            static_cast<unsigned __int128>(uint64_t(s.numel)) * unsigned(dtypeBits(s.dtype));
        if (endBits > haveBits)
            throw FormatError("a tensor of shape " + std::to_string(t.shape.size()) +
                              " dims views past the end of storage " + s.key);
    }
}

} // namespace ckpt
