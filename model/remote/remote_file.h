#pragma once

#include "model/base/result.h"
#include "model/remote/http_client.h"
#include "model/sources/byte_source.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ckpt {

/// Where a remote object is and how to ask for it.
struct RemoteObject
{
    std::string name; ///< what messages call it: the address the user gave
    std::string url;  ///< what is fetched
    HttpAuth auth;
};

/// An object on an HTTP(S) server, the Hub or S3, read with range requests: opening asks for
/// its first 64 KiB (a safetensors or GGUF header, a zip's first record, a pickle's start) and
/// learns its size and ETag; later views fetch only the ranges asked for, in 64 KiB blocks with
/// some read-ahead, from the disk cache when it holds them. Bytes stay in memory until
/// release(). An object whose ETag or size changes while it is read is an error, never a mix.
class RemoteFile final : public ByteSource
{
public:
    static Result<std::shared_ptr<RemoteFile>> open(const RemoteObject &object);
    /// Several objects opened at once (a sharded model's shards): their first requests in flight
    /// together.
    static std::vector<Result<std::shared_ptr<RemoteFile>>> openAll(const std::vector<RemoteObject> &objects);

    const std::string &name() const override { return m_object.name; }
    uint64_t size() const override { return m_size; }
    ByteView view(uint64_t offset, uint64_t length) const override;
    void release(uint64_t offset, uint64_t length) const override;
    /// The ranges not held yet, neighbours within 16 KiB joined, fetched in parallel.
    void prefetch(std::span<const std::pair<uint64_t, uint64_t>> ranges) const override;

    const std::string &etag() const { return m_etag; }

    /// The first request's range.
    static constexpr uint64_t kHead = 64 << 10;

private:
    RemoteFile(RemoteObject object, HttpReply head);
    static Result<std::shared_ptr<RemoteFile>> fromHead(const RemoteObject &object, Result<HttpReply> head);
    std::shared_ptr<const std::vector<uint8_t>> fetch(uint64_t offset, uint64_t length) const;
    /// The bytes of a reply to [offset, offset + length), checked against the object's ETag
    /// and size, and kept in the cache; throws FormatError.
    std::shared_ptr<const std::vector<uint8_t>> accepted(Result<HttpReply> reply, uint64_t offset, uint64_t length) const;
    /// Keeps fetched bytes from `start` (the longer, where a span starts there already) and
    /// returns the span kept; it stays until release().
    const std::vector<uint8_t> &keep(uint64_t start, std::shared_ptr<const std::vector<uint8_t>> bytes) const;
    /// The span holding [offset, offset + length), or null. Needs m_mutex.
    const std::vector<uint8_t> *held(uint64_t offset, uint64_t length, uint64_t &start) const;

    RemoteObject m_object;
    uint64_t m_size = 0;
    std::string m_etag, m_cacheKey;
    mutable std::mutex m_mutex;
    /// Fetched ranges by first byte; they may overlap.
    mutable std::map<uint64_t, std::shared_ptr<const std::vector<uint8_t>>> m_spans;
};

} // namespace ckpt
