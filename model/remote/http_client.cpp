#include "model/remote/http_client.h"

#include "model/remote/url_text.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace ckpt {
namespace {

constexpr uint64_t kErrorBody = 64 << 10; ///< what is kept of an error page
constexpr uint64_t kSkipLimit = 64 << 20; ///< a 200 to a range request: read at most this far
constexpr size_t kParallel = 32; ///< requests in flight at once (a sharded model's shards)

long envNumber(const char *name, long fallback)
{
    const char *v = environment(name);
    if (!v) return fallback;
    char *end = nullptr;
    const long n = std::strtol(v, &end, 10);
    return end && *end == '\0' && n >= 0 ? n : fallback;
}

bool startsWithNoCase(std::string_view text, std::string_view prefix)
{
    if (text.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    return true;
}

std::string_view trimmed(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
    return s;
}

std::optional<uint64_t> number(std::string_view s)
{
    if (s.empty() || s.size() > 19) return std::nullopt;
    uint64_t n = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + uint64_t(c - '0');
    }
    return n;
}

/// One libcurl share for every thread: connections, DNS answers and TLS sessions are reused.
class Share
{
public:
    Share()
    {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        m_share = curl_share_init();
        curl_share_setopt(m_share, CURLSHOPT_LOCKFUNC, &Share::lock);
        curl_share_setopt(m_share, CURLSHOPT_UNLOCKFUNC, &Share::unlock);
        curl_share_setopt(m_share, CURLSHOPT_USERDATA, this);
        curl_share_setopt(m_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(m_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        curl_share_setopt(m_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    }
    CURLSH *handle() const { return m_share; }

private:
    static void lock(CURL *, curl_lock_data data, curl_lock_access, void *self)
    {
        static_cast<Share *>(self)->m_locks[size_t(data) % kLocks].lock();
    }
    static void unlock(CURL *, curl_lock_data data, void *self)
    {
        static_cast<Share *>(self)->m_locks[size_t(data) % kLocks].unlock();
    }
    static constexpr size_t kLocks = 16;
    CURLSH *m_share = nullptr;
    std::array<std::mutex, kLocks> m_locks;
};

Share &share()
{
    static Share s;
    return s;
}

/// One transfer's state, seen by libcurl's callbacks.
struct Transfer
{
    Transfer(const HttpRequest &r, HttpClient &c, CURL *handle) : request(r), client(c), curl(handle) {}

    const HttpRequest &request;
    HttpClient &client;
    CURL *curl = nullptr;
    HttpReply reply;
    bool started = false; ///< the first body byte of the final response arrived
    uint64_t skip = 0;    ///< bytes still to drop (a 200 to a range request)
    uint64_t keep = 0;    ///< bytes to keep at most
    bool enough = false;  ///< stopped on purpose: the range is complete
    bool tooBig = false;
    bool rangeIgnored = false;
    std::optional<uint64_t> rangeStart; ///< Content-Range's first byte

    void startBody()
    {
        started = true;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
        const bool ranged = request.length.has_value();
        if (reply.status == 200 && ranged) {
            // The server ignores Range: read up to the range, if it is near the start.
            if (request.offset > kSkipLimit) rangeIgnored = true;
            skip = request.offset;
            keep = *request.length;
        } else if (reply.status / 100 == 2) {
            keep = ranged ? *request.length : request.maxBody + 1;
        } else {
            keep = kErrorBody;
        }
        reply.body.reserve(size_t(std::min<uint64_t>(keep, 16 << 20)));
    }

    size_t body(const char *data, size_t size)
    {
        if (!started) startBody();
        if (rangeIgnored || client.cancelled()) return 0;
        client.count(size);
        size_t used = 0;
        if (skip > 0) {
            used = size_t(std::min<uint64_t>(skip, size));
            skip -= used;
        }
        const uint64_t room = keep - std::min<uint64_t>(keep, reply.body.size());
        const size_t take = size_t(std::min<uint64_t>(room, size - used));
        reply.body.insert(reply.body.end(), data + used, data + used + take);
        used += take;
        if (!request.length && reply.status / 100 == 2 && reply.body.size() > request.maxBody) {
            tooBig = true;
            return 0;
        }
        if (reply.body.size() >= keep && used < size) {
            enough = true; // all that is wanted is here, though the server goes on
            return 0;
        }
        return size;
    }

    void header(std::string_view line)
    {
        line = trimmed(line);
        if (startsWithNoCase(line, "http/")) { // a new response (after a redirect): start over
            reply.etag.clear();
            reply.total.reset();
            reply.nextPage.clear();
            rangeStart.reset();
            return;
        }
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos) return;
        const std::string_view name = line.substr(0, colon), value = trimmed(line.substr(colon + 1));
        const auto is = [&](std::string_view n) { return name.size() == n.size() && startsWithNoCase(name, n); };
        if (is("etag")) {
            reply.etag = std::string(value);
        } else if (is("content-range")) {
            // bytes FIRST-LAST/TOTAL, or bytes */TOTAL (416)
            const size_t slash = value.rfind('/');
            if (slash != std::string_view::npos) reply.total = number(value.substr(slash + 1));
            const size_t space = value.find(' '), dash = value.find('-');
            if (space != std::string_view::npos && dash != std::string_view::npos && dash > space)
                rangeStart = number(value.substr(space + 1, dash - space - 1));
        } else if (is("content-length")) {
            if (!reply.total) {
                long status = 0;
                curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
                if (status == 200) reply.total = number(value);
            }
        } else if (is("link")) {
            // <https://...>; rel="next"
            const size_t next = value.find("rel=\"next\"");
            if (next != std::string_view::npos) {
                const size_t open = value.rfind('<', next), close = value.find('>', open);
                if (open != std::string_view::npos && close != std::string_view::npos && close < next)
                    reply.nextPage = std::string(value.substr(open + 1, close - open - 1));
            }
        }
    }
};

size_t onBody(char *data, size_t size, size_t count, void *self)
{
    return static_cast<Transfer *>(self)->body(data, size * count);
}

size_t onHeader(char *data, size_t size, size_t count, void *self)
{
    static_cast<Transfer *>(self)->header(std::string_view(data, size * count));
    return size * count;
}

int onProgress(void *self, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    return static_cast<Transfer *>(self)->client.cancelled() ? 1 : 0;
}

bool transient(CURLcode code)
{
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

std::string transportMessage(CURLcode code, const char *detail, const Transfer &t)
{
    const std::string more = detail && *detail ? std::string(": ") + detail : std::string();
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST: return "cannot resolve the host name" + more;
    case CURLE_COULDNT_RESOLVE_PROXY: return "cannot resolve the proxy" + more;
    case CURLE_COULDNT_CONNECT: return "cannot connect" + more;
    case CURLE_OPERATION_TIMEDOUT: return "timed out" + more;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return "the connection dropped midway (" + std::to_string(t.reply.body.size()) + " bytes received)";
    case CURLE_TOO_MANY_REDIRECTS: return "too many redirects";
    case CURLE_UNSUPPORTED_PROTOCOL: return "redirected to a scheme that is not allowed (https leads only to https)";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return "TLS" + more;
    default: return std::string(curl_easy_strerror(code)) + more;
    }
}

} // namespace

HttpClient::HttpClient() { share(); }

HttpClient &HttpClient::shared()
{
    static HttpClient client;
    return client;
}

Result<HttpReply> HttpClient::fetch(const HttpRequest &request)
{
    const long attempts = 1 + envNumber("CKPT_HTTP_RETRIES", 4);
    std::chrono::milliseconds delay(envNumber("CKPT_HTTP_BACKOFF_MS", 250));
    Result<HttpReply> last = Error{"not tried"};
    for (long attempt = 0; attempt < attempts; ++attempt) {
        if (attempt > 0) {
            for (auto waited = std::chrono::milliseconds(0); waited < delay && !cancelled(); waited += std::chrono::milliseconds(20))
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            delay *= 2;
        }
        if (cancelled()) return Error{"cancelled"};
        bool retry = false;
        last = fetchOnce(request, retry);
        if (!retry) return last;
    }
    return last;
}

Result<HttpReply> HttpClient::fetchOnce(const HttpRequest &request, bool &retry)
{
    ++m_requests;
    CURL *curl = curl_easy_init();
    if (!curl) return Error{"libcurl could not start a transfer"};
    Transfer t{request, *this, curl};
    char detail[CURL_ERROR_SIZE] = {};
    const bool https = request.url.starts_with("https://");
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_SHARE, share().handle());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 8L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "checkpoint-studio/0.2");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, envNumber("CKPT_HTTP_CONNECT_SECONDS", 15));
    // A transfer slower than 1 KB/s for this long is stalled: a server that hangs is bounded.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, envNumber("CKPT_HTTP_STALL_SECONDS", 30));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &onBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &onHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &onProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "identity");
    // A CA bundle of the user's (a company's proxy, a test server), named the way curl and
    // Python's requests take it.
    const char *caBundle = environment("CURL_CA_BUNDLE");
    if (!caBundle) caBundle = environment("SSL_CERT_FILE");
    if (caBundle) curl_easy_setopt(curl, CURLOPT_CAINFO, caBundle);
    std::string range;
    if (request.length) {
        if (*request.length == 0) {
            curl_easy_cleanup(curl);
            return HttpReply{.status = 206};
        }
        range = std::to_string(request.offset) + "-" + std::to_string(request.offset + *request.length - 1);
        curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    }
    // Credentials go to the host asked, never to one a redirect leads to (libcurl's rule for
    // its own authentication options).
    const HttpAuth &auth = request.auth;
    std::string userpwd, sigv4;
    curl_slist *headers = nullptr;
    if (!auth.bearer.empty()) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, auth.bearer.c_str());
    } else if (!auth.awsKey.empty()) {
        userpwd = auth.awsKey + ":" + auth.awsSecret;
        sigv4 = "aws:amz:" + (auth.awsRegion.empty() ? std::string("us-east-1") : auth.awsRegion) + ":s3";
        curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
        curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
        // S3 wants the body's SHA-256 signed too; a GET's body is empty. (libcurl 7.88 does
        // not add it itself.)
        headers = curl_slist_append(headers, "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        if (!auth.awsSession.empty()) headers = curl_slist_append(headers, ("x-amz-security-token: " + auth.awsSession).c_str());
    }
    if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    const CURLcode code = curl_easy_perform(curl);
    if (!t.started) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.reply.status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    std::fill(userpwd.begin(), userpwd.end(), '\0');

    if (cancelled()) return Error{"cancelled"};
    if (t.rangeIgnored) return Error{"the server ignores Range requests (it answered 200 with the whole file); download the file first"};
    if (t.tooBig) return Error{"the server sent more than " + std::to_string(request.maxBody >> 20) + " MiB for a listing or an API answer"};
    if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && t.enough)) {
        retry = transient(code);
        return Error{transportMessage(code, detail, t)};
    }
    HttpReply &reply = t.reply;
    if (reply.status == 429 || reply.status / 100 == 5) {
        retry = true;
        return reply;
    }
    if (reply.status == 206 && request.length) {
        if (t.rangeStart && *t.rangeStart != request.offset)
            return Error{"the server answered a different range than asked (from byte " + std::to_string(*t.rangeStart) + ")"};
    }
    return std::move(reply);
}

