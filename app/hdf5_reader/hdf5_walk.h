#pragma once

#include "model/formats/hdf5_catalog.h"

#include <cstddef>
#include <string>

namespace ckpt {

/// Opens an HDF5 file read-only with libhdf5 (from a path, or from bytes in memory: an .h5
/// inside a zip) and lists what it holds. Soft and external links are named in the warnings,
/// never followed; filter plugins are never loaded. Throws std::runtime_error with libhdf5's
/// reason when the file cannot be opened.
class Hdf5Walk
{
public:
    /// Elements of a dataset that is not one unfiltered run of bytes are read and passed
    /// along when they take at most this many bytes (and all of them together twice that).
    static constexpr uint64_t kMaxReadBytes = uint64_t(16) << 20;
    /// Links visited before the walk gives up (a file of millions of objects is no checkpoint).
    static constexpr size_t kMaxLinks = size_t(1) << 20;

    static Hdf5Catalog ofFile(const std::string &path);
    static Hdf5Catalog ofImage(void *bytes, size_t size);
};

} // namespace ckpt
