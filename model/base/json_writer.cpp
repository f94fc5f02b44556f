#include "model/base/json_writer.h"

#include <array>
#include <charconv>

namespace ckpt {

void JsonWriter::separate()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (!m_first.empty()) {
        if (!m_first.back()) m_out += ',';
        m_first.back() = false;
    }
}

JsonWriter &JsonWriter::open(char bracket)
{
    separate();
    m_out += bracket;
    m_first.push_back(true);
    return *this;
}

JsonWriter &JsonWriter::close(char bracket)
{
    m_out += bracket;
    m_first.pop_back();
    maybeFlush();
    return *this;
}

JsonWriter &JsonWriter::beginObject() { return open('{'); }
JsonWriter &JsonWriter::endObject() { return close('}'); }
JsonWriter &JsonWriter::beginArray() { return open('['); }
JsonWriter &JsonWriter::endArray() { return close(']'); }

void JsonWriter::flush()
{
    if (!m_sink || m_out.empty()) return;
    m_sink->write(m_out.data(), std::streamsize(m_out.size()));
    m_out.clear();
}

JsonWriter &JsonWriter::key(std::string_view k)
{
    separate();
    quoted(k);
    m_out += ':';
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::value(std::string_view s)
{
    separate();
    quoted(s);
    return *this;
}

JsonWriter &JsonWriter::value(int64_t i)
{
    separate();
    char buf[24];
    m_out.append(buf, std::to_chars(buf, buf + sizeof buf, i).ptr);
    return *this;
}

JsonWriter &JsonWriter::value(uint64_t u)
{
    separate();
    char buf[24];
    m_out.append(buf, std::to_chars(buf, buf + sizeof buf, u).ptr);
    return *this;
}

JsonWriter &JsonWriter::value(bool b)
{
    separate();
    m_out += b ? "true" : "false";
    return *this;
}

JsonWriter &JsonWriter::null()
{
    separate();
    m_out += "null";
    return *this;
}

JsonWriter &JsonWriter::raw(std::string_view json)
{
    separate();
    m_out += json;
    return *this;
}

namespace {

// Bytes that can be copied as they are: printable ASCII except '"' and '\\'.
constexpr auto kPlain = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x80; ++c) t[size_t(c)] = c != '"' && c != '\\';
    return t;
}();

} // namespace

void JsonWriter::quoted(std::string_view s)
{
    static const char hex[] = "0123456789abcdef";
    m_out += '"';
    for (size_t i = 0; i < s.size();) {
        size_t run = i;
        while (run < s.size() && kPlain[static_cast<unsigned char>(s[run])]) ++run;
        m_out.append(s, i, run - i);
        i = run;
        if (i == s.size()) break;
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            m_out += '\\';
            m_out += char(c);
            ++i;
        } else if (c < 0x20) {
            m_out += "\\u00";
            m_out += hex[c >> 4];
            m_out += hex[c & 15];
            ++i;
        } else if (c < 0x80) {
            m_out += char(c);
            ++i;
        } else {
            const size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
            bool valid = n > 0 && i + n <= s.size();
            for (size_t k = 1; valid && k < n; ++k)
                valid = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
            if (valid) {
                m_out.append(s, i, n);
                i += n;
            } else {
                m_out += "\xEF\xBF\xBD"; // U+FFFD
                ++i;
            }
        }
    }
    m_out += '"';
}

} // namespace ckpt
