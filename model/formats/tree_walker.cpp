#include "model/formats/tree_walker.h"

#include "model/base/format_error.h"
#include "model/pickle/value_format.h"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace ckpt {
namespace {

// Dict keys that usually hold the model's weights, best first.
constexpr std::array<std::string_view, 12> kWeightsKeys{
    "state_dict", "model_state_dict", "model", "module", "net", "network",
    "weights",    "params",           "ema",   "model_ema", "state_dict_ema", "ema_state_dict"};

// Keys under which training state, not weights, is kept.
constexpr std::array<std::string_view, 7> kTrainingStateKeys{
    "optimizer", "optimizer_states", "optimizer_state_dict", "optim", "lr_schedulers",
    "scheduler", "optimizer_state"};

// Per-parameter slots of torch.optim optimizers.
constexpr std::array<std::string_view, 9> kOptimizerSlots{
    "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer", "square_avg",
    "acc_delta", "sum", "mu"};

template <size_t N>
bool contains(const std::array<std::string_view, N> &a, std::string_view s)
{
    return std::find(a.begin(), a.end(), s) != a.end();
}

struct Ranked
{
    WeightsCandidate candidate;
    int score = 0;
};

class Walker final
{
public:
    Walker(CheckpointData &d, uint32_t maxDepth) : m_d(d), m_maxDepth(maxDepth) {}

    void run()
    {
        m_d.entries.reserve(m_d.entries.size() + m_d.tensors.size()); // most tensors sit at one place
        if (m_d.root) visit(m_d.root);
        std::stable_sort(m_ranked.begin(), m_ranked.end(), [](const Ranked &a, const Ranked &b) {
            if (a.score != b.score) return a.score > b.score;
            return a.candidate.parameters > b.candidate.parameters;
        });
        for (auto &r : m_ranked) m_d.candidates.push_back(std::move(r.candidate));
    }

private:
    void visit(const Value *v)
    {
        v = unwrapped(v);
        if (v->kind == ValueKind::Tensor) {
            m_d.entries.push_back({m_path, v->index});
            return;
        }
        if (!v->isContainer()) return;
        if (m_onPath.count(v)) {
            noteSelfReference(v);
            return;
        }
        if (!m_expanded.insert(v).second) return;
        if (m_ancestors.size() >= m_maxDepth)
            throw FormatError("nesting deeper than " + std::to_string(m_maxDepth) + " levels");
        m_ancestors.push_back(v);
        m_onPath.insert(v);
        expand(v);
        m_onPath.erase(v);
        m_ancestors.pop_back();
    }

    // A list or dict that holds itself: torch.load reads it, so it is listed, once, and the
    // cycle named (cycles through objects' state, parent links, are normal and not named).
    void noteSelfReference(const Value *v)
    {
        auto it = std::find(m_ancestors.begin(), m_ancestors.end(), v);
        for (; it != m_ancestors.end(); ++it)
            if ((*it)->kind == ValueKind::Object) return;
        if (m_d.warnings.size() < 100)
            m_d.warnings.push_back("the container at " + (m_path.empty() ? std::string("the root") : pathToString(m_path)) +
                                   " is one that holds it (a cycle); it is listed once");
    }

    void expand(const Value *v)
    {
        switch (v->kind) {
        case ValueKind::Dict:
            expandDict(v);
            if (v->state) visitChildAsState(v->state);
            return;
        case ValueKind::List:
        case ValueKind::Tuple:
            expandSequence(v);
            return;
        case ValueKind::Object:
            for (const auto &[name, part] : tensorParts(v)) {
                m_path.emplace_back(std::string(name));
                visit(part);
                m_path.pop_back();
            }
            if (v->state) visitChildAsState(v->state);
            expandSequence(v);
            if (v->dictItems) expandDict(v->dictItems);
            return;
        default:
            return;
        }
    }

    void visitChildAsState(const Value *state)
    {
        // BUILD state: a dict of attributes, or (dict, slots) as pickle's default reduce gives.
        for (const Value *dict : stateDicts(state)) expandDict(dict);
    }

