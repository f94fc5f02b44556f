#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ckpt {

/// A failure that crosses the model/ boundary as a value: one line, no file name (the caller
/// knows which file it asked for and prefixes it).
struct Error
{
    std::string message;
    /// Which of several inputs the message is about (a config, a target, one side of a diff),
    /// when the call took more than one; empty when it is the one the caller asked for.
    std::string input = {};
};

/// Minimal std::expected stand-in (C++20): either a value or an Error.
template <class T>
class Result final
{
public:
    Result(T value) : m_v(std::move(value)) {}
    Result(Error error) : m_v(std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T &value() { return std::get<0>(m_v); }
    const T &value() const { return std::get<0>(m_v); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() { return value(); }
    const T &operator*() const { return value(); }
    const Error &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

} // namespace ckpt
