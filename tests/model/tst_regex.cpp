// Regex: PCRE2's fast path gives RE2's answers (match, span and every group) on a corpus of
// patterns and names chosen where the two engines could part; the constructs they read
// differently, non-ASCII names and runaway backtracking go to RE2; the rename template is
// Python's.
#include "model/match/regex.h"
#include "model/match/replacement.h"

#include <QTest>

#include <re2/re2.h>

#include <chrono>
#include <functional>
#include <random>

using namespace ckpt;

namespace {

const char *const kPatterns[] = {
    "^module\\.(.*)$", "^layers\\.(\\d+)\\.", "layer(\\d)\\.(\\d)\\.", "\\.(weight|bias)$", "experts\\.(1|2)\\d\\d\\.w2",
    "(a|ab)(c|bcd)(d*)", "(a+)(b+)?", "(a*)*", "(a*)+", "(a|b)*?c", "x*", "", "^", "$", "\\b", "\\B", "a??",
    "(?i)ENCODER\\.(\\w+)", "(?i)k", "(?s)a.b", "a.b", "(?m)^b$", "(?m)^", "a$", "a\\z", "[^a]", "[^.]+$",
    "\\w+\\.\\w+", "\\W", "\\d{2,3}", "[[:alpha:]]+", "[[:^digit:]]+", "[a-c-]+", "\\Q.*\\E", "(?U)a+", "a+?",
    "(?P<layer>\\d+)\\.(?P<part>\\w+)", "^(?:blocks|layers)\\.(\\d+)\\.(attn|mlp)\\.", "(\\.)(\\.)?", "\\x41",
    "\\.$", "^$", "(|a)+", "(a|)+b", "((a)|b)+", "(a)|(b)", "[\\d.]+", "\\A\\w", "(?i)[A-Z]+\\d", "norm\\d?\\.",
    "(?m)$", "(?m)a$", "(?m)^\\w+$", "\\b\\w", "[\\n]", "(?s).+", ".+", "a|b|", "(a)?b", "(?:a|b)+?b", "[]a]", "[^]a]",
    "(?i)[^a]", "\\x{41}", "\\t", "[\\t\\n\\r\\f]", "(?i:A)b", "a(?i)B", "(?-s:.)", "x{0}", "(?:)", "\\.{2,}",
};

const char *const kNames[] = {
    "", "a", "ab", "abcd", "aaab", "b", "c", "module.encoder.layers.0.weight", "layers.12.attn.qkv.bias",
    "layer1.0.conv1.weight", "blocks.3.mlp.fc1.weight", "model.layers.7.block_sparse_moe.experts.123.w2.weight",
    "a\nb", "a\n", "\nb", "b\n", "ENCODER.x", "encoder.y", "K", "k", "..", "...weight", "x.y", "A1", "aBc9",
    "norm.bias", "norm1.weight", "head.fc.weight", "12.weight", "axb", "a.b", " a b ", "a\tb", "z", "a\r\nb",
    "a\fb", "\n", "]a", "Ab", "aB", "AB",
    // UTF-8 names (PCRE2's UTF mode): accents, Greek, CJK, a 4-byte character, case pairs.
    "encod\xc3\xa9r.layer.2.weight", "\xce\xb1\xce\xb2.1.w", "\xe5\xb1\x82.4.bias", "a\xf0\x9f\x98\x80b",
    "caf\xc3\xa9.\xc3\x89t\xc3\xa9", "\xc3\xa9", "K\xe2\x84\xaa", "\xc5\xbfs", "x\xc2\xa0y",
};

/// RE2's own answer for a search from `from`: the groups' spans, or nothing.
std::optional<std::vector<Regex::Span>> re2Find(const std::string &pattern, bool dotNl, std::string_view text, size_t from)
{
    RE2::Options options;
    options.set_log_errors(false);
    options.set_dot_nl(dotNl);
    RE2 re(pattern, options);
    const int n = std::min(Regex::kMaxGroups, re.NumberOfCapturingGroups() + 1);
    std::vector<re2::StringPiece> pieces(static_cast<size_t>(n));
    if (!re.Match(re2::StringPiece(text.data(), text.size()), from, text.size(), RE2::UNANCHORED, pieces.data(), n))
        return std::nullopt;
    std::vector<Regex::Span> spans;
    for (const auto &p : pieces)
        spans.push_back(p.data() ? Regex::Span{size_t(p.data() - text.data()), size_t(p.data() - text.data()) + p.size()}
                                 : Regex::kUnset);
    return spans;
}

/// Loops whose body can match empty: RE2 and backtracking engines (PCRE2, and Python's re,
/// the reference) report different groups inside them, and agree on the match itself.
bool hasEmptyLoop(const std::string &pattern)
{
    for (const char *loop : {"(a*)*", "(a*)+", "(|a)+", "(a|)+"})
        if (pattern.find(loop) != std::string::npos) return true;
    return false;
}

std::string describe(const std::string &pattern, std::string_view name, size_t from)
{
    return "pattern '" + pattern + "' on '" + std::string(name) + "' from " + std::to_string(from);
}

} // namespace

