#include "stats_job.h"

#include "model/checkpoint/checkpoint.h"

#include <QPromise>
#include <QtConcurrent>

namespace ckpt {

QFuture<StatsOutcome> computeStatsAsync(std::shared_ptr<const Checkpoint> checkpoint, int entry,
                                        int bins)
{
    return QtConcurrent::run([checkpoint = std::move(checkpoint), entry, bins](QPromise<StatsOutcome> &promise) {
        promise.setProgressRange(0, 1000);
        std::atomic<bool> cancel{false};
        auto progress = [&](double f) {
            promise.setProgressValue(int(std::min(1.0, f) * 1000));
            if (promise.isCanceled()) cancel = true;
        };
        StatsOutcome out;
        out.entry = entry;
        auto stats = tensorStats(*checkpoint, size_t(entry), bins, &cancel, progress);
        if (stats) out.stats = std::move(stats.value());
        else out.error = QString::fromStdString(stats.error().message);
        promise.addResult(std::move(out));
    });
}

} // namespace ckpt
