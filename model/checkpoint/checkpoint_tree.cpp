#include "model/checkpoint/checkpoint_tree.h"

#include "model/formats/tree_walker.h"
#include "model/pickle/value_format.h"

#include <filesystem>
#include <span>
#include <unordered_map>
#include <unordered_set>

namespace ckpt {

class TreeBuilder final
{
public:
    TreeBuilder(const Checkpoint &c, const CheckpointTree::Options &o, CheckpointTree &t)
        : m_c(c), m_o(o), m_t(t)
    {
    }

    void run()
    {
        m_t.m_flat = m_o.flat;
        m_t.m_entryNodes.assign(m_c.entries().size(), -1);
        m_t.m_nodes.reserve(m_c.entries().size() * 2 + 64);
        // A tensor listed at one path only is known by its index; only one met at several
        // paths (a tensor object referenced twice) needs its path compared.
        std::vector<uint8_t> seen(m_c.tensors().size());
        for (const auto &e : m_c.entries())
            if (e.tensor >= 0 && size_t(e.tensor) < seen.size() && seen[size_t(e.tensor)] < 2) ++seen[size_t(e.tensor)];
        m_shared.assign(m_c.entries().size(), false);
        for (size_t i = 0; i < m_c.entries().size(); ++i) {
            const int t = m_c.entries()[i].tensor;
            m_shared[i] = t < 0 || size_t(t) >= seen.size() || seen[size_t(t)] > 1;
        }
        TreeNode root;
        root.kind = NodeKind::Root;
        root.value = m_c.root();
        root.name = m_c.files().empty()
                        ? std::string("checkpoint")
                        : std::filesystem::path(m_c.files().front().path).filename().string();
        m_t.m_nodes.push_back(std::move(root));
        if (m_c.root()) {
            if (m_c.root()->kind == ValueKind::Tensor) {
                visit(0, "(tensor)", "", m_c.root());
            } else {
                m_onPath.insert(m_c.root());
                m_expanded.insert(m_c.root());
                expand(0, m_c.root(), "");
            }
        }
        // Children are always created after their parents: one backward pass sums totals.
        for (size_t i = m_t.m_nodes.size(); i-- > 1;) {
            const TreeNode &n = m_t.m_nodes[i];
            TreeNode &p = m_t.m_nodes[size_t(n.parent)];
            p.tensors += n.tensors;
            p.parameters += n.parameters;
            p.bytes += n.bytes;
        }
    }

private:
    int add(int parent, std::string name, std::string fullName, NodeKind kind, const Value *v)
    {
        TreeNode n;
        n.name = std::move(name);
        n.fullName = std::move(fullName);
        n.kind = kind;
        n.parent = parent;
        n.value = v;
        const int id = int(m_t.m_nodes.size());
        n.row = int(m_t.m_nodes[size_t(parent)].children.size());
        m_t.m_nodes.push_back(std::move(n));
        m_t.m_nodes[size_t(parent)].children.push_back(id);
        return id;
    }

    /// The entry of the tensor met at `fullName`. This walk meets tensors in the order the
    /// tree walker listed them, so the next entry is almost always it; a map of all paths is
    /// built only if the orders ever part.
    int entryAt(const std::string &fullName, const Value *v)
    {
        const auto &entries = m_c.entries();
        if (m_next < entries.size() && entries[m_next].tensor == v->index &&
            (!m_shared[m_next] || pathToString(entries[m_next].path) == fullName))
            return int(m_next++);
        if (m_entryByPath.empty())
            for (size_t i = 0; i < entries.size(); ++i)
                m_entryByPath.emplace(pathToString(entries[i].path), int(i));
        const auto it = m_entryByPath.find(fullName);
        return it == m_entryByPath.end() ? -1 : it->second;
    }

    static std::string join(const std::string &path, std::string_view key)
    {
        std::string out;
        out.reserve(path.size() + 1 + key.size());
        if (!path.empty()) out.append(path).append(1, '/');
        out.append(key);
        return out;
    }