    void expandSequence(const Value *v)
    {
        const auto items = sequenceItems(v);
        for (size_t i = 0; i < items.size(); ++i) {
            m_path.emplace_back(int64_t(i));
            visit(items[i]);
            m_path.pop_back();
        }
    }

    void expandDict(const Value *dict)
    {
        const size_t entriesBefore = m_d.entries.size();
        size_t tensorValues = 0;
        bool stringKeys = true;
        for (size_t i = 0; i + 1 < dict->items.size(); i += 2) {
            const Value *key = dict->items[i];
            const Value *value = dict->items[i + 1];
            stringKeys = stringKeys && key->kind == ValueKind::String;
            tensorValues += value->kind == ValueKind::Tensor;
            if (const Value *leaf = unwrapped(value); leaf->kind == ValueKind::Tensor) {
                addEntry(keyToPathElement(key), leaf->index); // a state dict's every item
                continue;
            }
            m_path.push_back(keyToPathElement(key));
            visit(value);
            m_path.pop_back();
        }
        const bool pytree = m_d.pytreeWeights && m_d.preferredWeights && *m_d.preferredWeights == m_path;
        if (pytree || (stringKeys && tensorValues > 0 && tensorValues * 2 >= dict->dictSize()))
            consider(dict, entriesBefore, pytree);
    }

    /// A tensor at the current path plus `last`, the path built once in place.
    void addEntry(PathElement last, int tensor)
    {
        Path path;
        path.reserve(m_path.size() + 1);
        path.assign(m_path.begin(), m_path.end());
        path.push_back(std::move(last));
        m_d.entries.push_back({std::move(path), tensor});
    }

    /// `nested`: a pytree's weights, counted at any depth below the dict.
    void consider(const Value *dict, size_t entriesBefore, bool nested)
    {
        for (const auto &e : m_path)
            if (const auto *s = std::get_if<std::string>(&e); !nested && s && contains(kTrainingStateKeys, *s))
                return;
        bool allSlots = true;
        for (size_t i = 0; i < dict->items.size(); i += 2)
            allSlots = allSlots && contains(kOptimizerSlots, dict->items[i]->text);
        if (allSlots && !nested) return;

        Ranked r;
        r.candidate.path = m_path;
        std::vector<bool> seen(m_d.tensors.size(), false);
        for (size_t e = entriesBefore; e < m_d.entries.size(); ++e) {
            const auto &entry = m_d.entries[e];
            if ((nested ? entry.path.size() <= m_path.size() : entry.path.size() != m_path.size() + 1) || seen[size_t(entry.tensor)])
                continue;
            seen[size_t(entry.tensor)] = true;
            const auto &t = m_d.tensors[size_t(entry.tensor)];
            ++r.candidate.tensors;
            r.candidate.parameters += t.numel();
            r.candidate.bytes += t.nbytes();
        }
        if (m_path.empty()) {
            r.score = 80;
        } else if (const auto *s = std::get_if<std::string>(&m_path.back())) {
            const auto it = std::find(kWeightsKeys.begin(), kWeightsKeys.end(), *s);
            if (it != kWeightsKeys.end()) r.score = 100 - int(it - kWeightsKeys.begin()) * 4;
        }
        if (r.score > 0 && m_path.size() > 1) r.score -= 10; // nested deeper: less likely
        if (m_d.preferredWeights && *m_d.preferredWeights == m_path) r.score = 200;
        m_ranked.push_back(std::move(r));
    }

    CheckpointData &m_d;
    uint32_t m_maxDepth;
    Path m_path;
    std::vector<const Value *> m_ancestors;
    std::unordered_set<const Value *> m_onPath;
    std::unordered_set<const Value *> m_expanded;
    std::vector<Ranked> m_ranked;
};

} // namespace

PathElement keyToPathElement(const Value *key)
{
    switch (key->kind) {
    case ValueKind::String: return std::string(key->text);
    case ValueKind::Int:
    case ValueKind::Bool: return key->integer;
    case ValueKind::BigInt: return BigInteger{formatValue(key, nullptr, 120)};
    default: return formatValue(key, nullptr, 120);
    }
}

