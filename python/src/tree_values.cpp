#include "tree_values.h"

#include "model/pickle/pickle_value.h"

#include <string>
#include <unordered_map>
#include <unordered_set>

#include <nanobind/stl/string.h>

namespace nb = nanobind;

namespace ckpt::python {
namespace {

class TreeBuilder
{
public:
    explicit TreeBuilder(const Checkpoint &c) : m_c(c)
    {
        const nb::module_ values = nb::module_::import_("ckpt_studio._values");
        m_global = values.attr("GlobalRef");
        m_object = values.attr("OpaqueObject");
        m_tensor = values.attr("TensorRef");
    }

    nb::object build(const Value *v, const std::string &path)
    {
        if (!v) return nb::none();
        if (const auto it = m_done.find(v); it != m_done.end()) return it->second;
        if (m_building.count(v)) return m_global("", "<recursion>");
        if (m_building.size() > 5000) return m_global("", "<nested too deep>");
        m_building.insert(v);
        nb::object out = make(v, path);
        m_building.erase(v);
        if (v->isContainer() || v->kind == ValueKind::Object) m_done.emplace(v, out);
        return out;
    }

private:
    static std::string child(const std::string &path, const std::string &key)
    {
        return path.empty() ? key : path + "/" + key;
    }

    nb::object items(const Value *v, const std::string &path)
    {
        nb::list out;
        for (size_t i = 0; i < v->items.size(); ++i) out.append(build(v->items[i], child(path, std::to_string(i))));
        return out;
    }

    static std::string keyText(const Value *k)
    {
        if (!k) return "None";
        if (k->kind == ValueKind::String) return std::string(k->text);
        if (k->kind == ValueKind::Int) return std::to_string(k->integer);
        return std::string(k->text);
    }

    nb::object make(const Value *v, const std::string &path)
    {
        switch (v->kind) {
        case ValueKind::None: return nb::none();
        case ValueKind::Bool: return nb::bool_(v->integer != 0);
        case ValueKind::Int: return nb::int_(v->integer);
        case ValueKind::BigInt: {
            if (v->bigIntIsDecimal()) return nb::module_::import_("builtins").attr("int")(nb::str(v->text.data(), v->text.size()));
            return nb::module_::import_("builtins").attr("int").attr("from_bytes")(
                nb::bytes(v->text.data(), v->text.size()), "little", nb::arg("signed") = true);
        }
        case ValueKind::Float: return nb::float_(v->real);
        case ValueKind::String: return nb::str(v->text.data(), v->text.size());
        case ValueKind::Bytes: return nb::bytes(v->text.data(), v->text.size());
        case ValueKind::List: {
            nb::list out;
            m_done.emplace(v, out); // a list may hold itself
            for (size_t i = 0; i < v->items.size(); ++i) out.append(build(v->items[i], child(path, std::to_string(i))));
            return out;
        }
        case ValueKind::Tuple: return nb::tuple(items(v, path));
        case ValueKind::Set: return nb::module_::import_("builtins").attr("set")(items(v, path));
        case ValueKind::FrozenSet: return nb::module_::import_("builtins").attr("frozenset")(items(v, path));
        case ValueKind::Dict: {
            nb::dict out;
            m_done.emplace(v, out);
            for (size_t i = 0; i + 1 < v->items.size(); i += 2) {
                const Value *k = v->items[i];
                nb::object key = build(k, path);
                nb::object value = build(v->items[i + 1], child(path, keyText(k)));
                try {
                    out[key] = value;
                } catch (const nb::python_error &) { // an unhashable key (a list): its repr
                    out[nb::repr(key)] = value;
                }
            }
            return out;
        }
        case ValueKind::Global: return m_global(nb::str(std::string(v->module()).c_str()), nb::str(std::string(v->name()).c_str()));
        case ValueKind::Tensor: {
            if (v->index < 0 || size_t(v->index) >= m_c.tensors().size()) return m_tensor(path, "unknown", nb::list());
            const TensorInfo &t = m_c.tensors()[size_t(v->index)];
            nb::list shape;
            for (int64_t d : t.shape) shape.append(d);
            return m_tensor(path, std::string(dtypeName(t.dtype)), nb::tuple(shape));
        }
        case ValueKind::PersistentRef: return m_global("", "<persistent id>");
        case ValueKind::Object: {
            std::string module, name;
            if (v->callable && v->callable->kind == ValueKind::Global) {
                module = v->callable->module();
                name = v->callable->name();
            }
            nb::object args = v->args ? build(v->args, path) : nb::object(nb::tuple());
            nb::object state = v->state ? build(v->state, path) : nb::none();
            nb::object listItems = v->items.empty() ? nb::object(nb::none()) : items(v, path);
            nb::object dictItems = v->dictItems ? build(v->dictItems, path) : nb::none();
            return m_object(module, name, args, state, listItems, dictItems);
        }
        }
        return nb::none();
    }

    const Checkpoint &m_c;
    nb::object m_global, m_object, m_tensor;
    std::unordered_map<const Value *, nb::object> m_done;
    std::unordered_set<const Value *> m_building;
};

} // namespace

nb::object treeValues(const Checkpoint &checkpoint)
{
    return TreeBuilder(checkpoint).build(checkpoint.root(), "");
}

} // namespace ckpt::python
