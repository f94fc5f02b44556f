#pragma once

#include "model/base/dtype.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace ckpt {

/// An integer dict key past int64 (2**80): its decimal digits, as Python writes it.
struct BigInteger
{
    std::string digits;
    bool operator==(const BigInteger &) const = default;
    auto operator<=>(const BigInteger &) const = default;
};

/// One step from the root object: a string key, an integer key / list position, or an
/// integer key too big for int64.
using PathElement = std::variant<std::string, int64_t, BigInteger>;
using Path = std::vector<PathElement>;

/// The string, or the integer's decimal digits.
std::string pathElementText(const PathElement &e);

/// "state_dict/model.encoder.weight": elements joined with '/'.
std::string pathToString(const Path &path);

/// The module a dotted weight name belongs to: "encoder.ln.weight" -> "encoder.ln"; "" for a
/// name without a dot.
std::string_view moduleOfName(std::string_view name);

/// A block of bytes that one or more tensors view. Its bytes are never read to list it.
struct StorageInfo
{
    std::string key;          ///< record key ("0") or, for safetensors, the tensor name
    DType dtype = DType::Unknown;
    std::string location;     ///< "cpu", "cuda:0", ...
    int64_t numel = 0;        ///< elements of dtype
    int file = 0;             ///< index into Checkpoint::files()
    std::string record;       ///< zip record name ("archive/data/0"), empty otherwise
    uint64_t byteOffset = 0;  ///< absolute offset of the first byte in the file
    uint64_t byteLength = 0;  ///< bytes available there
    bool mapped = true;       ///< false when the bytes are compressed (cannot be viewed)
    bool inPickle = false;    ///< the bytes lie inside the pickle (a numpy array's), not in a record
    int buffer = -1;          ///< a compressed record read inflated: its index in the checkpoint's buffers
    /// The bytes lie in a compressed item (a zstd DCP item): its index in the checkpoint's
    /// compressed items, with byteOffset counted in the item once decompressed. Read by
    /// decoding the item's stream (never viewed; `mapped` is false).
    int compressedItem = -1;

    /// Bytes of `numel` elements of `dtype` (packed elements rounded up to a byte).
    uint64_t nbytes() const;
};

/// A stream-compressed range of a file that storages lie in once decompressed.
struct CompressedItem
{
    int file = 0;
    uint64_t offset = 0; ///< of the compressed bytes in the file
    uint64_t length = 0;
    std::string codec;   ///< "stream.zstd/1" (a DCP item), "deflate" (a zip record), "zstd", "zlib",
                         ///< "gzip", "blosc" (a zarr chunk), "ggml.Q4_K" (a GGUF tensor's blocks,
                         ///< read as the float32 values they dequantize to)
};

/// One piece of a tensor cut across files: where it sits in the whole (offsets and sizes per
/// dimension, in elements; or, when `flat`, one offset and size into the flattened tensor: a
/// run of a DeepSpeed flat partition) and the tensor (an index into the table, in no entry)
/// that holds its bytes.
struct TensorChunk
{
    std::vector<int64_t> offsets;
    std::vector<int64_t> sizes;
    int tensor = -1;
    bool flat = false;
};

/// One tensor as its rebuild describes it.
struct TensorInfo
{
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape;
    std::vector<int64_t> strides;  ///< in elements
    int64_t storageOffset = 0;     ///< in elements
    int storage = -1;              ///< index into storages(); -1 for meta tensors
    bool requiresGrad = false;
    bool parameter = false;        ///< nn.Parameter rather than a plain tensor
    std::string_view rebuild;      ///< the rebuild function ("_rebuild_tensor_v2", ...)
    /// The tensor subclass torch.load gives (a wrapper such as DTensor, listed by the local
    /// tensor it holds; a subclass of Tensor): "torch.distributed.tensor.DTensor"; empty for
    /// torch.Tensor and Parameter.
    std::string_view subclass;
    /// A tensor cut into chunks that lie apart (a DCP checkpoint's shards across ranks): an
    /// index into CheckpointData::chunkLists, with `storage` -1; -1 for one-piece tensors.
    int chunks = -1;
    /// How the bytes are stored when they are not the dtype's own: ggml's block type ("Q4_K"),
    /// read as the values it dequantizes to, of `dtype`; empty otherwise.
    std::string_view encoding;

    int64_t numel() const;
    uint64_t nbytes() const;
    /// Whether it has bytes to read: a storage, or chunks to assemble (not a meta tensor).
    bool hasBytes() const { return storage >= 0 || chunks >= 0; }
    bool contiguous() const;
};

/// A place in the object tree where a tensor sits. A tensor object referenced from two
/// places gives two entries with the same tensor index.
struct TensorEntry
{
    Path path;
    int tensor = -1;
};

/// The dtype as shown beside a tensor: its name, or with ggml's block type first when that is
/// how it is stored ("Q4_K (float32)", read dequantized; "IQ2_XXS (raw uint8)", not decoded).
std::string dtypeText(const TensorInfo &t);

/// Why a tensor without a storage has no bytes to read: "a meta tensor has no data", or that
/// its bytes are a numpy array pickled in a form that cannot be viewed.
std::string whyNoData(const TensorInfo &t);

/// Products over a shape, with a false return instead of overflow.
bool checkedNumel(const std::vector<int64_t> &shape, int64_t &out);

/// Row-major strides (in elements) of a contiguous tensor of `shape`, as torch gives them (a
/// zero dimension counts as one).
std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape);
/// Column-major strides (NumPy's Fortran order): the first dimension varies fastest.
std::vector<int64_t> columnMajorStrides(const std::vector<int64_t> &shape);

/// "[3, 224, 224]"
std::string shapeText(const std::vector<int64_t> &shape);

} // namespace ckpt
