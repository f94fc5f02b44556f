#include "model/pickle/value_format.h"

#include "model/pickle/pickle_text.h"

#include <cstring>
#include <span>
#include <unordered_set>

namespace ckpt {
namespace {

constexpr int kMaxDepth = 40;

std::string shortName(const std::string &qualified)
{
    // Builtins read better bare: set, bytearray, complex.
    if (qualified.starts_with("builtins.")) return qualified.substr(9);
    return qualified;
}

/// _codecs.encode('...', 'latin1'): the UTF-8 text of code points < 256 back to bytes.
std::string latin1Bytes(std::string_view utf8)
{
    std::string out;
    for (size_t i = 0; i < utf8.size(); ++i) {
        const auto c = uint8_t(utf8[i]);
        if (c < 0x80) {
            out += char(c);
        } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
            out += char(((c & 0x1F) << 6) | (uint8_t(utf8[i + 1]) & 0x3F));
            ++i;
        } else {
            out += '?';
        }
    }
    return out;
}

class Formatter final
{
public:
    Formatter(const std::vector<TensorInfo> *tensors, size_t maxLength)
        : m_tensors(tensors), m_max(maxLength)
    {
    }

    std::string run(const Value *v)
    {
        write(v, 0);
        if (m_out.size() > m_max) {
            m_out.resize(m_max);
            m_out += "...";
        }
        return m_out;
    }

private:
    bool full() const { return m_out.size() > m_max; }

    void write(const Value *v, int depth)
    {
        if (full()) return;
        if (!v) {
            m_out += "?";
            return;
        }
        if (depth > kMaxDepth || (v->isContainer() && m_onPath.count(v))) {
            // A list or dict reached inside itself reads as Python's repr writes it.
            const bool plain = !v->callable && depth <= kMaxDepth;
            m_out += plain && v->kind == ValueKind::List ? "[...]" : plain && v->kind == ValueKind::Dict ? "{...}" : "...";
            return;
        }
        m_onPath.insert(v);
        writeValue(v, depth);
        m_onPath.erase(v);
    }

    void writeItems(std::span<Value *const> items, int depth, size_t from = 0,
                    size_t step = 1)
    {
        for (size_t i = from; i < items.size() && !full(); i += step) {
            if (i != from) m_out += ", ";
            write(items[i], depth + 1);
        }
    }

    void writeDictBody(const Value *dict, int depth)
    {
        m_out += '{';
        for (size_t i = 0; i + 1 < dict->items.size() && !full(); i += 2) {
            if (i) m_out += ", ";
            write(dict->items[i], depth + 1);
            m_out += ": ";
            write(dict->items[i + 1], depth + 1);
        }
        m_out += '}';
    }

    void writeValue(const Value *v, int depth)
    {
        switch (v->kind) {
        case ValueKind::None: m_out += "None"; return;
        case ValueKind::Bool: m_out += v->integer ? "True" : "False"; return;
        case ValueKind::Int: m_out += std::to_string(v->integer); return;
        case ValueKind::BigInt: m_out += v->bigIntIsDecimal() ? v->text : bigIntText(v->text); return;
        case ValueKind::Float: m_out += pythonFloatRepr(v->real); return;
        case ValueKind::String: m_out += pythonStrRepr(v->text); return;
        case ValueKind::Bytes: m_out += pythonBytesRepr(v->text); return;
        case ValueKind::List:
            m_out += '[';
            writeItems(v->items, depth);
            m_out += ']';
            return;
        case ValueKind::Tuple:
            m_out += '(';
            writeItems(v->items, depth);
            if (v->items.size() == 1) m_out += ',';
            m_out += ')';
            return;
        case ValueKind::Set:
        case ValueKind::FrozenSet: writeSet(v->kind == ValueKind::FrozenSet, v->items, depth); return;
        case ValueKind::Dict:
            if (v->callable) m_out += "OrderedDict(";
            writeDictBody(v, depth);
            if (v->callable) m_out += ')';
            return;
        case ValueKind::Global: m_out += v->qualifiedName(); return;
        case ValueKind::Tensor: writeTensor(v); return;
        case ValueKind::PersistentRef:
            m_out += "<persistent ";
            write(v->args, depth + 1);
            m_out += '>';
            return;
        case ValueKind::Object: writeObject(v, depth); return;
        }
    }

    void writeSet(bool frozen, std::span<Value *const> items, int depth)
    {
        if (items.empty()) {
            m_out += frozen ? "frozenset()" : "set()";
            return;
        }
        if (frozen) m_out += "frozenset(";
        m_out += '{';
        writeItems(items, depth);
        m_out += '}';
        if (frozen) m_out += ')';
    }

