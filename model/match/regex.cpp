#include "model/match/regex.h"

#include "model/base/name_bytes.h"
#include "model/base/terminal_text.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <re2/re2.h>

#include <algorithm>
#include <atomic>

namespace ckpt {
namespace {

/// A PCRE2 match that takes more steps than this is answered by RE2; a pattern that does so
/// often stops using PCRE2 altogether.
constexpr uint32_t kStepBudget = 20000;
constexpr int kOverBudgetLimit = 32;

bool isAscii(std::string_view s)
{
    uint64_t any = 0;
    if (s.size() >= 8) {
        for (size_t i = 0; i + 8 <= s.size(); i += 8) any |= loadWord(s.data() + i);
        any |= loadWord(s.data() + s.size() - 8); // the tail, overlapping
    } else {
        for (char c : s) any |= uint8_t(c);
    }
    return (any & 0x8080808080808080ull) == 0;
}

/// Whether the pattern has a backslash escape of one of `letters` (\\ is not one).
bool hasEscape(std::string_view pattern, std::string_view letters)
{
    for (size_t i = 0; i + 1 < pattern.size(); ++i)
        if (pattern[i] == '\\' && letters.find(pattern[++i]) != std::string_view::npos) return true;
    return false;
}

/// Whether PCRE2 reads this RE2 pattern the way RE2 does. RE2 has already accepted it, which
/// rules out everything PCRE2 has and RE2 lacks (backreferences, lookaround, possessive and
/// atomic groups, \K, \R, \h, \N, (*VERBS), ...). What is left that the two read
/// differently, and sends the pattern to RE2 alone:
/// - \v: a vertical tab in RE2, any vertical space in PCRE2;
/// - \s, \S: RE2 leaves out the vertical tab, PCRE2 counts it;
/// - \1 to \7 (with more digits): octal in RE2, back references in PCRE2;
/// - \p, \P: Unicode classes, folded by case differently under (?i);
/// - \C: one byte, which can leave a match inside a character;
/// - "{,n}": literal text in RE2, a repetition in newer PCRE2;
/// - any byte beyond ASCII in the pattern.
/// Names are read as RE2 reads them: ASCII names as bytes, other names as UTF-8 (PCRE2's UTF
/// mode, without Unicode properties: \w, \d, \b stay ASCII as in RE2); names that are not
/// valid UTF-8 go to RE2.
bool canUsePcre2(std::string_view pattern)
{
    return isAscii(pattern) && pattern.find("{,") == std::string_view::npos && !hasEscape(pattern, "0123456789vsSpPC");
}

/// Whether PCRE2's UTF mode reads the pattern as RE2 reads UTF-8 names. \B does not: RE2
/// tests it between bytes, so it holds inside a multi-byte character; PCRE2 between
/// characters.
bool canUsePcre2OnUtf8(std::string_view pattern) { return !hasEscape(pattern, "B"); }

/// One match data per thread (PCRE2 writes the match into it), freed when the thread ends.
/// The pointer is a plain thread_local, so the hot path has no initialisation guard.
pcre2_match_data *threadMatchData()
{
    thread_local pcre2_match_data *data = nullptr;
    if (!data) {
        struct Owner
        {
            pcre2_match_data *data = pcre2_match_data_create(Regex::kMaxGroups, nullptr);
            ~Owner() { pcre2_match_data_free(data); }
        };
        thread_local Owner owner;
        data = owner.data;
    }
    return data;
}

} // namespace

/// One compiled PCRE2 pattern, JIT-compiled when the platform allows.
struct Pcre2Code
{
    pcre2_code *code = nullptr;
    bool jit = false;

    Pcre2Code() = default;
    Pcre2Code(const Pcre2Code &) = delete;
    Pcre2Code &operator=(const Pcre2Code &) = delete;
    ~Pcre2Code() { pcre2_code_free(code); }

    void compile(const std::string &pattern, uint32_t flags)
    {
        int error = 0;
        PCRE2_SIZE offset = 0;
        // Anything PCRE2 refuses (\x{100} without UTF, say) stays with RE2.
        code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), flags, &error, &offset,
                             nullptr);
        jit = code && pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    }
};

struct Regex::Impl
{
    std::string pattern;
    Options options;
    std::unique_ptr<RE2> re2;
    Pcre2Code bytes; ///< for ASCII names
    Pcre2Code utf;   ///< for other names that are valid UTF-8
    pcre2_match_context *context = nullptr;
    bool anchored = false;
    mutable std::atomic<int> overBudget{0};

    ~Impl() { pcre2_match_context_free(context); }

    /// The PCRE2 pattern that reads `text` (searched from `from`) the way RE2 does, or null:
    /// RE2 answers.
    const Pcre2Code *pcre2For(std::string_view text, size_t from) const
    {
        if (!bytes.code || overBudget.load(std::memory_order_relaxed) >= kOverBudgetLimit) return nullptr;
        if (isAscii(text)) return &bytes;
        const bool atCharacter = from >= text.size() || (uint8_t(text[from]) & 0xc0) != 0x80;
        return utf.code && atCharacter && isValidUtf8(text) ? &utf : nullptr;
    }

