#include "model/rules/tensor_recipe.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/rules/rule_set.h"

#include <charconv>

namespace ckpt {
namespace {

std::string operandText(const RecipeBook &book, int step, const RuleSet &rules, int depth)
{
    const RecipeStep &s = book.steps[size_t(step)];
    if (s.op == RecipeStep::Op::Read) {
        const std::string from = s.source == 0 ? std::string("self")
                                 : size_t(s.source) <= rules.sources.size() ? rules.sources[size_t(s.source) - 1].name
                                                                             : std::string("?");
        return from + ":" + s.name;
    }
    if (s.op == RecipeStep::Op::Edit) return operandText(book, s.operands[0], rules, depth);
    if (depth > 2) return "...";
    return std::string("(").append(recipeText(&book, step, -1, rules)).append(")");
}

} // namespace

std::string recipeText(const RecipeBook *book, int recipe, int rule, const RuleSet &rules)
{
    if (!book || recipe < 0) return "add rule " + std::to_string(rule);
    const RecipeStep &s = book->steps[size_t(recipe)];
    auto list = [&](size_t most) {
        std::string out;
        for (size_t i = 0; i < s.operands.size() && i < most; ++i)
            out.append(i ? ", " : "").append(operandText(*book, s.operands[i], rules, 1));
        if (s.operands.size() > most) out += ", ... (" + std::to_string(s.operands.size()) + ")";
        return out;
    };
    switch (s.op) {
    case RecipeStep::Op::Read: return operandText(*book, recipe, rules, 0);
    case RecipeStep::Op::Edit:
        return std::string(s.rule >= 0 ? "resized " : "cast ").append(operandText(*book, s.operands[0], rules, 1));
    case RecipeStep::Op::Stack: return "stack on axis " + std::to_string(s.axis) + " of " + list(3);
    case RecipeStep::Op::Concat: return "concat on axis " + std::to_string(s.axis) + " of " + list(3);
    case RecipeStep::Op::Slice: {
        std::string out = "slice ";
        out.append(std::to_string(s.start));
        if (!s.squeeze) out.append(":").append(std::to_string(s.start + s.shape[size_t(s.axis)]));
        return out.append(" on axis ").append(std::to_string(s.axis)).append(" of ").append(list(1));
    }
    case RecipeStep::Op::Transpose: return "transpose " + shapeText(s.dims) + " of " + list(1);
    case RecipeStep::Op::Reshape: return "reshape of " + list(1);
    case RecipeStep::Op::Lora: return "lora merged into " + list(1);
    case RecipeStep::Op::Shift: {
        char by[32];
        return "shift by " + std::string(by, std::to_chars(by, by + sizeof by, s.by).ptr) + " of " + list(1);
    }
    case RecipeStep::Op::Merge:
        return (s.rule >= 0 && size_t(s.rule) < rules.rules.size() ? rules.rules[size_t(s.rule)].method : std::string()) +
               " merge of " + list(4);
    }
    return "?";
}

} // namespace ckpt
