#include "model/rules/tensor_resize.h"

#include "model/checkpoint/checkpoint_summary.h"


namespace ckpt {

namespace {

std::string gridProblem(const Rule &r, const std::vector<int64_t> &from)
{
    const auto &to = r.shape;
    const bool batched = from.size() == 3;
    if ((from.size() != 2 && from.size() != 3) || to.size() != from.size() || (batched && (from[0] != 1 || to[0] != 1)))
        return "pos_embed resizes [1, tokens, dim] or [tokens, dim], not " + shapeText(from) + " to " + shapeText(to);
    const size_t t = batched ? 1 : 0;
    if (from[t + 1] != to[t + 1]) return "the embedding width differs (" + shapeText(from) + " to " + shapeText(to) + ")";
    if (!squareSide(from[t] - r.prefixTokens) || !squareSide(to[t] - r.prefixTokens))
        return std::to_string(from[t]) + " and " + std::to_string(to[t]) + " tokens are not " +
               std::to_string(r.prefixTokens) + " prefix tokens plus a square grid";
    return {};
}

} // namespace

std::string resizeProblem(const Rule &r, const std::vector<int64_t> &from, DType dtype)
{
    const bool floating = isFloatingPoint(dtype);
    if (r.method == "pos_embed") {
        if (!floating) return "pos_embed needs floating-point values, not " + std::string(dtypeName(dtype));
        return gridProblem(r, from);
    }
    if (r.method == "rel_pos_table") {
        if (!floating) return "rel_pos_table needs floating-point values, not " + std::string(dtypeName(dtype));
        if (from.size() != 2 || r.shape.size() != 2 || from[1] != r.shape[1])
            return "rel_pos_table resizes [(2w-1)^2, heads] with the same heads, not " + shapeText(from) + " to " +
                   shapeText(r.shape);
        if (!squareSide(from[0]) || !squareSide(r.shape[0]))
            return std::to_string(from[0]) + " and " + std::to_string(r.shape[0]) + " rows are not square tables";
        return {};
    }
    if (r.method == "rows") {
        if (from.empty() || r.shape.size() != from.size() || !std::equal(from.begin() + 1, from.end(), r.shape.begin() + 1))
            return "rows changes only the first dimension, not " + shapeText(from) + " to " + shapeText(r.shape);
        if (r.fill != "zeros" && !floating) return "a " + r.fill + " fill needs floating-point values";
        return {};
    }
    return "unknown resize method '" + r.method + "'";
}

} // namespace ckpt
