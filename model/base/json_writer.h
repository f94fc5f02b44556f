#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// Streams JSON text without building a document: a 100k-tensor listing would otherwise
/// cost more memory than the checkpoint's whole metadata. Commas are placed automatically;
/// strings are escaped and invalid UTF-8 is replaced by U+FFFD, so the output always parses.
class JsonWriter final
{
public:
    /// With a sink, text is flushed to it in chunks as it is written (and by flush()).
    explicit JsonWriter(std::ostream *sink = nullptr) : m_sink(sink) {}
    ~JsonWriter() { flush(); }
    JsonWriter(const JsonWriter &) = delete;
    JsonWriter &operator=(const JsonWriter &) = delete;
    void flush();

    JsonWriter &beginObject();
    JsonWriter &endObject();
    JsonWriter &beginArray();
    JsonWriter &endArray();
    JsonWriter &key(std::string_view k);
    JsonWriter &value(std::string_view s);
    JsonWriter &value(const char *s) { return value(std::string_view(s)); }
    JsonWriter &value(int64_t i);
    JsonWriter &value(uint64_t u);
    JsonWriter &value(int i) { return value(int64_t(i)); }
    JsonWriter &value(bool b);
    JsonWriter &null();
    /// Pre-serialised JSON (a nested report).
    JsonWriter &raw(std::string_view json);
    template <class T>
    JsonWriter &field(std::string_view k, const T &v) { return key(k).value(v); }

    const std::string &text() const { return m_out; }
    std::string take() { return std::move(m_out); }

private:
    void separate();
    JsonWriter &open(char bracket);
    JsonWriter &close(char bracket);
    void quoted(std::string_view s);

    void maybeFlush()
    {
        if (m_sink && m_out.size() >= (size_t(1) << 20)) flush();
    }

    std::ostream *m_sink;
    std::string m_out;
    std::vector<bool> m_first; ///< per open container: nothing written in it yet
    bool m_afterKey = false;
};

} // namespace ckpt