    static std::string keyText(const Value *key)
    {
        if (key->kind == ValueKind::String) return std::string(key->text); // a state dict's every key
        return pathElementText(keyToPathElement(key));
    }

    void visit(int parent, std::string name, std::string fullName, const Value *v)
    {
        v = unwrapped(v);
        if (v->kind == ValueKind::Tensor) {
            const int entry = entryAt(fullName, v);
            const int id = add(parent, std::move(name), std::move(fullName), NodeKind::Tensor, v);
            if (entry < 0) return;
            TreeNode &n = m_t.m_nodes[size_t(id)];
            n.entry = entry;
            const TensorInfo &t = m_c.tensors()[size_t(m_c.entries()[size_t(n.entry)].tensor)];
            n.tensors = 1;
            n.parameters = t.numel();
            n.bytes = t.nbytes();
            m_t.m_entryNodes[size_t(n.entry)] = id;
            return;
        }
        if (!v->isContainer()) {
            add(parent, std::move(name), std::move(fullName), NodeKind::Value, v);
            return;
        }
        if (m_onPath.count(v) || m_expanded.count(v)) {
            // Shared (the pickle memo) or a back-reference: shown once, where first met.
            add(parent, std::move(name), std::move(fullName), NodeKind::Value, v);
            return;
        }
        m_expanded.insert(v);
        m_onPath.insert(v);
        const int id = add(parent, std::move(name), fullName, NodeKind::Container, v);
        expand(id, v, fullName);
        m_onPath.erase(v);
    }

    void expand(int node, const Value *v, const std::string &path)
    {
        switch (v->kind) {
        case ValueKind::Dict: expandDict(node, v, path); return;
        case ValueKind::List:
        case ValueKind::Tuple:
        case ValueKind::Set:
        case ValueKind::FrozenSet: expandSequence(node, v->items, path); return;
        case ValueKind::Object:
            for (const auto &[name, part] : tensorParts(v))
                visit(node, std::string(name), join(path, std::string(name)), part);
            if (v->state) expandState(node, v->state, path);
            expandSequence(node, sequenceItems(v), path);
            if (v->dictItems) expandDict(node, v->dictItems, path);
            return;
        default: return;
        }
    }

    void expandState(int node, const Value *state, const std::string &path)
    {
        if (state->kind == ValueKind::Dict) {
            expandDict(node, state, path);
        } else if (state->kind == ValueKind::Tuple && state->items.size() == 2) {
            for (const Value *part : state->items)
                if (part->kind == ValueKind::Dict) expandDict(node, part, path);
        } else {
            visit(node, "(state)", join(path, "(state)"), state);
        }
    }

    void expandSequence(int node, std::span<Value *const> items, const std::string &path)
    {
        for (size_t i = 0; i < items.size(); ++i) {
            if (i >= m_o.maxPlainItems && restIsPlain(items, i)) {
                add(node, "... " + std::to_string(items.size() - i) + " more", join(path, "..."),
                    NodeKind::More, nullptr);
                return;
            }
            visit(node, std::to_string(i), join(path, std::to_string(i)), items[i]);
        }
    }

    static bool restIsPlain(std::span<Value *const> items, size_t from)
    {
        for (size_t i = from; i < items.size(); ++i)
            if (items[i]->kind == ValueKind::Tensor || items[i]->isContainer()) return false;
        return true;
    }

