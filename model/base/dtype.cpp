#include "model/base/dtype.h"

#include <array>

namespace ckpt {
namespace {

struct DTypeRow
{
    DType dtype;
    std::string_view name;
    int bits;
    std::string_view storageClass; // legacy typed storage, empty when none
    std::string_view safetensors;  // safetensors code, empty when none
};

constexpr std::array kRows{
    DTypeRow{DType::Unknown, "unknown", 8, "", ""},
    DTypeRow{DType::Bool, "bool", 8, "BoolStorage", "BOOL"},
    DTypeRow{DType::UInt8, "uint8", 8, "ByteStorage", "U8"},
    DTypeRow{DType::Int8, "int8", 8, "CharStorage", "I8"},
    DTypeRow{DType::Int16, "int16", 16, "ShortStorage", "I16"},
    DTypeRow{DType::UInt16, "uint16", 16, "", "U16"},
    DTypeRow{DType::Int32, "int32", 32, "IntStorage", "I32"},
    DTypeRow{DType::UInt32, "uint32", 32, "", "U32"},
    DTypeRow{DType::Int64, "int64", 64, "LongStorage", "I64"},
    DTypeRow{DType::UInt64, "uint64", 64, "", "U64"},
    DTypeRow{DType::Float16, "float16", 16, "HalfStorage", "F16"},
    DTypeRow{DType::BFloat16, "bfloat16", 16, "BFloat16Storage", "BF16"},
    DTypeRow{DType::Float32, "float32", 32, "FloatStorage", "F32"},
    DTypeRow{DType::Float64, "float64", 64, "DoubleStorage", "F64"},
    DTypeRow{DType::Complex32, "complex32", 32, "ComplexHalfStorage", ""},
    DTypeRow{DType::Complex64, "complex64", 64, "ComplexFloatStorage", "C64"},
    DTypeRow{DType::Complex128, "complex128", 128, "ComplexDoubleStorage", ""},
    DTypeRow{DType::QInt8, "qint8", 8, "QInt8Storage", ""},
    DTypeRow{DType::QUInt8, "quint8", 8, "QUInt8Storage", ""},
    DTypeRow{DType::QInt32, "qint32", 32, "QInt32Storage", ""},
    DTypeRow{DType::QUInt4x2, "quint4x2", 8, "QUInt4x2Storage", ""},
    DTypeRow{DType::QUInt2x4, "quint2x4", 8, "QUInt2x4Storage", ""},
    DTypeRow{DType::Float8E5M2, "float8_e5m2", 8, "", "F8_E5M2"},
    DTypeRow{DType::Float8E4M3FN, "float8_e4m3fn", 8, "", "F8_E4M3"},
    DTypeRow{DType::Float8E5M2FNUZ, "float8_e5m2fnuz", 8, "", "F8_E5M2FNUZ"},
    DTypeRow{DType::Float8E4M3FNUZ, "float8_e4m3fnuz", 8, "", "F8_E4M3FNUZ"},
    DTypeRow{DType::Float8E8M0FNU, "float8_e8m0fnu", 8, "", "F8_E8M0"},
    DTypeRow{DType::Float4E2M1, "float4_e2m1fn", 4, "", "F4"},
    DTypeRow{DType::Float6E2M3, "float6_e2m3fn", 6, "", "F6_E2M3"},
    DTypeRow{DType::Float6E3M2, "float6_e3m2fn", 6, "", "F6_E3M2"},
    DTypeRow{DType::Bits8, "bits8", 8, "", ""},
    DTypeRow{DType::Bits16, "bits16", 16, "", ""},
};

constexpr bool rowsInEnumOrder()
{
    for (size_t i = 0; i < kRows.size(); ++i)
        if (size_t(kRows[i].dtype) != i) return false;
    return true;
}
static_assert(rowsInEnumOrder(), "kRows must list DType values in enum order");

const DTypeRow &row(DType dtype)
{
    const auto i = size_t(dtype);
    return i < kRows.size() ? kRows[i] : kRows[0];
}

struct Alias
{
    std::string_view alias;
    DType dtype;
};

// torch's own second names for dtypes (torch.float is float32, torch.half is float16, ...).
constexpr std::array kAliases{
    Alias{"float", DType::Float32},        Alias{"double", DType::Float64},
    Alias{"half", DType::Float16},         Alias{"long", DType::Int64},
    Alias{"int", DType::Int32},            Alias{"short", DType::Int16},
    Alias{"cfloat", DType::Complex64},     Alias{"cdouble", DType::Complex128},
    Alias{"chalf", DType::Complex32},      Alias{"float4_e2m1fn_x2", DType::Float4E2M1},
};

} // namespace

std::string_view dtypeName(DType dtype) { return row(dtype).name; }
int dtypeBits(DType dtype) { return row(dtype).bits; }

bool isPackedQuantized(DType dtype) { return dtype == DType::QUInt4x2 || dtype == DType::QUInt2x4; }

int elementBits(DType dtype)
{
    if (dtype == DType::QUInt4x2) return 4;
    if (dtype == DType::QUInt2x4) return 2;
    return dtypeBits(dtype);
}

std::optional<DType> dtypeFromName(std::string_view name)
{
    if (name.starts_with("torch.")) name.remove_prefix(6);
    for (const auto &r : kRows)
        if (r.dtype != DType::Unknown && r.name == name) return r.dtype;
    for (const auto &a : kAliases)
        if (a.alias == name) return a.dtype;
    return std::nullopt;
}

namespace {

/// NumPy type codes without their byte-order mark, both ways.
constexpr std::pair<std::string_view, DType> kNumpyCodes[] = {
    {"f2", DType::Float16}, {"f4", DType::Float32}, {"f8", DType::Float64}, {"i1", DType::Int8},
    {"i2", DType::Int16},   {"i4", DType::Int32},   {"i8", DType::Int64},   {"u1", DType::UInt8},
    {"u2", DType::UInt16},  {"u4", DType::UInt32},  {"u8", DType::UInt64},  {"b1", DType::Bool},
    {"c8", DType::Complex64}, {"c16", DType::Complex128},
};

} // namespace

std::optional<DType> dtypeFromNumpyCode(std::string_view code)
{
    for (const auto &[c, d] : kNumpyCodes)
        if (code == c) return d;
    return std::nullopt;
}

NumpyType numpyType(std::string_view typeString)
{
    NumpyType t;
    const char order = typeString.empty() ? '|' : typeString.front();
    t.marked = order == '<' || order == '>' || order == '|' || order == '=';
    t.dtype = dtypeFromNumpyCode(typeString.substr(t.marked ? 1 : 0));
    t.bigEndian = t.dtype && order == '>' && dtypeBits(*t.dtype) > 8;
    return t;
}

std::string_view numpyCode(DType dtype)
{
    for (const auto &[c, d] : kNumpyCodes)
        if (d == dtype) return c;
    return {};
}

std::optional<DType> dtypeFromStorageClass(std::string_view className)
{
    for (const auto &r : kRows)
        if (!r.storageClass.empty() && r.storageClass == className) return r.dtype;
    return std::nullopt;
}

std::optional<DType> dtypeFromSafetensors(std::string_view code)
{
    for (const auto &r : kRows)
        if (!r.safetensors.empty() && r.safetensors == code) return r.dtype;
    return std::nullopt;
}

std::string_view safetensorsCode(DType dtype) { return row(dtype).safetensors; }
std::string_view storageClassName(DType dtype) { return row(dtype).storageClass; }

bool isFloatingPoint(DType d)
{
    switch (d) {
    case DType::Float16: case DType::BFloat16: case DType::Float32: case DType::Float64:
    case DType::Float8E5M2: case DType::Float8E4M3FN: case DType::Float8E5M2FNUZ:
    case DType::Float8E4M3FNUZ: case DType::Float8E8M0FNU: case DType::Float4E2M1:
    case DType::Float6E2M3: case DType::Float6E3M2:
        return true;
    default:
        return false;
    }
}

bool isComplex(DType d)
{
    return d == DType::Complex32 || d == DType::Complex64 || d == DType::Complex128;
}

bool isQuantized(DType d)
{
    return d == DType::QInt8 || d == DType::QUInt8 || d == DType::QInt32 ||
           d == DType::QUInt4x2 || d == DType::QUInt2x4;
}

} // namespace ckpt
