#include "model/pickle/weights_only_check.h"

#include <algorithm>
#include <array>

namespace ckpt {
namespace {

// Opcodes torch/_weights_only_unpickler.py handles; anything else is "Unsupported operand".
constexpr char kOpcodeBytes113[] = "}])(\x85\x86\x87\x88\x89\x8a\x80.NRbaehjqrsutQJKMXUc\x81\x8f";
constexpr std::string_view kOpcodes113(kOpcodeBytes113, sizeof kOpcodeBytes113 - 1);

constexpr std::array<bool, 256> kAllowed113 = [] {
    std::array<bool, 256> table{};
    for (char c : kOpcodes113) table[uint8_t(c)] = true;
    return table;
}();

bool opcodeAllowed(uint8_t op, WeightsOnlyCheck::Policy policy)
{
    if (policy == WeightsOnlyCheck::Policy::Torch2 && op == 'G') return true; // BINFLOAT
    return kAllowed113[op];
}

std::string opcodeName(uint8_t op)
{
    switch (op) {
    case 'G': return "BINFLOAT (a Python float)";
    case 0x93: return "STACK_GLOBAL (pickle protocol 4+)";
    case 0x94: return "MEMOIZE (pickle protocol 4+)";
    case 0x95: return "FRAME (pickle protocol 4+)";
    case 0x8c: return "SHORT_BINUNICODE (pickle protocol 4+)";
    case 'B': case 'C': case 0x8e: return "BINBYTES (Python bytes, protocol 3+)";
    case 'd': case 'l': return "DICT/LIST opcodes of protocol 0/1";
    default: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "opcode 0x%02x", op);
        return buf;
    }
    }
}

bool isParameterClass(const Value *v)
{
    return v && v->kind == ValueKind::Global && v->module() == "torch.nn.parameter" &&
           v->name() == "Parameter";
}

} // namespace

bool WeightsOnlyCheck::allowedGlobal(std::string_view module, std::string_view name) const
{
    const bool modern = m_policy == Policy::Torch2;
    if (module == "collections" && (name == "OrderedDict" || (modern && name == "Counter")))
        return true;
    if (module == "torch.nn.parameter" && name == "Parameter") return true;
    if (module == "torch.serialization" && name == "_get_layout") return true;
    if (module == "torch" && (name == "Size" || name == "Tensor")) return true;
    if (modern && ((module == "torch" && name == "device") ||
                   (module == "_codecs" && name == "encode") ||
                   (module == "builtins" &&
                    (name == "bytearray" || name == "set" || name == "complex"))))
        return true;
    if ((module == "torch" || module == "torch.cuda" || module == "torch.sparse" ||
         module == "torch.cuda.sparse") &&
        (name.ends_with("Tensor") || name.ends_with("Storage")))
        return module == "torch.sparse" || module == "torch.cuda.sparse" ? name.ends_with("Tensor")
                                                                          : true;
    if (module == "torch.storage" && (name == "UntypedStorage" || name == "TypedStorage"))
        return true;
    if (module == "torch") {
        static constexpr std::array<std::string_view, 10> k113{
            "complex32", "complex64", "complex128", "float16", "float32",
            "float64",   "int8",      "int16",      "int32",   "int64"};
        if (std::find(k113.begin(), k113.end(), name) != k113.end()) return true;
        if (modern && (name.starts_with("float") || name.starts_with("int") ||
                       name.starts_with("uint") || name.starts_with("bfloat") ||
                       name.starts_with("complex") || name == "bool" ||
                       name.starts_with("qint") || name.starts_with("quint") ||
                       name.starts_with("bits") || name.starts_with("per_")))
            return true;
    }
    if (module == "torch._utils") {
        static constexpr std::array<std::string_view, 5> kBoth{
            "_rebuild_parameter", "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_sparse_tensor",
            "_rebuild_meta_tensor_no_storage"};
        if (std::find(kBoth.begin(), kBoth.end(), name) != kBoth.end()) return true;
        // 1.13's CSR rebuild; torch 2.x rebuilds every sparse layout with _rebuild_sparse_tensor
        // and no longer allows this one (nor nested tensors).
        if (!modern && name == "_rebuild_sparse_csr_tensor") return true;
        static constexpr std::array<std::string_view, 6> kModern{
            "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_tensor_v3",
            "_rebuild_wrapper_subclass", "_rebuild_device_tensor_from_numpy",
            "_rebuild_device_tensor_from_cpu_tensor"};
        if (modern && std::find(kModern.begin(), kModern.end(), name) != kModern.end())
            return true;
    }
    if (modern && module == "torch._tensor" && name == "_rebuild_from_type_v2") return true;
    return false;
}

