#include "model/formats/zip_directory.h"

#include <zlib.h>

#include "model/base/format_error.h"

#include <algorithm>
#include <cstring>

namespace ckpt {
namespace {

class Reader final
{
public:
    explicit Reader(const ByteSource &source) : m_source(source), m_size(source.size()) {}

    /// `what` + `name` say what lies there; the message is made only when it does not fit.
    void need(uint64_t offset, uint64_t n, std::string_view what, std::string_view name = {}) const
    {
        if (offset > m_size || n > m_size - offset)
            throw FormatError("zip: " + std::string(what) + std::string(name) + " lies past the end of the file");
    }

    template <class T>
    T at(uint64_t offset) const
    {
        need(offset, sizeof(T), "a header");
        T v{};
        std::memcpy(&v, m_source.view(offset, sizeof(T)).data(), sizeof(T));
        return v;
    }

    /// n bytes at offset, checked with need() first.
    const uint8_t *bytes(uint64_t offset, uint64_t n) const { return m_source.view(offset, n).data(); }
    uint64_t size() const { return m_size; }

private:
    const ByteSource &m_source;
    uint64_t m_size;
};

constexpr uint32_t kEocd = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64Eocd = 0x06064b50;
constexpr uint32_t kCentral = 0x02014b50;
constexpr uint32_t kLocal = 0x04034b50;
constexpr uint64_t kSparseRecords = 256 << 10; // bytes per record above which headers are read

uint64_t findEocd(const Reader &r)
{
    if (r.size() < 22) throw FormatError("zip: file too short for an end-of-directory record");
    // The record sits in the last 22 + 65535 (comment) bytes: scan one view of them.
    const uint64_t lowest = r.size() > 22 + 65535 ? r.size() - 22 - 65535 : 0;
    const uint8_t *tail = r.bytes(lowest, r.size() - lowest);
    for (uint64_t pos = r.size() - 22 + 1; pos-- > lowest;) {
        uint32_t magic = 0;
        std::memcpy(&magic, tail + (pos - lowest), 4);
        if (magic == kEocd) return pos;
    }
    throw FormatError("zip: no end-of-directory record (truncated file?)");
}

} // namespace

ZipDirectory ZipDirectory::parse(const ByteSource &source)
{
    const Reader r(source);
    const uint64_t eocd = findEocd(r);
    uint64_t count = r.at<uint16_t>(eocd + 10);
    uint64_t cdSize = r.at<uint32_t>(eocd + 12);
    uint64_t cdOffset = r.at<uint32_t>(eocd + 16);
    if ((count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) && eocd >= 20 &&
        r.at<uint32_t>(eocd - 20) == kZip64Locator) {
        const uint64_t z64 = r.at<uint64_t>(eocd - 20 + 8);
        if (r.at<uint32_t>(z64) != kZip64Eocd) throw FormatError("zip: bad zip64 end record");
        count = r.at<uint64_t>(z64 + 32);
        cdSize = r.at<uint64_t>(z64 + 40);
        cdOffset = r.at<uint64_t>(z64 + 48);
    }
    r.need(cdOffset, cdSize, "the central directory");
    if (count > cdSize / 46) throw FormatError("zip: central directory too small for its entries");

    ZipDirectory dir;
    dir.m_entries.reserve(count);
    const bool sparse = count > 0 && source.size() / count > kSparseRecords;
    // The directory is read from one view of it, each field checked against its end.
    const uint8_t *cd = r.bytes(cdOffset, cdSize);
    auto field = [&]<class T>(uint64_t at, T) {
        if (at > cdSize || sizeof(T) > cdSize - at) throw FormatError("zip: a header lies past the end of the central directory");
        T v{};
        std::memcpy(&v, cd + at, sizeof(T));
        return v;
    };
    uint64_t pos = 0; // in the directory
    for (uint64_t i = 0; i < count; ++i) {
        if (field(pos, uint32_t{}) != kCentral) throw FormatError("zip: corrupt central directory");
        ZipEntry e;
        e.method = field(pos + 10, uint16_t{});
        e.compressedSize = field(pos + 20, uint32_t{});
        e.size = field(pos + 24, uint32_t{});
        const uint16_t nameLen = field(pos + 28, uint16_t{});
        const uint16_t extraLen = field(pos + 30, uint16_t{});
        const uint16_t commentLen = field(pos + 32, uint16_t{});
        e.localHeaderOffset = field(pos + 42, uint32_t{});
        const uint64_t next = pos + 46 + uint64_t(nameLen) + extraLen + commentLen;
        if (next > cdSize) throw FormatError("zip: a central directory entry lies past the end of the central directory");
        e.name = std::string_view(reinterpret_cast<const char *>(cd + pos + 46), nameLen);
        // zip64 extra field: the 64-bit values, in order, for each field that overflowed.
        for (uint64_t x = pos + 46 + nameLen; x + 4 <= pos + 46 + nameLen + extraLen;) {
            const uint16_t id = field(x, uint16_t{});
            const uint16_t len = field(x + 2, uint16_t{});
            uint64_t f = x + 4;
            if (id == 0x0001) {
                if (e.size == 0xFFFFFFFF && f + 8 <= x + 4 + len) e.size = field(f, uint64_t{}), f += 8;
                if (e.compressedSize == 0xFFFFFFFF && f + 8 <= x + 4 + len)
                    e.compressedSize = field(f, uint64_t{}), f += 8;
                if (e.localHeaderOffset == 0xFFFFFFFF && f + 8 <= x + 4 + len)
                    e.localHeaderOffset = field(f, uint64_t{});
            }
            x += 4 + uint64_t(len);
        }
        dir.m_entries.push_back(e);
        pos = next;
    }
    // The local headers' own name and extra lengths (PyTorch pads the extra field to align
    // data). A remote source fetches them all at once, not one round trip each; where records
    // lie far apart (a big model's), each is read: a view would map the pages around each one.
    std::vector<std::pair<uint64_t, uint64_t>> headers;
    headers.reserve(dir.m_entries.size());
    for (const ZipEntry &e : dir.m_entries) {
        r.need(e.localHeaderOffset, 30, "a header");
        headers.emplace_back(e.localHeaderOffset, 30);
    }
    source.prefetch(headers);
    for (ZipEntry &e : dir.m_entries) {
        uint8_t local[30];
        if (sparse) source.read(e.localHeaderOffset, local);
        else std::memcpy(local, r.bytes(e.localHeaderOffset, 30), 30);
        uint32_t magic = 0;
        uint16_t localName = 0, localExtra = 0;
        std::memcpy(&magic, local, 4);
        std::memcpy(&localName, local + 26, 2);
        std::memcpy(&localExtra, local + 28, 2);
        if (magic != kLocal) throw FormatError("zip: record " + std::string(e.name) + " has no local header");
        e.dataOffset = e.localHeaderOffset + 30 + localName + localExtra;
        r.need(e.dataOffset, e.compressedSize, "the data of record ", e.name);
        if (e.method == 0 && e.size != e.compressedSize)
            throw FormatError("zip: record " + std::string(e.name) + " has inconsistent sizes");
    }
    dir.indexNames();
    return dir;
}

namespace {

unsigned char lower(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return u >= 'A' && u <= 'Z' ? u - 'A' + 'a' : u;
}

} // namespace

int compareNamesWithoutCase(std::string_view a, std::string_view b)
{
    const size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i)
        if (lower(a[i]) != lower(b[i])) return int(lower(a[i])) - int(lower(b[i]));
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}


