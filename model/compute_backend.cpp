#include "tensor_stats.h"

#include <dlfcn.h>
#include <mutex>

namespace ckpt {
namespace {

using Factory = const ComputeBackend *(*)();

std::vector<std::string> pluginCandidates()
{
    std::vector<std::string> out;
    if (const char *env = std::getenv("CKPT_COMPUTE_PLUGIN")) out.emplace_back(env);
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        std::string dir(exe, size_t(n));
        dir.resize(dir.rfind('/'));
        out.push_back(dir + "/libckpt_compute.so");
        out.push_back(dir + "/../lib/ckpt-studio/libckpt_compute.so");
    }
#ifdef CKPT_COMPUTE_PLUGIN
    out.emplace_back(CKPT_COMPUTE_PLUGIN); // the build tree
#endif
    return out;
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

Result<TensorStats> tensorStats(const Checkpoint &c, size_t entry, int bins,
                                const std::atomic<bool> *cancel, const ProgressFn &progress)
{
    if (entry >= c.entries().size()) return Error{"no such tensor"};
    const TensorInfo &t = c.tensors()[size_t(c.entries()[entry].tensor)];
    if (t.storage < 0) return Error{"a meta tensor has no data"};
    const StorageInfo &s = c.storages()[size_t(t.storage)];
    if (!s.mapped) return Error{"its record is compressed and cannot be viewed in place"};
    auto backend = computeBackend();
    if (!backend) return backend.error();
    const SourceFile &file = c.files()[size_t(s.file)];
    StatsRequest request;
    request.storage = file.map->data() + s.byteOffset;
    request.storageBytes = s.byteLength;
    request.dtype = t.dtype;
    request.shape = t.shape;
    request.strides = t.strides;
    request.offset = t.storageOffset;
    request.bins = bins;
    return (*backend)->stats(request, cancel, progress);
}

} // namespace ckpt