void walkTree(CheckpointData &d, uint32_t maxDepth)
{
    Walker(d, maxDepth).run();
}

namespace {

const Value *rawChildAt(const Value *v, const PathElement &e)
{
    if (const auto *s = std::get_if<std::string>(&e))
        for (const auto &[name, part] : tensorParts(v))
            if (name == *s) return part;
    const Value *dict = v->kind == ValueKind::Dict ? v : (v->kind == ValueKind::Object && v->state ? v->state : nullptr);
    if (dict && dict->kind == ValueKind::Dict) {
        for (size_t i = 0; i + 1 < dict->items.size(); i += 2) {
            const Value *k = dict->items[i];
            if (const auto *s = std::get_if<std::string>(&e); s && k->kind == ValueKind::String && k->text == *s)
                return dict->items[i + 1];
            if (const auto *n = std::get_if<int64_t>(&e); n && (k->kind == ValueKind::Int || k->kind == ValueKind::Bool) && k->integer == *n)
                return dict->items[i + 1];
            if (const auto *b = std::get_if<BigInteger>(&e); b && k->kind == ValueKind::BigInt && formatValue(k, nullptr, 120) == b->digits)
                return dict->items[i + 1];
        }
        return nullptr;
    }
    if (const auto *i = std::get_if<int64_t>(&e)) {
        const auto items = sequenceItems(v);
        return *i >= 0 && size_t(*i) < items.size() ? items[size_t(*i)] : nullptr;
    }
    return nullptr;
}

} // namespace

const Value *childAt(const Value *v, const PathElement &e)
{
    const Value *child = rawChildAt(unwrapped(v), e);
    return child ? unwrapped(child) : nullptr;
}

const Value *unwrapped(const Value *v)
{
    if (v->kind != ValueKind::Object || !v->callable || v->callable->kind != ValueKind::Global ||
        v->callable->module() != "torch.jit._pickle" || !v->args || v->args->kind != ValueKind::Tuple ||
        v->args->items.empty() || v->state)
        return v;
    const std::string_view name = v->callable->name();
    if (name == "restore_type_tag" || name.starts_with("build_")) return v->args->items[0];
    return v;
}

std::vector<const Value *> stateDicts(const Value *state)
{
    if (!state) return {};
    if (state->kind == ValueKind::Dict) return {state};
    std::vector<const Value *> dicts;
    if (state->kind == ValueKind::Tuple && state->items.size() == 2)
        for (const Value *part : state->items)
            if (part->kind == ValueKind::Dict) dicts.push_back(part);
    return dicts;
}

