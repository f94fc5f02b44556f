#include "model/remote/location.h"

#include "model/remote/http_client.h"
#include "model/remote/hub_address.h"
#include "model/remote/remote_file.h"
#include "model/remote/s3_address.h"
#include "model/sources/mapped_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <unistd.h>
#include <map>
#include <mutex>

namespace ckpt {
namespace {

namespace fs = std::filesystem;

enum class Scheme
{
    Local,
    Http,
    Hub,
    S3
};

Scheme schemeOf(std::string_view path)
{
    if (path.starts_with("https://") || path.starts_with("http://")) return Scheme::Http;
    if (path.starts_with("hf://")) return Scheme::Hub;
    if (path.starts_with("s3://")) return Scheme::S3;
    return Scheme::Local;
}

Result<RemoteObject> remoteObject(const std::string &path)
{
    switch (schemeOf(path)) {
    case Scheme::Hub: {
        auto a = HubAddress::parse(path);
        if (!a) return a.error();
        if (a->path.empty()) return Error{"names a repository, not a file in it"};
        return RemoteObject{path, a->fileUrl(), hubAuth()};
    }
    case Scheme::S3: {
        auto a = S3Address::parse(path);
        if (!a) return a.error();
        if (a->key.empty() || a->key.ends_with('/')) return Error{"names a bucket or a prefix, not an object"};
        return RemoteObject{path, a->objectUrl(), s3Auth()};
    }
    default: return RemoteObject{path, path, {}};
    }
}

/// Remote files opened in this process, so that a file asked for twice (a shard, a diff's two
/// sides, a scan then an open) is fetched once.
class OpenRemotes
{
public:
    static OpenRemotes &shared()
    {
        static OpenRemotes o;
        return o;
    }

    std::shared_ptr<RemoteFile> find(const std::string &path)
    {
        std::lock_guard lock(m_mutex);
        if (auto w = m_warm.find(path); w != m_warm.end()) {
            auto file = std::move(w->second);
            m_warm.erase(w);
            return file;
        }
        auto it = m_open.find(path);
        return it == m_open.end() ? nullptr : it->second.lock();
    }

