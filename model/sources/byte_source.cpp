#include "model/sources/byte_source.h"

#include "model/base/format_error.h"

namespace ckpt {

void checkRange(uint64_t offset, uint64_t length, uint64_t size, const char *what)
{
    if (offset > size || length > size - offset)
        throw FormatError(std::string(what) + " runs past the end of the file");
}

} // namespace ckpt
