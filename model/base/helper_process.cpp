#include "model/base/helper_process.h"

#include <algorithm>
#include <cerrno>
#include <dlfcn.h>
#include <string_view>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace ckpt {

std::vector<std::string> installedCandidates(const std::string &name, const char *envVariable,
                                             const char *buildTreePath)
{
    std::vector<std::string> candidates;
    if (const char *env = std::getenv(envVariable)) candidates.emplace_back(env);
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        std::string dir(exe, size_t(n));
        dir.resize(dir.rfind('/'));
        candidates.push_back(dir + "/" + name);
        candidates.push_back(dir + "/../lib/ckpt-studio/" + name);
    }
    // Beside the shared object this code is linked into, when that is not the executable (the
    // Python package's module: the plugin and the helpers are installed next to it).
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void *>(&installedCandidates), &info) && info.dli_fname &&
        std::string_view(info.dli_fname).find('/') != std::string_view::npos) {
        std::string dir(info.dli_fname);
        dir.resize(dir.rfind('/'));
        if (std::find(candidates.begin(), candidates.end(), dir + "/" + name) == candidates.end())
            candidates.push_back(dir + "/" + name);
    }
    if (buildTreePath) candidates.emplace_back(buildTreePath);
    return candidates;
}

std::string findHelper(const std::string &name, const char *envVariable, const char *buildTreePath)
{
    for (const auto &c : installedCandidates(name, envVariable, buildTreePath))
        if (::access(c.c_str(), X_OK) == 0) return c;
    return {};
}

Result<std::string> runHelper(const std::vector<std::string> &argv, int timeoutSeconds)
{
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return Error{std::string("pipe: ") + std::strerror(errno)};
    if (::pipe2(err, O_CLOEXEC) != 0) {
        ::close(out[0]);
        ::close(out[1]);
        return Error{std::string("pipe: ") + std::strerror(errno)};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    std::vector<char *> args;
    for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, argv.front().c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    if (spawned != 0) {
        ::close(out[0]);
        ::close(err[0]);
        return Error{"cannot run " + argv.front() + ": " + std::strerror(spawned)};
    }
    std::string stdoutText, stderrText;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
    bool timedOut = false;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open = 2;
    char buffer[65536];
    while (open > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timedOut = true;
            break;
        }
        if (::poll(fds, 2, int(left.count())) < 0 && errno != EINTR) break;
        for (int k = 0; k < 2; ++k) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t got = ::read(fds[k].fd, buffer, sizeof buffer);
            if (got > 0) {
                std::string &to = k == 0 ? stdoutText : stderrText;
                if (to.size() < (size_t(64) << 20)) to.append(buffer, size_t(got)); // a bounded answer
            } else if (got == 0 || errno != EINTR) {
                ::close(fds[k].fd);
                fds[k].fd = -1;
                --open;
            }
        }
    }
    for (auto &f : fds)
        if (f.fd >= 0) ::close(f.fd);
    if (timedOut) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timedOut) return Error{"it took longer than " + std::to_string(timeoutSeconds) + " s to read and was stopped"};
    if (WIFSIGNALED(status))
        return Error{"reading it crashed the loader (" + std::string(strsignal(WTERMSIG(status))) + ")"};
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (!stderrText.empty() && (stderrText.back() == '\n' || stderrText.back() == '\r')) stderrText.pop_back();
        const size_t line = stderrText.rfind('\n');
        return Error{stderrText.empty() ? "the helper failed" : stderrText.substr(line == std::string::npos ? 0 : line + 1)};
    }
    return stdoutText;
}

} // namespace ckpt
