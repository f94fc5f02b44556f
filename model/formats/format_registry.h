#pragma once

#include "model/base/result.h"
#include "model/formats/format_reader.h"

#include <memory>
#include <string>
#include <vector>

namespace ckpt {

/// The error of a file no reader claims (and of one taken on a weak sign that turns out to be
/// no pickle): callers that skip such files compare with it.
inline constexpr std::string_view kNotACheckpoint = "not a checkpoint (neither zip, pickle nor safetensors)";

/// The formats Checkpoint::open knows, asked in one place what a file or a folder is. Adding a
/// format is one FormatReader and one line in builtin().
class FormatRegistry final
{
public:
    /// How many leading bytes a reader is shown to recognise a file.
    static constexpr uint64_t kHeadBytes = 4096;

    /// Every built-in reader, registered once.
    static const FormatRegistry &builtin();

    void add(std::unique_ptr<FormatReader> reader);
    const std::vector<std::unique_ptr<FormatReader>> &readers() const { return m_readers; }

    /// The reader that claims a file or folder (highest confidence, first registered on a
    /// tie) and its recognition; null and an empty recognition when none does.
    std::pair<const FormatReader *, Recognition> recognise(const FileProbe &probe) const;
    std::pair<const FormatReader *, Recognition> recognise(const FolderProbe &probe) const;

    /// Reads an existing file or folder with the reader that claims it, walks the tree and
    /// classifies the safety report. Errors are one line, without the path.
    Result<CheckpointData> read(const std::string &path) const;
    /// The same for a file that another names (a shard of an index): readers of files that
    /// hold other files do not take it.
    Result<CheckpointData> readNested(const std::string &path) const;

    /// The same for bytes of any source (a buffer, a remote object): `file.path` names it and
    /// is what readers see of its name (an index's shards are found beside it).
    Result<CheckpointData> readSource(SourceFile file) const;
    /// readSource for bytes another file names (a DCP item in a rank's file): as readNested.
    Result<CheckpointData> readNestedSource(SourceFile file) const;

private:
    CheckpointData readSourceFile(SourceFile file, bool nested) const;
    CheckpointData readPath(const std::string &path, bool nested) const;
    CheckpointData readFile(const std::string &path, bool nested) const;
    CheckpointData readFolder(const std::string &path) const;

    std::vector<std::unique_ptr<FormatReader>> m_readers;
};

} // namespace ckpt