namespace {

uint64_t hashWithoutCase(std::string_view name)
{
    uint64_t h = 1469598103934665603ull; // FNV-1a
    for (char c : name) h = (h ^ lower(c)) * 1099511628211ull;
    return h | 1; // 0 marks an empty slot
}

} // namespace

void ZipDirectory::indexNames()
{
    size_t capacity = 16;
    while (capacity < m_entries.size() * 2) capacity *= 2;
    m_slots.assign(capacity, Slot{});
    for (uint32_t e = 0; e < m_entries.size(); ++e) {
        const uint64_t h = hashWithoutCase(m_entries[e].name);
        for (size_t i = h & (capacity - 1);; i = (i + 1) & (capacity - 1)) {
            if (m_slots[i].hash == 0) {
                m_slots[i] = {h, e};
                break;
            }
            if (m_slots[i].hash == h && compareNamesWithoutCase(m_entries[m_slots[i].entry].name, m_entries[e].name) == 0) {
                m_sameNames = true;
                break;
            }
        }
    }
    if (m_sameNames) sortLikeMiniz();
}

// The same heap sort as miniz's reader (build the heap from the middle down, then move the
// largest to the end): with names that compare equal its order is not the directory's, and
// which of them the binary search finds depends on exactly this order.
void ZipDirectory::sortLikeMiniz()
{
    const size_t size = m_entries.size();
    m_sorted.resize(size);
    for (size_t i = 0; i < size; ++i) m_sorted[i] = uint32_t(i);
    if (size <= 1) return;
    auto less = [&](uint32_t l, uint32_t r) { return compareNamesWithoutCase(m_entries[l].name, m_entries[r].name) < 0; };
    auto siftDown = [&](size_t root, size_t end) {
        for (;;) {
            size_t child = 2 * root + 1;
            if (child >= end) break;
            if (child + 1 < end && less(m_sorted[child], m_sorted[child + 1])) ++child;
            if (!less(m_sorted[root], m_sorted[child])) break;
            std::swap(m_sorted[root], m_sorted[child]);
            root = child;
        }
    };
    for (size_t start = (size - 2) / 2 + 1; start-- > 0;) siftDown(start, size);
    for (size_t end = size - 1; end > 0; --end) {
        std::swap(m_sorted[end], m_sorted[0]);
        siftDown(0, end);
    }
}

