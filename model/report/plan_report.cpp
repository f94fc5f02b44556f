#include "model/report/plan_report.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/base/json_writer.h"
#include "model/base/terminal_text.h"
#include "model/rules/plan_totals.h"

#include <sstream>

namespace ckpt {
namespace {

const char *severityName(Diagnostic::Severity s)
{
    return s == Diagnostic::Severity::Error ? "error" : "warning";
}

} // namespace

void writePlanJson(std::ostream &out, const std::vector<PlanInput> &inputs, const RuleSet &rules,
                   const Plan &plan)
{
    JsonWriter w(&out);
    w.beginObject();
    w.key("tensors").beginArray();
    for (size_t i = 0; i < inputs.size(); ++i) {
        const TensorPlan &t = plan.tensors[i];
        w.beginObject().key("path").beginArray();
        for (const auto &e : inputs[i].path) {
            if (const auto *s = std::get_if<std::string>(&e)) w.value(*s);
            else if (const auto *n = std::get_if<int64_t>(&e)) w.value(*n);
            else w.raw(std::get<BigInteger>(e).digits);
        }
        w.endArray();
        w.field("source_name", inputs[i].name);
        if (t.dropped) w.key("name").null();
        else w.field("name", t.name);
        w.field("frozen", t.frozen);
        w.key("groups").beginArray();
        for (const auto &g : t.groups) w.value(g);
        w.endArray();
        w.field("dtype", dtypeName(t.dtype));
        w.key("shape").beginArray();
        for (int64_t d : plannedShape(inputs, plan, rules, i)) w.value(d);
        w.endArray();
        if (t.consumedBy >= 0) w.field("consumed_by", t.consumedBy);
        else w.key("consumed_by").null();
        w.endObject();
    }
    w.endArray();
    // What the plan makes: add rules' tensors and surgery's (taken, stacked, split, merged...).
    w.key("added").beginArray();
    for (const auto &a : plan.added) {
        w.beginObject().field("name", a.name).field("rule", a.rule);
        w.field("action", actionName(rules.rules[size_t(a.rule)].action));
        w.field("dtype", dtypeName(a.dtype));
        w.key("shape").beginArray();
        for (int64_t d : a.shape) w.value(d);
        w.endArray();
        w.field("frozen", a.frozen);
        w.key("groups").beginArray();
        for (const auto &g : a.groups) w.value(g);
        w.endArray();
        w.field("from", recipeText(plan.recipes.get(), a.recipe, a.rule, rules));
        w.endObject();
    }
    w.endArray();
    w.key("rules").beginArray();
    for (size_t k = 0; k < rules.rules.size(); ++k) {
        const RuleOutcome &o = plan.rules[k];
        w.beginObject().field("index", k).field("action", actionName(rules.rules[k].action));
        w.field("rule", describeRule(rules.rules[k])).field("enabled", rules.rules[k].enabled);
        w.field("tensors", o.tensors).field("parameters", o.parameters).field("bytes", o.bytes);
        w.endObject();
    }
    w.endArray();
    w.key("diagnostics").beginArray();
    for (const auto &d : plan.diagnostics) {
        w.beginObject().field("severity", severityName(d.severity));
        if (d.rule >= 0) w.field("rule", d.rule);
        else w.key("rule").null();
        w.field("message", d.message).endObject();
    }
    w.endArray();
    const PlanTotals totals = planTotals(inputs, plan);
    w.key("totals").beginObject();
    w.field("tensors", totals.tensors).field("dropped", totals.dropped);
    w.field("frozen_parameters", totals.frozenParameters).field("trainable_parameters", totals.trainableParameters);
    w.field("dropped_parameters", totals.droppedParameters);
    w.field("consumed", totals.consumed).field("made", totals.made);
    w.endObject();
    w.endObject();
}

std::string planText(const std::vector<PlanInput> &inputs, const RuleSet &rules, const Plan &plan)
{
    std::ostringstream out;
    out << "rules\n";
    for (size_t k = 0; k < rules.rules.size(); ++k) {
        const RuleOutcome &o = plan.rules[k];
        out << "  [" << k << "] " << describeRule(rules.rules[k])
            << (rules.rules[k].enabled ? "" : " (disabled)") << ": " << o.tensors << " tensors, "
            << humanCount(o.parameters) << " parameters, " << humanBytes(o.bytes) << "\n";
    }
    for (const auto &d : plan.diagnostics)
        out << severityName(d.severity) << ": " << d.message << "\n";
    out << "tensors (changed ones)\n";
    size_t shown = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const TensorPlan &t = plan.tensors[i];
        const bool changed = t.dropped || t.frozen || t.renamed || !t.groups.empty() || t.dtype != inputs[i].dtype;
        if (!changed) continue;
        ++shown;
        out << "  " << terminalText(inputs[i].name);
        if (t.consumedBy >= 0) {
            out << "  used by rule " << t.consumedBy << "\n";
            continue;
        }
        if (t.dropped) {
            out << "  dropped\n";
            continue;
        }
        if (t.renamed) out << " -> " << terminalText(t.name);
        if (t.frozen) out << "  frozen";
        if (t.dtype != inputs[i].dtype) out << "  " << dtypeName(inputs[i].dtype) << "->" << dtypeName(t.dtype);
        for (const auto &g : t.groups) out << "  [" << g << "]";
        out << "\n";
    }
    for (const auto &a : plan.added) {
        ++shown;
        out << "  + " << terminalText(a.name) << "  " << shapeText(a.shape) << " " << dtypeName(a.dtype);
        if (a.frozen) out << "  frozen";
        for (const auto &g : a.groups) out << "  [" << g << "]";
        out << "  <- " << terminalText(recipeText(plan.recipes.get(), a.recipe, a.rule, rules)) << "\n";
    }
    if (!shown) out << "  (none)\n";
    const PlanTotals totals = planTotals(inputs, plan);
    out << "frozen " << humanCount(totals.frozenParameters) << " parameters, trainable "
        << humanCount(totals.trainableParameters) << "\n";
    return out.str();
}

} // namespace ckpt
