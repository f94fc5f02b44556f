#include "model/rules/surgery_step.h"

#include "model/checkpoint/checkpoint_summary.h"

// transpose and reshape: a tensor's elements in another layout, under its own name.
namespace ckpt::surgery {

void transposeOrReshape(const CompiledSurgery &c, SurgeryState &s)
{
    const Rule &r = *c.base.rule;
    const int k = c.index;
    eachSelected(c, s, [&](FlowTensor &f) {
        RecipeStep step;
        step.dtype = f.dtype;
        if (r.action == Rule::Action::Transpose) {
            if (r.dims.size() != f.shape.size()) {
                s.error(k, f.name + " " + shapeText(f.shape) + " has " + std::to_string(f.shape.size()) +
                               " dims; the permutation has " + std::to_string(r.dims.size()));
                return;
            }
            step.op = RecipeStep::Op::Transpose;
            step.dims = r.dims;
            for (int64_t d : r.dims) step.shape.push_back(f.shape[size_t(d)]);
        } else {
            step.op = RecipeStep::Op::Reshape;
            step.shape = r.shape;
            const int64_t numel = numelOf(f.shape);
            int64_t known = 1;
            int inferred = -1;
            for (size_t d = 0; d < r.shape.size(); ++d) r.shape[d] == -1 ? inferred = int(d) : known *= r.shape[d];
            if (inferred >= 0 && known > 0 && numel % known == 0) step.shape[size_t(inferred)] = numel / known;
            if (numelOf(step.shape) != numel || (inferred >= 0 && known == 0)) {
                s.error(k, f.name + " " + shapeText(f.shape) + " has " + std::to_string(numel) + " elements; " +
                               shapeText(r.shape) + " cannot hold them");
                return;
            }
        }
        step.operands = {s.operand(f)};
        s.remake(f, k, std::move(step));
    });
}

} // namespace ckpt::surgery
