#pragma once

#include <cmath>
#include <cstdint>
#include <optional>

namespace ckpt {

/// The side of a square grid of n cells, or nullopt. Shared by the resize rules' checks and
/// the compute plugin that resamples the grids.
inline std::optional<int64_t> squareSide(int64_t n)
{
    if (n <= 0) return std::nullopt;
    auto side = int64_t(std::llround(std::sqrt(double(n))));
    while (side * side > n) --side;
    while ((side + 1) * (side + 1) <= n) ++side;
    return side * side == n ? std::optional<int64_t>(side) : std::nullopt;
}

} // namespace ckpt
