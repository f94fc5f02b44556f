#include "tensor_stats.h"

#include "helper_process.h"

#include <dlfcn.h>
#include <mutex>

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

Result<StatsRequest> tensorView(const Checkpoint &c, size_t entry, int bins)
{
    if (entry >= c.entries().size()) return Error{"no such tensor"};
    const TensorInfo &t = c.tensors()[size_t(c.entries()[entry].tensor)];
    if (t.storage < 0) return Error{"a meta tensor has no data"};
    const StorageInfo &s = c.storages()[size_t(t.storage)];
    if (!s.mapped) return Error{"its record is compressed and cannot be viewed in place"};
    StatsRequest request;
    request.storage = c.files()[size_t(s.file)].map->data() + s.byteOffset;
    request.storageBytes = s.byteLength;
    request.dtype = t.dtype;
    request.shape = t.shape;
    request.strides = t.strides;
    request.offset = t.storageOffset;
    request.bins = bins;
    return request;
}

Result<TensorStats> tensorStats(const Checkpoint &c, size_t entry, int bins,
                                const std::atomic<bool> *cancel, const ProgressFn &progress)
{
    auto request = tensorView(c, entry, bins);
    if (!request) return request.error();
    auto backend = computeBackend();
    if (!backend) return backend.error();
    return (*backend)->stats(*request, cancel, progress);
}

} // namespace ckpt
