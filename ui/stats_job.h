#pragma once

#include "model/checkpoint/tensor_stats.h"

#include <QFuture>
#include <QString>

#include <memory>
#include <optional>

namespace ckpt {

class Checkpoint;

struct StatsOutcome
{
    int entry = -1;
    std::optional<TensorStats> stats;
    QString error;
};

/// Statistics of one tensor on a worker thread. Progress runs 0..1000 on the future;
/// cancelling the future stops the computation at its next chunk.
QFuture<StatsOutcome> computeStatsAsync(std::shared_ptr<const Checkpoint> checkpoint, int entry,
                                        int bins = 100);

} // namespace ckpt
