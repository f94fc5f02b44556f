#pragma once

#include "model/base/result.h"
#include "model/sources/byte_source.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// Where a path leads: a local file or folder, or a remote object or folder. Every reader and
/// command opens and lists through these, so that `https://...`, `hf://ORG/REPO[@REV][/PATH]`
/// and `s3://BUCKET/KEY` work anywhere a path does.

/// Whether `path` is an address (http://, https://, hf://, s3://) rather than a local path.
bool isRemoteAddress(std::string_view path);

/// What a message calls `path`: a local path as it is, an address without user:password@ and
/// without its query (a signed URL's signature), as displayAddress() gives it.
std::string shownLocation(const std::string &path);

enum class LocationKind
{
    File,
    Folder
};

/// A file or a folder; an error when there is neither ("no such file or directory").
/// Remote: an http(s) address is a file; an hf:// one is a folder when it names a repository
/// or its listing says so.
Result<LocationKind> locationKind(const std::string &path);

/// The bytes of a file: a local file mapped, a remote one read by range requests. An object
/// opened before (or by openLocations) is the same source again.
Result<std::shared_ptr<const ByteSource>> openLocation(const std::string &path);

/// Opens the remote files among `paths` at once (a sharded model's shards, a DCP's ranks), so
/// that the openLocation() calls that follow cost no round trip each. Local paths are left.
void openLocations(const std::vector<std::string> &paths);

struct FolderListing
{
    std::vector<std::string> files, folders; ///< names, sorted
};

/// The names in a folder: a local directory, or a repository's or a Hub folder's file list.
Result<FolderListing> listLocation(const std::string &path);

/// Whether `folder` holds the file `name` (which may pass through subfolders: "a/.zarray"): a
/// stat of a local path; for an address, its folder's listing, asked for once.
bool locationHasFile(const std::string &folder, const std::string &name);

/// The whole of a small file (a config, a manifest) as text, here or at an address; an error
/// ("larger than N MiB") past `maxBytes`.
Result<std::string> readLocationText(const std::string &path, uint64_t maxBytes);

/// A local copy of a remote file, for a helper that reads only paths (the TorchScript reader):
/// a temporary file, removed when the returned holder goes; a local path is given as it is.
/// At most `maxBytes`.
class LocalCopy
{
public:
    static Result<std::shared_ptr<LocalCopy>> of(const std::string &path, uint64_t maxBytes);
    ~LocalCopy();
    LocalCopy(const LocalCopy &) = delete;
    LocalCopy &operator=(const LocalCopy &) = delete;
    const std::string &path() const { return m_path; }

private:
    LocalCopy(std::string path, bool temporary) : m_path(std::move(path)), m_temporary(temporary) {}
    std::string m_path;
    bool m_temporary = false;
};

/// `folder` + "/" + `name`, for paths and addresses alike.
std::string joinLocation(const std::string &folder, const std::string &name);

} // namespace ckpt
