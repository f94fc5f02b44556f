#pragma once

#include "stats_job.h"

#include <QFutureWatcher>
#include <QMap>
#include <QStringList>
#include <QWidget>

#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;

namespace ckpt {

class Checkpoint;
class HistogramPlot;
struct TensorInfo;

/// One tensor: where it lives and what it holds. Statistics and the histogram are computed
/// in the background; choosing another tensor cancels the running job.
class TensorPage final : public QWidget
{
    Q_OBJECT
public:
    explicit TensorPage(QWidget *parent = nullptr);
    ~TensorPage() override;

    void showTensor(std::shared_ptr<const Checkpoint> checkpoint, int entry);
    int entry() const { return m_entry; }
    /// The text shown for a statistic ("min", "max", "mean", "std", "l2", "zeros", "nans", "infs").
    QString statText(const QString &key) const;
    HistogramPlot *histogram() const { return m_histogram; }

Q_SIGNALS:
    void statsFinished(int entry, bool ok);

private:
    /// Where each chunk of a tensor cut across files lies, a line each.
    static QStringList chunkLines(const Checkpoint &c, const TensorInfo &t);
    void onFinished();
    void setStatsVisible(bool visible);

    std::shared_ptr<const Checkpoint> m_checkpoint;
    int m_entry = -1;
    QLabel *m_title;
    QLabel *m_info;
    QMap<QString, QLabel *> m_stats;
    QLabel *m_statsNote;
    QProgressBar *m_progress;
    QPushButton *m_cancel;
    HistogramPlot *m_histogram;
    QFutureWatcher<StatsOutcome> m_watcher;
};

} // namespace ckpt
