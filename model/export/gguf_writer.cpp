#include "model/base/half_float.h"
#include "model/export/export_job.h"
#include "model/export/planned_output.h"
#include "model/export/temp_file.h"
#include "model/formats/gguf_reader.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <map>

// GGUF (version 3, little-endian) written from the plan, as llama.cpp reads it: the weights
// under their planned names, each in its dtype (F32, F16, BF16, F64, I8..I64) or, with
// ExportOptions::ggufType "Q8_0", float matrices whose rows fill 32-value blocks quantized to
// Q8_0 exactly as ggml's reference (gguf-py's quants.quantize) does; a GGUF source's metadata
// carried over. Read back and checked.
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
    if (d == DType::Float32) return floatFromBits(uint32_t(uint8_t(p[0])) | uint32_t(uint8_t(p[1])) << 8 |
                                                  uint32_t(uint8_t(p[2])) << 16 | uint32_t(uint8_t(p[3])) << 24);
    const uint16_t h = uint16_t(uint8_t(p[0]) | uint8_t(p[1]) << 8);
    return d == DType::BFloat16 ? bfloat16ToFloat(h) : halfToFloat(h);
}

/// Whether `out` is quantized to Q8_0 under ggufType "Q8_0": a float matrix whose rows fill
/// 32-value blocks (vectors, norms and biases, stay as they are, as llama.cpp keeps them).
bool toQ8(const PlannedOut &out, const ExportOptions &o)
{
    if (o.ggufType != "Q8_0" || out.shape.size() < 2 || out.shape.back() % int64_t(kQ8Block)) return false;
    return out.dtype == DType::Float32 || out.dtype == DType::Float16 || out.dtype == DType::BFloat16;
}

struct Writer
{
    std::FILE *f;
    uLong crc = crc32(0, nullptr, 0);
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
    if (!o.ggufType.empty() && o.ggufType != "Q8_0") throw std::runtime_error("GGUF type " + o.ggufType + ": only Q8_0 is written, or the dtypes as they are");
    ExportReport report;
    const std::vector<PlannedOut> outs =
        plannedOutputs(c, p, o, report, [](DType d) { return plainType(d) >= 0; }, "GGUF (cast it to float32, float16 or bfloat16 first)");
    std::vector<GgufRecord> metadata;
    if (c.format() == "gguf") metadata = ggufMetadataRecords(c.files().front().source->view(0, c.files().front().size));
    std::vector<uint64_t> sizes;
    uint64_t total = 0;
    for (const auto &out : outs) {
        int64_t numel = 1;
        for (int64_t n : out.shape) numel *= n;
        sizes.push_back(toQ8(out, o) ? uint64_t(numel) / kQ8Block * kQ8Bytes : out.nbytes());
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
            w.u32(uint32_t(toQ8(out, o) ? kQ8_0 : plainType(out.dtype)));
            w.u64(offset);
            offset += aligned(sizes[i]);
        }
        w.pad();
        for (size_t i = 0; i < outs.size(); ++i) {
            const PlannedOut &out = outs[i];
            w.crc = crc32(0, nullptr, 0);
            const uint64_t before = w.written;
            if (!toQ8(out, o)) {
                writePlannedBytes(c, p, src, added, out, [&](const char *d, size_t n) {
                    w.put(d, n);
                    w.crc = crc32_z(w.crc, reinterpret_cast<const Bytef *>(d), n);
                }, report, progress);
            } else {
                // Values in blocks of 32 as they stream in (a piece may end inside one).
                const size_t item = size_t(dtypeBits(out.dtype) / 8);
                std::vector<char> carry;
                float block[kQ8Block];
                uint8_t q[kQ8Bytes];
                writePlannedBytes(c, p, src, added, out, [&](const char *d, size_t n) {
                    carry.insert(carry.end(), d, d + n);
                    size_t used = 0;
                    for (; carry.size() - used >= kQ8Block * item; used += kQ8Block * item) {
                        for (size_t k = 0; k < kQ8Block; ++k) block[k] = floatFrom(carry.data() + used + k * item, out.dtype);
                        quantizeQ8_0(block, q);
                        w.put(q, kQ8Bytes);
                        w.crc = crc32_z(w.crc, q, kQ8Bytes);
                    }
                    carry.erase(carry.begin(), carry.begin() + ptrdiff_t(used));
                }, report, progress);
                if (!carry.empty()) throw std::runtime_error(out.name + ": its values do not fill Q8_0 blocks");
            }
            crcs[out.name] = {w.written - before, uint32_t(w.crc)};
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
