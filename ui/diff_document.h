#pragma once

#include "model/checkpoint/checkpoint.h"
#include "model/diff/checkpoint_diff.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QTimer>

#include <atomic>
#include <memory>
#include <optional>

namespace ckpt {

class RulesDocument;

/// The open checkpoint (A) against a second one (B): opened and diffed tensor by tensor in the
/// background, with progress and cancel. Names are aligned through the rules' renames when
/// asked. The delta of one pair (with histograms) is computed on request.
class DiffDocument final : public QObject
{
    Q_OBJECT
public:
    explicit DiffDocument(RulesDocument *rules, QObject *parent = nullptr);
    ~DiffDocument() override;

    /// The open document changed: any running diff stops, the result is cleared.
    void setA(std::shared_ptr<const Checkpoint> a, const QString &path);
    /// Opens B and diffs; started(), progress(), then finished() or failed().
    void compareWith(const QString &pathB);
    /// The same B again (after the alignment changed).
    void rerun();
    void cancel();
    void setAlignWithRules(bool on);
    bool alignWithRules() const { return m_align; }

    bool isRunning() const { return m_job.isRunning(); }
    const DiffReport *report() const { return m_report ? &*m_report : nullptr; }
    QString pathA() const { return m_pathA; }
    QString pathB() const { return m_pathB; }
    /// The diff of A's entry `entry` (a checkpoint entry index), or null.
    const TensorDiff *diffOfEntry(int entry) const;

    /// Histograms of both sides and of a - b for report()->tensors[index] (deltaReady).
    void requestDelta(int index, int bins = 100);

Q_SIGNALS:
    void started();
    void progress(double fraction);
    void finished();
    void failed(const QString &message);
    void deltaReady(int index, const ckpt::TensorDelta &delta);
    void deltaFailed(int index, const QString &message);

private:
    struct Outcome
    {
        std::shared_ptr<const Checkpoint> b;
        std::optional<DiffReport> report;
        QString error;
    };
    void onFinished();

    RulesDocument *m_rules;
    std::shared_ptr<const Checkpoint> m_a, m_b;
    QString m_pathA, m_pathB;
    bool m_align = true;
    QTimer m_rulesSettled; ///< a diff aligned by the rules runs again once they stop changing
    std::optional<DiffReport> m_report;
    std::vector<int> m_ofEntry; ///< A's entry -> index into the report, -1
    std::shared_ptr<std::atomic<bool>> m_cancel;
    QFutureWatcher<Outcome> m_job;
    QFutureWatcher<void> m_delta;
    int m_deltaSerial = 0;
};

} // namespace ckpt
