#include "model/report/json_report.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/base/json_writer.h"
#include "model/checkpoint/tensor_placement.h"

#include <filesystem>
#include <sstream>

namespace ckpt {
namespace {

void writePath(JsonWriter &w, const Path &path)
{
    w.beginArray();
    for (const auto &e : path) {
        if (const auto *s = std::get_if<std::string>(&e)) w.value(*s);
        else if (const auto *n = std::get_if<int64_t>(&e)) w.value(*n);
        else w.raw(std::get<BigInteger>(e).digits);
    }
    w.endArray();
}

std::string storageId(const Checkpoint &c, const StorageInfo &s)
{
    if (c.files().size() <= 1) return s.key;
    return std::filesystem::path(c.files()[size_t(s.file)].path).filename().string() + ":" + s.key;
}

void writeInts(JsonWriter &w, const std::vector<int64_t> &v)
{
    w.beginArray();
    for (int64_t i : v) w.value(i);
    w.endArray();
}

/// Where each chunk of a tensor cut across files lies: its place in the whole, its file
/// (and the rank that wrote it) and its bytes there.
void writeChunks(JsonWriter &w, const Checkpoint &c, const TensorInfo &t)
{
    w.key("chunks");
    w.beginArray();
    for (const PiecePlace &p : piecesOf(c, t)) {
        w.beginObject();
        w.key("offsets");
        writeInts(w, p.offsets);
        w.key("sizes");
        writeInts(w, p.sizes);
        w.field("file", c.files()[size_t(p.file)].path);
        if (p.rank >= 0) w.field("rank", p.rank);
        if (p.flat) w.field("flat", true);
        w.field("byte_offset", p.byteOffset);
        w.field("nbytes", p.nbytes);
        w.endObject();
    }
    w.endArray();
}

void writeTensor(JsonWriter &w, const Checkpoint &c, size_t entryIndex)
{
    const TensorEntry &e = c.entries()[entryIndex];
    const TensorInfo &t = c.tensors()[size_t(e.tensor)];
    w.beginObject();
    w.key("path");
    writePath(w, e.path);
    w.field("name", pathToString(e.path));
    w.field("dtype", dtypeName(t.dtype));
    w.key("shape");
    writeInts(w, t.shape);
    w.key("strides");
    writeInts(w, t.strides);
    w.field("numel", t.numel());
    w.field("nbytes", t.nbytes());
    w.field("requires_grad", t.requiresGrad);
    w.field("parameter", t.parameter);
    if (!t.subclass.empty()) w.field("subclass", t.subclass);
    if (t.storage < 0) {
        w.key("storage").null();
        w.field("offset", int64_t(0));
        if (t.chunks >= 0) writeChunks(w, c, t);
        w.endObject();
        return;
    }
    const StorageInfo &s = c.storages()[size_t(t.storage)];
    w.field("storage", storageId(c, s));
    w.field("offset", t.storageOffset);
    w.field("storage_nbytes", s.byteLength);
    w.field("byte_offset",
            s.byteOffset + uint64_t(t.storageOffset) * uint64_t(dtypeBits(t.dtype)) / 8);
    if (c.files().size() > 1) w.field("file", c.files()[size_t(s.file)].path);
    if (!s.record.empty()) w.field("record", s.record);
    if (!s.mapped && !s.inPickle) w.field("compressed", true); // byte_offset is the compressed record's
    if (s.compressedItem >= 0) { // byte_offset counts in the item decoded; where its bytes lie:
        const CompressedItem &item = c.compressedItems()[size_t(s.compressedItem)];
        w.field("compressed_offset", item.offset);
        w.field("compressed_nbytes", item.length);
        w.field("codec", item.codec);
    }
    if (!t.encoding.empty()) w.field("encoding", t.encoding);
    w.field("device", s.location);
    w.field("shares_storage", c.sharesStorage(entryIndex));
    w.endObject();
}

} // namespace

std::string inspectJson(const Checkpoint &c, const std::string &path)
{
    std::ostringstream out;
    writeInspectJson(out, c, path);
    return out.str();
}

void writeInspectJson(std::ostream &out, const Checkpoint &c, const std::string &path)
{
    const CheckpointSummary s = summarize(c);
    JsonWriter w(&out);
    w.beginObject();
    w.field("file", path);
    w.field("format", s.format);
    w.field("file_size", s.fileSize);
    if (c.archiveVersion()) w.field("archive_version", c.archiveVersion());
    w.field("tensor_count", s.tensorCount);
    w.field("parameters", s.parameters);
    w.field("nbytes", s.tensorBytes);
    w.field("storage_nbytes", s.storageBytes);
    w.key("bytes_by_dtype").beginObject();
    for (const auto &[dtype, bytes] : s.bytesByDtype) w.field(dtype, bytes);
    w.endObject();
    w.key("weights_candidates").beginArray();
    for (const auto &cand : c.weightsCandidates()) {
        w.beginObject().key("path");
        writePath(w, cand.path);
        w.field("tensors", cand.tensors).field("parameters", cand.parameters);
        w.field("nbytes", cand.bytes).endObject();
    }
    w.endArray();
    if (c.files().size() > 1) {
        w.key("files").beginArray();
        for (const auto &f : c.files())
            w.beginObject().field("path", f.path).field("size", f.size).endObject();
        w.endArray();
    }
    w.key("metadata").beginObject();
    for (const auto &[k, v] : c.metadata()) w.field(k, v);
    w.endObject();
    w.key("warnings").beginArray();
    for (const auto &warning : c.warnings()) w.value(warning);
    w.endArray();
    w.field("dangerous", c.safety().dangerous);
    w.key("tensors").beginArray();
    for (size_t i = 0; i < c.entries().size(); ++i) writeTensor(w, c, i);
    w.endArray();
    w.endObject();
}

} // namespace ckpt