    void add(const std::string &path, const std::shared_ptr<RemoteFile> &file, bool warm)
    {
        std::lock_guard lock(m_mutex);
        m_open[path] = file;
        if (warm) m_warm[path] = file;
    }

private:
    std::mutex m_mutex;
    std::map<std::string, std::weak_ptr<RemoteFile>> m_open;
    std::map<std::string, std::shared_ptr<RemoteFile>> m_warm; ///< opened ahead, held until asked for
};

std::string parentOf(const std::string &path)
{
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string leafOf(const std::string &path)
{
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// A remote folder's listing, asked for once per process.
Result<FolderListing> remoteListing(const std::string &path)
{
    static std::mutex mutex;
    static std::map<std::string, FolderListing> listed;
    {
        std::lock_guard lock(mutex);
        if (auto it = listed.find(path); it != listed.end()) return it->second;
    }
    FolderListing listing;
    if (schemeOf(path) == Scheme::Hub) {
        auto a = HubAddress::parse(path);
        if (!a) return a.error();
        auto entries = listHubFolder(*a);
        if (!entries) return entries.error();
        for (const auto &e : *entries) (e.folder ? listing.folders : listing.files).push_back(e.name);
    } else if (schemeOf(path) == Scheme::S3) {
        auto a = S3Address::parse(path);
        if (!a) return a.error();
        auto entries = listS3Prefix(*a);
        if (!entries) return entries.error();
        listing = std::move(entries.value());
    } else {
        return Error{"an http(s) address names a file; a folder cannot be listed over plain HTTP"};
    }
    std::sort(listing.files.begin(), listing.files.end());
    std::sort(listing.folders.begin(), listing.folders.end());
    std::lock_guard lock(mutex);
    listed[path] = listing;
    return listing;
}

} // namespace

bool isRemoteAddress(std::string_view path)
{
    return schemeOf(path) != Scheme::Local;
}

std::string shownLocation(const std::string &path)
{
    return isRemoteAddress(path) ? displayAddress(path) : path;
}

Result<LocationKind> locationKind(const std::string &path)
{
    switch (schemeOf(path)) {
    case Scheme::Local: {
        std::error_code ec;
        if (fs::is_directory(path, ec)) return LocationKind::Folder;
        if (fs::exists(path, ec)) return LocationKind::File;
        return Error{"no such file or directory"};
    }
    case Scheme::Http: return LocationKind::File;
    case Scheme::Hub: {
        auto a = HubAddress::parse(path);
        if (!a) return a.error();
        if (a->path.empty()) return LocationKind::Folder;
        break;
    }
    case Scheme::S3: {
        auto a = S3Address::parse(path);
        if (!a) return a.error();
        if (a->key.empty() || a->key.ends_with('/')) return LocationKind::Folder;
        break;
    }
    }
    // hf:// and s3:// paths inside: what the parent's listing says they are.
    auto parent = remoteListing(parentOf(path));
    if (!parent) return parent.error();
    const std::string leaf = leafOf(path);
    if (std::binary_search(parent->files.begin(), parent->files.end(), leaf)) return LocationKind::File;
    if (std::binary_search(parent->folders.begin(), parent->folders.end(), leaf)) return LocationKind::Folder;
    return Error{"no such file or folder there"};
}

Result<std::shared_ptr<const ByteSource>> openLocation(const std::string &path)
{
    if (schemeOf(path) == Scheme::Local) {
        auto map = MappedFile::open(path);
        if (!map) return map.error();
        return std::shared_ptr<const ByteSource>(std::move(map.value()));
    }
    if (auto open = OpenRemotes::shared().find(path)) return std::shared_ptr<const ByteSource>(std::move(open));
    auto object = remoteObject(path);
    if (!object) return object.error();
    auto file = RemoteFile::open(*object);
    if (!file) return file.error();
    OpenRemotes::shared().add(path, file.value(), false);
    return std::shared_ptr<const ByteSource>(std::move(file.value()));
}

void openLocations(const std::vector<std::string> &paths)
{
    std::vector<std::string> wanted;
    std::vector<RemoteObject> objects;
    for (const auto &path : paths) {
        if (schemeOf(path) == Scheme::Local || std::find(wanted.begin(), wanted.end(), path) != wanted.end()) continue;
        auto object = remoteObject(path);
        if (!object) continue; // openLocation() will say why
        wanted.push_back(path);
        objects.push_back(std::move(object.value()));
    }
    if (objects.size() < 2) return;
    auto files = RemoteFile::openAll(objects);
    for (size_t i = 0; i < files.size(); ++i)
        if (files[i]) OpenRemotes::shared().add(wanted[i], files[i].value(), true);
}

Result<FolderListing> listLocation(const std::string &path)
{
    if (schemeOf(path) != Scheme::Local) return remoteListing(path);
    FolderListing listing;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(path, ec)) {
        if (entry.is_regular_file(ec)) listing.files.push_back(entry.path().filename().string());
        else if (entry.is_directory(ec)) listing.folders.push_back(entry.path().filename().string());
    }
    if (ec) return Error{ec.message()};
    std::sort(listing.files.begin(), listing.files.end());
    std::sort(listing.folders.begin(), listing.folders.end());
    return listing;
}

bool locationHasFile(const std::string &folder, const std::string &name)
{
    const std::string path = joinLocation(folder, name);
    switch (schemeOf(path)) {
    case Scheme::Local: {
        std::error_code ec;
        return fs::is_regular_file(path, ec);
    }
    case Scheme::Http: return false; // no listing to ask
    default: {
        const auto kind = locationKind(path);
        return kind && *kind == LocationKind::File;
    }
    }
}

Result<std::string> readLocationText(const std::string &path, uint64_t maxBytes)
{
    auto source = openLocation(path);
    if (!source) return source.error();
    const ByteSource &s = **source;
    if (s.size() > maxBytes) return Error{"larger than " + std::to_string(maxBytes >> 20) + " MiB"};
    try {
        const ByteView bytes = s.view(0, s.size());
        return std::string(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    } catch (const std::exception &e) {
        return Error{e.what()};
    }
}

Result<std::shared_ptr<LocalCopy>> LocalCopy::of(const std::string &path, uint64_t maxBytes)
{
    if (schemeOf(path) == Scheme::Local) return std::shared_ptr<LocalCopy>(new LocalCopy(path, false));
    auto source = openLocation(path);
    if (!source) return source.error();
    const ByteSource &s = **source;
    if (s.size() > maxBytes) return Error{"larger than the " + std::to_string(maxBytes >> 20) + " MiB fetched whole for this"};
    const char *tmp = std::getenv("TMPDIR");
    std::string name = std::string(tmp && *tmp ? tmp : "/tmp") + "/ckpt-remote-XXXXXX";
    const int fd = ::mkstemp(name.data());
    if (fd < 0) return Error{std::string("cannot make a temporary copy: ") + std::strerror(errno)};
    auto copy = std::shared_ptr<LocalCopy>(new LocalCopy(name, true));
    constexpr uint64_t kPiece = uint64_t(8) << 20;
    try {
        for (uint64_t done = 0; done < s.size();) {
            const uint64_t n = std::min(kPiece, s.size() - done);
            const ByteView bytes = s.view(done, n);
            for (size_t written = 0; written < bytes.size();) {
                const ssize_t w = ::write(fd, bytes.data() + written, bytes.size() - written);
                if (w <= 0) throw std::runtime_error(std::string("cannot write the temporary copy: ") + std::strerror(errno));
                written += size_t(w);
            }
            s.release(done, n);
            done += n;
        }
    } catch (const std::exception &e) {
        ::close(fd);
        return Error{e.what()};
    }
    ::close(fd);
    return copy;
}

LocalCopy::~LocalCopy()
{
    if (m_temporary) ::unlink(m_path.c_str());
}

std::string joinLocation(const std::string &folder, const std::string &name)
{
    if (folder.empty()) return name;
    return folder.ends_with('/') ? folder + name : folder + "/" + name;
}

} // namespace ckpt
