#include "model/base/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <filesystem>
#include <unistd.h>

namespace ckpt {

Result<bool> writeFileAtomically(const std::string &path, const std::string &text)
{
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::string tmp = (folder / ("." + target.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) return Error{std::string("cannot create a file there: ") + std::strerror(errno)};
    auto fail = [&](int err) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return Error{std::strerror(err)};
    };
    for (size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(errno);
        }
        done += size_t(n);
    }
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) return fail(errno);
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return Error{std::strerror(err)};
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return Error{std::strerror(err)};
    }
    return true;
}

} // namespace ckpt
