#include "model/formats/format_registry.h"

#include "model/base/format_error.h"
#include "model/formats/dcp_reader.h"
#include "model/formats/deepspeed_reader.h"
#include "model/formats/legacy_reader.h"
#include "model/formats/numpy_reader.h"
#include "model/formats/orbax_reader.h"
#include "model/formats/pt2_reader.h"
#include "model/formats/flax_msgpack_reader.h"
#include "model/formats/gguf_reader.h"
#include "model/formats/hdf5_reader.h"
#include "model/formats/pickle_run.h"
#include "model/formats/preview_archive_reader.h"
#include "model/formats/safetensors_reader.h"
#include "model/formats/sharded_index_reader.h"
#include "model/formats/tar_archive_reader.h"
#include "model/formats/tree_walker.h"
#include "model/formats/zip_checkpoint_reader.h"
#include "model/remote/location.h"

#include <algorithm>
#include <filesystem>

namespace ckpt {
namespace {

namespace fs = std::filesystem;

template<typename Probe>
std::pair<const FormatReader *, Recognition>
best(const std::vector<std::unique_ptr<FormatReader>> &readers, const Probe &probe)
{
    std::pair<const FormatReader *, Recognition> chosen{nullptr, {}};
    for (const auto &reader : readers) {
        Recognition r;
        if constexpr (std::is_same_v<Probe, FileProbe>)
            r = reader->recogniseFile(probe);
        else
            r = reader->recogniseFolder(probe);
        if (r.confidence > chosen.second.confidence) chosen = {reader.get(), std::move(r)};
    }
    return chosen;
}

void finish(CheckpointData &d)
{
    walkTree(d);
    finishSafetyReport(d.safety);
}

template<typename Fn>
Result<CheckpointData> guarded(Fn &&read)
{
    try {
        return read();
    } catch (const FormatError &e) {
        return Error{e.what()};
    } catch (const std::bad_alloc &) {
        return Error{"out of memory while reading the metadata"};
    } catch (const std::exception &e) {
        return Error{e.what()};
    }
}

} // namespace

const FormatRegistry &FormatRegistry::builtin()
{
    static const FormatRegistry registry = [] {
        FormatRegistry r;
        r.add(std::make_unique<ZipCheckpointReader>());
        r.add(std::make_unique<LegacyReader>());
        r.add(std::make_unique<SafetensorsReader>());
        r.add(std::make_unique<ShardedIndexReader>());
        r.add(std::make_unique<TarArchiveReader>());
        r.add(std::make_unique<PreviewArchiveReader>());
        r.add(std::make_unique<DcpReader>());
        r.add(std::make_unique<DeepSpeedReader>());
        r.add(std::make_unique<NumpyReader>());
        r.add(std::make_unique<OrbaxReader>());
        r.add(std::make_unique<FlaxMsgpackReader>());
        r.add(std::make_unique<Pt2Reader>());
        r.add(std::make_unique<Hdf5Reader>());
        r.add(std::make_unique<GgufReader>());
        return r;
    }();
    return registry;
}

void FormatRegistry::add(std::unique_ptr<FormatReader> reader)
{
    m_readers.push_back(std::move(reader));
}

std::pair<const FormatReader *, Recognition> FormatRegistry::recognise(const FileProbe &probe) const
{
    return best(m_readers, probe);
}

std::pair<const FormatReader *, Recognition> FormatRegistry::recognise(const FolderProbe &probe) const
{
    return best(m_readers, probe);
}

Result<CheckpointData> FormatRegistry::read(const std::string &path) const
{
    return guarded([&] { return readPath(path, false); });
}

Result<CheckpointData> FormatRegistry::readNested(const std::string &path) const
{
    return guarded([&] { return readPath(path, true); });
}

CheckpointData FormatRegistry::readPath(const std::string &path, bool nested) const
{
    if (!nested) {
        auto kind = locationKind(path);
        if (!kind) throw FormatError(kind.error().message);
        if (*kind == LocationKind::Folder) return readFolder(path);
    }
    return readFile(path, nested);
}

CheckpointData FormatRegistry::readFile(const std::string &path, bool nested) const
{
    auto source = openLocation(path);
    if (!source) throw FormatError(source.error().message);
    return readSourceFile(SourceFile{path, source.value()->size(), std::move(source.value())}, nested);
}

CheckpointData FormatRegistry::readSourceFile(SourceFile file, bool nested) const
{
    const ByteSource &source = *file.source;
    FileProbe probe{file.path, source.view(0, std::min(source.size(), kHeadBytes)), source.size(), nested};
    auto [reader, recognition] = recognise(probe);
    if (!reader)
        throw FormatError(source.size() == 0 ? "empty file"
                                             : std::string(kNotACheckpoint));
    if (!recognition.refusal.empty()) throw FormatError(recognition.refusal);
    CheckpointData d = reader->readFile(std::move(file), *this);
    d.reader = std::string(reader->name());
    d.recognition = std::move(recognition.why);
    finish(d);
    return d;
}

Result<CheckpointData> FormatRegistry::readSource(SourceFile file) const
{
    return guarded([&] { return readSourceFile(std::move(file), false); });
}

Result<CheckpointData> FormatRegistry::readNestedSource(SourceFile file) const
{
    return guarded([&] { return readSourceFile(std::move(file), true); });
}

CheckpointData FormatRegistry::readFolder(const std::string &path) const
{
    auto listing = listLocation(path);
    if (!listing) throw FormatError(listing.error().message);
    FolderProbe probe{path, std::move(listing->files), std::move(listing->folders)};

    if (auto [reader, recognition] = recognise(probe); reader) {
        if (!recognition.refusal.empty()) throw FormatError(recognition.refusal);
        CheckpointData d;
        if (!recognition.standsFor.empty()) {
            d = readFile(joinLocation(path, recognition.standsFor), false);
            d.recognition = "the folder " + recognition.why + "; " + d.recognition;
            return d;
        }
        d = reader->readFolder(path, *this);
        d.reader = std::string(reader->name());
        d.recognition = std::move(recognition.why);
        finish(d);
        return d;
    }
    // Otherwise a folder stands for the one checkpoint file in it.
    std::vector<std::string> checkpoints;
    for (const auto &file : probe.files) {
        const bool matches = std::any_of(m_readers.begin(), m_readers.end(), [&](const auto &reader) {
            const auto filters = reader->nameFilters();
            return std::any_of(filters.begin(), filters.end(),
                               [&](std::string_view f) { return file.ends_with(f); });
        });
        if (matches) checkpoints.push_back(file);
    }
    if (checkpoints.size() == 1) {
        CheckpointData d = readFile(joinLocation(path, checkpoints.front()), false);
        d.recognition = "the folder's one checkpoint file; " + d.recognition;
        return d;
    }
    throw FormatError(checkpoints.empty() ? "folder holds no checkpoint or index.json"
                                          : "folder holds several checkpoints and no index.json; name one");
}

CheckpointData FormatReader::readFile(SourceFile, const FormatRegistry &) const
{
    throw FormatError(std::string(name()) + " does not read files");
}

bool leavesFolder(const std::string &name)
{
    const fs::path p(name);
    bool leaves = name.empty() || p.is_absolute() || name.find('\0') != std::string::npos;
    for (const auto &part : p) leaves = leaves || part == "..";
    return leaves;
}

int openedFile(CheckpointData &d, std::map<std::string, int> &opened, const std::string &path, const std::string &label)
{
    if (auto it = opened.find(path); it != opened.end()) return it->second;
    auto source = openLocation(path);
    if (!source) throw FormatError(label + ": " + source.error().message);
    const int index = int(d.files.size());
    d.files.push_back(SourceFile{path, source.value()->size(), std::move(source.value())});
    opened.emplace(path, index);
    return index;
}

CheckpointData FormatReader::readFolder(const std::string &, const FormatRegistry &) const
{
    throw FormatError(std::string(name()) + " does not read folders");
}

} // namespace ckpt
