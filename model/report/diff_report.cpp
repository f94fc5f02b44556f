#include "model/report/diff_report.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/base/terminal_text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ckpt {
namespace {

using json = nlohmann::ordered_json;

/// JSON has no infinity or NaN: those become null.
json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string fmt(double v, const char *format = "%.3g")
{
    if (!std::isfinite(v)) return std::isnan(v) ? "nan" : "inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

} // namespace

std::string diffJson(const DiffReport &r, const std::string &pathA, const std::string &pathB)
{
    json j;
    j["a"] = pathA;
    j["b"] = pathB;
    j["identical"] = r.identicalOverall();
    j["counts"] = {{"identical", r.identical}, {"changed", r.changed},           {"added", r.added},
                   {"removed", r.removed},     {"shape_changed", r.shapeChanged}, {"dtype_changed", r.dtypeChanged}};
    j["totals"] = {{"parameters_a", r.parametersA},
                   {"parameters_changed", r.parametersChanged},
                   {"elements_changed", r.elementsChanged}};
    json tensors = json::array();
    for (const auto &d : r.tensors) {
        json t = {{"name", d.name}, {"status", std::string(diffStatusName(d.status))}};
        if (d.a >= 0) t["shape_a"] = d.shapeA, t["dtype_a"] = std::string(dtypeName(d.dtypeA));
        if (d.b >= 0) t["shape_b"] = d.shapeB, t["dtype_b"] = std::string(dtypeName(d.dtypeB));
        if (d.hasMetrics) {
            t["max_abs"] = number(d.maxAbs);
            t["mean_abs"] = number(d.meanAbs);
            t["rel_l2"] = number(d.relL2);
            t["cosine"] = number(d.cosine);
            t["changed_elements"] = d.changedElements;
        }
        if (!d.error.empty()) t["error"] = d.error;
        tensors.push_back(std::move(t));
    }
    j["tensors"] = std::move(tensors);
    json modules = json::array();
    for (const auto &m : r.modules)
        modules.push_back({{"module", m.module}, {"parameters", m.parameters}, {"rel_change", number(m.relChange)},
                           {"tensors", m.tensors}, {"changed", m.changed}});
    j["modules"] = std::move(modules);
    return j.dump(1);
}

std::string diffText(const DiffReport &r, size_t top)
{
    std::ostringstream out;
    std::vector<const TensorDiff *> moved;
    for (const auto &d : r.tensors)
        if (d.status != TensorDiff::Status::Identical) moved.push_back(&d);
    // Most changed first: by relative change; then what moved away from all zeros (no
    // relative change), by max |a-b|; then structural changes.
    auto rank = [](const TensorDiff *d) {
        if (!d->hasMetrics) return std::pair(2, 0.0);
        return std::isfinite(d->relL2) ? std::pair(0, -d->relL2) : std::pair(1, -d->maxAbs);
    };
    std::stable_sort(moved.begin(), moved.end(),
                     [&](const TensorDiff *x, const TensorDiff *y) { return rank(x) < rank(y); });
    if (!moved.empty()) {
        char line[512];
        std::snprintf(line, sizeof line, "%-48s %-13s %10s %10s %10s %10s\n", "name", "status", "rel_l2", "max_abs",
                      "mean_abs", "cosine");
        out << line;
        for (size_t k = 0; k < moved.size() && k < top; ++k) {
            const TensorDiff &d = *moved[k];
            std::string detail;
            if (d.status == TensorDiff::Status::ShapeChanged) detail = shapeText(d.shapeA) + " -> " + shapeText(d.shapeB);
            if (d.hasMetrics)
                std::snprintf(line, sizeof line, " %-13s %10s %10s %10s %10s\n",
                              std::string(diffStatusName(d.status)).c_str(), fmt(d.relL2).c_str(),
                              fmt(d.maxAbs).c_str(), fmt(d.meanAbs).c_str(), fmt(d.cosine, "%.6f").c_str());
            else
                std::snprintf(line, sizeof line, " %-13s %s\n", std::string(diffStatusName(d.status)).c_str(),
                              (detail.empty() ? d.error : detail).c_str());
            out << padToWidth(terminalText(d.name), 48) << line;
        }
        if (moved.size() > top) out << "... " << moved.size() - top << " more (--top N, or --json for all)\n";
    }
    out << r.tensors.size() << " names: " << r.identical << " identical, " << r.changed << " changed, " << r.added
        << " added, " << r.removed << " removed, " << r.shapeChanged << " shape changed, " << r.dtypeChanged
        << " dtype changed\n";
    out << "parameters in changed tensors: " << humanCount(r.parametersChanged) << " of " << humanCount(r.parametersA)
        << " (" << humanCount(r.elementsChanged) << " values differ)\n";
    return out.str();
}

} // namespace ckpt
