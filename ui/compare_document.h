#pragma once

#include "model/compare/architecture_compare.h"
#include "model/compare/fix_proposals.h"
#include "model/rules/target_architecture.h"

#include <QFutureWatcher>
#include <QObject>
#include <QSet>
#include <QString>

#include <memory>

namespace ckpt {

class RulesDocument;

/// The open checkpoint, as its rules leave it, against a target architecture: the report and
/// the proposed fixes, recomputed in the background whenever the rules change. Accepting a
/// proposal adds its rules through the rules' undo stack (one undo step per proposal).
class CompareDocument final : public QObject
{
    Q_OBJECT
public:
    explicit CompareDocument(RulesDocument *rules, QObject *parent = nullptr);
    ~CompareDocument() override;

    /// Reads the target in the background; failed() or changed() follows.
    void setTarget(const QString &path);
    void clearTarget();
    bool hasTarget() const { return m_target != nullptr; }
    QString targetPath() const;
    const TargetArchitecture *target() const { return m_target.get(); }

    const CompareReport &report() const { return m_report; }
    /// How much the two share once names are aligned; differentModels() means no proposals.
    const Kinship &kinship() const { return m_kinship; }
    /// The checkpoint's weights the report speaks of (entries' `input` index these).
    const std::vector<PlanInput> &inputs() const;
    /// The proposals not rejected, in the order they apply.
    const std::vector<FixProposal> &proposals() const { return m_visible; }
    bool isBusy() const { return m_busy; }

    void accept(int proposal);
    void acceptAll();
    void reject(int proposal);

Q_SIGNALS:
    void changed();
    void failed(const QString &message);
    void busyChanged(bool busy);

private:
    struct Result;
    void recompute();
    void onComputed();
    void setBusy(bool busy);
    void updateVisible();

    RulesDocument *m_rules;
    std::shared_ptr<const TargetArchitecture> m_target;
    CompareReport m_report;
    Kinship m_kinship;
    std::vector<FixProposal> m_proposals, m_visible;
    QSet<QString> m_rejected; ///< by reason: a proposal keeps its reason across recomputes
    QFutureWatcher<std::shared_ptr<Result>> m_watcher;
    QFutureWatcher<std::shared_ptr<TargetArchitecture>> m_loader;
    QString m_loadError;
    bool m_pending = false;
    bool m_busy = false;
};

} // namespace ckpt
