#include "model/export/exporter.h"

#include "model/base/crc32.h"
#include "model/export/export_job.h"
#include "model/export/stale_hyperparameters.h"
#include "model/formats/tree_walker.h"

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace ckpt {
namespace exporting {
namespace {

/// A computed tensor (cast, resized, added) is held in memory whole, with a float copy or
/// two on the way: refuse one that would not fit, before anything is written.
void checkComputedSizes(const Prepared &p, const RuleSet &rules)
{
    const uint64_t memory = uint64_t(::sysconf(_SC_PHYS_PAGES)) * uint64_t(::sysconf(_SC_PAGESIZE));
    const uint64_t limit = memory / 2; // its float64 working copy
    auto check = [&](const std::string &name, const std::vector<int64_t> &shape) {
        long double elements = 1;
        for (int64_t d : shape) elements *= (long double)d;
        if (elements * 8 > (long double)limit)
            throw std::runtime_error(name + ": computing a tensor of " + std::to_string(uint64_t(elements)) +
                                     " elements needs more memory than this machine has; nothing was written");
    };
    for (const auto &[tensor, i] : p.edits) check(std::string(p.plan.tensors[i].name), plannedShape(p.inputs, p.plan, rules, i));
    for (const auto &a : p.plan.added) check(a.name, a.shape);
}

/// The name rules on what the plan does not list: the weights dict's keys that hold no tensor
/// (a quantized Linear's _packed_params) and the state dict's _metadata module names, so that
/// a module is renamed or dropped whole. Only names count: a rule that wants a dtype or a
/// shape, or matches none of them, leaves them be.
void followNames(Prepared &p, const CompiledRules &compiled)
{
    std::vector<PlanInput> others;
    // A module's _metadata entry follows the names under it: probed as "<module>.<probe>".
    constexpr std::string_view probe = ".\x01module";
    std::vector<std::string> modules;
    if (const Value *state = p.weights->state; state && state->kind == ValueKind::Dict)
        if (const Value *meta = childAt(state, PathElement(std::string("_metadata"))); meta && meta->kind == ValueKind::Dict)
            for (size_t k = 0; k + 1 < meta->items.size(); k += 2)
                if (meta->items[k]->kind == ValueKind::String && !meta->items[k]->text.empty())
                    modules.emplace_back(meta->items[k]->text);
    for (size_t k = 0; k + 1 < p.weights->items.size(); k += 2) {
        const Value *key = p.weights->items[k];
        if (key->kind != ValueKind::String || p.weights->items[k + 1]->kind == ValueKind::Tensor) continue;
        PlanInput in;
        in.name = std::string(key->text);
        others.push_back(std::move(in));
    }
    const size_t keys = others.size();
    for (const auto &m : modules) {
        PlanInput in;
        in.name = m + std::string(probe);
        others.push_back(std::move(in));
    }
    if (!others.empty()) {
        const Plan plan = compiled.evaluate(others);
        for (size_t i = 0; i < keys; ++i) {
            const TensorPlan &t = plan.tensors[i];
            if (t.dropped) p.companions.emplace(others[i].name, std::nullopt);
            else if (t.name != others[i].name) p.companions.emplace(others[i].name, std::string(t.name));
        }
        for (size_t i = keys; i < others.size(); ++i) {
            const std::string_view renamed = plan.tensors[i].name;
            if (!plan.tensors[i].dropped && renamed != others[i].name && renamed.ends_with(probe))
                p.metadataModules.emplace(modules[i - keys], std::string(renamed.substr(0, renamed.size() - probe.size())));
        }
    }
}

} // namespace

bool isOptimizerKey(std::string_view k)
{
    return k == "optimizer_states" || k == "optimizer" || k == "optimizer_state_dict" || k == "optim";
}

uint32_t crcOfFile(const std::string &path, uint64_t offset, uint64_t size)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot read the output back");
    std::vector<char> buffer(std::min<uint64_t>(size, kChunk));
    uint32_t crc = 0;
    for (uint64_t done = 0; done < size;) {
        const ssize_t n = ::pread(fd, buffer.data(), std::min<uint64_t>(buffer.size(), size - done), off_t(offset + done));
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("the output is shorter than written");
        }
        crc = crc32Update(crc, buffer.data(), size_t(n));
        done += uint64_t(n);
    }
    ::close(fd);
    return crc;
}

Prepared prepare(const Checkpoint &c, const RuleSet &rules)
{
    Prepared p;
    auto bound = std::make_shared<RuleSet>(rules);
    bound->metadata = c.metadata();
    p.bound = bound;
    p.rules = bound.get();
    auto inputs = planInputs(c, rules.weights);
    // No rules and no dict of weights (a bare tensor, a list): a faithful copy, nothing to edit.
    if (!inputs && rules.rules.empty() && !rules.weights) return p;
    if (!inputs) throw std::runtime_error(inputs.error().message);
    p.inputs = std::move(inputs.value());
    auto compiled = CompiledRules::compile(*p.rules);
    if (!compiled) throw std::runtime_error(compiled.error().message);
    p.compiled = *compiled;
    p.plan = (*compiled)->evaluate(p.inputs);
    if (p.plan.hasErrors()) throw std::runtime_error("the plan has errors (see ckpt plan); nothing was written");
    for (size_t i = 0; i < p.inputs.size(); ++i) {
        const TensorPlan &t = p.plan.tensors[i];
        const int tensor = c.entries()[p.inputs[i].entry].tensor;
        if (t.dropped || (t.dtype == p.inputs[i].dtype && t.resizedBy < 0)) continue;
        if (!c.tensors()[size_t(tensor)].hasBytes())
            throw std::runtime_error(p.inputs[i].name + ": cannot cast or resize: " + whyNoData(c.tensors()[size_t(tensor)]));
        p.edits.emplace(tensor, i);
    }
    checkComputedSizes(p, rules);
    p.weightsPath = weightsBase(c, rules.weights).value_or(Path{});
    p.weights = c.root();
    for (const auto &e : p.weightsPath) p.weights = p.weights ? childAt(p.weights, e) : nullptr;
    if (!p.weights || p.weights->kind != ValueKind::Dict)
        throw std::runtime_error("the weights are not a dict the export can edit");
    // Keys that hold no tensor follow the name rules; with surgery there is no one name rule
    // for them to follow, and they stay as they are.
    if (!p.plan.recipes) followNames(p, **compiled);
    return p;
}

} // namespace exporting

