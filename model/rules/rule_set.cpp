#include "model/rules/rule_set.h"

#include "model/checkpoint/checkpoint_summary.h"

#include <charconv>

namespace ckpt {
namespace {

std::string numberText(double v)
{
    char buf[32];
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

} // namespace

std::string_view actionName(Rule::Action a)
{
    switch (a) {
    case Rule::Action::Freeze: return "freeze";
    case Rule::Action::Unfreeze: return "unfreeze";
    case Rule::Action::Drop: return "drop";
    case Rule::Action::Rename: return "rename";
    case Rule::Action::Group: return "group";
    case Rule::Action::Cast: return "cast";
    case Rule::Action::Resize: return "resize";
    case Rule::Action::Add: return "add";
    case Rule::Action::Take: return "take";
    case Rule::Action::Stack: return "stack";
    case Rule::Action::Concat: return "concat";
    case Rule::Action::Unstack: return "unstack";
    case Rule::Action::Split: return "split";
    case Rule::Action::Transpose: return "transpose";
    case Rule::Action::Reshape: return "reshape";
    case Rule::Action::Lora: return "lora";
    case Rule::Action::Merge: return "merge";
    case Rule::Action::PermuteHeads: return "permute_heads";
    case Rule::Action::UnpermuteHeads: return "unpermute_heads";
    case Rule::Action::Shift: return "shift";
    }
    return "?";
}

std::string describeMatcher(const Matcher &m)
{
    auto list = [&](const char *name) {
        std::string out = std::string(name) + "(";
        for (size_t i = 0; i < m.children.size(); ++i)
            out += (i ? ", " : "") + describeMatcher(m.children[i]);
        return out + ")";
    };
    switch (m.kind) {
    case Matcher::Kind::Glob: return "glob '" + m.text + "'";
    case Matcher::Kind::Regex: return "regex '" + m.text + "'";
    case Matcher::Kind::Name: return "name '" + m.text + "'";
    case Matcher::Kind::Prefix: return "prefix '" + m.text + "'";
    case Matcher::Kind::Suffix: return "suffix '" + m.text + "'";
    case Matcher::Kind::Module: return "module '" + m.text + "'";
    case Matcher::Kind::Alias: return "alias '" + m.text + "'";
    case Matcher::Kind::Type: return "type '" + m.text + "'";
    case Matcher::Kind::Ndim: return "ndim " + std::to_string(m.ndim);
    case Matcher::Kind::Dtype: return "dtype " + std::string(dtypeName(m.dtype));
    case Matcher::Kind::Shape: {
        std::string out = "shape [";
        for (size_t i = 0; i < m.shape.size(); ++i)
            out += (i ? ", " : "") + (m.shape[i] ? std::to_string(*m.shape[i]) : std::string("*"));
        return out + "]";
    }
    case Matcher::Kind::Numel:
        return "numel " + (m.min ? std::to_string(*m.min) : std::string()) + ".." +
               (m.max ? std::to_string(*m.max) : std::string());
    case Matcher::Kind::All: return list("all");
    case Matcher::Kind::Any: return list("any");
    case Matcher::Kind::Not: return list("not");
    }
    return "?";
}

Matcher textMatcher(Matcher::Kind kind, std::string text)
{
    Matcher m;
    m.kind = kind;
    m.text = std::move(text);
    return m;
}

bool isSurgery(Rule::Action a)
{
    return a >= Rule::Action::Take;
}

std::string describeRule(const Rule &r)
{
    std::string out(actionName(r.action));
    if (r.action == Rule::Action::Rename)
        out += r.regex.empty() ? " prefix '" + r.prefix + "' to '" + r.to + "'"
                               : " regex '" + r.regex + "' to '" + r.to + "'";
    if (r.action == Rule::Action::Group) out.append(" '").append(r.group).append("'");
    if (r.match) out.append(" ").append(describeMatcher(*r.match));
    if (r.action == Rule::Action::Cast) out.append(" to ").append(dtypeName(r.castTo));
    if (r.action == Rule::Action::Resize)
        out += " to " + shapeText(r.shape) + " (" + r.method + (r.fill.empty() ? "" : ", " + r.fill) + ")";
    if (r.action == Rule::Action::Add)
        out += " '" + r.name + "' " + shapeText(r.shape) + " " + std::string(dtypeName(r.castTo)) + " (" + r.fill + ")";
    if (r.action == Rule::Action::Take || r.action == Rule::Action::Lora) out += " from '" + r.from + "'";
    if (r.action == Rule::Action::Stack || r.action == Rule::Action::Concat || r.action == Rule::Action::Unstack)
        out += " to '" + r.to + "' axis " + std::to_string(r.axis);
    if (r.action == Rule::Action::Split) out += " axis " + std::to_string(r.axis) + " in " + std::to_string(r.parts.size());
    if (r.action == Rule::Action::Transpose) out += " dims " + shapeText(r.dims);
    if (r.action == Rule::Action::Reshape) out += " to " + shapeText(r.shape);
    if (r.action == Rule::Action::Merge) out += " " + r.method;
    if (r.action == Rule::Action::PermuteHeads || r.action == Rule::Action::UnpermuteHeads)
    {
        out += " heads ";
        if (r.headsKeys.empty()) out += std::to_string(r.heads);
        for (size_t i = 0; i < r.headsKeys.size(); ++i) out += (i ? " or '" : "'") + r.headsKeys[i] + "'";
    }
    if (r.action == Rule::Action::Shift) out += " by " + numberText(r.by);
    return out;
}

} // namespace ckpt