CompositeTensor compositeTensor(const Value *v)
{
    CompositeTensor out;
    // A wrapper subclass holding several tensors (data and scales): its state's, by name.
    if (v->kind == ValueKind::Object && v->callable && v->callable->kind == ValueKind::Global &&
        v->callable->module() == "torch._tensor" && v->callable->name() == "_rebuild_from_type_v2" && v->args &&
        v->args->kind == ValueKind::Tuple && v->args->items.size() == 4 &&
        v->args->items[0]->kind == ValueKind::Global && v->args->items[0]->name() == "_rebuild_wrapper_subclass") {
        const Value *type = v->args->items[1];
        out.kind = type->kind == ValueKind::Global ? std::string(type->name()) : "tensor subclass";
        if (v->args->items[2]->kind == ValueKind::Tuple && v->args->items[2]->items.size() > 2)
            out.size = v->args->items[2]->items[2];
        for (const Value *state : stateDicts(v->args->items[3]))
            for (size_t i = 0; i + 1 < state->items.size(); i += 2)
                if (state->items[i]->kind == ValueKind::String) out.parts.emplace_back(state->items[i]->text, state->items[i + 1]);
        return out;
    }
    if (v->kind != ValueKind::Object || !v->callable || v->callable->kind != ValueKind::Global ||
        v->callable->module() != "torch._utils" || !v->args || v->args->kind != ValueKind::Tuple ||
        v->args->items.size() < 2)
        return out;
    const std::string_view rebuild = v->callable->name();
    if (rebuild == "_rebuild_nested_tensor") {
        static constexpr std::string_view nested[] = {"values", "sizes", "strides", "storage_offsets"};
        out.kind = "nested";
        for (size_t i = 0; i < std::size(nested) && i < v->args->items.size(); ++i)
            out.parts.emplace_back(nested[i], v->args->items[i]);
        return out;
    }
    if (rebuild != "_rebuild_sparse_tensor" && rebuild != "_rebuild_sparse_csr_tensor") return out;
    const Value *layout = v->args->items[0];
    const Value *data = v->args->items[1];
    if (data->kind != ValueKind::Tuple) return out;
    // The layout: torch.serialization._get_layout("torch.sparse_coo"), or a global.
    std::string_view kind;
    if (layout->kind == ValueKind::Global) {
        kind = layout->name();
    } else if (layout->kind == ValueKind::Object && layout->qualifiedName() == "torch.serialization._get_layout" &&
               layout->args && layout->args->items.size() == 1 && layout->args->items[0]->kind == ValueKind::String) {
        kind = layout->args->items[0]->text;
        if (kind.starts_with("torch.")) kind.remove_prefix(6);
    }
    static const std::vector<std::string_view> coo{"indices", "values"};
    static const std::vector<std::string_view> rows{"crow_indices", "col_indices", "values"};
    static const std::vector<std::string_view> columns{"ccol_indices", "row_indices", "values"};
    const auto &names = kind == "sparse_coo"                             ? coo
                        : kind == "sparse_csr" || kind == "sparse_bsr" ? rows
                        : kind == "sparse_csc" || kind == "sparse_bsc" ? columns
                                                                       : coo;
    if (kind != "sparse_coo" && &names == &coo) return out;
    out.kind = std::string(kind);
    if (data->items.size() > names.size()) out.size = data->items[names.size()];
    for (size_t i = 0; i < names.size() && i < data->items.size(); ++i) out.parts.emplace_back(names[i], data->items[i]);
    return out;
}

std::vector<std::pair<std::string_view, const Value *>> tensorParts(const Value *v)
{
    return compositeTensor(v).parts;
}

std::string compositeTensorText(const Value *v)
{
    const CompositeTensor c = compositeTensor(v);
    if (c.kind.empty()) return {};
    const Value *size = c.size;
    if (size && size->kind == ValueKind::Object && size->args && size->args->kind == ValueKind::Tuple &&
        size->args->items.size() == 1)
        size = size->args->items[0]; // torch.Size((3, 3))
    if (!size || (size->kind != ValueKind::Tuple && size->kind != ValueKind::List)) return c.kind + " tensor";
    std::string text = c.kind;
    {
        text += " [";
        for (size_t i = 0; i < size->items.size(); ++i) {
            if (i) text += ", ";
            text += size->items[i]->kind == ValueKind::Int ? std::to_string(size->items[i]->integer) : "?";
        }
        text += "]";
    }
    return text;
}

std::span<Value *const> sequenceItems(const Value *v)
{
    if (v->kind == ValueKind::List || v->kind == ValueKind::Tuple) return v->items;
    if (v->kind != ValueKind::Object) return {};
    if (!v->items.empty()) return v->items;
    if ((v->how != BuildKind::Reduce && v->how != BuildKind::NewObj) || v->state || v->dictItems || !v->args || v->args->kind != ValueKind::Tuple ||
        !v->callable || v->callable->kind != ValueKind::Global)
        return {};
    const std::string_view module = v->callable->module();
    if (module == "torch.return_types") {
        const auto &args = v->args->items;
        if (!args.empty() && (args[0]->kind == ValueKind::Tuple || args[0]->kind == ValueKind::List)) return args[0]->items;
        return {};
    }
    // PyTorch's own rebuild calls (sparse tensors, tensor subclasses, torch.Size) take their
    // parts as arguments: those are no tuple's fields.
    if (module == "torch" || module.starts_with("torch.")) return {};
    return v->args->items;
}

} // namespace ckpt
