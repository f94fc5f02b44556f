#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace ckpt::cli {

/// Exit statuses shared by every command.
enum Exit : int { Ok = 0, Differs = 1, Unreadable = 2, Dangerous = 3 };

/// argv after the command name: positionals, boolean flags, and options that take a value.
struct CliArgs
{
    std::vector<std::string> positional;
    std::set<std::string> flags;
    std::map<std::string, std::string> options;
    bool has(const std::string &flag) const { return flags.count(flag) > 0; }
};

/// Parses "--flag", "--option VALUE" and "--option=VALUE"; `error` is set on misuse.
CliArgs parseArgs(const std::vector<std::string> &argv, const std::set<std::string> &knownFlags,
                  const std::set<std::string> &valueOptions, std::string &error);

/// Prints "error: PATH: MESSAGE" as one line on stderr.
void printError(const std::string &path, const std::string &message);

} // namespace ckpt::cli
