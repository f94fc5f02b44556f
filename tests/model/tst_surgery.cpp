// Surgery rules without files: the config contract read and written back, the plan they make
// over a tensor table (names, shapes, what later rules see), and the byte layout copies checked
// against index arithmetic done the slow way.
#include "model/export/recipe_bytes.h"
#include "model/rules/rule_config.h"

#include <QTest>

#include <numeric>

using namespace ckpt;

namespace {

std::vector<PlanInput> table(const std::vector<std::pair<std::string, std::vector<int64_t>>> &tensors)
{
    std::vector<PlanInput> out;
    for (const auto &[name, shape] : tensors) {
        PlanInput t;
        t.name = name;
        t.path = {name};
        t.dtype = DType::Float32;
        t.shape = shape;
        t.numel = std::accumulate(shape.begin(), shape.end(), int64_t(1), std::multiplies<>());
        t.bytes = uint64_t(t.numel) * 4;
        t.entry = out.size();
        out.push_back(std::move(t));
    }
    return out;
}

Plan planOf(const std::string &config, const std::vector<PlanInput> &inputs)
{
    auto set = parseConfig(config, ConfigFormat::Json);
    if (!set) qFatal("config: %s", set.error().message.c_str());
    auto compiled = CompiledRules::compile(*set);
    if (!compiled) qFatal("compile: %s", compiled.error().message.c_str());
    return (*compiled)->evaluate(inputs);
}

const AddedTensor *made(const Plan &plan, const std::string &name)
{
    for (const auto &a : plan.added)
        if (a.name == name) return &a;
    return nullptr;
}

std::string errors(const Plan &plan)
{
    std::string out;
    for (const auto &d : plan.diagnostics)
        if (d.severity == Diagnostic::Severity::Error) out += d.message + "\n";
    return out;
}

} // namespace