std::string ExportReport::summary() const
{
    std::string out = std::to_string(tensors) + " weights (" + std::to_string(renamed) + " renamed, " +
                      std::to_string(dropped) + " dropped";
    if (resized) out += ", " + std::to_string(resized) + " resized";
    if (cast) out += ", " + std::to_string(cast) + " cast";
    if (added) out += ", " + std::to_string(added) + " added";
    if (made) out += ", " + std::to_string(made) + " made by surgery from " + std::to_string(consumed) + " inputs and the sources";
    out += ")";
    if (optimizerDropped) out += ", optimizer state dropped";
    if (optimizerRemapped) {
        out += ", optimizer state remapped";
        std::vector<std::string> parts;
        if (optimizerReset) parts.push_back(std::to_string(optimizerReset) + (optimizerReset == 1 ? " entry" : " entries") + " reset");
        if (optimizerAdded)
            parts.push_back(std::to_string(optimizerAdded) + (optimizerAdded == 1 ? " parameter" : " parameters") +
                            " added without state");
        for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : " (") + parts[i];
        if (!parts.empty()) out += ")";
    }
    if (!aliases.empty()) out += ", " + std::to_string(aliases.size()) + " aliases";
    return out;
}

std::optional<uint64_t> parseByteSize(const std::string &text)
{
    size_t end = 0;
    double value = 0;
    try {
        value = std::stod(text, &end);
    } catch (const std::exception &) {
        return std::nullopt;
    }
    std::string unit = text.substr(end);
    for (auto &ch : unit) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    static const std::pair<const char *, double> kUnits[] = {
        {"", 1}, {"B", 1}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
        {"KIB", 1024.0}, {"MIB", 1048576.0}, {"GIB", 1073741824.0}, {"TIB", 1099511627776.0}};
    for (const auto &[name, scale] : kUnits)
        if (unit == name && value > 0) return uint64_t(value * scale);
    return std::nullopt;
}

std::optional<OptimizerConflict> optimizerConflict(const Checkpoint &source, const RuleSet &rules,
                                                   const ExportOptions &options)
{
    using namespace exporting;
    if (options.format != ExportOptions::Format::PyTorch || options.weightsOnly || !source.root() ||
        source.root()->kind != ValueKind::Dict)
        return std::nullopt;
    try {
        const Prepared p = prepare(source, rules);
        ValueArena arena;
        std::unordered_map<const Value *, const Value *> replace;
        ExportReport report;
        fitOptimizers(arena, source, p, options, replace, report);
    } catch (const OptimizerMisfit &e) {
        return OptimizerConflict{e.what(), e.details, e.resettable};
    } catch (const std::exception &) {
        return std::nullopt;
    }
    return std::nullopt;
}

Result<ExportReport> exportCheckpoint(const Checkpoint &source, const RuleSet &rules, const ExportOptions &options,
                                      const std::atomic<bool> *cancel, const std::function<void(double)> &progress)
{
    using namespace exporting;
    namespace fs = std::filesystem;
    try {
        std::error_code ec;
        for (const auto &f : source.files())
            if (fs::exists(options.output, ec) && fs::equivalent(f.path, options.output, ec))
                return Error{"the output would overwrite the input"};
        const Prepared p = prepare(source, rules);
        Progress state{cancel, progress};
        ExportReport report = options.format == ExportOptions::Format::PyTorch ? writePyTorch(source, p, options, state)
                              : options.format == ExportOptions::Format::Npz ? writeNpz(source, p, options, state)
                              : options.format == ExportOptions::Format::Gguf ? writeGguf(source, p, options, state)
                                                                             : writeSafetensors(source, p, options, state);
        for (size_t i = 0; i < p.inputs.size(); ++i) {
            const TensorPlan &t = p.plan.tensors[i];
            report.resized += !t.dropped && t.resizedBy >= 0;
            report.cast += !t.dropped && t.dtype != p.inputs[i].dtype;
        }
        for (const auto &a : p.plan.added) ++(a.recipe >= 0 ? report.made : report.added);
        if (!p.inputs.empty() && !options.weightsOnly && options.format == ExportOptions::Format::PyTorch)
            report.warnings = staleHyperParameters(source, p.inputs, p.plan, rules); // what the file keeps
        return report;
    } catch (const Cancelled &) {
        return Error{"cancelled; nothing was written"};
    } catch (const std::bad_alloc &) {
        return Error{"out of memory; nothing was written"};
    } catch (const std::exception &e) {
        return Error{e.what()};
    }
}

} // namespace ckpt
