#include "model/commands/diff_run.h"

namespace ckpt {

Result<DiffRun> runDiff(const std::string &pathA, const std::string &pathB, const ConfigInput &config,
                        const std::atomic<bool> *cancel)
{
    auto rules = loadConfigInput(config);
    if (!rules) return rules.error();
    DiffRun run;
    for (int k = 0; k < 2; ++k) {
        const std::string &path = k == 0 ? pathA : pathB;
        auto c = Checkpoint::open(path);
        if (!c) return Error{c.error().message, path};
        (k == 0 ? run.a : run.b) = *c;
    }
    DiffOptions options;
    options.rules = config.given() ? &*rules : nullptr;
    auto report = diffCheckpoints(*run.a, *run.b, options, cancel);
    if (!report) {
        // "A: ..." or "B: ..." names the side; anything else is about the pair.
        const std::string &m = report.error().message;
        if (m.starts_with("A: ")) return Error{m.substr(3), pathA};
        if (m.starts_with("B: ")) return Error{m.substr(3), pathB};
        return Error{m, pathA};
    }
    run.report = std::move(*report);
    return run;
}

} // namespace ckpt
