#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/source_reader.h"
#include "model/rules/rule_sources.h"
#include "model/rules/tensor_recipe.h"

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <vector>

namespace ckpt {

/// The bytes of the tensors surgery makes, one at a time: layout steps (stack, concat,
/// slices, transposes, reshapes) are byte copies here; LoRA, merges, casts and resizes are
/// computed by the LibTorch plugin. Only a tensor's operands are held while it is made.
/// Throws std::runtime_error with a one-line message naming the tensor.
class RecipeBytes final
{
public:
    RecipeBytes(const Checkpoint &self, const RuleSources &sources, const RuleSet &rules, const RecipeBook &book);
    /// Contiguous, in this machine's byte order, `book.steps[step].dtype` and shape.
    std::vector<char> bytes(int step);
    using Sink = std::function<void(const char *data, size_t size)>;
    /// The same bytes handed to `sink` in pieces: a tensor read whole, stacked, concatenated
    /// or sliced along axis 0, or merged element by element (linear, task arithmetic) from
    /// tensors in files is streamed a few MiB at a time; anything else is made whole first.
    void write(int step, const Sink &sink);

private:
    /// Where a Read step's bytes lie, when they are contiguous in a file in this machine's order.
    struct FileSpan
    {
        int source = 0;
        const StorageInfo *storage = nullptr;
        uint64_t offset = 0, size = 0;
    };
    std::optional<FileSpan> fileSpan(int step) const;
    void writeSpan(const FileSpan &span, const Sink &sink);
    bool writeMergeInPieces(const RecipeStep &s, const Sink &sink);

    const Checkpoint &checkpointOf(int source) const;
    const SourceReader &readerOf(int source);

    const Checkpoint &m_self;
    const RuleSources &m_sources;
    const RuleSet &m_rules;
    const RecipeBook &m_book;
    std::map<int, std::unique_ptr<SourceReader>> m_readers;
    /// The last operand read: a split reads its tensor once for all its parts.
    int m_cachedStep = -1;
    std::shared_ptr<const std::vector<char>> m_cached;
};

/// Layout as byte copies, for elements of `elementSize` bytes (internal, tested on its own).
namespace layout {
std::vector<char> concat(const std::vector<const std::vector<char> *> &parts,
                         const std::vector<std::vector<int64_t>> &shapes, int64_t axis, size_t elementSize);
std::vector<char> slice(const std::vector<char> &in, const std::vector<int64_t> &shape, int64_t axis, int64_t start,
                        int64_t length, size_t elementSize);
std::vector<char> permute(const std::vector<char> &in, const std::vector<int64_t> &shape,
                          const std::vector<int64_t> &dims, size_t elementSize);
} // namespace layout

} // namespace ckpt
