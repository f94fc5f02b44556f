#include "model/formats/hdf5_catalog.h"

#include "model/base/format_error.h"

#include <nlohmann/json.hpp>

namespace ckpt {
namespace {

using nlohmann::json;

json attributesJson(const std::map<std::string, std::string> &attributes)
{
    json out = json::object();
    for (const auto &[name, text] : attributes) out[name] = json::parse(text, nullptr, false);
    return out;
}

std::map<std::string, std::string> attributesOf(const json &j)
{
    std::map<std::string, std::string> out;
    if (!j.is_object()) throw FormatError("attributes that are not an object");
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = it.value().dump();
    return out;
}

std::string hex(const std::vector<uint8_t> &bytes)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (uint8_t b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

std::vector<uint8_t> unhex(const std::string &text)
{
    if (text.size() % 2) throw FormatError("data of odd length");
    auto nibble = [](char c) -> uint8_t {
        if (c >= '0' && c <= '9') return uint8_t(c - '0');
        if (c >= 'a' && c <= 'f') return uint8_t(c - 'a' + 10);
        throw FormatError("data that is not hexadecimal");
    };
    std::vector<uint8_t> out(text.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]));
    return out;
}

template <typename T> T field(const json &j, const char *name)
{
    const auto it = j.find(name);
    if (it == j.end()) throw FormatError(std::string("no \"") + name + "\"");
    return it->get<T>();
}

} // namespace

namespace {

template <typename T> json shaped(const std::vector<T> &values, bool scalar)
{
    json list = json::array();
    for (const auto &v : values) list.push_back(v);
    return scalar && list.size() == 1 ? list[0] : list;
}

} // namespace

std::optional<std::string> hdf5AttributeTexts(const std::vector<std::string> &values, bool scalar)
{
    try {
        return shaped(values, scalar).dump();
    } catch (const json::exception &) {
        return std::nullopt;
    }
}

std::string hdf5AttributeIntegers(const std::vector<long long> &values, bool scalar) { return shaped(values, scalar).dump(); }
std::string hdf5AttributeReals(const std::vector<double> &values, bool scalar) { return shaped(values, scalar).dump(); }

std::string hdf5CatalogJson(const Hdf5Catalog &catalog)
{
    json groups = json::array();
    for (const auto &g : catalog.groups) groups.push_back({{"path", g.path}, {"attributes", attributesJson(g.attributes)}});
    json datasets = json::array();
    for (const auto &d : catalog.datasets) {
        const auto &t = d.type;
        json j = {{"path", d.path},
                  {"type", {{"kind", t.kind}, {"size", t.size}, {"bigEndian", t.bigEndian}, {"signed", t.isSigned},
                            {"exponentBits", t.exponentBits}, {"mantissaBits", t.mantissaBits}, {"text", t.text}}},
                  {"shape", d.shape},
                  {"null", d.null},
                  {"layout", d.layout},
                  {"storageBytes", d.storageBytes},
                  {"filters", d.filters},
                  {"attributes", attributesJson(d.attributes)}};
        if (d.offset) j["offset"] = *d.offset;
        if (d.dataRead) j["data"] = hex(d.data);
        datasets.push_back(std::move(j));
    }
    // Names are bytes to HDF5: what is not UTF-8 is shown replaced (U+FFFD), not refused.
    return json{{"groups", groups}, {"datasets", datasets}, {"warnings", catalog.warnings}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

Hdf5Catalog parseHdf5Catalog(std::string_view text)
{
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw FormatError("the HDF5 helper's answer is not JSON");
    Hdf5Catalog c;
    try {
        for (const json &g : field<json>(j, "groups"))
            c.groups.push_back({field<std::string>(g, "path"), attributesOf(field<json>(g, "attributes"))});
        for (const json &x : field<json>(j, "datasets")) {
            Hdf5Catalog::Dataset d;
            d.path = field<std::string>(x, "path");
            const json t = field<json>(x, "type");
            d.type = {field<std::string>(t, "kind"), field<uint32_t>(t, "size"), field<bool>(t, "bigEndian"),
                      field<bool>(t, "signed"), field<uint32_t>(t, "exponentBits"), field<uint32_t>(t, "mantissaBits"),
                      field<std::string>(t, "text")};
            d.shape = field<std::vector<uint64_t>>(x, "shape");
            d.null = field<bool>(x, "null");
            d.layout = field<std::string>(x, "layout");
            d.storageBytes = field<uint64_t>(x, "storageBytes");
            d.filters = field<std::vector<std::string>>(x, "filters");
            d.attributes = attributesOf(field<json>(x, "attributes"));
            if (x.contains("offset")) d.offset = field<uint64_t>(x, "offset");
            if (x.contains("data")) {
                d.data = unhex(field<std::string>(x, "data"));
                d.dataRead = true;
            }
            c.datasets.push_back(std::move(d));
        }
        c.warnings = field<std::vector<std::string>>(j, "warnings");
    } catch (const json::exception &e) {
        throw FormatError(std::string("the HDF5 helper's answer is malformed: ") + e.what());
    }
    return c;
}

} // namespace ckpt
