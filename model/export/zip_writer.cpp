#include "model/export/zip_writer.h"

#include "model/base/crc32.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ckpt {
namespace {

constexpr uint32_t kLocal = 0x04034b50;
constexpr uint32_t kCentral = 0x02014b50;
constexpr uint32_t kEnd = 0x06054b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint16_t kVersion = 45;     // zip64
constexpr uint16_t kUtf8 = 1 << 11;
constexpr uint64_t kMax32 = 0xFFFFFFFFull;

} // namespace

ZipWriter::ZipWriter(std::FILE *file, std::string folder) : m_file(file), m_folder(std::move(folder)) {}

void ZipWriter::raw(const void *data, size_t size)
{
    if (size && std::fwrite(data, 1, size, m_file) != size)
        throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    m_pos += size;
}

void ZipWriter::beginRecord(const std::string &record, uint64_t size)
{
    Entry e;
    e.name = m_folder.empty() ? record : m_folder + "/" + record;
    e.offset = m_pos;
    e.size = size;
    // Local header: zip64 sizes always (the record may pass 4 GiB), then "FB" padding so the
    // data starts on a 64-byte boundary.
    const uint64_t fixed = 30 + e.name.size() + 4 + 16; // header, name, zip64 extra
    const uint64_t pad = (64 - (m_pos + fixed + 4) % 64) % 64;
    le<uint32_t>(kLocal);
    le<uint16_t>(kVersion);
    le<uint16_t>(kUtf8);
    le<uint16_t>(0); // stored
    le<uint16_t>(0); // time
    le<uint16_t>(0x21); // date (1980-01-01)
    le<uint32_t>(0); // CRC: patched in endRecord
    le<uint32_t>(uint32_t(kMax32));
    le<uint32_t>(uint32_t(kMax32));
    le<uint16_t>(uint16_t(e.name.size()));
    le<uint16_t>(uint16_t(4 + 16 + 4 + pad));
    raw(e.name.data(), e.name.size());
    le<uint16_t>(0x0001); // zip64: size, compressed size
    le<uint16_t>(16);
    le<uint64_t>(size);
    le<uint64_t>(size);
    le<uint16_t>(0x4246); // "FB"
    le<uint16_t>(uint16_t(pad));
    const std::string zeros(pad, 'Z');
    raw(zeros.data(), zeros.size());
    m_entries.push_back(std::move(e));
    m_written = 0;
    m_crc = 0;
    m_open = true;
}

void ZipWriter::write(const void *data, size_t size)
{
    m_crc = crc32Update(m_crc, data, size);
    raw(data, size);
    m_written += size;
}

void ZipWriter::endRecord()
{
    Entry &e = m_entries.back();
    if (m_written != e.size) throw std::runtime_error("record " + e.name + " has the wrong size");
    e.crc = m_crc;
    // Patch the CRC into the local header, then come back.
    if (std::fflush(m_file) != 0 || std::fseek(m_file, long(e.offset + 14), SEEK_SET) != 0)
        throw std::runtime_error(std::string("seek failed: ") + std::strerror(errno));
    if (std::fwrite(&e.crc, 4, 1, m_file) != 1 || std::fseek(m_file, 0, SEEK_END) != 0)
        throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    m_open = false;
}

void ZipWriter::addRecord(const std::string &name, const void *data, uint64_t size)
{
    beginRecord(name, size);
    write(data, size_t(size));
    endRecord();
}

void ZipWriter::finish()
{
    const uint64_t cdStart = m_pos;
    for (const Entry &e : m_entries) {
        le<uint32_t>(kCentral);
        le<uint16_t>(kVersion);
        le<uint16_t>(kVersion);
        le<uint16_t>(kUtf8);
        le<uint16_t>(0);
        le<uint16_t>(0);
        le<uint16_t>(0x21);
        le<uint32_t>(e.crc);
        le<uint32_t>(uint32_t(kMax32));
        le<uint32_t>(uint32_t(kMax32));
        le<uint16_t>(uint16_t(e.name.size()));
        le<uint16_t>(4 + 24); // zip64 extra: size, compressed size, offset
        le<uint16_t>(0);      // comment
        le<uint16_t>(0);      // disk
        le<uint16_t>(0);      // internal attributes
        le<uint32_t>(0);      // external attributes
        le<uint32_t>(uint32_t(kMax32));
        raw(e.name.data(), e.name.size());
        le<uint16_t>(0x0001);
        le<uint16_t>(24);
        le<uint64_t>(e.size);
        le<uint64_t>(e.size);
        le<uint64_t>(e.offset);
    }
    const uint64_t cdSize = m_pos - cdStart;
    const uint64_t zip64End = m_pos;
    le<uint32_t>(kZip64End);
    le<uint64_t>(44);
    le<uint16_t>(kVersion);
    le<uint16_t>(kVersion);
    le<uint32_t>(0);
    le<uint32_t>(0);
    le<uint64_t>(m_entries.size());
    le<uint64_t>(m_entries.size());
    le<uint64_t>(cdSize);
    le<uint64_t>(cdStart);
    le<uint32_t>(kZip64Locator);
    le<uint32_t>(0);
    le<uint64_t>(zip64End);
    le<uint32_t>(1);
    le<uint32_t>(kEnd);
    le<uint16_t>(0);
    le<uint16_t>(0);
    le<uint16_t>(0xFFFF);
    le<uint16_t>(0xFFFF);
    le<uint32_t>(uint32_t(kMax32));
    le<uint32_t>(uint32_t(kMax32));
    le<uint16_t>(0);
    if (std::fflush(m_file) != 0) throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
}

} // namespace ckpt
