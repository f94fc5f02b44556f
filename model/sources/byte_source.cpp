#include "model/sources/byte_source.h"

#include <cstring>

#include "model/base/format_error.h"

namespace ckpt {

void checkRange(uint64_t offset, uint64_t length, uint64_t size, const char *what)
{
    if (offset > size || length > size - offset)
        throw FormatError(std::string(what) + " runs past the end of the file");
}

void ByteSource::read(uint64_t offset, std::span<uint8_t> out) const
{
    const ByteView bytes = view(offset, out.size());
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size());
}

} // namespace ckpt