class TestRegex final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pcre2GivesRe2sAnswers()
    {
        int viaPcre2 = 0, compared = 0;
        for (const std::string pattern : kPatterns)
            for (const bool dotNl : {false, true}) {
                auto re = Regex::create(pattern, {Regex::Mode::Search, dotNl});
                QVERIFY2(re, pattern.c_str());
                viaPcre2 += re->usesPcre2();
                for (const std::string_view name : kNames)
                    for (size_t from = 0; from <= name.size(); ++from) {
                        const auto expected = re2Find(pattern, dotNl, name, from);
                        std::vector<Regex::Span> got(size_t(re->groupCount() + 1));
                        const bool found = re->find(name, from, got);
                        const std::string what = describe(pattern, name, from);
                        QVERIFY2(found == expected.has_value(), what.c_str());
                        if (from == 0) QVERIFY2(re->matches(name) == found, what.c_str());
                        if (!found) continue;
                        for (size_t k = 0; k < (hasEmptyLoop(pattern) ? 1 : expected->size()); ++k) {
                            QVERIFY2(got[k].begin == (*expected)[k].begin && got[k].end == (*expected)[k].end,
                                     (what + ", group " + std::to_string(k)).c_str());
                        }
                        ++compared;
                    }
            }
        // Every pattern of the corpus is one PCRE2 can take: the comparison is of the fast path.
        QCOMPARE(viaPcre2, int(std::size(kPatterns)) * 2);
        QVERIFY(compared > 1000);
    }

    void randomPatternsAgreeOnTheMatch()
    {
        // Patterns built from every construct PCRE2 takes, over a small alphabet so that they
        // match often; the match (not the groups: see hasEmptyLoop) must equal RE2's.
        std::mt19937 random(7);
        auto pick = [&](std::initializer_list<const char *> items) {
            return std::string(*(items.begin() + std::uniform_int_distribution<size_t>(0, items.size() - 1)(random)));
        };
        std::function<std::string(int)> make = [&](int depth) -> std::string {
            const int choice = std::uniform_int_distribution<int>(0, depth > 2 ? 3 : 9)(random);
            switch (choice) {
            case 0: case 1: return pick({"a", "b", "\\.", "x", "1"});
            case 2: return pick({".", "[ab]", "[^a]", "\\d", "\\w", "\\W", "[a-x]", "[.\\n]"});
            case 3: return pick({"^", "$", "\\b", "\\B", "\\A", "\\z", ""});
            case 4: case 5: return make(depth + 1) + make(depth + 1);
            case 6: return make(depth + 1) + "|" + make(depth + 1);
            case 7: return "(" + make(depth + 1) + ")" + pick({"*", "+", "?", "*?", "+?", "??", "{1,2}", "{2}", ""});
            case 8: return "(?:" + make(depth + 1) + ")" + pick({"*", "+", "?", "{0,3}"});
            default: return pick({"(?i)", "(?s)", "(?m)", "(?U)", ""}) + make(depth + 1);
            }
        };
        const std::string names[] = {"", "a", "ab", "ba.", "a.b\n1", "xAb", "\nab\n", "11.a", "aaa.bbb", "B.A", "x1x.",
                                     "\xc3\xa9a.b", "a\xce\xb1\n1", "\xe5\xb1\x82x1"};
        int compared = 0;
        for (int p = 0; p < 3000; ++p) {
            const std::string pattern = make(0);
            auto re = Regex::create(pattern, {});
            if (!re) continue; // RE2 refuses a few ("x**")
            QVERIFY2(re->usesPcre2(), pattern.c_str());
            for (const std::string &name : names)
                for (size_t from = 0; from <= name.size(); ++from) {
                    const auto expected = re2Find(pattern, false, name, from);
                    Regex::Span got[1];
                    const bool found = re->find(name, from, got);
                    const std::string what = describe(pattern, name, from);
                    QVERIFY2(found == expected.has_value(), what.c_str());
                    if (found)
                        QVERIFY2(got[0].begin == (*expected)[0].begin && got[0].end == (*expected)[0].end, what.c_str());
                    ++compared;
                }
        }
        QVERIFY(compared > 100000);
    }

    void afterAnEmptyMatchTheSearchMovesOn()
    {
        // What re.sub asks after an empty match: never that empty match again, on both paths
        // (ASCII names take PCRE2's, the others RE2's), and a match at or after the position.
        const std::string_view nonAscii[] = {"\xc3\xa9t\xc3\xa9", "a\xc3\xa9b", "\xce\xb1.1.b"};
        for (const std::string pattern : kPatterns) {
            auto re = Regex::create(pattern, {});
            for (const std::string_view name : kNames)
                for (size_t from = 0; from <= name.size(); ++from) {
                    std::vector<Regex::Span> got(1);
                    if (!re->find(name, from, got, true)) continue;
                    QVERIFY2(got[0].begin >= from && !(got[0].begin == from && got[0].end == from),
                             describe(pattern, name, from).c_str());
                }
            for (const std::string_view name : nonAscii) {
                std::vector<Regex::Span> got(1);
                if (!re->find(name, 0, got, true)) continue;
                QVERIFY2(!(got[0].begin == 0 && got[0].end == 0), describe(pattern, name, 0).c_str());
            }
        }
        // PCRE2's path finds the longer match at the same place, as Python's re does.
        auto lazy = Regex::create("^(.*?)", {});
        std::vector<Regex::Span> got(1);
        QVERIFY(lazy->find("abc", 0, got, true));
        QCOMPARE(got[0].begin, size_t(0));
        QCOMPARE(got[0].end, size_t(1));
    }

    void fullMatchIsTheWholeName()
    {
        for (const std::string pattern : {"a.*", "(a|ab)", "layer[0-9]\\..*", "x*"})
            for (const std::string_view name : kNames) {
                auto re = Regex::create(pattern, {Regex::Mode::FullMatch, true});
                QVERIFY(re);
                RE2::Options options;
                options.set_dot_nl(true);
                QVERIFY2(re->matches(name) == RE2::FullMatch(name, RE2(pattern, options)),
                         describe(pattern, name, 0).c_str());
            }
    }

    void constructsReadDifferentlyStayWithRe2()
    {
        // \v, \s, octal escapes, Unicode classes, "{,n}" and non-ASCII patterns.
        for (const char *pattern : {"a\\vb", "\\s", "\\S+", "\\101", "\\pL", "\\p{Greek}", "a{,2}", "é"}) {
            auto re = Regex::create(pattern, {});
            QVERIFY2(re, pattern);
            QVERIFY2(!re->usesPcre2(), pattern);
        }
        auto tab = Regex::create("a\\vb", {});
        QVERIFY(tab->matches("a\vb"));
        QVERIFY(!tab->matches("a\nb")); // PCRE2's \v would take the newline
        auto space = Regex::create("^\\s$", {});
        QVERIFY(!space->matches("\v")); // RE2's \s has no vertical tab
        auto octal = Regex::create("\\101", {});
        QVERIFY(octal->matches("A"));
        auto brace = Regex::create("a{,2}", {});
        QVERIFY(brace->matches("a{,2}"));
        QVERIFY(!brace->matches("aa"));
    }

    void nonAsciiNamesAreCharacters()
    {
        auto dot = Regex::create("^a.b$", {});
        QVERIFY(dot->usesPcre2());
        QVERIFY(dot->matches("a\xc3\xa9" "b")); // é is one character, as in Python
        auto cls = Regex::create("^[^x]$", {});
        QVERIFY(cls->matches("\xc3\xa9"));
        auto fold = Regex::create("(?i)^\xc3\xa9$", {}); // a non-ASCII pattern: RE2 only
        QVERIFY(!fold->usesPcre2());
        QVERIFY(fold->matches("\xc3\x89")); // É
        // Not UTF-8: RE2 answers (PCRE2's UTF mode would refuse the name).
        auto any = Regex::create("^a.b$", {});
        QCOMPARE(any->matches("a\xff" "b"), RE2::PartialMatch("a\xff" "b", RE2("^a.b$")));
        auto bytes = Regex::create("^a\\Cb$", {}); // \C: one byte, RE2 only
        QVERIFY(!bytes->usesPcre2());
    }

    void runawayBacktrackingIsAnsweredByRe2()
    {
        auto re = Regex::create("^(a|aa)*c$", {});
        QVERIFY(re->usesPcre2());
        const std::string name(60, 'a');
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 200; ++i) QVERIFY(!re->matches(name));
        QVERIFY(re->matches(std::string(60, 'a') + "c"));
        // Exponential in a backtracking engine (2^60 paths); bounded here. A generous bound:
        // this asserts "does not hang", not a speed.
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
    }

    void anchoredAtStart()
    {
        QVERIFY(Regex::create("^layers\\.", {})->anchoredAtStart());
        QVERIFY(Regex::create("^a|^b", {})->anchoredAtStart());
        QVERIFY(!Regex::create("(?m)^a", {})->anchoredAtStart());
        QVERIFY(!Regex::create("a|^b", {})->anchoredAtStart());
        QVERIFY(!Regex::create("a", {})->anchoredAtStart());
    }

    void errorsAreRe2s()
    {
        auto re = Regex::create("layer(", {});
        QVERIFY(!re);
        QVERIFY2(re.error().message.find("missing )") != std::string::npos, re.error().message.c_str());
        QVERIFY(!Regex::create("(?=x)", {})); // lookahead: RE2 syntax has none
        QVERIFY(!Regex::create("(a)\\1", {})); // nor back references
    }

    void replacementIsPythons()
    {
        auto re = Regex::create("(?P<a>x)(y)(z)?", {});
        QVERIFY(re);
        struct Case
        {
            const char *to;
            const char *expected; // for "xy"; nullptr: an error
        } cases[] = {
            {"\\1-\\2", "x-y"}, {"\\g<a>\\g<2>", "xy"}, {"\\g<0>!", "xy!"}, {"[\\3]", "[]"}, {"\\\\", "\\"},
            {"\\0", "\0"}, {"\\101", "A"}, {"\\n", "\n"}, {"\\&", "\\&"}, {"\\4", nullptr}, {"\\q", nullptr},
            {"\\g<b>", nullptr}, {"\\g<1", nullptr}, {"x\\", nullptr}, {"\\777", nullptr},
        };
        for (const Case &c : cases) {
            auto r = Replacement::parse(c.to, *re);
            QVERIFY2(bool(r) == (c.expected != nullptr), c.to);
            if (!r) continue;
            std::vector<Regex::Span> groups(r->groupsNeeded());
            QVERIFY(re->find("xy", 0, groups));
            std::string out;
            r->appendTo(out, "xy", groups);
            QCOMPARE(out, std::string(c.expected, std::strlen(c.expected) + (c.to == std::string("\\0"))));
        }
        // \10 is group 10, as Python reads it (not \1 and a 0).
        auto ten = Regex::create("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)", {});
        auto r = Replacement::parse("\\10", *ten);
        QVERIFY(r);
        std::vector<Regex::Span> groups(r->groupsNeeded());
        QVERIFY(ten->find("abcdefghij", 0, groups));
        std::string out;
        r->appendTo(out, "abcdefghij", groups);
        QCOMPARE(out, std::string("j"));
    }
};

QTEST_GUILESS_MAIN(TestRegex)
#include "tst_regex.moc"
