// libFuzzer target: what the HDF5 helper (ckpt-hdf5-reader) answers, as a lying helper or a
// hostile file could make it: input [u32 LE size][catalog JSON][the file's bytes]. The catalog
// is parsed and made into a checkpoint over those bytes, tree walked and safety report
// finished; every error must be a FormatError, nothing may crash, hang or grow without bound.
// libhdf5 itself is not fuzzed here: it runs in the helper, whose crashes cost a failed read.
#include "model/base/format_error.h"
#include "model/formats/hdf5_reader.h"
#include "model/formats/pickle_run.h"
#include "model/formats/tree_walker.h"
#include "model/sources/memory_source.h"

#include <cstring>
#include <memory>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    uint32_t n = 0;
    std::memcpy(&n, data, 4);
    if (n > size - 4) return 0;
    const std::string_view json(reinterpret_cast<const char *>(data) + 4, n);
    const ckpt::ByteView bytes(data + 4 + n, size - 4 - n);
    try {
        ckpt::Hdf5Catalog catalog = ckpt::parseHdf5Catalog(json);
        ckpt::CheckpointData d;
        d.files.push_back({"/nonexistent/model.weights.h5", bytes.size(),
                           std::make_shared<ckpt::MemorySource>("model.weights.h5", bytes)});
        ckpt::addHdf5Catalog(d, catalog, 0, bytes.size(), n % 2 == 1);
        ckpt::walkTree(d);
        ckpt::finishSafetyReport(d.safety);
    } catch (const ckpt::FormatError &) {
    }
    return 0;
}
