// ckpt_studio._core: the Python package's way into model/. Every function is a call into the
// same core the window and the ckpt command call; the reports are the CLI's --json text.
#include "tensor_buffer.h"
#include "tree_values.h"

#include "model/base/atomic_file.h"
#include "model/commands/apply_run.h"
#include "model/commands/compare_run.h"
#include "model/commands/diff_run.h"
#include "model/commands/plan_run.h"
#include "model/remote/location.h"
#include "model/remote/range_cache.h"
#include "model/report/diff_report.h"
#include "model/report/json_report.h"
#include "model/report/scan_report.h"
#include "model/rules/rule_config.h"
#include "model/scan/file_scan.h"
#include "model/sources/mapped_file.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <stdexcept>

namespace nb = nanobind;
using namespace nb::literals;

namespace ckpt::python {
namespace {

/// Raised as ckpt_studio.CheckpointError: the CLI's error line without "error: ".
struct Failure : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string &input, const std::string &message)
{
    const std::string shown = shownLocation(input);
    throw Failure(shown.empty() ? message : shown + ": " + message);
}

template <class T>
T take(Result<T> r, const std::string &input)
{
    if (!r) fail(r.error().input.empty() ? input : r.error().input, r.error().message);
    return std::move(*r);
}

ConfigInput configInput(const std::optional<std::string> &path, const std::optional<std::string> &json)
{
    if (json) return ConfigInput{"config", *json};
    return ConfigInput{path.value_or("")};
}

struct OpenedCheckpoint
{
    std::shared_ptr<const Checkpoint> c;
    std::string address;
};

OpenedCheckpoint openCheckpoint(const std::string &address)
{
    nb::gil_scoped_release unlocked;
    return {take(Checkpoint::open(address), address), address};
}

nb::list weights(const OpenedCheckpoint &o, const std::optional<std::vector<std::string>> &at)
{
    std::optional<Path> where;
    if (at) where = Path(at->begin(), at->end());
    const auto inputs = take(planInputs(*o.c, where), o.address);
    nb::list out;
    for (const auto &i : inputs) out.append(nb::make_tuple(i.name, i.entry));
    return out;
}

TensorBuffer tensorBuffer(const OpenedCheckpoint &o, size_t entry)
{
    if (entry >= o.c->entries().size()) throw nb::index_error("no such tensor");
    TensorValues values;
    {
        nb::gil_scoped_release unlocked;
        auto v = tensorValues(*o.c, entry);
        if (!v) fail(o.address, pathToString(o.c->entries()[entry].path) + ": " + v.error().message);
        values = std::move(*v);
    }
    return TensorBuffer{o.c, std::move(values)};
}

nb::list entries(const OpenedCheckpoint &o)
{
    nb::list out;
    for (size_t i = 0; i < o.c->entries().size(); ++i) out.append(pathToString(o.c->entries()[i].path));
    return out;
}

std::string planJsonOf(const std::string &path, const std::optional<std::string> &config,
                       const std::optional<std::string> &configJson, std::optional<int64_t> step)
{
    nb::gil_scoped_release unlocked;
    return planJson(take(runPlan(path, configInput(config, configJson), step), path));
}

std::string emitted(const std::string &path, const std::optional<std::string> &config,
                    const std::optional<std::string> &configJson, const std::string &format)
{
    nb::gil_scoped_release unlocked;
    const PlanRun run = take(runPlan(path, configInput(config, configJson)), path);
    return take(emittedConfig(run, format), "");
}

nb::dict applyConfig(const std::string &path, const std::optional<std::string> &config,
                     const std::optional<std::string> &configJson, const std::string &output,
                     const std::string &format, const std::string &ggufType, const std::string &optimizer,
                     const std::string &tied, const std::string &shardSize, bool weightsOnly,
                     const std::optional<std::string> &writeConfig)
{
    const ConfigInput in = configInput(config, configJson);
    const ExportOptions options = take(exportOptionsFor({output, format, ggufType, optimizer, tied, shardSize, weightsOnly},
                                                        in.fileName()), "");
    ApplyRun run;
    {
        nb::gil_scoped_release unlocked;
        run = take(runApply(path, in, options), path);
    }
    nb::dict out;
    out["plan_errors"] = run.planErrors;
    out["written"] = run.planErrors.empty();
    if (run.planErrors.empty()) {
        out["files"] = run.report.files.empty() ? std::vector<std::string>{options.output} : run.report.files;
        out["summary"] = run.summaryLine(options);
        out["warnings"] = run.report.warnings;
        out["tensors"] = run.report.tensors;
        out["bytes"] = run.report.bytes;
        if (writeConfig && !run.copyOnly)
            if (auto w = writeFileAtomically(*writeConfig, resolvedConfig(run, configFormatFor(*writeConfig))); !w)
                fail(*writeConfig, w.error().message);
    }
    return out;
}

nb::tuple compareOf(const std::string &path, const std::string &target, const std::optional<std::string> &config,
                    const std::optional<std::string> &configJson)
{
    nb::gil_scoped_release unlocked;
    const CompareRun run = take(runCompare(path, configInput(config, configJson), target), path);
    std::string json = compareRunJson(run), suggested = writeRules(suggestedRules(run), ConfigFormat::Json);
    nb::gil_scoped_acquire locked;
    return nb::make_tuple(json, suggested, run.configErrors);
}

std::string diffOf(const std::string &a, const std::string &b, const std::optional<std::string> &config,
                   const std::optional<std::string> &configJson)
{
    nb::gil_scoped_release unlocked;
    const DiffRun run = take(runDiff(a, b, configInput(config, configJson)), a);
    return diffJson(run.report, a, b);
}

std::pair<std::string, int> scanOf(const std::string &path, bool strict)
{
    nb::gil_scoped_release unlocked;
    const auto kind = locationKind(path);
    const std::vector<FileScan> scans = scanPath(path);
    return {scanJson(scans, path, kind && *kind == LocationKind::Folder), scanExitStatus(scans, strict)};
}

} // namespace

