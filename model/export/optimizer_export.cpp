#include "model/export/export_job.h"
#include "model/export/optimizer_fit.h"

#include <stdexcept>

// The optimizer state an export writes: fitted to the exported weights, or dropped, or the
// export stops; and checked again in the file written.
namespace ckpt::exporting {
namespace {

/// Lightning keeps a list of optimizer state dicts; plain scripts keep one.
std::vector<const Value *> optimizerStates(const Value *v)
{
    if (v->kind == ValueKind::List) return {v->items.begin(), v->items.end()};
    return {v};
}

std::string joined(const std::vector<std::string> &parts, size_t most)
{
    std::string out;
    for (size_t i = 0; i < parts.size() && i < most; ++i) out += (i ? ", " : "") + parts[i];
    if (parts.size() > most) out += ", and " + std::to_string(parts.size() - most) + " more";
    return out;
}

} // namespace

std::vector<OptimizerCheck> fitOptimizers(ValueArena &arena, const Checkpoint &c, const Prepared &p,
                                          const ExportOptions &o,
                                          std::unordered_map<const Value *, const Value *> &replace,
                                          ExportReport &report)
{
    const Value *root = c.root();
    const std::vector<OptimizerParameter> sourceParams = optimizerParameters(p.inputs);
    std::vector<OptimizerCheck> checks;
    std::unordered_map<const Value *, const Value *> fitted;
    std::string uncertain;            // why one cannot be fitted
    std::vector<std::string> resized; // entries a fit would reset
    std::vector<std::string> addedNames; // parameters a fit would list fresh
    size_t reset = 0;
    bool any = false, remapped = false;
    for (size_t k = 0; k + 1 < root->items.size(); k += 2) {
        if (root->items[k]->kind != ValueKind::String || !isOptimizerKey(root->items[k]->text)) continue;
        any = true;
        for (const Value *s : optimizerStates(root->items[k + 1])) {
            OptimizerCheck check;
            if (p.inputs.empty()) { // a faithful copy
                checks.push_back(check);
                continue;
            }
            const OptimizerFit fit = fitOptimizerState(arena, s, p.inputs, p.plan, *p.rules, c.tensors());
            switch (fit.outcome) {
            case OptimizerFit::Outcome::Unchanged:
                check.mustFit = !optimizerMisfit(s, sourceParams, c.tensors());
                break;
            case OptimizerFit::Outcome::Uncertain:
                if (uncertain.empty()) uncertain = fit.why;
                break;
            case OptimizerFit::Outcome::Refitted:
            case OptimizerFit::Outcome::Remapped:
                fitted.emplace(s, fit.state);
                remapped = true;
                check.mustFit = true;
                check.groupSizes = fit.groupSizes;
                resized.insert(resized.end(), fit.resized.begin(), fit.resized.end());
                reset += fit.reset;
                addedNames.insert(addedNames.end(), fit.addedNames.begin(), fit.addedNames.end());
                break;
            }
            checks.push_back(std::move(check));
        }
    }
    if (!any || (!remapped && uncertain.empty())) return checks;
    const bool needsConsent = !resized.empty() || !addedNames.empty();
    if (uncertain.empty() && (!needsConsent || o.optimizer == ExportOptions::Optimizer::Reset)) {
        replace.insert(fitted.begin(), fitted.end());
        report.optimizerRemapped = true;
        report.optimizerReset = reset;
        report.optimizerAdded = addedNames.size();
        return checks;
    }
    if (o.optimizer != ExportOptions::Optimizer::Drop) {
        if (!uncertain.empty())
            throw OptimizerMisfit("these edits change the model's parameters and the optimizer state cannot be "
                                     "matched for certain (" + uncertain + "): export --weights-only, or drop the "
                                     "optimizer state (--optimizer drop)",
                                  uncertain, false);
        std::vector<std::string> what = resized;
        if (!addedNames.empty()) what.push_back(joined(addedNames, 3) + " added");
        throw OptimizerMisfit("the optimizer state no longer fits the exported weights (" + joined(what, 3) +
                                  "): reset those entries (--optimizer reset), drop the optimizer state "
                                  "(--optimizer drop), or export --weights-only",
                              joined(what, 6), true);
    }
    Value *newRoot = arena.make(ValueKind::Dict);
    *newRoot = *root;
    newRoot->items.clear();
    for (size_t k = 0; k + 1 < root->items.size(); k += 2) {
        if (root->items[k]->kind == ValueKind::String && isOptimizerKey(root->items[k]->text)) continue;
        newRoot->items.push_back(root->items[k]);
        newRoot->items.push_back(root->items[k + 1]);
    }
    replace[root] = newRoot;
    report.optimizerDropped = true;
    return {};
}

void verifyOptimizers(const Checkpoint &out, const std::vector<PlanInput> &inputs, const std::vector<OptimizerCheck> &checks)
{
    const Value *root = out.root();
    if (!root || root->kind != ValueKind::Dict) return;
    const std::vector<OptimizerParameter> params = optimizerParameters(inputs);
    size_t n = 0;
    for (size_t k = 0; k + 1 < root->items.size(); k += 2) {
        if (root->items[k]->kind != ValueKind::String || !isOptimizerKey(root->items[k]->text)) continue;
        for (const Value *s : optimizerStates(root->items[k + 1])) {
            if (n >= checks.size()) throw std::runtime_error("verification: the output has unexpected optimizer state");
            const OptimizerCheck &check = checks[n++];
            if (!check.mustFit) continue;
            if (const auto misfit = optimizerMisfit(s, params, out.tensors(),
                                                    check.groupSizes.empty() ? nullptr : &check.groupSizes))
                throw std::runtime_error("verification: the optimizer state written does not fit the weights: " + *misfit);
        }
    }
    if (n != checks.size()) throw std::runtime_error("verification: optimizer state is missing from the output");
}

} // namespace ckpt::exporting
