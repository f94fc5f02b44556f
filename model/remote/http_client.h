#pragma once

#include "model/base/result.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// How a request proves who sends it: nothing, a bearer token (the Hub), or AWS SigV4 (S3).
/// Secrets are handed to libcurl only; they never enter a message.
struct HttpAuth
{
    std::string bearer;
    std::string awsKey, awsSecret, awsSession, awsRegion; ///< SigV4 when awsKey is set
};

struct HttpRequest
{
    std::string url;
    /// A range request for [offset, offset + *length) when set; a whole GET otherwise.
    uint64_t offset = 0;
    std::optional<uint64_t> length{};
    /// A whole GET (an API's JSON, a listing) reads at most this many bytes.
    uint64_t maxBody = uint64_t(64) << 20;
    HttpAuth auth{};
};

struct HttpReply
{
    long status = 0;
    std::vector<uint8_t> body{};
    /// The object's size: Content-Range's total of a 206, Content-Length of a 200.
    std::optional<uint64_t> total{};
    std::string etag{};
    /// A paged listing's next page (`Link: <...>; rel="next"`), absolute.
    std::string nextPage{};
};

/// What the client has done since the process started: for progress lines and benchmarks.
struct HttpCounters
{
    uint64_t requests = 0;
    uint64_t bytes = 0;
};

/// HTTP(S) through libcurl, for every remote source: range requests, redirects (https only
/// ever to https; never another scheme), connections kept alive and shared between threads,
/// retries with exponential backoff on timeouts, dropped connections, 429 and 5xx, and bounds
/// on everything a server sends (a 200 to a range request is read only as far as the range,
/// a whole GET only to maxBody, a stalled transfer times out).
class HttpClient final
{
public:
    static HttpClient &shared();

    /// One request; non-2xx statuses come back as replies (callers tell 404 from 403).
    /// Errors are transport failures, one line, without the address's secrets.
    Result<HttpReply> fetch(const HttpRequest &request);
    /// fetch(), and any status but 2xx made into an error line ("HTTP 403: needs a token").
    Result<HttpReply> get(const HttpRequest &request);
    /// Several fetch()es in flight at once (at most 32); replies in the requests' order.
    std::vector<Result<HttpReply>> fetchAll(const std::vector<HttpRequest> &requests);

    HttpCounters counters() const { return {m_requests.load(), m_bytes.load()}; }
    /// Makes every transfer in flight, and every later one until resetCancel(), fail with
    /// "cancelled": the window's Cancel.
    void cancel() { m_cancelled = true; }
    void resetCancel() { m_cancelled = false; }
    bool cancelled() const { return m_cancelled; }

    /// Called by the transfer code.
    void count(uint64_t bytes) { m_bytes += bytes; }

private:
    HttpClient();
    Result<HttpReply> fetchOnce(const HttpRequest &request, bool &retry);

    std::atomic<uint64_t> m_requests{0}, m_bytes{0};
    std::atomic<bool> m_cancelled{false};
};

/// An address as messages may show it: no user:password@, no query (signed URLs carry their
/// signature there).
std::string displayAddress(std::string_view url);

/// The message for an HTTP status that is not 2xx.
std::string statusMessage(long status);

} // namespace ckpt
