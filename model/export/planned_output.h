#pragma once

#include "model/checkpoint/source_reader.h"
#include "model/export/export_job.h"
#include "model/export/made_tensor_bytes.h"

#include <functional>
#include <map>

namespace ckpt::exporting {

/// One tensor a writer of a flat dict of named arrays (safetensors, npz) writes: a kept input
/// (`t` its source tensor) or an added one (`t` null, `input` indexing Plan::added), with the
/// dtype and shape it has after casts and resizes. Internal to model/export.
struct PlannedOut
{
    size_t input = 0;
    std::string name;
    const TensorInfo *t = nullptr;
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    uint64_t nbytes() const;
};

/// The plan's kept and added tensors in plan order; dropped and consumed ones counted in
/// `report`. A dtype the format cannot hold (`holds` false) is an error naming it and
/// `format`; with Tied::Alias, later views of the same bytes become report.aliases.
std::vector<PlannedOut> plannedOutputs(const Checkpoint &c, const Prepared &p, const ExportOptions &o,
                                       ExportReport &report, const std::function<bool(DType)> &holds, const char *format);

/// Writes one output's bytes through `put` a piece at a time where it can (a plain copy is
/// streamed from its storage; cast, resized and made tensors are made whole first), adding
/// them to report.bytes and `progress`; returns their CRC-32 for the verification.
uint32_t writePlannedBytes(const Checkpoint &c, const Prepared &p, const SourceReader &src, MadeTensorBytes &added,
                           const PlannedOut &out, const std::function<void(const char *, size_t)> &put,
                           ExportReport &report, Progress &progress);

/// What a writer put in its file for one storage: the bytes and their CRC-32 (for a
/// block-encoded GGUF tensor, its blocks as written).
struct WrittenBytes
{
    uint64_t size = 0;
    uint32_t crc = 0;
};

/// Opens the written file at `path` again and checks that it lists exactly the storages
/// `written` names (by key), each with those bytes (where a decoded storage's encoded bytes
/// lie, for one read by decoding). Throws std::runtime_error("verification: ...").
void verifyWritten(const std::string &path, const std::map<std::string, WrittenBytes> &written, const char *format);

} // namespace ckpt::exporting
