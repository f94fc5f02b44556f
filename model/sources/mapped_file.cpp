#include "model/sources/mapped_file.h"

#include <algorithm>
#include <atomic>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ckpt {
namespace {
std::atomic<bool> copyOnWrite{false};
} // namespace

void MappedFile::setCopyOnWrite(bool on)
{
    copyOnWrite = on;
}

Result<std::shared_ptr<MappedFile>> MappedFile::open(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error{std::strerror(errno)};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return Error{std::strerror(err)};
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return Error{"is a directory"};
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return Error{"not a regular file"};
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size == 0) {
        ::close(fd);
        return std::shared_ptr<MappedFile>(new MappedFile(path, nullptr, 0, -1));
    }
    void *p = copyOnWrite ? ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0)
                          : ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        return Error{std::string("cannot map file: ") + std::strerror(err)};
    }
    return std::shared_ptr<MappedFile>(new MappedFile(path, static_cast<const uint8_t *>(p), size, fd));
}

MappedFile::~MappedFile()
{
    if (m_data) ::munmap(const_cast<uint8_t *>(m_data), m_size);
    if (m_fd >= 0) ::close(m_fd);
}

void MappedFile::read(uint64_t offset, std::span<uint8_t> out) const
{
    checkRange(offset, out.size(), m_size);
    size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::pread(m_fd, out.data() + done, out.size() - done, off_t(offset + done));
        if (n > 0) {
            done += size_t(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else { // the file shrank under us, or cannot be read: the mapping says what is there
            ByteSource::read(offset + done, out.subspan(done));
            return;
        }
    }
}

void MappedFile::release(uint64_t offset, uint64_t length) const
{
    static const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
    const uint64_t begin = (offset + page - 1) / page * page; // whole pages inside the range only
    const uint64_t end = std::min(offset + length, m_size) / page * page;
    if (m_data && end > begin) ::madvise(const_cast<uint8_t *>(m_data) + begin, end - begin, MADV_DONTNEED);
}

} // namespace ckpt
