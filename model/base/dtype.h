#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ckpt {

/// Every element type a checkpoint can hold, PyTorch's and safetensors' together.
enum class DType : uint8_t {
    Unknown,
    Bool,
    UInt8,
    Int8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float16,
    BFloat16,
    Float32,
    Float64,
    Complex32,
    Complex64,
    Complex128,
    QInt8,
    QUInt8,
    QInt32,
    QUInt4x2,
    QUInt2x4,
    Float8E5M2,
    Float8E4M3FN,
    Float8E5M2FNUZ,
    Float8E4M3FNUZ,
    Float8E8M0FNU,
    Float4E2M1,
    Float6E2M3,
    Float6E3M2,
    Bits8,
    Bits16,
};

/// PyTorch's spelling without "torch." ("float32", "bfloat16", "quint4x2", ...).
std::string_view dtypeName(DType dtype);
/// Bits one element occupies in storage (sub-byte types of safetensors give 4 or 6).
int dtypeBits(DType dtype);
/// Bits one element of a tensor view takes in its storage: dtypeBits(), except for quint4x2 and
/// quint2x4, which pack two and four elements into each byte of a storage counted in bytes.
int elementBits(DType dtype);
/// Whether a tensor of this dtype packs several elements into a byte (quint4x2, quint2x4).
bool isPackedQuantized(DType dtype);
/// Accepts PyTorch names and their aliases ("float", "half", "long", "torch.float32").
std::optional<DType> dtypeFromName(std::string_view name);
/// From a legacy typed storage class name such as "FloatStorage" or "BFloat16Storage".
std::optional<DType> dtypeFromStorageClass(std::string_view className);
std::optional<DType> dtypeFromSafetensors(std::string_view code);
/// A NumPy type code without its byte-order mark ("f4", "i8", "b1", "c16"); nullopt for the
/// codes that have no tensor dtype (objects, strings, void).
std::optional<DType> dtypeFromNumpyCode(std::string_view code);
/// A NumPy type string as .npy headers and zarr's .zarray write it ("<f4", ">i8", "|b1",
/// "=f2", or a bare "f4"): its dtype (nullopt when it has none) and whether its bytes are
/// big-endian (only '>' on an element wider than a byte).
struct NumpyType
{
    std::optional<DType> dtype;
    bool bigEndian = false;
    bool marked = false; ///< it began with a byte-order mark
};
NumpyType numpyType(std::string_view typeString);
/// The NumPy type code without byte-order mark ("f4"), empty when NumPy has none (bfloat16, float8).
std::string_view numpyCode(DType dtype);
/// The legacy typed storage class ("FloatStorage"), empty when the dtype has none (float8,
/// uint16...: those use UntypedStorage and _rebuild_tensor_v3).
std::string_view storageClassName(DType dtype);
/// The safetensors code ("F32", "BF16", ...), empty when safetensors has none.
std::string_view safetensorsCode(DType dtype);
bool isFloatingPoint(DType dtype);
bool isComplex(DType dtype);
bool isQuantized(DType dtype);

} // namespace ckpt
