#include "model/export/export_job.h"
#include "model/export/planned_output.h"
#include "model/export/temp_file.h"
#include "model/export/zip_writer.h"

#include <map>

// NumPy .npz written from the plan (what JAX code loads with np.load): one stored .npy record
// per tensor under its planned name, read back and checked.
namespace ckpt::exporting {
namespace {

/// An .npy header (format 1.0, or 2.0 past 64 KiB) for a C-order little-endian array.
std::string npyHeader(const PlannedOut &out)
{
    std::string shape;
    for (size_t i = 0; i < out.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(out.shape[i]);
    if (out.shape.size() == 1) shape += ",";
    std::string dict = std::string("{'descr': '") + (dtypeBits(out.dtype) > 8 ? "<" : "|") + std::string(numpyCode(out.dtype)) +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
    const bool wide = dict.size() + 1 + 10 > 65535;
    const size_t preamble = wide ? 12 : 10;
    dict.append((64 - (preamble + dict.size() + 1) % 64) % 64, ' ');
    dict += '\n';
    std::string head("\x93NUMPY", 6);
    head += char(wide ? 2 : 1);
    head += char(0);
    const uint32_t n = uint32_t(dict.size());
    for (int i = 0; i < (wide ? 4 : 2); ++i) head += char((n >> (8 * i)) & 0xff);
    return head + dict;
}

} // namespace

ExportReport writeNpz(const Checkpoint &c, const Prepared &p, const ExportOptions &o, Progress &progress)
{
    if (p.inputs.empty()) throw std::runtime_error("npz holds a dict of arrays; this file has none");
    ExportReport report;
    const std::vector<PlannedOut> outs =
        plannedOutputs(c, p, o, report, [](DType d) { return !numpyCode(d).empty(); }, "NumPy (npz)");
    uint64_t total = 0;
    for (const auto &out : outs) total += out.nbytes();
    progress.total = std::max<uint64_t>(total, 1);
    TempFile temp(o.output);
    const SourceReader src(c);
    MadeTensorBytes added(c, p);
    std::map<std::string, WrittenBytes> crcs;
    {
        ZipWriter zip(temp.file(), "");
        for (const PlannedOut &out : outs) {
            const std::string header = npyHeader(out);
            zip.beginRecord(out.name + ".npy", header.size() + out.nbytes());
            zip.write(header.data(), header.size());
            crcs[out.name] = {out.nbytes(), writePlannedBytes(c, p, src, added, out, [&](const char *d, size_t n) { zip.write(d, n); }, report, progress)};
            zip.endRecord();
        }
        zip.finish();
    }
    temp.close();
    verifyWritten(temp.path(), crcs, "npz");
    temp.commit(o.output);
    report.files.push_back(o.output);
    report.tensors = outs.size();
    return report;
}

} // namespace ckpt::exporting
