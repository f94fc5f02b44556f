#include "commands.h"

#include "model/report/diff_report.h"
#include "model/rules/rule_config.h"

#include <iostream>

namespace ckpt::cli {

int runDiff(const CliArgs &args)
{
    if (args.positional.size() != 2) {
        std::cerr << "usage: ckpt diff A B [--config CFG] [--json] [--top N]\n";
        return Unreadable;
    }
    std::optional<RuleSet> rules;
    if (const auto config = args.options.find("--config"); config != args.options.end()) {
        auto loaded = loadConfig(config->second);
        if (!loaded) {
            printError(config->second, loaded.error().message);
            return Unreadable;
        }
        rules = std::move(*loaded);
    }
    size_t top = 20;
    if (const auto t = args.options.find("--top"); t != args.options.end()) {
        try {
            const long long n = std::stoll(t->second);
            if (n < 0) throw std::invalid_argument("negative");
            top = size_t(n);
        } catch (const std::exception &) {
            std::cerr << "ckpt diff: --top needs a non-negative integer\n";
            return Unreadable;
        }
    }
    std::shared_ptr<const Checkpoint> sides[2];
    for (int k = 0; k < 2; ++k) {
        auto c = Checkpoint::open(args.positional[size_t(k)]);
        if (!c) {
            printError(args.positional[size_t(k)], c.error().message);
            return Unreadable;
        }
        sides[k] = *c;
        keepUntilExit(sides[k]);
    }
    DiffOptions options;
    options.rules = rules ? &*rules : nullptr;
    auto report = diffCheckpoints(*sides[0], *sides[1], options);
    if (!report) {
        // "A: ..." or "B: ..." names the side; anything else is about the pair.
        const std::string &m = report.error().message;
        const bool b = m.starts_with("B: ");
        printError(args.positional[b ? 1 : 0], m.starts_with("A: ") || b ? m.substr(3) : m);
        return Unreadable;
    }
    if (args.has("--json")) std::cout << diffJson(*report, args.positional[0], args.positional[1]) << "\n";
    else std::cout << diffText(*report, top);
    std::cout << std::flush;
    return report->identicalOverall() ? Ok : Differs;
}

} // namespace ckpt::cli