    void writeTensor(const Value *v)
    {
        m_out += "tensor(";
        if (m_tensors && v->index >= 0 && size_t(v->index) < m_tensors->size()) {
            const auto &t = (*m_tensors)[size_t(v->index)];
            m_out += dtypeName(t.dtype);
            m_out += ", [";
            for (size_t i = 0; i < t.shape.size(); ++i) {
                if (i) m_out += ", ";
                m_out += std::to_string(t.shape[i]);
            }
            m_out += ']';
        }
        m_out += ')';
    }

    const Value *arg(const Value *v, size_t i) const
    {
        return v->args && i < v->args->items.size() ? v->args->items[i] : nullptr;
    }

    void writeObject(const Value *v, int depth)
    {
        const std::string fn = v->qualifiedName();
        const Value *a0 = arg(v, 0);
        if (fn == "_codecs.encode" && a0 && a0->kind == ValueKind::String) {
            m_out += pythonBytesRepr(latin1Bytes(a0->text));
            return;
        }
        // Protocols 0-2 name the builtins module as Python 2 did (__builtin__).
        if ((fn == "builtins.set" || fn == "builtins.frozenset" || fn == "__builtin__.set" ||
             fn == "__builtin__.frozenset") &&
            a0 && (a0->kind == ValueKind::List || a0->kind == ValueKind::Tuple)) {
            writeSet(fn.ends_with(".frozenset"), a0->items, depth);
            return;
        }
        if (fn == "torch.Size" && a0) {
            m_out += "torch.Size([";
            writeItems(a0->items, depth);
            m_out += "])";
            return;
        }
        if (fn == "torch.device") {
            m_out += "device(";
            writeItems(v->args->items, depth);
            m_out += ')';
            return;
        }
        if (fn.starts_with("pathlib.") && v->args) {
            writePath(fn, v->args->items);
            return;
        }
        // copyreg._reconstructor(cls, base, state) and __newobj__: name the class itself.
        std::string name = fn.empty() ? std::string("object") : shortName(fn);
        bool showArgs = true;
        if ((fn == "copyreg._reconstructor" || fn == "copyreg.__newobj__") && a0 &&
            a0->kind == ValueKind::Global) {
            name = a0->qualifiedName();
            showArgs = false;
        }
        m_out += name;
        m_out += '(';
        bool first = true;
        if (showArgs && v->args) {
            writeItems(v->args->items, depth);
            first = v->args->items.empty();
        }
        if (v->state) writeState(v->state, depth, first);
        m_out += ')';
    }

    void writeState(const Value *state, int depth, bool first)
    {
        const Value *dict = state;
        if (state->kind == ValueKind::Tuple && state->items.size() == 2 &&
            state->items[0]->kind == ValueKind::Dict)
            dict = state->items[0];
        if (dict->kind == ValueKind::Dict) {
            for (size_t i = 0; i + 1 < dict->items.size() && !full(); i += 2) {
                if (!first) m_out += ", ";
                first = false;
                const Value *k = dict->items[i];
                if (k->kind == ValueKind::String) m_out += k->text;
                else write(k, depth + 1);
                m_out += '=';
                write(dict->items[i + 1], depth + 1);
            }
            return;
        }
        if (!first) m_out += ", ";
        m_out += "state=";
        write(state, depth + 1);
    }

    void writePath(const std::string &fn, std::span<Value *const> parts)
    {
        std::string joined;
        for (const Value *p : parts) {
            if (p->kind != ValueKind::String) continue;
            if (!joined.empty() && joined.back() != '/') joined += '/';
            joined += p->text;
        }
        m_out += fn + "(" + pythonStrRepr(joined) + ")";
    }

    const std::vector<TensorInfo> *m_tensors;
    size_t m_max;
    std::string m_out;
    std::unordered_set<const Value *> m_onPath;
};

} // namespace

std::string formatValue(const Value *value, const std::vector<TensorInfo> *tensors,
                        size_t maxLength)
{
    return Formatter(tensors, maxLength).run(value);
}

std::string typeName(const Value *v)
{
    if (!v) return "?";
    switch (v->kind) {
    case ValueKind::None: return "None";
    case ValueKind::Bool: return "bool";
    case ValueKind::Int:
    case ValueKind::BigInt: return "int";
    case ValueKind::Float: return "float";
    case ValueKind::String: return "str";
    case ValueKind::Bytes: return "bytes";
    case ValueKind::List: return "list";
    case ValueKind::Tuple: return "tuple";
    case ValueKind::Dict: return v->callable ? "OrderedDict" : "dict";
    case ValueKind::Set: return "set";
    case ValueKind::FrozenSet: return "frozenset";
    case ValueKind::Global: return "global";
    case ValueKind::Tensor: return "Tensor";
    case ValueKind::PersistentRef: return "persistent id";
    case ValueKind::Object: {
        const std::string fn = v->qualifiedName();
        return fn.empty() ? "object" : fn;
    }
    }
    return "?";
}

} // namespace ckpt
