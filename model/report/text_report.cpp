#include "model/report/text_report.h"

#include "model/report/scan_report.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/base/terminal_text.h"

#include <algorithm>
#include <sstream>
#include <unordered_set>

namespace ckpt {
namespace {

std::string pad(std::string s, size_t width) { return padToWidth(std::move(s), width); }
std::string padLeft(std::string s, size_t width) { return padToWidth(std::move(s), width, true); }

} // namespace

std::string summaryText(const Checkpoint &c, const std::string &path)
{
    const CheckpointSummary s = summarize(c);
    std::ostringstream out;
    out << "file        " << path << " (" << humanBytes(s.fileSize);
    if (c.files().size() > 1) out << " in " << c.files().size() << " files";
    out << ")\n";
    out << "format      " << s.format;
    if (c.archiveVersion()) out << " (version " << c.archiveVersion() << ")";
    out << "\n";
    if (!c.reader().empty()) out << "read by     " << c.reader() << " (" << c.recognition() << ")\n";
    out << "tensors     " << s.tensorCount;
    if (s.entryCount != s.tensorCount) out << " (referenced from " << s.entryCount << " places)";
    out << ", " << humanCount(s.parameters) << " parameters, " << humanBytes(s.tensorBytes);
    if (s.sharedStorages) out << ", " << s.sharedStorages << " shared storages";
    out << "\n";
    if (!s.bytesByDtype.empty()) {
        out << "by dtype   ";
        for (const auto &[dtype, bytes] : s.bytesByDtype)
            out << " " << dtype << " " << humanBytes(bytes) << " (" << humanCount(s.paramsByDtype.at(dtype)) << ")";
        out << "\n";
    }
    const auto &cands = c.weightsCandidates();
    for (size_t i = 0; i < cands.size() && i < 5; ++i) {
        out << (i == 0 ? "weights     " : "            ")
            << (cands[i].path.empty() ? std::string("(root)") : pathToString(cands[i].path)) << ": "
            << cands[i].tensors << " tensors, " << humanCount(cands[i].parameters) << " parameters"
            << (i == 0 ? "" : " (alternative)") << "\n";
    }
    // One line each: a value's newlines and control bytes (a chat template's) shown escaped,
    // long ones cut.
    for (const auto &[k, v] : c.metadata()) {
        std::string shown = terminalText(v.size() > 300 ? v.substr(0, 300) + "..." : v);
        out << "metadata    " << terminalText(k) << " = " << shown << "\n";
    }
    const SafetyReport &r = c.safety();
    out << "safety      " << (r.dangerous ? "DANGEROUS: do not torch.load this file (see ckpt scan)"
                                          : "nothing dangerous found")
        << "\n";
    out << "weights_only=True  torch 1.13: " << weightsOnlyText(r.torch113)
        << "; torch >= 2.6: " << weightsOnlyText(r.torch2) << "\n";
    for (const auto &w : c.warnings()) out << "warning     " << w << "\n";
    return out.str();
}

std::string inspectText(const Checkpoint &c, const std::string &path)
{
    size_t nameWidth = 4, shapeWidth = 5, dtypeWidth = 5;
    for (const auto &e : c.entries()) {
        const auto &t = c.tensors()[size_t(e.tensor)];
        nameWidth = std::max(nameWidth, terminalWidth(terminalText(pathToString(e.path))));
        shapeWidth = std::max(shapeWidth, shapeText(t.shape).size());
        dtypeWidth = std::max(dtypeWidth, dtypeText(t).size());
    }
    nameWidth = std::min<size_t>(nameWidth, 80);
    std::ostringstream out;
    out << pad("name", nameWidth) << "  " << pad("dtype", dtypeWidth + 2) << pad("shape", shapeWidth) << "  "
        << padLeft("params", 10) << "  " << padLeft("size", 10) << "\n";
    for (size_t i = 0; i < c.entries().size(); ++i) {
        const auto &e = c.entries()[i];
        const auto &t = c.tensors()[size_t(e.tensor)];
        const bool shared = c.sharesStorage(i);
        out << pad(terminalText(pathToString(e.path)), nameWidth) << "  "
            << pad(dtypeText(t), dtypeWidth + 2)
            << pad(shapeText(t.shape), shapeWidth) << "  " << padLeft(std::to_string(t.numel()), 10)
            << "  " << padLeft(humanBytes(t.nbytes()), 10) << (shared ? " *" : "") << "\n";
    }
    const auto &viewers = c.storageViewers();
    if (std::any_of(viewers.begin(), viewers.end(), [](int v) { return v > 1; }))
        out << "(* shares its storage with another tensor: tied weights or a view)\n";
    out << "\n" << summaryText(c, path);
    return out.str();
}

} // namespace ckpt
