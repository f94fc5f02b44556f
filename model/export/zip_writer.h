#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ckpt {

/// Writes a zip the way torch.save lays it out: every record stored (not compressed) under
/// one folder, its data starting at a 64-byte boundary (an "FB" extra field of padding, as
/// PyTorchStreamWriter pads), CRC-32, zip64 records and end records so files and records past
/// 4 GiB work. Records can be streamed in chunks, so a 10 GB tensor costs a buffer, not 10 GB.
class ZipWriter final
{
public:
    /// Writes to an open file (which the caller owns), records under `folder` (none when
    /// empty: an npz). Throws std::runtime_error on I/O errors.
    ZipWriter(std::FILE *file, std::string folder);

    void beginRecord(const std::string &name, uint64_t size);
    void write(const void *data, size_t size);
    void endRecord();
    void addRecord(const std::string &name, const void *data, uint64_t size);
    /// Central directory and end records; the writer is finished afterwards.
    void finish();
    /// CRC-32 of the last record written (the verification compares it with what it reads back).
    uint32_t lastCrc() const { return m_entries.empty() ? 0 : m_entries.back().crc; }

private:
    struct Entry
    {
        std::string name;
        uint64_t offset = 0; ///< local header
        uint64_t size = 0;
        uint32_t crc = 0;
    };
    void raw(const void *data, size_t size);
    template <class T>
    void le(T v)
    {
        raw(&v, sizeof(T));
    }

    std::FILE *m_file;
    std::string m_folder;
    uint64_t m_pos = 0;
    std::vector<Entry> m_entries;
    uint64_t m_written = 0; ///< of the open record
    uint32_t m_crc = 0;
    bool m_open = false;
};

} // namespace ckpt
