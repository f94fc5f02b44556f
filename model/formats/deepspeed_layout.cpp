#include "model/formats/deepspeed_layout.h"

#include "model/base/format_error.h"

#include <algorithm>

namespace ckpt {

std::vector<std::vector<FlatRun>> zero2Runs(const std::vector<std::vector<int64_t>> &partitions,
                                            const std::vector<std::vector<int64_t>> &params,
                                            const std::vector<std::vector<int64_t>> *alignmentPaddings)
{
    const int64_t world = int64_t(partitions.size());
    std::vector<std::vector<FlatRun>> out;
    for (size_t g = 0; g < params.size(); ++g) {
        std::vector<int64_t> base(partitions.size() + 1, 0);
        for (size_t r = 0; r < partitions.size(); ++r) {
            if (partitions[r].size() != params.size())
                throw FormatError("rank " + std::to_string(r) + " has " + std::to_string(partitions[r].size()) +
                                  " flat groups, the model " + std::to_string(params.size()));
            base[r + 1] = base[r] + partitions[r][g];
        }
        const int64_t avail = base.back();
        if (alignmentPaddings && g < alignmentPaddings->size() && (*alignmentPaddings)[g].size() != params[g].size())
            throw FormatError("group " + std::to_string(g) + " has alignment paddings for " +
                              std::to_string((*alignmentPaddings)[g].size()) + " of its " + std::to_string(params[g].size()) +
                              " parameters");
        int64_t offset = 0;
        for (size_t j = 0; j < params[g].size(); ++j) {
            const int64_t n = params[g][j];
            if (n < 0 || n > avail - offset)
                throw FormatError("group " + std::to_string(g) + " needs more elements than its partitions hold (" +
                                  std::to_string(avail) + ")");
            std::vector<FlatRun> runs;
            for (size_t r = 0; r < partitions.size(); ++r) {
                const int64_t lo = std::max(offset, base[r]), hi = std::min(offset + n, base[r + 1]);
                if (lo < hi) runs.push_back({int(r), int(g), lo - base[r], hi - lo, lo - offset});
            }
            out.push_back(std::move(runs));
            offset += n;
            if (alignmentPaddings && g < alignmentPaddings->size()) offset += (*alignmentPaddings)[g][j];
        }
        // What zero_to_fp32 checks: both ends agree once aligned to 2 * world.
        const int64_t align = 2 * std::max<int64_t>(world, 1);
        auto aligned = [&](int64_t x) { return (x + align - 1) / align * align; };
        if (aligned(offset) != aligned(avail))
            throw FormatError("group " + std::to_string(g) + ": the parameters take " + std::to_string(offset) +
                              " elements of the " + std::to_string(avail) + " its partitions hold");
    }
    return out;
}

std::vector<std::vector<FlatRun>> zero3Runs(const std::vector<std::vector<int64_t>> &partitions,
                                            const std::vector<int64_t> &params)
{
    const int64_t world = int64_t(partitions.size());
    if (world == 0) throw FormatError("no ranks");
    const auto &groups = partitions.front();
    for (size_t r = 1; r < partitions.size(); ++r)
        if (partitions[r] != groups) throw FormatError("rank " + std::to_string(r) + "'s flat groups differ in size from rank 0's");
    std::vector<int64_t> start(groups.size() + 1, 0);
    for (size_t g = 0; g < groups.size(); ++g) start[g + 1] = start[g] + groups[g];
    const int64_t avail = start.back();
    std::vector<std::vector<FlatRun>> out;
    int64_t offset = 0;
    for (const int64_t n : params) {
        if (n < 0) throw FormatError("a parameter has a negative size");
        const int64_t part = (n + world - 1) / world;
        if (part > avail - offset)
            throw FormatError("the parameters need more than the " + std::to_string(avail) + " elements each rank holds");
        std::vector<FlatRun> runs;
        for (int64_t r = 0; r < world && r * part < n; ++r) {
            int64_t at = r * part, pos = offset, left = std::min(part, n - r * part);
            while (left > 0) {
                const size_t g = size_t(std::upper_bound(start.begin(), start.end(), pos) - start.begin()) - 1;
                const int64_t take = std::min(left, start[g + 1] - pos);
                runs.push_back({int(r), int(g), pos - start[g], take, at});
                pos += take;
                at += take;
                left -= take;
            }
        }
        out.push_back(std::move(runs));
        offset += part;
    }
    if (offset != avail)
        throw FormatError("the parameters take " + std::to_string(offset) + " of the " + std::to_string(avail) +
                          " elements each rank holds");
    return out;
}

} // namespace ckpt