    /// PCRE2's answer: the number of groups set (0: more than the match data holds), or
    /// PCRE2_ERROR_NOMATCH, or kNoAnswer (over budget: RE2 decides).
    static constexpr int kNoAnswer = -1000;
    int pcre2Match(const Pcre2Code &c, std::string_view text, size_t from, pcre2_match_data *data,
                   uint32_t flags = 0) const
    {
        const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
        if (&c == &utf) flags |= PCRE2_NO_UTF_CHECK; // checked by pcre2For
        const int rc = c.jit ? pcre2_jit_match(c.code, subject, text.size(), from, flags, data, context)
                             : pcre2_match(c.code, subject, text.size(), from, flags, data, context);
        if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH) return rc;
        overBudget.fetch_add(1, std::memory_order_relaxed);
        return kNoAnswer;
    }
};

Regex::Regex(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Regex::Regex(Regex &&) noexcept = default;
Regex &Regex::operator=(Regex &&) noexcept = default;
Regex::~Regex() = default;

Result<Regex> Regex::create(const std::string &pattern, Options options)
{
    auto impl = std::make_unique<Impl>();
    impl->pattern = pattern;
    impl->options = options;
    RE2::Options re2Options;
    re2Options.set_log_errors(false);
    re2Options.set_dot_nl(options.dotMatchesNewline);
    impl->re2 = std::make_unique<RE2>(pattern, re2Options);
    if (!impl->re2->ok()) return Error{impl->re2->error()};

    if (canUsePcre2(pattern)) {
        // RE2 (and Python): $ only at the very end; under (?m) ^ also after a final newline.
        uint32_t flags = PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_CIRCUMFLEX | PCRE2_NEVER_UCP;
        if (options.dotMatchesNewline) flags |= PCRE2_DOTALL;
        if (options.mode == Mode::FullMatch) flags |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;
        impl->bytes.compile(pattern, flags | PCRE2_NEVER_UTF);
        if (impl->bytes.code && canUsePcre2OnUtf8(pattern)) impl->utf.compile(pattern, flags | PCRE2_UTF);
        if (impl->bytes.code) {
            uint32_t all = 0;
            pcre2_pattern_info(impl->bytes.code, PCRE2_INFO_ALLOPTIONS, &all);
            impl->anchored = options.mode == Mode::Search && (all & PCRE2_ANCHORED);
            impl->context = pcre2_match_context_create(nullptr);
            pcre2_set_match_limit(impl->context, kStepBudget);
            pcre2_set_depth_limit(impl->context, kStepBudget);
        }
    }
    return Regex(std::move(impl));
}

bool Regex::matches(std::string_view text) const
{
    const Impl &d = *m_impl;
    if (const Pcre2Code *c = d.pcre2For(text, 0))
        if (const int rc = d.pcre2Match(*c, text, 0, threadMatchData()); rc != Impl::kNoAnswer) return rc >= 0;
    return d.options.mode == Mode::FullMatch ? RE2::FullMatch(text, *d.re2) : RE2::PartialMatch(text, *d.re2);
}

bool Regex::find(std::string_view text, size_t from, std::span<Span> groups, bool notEmptyAtFrom) const
{
    const Impl &d = *m_impl;
    const size_t wanted = std::min<size_t>(groups.size(), kMaxGroups);
    std::fill(groups.begin(), groups.end(), kUnset);
    if (const Pcre2Code *c = d.pcre2For(text, from)) {
        pcre2_match_data *data = threadMatchData();
        if (const int rc = d.pcre2Match(*c, text, from, data, notEmptyAtFrom ? PCRE2_NOTEMPTY_ATSTART : 0);
            rc != Impl::kNoAnswer) {
            if (rc < 0) return false;
            const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(data);
            const size_t pairs = std::min<size_t>(wanted, rc > 0 ? size_t(rc) : pcre2_get_ovector_count(data));
            for (size_t k = 0; k < pairs; ++k)
                if (ovector[2 * k] != PCRE2_UNSET) groups[k] = {ovector[2 * k], ovector[2 * k + 1]};
            return true;
        }
    }
    re2::StringPiece pieces[kMaxGroups];
    const int n = int(std::max<size_t>(1, std::min<size_t>(wanted, size_t(d.re2->NumberOfCapturingGroups()) + 1)));
    const re2::StringPiece subject(text.data(), text.size());
    if (!d.re2->Match(subject, from, text.size(), RE2::UNANCHORED, pieces, n)) return false;
    if (notEmptyAtFrom && pieces[0].empty() && size_t(pieces[0].data() - text.data()) == from) {
        size_t next = from + 1; // the next character: past UTF-8 continuation bytes
        while (next < text.size() && (uint8_t(text[next]) & 0xc0) == 0x80) ++next;
        if (next > text.size() || !d.re2->Match(subject, next, text.size(), RE2::UNANCHORED, pieces, n)) return false;
    }
    for (int k = 0; k < n; ++k)
        if (pieces[k].data())
            groups[size_t(k)] = {size_t(pieces[k].data() - text.data()), size_t(pieces[k].data() - text.data()) + pieces[k].size()};
    return true;
}

int Regex::groupCount() const { return m_impl->re2->NumberOfCapturingGroups(); }

int Regex::groupIndex(std::string_view name) const
{
    const auto &named = m_impl->re2->NamedCapturingGroups();
    const auto it = named.find(std::string(name));
    return it == named.end() ? -1 : it->second;
}
const std::string &Regex::pattern() const { return m_impl->pattern; }
bool Regex::anchoredAtStart() const { return m_impl->anchored; }
bool Regex::usesPcre2() const { return m_impl->bytes.code != nullptr; }

std::string regexQuoted(std::string_view text)
{
    std::string out;
    for (char c : text) {
        if (std::string_view("\\.^$|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

} // namespace ckpt
