#include "model/export/temp_file.h"

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace ckpt {

namespace fs = std::filesystem;

TempFile::TempFile(const std::string &destination)
{
    const fs::path target(destination);
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::string name = "."; // appended, not "." + ...: GCC 12 warns falsely (-Wrestrict) on that
    name += target.filename().string();
    name += ".partial-XXXXXX";
    m_path = (folder / name).string();
    const int fd = ::mkstemp(m_path.data());
    if (fd < 0) throw std::runtime_error(std::string("cannot create a file there: ") + std::strerror(errno));
    m_file = ::fdopen(fd, "w+b");
    if (!m_file) {
        ::close(fd);
        ::unlink(m_path.c_str());
        throw std::runtime_error("cannot open the temporary file");
    }
    m_writeback = std::thread([this, fd] {
        std::unique_lock lock(m_mutex);
        while (!m_wake.wait_for(lock, std::chrono::milliseconds(50), [this] { return m_closing; }))
            ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); // a hint: its failure changes nothing
    });
}

TempFile::~TempFile()
{
    stopWriteback();
    if (m_file) std::fclose(m_file);
    if (!m_committed) ::unlink(m_path.c_str());
}

void TempFile::stopWriteback()
{
    if (!m_writeback.joinable()) return;
    {
        std::lock_guard lock(m_mutex);
        m_closing = true;
    }
    m_wake.notify_all();
    m_writeback.join();
}

void TempFile::reserve(uint64_t bytes)
{
    if (bytes == 0 || ::fallocate(::fileno(m_file), 0, 0, off_t(bytes)) == 0) return;
    if (errno == ENOSPC || errno == EFBIG)
        throw std::runtime_error("no room for " + std::to_string(bytes) + " bytes there: " + std::strerror(errno));
    // EOPNOTSUPP and the like: the file system allocates as it is written.
}

void TempFile::close()
{
    stopWriteback();
    if (std::fflush(m_file) != 0 || ::fsync(::fileno(m_file)) != 0 || ::fchmod(::fileno(m_file), 0644) != 0)
        throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    const int rc = std::fclose(m_file);
    m_file = nullptr;
    if (rc != 0) throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
}

void TempFile::commit(const std::string &destination)
{
    if (::rename(m_path.c_str(), destination.c_str()) != 0)
        throw std::runtime_error(std::string("cannot rename into place: ") + std::strerror(errno));
    m_committed = true;
}

} // namespace ckpt
