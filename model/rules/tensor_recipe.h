#pragma once

#include "model/base/dtype.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt {

/// One step of how a surgery rule's tensor is made: read from a checkpoint, or computed from
/// earlier steps. Steps only refer back, so a book is evaluated front to back.
struct RecipeStep
{
    enum class Op {
        Read,      ///< a tensor of a checkpoint: `source` 0 is the one edited, k is RuleSet::sources[k - 1]
        Edit,      ///< operand 0 resized by resize rule `rule` (-1: not) and cast to `dtype`
        Stack,     ///< the operands on a new axis `axis`
        Concat,    ///< the operands joined along `axis`
        Slice,     ///< operand 0's [start, start + shape[axis]) along `axis`; `squeeze`: that axis removed
        Transpose, ///< operand 0 permuted by `dims`
        Reshape,   ///< operand 0's elements in a new shape
        Lora,      ///< operand 0 + scale * (B @ A), operands {W, A, B}; `transposed`: + (B @ A)^T
        Merge,     ///< merge rule `rule` of the operands, `weights` per operand
        Shift,     ///< operand 0 + `by`, in its dtype
    };
    Op op = Op::Read;
    int source = 0;
    size_t entry = 0;           ///< Read: index into that checkpoint's entries()
    std::string name;           ///< Read: the tensor's name in its weights dict
    std::vector<int> operands;  ///< earlier steps
    int64_t axis = 0;
    int64_t start = 0;          ///< Slice
    bool squeeze = false;       ///< Slice of an unstack
    std::vector<int64_t> dims;  ///< Transpose
    int rule = -1;              ///< Edit: the resize rule; Merge, Lora: the rule
    double scale = 1;           ///< Lora
    double by = 0;              ///< Shift
    bool transposed = false;    ///< Lora: fan_in_fan_out and embedding adapters
    std::vector<double> weights; ///< Merge, parallel to operands; operand 0 is the base of non-linear methods
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape; ///< of the result
};

/// The steps of every tensor a plan's surgery makes; Plan::added entries point into it.
struct RecipeBook
{
    std::vector<RecipeStep> steps;
    int add(RecipeStep step)
    {
        steps.push_back(std::move(step));
        return int(steps.size()) - 1;
    }
};

struct RuleSet;

/// Where a tensor comes from, in a line: "stack of 4 (rule 2): layers.0.w, ..." or "add rule 3"
/// when `recipe` < 0 (or there is no book).
std::string recipeText(const RecipeBook *book, int recipe, int rule, const RuleSet &rules);

} // namespace ckpt
