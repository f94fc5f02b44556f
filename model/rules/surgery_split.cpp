#include "model/rules/surgery_step.h"

#include "model/checkpoint/checkpoint_summary.h"

// unstack and split: the inverses of stack and concat, one tensor into slices along an axis.
namespace ckpt::surgery {
namespace {

std::string withIndex(std::string text, int64_t i)
{
    for (size_t at; (at = text.find("{i}")) != std::string::npos;) text.replace(at, 3, std::to_string(i));
    return text;
}

} // namespace

void unstackOrSplit(const CompiledSurgery &c, SurgeryState &s)
{
    const Rule &r = *c.base.rule;
    const int k = c.index;
    const bool unstack = r.action == Rule::Action::Unstack;
    const std::vector<bool> selected = selectFlows(c, s.flows);
    std::vector<FlowTensor> flows;
    for (size_t i = 0; i < s.flows.size(); ++i) {
        FlowTensor &f = s.flows[i];
        if (!selected[i]) {
            flows.push_back(std::move(f));
            continue;
        }
        const auto axis = normalAxis(r.axis, f.shape.size());
        if (!axis) {
            s.error(k, f.name + " " + shapeText(f.shape) + " has no axis " + std::to_string(r.axis));
            flows.push_back(std::move(f));
            continue;
        }
        const int64_t extent = f.shape[size_t(*axis)];
        // The parts: (name, start, length).
        std::vector<std::tuple<std::string, int64_t, int64_t>> parts;
        if (unstack) {
            for (int64_t j = 0; j < extent; ++j)
                parts.emplace_back(renamed(c, c.to ? &*c.to : nullptr, r.to, f.name), j, 1);
            for (auto &[name, start, length] : parts) name = withIndex(name, start);
        } else {
            int64_t sized = 0, unsized = 0;
            for (const auto &p : r.parts) p.size ? sized += *p.size : ++unsized;
            const int64_t left = extent - sized;
            if (left < 0 || (unsized == 0 && left != 0) || (unsized > 0 && left % unsized != 0)) {
                s.error(k, f.name + " " + shapeText(f.shape) + ": axis " + std::to_string(*axis) + " of size " +
                               std::to_string(extent) + " does not divide into the parts (" + std::to_string(sized) +
                               " sized, " + std::to_string(unsized) + " sharing the rest)");
                flows.push_back(std::move(f));
                continue;
            }
            int64_t start = 0;
            for (size_t p = 0; p < r.parts.size(); ++p) {
                const int64_t length = r.parts[p].size ? *r.parts[p].size : left / unsized;
                parts.emplace_back(renamed(c, c.parts.empty() ? nullptr : &c.parts[p], r.parts[p].to, f.name), start, length);
                start += length;
            }
        }
        const int source = s.operand(f);
        s.consume(f, k);
        s.count(k, f.shape, f.dtype);
        for (const auto &[name, start, length] : parts) {
            RecipeStep step;
            step.op = RecipeStep::Op::Slice;
            step.operands = {source};
            step.axis = *axis;
            step.start = start;
            step.squeeze = unstack;
            step.dtype = f.dtype;
            step.shape = f.shape;
            if (unstack) step.shape.erase(step.shape.begin() + *axis);
            else step.shape[size_t(*axis)] = length;
            FlowTensor part;
            part.name = name;
            part.dtype = f.dtype;
            part.shape = step.shape;
            part.frozen = f.frozen;
            part.groups = f.groups;
            part.recipe = s.book.add(std::move(step));
            part.madeBy = k;
            flows.push_back(std::move(part));
        }
    }
    s.flows = std::move(flows);
}

} // namespace ckpt::surgery
