#include "tensor_resolver.h"

#include "format_error.h"

#include <unordered_map>

namespace ckpt {
namespace {

const Value *arg(const Value *args, size_t i)
{
    return args && args->kind == ValueKind::Tuple && i < args->items.size() ? args->items[i]
                                                                            : nullptr;
}

std::string describe(const std::string &fn, const std::string &what)
{
    return "malformed tensor (" + fn + "): " + what;
}

int64_t intArg(const Value *v, const std::string &fn, const char *what)
{
    if (!v || (v->kind != ValueKind::Int && v->kind != ValueKind::Bool))
        throw FormatError(describe(fn, std::string(what) + " is not an integer"));
    return v->integer;
}

/// A shape or stride: a tuple of ints, or torch.Size(tuple).
std::vector<int64_t> intTuple(const Value *v, const std::string &fn, const char *what)
{
    if (v && v->kind == ValueKind::Object && v->qualifiedName() == "torch.Size")
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

DType dtypeArg(const Value *v, const std::string &fn)
{
    if (v && v->kind == ValueKind::Global && v->module() == "torch")
        if (auto d = dtypeFromName(v->name())) return *d;
    throw FormatError(describe(fn, "dtype is not a torch dtype"));
}

class Resolver final
{
public:
    explicit Resolver(CheckpointData &d) : m_d(d) {}

    void run()
    {
        m_d.arena->forEach([this](Value &v) {
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
        DType dtype = DType::Unknown;
        if (cls->kind == ValueKind::Global) {
            if (cls->name() == "UntypedStorage") dtype = DType::UInt8;
            else if (auto d = dtypeFromStorageClass(cls->name())) dtype = *d;
        }
        if (dtype == DType::Unknown)
            throw FormatError("unknown storage type " +
                              (cls->kind == ValueKind::Global ? cls->qualifiedName()
                                                              : std::string("(not a class)")));
        const std::string k =
            key->kind == ValueKind::String ? key->text : std::to_string(key->integer);
        auto [it, inserted] = m_storageByKey.try_emplace(k, int(m_d.storages.size()));
        if (inserted) {
            StorageInfo s;
            s.key = k;
            s.dtype = dtype;
            s.location = location->kind == ValueKind::String ? location->text : "";
            s.numel = numel->integer;
            m_d.storages.push_back(std::move(s));
        } else if (m_d.storages[it->second].dtype != dtype) {
            throw FormatError("storage " + k + " is referenced with two different types");
        }
        ref.index = it->second;
        ref.integer = 0;
        // Legacy files: a 6th element (view_key, offset, size) makes this a view.
        if (pid->items.size() >= 6 && pid->items[5]->kind == ValueKind::Tuple &&
            pid->items[5]->items.size() >= 2)
            ref.integer = intArg(pid->items[5]->items[1], "storage view", "offset");
    }

    void resolveObject(Value &v)
    {
        const std::string fn = v.qualifiedName();
        if (fn.empty()) return;
        int t = -1;
        if (v.how == BuildKind::NewObj && fn == "torch.nn.parameter.Parameter") {
            t = parameter(v.args, fn, 1);
        } else if (v.how == BuildKind::Reduce) {
            t = rebuild(fn, v.args);
        }
        if (t >= 0) {
            v.kind = ValueKind::Tensor;
            v.index = t;
        }
    }

    int parameter(const Value *args, const std::string &fn, size_t requiresGradAt)
    {
        const Value *data = arg(args, 0);
        if (!data || data->kind != ValueKind::Tensor)
            throw FormatError(describe(fn, "data is not a tensor"));
        TensorInfo &info = m_d.tensors[size_t(data->index)];
        info.parameter = true;
        info.requiresGrad = boolArg(arg(args, requiresGradAt));
        return data->index;
    }

    int rebuild(const std::string &fn, const Value *args)
    {
        if (!fn.starts_with("torch.")) return -1;
        if (fn == "torch._utils._rebuild_tensor" || fn == "torch._utils._rebuild_tensor_v2" ||
            fn == "torch._utils._rebuild_tensor_v3")
            return storageTensor(fn, args, 4, fn.ends_with("_v3") ? 6 : -1);
        if (fn == "torch._utils._rebuild_qtensor") return storageTensor(fn, args, 5, -1);
        if (fn == "torch._utils._rebuild_parameter" ||
            fn == "torch._utils._rebuild_parameter_with_state")
            return parameter(args, fn, 1);
        if (fn == "torch._utils._rebuild_device_tensor_from_cpu_tensor") {
            const Value *data = arg(args, 0);
            return data && data->kind == ValueKind::Tensor ? data->index : -1;
        }
        if (fn == "torch._tensor._rebuild_from_type_v2") {
            const Value *func = arg(args, 0);
            if (!func || func->kind != ValueKind::Global) return -1;
            if (func->qualifiedName() == "torch._tensor._rebuild_from_type_v2") return -1;
            return rebuild(func->qualifiedName(), arg(args, 2));
        }
        if (fn == "torch._utils._rebuild_meta_tensor_no_storage") {
            TensorInfo info;
            info.dtype = dtypeArg(arg(args, 0), fn);
            info.shape = intTuple(arg(args, 1), fn, "size");
            info.strides = intTuple(arg(args, 2), fn, "stride");
            info.requiresGrad = boolArg(arg(args, 3));
            info.rebuild = fn.substr(fn.rfind('.') + 1);
            return add(std::move(info), fn);
        }
        return -1;
    }

    int storageTensor(const std::string &fn, const Value *args, int requiresGradAt, int dtypeAt)
    {
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
        info.rebuild = fn.substr(fn.rfind('.') + 1);
        return add(std::move(info), fn);
    }

    int add(TensorInfo info, const std::string &fn)
    {
        if (info.shape.size() != info.strides.size())
            throw FormatError(describe(fn, "size and stride differ in length"));
        int64_t n = 0;
        if (!checkedNumel(info.shape, n)) throw FormatError(describe(fn, "impossible size"));
        if (info.storageOffset < 0) throw FormatError(describe(fn, "negative offset"));
        for (int64_t s : info.strides)
            if (s < 0) throw FormatError(describe(fn, "negative stride"));
        m_d.tensors.push_back(std::move(info));
        return int(m_d.tensors.size() - 1);
    }

    CheckpointData &m_d;
    std::unordered_map<std::string, int> m_storageByKey;
};

} // namespace

void resolveTensors(CheckpointData &d)
{
    Resolver(d).run();
}

void checkTensorBounds(const CheckpointData &d)
{
    for (const auto &s : d.storages) {
        const unsigned __int128 need =
            (static_cast<unsigned __int128>(s.numel) * unsigned(dtypeBits(s.dtype)) + 7) / 8;
        if (s.mapped && need > s.byteLength)
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
        const unsigned __int128 endBits = (last + 1) * unsigned(dtypeBits(t.dtype));
        const unsigned __int128 haveBits =
            static_cast<unsigned __int128>(uint64_t(s.numel)) * unsigned(dtypeBits(s.dtype));
        if (endBits > haveBits)
            throw FormatError("a tensor of shape " + std::to_string(t.shape.size()) +
                              " dims views past the end of storage " + s.key);
    }
}

} // namespace ckpt
