#include "model/compute/compute_backend.h"

#include "model/base/helper_process.h"

#include <dlfcn.h>
#include <mutex>
#include <stdexcept>

namespace ckpt {
namespace {

using Factory = const ComputeBackend *(*)();

std::vector<std::string> pluginCandidates()
{
#ifdef CKPT_COMPUTE_PLUGIN
    return installedCandidates("libckpt_compute.so", "CKPT_COMPUTE_PLUGIN", CKPT_COMPUTE_PLUGIN);
#else
    return installedCandidates("libckpt_compute.so", "CKPT_COMPUTE_PLUGIN", nullptr);
#endif
}

Result<const ComputeBackend *> load()
{
    std::string errors;
    for (const auto &path : pluginCandidates()) {
        void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            if (const char *e = ::dlerror(); e && std::string(e).find("No such file") == std::string::npos)
                errors = e;
            continue;
        }
        auto factory = reinterpret_cast<Factory>(::dlsym(handle, "ckpt_compute_backend"));
        if (factory) return factory();
        errors = path + " has no ckpt_compute_backend";
    }
    return Error{"the LibTorch compute plugin (libckpt_compute.so) could not be loaded" +
                 (errors.empty() ? std::string() : ": " + errors)};
}

} // namespace

Result<const ComputeBackend *> computeBackend()
{
    static std::once_flag once;
    static Result<const ComputeBackend *> backend = Error{"not loaded"};
    std::call_once(once, [] { backend = load(); });
    return backend;
}

const ComputeBackend &loadedBackend()
{
    auto b = computeBackend();
    if (!b) throw std::runtime_error(b.error().message);
    return **b;
}

} // namespace ckpt
