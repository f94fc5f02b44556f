#include "model/formats/zarr_array.h"

#include "model/base/format_error.h"

#include <nlohmann/json.hpp>

namespace ckpt {
namespace {

using nlohmann::json;

std::vector<int64_t> dims(const json &j, const std::string &what, const char *field)
{
    if (!j.is_array()) throw FormatError(what + ": " + field + " is not a list");
    if (j.size() > 64) throw FormatError(what + ": " + field + " has more than 64 dimensions");
    std::vector<int64_t> out;
    for (const json &d : j) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0) throw FormatError(what + ": " + field + " holds something other than a size");
        out.push_back(d.get<int64_t>());
    }
    return out;
}

/// A NumPy type string ("<f4", "|b1") or TensorStore's names ("bfloat16", "float8_e4m3fn").
void setDtype(ZarrArray &a, const std::string &code, const std::string &what)
{
    const NumpyType type = numpyType(code);
    const std::optional<DType> d = type.marked || type.dtype ? type.dtype : dtypeFromName(code);
    a.bigEndian = type.bigEndian;
    if (!d || isQuantized(*d)) throw FormatError(what + ": dtype " + code + " has no tensor dtype");
    a.dtype = *d;
}

bool zeroFill(const json &f)
{
    if (f.is_null()) return true;
    if (f.is_boolean()) return !f.get<bool>();
    if (f.is_number()) return f.get<double>() == 0.0;
    return false; // "NaN", "Infinity", a hex string, a complex pair
}

/// One v3 codec list: "bytes" (the layout), an optional "transpose" refused, one compressor.
void readCodecs(const json &codecs, std::string &compressor, bool &bigEndian, const std::string &what)
{
    if (!codecs.is_array()) throw FormatError(what + ": codecs is not a list");
    for (const json &c : codecs) {
        const std::string name = c.is_object() ? c.value("name", "") : "";
        const json cfg = c.is_object() ? c.value("configuration", json::object()) : json::object();
        if (name == "bytes") bigEndian = cfg.is_object() && cfg.value("endian", "little") == "big";
        else if (name == "zstd" || name == "gzip" || name == "blosc") {
            if (!compressor.empty()) throw FormatError(what + ": two compressors in a row");
            compressor = name;
        } else if (name == "crc32c") {
        } else {
            throw FormatError(what + ": codec " + (name.empty() ? std::string("(unnamed)") : name) + ", which this version does not read");
        }
    }
}

ZarrArray parseV3(const json &j, const std::string &what)
{
    ZarrArray a;
    a.version = 3;
    if (j.value("node_type", "array") != "array") throw FormatError(what + ": a zarr group, not an array");
    a.shape = dims(j.at("shape"), what, "shape");
    if (!j.contains("data_type") || !j["data_type"].is_string()) throw FormatError(what + ": data_type is not a name");
    setDtype(a, j["data_type"].get<std::string>(), what);
    const json grid = j.value("chunk_grid", json::object());
    if (grid.value("name", "") != "regular") throw FormatError(what + ": a chunk grid other than regular");
    a.chunks = dims(grid.at("configuration").at("chunk_shape"), what, "chunk_shape");
    const json keys = j.value("chunk_key_encoding", json::object());
    a.defaultKeys = keys.value("name", "default") == "default";
    a.separator = keys.value("configuration", json::object()).value("separator", a.defaultKeys ? "/" : ".");
    a.fillZero = zeroFill(j.value("fill_value", json()));
    const json codecs = j.value("codecs", json::array());
    if (codecs.is_array() && codecs.size() == 1 && codecs[0].is_object() && codecs[0].value("name", "") == "sharding_indexed") {
        const json cfg = codecs[0].at("configuration");
        a.sharded = true;
        a.innerChunks = dims(cfg.at("chunk_shape"), what, "the shard's chunk_shape");
        readCodecs(cfg.at("codecs"), a.compressor, a.bigEndian, what);
        std::string indexCompressor;
        bool indexBig = false;
        const json indexCodecs = cfg.value("index_codecs", json::array());
        readCodecs(indexCodecs, indexCompressor, indexBig, what);
        if (!indexCompressor.empty() || indexBig) throw FormatError(what + ": a compressed or big-endian shard index");
        for (const json &c : indexCodecs)
            if (c.value("name", "") == "crc32c") a.indexCrc = true;
        a.indexAtEnd = cfg.value("index_location", "end") == "end";
        if (a.innerChunks.size() != a.shape.size()) throw FormatError(what + ": the shard's chunk_shape and the shape differ in rank");
        for (size_t d = 0; d < a.chunks.size(); ++d)
            if (a.innerChunks[d] == 0 || a.chunks[d] % a.innerChunks[d])
                throw FormatError(what + ": the shard's chunks do not divide it");
    } else {
        readCodecs(codecs, a.compressor, a.bigEndian, what);
    }
    return a;
}

ZarrArray parseV2(const json &j, const std::string &what)
{
    ZarrArray a;
    a.shape = dims(j.at("shape"), what, "shape");
    a.chunks = dims(j.at("chunks"), what, "chunks");
    const json &dtype = j.at("dtype");
    if (!dtype.is_string()) throw FormatError(what + ": a structured dtype, which has no tensor dtype");
    setDtype(a, dtype.get<std::string>(), what);
    a.fortranOrder = j.value("order", "C") == "F";
    if (j.contains("filters") && !j["filters"].is_null() && !j["filters"].empty()) throw FormatError(what + ": filters, which this version does not apply");
    const json comp = j.value("compressor", json());
    if (!comp.is_null()) {
        const std::string id = comp.is_object() ? comp.value("id", "") : "";
        if (id != "zstd" && id != "zlib" && id != "gzip" && id != "blosc")
            throw FormatError(what + ": compressor " + (id.empty() ? std::string("(unnamed)") : id) + ", which this version does not read");
        a.compressor = id;
    }
    a.fillZero = zeroFill(j.value("fill_value", json()));
    a.separator = j.value("dimension_separator", ".");
    return a;
}

} // namespace

ZarrArray parseZarrArray(std::string_view text, const std::string &what)
{
    try {
        const json j = json::parse(text);
        if (!j.is_object()) throw FormatError(what + ": not a JSON object");
        const int format = j.value("zarr_format", 2);
        ZarrArray a = format == 3 ? parseV3(j, what) : format == 2 ? parseV2(j, what) : throw FormatError(what + ": zarr format " + std::to_string(format));
        if (a.chunks.size() != a.shape.size()) throw FormatError(what + ": chunks and shape differ in rank");
        for (int64_t c : a.chunks)
            if (c == 0) throw FormatError(what + ": a chunk of size 0");
        if (a.separator != "." && a.separator != "/") throw FormatError(what + ": chunk key separator '" + a.separator + "'");
        if (dtypeBits(a.dtype) % 8) throw FormatError(what + ": a sub-byte dtype");
        return a;
    } catch (const json::exception &e) {
        throw FormatError(what + ": " + e.what());
    }
}

std::string ZarrArray::chunkKey(const std::vector<int64_t> &index) const
{
    std::string key = defaultKeys ? "c" : "";
    for (size_t d = 0; d < index.size(); ++d) {
        if (d || defaultKeys) key += separator;
        key += std::to_string(index[d]);
    }
    if (key.empty()) key = "0"; // a 0-d v2 array's one chunk
    return key;
}

uint64_t ZarrArray::chunkBytes() const
{
    uint64_t n = uint64_t(dtypeBits(dtype) / 8);
    for (int64_t c : sharded ? innerChunks : chunks) n *= uint64_t(c);
    return n;
}

} // namespace ckpt
