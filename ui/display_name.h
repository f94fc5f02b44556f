#pragma once

#include "model/base/terminal_text.h"

#include <QString>

#include <string_view>

namespace ckpt {

/// A name as the window shows it: control characters escaped the way the command line shows
/// them (a newline in a key would otherwise cut a row or a label in two). What is copied,
/// filtered on and selected stays the name itself. An empty key reads '', as Python shows it.
inline QString displayName(std::string_view name)
{
    if (name.empty()) return QStringLiteral("''");
    const std::string shown = terminalText(name);
    return QString::fromUtf8(shown.data(), qsizetype(shown.size()));
}

} // namespace ckpt
