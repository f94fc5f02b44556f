// ckpt-hdf5-reader: lists an HDF5 file's groups, datasets and attributes with libhdf5 and
// prints them as JSON (model/formats/hdf5_catalog.h). It runs as a process of its own, with
// bounded memory, so that a hostile file that crashes or hangs libhdf5 costs a failed helper,
// never the app or the CLI; and the app does not link libhdf5 and its ~35 libraries at all.
// Usage: ckpt-hdf5-reader FILE [OFFSET SIZE]   (OFFSET SIZE: an HDF5 file stored in FILE at
// that range, an .h5 record of a zip; its offsets are then counted from OFFSET).
#include "app/hdf5_reader/hdf5_walk.h"

#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool number(const char *text, uint64_t &out)
{
    const char *end = text + std::strlen(text);
    auto [p, ec] = std::from_chars(text, end, out);
    return ec == std::errc() && p == end;
}

/// libhdf5's own memory is bounded: a lying file that asks it for gigabytes fails here, in
/// the helper, instead of swapping the machine.
void limitMemory(uint64_t mapped)
{
    const rlim_t limit = rlim_t((uint64_t(2) << 30) + mapped);
    rlimit r{limit, limit};
    setrlimit(RLIMIT_AS, &r);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 4) {
        std::cerr << "usage: ckpt-hdf5-reader FILE [OFFSET SIZE]\n";
        return 2;
    }
    try {
        ckpt::Hdf5Catalog catalog;
        if (argc == 2) {
            limitMemory(0);
            catalog = ckpt::Hdf5Walk::ofFile(argv[1]);
        } else {
            uint64_t offset = 0, size = 0;
            if (!number(argv[2], offset) || !number(argv[3], size) || size == 0) {
                std::cerr << "OFFSET and SIZE must be numbers, SIZE above 0\n";
                return 2;
            }
            const int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
            struct stat st{};
            if (fd < 0 || ::fstat(fd, &st) != 0) throw std::runtime_error(std::string("cannot open it: ") + std::strerror(errno));
            if (offset > uint64_t(st.st_size) || size > uint64_t(st.st_size) - offset)
                throw std::runtime_error("the range " + std::to_string(offset) + "+" + std::to_string(size) + " runs past its end");
            const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
            const uint64_t start = offset / page * page;
            limitMemory(size + page);
            void *map = ::mmap(nullptr, size_t(size + offset - start), PROT_READ, MAP_PRIVATE, fd, off_t(start));
            ::close(fd);
            if (map == MAP_FAILED) throw std::runtime_error(std::string("cannot map it: ") + std::strerror(errno));
            catalog = ckpt::Hdf5Walk::ofImage(static_cast<uint8_t *>(map) + (offset - start), size_t(size));
        }
        std::cout << ckpt::hdf5CatalogJson(catalog) << std::flush;
        return 0;
    } catch (const std::exception &e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}
