#include "checkpoint.h"

#include "checkpoint_loader.h"
#include "format_error.h"
#include "format_readers.h"
#include "pickle_run.h"
#include "tree_walker.h"

#include <cctype>
#include <cstring>
#include <filesystem>
#include <unordered_set>

namespace ckpt {
namespace {

namespace fs = std::filesystem;

bool endsWith(const std::string &s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The index.json or single checkpoint a model folder stands for.
std::string resolveFolder(const std::string &folder)
{
    for (const char *name : {"model.safetensors.index.json", "pytorch_model.bin.index.json"})
        if (fs::is_regular_file(fs::path(folder) / name)) return (fs::path(folder) / name).string();
    std::vector<std::string> indexes, files;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(folder, ec)) {
        if (!entry.is_regular_file()) continue;
        const std::string p = entry.path().string();
        if (endsWith(p, ".index.json")) indexes.push_back(p);
        for (const char *ext : {".safetensors", ".bin", ".pt", ".pth", ".ckpt"})
            if (endsWith(p, ext)) files.push_back(p);
    }
    if (ec) throw FormatError(ec.message());
    if (indexes.size() == 1) return indexes.front();
    if (indexes.empty() && files.size() == 1) return files.front();
    if (indexes.size() > 1) throw FormatError("folder holds several index.json files; name one");
    throw FormatError(files.empty() ? "folder holds no checkpoint or index.json"
                                    : "folder holds several checkpoints and no index.json; name one");
}

void finish(CheckpointData &d)
{
    walkTree(d);
    finishSafetyReport(d.safety);
}

CheckpointData readFile(SourceFile file)
{
    const uint8_t *data = file.map->data();
    const uint64_t size = file.map->size();
    if (size == 0) throw FormatError("empty file");
    // The name decides for safetensors: a broken header is then reported as one, even when
    // its length bytes happen to look like something else.
    if (endsWith(file.path, ".safetensors")) return readSafetensors(std::move(file));
    switch (sniff(data, size)) {
    case Sniffed::Zip: return readZipCheckpoint(std::move(file));
    case Sniffed::LegacyPickle: return readLegacyCheckpoint(std::move(file));
    case Sniffed::Safetensors: return readSafetensors(std::move(file));
    case Sniffed::Tar: throw FormatError("tar checkpoint from PyTorch < 0.4 is not supported");
    case Sniffed::TorchScriptPreview:
        throw FormatError("archive from the PyTorch 1.0 preview is not supported");
    case Sniffed::Json:
        throw FormatError("a JSON file; give an index.json of a sharded model");
    case Sniffed::Unknown: break;
    }
    throw FormatError("not a checkpoint (neither zip, pickle nor safetensors)");
}

} // namespace

Sniffed sniff(const uint8_t *data, uint64_t size)
{
    if (size >= 4 && std::memcmp(data, "PK", 2) == 0 &&
        (std::memcmp(data + 2, "\x03\x04", 2) == 0 || std::memcmp(data + 2, "\x05\x06", 2) == 0))
        return Sniffed::Zip;
    if (size >= 8 && std::memcmp(data, "PYTORCH1", 8) == 0) return Sniffed::TorchScriptPreview;
    if (size >= 262 && std::memcmp(data + 257, "ustar", 5) == 0) return Sniffed::Tar;
    if (size >= 9 && data[8] == '{') {
        uint64_t n = 0;
        std::memcpy(&n, data, 8);
        if (n >= 2) return Sniffed::Safetensors;
    }
    // Pickles: protocol 2+ starts with PROTO; protocols 0/1 with MARK, an empty container or
    // GLOBAL in practice.
    if (data[0] == 0x80 || data[0] == '(' || data[0] == ']' || data[0] == '}' || data[0] == 'c')
        return Sniffed::LegacyPickle;
    size_t i = 0;
    while (i < size && i < 64 && std::isspace(data[i])) ++i;
    if (i < size && data[i] == '{') return Sniffed::Json;
    return Sniffed::Unknown;
}

Result<CheckpointData> loadCheckpointFile(const std::string &path)
{
    auto map = MappedFile::open(path);
    if (!map) return map.error();
    try {
        SourceFile file{path, map.value()->size(), map.value()};
        CheckpointData d = readFile(std::move(file));
        finish(d);
        return d;
    } catch (const FormatError &e) {
        return Error{e.what()};
    } catch (const std::bad_alloc &) {
        return Error{"out of memory while reading the metadata"};
    } catch (const std::exception &e) {
        return Error{e.what()};
    }
}

Result<std::shared_ptr<const Checkpoint>> Checkpoint::open(const std::string &path)
{
    try {
        std::error_code ec;
        if (!fs::exists(path, ec)) return Error{"no such file or directory"};
        std::string target = fs::is_directory(path, ec) ? resolveFolder(path) : path;
        if (endsWith(target, ".json")) {
            CheckpointData d = readShardedIndex(target);
            finish(d);
            return std::shared_ptr<const Checkpoint>(std::make_shared<Checkpoint>(std::move(d)));
        }
        auto d = loadCheckpointFile(target);
        if (!d) return d.error();
        return std::shared_ptr<const Checkpoint>(std::make_shared<Checkpoint>(std::move(d.value())));
    } catch (const FormatError &e) {
        return Error{e.what()};
    } catch (const std::bad_alloc &) {
        return Error{"out of memory while reading the metadata"};
    } catch (const std::exception &e) {
        return Error{e.what()};
    }
}

std::string_view formatName(CheckpointFormat f)
{
    switch (f) {
    case CheckpointFormat::PyTorchZip: return "pytorch-zip";
    case CheckpointFormat::TorchScript: return "torchscript";
    case CheckpointFormat::PyTorchLegacy: return "pytorch-legacy";
    case CheckpointFormat::Safetensors: return "safetensors";
    case CheckpointFormat::ShardedSafetensors: return "sharded-safetensors";
    case CheckpointFormat::ShardedPyTorch: return "sharded-pytorch";
    case CheckpointFormat::Pickle: return "pickle";
    }
    return "unknown";
}

Checkpoint::Checkpoint(CheckpointData data) : m_d(std::move(data)), m_viewers(m_d.storages.size(), 0)
{
    std::vector<bool> seen(m_d.tensors.size(), false);
    for (const auto &e : m_d.entries) {
        const TensorInfo &t = m_d.tensors[size_t(e.tensor)];
        if (seen[size_t(e.tensor)] || t.storage < 0) continue;
        seen[size_t(e.tensor)] = true;
        ++m_viewers[size_t(t.storage)];
    }
}

bool Checkpoint::sharesStorage(size_t entry) const
{
    const int storage = m_d.tensors[size_t(m_d.entries[entry].tensor)].storage;
    return storage >= 0 && m_viewers[size_t(storage)] > 1;
}

uint64_t Checkpoint::totalFileSize() const
{
    uint64_t total = 0;
    for (const auto &f : m_d.files) total += f.size;
    return total;
}

std::vector<size_t> Checkpoint::storagePartners(size_t entry) const
{
    std::vector<size_t> out;
    const int storage = m_d.tensors[size_t(m_d.entries[entry].tensor)].storage;
    if (storage < 0) return out;
    for (size_t i = 0; i < m_d.entries.size(); ++i)
        if (i != entry && m_d.tensors[size_t(m_d.entries[i].tensor)].storage == storage)
            out.push_back(i);
    return out;
}

int64_t Checkpoint::totalParameters() const
{
    std::vector<bool> seen(m_d.tensors.size(), false);
    int64_t total = 0;
    for (const auto &e : m_d.entries)
        if (!seen[size_t(e.tensor)]) {
            seen[size_t(e.tensor)] = true;
            total += m_d.tensors[size_t(e.tensor)].numel();
        }
    return total;
}

uint64_t Checkpoint::totalStorageBytes() const
{
    uint64_t total = 0;
    for (const auto &s : m_d.storages)
        total += (uint64_t(s.numel) * uint64_t(dtypeBits(s.dtype)) + 7) / 8;
    return total;
}

} // namespace ckpt
