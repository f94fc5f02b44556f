#pragma once

#include "model/sources/byte_source.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt {

/// The header of a NumPy .npy file (format versions 1.0 to 3.0): magic "\x93NUMPY", version,
/// header length, then a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': ...}.
/// The array's bytes start at dataOffset; an array of Python objects holds a pickle there.
struct NpyHeader
{
    int major = 0;
    int minor = 0;
    /// The dtype: a type string ("<f4", "|O") or, for a structured dtype, the list literal's
    /// fields' type strings, in order (nested ones flattened).
    std::vector<std::string> typeStrings;
    bool structured = false;
    bool fortranOrder = false;
    std::vector<uint64_t> shape;
    uint64_t dataOffset = 0;

    /// Whether any field is a Python object ('O'): np.save then pickles the array.
    bool holdsObjects() const;
};

/// Whether `head` starts with the .npy magic.
bool looksLikeNpy(ByteView head);

/// Parses the header at the start of `bytes` (at least the header). Throws FormatError("npy:
/// ...") when it is not one numpy.load would read.
NpyHeader parseNpyHeader(ByteView bytes);

} // namespace ckpt
