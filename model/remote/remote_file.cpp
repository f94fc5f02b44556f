#include "model/remote/remote_file.h"

#include "model/base/format_error.h"
#include "model/remote/range_cache.h"

#include <algorithm>

namespace ckpt {
namespace {

constexpr uint64_t kBlock = 64 << 10;
/// Small reads fetch at least this much: a zip's records, a pickle and its neighbours.
constexpr uint64_t kReadAhead = 256 << 10;

HttpRequest rangeRequest(const RemoteObject &object, uint64_t offset, uint64_t length)
{
    return HttpRequest{.url = object.url, .offset = offset, .length = length, .auth = object.auth};
}

} // namespace

RemoteFile::RemoteFile(RemoteObject object, HttpReply head)
    : m_object(std::move(object)), m_size(head.total.value_or(head.body.size())), m_etag(std::move(head.etag))
{
    m_cacheKey = RangeCache::keyOf(m_object.url, m_etag, m_size);
    if (!head.body.empty()) m_spans.emplace(0, std::make_shared<const std::vector<uint8_t>>(std::move(head.body)));
}

Result<std::shared_ptr<RemoteFile>> RemoteFile::fromHead(const RemoteObject &object, Result<HttpReply> head)
{
    if (!head) return head.error();
    if (head->status == 416 && head->total == uint64_t(0)) head->body.clear(); // an empty object
    else if (head->status / 100 != 2) return Error{statusMessage(head->status)};
    if (!head->total) return Error{"the server does not say how large the file is"};
    if (head->body.size() > *head->total) return Error{"the server sent more bytes than the file holds"};
    return std::shared_ptr<RemoteFile>(new RemoteFile(object, std::move(head.value())));
}

Result<std::shared_ptr<RemoteFile>> RemoteFile::open(const RemoteObject &object)
{
    return fromHead(object, HttpClient::shared().fetch(rangeRequest(object, 0, kHead)));
}

std::vector<Result<std::shared_ptr<RemoteFile>>> RemoteFile::openAll(const std::vector<RemoteObject> &objects)
{
    std::vector<HttpRequest> requests;
    for (const auto &o : objects) requests.push_back(rangeRequest(o, 0, kHead));
    auto replies = HttpClient::shared().fetchAll(requests);
    std::vector<Result<std::shared_ptr<RemoteFile>>> files;
    for (size_t i = 0; i < objects.size(); ++i) files.push_back(fromHead(objects[i], std::move(replies[i])));
    return files;
}

const std::vector<uint8_t> *RemoteFile::held(uint64_t offset, uint64_t length, uint64_t &start) const
{
    // The span starting at or before `offset` nearest to it, and a few before that.
    auto it = m_spans.upper_bound(offset);
    for (int looked = 0; it != m_spans.begin() && looked < 16; ++looked) {
        --it;
        if (it->first + it->second->size() >= offset + length) {
            start = it->first;
            return it->second.get();
        }
    }
    return nullptr;
}

ByteView RemoteFile::view(uint64_t offset, uint64_t length) const
{
    checkRange(offset, length, m_size);
    if (length == 0) return {};
    {
        std::lock_guard lock(m_mutex);
        uint64_t start = 0;
        if (const auto *span = held(offset, length, start)) return {span->data() + (offset - start), size_t(length)};
    }
    // Small reads (records, headers) are rounded out to blocks with read-ahead; a tensor's
    // bytes are fetched exactly, so that release() of its range lets them go.
    const bool small = length < kReadAhead;
    const uint64_t start = small ? offset / kBlock * kBlock : offset;
    const uint64_t end = small ? std::min(m_size, std::max((offset + length + kBlock - 1) / kBlock * kBlock, start + kReadAhead))
                               : offset + length;
    const auto &span = keep(start, fetch(start, end - start));
    return {span.data() + (offset - start), size_t(length)};
}

const std::vector<uint8_t> &RemoteFile::keep(uint64_t start, std::shared_ptr<const std::vector<uint8_t>> bytes) const
{
    std::lock_guard lock(m_mutex);
    auto &slot = m_spans[start];
    if (!slot || slot->size() < bytes->size()) slot = std::move(bytes);
    return *slot;
}

void RemoteFile::prefetch(std::span<const std::pair<uint64_t, uint64_t>> ranges) const
{
    constexpr uint64_t kJoin = 16 << 10;
    std::vector<std::pair<uint64_t, uint64_t>> wanted; // [first, end)
    {
        std::lock_guard lock(m_mutex);
        for (const auto &[offset, length] : ranges) {
            uint64_t start = 0;
            if (length == 0 || offset > m_size || length > m_size - offset || held(offset, length, start)) continue;
            wanted.emplace_back(offset, offset + length);
        }
    }
    if (wanted.size() < 2) return; // one range: the view that follows fetches it as well
    std::sort(wanted.begin(), wanted.end());
    std::vector<std::pair<uint64_t, uint64_t>> joined{wanted.front()};
    for (const auto &[first, end] : wanted) {
        if (first <= joined.back().second + kJoin) joined.back().second = std::max(joined.back().second, end);
        else joined.emplace_back(first, end);
    }
    std::erase_if(joined, [&](const std::pair<uint64_t, uint64_t> &range) {
        auto cached = RangeCache::shared().find(m_cacheKey, range.first, range.second - range.first);
        if (!cached) return false;
        keep(range.first, std::make_shared<const std::vector<uint8_t>>(std::move(*cached)));
        return true;
    });
    std::vector<HttpRequest> requests;
    for (const auto &[first, end] : joined)
        requests.push_back(rangeRequest(m_object, first, end - first));
    auto replies = HttpClient::shared().fetchAll(requests);
    for (size_t i = 0; i < joined.size(); ++i) {
        try {
            keep(joined[i].first, accepted(std::move(replies[i]), joined[i].first, joined[i].second - joined[i].first));
        } catch (const FormatError &) {
            // A hint only: the view that needs the range fetches it again and reports.
        }
    }
}

std::shared_ptr<const std::vector<uint8_t>> RemoteFile::fetch(uint64_t offset, uint64_t length) const
{
    if (auto cached = RangeCache::shared().find(m_cacheKey, offset, length))
        return std::make_shared<const std::vector<uint8_t>>(std::move(*cached));
    return accepted(HttpClient::shared().fetch(rangeRequest(m_object, offset, length)), offset, length);
}

std::shared_ptr<const std::vector<uint8_t>> RemoteFile::accepted(Result<HttpReply> reply, uint64_t offset, uint64_t length) const
{
    if (!reply) throw FormatError(reply.error().message);
    if (reply->status / 100 != 2) throw FormatError(statusMessage(reply->status));
    if ((!reply->etag.empty() && !m_etag.empty() && reply->etag != m_etag) || (reply->total && *reply->total != m_size))
        throw FormatError("the file changed on the server while it was being read (its ETag or size is not the same); open it again");
    if (reply->body.size() != length)
        throw FormatError("the server sent " + std::to_string(reply->body.size()) + " of the " + std::to_string(length) + " bytes asked for");
    RangeCache::shared().store(m_cacheKey, offset, reply->body);
    return std::make_shared<const std::vector<uint8_t>>(std::move(reply->body));
}

void RemoteFile::release(uint64_t offset, uint64_t length) const
{
    std::lock_guard lock(m_mutex);
    for (auto it = m_spans.lower_bound(offset); it != m_spans.end() && it->first < offset + length;)
        it = it->first + it->second->size() <= offset + length ? m_spans.erase(it) : std::next(it);
}

} // namespace ckpt
