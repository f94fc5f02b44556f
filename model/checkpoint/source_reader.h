#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/remote/location.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace ckpt {

/// Reads a checkpoint's files with pread (no mapping touched: bounded memory, and a file
/// replaced underneath gives an error, not a SIGBUS). A remote file is read through its
/// source, each range let go once copied, so that streaming a remote model holds a piece at a
/// time, not the model.
class SourceReader final
{
public:
    explicit SourceReader(const Checkpoint &c)
    {
        for (const auto &f : c.files()) {
            if (isRemoteAddress(f.path)) {
                m_fds.push_back(-1);
                m_remote.push_back(f.source);
                continue;
            }
            const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                for (int open : m_fds) if (open >= 0) ::close(open);
                throw std::runtime_error(f.path + ": " + std::strerror(errno));
            }
            m_fds.push_back(fd);
            m_remote.push_back(nullptr);
        }
    }
    ~SourceReader()
    {
        for (int fd : m_fds)
            if (fd >= 0) ::close(fd);
    }
    SourceReader(const SourceReader &) = delete;
    SourceReader &operator=(const SourceReader &) = delete;
    /// Throws std::runtime_error on a short read.
    void read(int file, uint64_t offset, void *buffer, size_t size) const
    {
        if (const auto &remote = m_remote[size_t(file)]) {
            try {
                remote->read(offset, std::span<uint8_t>(static_cast<uint8_t *>(buffer), size));
            } catch (const std::exception &e) {
                throw std::runtime_error(remote->name() + ": " + e.what());
            }
            remote->release(offset, size);
            return;
        }
        for (size_t done = 0; done < size;) {
            const ssize_t n = ::pread(m_fds[size_t(file)], static_cast<char *>(buffer) + done, size - done,
                                      off_t(offset + done));
            if (n <= 0) throw std::runtime_error(std::string("read failed: ") + (n == 0 ? "unexpected end" : std::strerror(errno)));
            done += size_t(n);
        }
    }

private:
    std::vector<int> m_fds;                                 ///< -1 for a remote file
    std::vector<std::shared_ptr<const ByteSource>> m_remote; ///< null for a local one
};

/// `size` bytes of a storage from `offset`: pread from its file, or copied from the record
/// inflated at open. Throws std::runtime_error.
void readStorage(const Checkpoint &c, const SourceReader &src, const StorageInfo &s, uint64_t offset, void *out, size_t size);

/// readStorage of [offset, offset + size) a piece (at most 8 MiB) at a time, each handed to
/// `sink`: bounded memory whatever the size.
void readStorageInPieces(const Checkpoint &c, const SourceReader &src, const StorageInfo &s, uint64_t offset,
                         uint64_t size, const std::function<void(const char *, size_t)> &sink);

/// Where tensor `t`'s own bytes start in its storage when a plain read gives them as they are
/// (contiguous, readable, whole bytes, this machine's order); nullopt when they must be gathered.
std::optional<uint64_t> plainByteOffset(const Checkpoint &c, const TensorInfo &t);

/// A tensor's own bytes, contiguous, from its storage (gathering strided views), in this
/// machine's byte order. Throws for a meta tensor and a compressed record.
std::vector<char> tensorBytes(const Checkpoint &c, const SourceReader &src, const TensorInfo &t);

/// A tensor's bytes converted to another dtype by the LibTorch plugin (throws on failure).
std::vector<char> convertedBytes(const std::vector<char> &bytes, DType from, DType to, int64_t count);

} // namespace ckpt
