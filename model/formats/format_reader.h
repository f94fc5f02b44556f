#pragma once

#include "model/formats/checkpoint_data.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

class FormatRegistry;

/// Whether a file name that another file gives (an index's shard, a DCP rank's data file, a
/// DeepSpeed tag) fails to name something inside the folder it is read in: empty, absolute, a
/// ".." part, or a NUL in it (which would cut the name short when opened).
bool leavesFolder(const std::string &name);

/// The index in d.files of the file at `path`, mapped and added on first use (`opened`
/// remembers paths already added): for readers that gather several files (DCP's rank files,
/// Orbax's data files). Throws FormatError("<label>: <why>") when it cannot be mapped.
int openedFile(CheckpointData &d, std::map<std::string, int> &opened, const std::string &path, const std::string &label);

/// What a reader is shown of a file to recognise it: its name and its first bytes.
struct FileProbe
{
    std::string_view path;
    ByteView head;     ///< the first bytes (up to FormatRegistry::kHeadBytes)
    uint64_t size = 0; ///< of the whole file
    /// Named by another file (a shard of an index): readers of files that list other files
    /// do not take it, so that an index cannot name itself.
    bool nested = false;
};

/// What a reader is shown of a folder: its path and the names of the regular files in it.
struct FolderProbe
{
    std::string_view path;
    std::vector<std::string> files;   ///< names without the folder, sorted
    std::vector<std::string> folders; ///< the subfolders' names, sorted
};

/// A reader's claim on a file or folder.
struct Recognition
{
    /// 0: not this format. Higher wins; ties go to the reader registered first. The built-in
    /// readers use 100 for a name that decides, 90..50 for magic bytes by how specific they
    /// are, 30 for a guess.
    int confidence = 0;
    std::string why;       ///< "starts with PK\\3\\4", "named *.safetensors"
    /// Set when the reader knows the input and knows it cannot be read: the one-line error.
    std::string refusal;
    /// For a folder: the file inside it that stands for the whole (an index.json), opened in
    /// its place; empty when the reader reads the folder itself.
    std::string standsFor;

    explicit operator bool() const { return confidence > 0; }
};

/// One checkpoint format (Tiled's format plugins are the model): its name, how it recognises
/// its files or folders, and how it reads them from metadata alone. A reader throws
/// FormatError with a one-line reason when the bytes are not what they claim to be; the
/// registry adds the common tail (tree walk, safety classification).
class FormatReader
{
public:
    virtual ~FormatReader() = default;

    /// A short lowercase name ("pytorch-zip"), shown by `ckpt inspect`.
    virtual std::string_view name() const = 0;
    /// Name endings (".safetensors") by which a folder's one checkpoint file is found.
    virtual std::vector<std::string_view> nameFilters() const { return {}; }

    virtual Recognition recogniseFile(const FileProbe &probe) const { return {}; }
    virtual Recognition recogniseFolder(const FolderProbe &probe) const { return {}; }

    /// Reads a file this reader recognised. `registry` opens further files (shards).
    virtual CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const;
    /// Reads a folder this reader recognised without naming a file that stands for it.
    virtual CheckpointData readFolder(const std::string &folder, const FormatRegistry &registry) const;
};

} // namespace ckpt
