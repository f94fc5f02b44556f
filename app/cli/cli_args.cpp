#include "cli_args.h"

#include "model/remote/location.h"

#include <iostream>

namespace ckpt::cli {

CliArgs parseArgs(const std::vector<std::string> &argv, const std::set<std::string> &knownFlags,
                  const std::set<std::string> &valueOptions, std::string &error)
{
    CliArgs args;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string &a = argv[i];
        if (a == "--") {
            args.positional.insert(args.positional.end(), argv.begin() + long(i) + 1, argv.end());
            break;
        }
        if (!a.starts_with("-") || a == "-") {
            args.positional.push_back(a);
            continue;
        }
        const auto eq = a.find('=');
        const std::string name = a.substr(0, eq);
        if (valueOptions.count(name)) {
            if (eq != std::string::npos) args.options[name] = a.substr(eq + 1);
            else if (i + 1 < argv.size()) args.options[name] = argv[++i];
            else error = name + " needs a value";
        } else if (knownFlags.count(a)) {
            args.flags.insert(a);
        } else {
            error = "unknown option " + a;
        }
    }
    return args;
}

namespace {

/// One printable line of valid UTF-8: messages may quote bytes from a hostile file.
std::string printableLine(const std::string &s)
{
    std::string out;
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool valid = n > 0 && i + n <= s.size();
        for (size_t k = 1; valid && k < n; ++k) valid = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
        if (!valid) {
            out += '?';
            ++i;
        } else if (n == 1 && (c < 0x20 || c == 0x7F)) {
            out += ' ';
            ++i;
        } else {
            out.append(s, i, n);
            i += n;
        }
    }
    return out;
}

} // namespace

void printError(const std::string &path, const std::string &message)
{
    // An address's user:password@ and query (a signed URL's signature) are never printed.
    std::cerr << printableLine("error: " + shownLocation(path) + ": " + message) << std::endl;
}

} // namespace ckpt::cli
