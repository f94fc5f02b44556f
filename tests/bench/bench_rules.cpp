// Google Benchmark: the live preview evaluates the rules on every keystroke, so 10 rules
// over 100,000 tensor names must take well under a frame (the issue's budget: 20 ms; 14 ms
// median on the 2-core machine).
//   build/release/tests/bench/bench_rules
#include "model/rules/rule_config.h"
#include "model/rules/rule_preview.h"

#include <benchmark/benchmark.h>

using namespace ckpt;

namespace {

std::vector<PlanInput> moeNames()
{
    std::vector<PlanInput> out;
    for (int l = 0; l < 50; ++l)
        for (int e = 0; e < 500; ++e)
            for (const char *w : {"w1.weight", "w2.weight", "w3.weight", "router.bias"}) {
                PlanInput t;
                t.name = "model.layers." + std::to_string(l) + ".block_sparse_moe.experts." +
                         std::to_string(e) + "." + w;
                t.dtype = DType::Float16;
                t.shape = w[0] == 'r' ? std::vector<int64_t>{4} : std::vector<int64_t>{16, 8};
                t.numel = w[0] == 'r' ? 4 : 128;
                t.bytes = uint64_t(t.numel) * 2;
                out.push_back(std::move(t));
            }
    return out;
}

const char *kTenRules = R"({"aliases": {"early": ["layers.[0-9].*", "layers.1[0-9].*"]},
 "rules": [
  {"action": "rename", "prefix": "model.", "to": ""},
  {"action": "rename", "regex": "^layers\\.(\\d+)\\.block_sparse_moe\\.", "to": "blocks.\\1.moe."},
  {"action": "freeze", "match": {"glob": "blocks.*"}},
  {"action": "unfreeze", "match": {"module": "blocks.49"}},
  {"action": "freeze", "match": {"regex": "experts\\.(1|2)\\d\\d\\.w2"}},
  {"action": "group", "group": "no_decay", "match": {"ndim": 1}},
  {"action": "group", "group": "router", "match": {"suffix": "router.bias"}},
  {"action": "cast", "match": {"all": [{"dtype": "float16"}, {"shape": ["*", 8]}]}, "to": "bfloat16"},
  {"action": "drop", "match": {"glob": "blocks.*.moe.experts.499.*"}},
  {"action": "unfreeze", "match": {"any": [{"prefix": "blocks.0."}, {"numel": {"max": 4}}]}}
 ]})";

void EvaluateTenRulesOn100kNames(benchmark::State &state)
{
    const auto inputs = moeNames();
    auto rules = parseConfig(kTenRules, ConfigFormat::Json);
    auto compiled = CompiledRules::compile(*rules);
    for (auto _ : state) benchmark::DoNotOptimize((*compiled)->evaluate(inputs));
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(inputs.size()));
}
BENCHMARK(EvaluateTenRulesOn100kNames)->Unit(benchmark::kMillisecond);

/// The rule being typed: a regular expression over the expert weights.
Rule typedRule()
{
    Rule r;
    r.action = Rule::Action::Freeze;
    r.match = Matcher{};
    r.match->kind = Matcher::Kind::Regex;
    r.match->text = "moe\\.experts\\.4\\d+\\.w[13]";
    return r;
}

// What one keystroke in the rule editor costs: the rules before the edited one, then what the
// candidate (a regular expression being typed) selects among the names they produce.
void PreviewEleventhRuleOn100kNames(benchmark::State &state)
{
    const auto inputs = moeNames();
    auto rules = parseConfig(kTenRules, ConfigFormat::Json);
    const Rule candidate = typedRule();
    // The rules before it ran once (the window keeps that while they stay the same).
    const PreviewBase base(*rules, rules->rules.size(), inputs);
    for (auto _ : state) benchmark::DoNotOptimize(base.preview(candidate));
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(inputs.size()));
}
BENCHMARK(PreviewEleventhRuleOn100kNames)->Unit(benchmark::kMillisecond);

// The first keystroke after the rules changed: the rules before it run once, then the candidate.
void PreviewEleventhRuleOn100kNamesCold(benchmark::State &state)
{
    const auto inputs = moeNames();
    auto rules = parseConfig(kTenRules, ConfigFormat::Json);
    const Rule candidate = typedRule();
    for (auto _ : state) benchmark::DoNotOptimize(previewRule(*rules, rules->rules.size(), candidate, inputs));
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(inputs.size()));
}
BENCHMARK(PreviewEleventhRuleOn100kNamesCold)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