Result<HttpReply> HttpClient::get(const HttpRequest &request)
{
    auto reply = fetch(request);
    if (reply && reply->status / 100 != 2) return Error{statusMessage(reply->status)};
    return reply;
}

std::vector<Result<HttpReply>> HttpClient::fetchAll(const std::vector<HttpRequest> &requests)
{
    std::vector<Result<HttpReply>> replies(requests.size(), Result<HttpReply>(Error{"not tried"}));
    std::atomic<size_t> next{0};
    const auto work = [&] {
        for (size_t i = next++; i < requests.size(); i = next++) replies[i] = fetch(requests[i]);
    };
    std::vector<std::thread> threads;
    const size_t n = std::min(kParallel, requests.size());
    for (size_t i = 1; i < n; ++i) threads.emplace_back(work);
    work();
    for (auto &thread : threads) thread.join();
    return replies;
}

std::string displayAddress(std::string_view url)
{
    std::string_view rest = url;
    std::string out;
    if (const size_t scheme = url.find("://"); scheme != std::string_view::npos) {
        out = std::string(url.substr(0, scheme + 3));
        rest = url.substr(scheme + 3);
        const size_t slash = rest.find('/'), at = rest.find('@');
        if (at != std::string_view::npos && at < slash) rest.remove_prefix(at + 1);
    }
    const size_t query = rest.find_first_of("?#");
    out += std::string(rest.substr(0, query));
    return out;
}

std::string statusMessage(long status)
{
    const std::string http = "HTTP " + std::to_string(status);
    switch (status) {
    case 401:
    case 403: return http + ": needs a token (or credentials with access)";
    case 404: return http + ": not found";
    case 416: return http + ": the range asked for is not in the file";
    case 429: return http + ": too many requests, still refused after retries";
    default: return status / 100 == 5 ? http + ": the server failed, still after retries" : http;
    }
}

} // namespace ckpt