const ZipEntry *ZipDirectory::find(std::string_view name) const
{
    if (!m_sameNames) {
        if (m_slots.empty()) return nullptr;
        const uint64_t h = hashWithoutCase(name);
        const size_t mask = m_slots.size() - 1;
        for (size_t i = h & mask; m_slots[i].hash != 0; i = (i + 1) & mask)
            if (m_slots[i].hash == h && compareNamesWithoutCase(m_entries[m_slots[i].entry].name, name) == 0)
                return &m_entries[m_slots[i].entry];
        return nullptr;
    }
    int64_t low = 0, high = int64_t(m_sorted.size()) - 1;
    while (low <= high) {
        const int64_t middle = low + (high - low) / 2;
        const uint32_t index = m_sorted[size_t(middle)];
        const int c = compareNamesWithoutCase(m_entries[index].name, name);
        if (c == 0) return &m_entries[index];
        if (c < 0) low = middle + 1;
        else high = middle - 1;
    }
    return nullptr;
}

std::vector<std::vector<uint32_t>> ZipDirectory::sameNames() const
{
    std::vector<std::vector<uint32_t>> groups;
    if (!m_sameNames) return groups;
    for (size_t i = 0; i + 1 < m_sorted.size(); ++i) {
        if (compareNamesWithoutCase(m_entries[m_sorted[i]].name, m_entries[m_sorted[i + 1]].name) != 0) continue;
        std::vector<uint32_t> group{m_sorted[i]};
        while (i + 1 < m_sorted.size() && compareNamesWithoutCase(m_entries[m_sorted[i]].name, m_entries[m_sorted[i + 1]].name) == 0)
            group.push_back(m_sorted[++i]);
        std::sort(group.begin(), group.end());
        groups.push_back(std::move(group));
    }
    return groups;
}

std::vector<uint8_t> inflateRecord(const ByteSource &source, const ZipEntry &e)
{
    const uint8_t *in = source.view(e.dataOffset, e.compressedSize).data();
    std::vector<uint8_t> out(size_t(e.size));
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw FormatError("zip: cannot inflate");
    z.next_in = const_cast<Bytef *>(in);
    z.avail_in = uInt(std::min<uint64_t>(e.compressedSize, UINT32_MAX));
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    const int rc = inflate(&z, Z_FINISH);
    const bool complete = rc == Z_STREAM_END && z.total_out == e.size;
    inflateEnd(&z);
    if (!complete) throw FormatError("zip: record " + std::string(e.name) + " does not inflate to its size");
    return out;
}

ByteView recordBytes(const ByteSource &source, const ZipEntry &e, std::vector<uint8_t> &buffer)
{
    if (e.method == 0) return source.view(e.dataOffset, e.size);
    if (e.method != 8) throw FormatError("compression method " + std::to_string(e.method));
    buffer = inflateRecord(source, e);
    return ByteView(buffer);
}

std::string_view firstRecordName(ByteView h)
{
    if (h.size() < 30 || h[0] != 'P' || h[1] != 'K' || h[2] != 3 || h[3] != 4) return {};
    const size_t n = size_t(h[26]) | size_t(h[27]) << 8;
    if (30 + n > h.size()) return {};
    return {reinterpret_cast<const char *>(h.data()) + 30, n};
}

} // namespace ckpt
