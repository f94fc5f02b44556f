#include "model/base/tensor_table.h"

#include <algorithm>

namespace ckpt {

std::string_view moduleOfName(std::string_view name)
{
    const size_t dot = name.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : name.substr(0, dot);
}

std::string pathElementText(const PathElement &e)
{
    if (const auto *s = std::get_if<std::string>(&e)) return *s;
    if (const auto *n = std::get_if<int64_t>(&e)) return std::to_string(*n);
    return std::get<BigInteger>(e).digits;
}

std::string pathToString(const Path &path)
{
    std::string out;
    for (const auto &e : path) {
        if (!out.empty()) out += '/';
        out += pathElementText(e);
    }
    return out;
}

bool checkedNumel(const std::vector<int64_t> &shape, int64_t &out)
{
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) return false;
        if (d != 0 && n > INT64_MAX / d) return false;
        n *= d;
    }
    out = n;
    return true;
}

int64_t TensorInfo::numel() const
{
    int64_t n = 0;
    return checkedNumel(shape, n) ? n : 0;
}

uint64_t TensorInfo::nbytes() const
{
    return (uint64_t(numel()) * uint64_t(dtypeBits(dtype)) + 7) / 8;
}

bool TensorInfo::contiguous() const
{
    int64_t expected = 1;
    for (size_t i = shape.size(); i-- > 0;) {
        if (shape[i] != 1 && strides[i] != expected) return false;
        expected *= shape[i];
    }
    return true;
}

uint64_t StorageInfo::nbytes() const
{
    return (uint64_t(numel) * uint64_t(dtypeBits(dtype)) + 7) / 8;
}

std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape)
{
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * std::max<int64_t>(shape[i], 1);
    return strides;
}

std::vector<int64_t> columnMajorStrides(const std::vector<int64_t> &shape)
{
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t i = 1; i < shape.size(); ++i) strides[i] = strides[i - 1] * std::max<int64_t>(shape[i - 1], 1);
    return strides;
}

std::string shapeText(const std::vector<int64_t> &shape)
{
    std::string out = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(shape[i]);
    }
    return out + "]";
}

std::string dtypeText(const TensorInfo &t)
{
    if (t.encoding.empty()) return std::string(dtypeName(t.dtype));
    return std::string(t.encoding) + (t.dtype == DType::UInt8 ? " (raw uint8)" : " (" + std::string(dtypeName(t.dtype)) + ")");
}

std::string whyNoData(const TensorInfo &t)
{
    if (t.rebuild == "_rebuild_device_tensor_from_numpy")
        return "its bytes are a numpy array inside the pickle, pickled as text or in another dtype, "
               "and cannot be read in place";
    if (t.chunks >= 0) return "its chunks must be assembled first";
    return "a meta tensor has no data";
}

} // namespace ckpt
