// torch.save's zip container, read from the mapping with our own checked central-directory
// reader. LibTorch's PyTorchStreamReader is deliberately not on this path: merely loading
// libtorch_cpu costs ~0.6 s of static initialisation, more than opening should cost. The
// tests check this reader against PyTorchStreamReader record by record (tst_zip_directory).
#include "model/formats/zip_checkpoint_reader.h"

#include "model/base/format_error.h"
#include "model/base/key_index.h"
#include "model/formats/pickle_run.h"
#include "model/formats/tensor_resolver.h"
#include "model/formats/zip_directory.h"

#include <zlib.h>

#include <charconv>

namespace ckpt {
namespace {

constexpr uint64_t kInflateBudget = uint64_t(512) << 20; // compressed storage records read inflated


constexpr uint64_t kMaxPickleBytes = uint64_t(512) << 20; // 1M tensors take ~150 MB
// PyTorch 1.13 reads archive versions 1 to 10 (caffe2/serialize/versions.h).
constexpr int kMinVersion = 1;
constexpr int kMaxVersion = 10;

/// A short text record (version, byteorder), stored or deflated: PyTorch reads either.
std::string recordText(const ByteSource &source, const ZipEntry &e)
{
    if ((e.method != 0 && e.method != 8) || e.size > 64) throw FormatError("zip: record " + std::string(e.name) + " is malformed");
    if (e.method == 8) {
        const std::vector<uint8_t> text = inflateRecord(source, e);
        return {text.begin(), text.end()};
    }
    const ByteView bytes = source.view(e.dataOffset, e.size);
    return {bytes.begin(), bytes.end()};
}

int archiveVersion(const ByteSource &source, const ZipDirectory &dir, const std::string &prefix)
{
    const ZipEntry *e = dir.find(prefix + ".data/version");
    if (!e) e = dir.find(prefix + "version");
    if (!e) throw FormatError("zip: not a PyTorch archive (no version record)");
    const std::string record = recordText(source, *e);
    std::string_view text = record;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    int v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size())
        throw FormatError("zip: the version record is not a number");
    if (v < kMinVersion || v > kMaxVersion)
        throw FormatError("zip: archive version " + std::to_string(v) + " is not supported");
    return v;
}

/// Records whose names compare equal without case: PyTorch reads one of each (the one
/// ZipDirectory::find gives), so the listing follows it, a warning names them, and every other
/// data.pkl among them is scanned too, so that a second pickle cannot hide code from `ckpt scan`.
void reportSameNames(CheckpointData &d, const ZipDirectory &dir, const ZipEntry &pickle, const std::string &prefix)
{
    const ByteSource &source = *d.files.front().source;
    const auto groups = dir.sameNames();
    for (const auto &group : groups) {
        const ZipEntry &first = dir.entries()[group.front()];
        d.warnings.push_back("zip: " + std::to_string(group.size()) + " records are named " + std::string(first.name) +
                             " (names compare without case, as in PyTorch's reader); the listing shows the one "
                             "PyTorch reads");
        d.safety.anomalies.push_back("zip: " + std::to_string(group.size()) + " records are named " +
                                     std::string(first.name) + ": readers may take different ones");
        if (compareNamesWithoutCase(first.name, prefix + "data.pkl") != 0) continue;
        for (uint32_t i : group) {
            const ZipEntry &other = dir.entries()[i];
            if (&other == &pickle) continue;
            const std::string label = "data.pkl (another record of that name, at byte " + std::to_string(other.localHeaderOffset) + ")";
            try {
                std::vector<uint8_t> inflated;
                const ByteView bytes = ckpt::recordBytes(source, other, inflated);
                scanPickle(d, bytes.data(), bytes.size(), label);
            } catch (const std::exception &e) {
                d.warnings.push_back(label + " could not be scanned: " + e.what());
            }
        }
    }
}

/// Storage records as PyTorch finds them, for d.storages[first...] under `folder`
/// ("archive/data/"): by exact name in one pass (dense for its "0", "1", ...) while no two
/// names compare equal without case, else, and on a miss, by asking the directory.
void locateStorages(CheckpointData &d, const ZipDirectory &dir, std::string recordName, size_t first)
{
    KeyIndex records;
    const size_t keyAt = recordName.size();
    if (!dir.hasSameNames())
        for (size_t i = 0; i < dir.entries().size(); ++i) {
            const std::string_view name = dir.entries()[i].name;
            if (name.starts_with(recordName)) records.findOrInsert(name.substr(keyAt), int(i));
        }
    size_t compressed = 0, inflated = 0;
    uint64_t inflatedBytes = 0;
    for (size_t i = first; i < d.storages.size(); ++i) {
        StorageInfo &s = d.storages[i];
        if (s.inPickle) continue;
        const int exact = dir.hasSameNames() ? -1 : records.find(s.key);
        const ZipEntry *rec = exact >= 0 ? &dir.entries()[size_t(exact)] : nullptr;
        if (!rec) {
            recordName.resize(keyAt);
            recordName += s.key;
            rec = dir.find(recordName);
        }
        if (!rec) {
            recordName.resize(keyAt);
            const size_t slash = recordName.rfind('/', keyAt - 2);
            throw FormatError("storage record " + recordName.substr(slash + 1) + s.key + " is missing");
        }
        s.record = std::string(rec->name);
        s.byteOffset = rec->dataOffset;
        s.byteLength = rec->size;
        s.mapped = rec->method == 0;
        if (s.mapped) continue;
        // torch.load inflates a deflated record; so does this, within a memory budget.
        if (rec->method == 8 && inflatedBytes + rec->size <= kInflateBudget) {
            d.buffers.push_back(inflateRecord(*d.files.front().source, *rec));
            s.buffer = int(d.buffers.size() - 1);
            inflatedBytes += rec->size;
            ++inflated;
            continue;
        }
        ++compressed;
        s.byteLength = rec->compressedSize; // what is there: the compressed bytes
    }
    if (inflated)
        d.warnings.push_back(std::to_string(inflated) + " storage records are compressed; they were read inflated (" +
                             std::to_string(inflatedBytes) + " bytes in memory)");
    if (compressed)
        d.warnings.push_back(std::to_string(compressed) + " storage records are compressed beyond what is inflated here (" +
                             std::to_string(kInflateBudget >> 20) + " MiB): torch.load inflates them, but their values "
                             "cannot be read here (statistics and export refuse them; diff compares their compressed bytes)");
}

/// A record's bytes: a view when stored, inflated into d.buffers when deflated.
ByteView recordBytes(CheckpointData &d, const ByteSource &source, const ZipEntry &e, const std::string &what)
{
    try {
        return ckpt::recordBytes(source, e, d.buffers.emplace_back());
    } catch (const FormatError &error) {
        throw FormatError("zip: " + what + " uses " + error.what());
    }
}

/// A frozen TorchScript module keeps its weights as constants (constants.pkl: a tuple, its
/// storages under constants/), which its code calls CONSTANTS.c0, c1, ...: listed at
/// CONSTANTS/c0, ... in the root module's attributes, so that no other path moves.
void readConstants(CheckpointData &d, const ZipDirectory &dir, const std::string &prefix)
{
    const ZipEntry *entry = dir.find(prefix + "constants.pkl");
    if (!entry) return;
    if (entry->size > kMaxPickleBytes) throw FormatError("zip: constants.pkl is larger than 512 MiB");
    const ByteView bytes = recordBytes(d, *d.files.front().source, *entry, "constants.pkl");
    const size_t firstValue = d.arena->size();
    const size_t firstStorage = d.storages.size();
    const size_t firstTensor = d.tensors.size();
    const Value *constants = runPickle(d, bytes.data(), bytes.size(), 0, "constants.pkl");
    resolveTensors(d, firstValue);
    locateStorages(d, dir, prefix + "constants/", firstStorage);
    if (d.tensors.size() == firstTensor || constants->kind != ValueKind::Tuple) return;
    Value *state = d.root && d.root->kind == ValueKind::Object ? d.root->state : nullptr;
    if (!state || state->kind != ValueKind::Dict) {
        d.warnings.push_back("constants.pkl holds tensors, but the module has no attributes to list them under");
        return;
    }
    Value *named = d.arena->make(ValueKind::Dict);
    for (size_t i = 0; i < constants->items.size(); ++i) {
        Value *key = d.arena->make(ValueKind::String);
        key->text = d.arena->keep("c" + std::to_string(i));
        named->items.push_back(key);
        named->items.push_back(constants->items[i]);
    }
    Value *key = d.arena->make(ValueKind::String);
    key->text = "CONSTANTS";
    state->items.push_back(key);
    state->items.push_back(named);
}

} // namespace

