#include "model/checkpoint/checkpoint_summary.h"

#include <cstdio>
#include <unordered_set>

namespace ckpt {

CheckpointSummary summarize(const Checkpoint &c)
{
    CheckpointSummary s;
    s.format = c.format();
    s.fileSize = c.totalFileSize();
    s.entryCount = c.entries().size();
    s.storageCount = c.storages().size();
    s.storageBytes = c.totalStorageBytes();
    std::vector<bool> seen(c.tensors().size(), false);
    for (const auto &e : c.entries()) {
        if (seen[size_t(e.tensor)]) continue;
        seen[size_t(e.tensor)] = true;
        const auto &t = c.tensors()[size_t(e.tensor)];
        ++s.tensorCount;
        s.parameters += t.numel();
        s.tensorBytes += t.nbytes();
        const std::string dt(dtypeName(t.dtype));
        s.bytesByDtype[dt] += t.nbytes();
        s.paramsByDtype[dt] += t.numel();
    }
    for (int v : c.storageViewers()) s.sharedStorages += v > 1;
    return s;
}

std::string humanBytes(uint64_t bytes)
{
    static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1000.0 && u < 5) v /= 1000.0, ++u;
    char buf[32];
    if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    else std::snprintf(buf, sizeof buf, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

std::string humanCount(int64_t count)
{
    static const char *units[] = {"", "K", "M", "B", "T"};
    double v = double(count);
    int u = 0;
    while (v >= 1000.0 && u < 4) v /= 1000.0, ++u;
    char buf[32];
    if (u == 0) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(count));
    else std::snprintf(buf, sizeof buf, v < 10 ? "%.2f%s" : v < 100 ? "%.1f%s" : "%.0f%s", v, units[u]);
    return buf;
}

} // namespace ckpt
