#include "model/export/gguf_metadata.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>

// The config's gguf_metadata as typed GGUF values (the types of gguf-py's GGUFValueType).
namespace ckpt::exporting {
namespace {

using json = nlohmann::json;

enum Type : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7, String = 8, Array = 9, U64 = 10, I64 = 11,
    F64 = 12,
};

constexpr std::pair<const char *, Type> kNames[] = {
    {"uint8", U8},   {"int8", I8},   {"uint16", U16},   {"int16", I16}, {"uint32", U32},  {"int32", I32},  {"float32", F32},
    {"bool", Bool}, {"string", String}, {"uint64", U64}, {"int64", I64}, {"float64", F64},
};

[[noreturn]] void bad(const std::string &key, const std::string &what)
{
    throw std::runtime_error("gguf_metadata." + key + ": " + what);
}

template <typename T> void put(std::string &out, T v)
{
    char b[sizeof v];
    std::memcpy(b, &v, sizeof v);
    out.append(b, sizeof v);
}

/// The type a plain JSON value is written as (integers: the narrowest of uint32, int32, int64
/// that holds it; uint64 past int64).
Type naturalType(const json &v, const std::string &key)
{
    if (v.is_string()) return String;
    if (v.is_boolean()) return Bool;
    if (v.is_number_unsigned()) return v.get<uint64_t>() <= std::numeric_limits<uint32_t>::max() ? U32
                                       : v.get<uint64_t>() <= uint64_t(std::numeric_limits<int64_t>::max()) ? I64
                                                                                                          : U64;
    if (v.is_number_integer()) return v.get<int64_t>() >= std::numeric_limits<int32_t>::min() ? I32 : I64;
    if (v.is_number_float()) return F32;
    bad(key, "expected a string, a bool, a number, a list of them or {\"type\": ..., \"value\": ...}");
}

/// The wider of two element types of a list, or nothing when they do not mix.
Type widened(Type a, Type b, const std::string &key)
{
    if (a == b) return a;
    auto numeric = [](Type t) { return t == U32 || t == I32 || t == I64 || t == U64 || t == F32; };
    if (!numeric(a) || !numeric(b)) bad(key, "a list mixes strings, bools and numbers");
    if (a == F32 || b == F32) return F32;
    if (a == U64 || b == U64) {
        if (a == I32 || b == I32 || a == I64 || b == I64) bad(key, "a list mixes negative integers with ones past int64");
        return U64;
    }
    return (a == I32 && b == U32) || (a == U32 && b == I32) ? I64 : (a == I64 || b == I64 ? I64 : I32);
}

void putScalar(std::string &out, Type t, const json &v, const std::string &key)
{
    auto integer = [&](auto lo, auto hi) {
        using T = decltype(lo);
        if (!v.is_number_integer()) bad(key, "expected an integer");
        if (v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(hi) : v.get<int64_t>() < int64_t(lo) ||
                                                                             v.get<int64_t>() > int64_t(hi))
            bad(key, v.dump() + " does not fit the type");
        put(out, v.is_number_unsigned() ? T(v.get<uint64_t>()) : T(v.get<int64_t>()));
    };
    switch (t) {
    case U8: return integer(uint8_t(0), std::numeric_limits<uint8_t>::max());
    case I8: return integer(std::numeric_limits<int8_t>::min(), std::numeric_limits<int8_t>::max());
    case U16: return integer(uint16_t(0), std::numeric_limits<uint16_t>::max());
    case I16: return integer(std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max());
    case U32: return integer(uint32_t(0), std::numeric_limits<uint32_t>::max());
    case I32: return integer(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
    case U64:
        if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) bad(key, "expected an integer >= 0");
        return put(out, v.get<uint64_t>());
    case I64:
        if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)))
            bad(key, "expected an int64");
        return put(out, v.get<int64_t>());
    case F32:
        if (!v.is_number()) bad(key, "expected a number");
        return put(out, v.get<float>());
    case F64:
        if (!v.is_number()) bad(key, "expected a number");
        return put(out, v.get<double>());
    case Bool:
        if (!v.is_boolean()) bad(key, "expected true or false");
        return put(out, uint8_t(v.get<bool>()));
    case String: {
        if (!v.is_string()) bad(key, "expected a string");
        const auto &s = v.get_ref<const std::string &>();
        put(out, uint64_t(s.size()));
        out += s;
        return;
    }
    case Array: break;
    }
    bad(key, "not a GGUF type");
}

/// A record's value: its type, then the value (a list: the element type, count, elements).
std::string encode(const json &given, const std::string &key)
{
    std::string out;
    std::optional<Type> typed;
    const json *v = &given;
    if (given.is_object()) {
        if (!given.contains("type") || !given.contains("value") || given.size() != 2 || !given["type"].is_string())
            bad(key, "expected {\"type\": \"uint32\", \"value\": ...}");
        const std::string &name = given["type"].get_ref<const std::string &>();
        for (const auto &[n, t] : kNames)
            if (name == n) typed = t;
        if (!typed) bad(key, "'" + name + "' is not one of uint8, int8, uint16, int16, uint32, int32, uint64, int64, "
                             "float32, float64, bool, string");
        v = &given["value"];
    }
    if (v->is_array()) {
        if (v->empty() && !typed) bad(key, "an empty list has no type: give {\"type\": ..., \"value\": []}");
        Type element = typed ? *typed : naturalType(v->front(), key);
        if (!typed)
            for (const auto &item : *v) element = widened(element, naturalType(item, key), key);
        put(out, uint32_t(Array));
        put(out, uint32_t(element));
        put(out, uint64_t(v->size()));
        for (size_t i = 0; i < v->size(); ++i) putScalar(out, element, (*v)[i], key + "[" + std::to_string(i) + "]");
        return out;
    }
    const Type t = typed ? *typed : naturalType(*v, key);
    put(out, uint32_t(t));
    putScalar(out, t, *v, key);
    return out;
}

} // namespace

std::vector<GgufRecord> ggufMetadata(std::vector<GgufRecord> carried,
                                     const std::vector<std::pair<std::string, std::string>> &config)
{
    for (const auto &entry : config) {
        const std::string &key = entry.first, &text = entry.second; // (clang 14 cannot capture a structured binding)
        if (key == "general.alignment" || key.starts_with("split."))
            bad(key, "the writer sets the file's layout (32-byte alignment, one file)");
        const json value = json::parse(text);
        const auto at = std::find_if(carried.begin(), carried.end(), [&](const GgufRecord &r) { return r.key == key; });
        if (value.is_null()) {
            if (at != carried.end()) carried.erase(at);
            continue;
        }
        std::string encoded = encode(value, key);
        if (at != carried.end()) at->value = std::move(encoded);
        else carried.push_back({key, std::move(encoded)});
    }
    return carried;
}

} // namespace ckpt::exporting