void WeightsOnlyCheck::block(std::string reason)
{
    if (m_seen.insert(reason).second) m_blockers.push_back(std::move(reason));
}

void WeightsOnlyCheck::opcodesUsed(const std::array<bool, 256> &used)
{
    for (int op = 0; op < 256; ++op)
        if (used[size_t(op)] && !opcodeAllowed(uint8_t(op), m_policy))
            block("unsupported " + opcodeName(uint8_t(op)));
}

void WeightsOnlyCheck::global(const Value *g, bool)
{
    // STACK_GLOBAL is refused as an opcode already; the name is reported too, as what a user
    // would have to allow.
    std::string_view module = g->module();
    if (module == "__builtin__") module = "builtins";
    if (m_policy == Policy::Torch2 &&
        (module == "sys" || module == "os" || module == "posix" || module == "nt")) {
        block("global " + g->qualifiedName() + " (module is blocked)");
        return;
    }
    if (allowedGlobal(module, g->name())) return;
    // torch.distributed.tensor adds its classes to the safe globals when it is imported (torch
    // 2.x says so for these names): refused in a plain process, as here, but not where it is.
    if (m_policy == Policy::Torch2 && (module.starts_with("torch.distributed.tensor") || module == "torch.distributed.device_mesh"))
        block("global " + g->qualifiedName() + " (allowed once torch.distributed.tensor is imported)");
    else
        block("global " + g->qualifiedName());
}

void WeightsOnlyCheck::reduce(const Value *callable, const Value *)
{
    if (!callable || callable->kind != ValueKind::Global)
        block("REDUCE on a value that is not an allowed global");
}

void WeightsOnlyCheck::newObject(const Value *cls)
{
    if (isParameterClass(cls)) return;
    if (m_policy == Policy::Torch2 && cls && cls->kind == ValueKind::Global &&
        allowedGlobal(cls->module(), cls->name()))
        return;
    block("NEWOBJ of " + (cls && cls->kind == ValueKind::Global ? cls->qualifiedName()
                                                                 : std::string("a non-class")));
}

void WeightsOnlyCheck::build(const Value *target)
{
    const Value *cls = target->callable;
    const bool named = cls && cls->kind == ValueKind::Global;
    const bool tensorLike = named && ((cls->module() == "torch._utils" &&
                                       cls->name().starts_with("_rebuild_")) ||
                                      isParameterClass(cls));
    const bool ordered = named && target->kind == ValueKind::Dict &&
                         cls->module() == "collections" && cls->name() == "OrderedDict";
    if (tensorLike || ordered) return;
    if (m_policy == Policy::Torch2 && named) return; // allowed classes may take state
    block("BUILD on " + (named ? cls->qualifiedName() : std::string("a plain value")));
}

void WeightsOnlyCheck::append(const Value *target)
{
    if (target->kind != ValueKind::List) block("APPEND to something that is not a list");
}

void WeightsOnlyCheck::setItem(const Value *target)
{
    if (target->kind != ValueKind::Dict) block("SETITEM on something that is not a dict");
}

void WeightsOnlyCheck::persistentId(const Value *pid)
{
    const bool storage = pid->kind == ValueKind::Tuple && !pid->items.empty() &&
                         pid->items[0]->kind == ValueKind::String &&
                         pid->items[0]->text == "storage";
    if (!storage && pid->kind != ValueKind::Int) block("a persistent id that is not a storage");
}

void WeightsOnlyCheck::mergeInto(WeightsOnlyVerdict &verdict) const
{
    for (const auto &b : m_blockers)
        if (std::find(verdict.blockers.begin(), verdict.blockers.end(), b) ==
            verdict.blockers.end())
            verdict.blockers.push_back(b);
    verdict.ok = verdict.blockers.empty();
}

} // namespace ckpt
