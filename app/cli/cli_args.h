#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
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

/// Keeps an object alive until the process exits, without ever destroying it: a command's
/// last act is to exit, and freeing a 100k-tensor object tree node by node would cost more
/// than printing it. The operating system reclaims the memory at exit.
template <class T>
void keepUntilExit(T value)
{
    static auto *kept = new std::vector<T>();
    kept->push_back(std::move(value));
}

} // namespace ckpt::cli
