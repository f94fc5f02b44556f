#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/match/name_matcher.h"

#include <string>
#include <vector>

namespace ckpt {

enum class NodeKind : uint8_t {
    Root,      ///< the file
    Container, ///< dict, list, tuple, set, opaque object
    Module,    ///< a dotted-name prefix inside a dict of tensors ("encoder.layers.0")
    Tensor,
    Value,     ///< a scalar, string, bytes, global
    More,      ///< "... N more items" standing in for a long list of plain values
};

/// One row of the inspector's tree.
struct TreeNode
{
    std::string name;      ///< the row's own label (key, index, name component)
    std::string fullName;  ///< the whole path as text, '/' between objects, '.' in modules
    NodeKind kind = NodeKind::Value;
    int parent = -1;
    int row = 0;           ///< position among the parent's children
    std::vector<int> children;
    int entry = -1;        ///< Tensor: index into Checkpoint::entries()
    const Value *value = nullptr;
    size_t tensors = 0;    ///< tensors at or below this node
    int64_t parameters = 0;
    uint64_t bytes = 0;
};

/// The checkpoint as the inspector shows it: the object tree, with the dotted names inside
/// dicts of tensors folded into a module hierarchy (each module row carrying the totals
/// below it), or left flat. Built once, in the background, from the object tree.
class CheckpointTree final
{
public:
    struct Options
    {
        bool flat = false;        ///< keep dotted names as single rows
        size_t maxPlainItems = 1000; ///< longer lists of plain values end in a "More" row
    };

    static CheckpointTree build(const Checkpoint &checkpoint, const Options &options);
    static CheckpointTree build(const Checkpoint &checkpoint) { return build(checkpoint, Options{}); }

    const TreeNode &node(int i) const { return m_nodes[size_t(i)]; }
    size_t size() const { return m_nodes.size(); }
    static constexpr int root() { return 0; }
    /// The node of a tensor entry.
    int nodeOfEntry(size_t entry) const { return m_entryNodes[entry]; }
    bool flat() const { return m_flat; }

private:
    friend class TreeBuilder;
    std::vector<TreeNode> m_nodes;
    std::vector<int> m_entryNodes;
    bool m_flat = false;
};

/// Which rows a filter keeps: rows whose full name matches, their ancestors (so matches can
/// be reached) and their descendants (a matching module shows what is in it).
struct TreeFilterResult
{
    std::vector<bool> visible;
    std::vector<bool> matched;    ///< matched by name, or inside a matched module
    size_t tensors = 0;           ///< matched tensor rows
    int64_t parameters = 0;
};

TreeFilterResult filterTree(const CheckpointTree &tree, const NameMatcher &matcher);
/// Keeps only tensor rows whose entry is in `entries` (and that `base` matched, when given),
/// with their ancestors: "show only what the rules affect".
TreeFilterResult filterTreeToEntries(const CheckpointTree &tree, const std::vector<bool> &entries,
                                     const TreeFilterResult *base);

} // namespace ckpt