    void expandDict(int node, const Value *dict, const std::string &path)
    {
        bool tensorDict = !m_o.flat;
        bool anyTensor = false;
        for (size_t i = 0; i + 1 < dict->items.size(); i += 2) {
            tensorDict = tensorDict && dict->items[i]->kind == ValueKind::String;
            anyTensor = anyTensor || dict->items[i + 1]->kind == ValueKind::Tensor;
        }
        tensorDict = tensorDict && anyTensor;
        // Dotted prefix -> module node; the prefixes are views of the keys' text, which the
        // checkpoint keeps (every key of a dict of tensors is a string).
        std::unordered_map<std::string_view, int> modules;
        if (tensorDict) modules.reserve(dict->items.size() / 2);
        for (size_t i = 0; i + 1 < dict->items.size(); i += 2) {
            const Value *value = dict->items[i + 1];
            if (!tensorDict) {
                std::string key = keyText(dict->items[i]);
                std::string fullName = join(path, key);
                visit(node, std::move(key), std::move(fullName), value);
                continue;
            }
            // "encoder.layers.0.weight": modules encoder > layers > 0, then the tensor.
            const std::string_view key = dict->items[i]->text;
            int parent = node;
            size_t begin = 0;
            for (size_t dot = key.find('.'); dot != std::string_view::npos; dot = key.find('.', begin)) {
                if (dot == begin) break; // an empty component: keep the rest whole
                const std::string_view component = key.substr(begin, dot - begin);
                // State dicts list a module's tensors together: its node is usually the
                // parent's last child. Otherwise look the prefix up.
                const auto &siblings = m_t.m_nodes[size_t(parent)].children;
                if (!siblings.empty() && m_t.m_nodes[size_t(siblings.back())].kind == NodeKind::Module &&
                    m_t.m_nodes[size_t(siblings.back())].name == component) {
                    parent = siblings.back();
                } else {
                    const std::string_view prefix = key.substr(0, dot);
                    auto [it, inserted] = modules.try_emplace(prefix, 0);
                    if (inserted)
                        it->second = add(parent, std::string(component), join(path, prefix), NodeKind::Module, nullptr);
                    parent = it->second;
                }
                begin = dot + 1;
            }
            visit(parent, std::string(key.substr(begin)), join(path, key), value);
        }
    }

    const Checkpoint &m_c;
    const CheckpointTree::Options &m_o;
    CheckpointTree &m_t;
    std::unordered_map<std::string, int> m_entryByPath; // built only if needed
    size_t m_next = 0;
    std::vector<bool> m_shared; ///< per entry: its tensor is listed at more than one path
    std::unordered_set<const Value *> m_onPath;
    std::unordered_set<const Value *> m_expanded;
};

CheckpointTree CheckpointTree::build(const Checkpoint &checkpoint, const Options &options)
{
    CheckpointTree tree;
    TreeBuilder(checkpoint, options, tree).run();
    return tree;
}

namespace {

/// The common shape of both filters: `matches(i, node, parentMatched)` decides each row,
/// parents first; matched tensors are counted; every match keeps the rows above it visible.
template <class Match>
TreeFilterResult filterRows(const CheckpointTree &tree, Match matches)
{
    TreeFilterResult r;
    const size_t n = tree.size();
    r.visible.assign(n, false);
    r.matched.assign(n, false);
    r.visible[0] = true;
    for (size_t i = 1; i < n; ++i) {
        const TreeNode &node = tree.node(int(i));
        r.matched[i] = matches(i, node, bool(r.matched[size_t(node.parent)]));
        if (r.matched[i] && node.kind == NodeKind::Tensor) {
            ++r.tensors;
            r.parameters += node.parameters;
        }
    }
    for (size_t i = n; i-- > 1;) {
        r.visible[i] = r.visible[i] || r.matched[i];
        if (r.visible[i]) r.visible[size_t(tree.node(int(i)).parent)] = true;
    }
    return r;
}

} // namespace

TreeFilterResult filterTree(const CheckpointTree &tree, const NameMatcher &matcher)
{
    // A matching module passes its match down to everything under it.
    return filterRows(tree, [&](size_t, const TreeNode &node, bool parentMatched) {
        return parentMatched || matcher.matches(node.fullName);
    });
}

TreeFilterResult filterTreeToEntries(const CheckpointTree &tree, const std::vector<bool> &entries,
                                     const TreeFilterResult *base)
{
    return filterRows(tree, [&](size_t i, const TreeNode &node, bool) {
        return node.kind == NodeKind::Tensor && node.entry >= 0 && size_t(node.entry) < entries.size() &&
               entries[size_t(node.entry)] && (!base || base->matched[i]);
    });
}

} // namespace ckpt
