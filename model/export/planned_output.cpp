#include "model/export/planned_output.h"

#include "model/base/crc32.h"

#include <map>
#include <tuple>

namespace ckpt::exporting {

uint64_t PlannedOut::nbytes() const
{
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return (uint64_t(n) * uint64_t(dtypeBits(dtype)) + 7) / 8;
}

std::vector<PlannedOut> plannedOutputs(const Checkpoint &c, const Prepared &p, const ExportOptions &o,
                                       ExportReport &report, const std::function<bool(DType)> &holds, const char *format)
{
    std::vector<PlannedOut> outs;
    std::map<std::tuple<int, int64_t, std::vector<int64_t>, std::vector<int64_t>, DType>, std::string> firstView;
    for (size_t i = 0; i < p.inputs.size(); ++i) {
        const TensorPlan &plan = p.plan.tensors[i];
        if (plan.dropped) {
            ++(plan.consumedBy >= 0 ? report.consumed : report.dropped);
            continue;
        }
        const std::string name(plan.name);
        report.renamed += plan.renamed;
        const TensorInfo &t = c.tensors()[size_t(c.entries()[p.inputs[i].entry].tensor)];
        if (!holds(plan.dtype)) throw std::runtime_error(name + ": " + format + " has no " + std::string(dtypeName(plan.dtype)));
        if (!t.hasBytes()) throw std::runtime_error(name + ": " + whyNoData(t));
        if (o.tied == ExportOptions::Tied::Alias && plan.resizedBy < 0 && t.storage >= 0) {
            const auto [it, inserted] = firstView.try_emplace({t.storage, t.storageOffset, t.shape, t.strides, plan.dtype}, name);
            if (!inserted) {
                report.aliases.push_back(name + "=" + it->second);
                continue;
            }
        }
        outs.push_back({i, name, &t, plan.dtype, plannedShape(p.inputs, p.plan, *p.rules, i)});
    }
    for (size_t k = 0; k < p.plan.added.size(); ++k) {
        const AddedTensor &a = p.plan.added[k];
        if (!holds(a.dtype)) throw std::runtime_error(a.name + ": " + format + " has no " + std::string(dtypeName(a.dtype)));
        outs.push_back({k, a.name, nullptr, a.dtype, a.shape});
    }
    return outs;
}

uint32_t writePlannedBytes(const Checkpoint &c, const Prepared &p, const SourceReader &src, MadeTensorBytes &added,
                           const PlannedOut &out, const std::function<void(const char *, size_t)> &put,
                           ExportReport &report, Progress &progress)
{
    uint32_t crc = 0;
    auto sink = [&](const char *data, size_t size) {
        put(data, size);
        crc = crc32Update(crc, data, size);
        report.bytes += size;
        progress.advance(size);
    };
    const bool edited = out.t && (p.plan.tensors[out.input].dtype != out.t->dtype || p.plan.tensors[out.input].resizedBy >= 0);
    if (!out.t) {
        added.write(out.input, sink);
    } else if (const auto start = edited ? std::nullopt : plainByteOffset(c, *out.t)) {
        // A copy as it is: read a piece at a time.
        readStorageInPieces(c, src, c.storages()[size_t(out.t->storage)], *start, out.t->nbytes(), sink);
    } else {
        const std::vector<char> bytes =
            plannedBytes(tensorBytes(c, src, *out.t), p.inputs[out.input], p.plan.tensors[out.input], *p.rules);
        sink(bytes.data(), bytes.size());
    }
    return crc;
}

void verifyWritten(const std::string &path, const std::map<std::string, WrittenBytes> &written, const char *format)
{
    auto back = Checkpoint::open(path);
    if (!back) throw std::runtime_error("the written file does not read back: " + back.error().message);
    size_t seen = 0;
    for (const auto &s : (*back)->storages()) {
        const auto it = written.find(s.key);
        if (it == written.end()) throw std::runtime_error("verification: unexpected storage " + s.key);
        uint64_t at = s.byteOffset, length = s.byteLength;
        if (s.compressedItem >= 0) {
            const CompressedItem &item = (*back)->compressedItems()[size_t(s.compressedItem)];
            at = item.offset;
            length = item.length;
        }
        if (length != it->second.size || crcOfFile(path, at, length) != it->second.crc)
            throw std::runtime_error("verification: " + s.key + " differs from what was written");
        ++seen;
    }
    if (seen != written.size()) throw std::runtime_error(std::string("verification: the ") + format + " lists other tensors than written");
}

} // namespace ckpt::exporting
