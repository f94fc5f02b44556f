#include "model/formats/chat_template_scan.h"

#include <cctype>

namespace ckpt {
namespace {

bool word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

void add(SafetyReport &report, const std::string &construct, const std::string &label, uint64_t offset, std::string reason)
{
    GlobalUse g;
    g.module = "jinja2";
    g.name = construct;
    g.file = label;
    g.category = GlobalCategory::Dangerous;
    g.reason = std::move(reason);
    g.firstOffset = offset;
    addClassifiedGlobal(report, std::move(g));
}

} // namespace

void scanChatTemplate(SafetyReport &report, std::string_view text, const std::string &label)
{
    // Every name with a double underscore: Python's special and private attributes, the way
    // out of the sandbox to classes, modules and builtins. Chat templates have no use for them.
    for (size_t at = text.find("__"); at != std::string_view::npos; at = text.find("__", at + 2)) {
        size_t begin = at, end = at + 2;
        while (begin > 0 && word(text[begin - 1])) --begin;
        while (end < text.size() && word(text[end])) ++end;
        add(report, std::string(text.substr(begin, std::min<size_t>(end - begin, 64))), label, at,
            "a chat template reaching for a double-underscore attribute, the way out of Jinja's sandbox to Python's "
            "classes, modules and builtins");
        at = end - 2;
    }
    for (size_t at = text.find("attr("); at != std::string_view::npos; at = text.find("attr(", at + 5)) {
        if (at > 0 && word(text[at - 1])) continue;
        size_t bar = at;
        while (bar > 0 && std::isspace(static_cast<unsigned char>(text[bar - 1]))) --bar;
        if (bar == 0 || text[bar - 1] != '|') continue;
        add(report, "attr", label, at, "a chat template's attr filter: attributes by computed names, a sandbox escape's tool");
    }
}

} // namespace ckpt
