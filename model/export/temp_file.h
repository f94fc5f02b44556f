#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace ckpt {

/// An export's output while it is written: a temporary file beside the destination, removed
/// unless committed (renamed into place). Errors throw std::runtime_error.
class TempFile final
{
public:
    explicit TempFile(const std::string &destination);
    ~TempFile();
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;

    std::FILE *file() { return m_file; }
    const std::string &path() const { return m_path; }

    /// Allocates the file's `bytes` on disk before it is written (when the file system can):
    /// a full disk is then an error before the first byte, and the writes that follow are
    /// faster (no delayed allocation). The file must then be written to exactly that size.
    /// Throws std::runtime_error when there is no room.
    void reserve(uint64_t bytes);
    /// Flushes to disk and closes; the file can then be read back before it is renamed.
    void close();
    void commit(const std::string &destination);

private:
    void stopWriteback();

    std::string m_path;
    std::FILE *m_file = nullptr;
    bool m_committed = false;
    /// While the file is written, the kernel is asked every 50 ms to start writing out what
    /// has reached it (sync_file_range, SYNC_FILE_RANGE_WRITE), so the disk works alongside
    /// the export and close()'s fsync finds little left to do.
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_closing = false;
    std::thread m_writeback;
};

} // namespace ckpt
