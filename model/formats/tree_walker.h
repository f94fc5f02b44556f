#pragma once

#include "model/formats/checkpoint_data.h"

#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace ckpt {

/// Walks the object tree once from the root: records a TensorEntry for every place a tensor
/// sits (containers reached twice are expanded at their first path only; a list or dict that
/// contains itself gets a warning), refuses trees deeper than the limit, and ranks the dicts
/// that look like model weights. Throws FormatError.
void walkTree(CheckpointData &d, uint32_t maxDepth = 400);

/// The path element a dict key becomes: strings as they are, integers as integers, other
/// keys as their Python repr.
PathElement keyToPathElement(const Value *key);

/// What a sequence holds, walked by position: a list's or tuple's items, a list subclass's
/// appended items, and the fields of a tuple subclass, which the pickle passes to its class:
/// a namedtuple (its class, not one of PyTorch's, called on the fields, no state) or a
/// torch.return_types structseq (called on one sequence of them). torch.load's result is
/// walked the same way.
std::span<Value *const> sequenceItems(const Value *v);

/// The value a TorchScript pickle wraps in a call that only restores its type
/// (torch.jit._pickle.build_tensorlist(list), restore_type_tag(dict, "Dict[str, Tensor]"),
/// ...), else `v`: torch.load's result holds the list or dict itself.
const Value *unwrapped(const Value *v);

/// The tensors a sparse or nested tensor is made of, named as torch names them: indices and
/// values; crow_indices, col_indices and values; ... (torch.save writes a sparse tensor as a
/// rebuild call on (layout, (parts..., size))); a nested tensor's values, sizes, strides and
/// storage_offsets (_rebuild_nested_tensor(buffer, sizes, strides, offsets)); the state of
/// a wrapper subclass holding several tensors (data and scales), by name. Empty for anything
/// else.
std::vector<std::pair<std::string_view, const Value *>> tensorParts(const Value *v);

/// A tensor made of parts: what it is ("sparse_coo", "nested", "DTensor"), its size when the
/// pickle gives it, and its parts (tensorParts).
struct CompositeTensor
{
    std::string kind;
    const Value *size = nullptr;
    std::vector<std::pair<std::string_view, const Value *>> parts;
};
CompositeTensor compositeTensor(const Value *v);

/// "sparse_csr [3, 3]", "nested tensor": how the tree shows one; empty for anything else.
std::string compositeTensorText(const Value *v);

/// The dicts an object's state is: itself when a dict, or the dicts of (dict, slots) as
/// pickle's default reduce gives a class with __slots__ (either may be None).
std::vector<const Value *> stateDicts(const Value *state);

/// The child of a dict (or an object's state dict), list or tuple at `e`; null when absent.
const Value *childAt(const Value *v, const PathElement &e);

} // namespace ckpt
