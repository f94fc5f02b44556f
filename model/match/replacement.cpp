#include "model/match/replacement.h"

#include <algorithm>
#include <cstdint>
#include <optional>

namespace ckpt {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isOctal(char c) { return c >= '0' && c <= '7'; }

} // namespace

Result<Replacement> Replacement::parse(std::string_view to, const Regex &regex)
{
    Replacement r;
    std::string literal;
    auto addGroup = [&](int group) -> std::optional<Error> {
        if (group > regex.groupCount()) return Error{"invalid group reference " + std::to_string(group)};
        if (group >= Regex::kMaxGroups)
            return Error{"group " + std::to_string(group) + ": at most " + std::to_string(Regex::kMaxGroups - 1) +
                         " groups can be used"};
        if (!literal.empty()) r.m_pieces.push_back({std::move(literal), -1});
        literal.clear();
        r.m_pieces.push_back({{}, group});
        r.m_groupsNeeded = std::max(r.m_groupsNeeded, size_t(group) + 1);
        return std::nullopt;
    };
    for (size_t i = 0; i < to.size(); ++i) {
        if (to[i] != '\\') {
            literal += to[i];
            continue;
        }
        if (i + 1 == to.size()) return Error{"bad escape (end of pattern)"};
        const char c = to[++i];
        if (c == 'g') {
            const size_t close = i + 1 < to.size() && to[i + 1] == '<' ? to.find('>', i + 2) : std::string_view::npos;
            if (close == std::string_view::npos) return Error{"missing < or > in \\g<...>"};
            const std::string_view name = to.substr(i + 2, close - i - 2);
            if (name.empty()) return Error{"missing group name in \\g<>"};
            int group = -1;
            if (std::all_of(name.begin(), name.end(), isDigit)) {
                group = name.size() > 4 ? INT32_MAX : std::stoi(std::string(name));
            } else {
                group = regex.groupIndex(name);
                if (group < 0) return Error{"unknown group name '" + std::string(name) + "'"};
            }
            if (auto error = addGroup(group)) return *error;
            i = close;
        } else if (c == '0') { // octal: \0, \0o, \0oo
            int value = 0;
            for (int k = 0; k < 2 && i + 1 < to.size() && isOctal(to[i + 1]); ++k) value = value * 8 + (to[++i] - '0');
            literal += char(value);
        } else if (isDigit(c)) {
            if (i + 2 < to.size() && isOctal(c) && isOctal(to[i + 1]) && isOctal(to[i + 2])) {
                const int value = (c - '0') * 64 + (to[i + 1] - '0') * 8 + (to[i + 2] - '0');
                if (value > 0377) return Error{"octal escape value \\" + std::string(to.substr(i, 3)) + " outside of range 0-0o377"};
                literal += char(value);
                i += 2;
            } else {
                int group = c - '0';
                if (i + 1 < to.size() && isDigit(to[i + 1])) group = group * 10 + (to[++i] - '0');
                if (auto error = addGroup(group)) return *error;
            }
        } else {
            switch (c) {
            case '\\': literal += '\\'; break;
            case 'n': literal += '\n'; break;
            case 't': literal += '\t'; break;
            case 'r': literal += '\r'; break;
            case 'f': literal += '\f'; break;
            case 'v': literal += '\v'; break;
            case 'a': literal += '\a'; break;
            case 'b': literal += '\b'; break;
            default:
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return Error{std::string("bad escape \\") + c};
                literal += '\\';
                literal += c;
            }
        }
    }
    if (!literal.empty()) r.m_pieces.push_back({std::move(literal), -1});
    return r;
}

void Replacement::appendTo(std::string &out, std::string_view text, std::span<const Regex::Span> groups) const
{
    for (const Piece &p : m_pieces) {
        if (p.group < 0) {
            out += p.text;
        } else if (size_t(p.group) < groups.size() && groups[size_t(p.group)].begin != std::string_view::npos) {
            const Regex::Span &g = groups[size_t(p.group)];
            out.append(text.substr(g.begin, g.end - g.begin));
        }
    }
}

std::string literalReplacement(std::string_view text)
{
    std::string out;
    for (char c : text) {
        if (c == '\\') out += '\\';
        out += c;
    }
    return out;
}

} // namespace ckpt
