#include "model/base/crc32.h"
#include "model/base/half_float.h"
#include "model/export/export_job.h"
#include "model/export/gguf_metadata.h"
#include "model/export/planned_output.h"
#include "model/export/temp_file.h"
#include "model/formats/gguf_reader.h"

#include <cmath>
#include <cstring>
#include <map>

// GGUF (version 3, little-endian) written from the plan, as llama.cpp reads it: the weights
// under their planned names, each in its dtype (F32, F16, BF16, F64, I8..I64) or, with
// ExportOptions::ggufType, float matrices in F32, F16 or BF16 (rounded to nearest even) or
// Q8_0 (rows that fill 32-value blocks) exactly as ggml's reference (gguf-py's quants.quantize)
// does; vectors (norms, biases) stay as they are, as llama.cpp keeps them. A GGUF source's
// metadata carried over, then the config's gguf_metadata. Read back and checked.
namespace ckpt::exporting {
namespace {

constexpr uint64_t kAlignment = 32; // GGUF's default: general.alignment is not written

uint64_t aligned(uint64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

/// ggml's type of a dtype written as it is; -1 when GGUF has none.
int plainType(DType d)
{
    switch (d) {
    case DType::Float32: return 0;
    case DType::Float16: return 1;
    case DType::BFloat16: return 30;
    case DType::Int8: return 24;
    case DType::Int16: return 25;
    case DType::Int32: return 26;
    case DType::Int64: return 27;
    case DType::Float64: return 28;
    default: return -1;
    }
}

constexpr int kQ8_0 = 8;
constexpr size_t kQ8Block = 32, kQ8Bytes = 34;

/// One Q8_0 block of 32 floats, as gguf-py's Q8_0.quantize_blocks: d = max|x| / 127, each
/// value x / d rounded half away from zero (np_roundf), d stored as a half.
void quantizeQ8_0(const float *x, uint8_t *out)
{
    float amax = 0;
    for (size_t i = 0; i < kQ8Block; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = d == 0 ? 0.0f : 1.0f / d;
    const uint16_t h = floatToHalf(d);
    out[0] = uint8_t(h & 0xff);
    out[1] = uint8_t(h >> 8);
    for (size_t i = 0; i < kQ8Block; ++i) {
        const float v = x[i] * id, a = std::fabs(v), floored = std::floor(a);
        const float b = floored + std::floor(2.0f * (a - floored));
        const float q = v > 0 ? b : v < 0 ? -b : 0.0f;
        out[2 + i] = uint8_t(int8_t(int(q)));
    }
}

float floatFrom(const char *p, DType d)
{
    if (d == DType::Float64) {
        double v;
        std::memcpy(&v, p, 8);
        return float(v);
    }
    if (d == DType::Float32) return floatFromBits(uint32_t(uint8_t(p[0])) | uint32_t(uint8_t(p[1])) << 8 |
                                                  uint32_t(uint8_t(p[2])) << 16 | uint32_t(uint8_t(p[3])) << 24);
    const uint16_t h = uint16_t(uint8_t(p[0]) | uint8_t(p[1]) << 8);
    return d == DType::BFloat16 ? bfloat16ToFloat(h) : halfToFloat(h);
}

/// The ggml type `out` is written in: a float matrix in ggufType (Q8_0 only when its rows fill
/// 32-value blocks); anything else as it is.
int typeOf(const PlannedOut &out, const ExportOptions &o)
{
    const bool floats = out.dtype == DType::Float32 || out.dtype == DType::Float16 ||
                        out.dtype == DType::BFloat16 || out.dtype == DType::Float64;
    if (o.ggufType.empty() || !floats || out.shape.size() < 2) return plainType(out.dtype);
    if (o.ggufType == "Q8_0") return out.shape.back() % int64_t(kQ8Block) ? plainType(out.dtype) : kQ8_0;
    return plainType(o.ggufType == "F16" ? DType::Float16 : o.ggufType == "BF16" ? DType::BFloat16 : DType::Float32);
}

uint64_t encodedSize(int type, int64_t numel, uint64_t nbytes)
{
    switch (type) {
    case kQ8_0: return uint64_t(numel) / kQ8Block * kQ8Bytes;
    case 0: return uint64_t(numel) * 4;
    case 1:
    case 30: return uint64_t(numel) * 2;
    default: return nbytes;
    }
}

/// The values of `n` floats in ggml type `type` (F32, F16 or BF16), little-endian.
void encodeFloats(const float *x, size_t n, int type, std::vector<uint8_t> &out)
{
    out.clear();
    for (size_t i = 0; i < n; ++i) {
        if (type == 0) {
            const uint32_t b = bitsOfFloat(x[i]);
            for (int k = 0; k < 4; ++k) out.push_back(uint8_t(b >> (8 * k)));
        } else {
            const uint16_t h = type == 1 ? floatToHalf(x[i]) : floatToBfloat16(x[i]);
            out.push_back(uint8_t(h & 0xff));
            out.push_back(uint8_t(h >> 8));
        }
    }
}

struct Writer
{
    std::FILE *f;
    uint32_t crc = 0;
    uint64_t written = 0;
    void put(const void *data, size_t n)
    {
        if (n && std::fwrite(data, 1, n, f) != n) throw std::runtime_error("cannot write the GGUF file (disk full?)");
        written += n;
    }
    void u32(uint32_t v) { put(&v, 4); } // this machine is little-endian, as the GGUF written
    void u64(uint64_t v) { put(&v, 8); }
    void text(const std::string &s)
    {
        u64(s.size());
        put(s.data(), s.size());
    }
    void pad() { put("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", size_t(aligned(written) - written)); }
};

} // namespace

ExportReport writeGguf(const Checkpoint &c, const Prepared &p, const ExportOptions &o, Progress &progress)
{
    if (p.inputs.empty()) throw std::runtime_error("GGUF holds named tensors; this file has none");
    if (!o.ggufType.empty() && o.ggufType != "Q8_0" && o.ggufType != "F32" && o.ggufType != "F16" && o.ggufType != "BF16")
        throw std::runtime_error("GGUF type " + o.ggufType + ": F32, F16, BF16 and Q8_0 are written, or the dtypes as they are");
    ExportReport report;
    const std::vector<PlannedOut> outs =
        plannedOutputs(c, p, o, report, [](DType d) { return plainType(d) >= 0; }, "GGUF (cast it to float32, float16 or bfloat16 first)");
    std::vector<GgufRecord> metadata;
    if (c.format() == "gguf") metadata = ggufMetadataRecords(c.files().front().source->view(0, c.files().front().size));
    metadata = ggufMetadata(std::move(metadata), p.rules->ggufMetadata);
    std::vector<uint64_t> sizes;
    uint64_t total = 0;
    for (const auto &out : outs) {
        int64_t numel = 1;
        for (int64_t n : out.shape) numel *= n;
        sizes.push_back(encodedSize(typeOf(out, o), numel, out.nbytes()));
        total += out.nbytes();
    }
    progress.total = std::max<uint64_t>(total, 1);
    TempFile temp(o.output);
    const SourceReader src(c);
    MadeTensorBytes added(c, p);
    std::map<std::string, WrittenBytes> crcs;
    {
        Writer w{temp.file()};
        w.put("GGUF", 4);
        w.u32(3);
        w.u64(outs.size());
        w.u64(metadata.size());
        for (const auto &r : metadata) {
            w.text(r.key);
            w.put(r.value.data(), r.value.size());
        }
        uint64_t offset = 0;
        for (size_t i = 0; i < outs.size(); ++i) {
            const PlannedOut &out = outs[i];
            w.text(out.name);
            w.u32(uint32_t(out.shape.size()));
            for (auto it = out.shape.rbegin(); it != out.shape.rend(); ++it) w.u64(uint64_t(*it)); // fastest first
            w.u32(uint32_t(typeOf(out, o)));
            w.u64(offset);
            offset += aligned(sizes[i]);
        }
        w.pad();
        for (size_t i = 0; i < outs.size(); ++i) {
            const PlannedOut &out = outs[i];
            w.crc = 0;
            const uint64_t before = w.written;
            const int type = typeOf(out, o);
            if (type == plainType(out.dtype)) {
                writePlannedBytes(c, p, src, added, out, [&](const char *d, size_t n) {
                    w.put(d, n);
                    w.crc = crc32Update(w.crc, d, n);
                }, report, progress);
            } else {
                // Values in groups of 32 (a Q8_0 block) as they stream in: a piece may end inside one.
                const size_t item = size_t(dtypeBits(out.dtype) / 8);
                std::vector<char> carry;
                float block[kQ8Block];
                std::vector<uint8_t> encoded(kQ8Bytes);
                writePlannedBytes(c, p, src, added, out, [&](const char *d, size_t n) {
                    carry.insert(carry.end(), d, d + n);
                    size_t used = 0;
                    for (; carry.size() - used >= kQ8Block * item; used += kQ8Block * item) {
                        for (size_t k = 0; k < kQ8Block; ++k) block[k] = floatFrom(carry.data() + used + k * item, out.dtype);
                        if (type == kQ8_0) quantizeQ8_0(block, encoded.data());
                        else encodeFloats(block, kQ8Block, type, encoded);
                        w.put(encoded.data(), encoded.size());
                        w.crc = crc32Update(w.crc, encoded.data(), encoded.size());
                    }
                    carry.erase(carry.begin(), carry.begin() + ptrdiff_t(used));
                }, report, progress);
                if (!carry.empty() && type == kQ8_0) throw std::runtime_error(out.name + ": its values do not fill Q8_0 blocks");
                const size_t rest = carry.size() / item;
                for (size_t k = 0; k < rest; ++k) block[k] = floatFrom(carry.data() + k * item, out.dtype);
                encodeFloats(block, rest, type, encoded);
                w.put(encoded.data(), encoded.size());
                w.crc = crc32Update(w.crc, encoded.data(), encoded.size());
            }
            crcs[out.name] = {w.written - before, w.crc};
            w.pad();
        }
    }
    temp.close();
    verifyWritten(temp.path(), crcs, "GGUF");
    temp.commit(o.output);
    report.files.push_back(o.output);
    report.tensors = outs.size();
    return report;
}

} // namespace ckpt::exporting