class TestSurgery : public QObject
{
    Q_OBJECT

private slots:
    void configRoundTrips()
    {
        const std::string text = R"({"sources": {"text": "t.safetensors", "img": {"path": "vit.ckpt", "weights": ["state_dict"]}},
          "rules": [
            {"action": "take", "from": "text", "match": {"prefix": "encoder."}, "prefix": "encoder.", "to": "text_encoder."},
            {"action": "stack", "match": {"regex": "^layers\\.(\\d+)\\.(.+)$"}, "to": "layers.\\2", "key": "\\1", "axis": 0},
            {"action": "concat", "match": {"regex": "^(.+)\\.(q|k|v)$"}, "to": "\\1.qkv", "key": "\\2", "order": ["q", "k", "v"], "axis": 1},
            {"action": "unstack", "match": {"name": "x"}, "axis": 0, "to": "layers.{i}.x"},
            {"action": "split", "match": {"regex": "(.+)\\.qkv"}, "axis": 0, "parts": [{"to": "\\1.q", "size": 768}, {"to": "\\1.k"}, {"to": "\\1.v"}]},
            {"action": "transpose", "match": {"glob": "*.w"}, "dims": [1, 0]},
            {"action": "reshape", "match": {"glob": "*.w"}, "shape": [32, -1]},
            {"action": "lora", "from": "img", "scale": 0.5},
            {"action": "merge", "method": "ties", "match": "*", "weights": {"self": 0.5, "text": 0.5}, "base": "img", "density": 0.2},
            {"action": "unpermute_heads", "match": {"glob": "*.q"}, "heads": ["a.heads_kv", "a.heads"], "optional": true},
            {"action": "permute_heads", "match": {"glob": "*.k"}, "heads": 8},
            {"action": "shift", "match": {"glob": "*norm*"}, "by": -1.5, "note": "Gemma"}
          ],
          "gguf_metadata": {"general.architecture": "llama", "a.heads": 8, "a.scores": {"type": "float32", "value": [0.5]}, "gone": null}})";
        auto set = parseConfig(text, ConfigFormat::Json);
        QVERIFY2(set, set ? "" : set.error().message.c_str());
        QCOMPARE(set->sources.size(), size_t(2));
        QCOMPARE(set->rules[2].order, (std::vector<std::string>{"q", "k", "v"}));
        QVERIFY(!set->rules[4].parts[1].size);
        QCOMPARE(set->rules[8].density, 0.2);
        QCOMPARE(set->rules[9].headsKeys, (std::vector<std::string>{"a.heads_kv", "a.heads"}));
        QVERIFY(set->rules[9].optional && !set->rules[10].optional);
        QCOMPARE(set->rules[10].heads, int64_t(8));
        QCOMPARE(set->rules[11].by, -1.5);
        QCOMPARE(set->ggufMetadata.size(), size_t(4));
        QCOMPARE(set->ggufMetadata[3].second, std::string("null"));
        for (auto format : {ConfigFormat::Json, ConfigFormat::Yaml}) {
            auto back = parseConfig(writeRules(*set, format), format);
            QVERIFY2(back, back ? "" : back.error().message.c_str());
            QVERIFY(*back == *set);
        }
    }

    void configErrorsNameTheField()
    {
        const std::pair<const char *, const char *> cases[] = {
            {R"({"action": "unstack", "match": "x", "to": "y"})", "rules[0].to: must hold {i}"},
            {R"({"action": "split", "match": "x", "parts": [{"to": "a"}]})", "rules[0].parts: expected a list of two parts"},
            {R"({"action": "merge", "match": "x", "method": "dare", "weights": {"a": 1}})", "rules[0].method: 'dare'"},
            {R"({"action": "merge", "match": "x", "method": "slerp", "weights": {"a": 1, "b": 1}})", "a slerp merges two models"},
            {R"({"action": "transpose", "match": "x", "dims": [0, 0]})", "rules[0].dims: not a permutation"},
            {R"({"action": "reshape", "match": "x", "shape": [-1, -1]})", "only one size may be -1"},
            {R"({"action": "take", "match": "x"})", "a take needs \"from\""},
            {R"({"action": "stack", "match": {"glob": "x.*"}, "to": "y", "key": "\\1"})", "rules[0].match: a stack groups names by a regex"},
            {R"({"action": "permute_heads", "match": "x"})", "a permute_heads needs \"heads\""},
            {R"({"action": "unpermute_heads", "match": "x", "heads": 0})", "rules[0].heads: not a number of heads"},
            {R"({"action": "unpermute_heads", "match": "x", "heads": [1]})", "rules[0].heads[0]: expected a string"},
            {R"({"action": "shift", "match": "x", "by": "one"})", "rules[0].by: expected a number"},
            {R"({"action": "drop", "match": "x", "optional": 1})", "rules[0].optional: expected true or false"},
        };
        for (const auto &[rule, want] : cases) {
            auto set = parseConfig(std::string(R"({"rules": [)") + rule + "]}", ConfigFormat::Json);
            std::string message = set ? "" : set.error().message;
            if (set) {
                auto compiled = CompiledRules::compile(*set);
                message = compiled ? "" : compiled.error().message;
            }
            QVERIFY2(message.find(want) != std::string::npos, (rule + std::string(" -> ") + message).c_str());
        }
        auto self = parseConfig(R"({"sources": {"self": "x.pt"}})", ConfigFormat::Json);
        QVERIFY(!self && self.error().message.starts_with("sources.self:"));
        auto missing = parseConfig(R"({"sources": {"ft": "/nowhere/ft.safetensors"}})", ConfigFormat::Json);
        QVERIFY(missing);
        auto compiled = CompiledRules::compile(*missing);
        QVERIFY(!compiled);
        QCOMPARE(compiled.error().message, std::string("sources.ft: /nowhere/ft.safetensors: no such file"));
    }

    void headsComeFromTheMetadataAndOptionalRulesMayMatchNothing()
    {
        // q [8, 3] as 2 heads of 2 pairs: unpermute_heads reads rows (h, i, pair) as (h, pair, i).
        const auto inputs = table({{"blk.0.attn_q.weight", {8, 3}}, {"norm", {3}}});
        const std::string config = R"({"rules": [
            {"action": "unpermute_heads", "match": {"glob": "*attn_q*"}, "heads": ["llama.attention.head_count"]},
            {"action": "shift", "match": {"name": "norm"}, "by": -1},
            {"action": "rename", "regex": "^output\\.", "to": "lm_head.", "optional": true}]})";
        auto set = parseConfig(config, ConfigFormat::Json);
        QVERIFY(set);
        const Plan without = (*CompiledRules::compile(*set))->evaluate(inputs);
        QVERIFY2(errors(without).find("heads: the checkpoint has no metadata key 'llama.attention.head_count'") !=
                     std::string::npos, errors(without).c_str());
        set->metadata = {{"llama.attention.head_count", "2"}};
        const Plan plan = (*CompiledRules::compile(*set))->evaluate(inputs);
        QVERIFY2(errors(plan).empty(), errors(plan).c_str()); // the optional rename matched nothing: no error
        const AddedTensor *q = made(plan, "blk.0.attn_q.weight");
        QVERIFY(q && q->shape == (std::vector<int64_t>{8, 3}));
        const RecipeStep &back = plan.recipes->steps[size_t(q->recipe)];
        QCOMPARE(back.op, RecipeStep::Op::Reshape);
        const RecipeStep &swap = plan.recipes->steps[size_t(back.operands[0])];
        QCOMPARE(swap.op, RecipeStep::Op::Transpose);
        QCOMPARE(swap.dims, (std::vector<int64_t>{0, 2, 1, 3}));
        QCOMPARE(plan.recipes->steps[size_t(swap.operands[0])].shape, (std::vector<int64_t>{2, 2, 2, 3}));
        QVERIFY(made(plan, "norm") && plan.recipes->steps[size_t(made(plan, "norm")->recipe)].by == -1);
        set->metadata = {{"llama.attention.head_count", "3"}}; // 8 rows are not 3 heads of pairs
        QVERIFY(errors((*CompiledRules::compile(*set))->evaluate(inputs)).find("do not split into 3 heads") != std::string::npos);
        set->rules[2].optional = false;
        set->metadata = {{"llama.attention.head_count", "2"}};
        QVERIFY(errors((*CompiledRules::compile(*set))->evaluate(inputs)).find("matches no tensor") != std::string::npos);
    }

    void laterRulesSeeWhatSurgeryMade()
    {
        auto inputs = table({{"layers.0.w", {3, 4}}, {"layers.1.w", {3, 4}}, {"layers.2.w", {3, 4}},
                             {"layers.10.w", {3, 4}}, {"head", {2}}});
        // Keys 0, 1, 2, 10: not complete.
        Plan gap = planOf(R"({"rules": [{"action": "stack", "match": {"regex": "^layers\\.(\\d+)\\.w$"}, "to": "layers.w", "key": "\\1"}]})", inputs);
        QVERIFY2(errors(gap).find("key 3 is missing") != std::string::npos, errors(gap).c_str());
        inputs[3].name = "layers.3.w";
        Plan plan = planOf(R"({"rules": [
            {"action": "freeze", "match": {"glob": "layers.*"}},
            {"action": "stack", "match": {"regex": "^layers\\.(\\d+)\\.w$"}, "to": "layers.w", "key": "\\1"},
            {"action": "rename", "prefix": "layers.", "to": "blocks."},
            {"action": "cast", "match": {"name": "blocks.w"}, "to": "bfloat16"},
            {"action": "group", "match": {"name": "blocks.w"}, "group": "stacked"}]})", inputs);
        QVERIFY2(!plan.hasErrors(), errors(plan).c_str());
        const AddedTensor *w = made(plan, "blocks.w");
        QVERIFY(w);
        QCOMPARE(w->shape, (std::vector<int64_t>{4, 3, 4}));
        QCOMPARE(w->dtype, DType::BFloat16);
        QVERIFY(w->frozen); // every stacked tensor was frozen
        QCOMPARE(w->groups, (std::vector<std::string>{"stacked"}));
        QCOMPARE(plan.recipes->steps[size_t(w->recipe)].op, RecipeStep::Op::Edit); // the cast, over the stack
        for (int i = 0; i < 4; ++i) QCOMPARE(plan.tensors[size_t(i)].consumedBy, 1);
        QVERIFY(!plan.tensors[4].dropped);
        QCOMPARE(plan.rules[2].tensors, size_t(1)); // the rename saw the stacked tensor
    }

    void splitSharesWhatIsLeftAndSaysWhenItDoesNotDivide()
    {
        auto inputs = table({{"attn.qkv", {10, 2}}});
        Plan plan = planOf(R"({"rules": [{"action": "split", "match": {"regex": "^(.+)\\.qkv$"}, "parts": [
            {"to": "\\1.q", "size": 4}, {"to": "\\1.k"}, {"to": "\\1.v"}]}]})", inputs);
        QVERIFY2(!plan.hasErrors(), errors(plan).c_str());
        QCOMPARE(made(plan, "attn.q")->shape, (std::vector<int64_t>{4, 2}));
        QCOMPARE(made(plan, "attn.v")->shape, (std::vector<int64_t>{3, 2}));
        Plan odd = planOf(R"({"rules": [{"action": "split", "match": "attn.qkv", "parts": [{"to": "a", "size": 3}, {"to": "b"}, {"to": "c"}]}]})", inputs);
        QVERIFY(errors(odd).find("does not divide") != std::string::npos);
        Plan twice = planOf(R"({"rules": [{"action": "split", "match": "attn.qkv", "parts": [{"to": "a"}, {"to": "a"}]}]})", inputs);
        QVERIFY2(errors(twice).find("a is made twice") != std::string::npos, errors(twice).c_str());
    }

    void permuteMatchesIndexArithmetic()
    {
        const std::vector<int64_t> shape{2, 3, 4, 5};
        const std::vector<int64_t> dims{2, 0, 3, 1};
        std::vector<char> in(size_t(2 * 3 * 4 * 5) * 2);
        for (size_t i = 0; i < in.size(); ++i) in[i] = char(i * 7 + 3);
        const auto out = layout::permute(in, shape, dims, 2);
        size_t at = 0;
        for (int64_t a = 0; a < 4; ++a)
            for (int64_t b = 0; b < 2; ++b)
                for (int64_t c = 0; c < 5; ++c)
                    for (int64_t d = 0; d < 3; ++d, at += 2) {
                        const size_t src = size_t(((b * 3 + d) * 4 + a) * 5 + c) * 2; // in[b][d][a][c]
                        QCOMPARE(out[at], in[src]);
                        QCOMPARE(out[at + 1], in[src + 1]);
                    }
        // A slice and a concat on a middle axis undo each other.
        const auto left = layout::slice(in, shape, 2, 0, 1, 2), right = layout::slice(in, shape, 2, 1, 3, 2);
        QCOMPARE(layout::concat({&left, &right}, {{2, 3, 1, 5}, {2, 3, 3, 5}}, 2, 2), in);
    }
};

QTEST_GUILESS_MAIN(TestSurgery)
#include "tst_surgery.moc"
