// previewRule (what a rule being edited selects) agrees with the plan the same rule makes once
// it is added: the same tensors, counted the same way, wherever the rule stands, on a table
// large enough to be split between threads.
#include "model/rules/rule_config.h"
#include "model/rules/rule_preview.h"

#include <QTest>

using namespace ckpt;

namespace {

std::vector<PlanInput> names()
{
    std::vector<PlanInput> out;
    for (int l = 0; l < 12; ++l)
        for (int e = 0; e < 300; ++e)
            for (const char *w : {"w1.weight", "w2.weight", "router.bias", "norm.weight"}) {
                PlanInput t;
                t.name = "module.layers." + std::to_string(l) + ".experts." + std::to_string(e) + "." + w;
                t.dtype = w[0] == 'r' ? DType::Float32 : DType::Float16;
                t.shape = w[0] == 'w' ? std::vector<int64_t>{8, 4} : std::vector<int64_t>{4};
                t.numel = w[0] == 'w' ? 32 : 4;
                t.bytes = uint64_t(t.numel) * 2;
                t.entry = out.size();
                out.push_back(std::move(t));
            }
    return out; // 14,400 tensors; more are added below to pass the threading threshold
}

const char *kRules = R"({"rules": [
  {"action": "rename", "regex": "^module\\.", "to": ""},
  {"action": "drop", "match": {"glob": "layers.11.*"}},
  {"action": "rename", "regex": "^layers\\.(\\d+)\\.experts\\.", "to": "l\\1.e."},
  {"action": "freeze", "match": {"suffix": ".weight"}}
 ]})";

Rule parseRule(const std::string &json)
{
    auto set = parseConfig("{\"rules\": [" + json + "]}", ConfigFormat::Json);
    if (!set) qFatal("%s", set.error().message.c_str());
    return set->rules.front();
}

} // namespace

class TestRulePreview final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void previewEqualsThePlan_data()
    {
        QTest::addColumn<QString>("rule");
        QTest::addColumn<int>("position");
        QTest::newRow("drop at the end") << R"({"action": "drop", "match": {"regex": "e\\.1\\d\\.w"}})" << 4;
        QTest::newRow("drop before the renames") << R"({"action": "drop", "match": {"regex": "experts\\.1\\d\\.w"}})" << 1;
        QTest::newRow("group by shape") << R"({"action": "group", "group": "g", "match": {"shape": ["*", 4]}})" << 4;
        QTest::newRow("rename by prefix") << R"({"action": "rename", "prefix": "l3.", "to": "x3."})" << 4;
        QTest::newRow("rename by regex, some names") << R"({"action": "rename", "regex": "e\\.(2\\d\\d)\\.", "to": "E\\1."})" << 4;
        QTest::newRow("nothing matches") << R"({"action": "drop", "match": {"prefix": "module."}})" << 4;
        QTest::newRow("any/all/not") << R"({"action": "drop", "match": {"all": [{"not": {"ndim": 1}}, {"any": [{"glob": "l1.*"}, {"module": "l2.e.7"}]}]}})" << 4;
    }

    void previewEqualsThePlan()
    {
        QFETCH(QString, rule);
        QFETCH(int, position);
        auto inputs = names();
        const auto more = inputs; // 28,800 tensors: the evaluation runs on several threads
        for (auto t : more) {
            t.name = "extra." + t.name;
            inputs.push_back(t);
        }
        auto set = parseConfig(kRules, ConfigFormat::Json);
        QVERIFY(set);
        const Rule candidate = parseRule(rule.toStdString());
        auto preview = previewRule(*set, size_t(position), candidate, inputs);
        QVERIFY(preview);

        // The same rule, added at that position, with the rules after it taken away.
        RuleSet with = *set;
        with.rules.resize(size_t(position));
        const Plan before = (*CompiledRules::compile(with))->evaluate(inputs);
        with.rules.push_back(candidate);
        const Plan after = (*CompiledRules::compile(with))->evaluate(inputs);
        QCOMPARE(preview->tensors, after.rules.back().tensors);
        QCOMPARE(preview->parameters, after.rules.back().parameters);
        size_t selected = 0;
        for (size_t i = 0; i < inputs.size(); ++i) {
            bool expected = false;
            const TensorPlan &b = before.tensors[i], &a = after.tensors[i];
            switch (candidate.action) {
            case Rule::Action::Drop: expected = a.dropped && !b.dropped; break;
            case Rule::Action::Group: expected = !a.groups.empty(); break;
            case Rule::Action::Rename: expected = !a.dropped && a.name != b.name; break;
            default: QFAIL("a case this test does not judge");
            }
            QVERIFY2(preview->selected[i] == expected, inputs[i].name.c_str());
            selected += expected;
        }
        QCOMPARE(selected, preview->tensors);
    }

    /// One base, many keystrokes: a regular expression typed character by character (invalid
    /// on the way), each preview equal to what the plan makes of that rule.
    void oneBaseServesEveryKeystroke()
    {
        auto inputs = names();
        auto set = parseConfig(kRules, ConfigFormat::Json);
        QVERIFY(set);
        const size_t position = 4;
        const PreviewBase base(*set, position, inputs);
        const std::string typed = R"(e\.1\d\.w)";
        for (size_t n = 1; n <= typed.size(); ++n) {
            const std::string pattern = typed.substr(0, n);
            const auto rule = ruleFromJson(R"({"action": "drop", "match": {"regex": ")" + pattern + R"("}})");
            if (!rule) continue; // a JSON escape cut in half
            auto preview = base.preview(*rule);
            RuleSet with = *set;
            with.rules.resize(position);
            with.rules.push_back(*rule);
            auto compiled = CompiledRules::compile(with);
            QCOMPARE(bool(preview), bool(compiled)); // an invalid pattern: both say so
            if (!preview) continue;
            const Plan before = [&] {
                RuleSet b = with;
                b.rules.pop_back();
                return (*CompiledRules::compile(b))->evaluate(inputs);
            }();
            const Plan after = (*compiled)->evaluate(inputs);
            QCOMPARE(preview->tensors, after.rules.back().tensors);
            for (size_t i = 0; i < inputs.size(); ++i)
                QVERIFY2(preview->selected[i] == (after.tensors[i].dropped && !before.tensors[i].dropped), pattern.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestRulePreview)
#include "tst_rule_preview.moc"
