#include "model/rules/surgery_step.h"

#include "model/checkpoint/checkpoint_summary.h"

#include <charconv>

// permute_heads, unpermute_heads and shift: what llama.cpp's converter does to a model's
// tensors beyond renaming them, and its undoing.
namespace ckpt::surgery {
namespace {

/// The text of metadata `key`: the checkpoint's, else the config's gguf_metadata (a GGUF
/// export that sets the head count uses it too); null when neither has it.
const std::string *metadataText(const RuleSet &set, const std::string &key)
{
    if (const auto it = set.metadata.find(key); it != set.metadata.end()) return &it->second;
    for (const auto &[k, v] : set.ggufMetadata)
        if (k == key) return &v;
    return nullptr;
}

/// The heads a rule names: its number, or the integer the first of its metadata keys the
/// checkpoint (or the config) has holds; 0 with `why` set when there is none.
int64_t headsOf(const Rule &r, const RuleSet &set, std::string &why)
{
    if (r.headsKeys.empty()) return r.heads;
    for (const std::string &key : r.headsKeys) {
        const std::string *found = metadataText(set, key);
        if (!found) continue;
        int64_t heads = 0;
        const std::string &text = *found;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), heads);
        if (ec != std::errc() || end != text.data() + text.size() || heads < 1) {
            why = "heads: metadata " + key + " is '" + text + "', not a number of heads";
            return 0;
        }
        return heads;
    }
    why = "heads: the checkpoint has no metadata key '" + r.headsKeys.front() + "'";
    for (size_t i = 1; i < r.headsKeys.size(); ++i) why += " or '" + r.headsKeys[i] + "'";
    return 0;
}

} // namespace

// llama.cpp's convert_hf_to_gguf.py permutes the rows of q_proj and k_proj (weights and
// biases) so that each head's rotary pairs are interleaved: per head, the rows [2, d/2] are
// stored as [d/2, 2]. permute_heads does that, unpermute_heads undoes it; both are a reshape
// to [heads, a, b, rest], a swap of the middle axes and a reshape back.
void permuteHeads(const CompiledSurgery &c, SurgeryState &s)
{
    const Rule &r = *c.base.rule;
    const int k = c.index;
    std::string why;
    const int64_t heads = headsOf(r, s.set, why);
    bool told = false;
    eachSelected(c, s, [&](FlowTensor &f) {
        if (heads == 0) {
            if (!told) s.error(k, why);
            told = true;
            return;
        }
        if (f.shape.empty() || f.shape[0] % (2 * heads) != 0) {
            s.error(k, f.name + " " + shapeText(f.shape) + ": its rows do not split into " + std::to_string(heads) +
                           " heads of pairs");
            return;
        }
        const int64_t half = f.shape[0] / heads / 2;
        const int64_t rest = numelOf(f.shape) / f.shape[0];
        const bool undo = r.action == Rule::Action::UnpermuteHeads;
        RecipeStep split;
        split.op = RecipeStep::Op::Reshape;
        split.dtype = f.dtype;
        split.shape = undo ? std::vector<int64_t>{heads, half, 2, rest} : std::vector<int64_t>{heads, 2, half, rest};
        split.operands = {s.operand(f)};
        RecipeStep swap;
        swap.op = RecipeStep::Op::Transpose;
        swap.dtype = f.dtype;
        swap.dims = {0, 2, 1, 3};
        swap.shape = {heads, split.shape[2], split.shape[1], rest};
        swap.operands = {s.book.add(std::move(split))};
        RecipeStep back;
        back.op = RecipeStep::Op::Reshape;
        back.dtype = f.dtype;
        back.shape = f.shape;
        back.operands = {s.book.add(std::move(swap))};
        s.remake(f, k, std::move(back));
    });
}

void shift(const CompiledSurgery &c, SurgeryState &s)
{
    const Rule &r = *c.base.rule;
    const int k = c.index;
    eachSelected(c, s, [&](FlowTensor &f) {
        if (f.dtype != DType::Float32 && f.dtype != DType::Float64 && f.dtype != DType::Float16 &&
            f.dtype != DType::BFloat16) {
            s.error(k, f.name + " is " + std::string(dtypeName(f.dtype)) +
                           ": shift adds to float32, float64, float16 and bfloat16 values");
            return;
        }
        RecipeStep step;
        step.op = RecipeStep::Op::Shift;
        step.dtype = f.dtype;
        step.shape = f.shape;
        step.by = r.by;
        step.operands = {s.operand(f)};
        s.remake(f, k, std::move(step));
    });
}

} // namespace ckpt::surgery
