// ckpt: the command-line twin of Checkpoint Studio. Every command is a call into model/.
#include "cli_args.h"
#include "commands.h"

#include "model/remote/range_cache.h"

#include <iostream>

namespace {

constexpr const char *kUsage = R"(usage: ckpt COMMAND [ARGS]

Looks inside deep-learning checkpoints without running anything in them.

commands:
  inspect PATH... [--json]   list every tensor (path, dtype, shape, parameters, size) and
                             a summary; PATH is a .pt/.pth/.bin/.ckpt, a .safetensors file,
                             an index.json of a sharded model, or the folder holding one
  scan PATH [--json | --format text|json|sarif] [--strict]
                             the safety report: every global the pickles name, classed as
                             tensor-rebuild, safe, unknown (code loading needs) or
                             dangerous, anomalies, and whether torch.load(weights_only=True)
                             would accept the file; PATH may also be a zip of pickles, a
                             NumPy .npy/.npz, or a folder (every file in it, recursively);
                             --strict exits 3 when loading needs any code at all
  plan PATH --config CFG [--json] [--step N] [--emit FORMAT [-o FILE]]
                             what a rules config (freeze, unfreeze, drop, rename, group,
                             cast, resize, add) does to the checkpoint's weights: per-rule
                             counts, diagnostics, and every tensor's new name, frozen flag, groups
                             and dtype (--step applies the freeze schedule up to step N);
                             --emit json|yaml writes the config with its resolved result,
                             python a function that applies it to an nn.Module; anemoi,
                             kempnerforge, linnaeus the blocks those trainers read

  apply PATH --config CFG -o OUT [--format pt|safetensors|npz|gguf] [--gguf-type f32|f16|bf16|q8_0] [--weights-only]
        [--optimizer abort|drop|reset] [--tied duplicate|alias] [--shard-size SIZE] [--write-config FILE]
                             write the checkpoint as the rules make it (renames, drops,
                             casts, resizes, added tensors), streamed to a temporary file,
                             verified, then renamed into place

  compare PATH --target TARGET [--config CFG] [--json] [--suggest OUT.json]
                             would the checkpoint (after the config's rules) load into the
                             target (a checkpoint, safetensors, a TorchScript archive or a
                             JSON manifest {name: {"shape": [...], "dtype": "..."}}) with a
                             strict load_state_dict? Lists missing, unexpected, mis-shaped
                             and re-typed names and proposes fixes as rules; --suggest
                             writes the config plus every proposal

  diff A B [--config CFG] [--json] [--top N]
                             tensor by tensor: identical bytes, changed (max |a-b|, mean
                             |a-b|, ||a-b||/||a||, cosine, in float64), added, removed,
                             shape or dtype changed; the config's renames align the names

PATH, TARGET, A and B may be addresses: https://... or http://... (read with range requests),
hf://ORG/REPO[@REVISION][/PATH] (the Hugging Face Hub; HF_TOKEN, HF_ENDPOINT) and
s3://BUCKET/KEY (SigV4 with the AWS environment or ~/.aws; AWS_ENDPOINT_URL for S3-compatible
stores). Only the bytes asked for are fetched; fetched ranges are cached on disk (the XDG
cache folder, CKPT_CACHE_MAX_MB); --no-cache fetches everything again.

exit status: 0 ok; 2 unreadable input, invalid config or bad usage; scan: 3 when something is
dangerous (with --strict, also when code is needed); plan: 1 when a diagnostic is an error; compare: 1 when a strict load would fail;
diff: 1 when the files differ
)";

} // namespace

int main(int argc, char **argv)
{
    using namespace ckpt::cli;
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::cout << kUsage;
        return argc < 2 ? Unreadable : Ok;
    }
    const std::string command = argv[1];
    if (command == "--version") {
        std::cout << "ckpt " CKPT_VERSION "\n";
        return Ok;
    }
    const std::vector<std::string> rest(argv + 2, argv + argc);
    std::string error;
    try {
        if (command == "inspect" || command == "scan" || command == "plan" || command == "apply" ||
            command == "compare" || command == "diff") {
            const CliArgs args = parseArgs(rest, {"--json", "--weights-only", "--strict", "--no-cache"},
                                           {"--config", "--step", "--emit", "-o", "--format", "--optimizer",
                                            "--tied", "--write-config", "--shard-size", "--gguf-type", "--target", "--suggest", "--top"},
                                           error);
            if (!error.empty()) {
                std::cerr << "ckpt " << command << ": " << error << "\n";
                return Unreadable;
            }
            if (args.has("--no-cache")) ckpt::RangeCache::shared().setEnabled(false);
            if (command == "plan") return runPlan(args);
            if (command == "apply") return runApply(args);
            if (command == "compare") return runCompare(args);
            if (command == "diff") return runDiff(args);
            return command == "inspect" ? runInspect(args) : runScan(args);
        }
    } catch (const std::exception &e) {
        printError(rest.empty() ? command : rest.front(), e.what());
        return Unreadable;
    }
    std::cerr << "ckpt: unknown command '" << command << "'\n" << kUsage;
    return Unreadable;
}