Recognition ZipCheckpointReader::recogniseFile(const FileProbe &probe) const
{
    const ByteView h = probe.head;
    if (h.size() < 4 || h[0] != 'P' || h[1] != 'K') return {};
    if (h[2] == 3 && h[3] == 4) return {90, "starts with PK\\3\\4, a zip archive's magic", {}, {}};
    if (h[2] == 5 && h[3] == 6) return {90, "starts with PK\\5\\6, an empty zip archive's magic", {}, {}};
    return {};
}

CheckpointData ZipCheckpointReader::readFile(SourceFile file, const FormatRegistry &) const
{
    const ByteSource &source = *file.source;
    const ZipDirectory dir = ZipDirectory::parse(source);
    if (dir.entries().empty()) throw FormatError("zip: the archive holds no records");
    const std::string_view first = dir.entries().front().name;
    const auto slash = first.find('/');
    if (slash == std::string::npos) throw FormatError("zip: not a PyTorch archive (no folder)");
    const std::string prefix(first.substr(0, slash + 1));
    const ZipEntry *pkl = dir.find(prefix + "data.pkl");
    if (!pkl) throw FormatError("zip: not a PyTorch archive (no data.pkl)");
    if (pkl->size > kMaxPickleBytes) throw FormatError("zip: data.pkl is larger than 512 MiB");

    CheckpointData d;
    d.format = dir.find(prefix + "constants.pkl") ? "torchscript" : "pytorch-zip";
    d.archiveVersion = archiveVersion(source, dir, prefix);
    if (const ZipEntry *order = dir.find(prefix + "byteorder"); order && recordText(source, *order) == "big") {
        d.bigEndian = true;
        d.warnings.push_back("tensor bytes are stored big-endian");
    }
    const ByteView pickle = recordBytes(d, source, *pkl, "data.pkl");
    d.files.push_back(std::move(file));
    d.root = runPickle(d, pickle.data(), pickle.size(), 0, "data.pkl");
    reportSameNames(d, dir, *pkl, prefix);
    resolveTensors(d);
    locateStorages(d, dir, prefix + "data/", 0);
    if (d.format == "torchscript") readConstants(d, dir, prefix);
    checkTensorBounds(d);
    return d;
}

} // namespace ckpt
