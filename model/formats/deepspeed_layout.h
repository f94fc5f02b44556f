#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt {

/// A run of one parameter's flattened elements held by one rank: `length` elements from
/// position `from` of that rank's flat group tensor `group`, landing at element `at` of the
/// parameter.
struct FlatRun
{
    int rank = 0;
    int group = 0;
    int64_t from = 0;
    int64_t length = 0;
    int64_t at = 0;
};

/// How DeepSpeed ZeRO cuts parameters into each rank's flat fp32 partitions, as its
/// zero_to_fp32 puts them back together. `partitions[rank][group]` is the numel of a rank's
/// flat tensor for a group. Throws FormatError (with what does not add up) when the
/// partitions cannot hold the parameters.
///
/// Stages 1 and 2: a group's partitions, concatenated in rank order, hold its parameters one
/// after another (each followed by its alignment padding, when given). `params[group]` are
/// the groups' parameter numels in param_shapes order; the result is per parameter, groups
/// one after another.
std::vector<std::vector<FlatRun>> zero2Runs(const std::vector<std::vector<int64_t>> &partitions,
                                            const std::vector<std::vector<int64_t>> &params,
                                            const std::vector<std::vector<int64_t>> *alignmentPaddings);
/// Stage 3: every parameter is cut alone into W = ranks parts of ceil(n / W), end-padded; a
/// rank's groups, concatenated, hold its part of each parameter one after another. `params`
/// are the numels in param_shapes order across groups.
std::vector<std::vector<FlatRun>> zero3Runs(const std::vector<std::vector<int64_t>> &partitions,
                                            const std::vector<int64_t> &params);

} // namespace ckpt
