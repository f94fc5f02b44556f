#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// What libhdf5 says about an HDF5 file, as plain facts: every group and dataset reached by
/// hard links from the root, each dataset's stored type, shape and where its bytes are. The
/// HDF5 helper (ckpt-hdf5-reader) fills it in a process of its own, since libhdf5 can crash on
/// a hostile file, and prints it as JSON; Hdf5Reader reads that JSON back and makes a tensor
/// table of it. Nothing here interprets the file as Keras: that is the reader's part.
struct Hdf5Catalog
{
    /// A stored type: `kind` is "float", "integer", "bool" (h5py's enum of FALSE/TRUE over an
    /// 8-bit integer), "opaque" (how h5py stores a bfloat16 without a native type), "string",
    /// or "other" (compound, array, reference, ...: described in `text`).
    struct Type
    {
        std::string kind;
        uint32_t size = 0; ///< bytes per element
        bool bigEndian = false;
        bool isSigned = true;
        uint32_t exponentBits = 0; ///< floats: the exponent's width (5 half, 8 bfloat16/single, 11 double)
        uint32_t mantissaBits = 0; ///< floats: the stored mantissa's width (10, 7, 23, 52)
        std::string text;
    };

    struct Dataset
    {
        std::string path; ///< from the root, '/'-separated, no leading '/' ("layers/dense/vars/0")
        Type type;
        std::vector<uint64_t> shape; ///< empty for a scalar
        bool null = false;           ///< an H5S_NULL dataspace: no elements at all
        /// "contiguous" (the bytes lie at `offset`, unfiltered), "compact" (in the object
        /// header), "chunked" or "virtual".
        std::string layout;
        std::optional<uint64_t> offset; ///< contiguous and allocated: of the first byte, in the file read
        uint64_t storageBytes = 0;      ///< what the dataset occupies in the file
        std::vector<std::string> filters;
        /// The attributes' values as JSON text (strings, numbers, arrays of them).
        std::map<std::string, std::string> attributes;
        /// The elements as stored, read by libhdf5 when they do not lie unfiltered at one
        /// offset (compact, chunked) and are small enough to pass along; empty otherwise.
        std::vector<uint8_t> data;
        bool dataRead = false;
    };

    struct Group
    {
        std::string path; ///< "" for the root
        std::map<std::string, std::string> attributes;
    };

    std::vector<Group> groups; ///< parents before their children
    std::vector<Dataset> datasets;
    std::vector<std::string> warnings; ///< links not followed (soft, external), attributes not read
};

/// An attribute's value as the catalog keeps it (JSON text), from what libhdf5 read: texts,
/// integers or reals, the one value itself when the attribute is `scalar`, a list otherwise.
/// Text that is not UTF-8 cannot be JSON and is no metadata worth showing: nullopt.
std::optional<std::string> hdf5AttributeTexts(const std::vector<std::string> &values, bool scalar);
std::string hdf5AttributeIntegers(const std::vector<long long> &values, bool scalar);
std::string hdf5AttributeReals(const std::vector<double> &values, bool scalar);

/// The catalog as the helper prints it.
std::string hdf5CatalogJson(const Hdf5Catalog &catalog);
/// The helper's answer read back. Throws FormatError when it is not a catalog.
Hdf5Catalog parseHdf5Catalog(std::string_view json);

} // namespace ckpt