NB_MODULE(_core, m)
{
    m.doc() = "Checkpoint Studio's core: the bindings ckpt_studio is written on (use ckpt_studio, not this).";
    m.attr("__version__") = CKPT_VERSION;
    // Tensors that view a checkpoint may outlive the module at interpreter exit (torch keeps
    // them): not a leak worth a warning.
    nb::set_leak_warnings(false);
    // PyTorch has no read-only tensors: views handed out are made over copy-on-write mappings.
    MappedFile::setCopyOnWrite(true);
    nb::exception<Failure>(m, "CheckpointError");
    bindTensorBuffer(m);

    nb::class_<OpenedCheckpoint>(m, "_Checkpoint")
        .def_prop_ro("address", [](const OpenedCheckpoint &o) { return o.address; })
        .def_prop_ro("format", [](const OpenedCheckpoint &o) { return o.c->format(); })
        .def_prop_ro("reader", [](const OpenedCheckpoint &o) { return o.c->reader(); })
        .def_prop_ro("recognition", [](const OpenedCheckpoint &o) { return o.c->recognition(); })
        .def_prop_ro("files", [](const OpenedCheckpoint &o) {
            std::vector<std::pair<std::string, uint64_t>> out;
            for (const auto &f : o.c->files()) out.emplace_back(f.path, f.size);
            return out;
        })
        .def("inspect_json", [](const OpenedCheckpoint &o) { return inspectJson(*o.c, o.address); })
        .def("tree", [](const OpenedCheckpoint &o) { return treeValues(*o.c); })
        .def("entries", &entries)
        .def("weights", &weights, "at"_a = nb::none())
        .def("values", &tensorBuffer, "entry"_a);

    m.def("open", &openCheckpoint, "address"_a);
    m.def("plan_json", &planJsonOf, "path"_a, "config"_a = nb::none(), "config_json"_a = nb::none(), "step"_a = nb::none());
    m.def("emitted_config", &emitted, "path"_a, "config"_a, "config_json"_a, "format"_a);
    m.def("apply", &applyConfig, "path"_a, "config"_a, "config_json"_a, "output"_a, "format"_a, "gguf_type"_a,
          "optimizer"_a, "tied"_a, "shard_size"_a, "weights_only"_a, "write_config"_a);
    m.def("compare", &compareOf, "path"_a, "target"_a, "config"_a = nb::none(), "config_json"_a = nb::none());
    m.def("diff_json", &diffOf, "a"_a, "b"_a, "config"_a = nb::none(), "config_json"_a = nb::none());
    m.def("scan_json", &scanOf, "path"_a, "strict"_a = false);
    m.def("set_cache", [](bool on) { RangeCache::shared().setEnabled(on); }, "enabled"_a);
}

} // namespace ckpt::python
