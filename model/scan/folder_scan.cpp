#include "model/scan/file_scan.h"

#include "model/remote/location.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace ckpt {

namespace {

/// A remote folder's files, its sub-folders' too (at most 8 deep and 100,000 files).
void listRemote(const std::string &folder, int depth, std::vector<std::string> &files, FileScan &walkError)
{
    auto listing = listLocation(folder);
    if (!listing) {
        walkError.path = folder;
        walkError.error = "cannot list the folder: " + listing.error().message;
        return;
    }
    for (const auto &f : listing->files)
        if (files.size() < 100000) files.push_back(joinLocation(folder, f));
    if (depth < 8)
        for (const auto &sub : listing->folders) listRemote(joinLocation(folder, sub), depth + 1, files, walkError);
}

/// A local folder's files, its sub-folders' too. Symbolic links to files are followed (a
/// Hugging Face cache snapshot is made of them); links to folders are not, so that a loop
/// cannot hold the walk.
void listLocal(const std::string &path, std::vector<std::string> &files, FileScan &walkError)
{
    std::error_code ec;
    for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        std::error_code typeError;
        if (it->is_regular_file(typeError)) files.push_back(it->path().string());
    }
    if (ec) {
        walkError.path = path;
        walkError.error = "cannot list the folder: " + ec.message();
    }
}

} // namespace

std::vector<FileScan> scanPath(const std::string &path)
{
    auto kind = locationKind(path);
    if (!kind || *kind == LocationKind::File) return {scanFile(path)};
    std::vector<std::string> files;
    FileScan walkError;
    if (isRemoteAddress(path)) listRemote(path, 0, files, walkError);
    else listLocal(path, files, walkError);
    std::sort(files.begin(), files.end());
    std::vector<FileScan> scans;
    scans.reserve(files.size() + 1);
    for (const auto &file : files) {
        scans.push_back(scanFile(file, /*inFolder=*/true));
        scans.back().checkpoint.reset(); // a folder's checkpoints are not all held at once
    }
    if (!walkError.error.empty()) scans.push_back(std::move(walkError));
    return scans;
}

int scanExitStatus(const std::vector<FileScan> &scans, bool strict)
{
    bool unreadable = false;
    for (const auto &s : scans) {
        const ScanVerdict v = s.verdict();
        if (v == ScanVerdict::Dangerous || (strict && v == ScanVerdict::NeedsCode)) return 3;
        unreadable = unreadable || v == ScanVerdict::Unreadable;
    }
    return unreadable ? 2 : 0;
}

} // namespace ckpt
