#include "compare_document.h"

#include "rules_document.h"

#include <QtConcurrent/QtConcurrentRun>

namespace ckpt {

struct CompareDocument::Result
{
    CompareReport report;
    std::vector<FixProposal> proposals;
    Kinship kinship;
};

CompareDocument::CompareDocument(RulesDocument *rules, QObject *parent) : QObject(parent), m_rules(rules)
{
    connect(m_rules, &RulesDocument::planChanged, this, &CompareDocument::recompute);
    connect(&m_watcher, &QFutureWatcher<std::shared_ptr<Result>>::finished, this, &CompareDocument::onComputed);
    connect(&m_loader, &QFutureWatcher<std::shared_ptr<TargetArchitecture>>::finished, this, [this] {
        auto target = m_loader.result();
        if (!target) {
            setBusy(false);
            Q_EMIT failed(m_loadError);
            return;
        }
        m_target = std::move(target);
        m_rejected.clear();
        recompute();
    });
}

CompareDocument::~CompareDocument()
{
    m_watcher.waitForFinished();
    m_loader.waitForFinished();
}

const std::vector<PlanInput> &CompareDocument::inputs() const { return m_rules->inputs(); }

QString CompareDocument::targetPath() const
{
    return m_target ? QString::fromStdString(m_target->path) : QString();
}

void CompareDocument::setTarget(const QString &path)
{
    if (m_loader.isRunning()) return;
    setBusy(true);
    const std::string file = path.toStdString();
    m_loader.setFuture(QtConcurrent::run([this, file]() -> std::shared_ptr<TargetArchitecture> {
        auto loaded = loadTarget(file);
        if (!loaded) {
            m_loadError = QString::fromStdString(file + ": " + loaded.error().message);
            return nullptr;
        }
        return std::make_shared<TargetArchitecture>(std::move(*loaded));
    }));
}

void CompareDocument::clearTarget()
{
    m_target.reset();
    m_report = {};
    m_proposals.clear();
    m_visible.clear();
    m_kinship = {};
    Q_EMIT changed();
}

void CompareDocument::recompute()
{
    if (!m_target) return;
    if (m_watcher.isRunning()) { // the latest rules win: run again when this one ends
        m_pending = true;
        return;
    }
    setBusy(true);
    auto checkpoint = m_rules->checkpoint();
    const std::vector<PlanInput> inputs = m_rules->inputs();
    const RuleSet rules = m_rules->rules();
    const Plan plan = m_rules->plan();
    auto target = m_target;
    m_watcher.setFuture(QtConcurrent::run([checkpoint, inputs, rules, plan, target] {
        auto result = std::make_shared<Result>();
        const ModuleVersions versions = checkpoint ? stateDictVersions(*checkpoint, inputs) : ModuleVersions{};
        result->report = compareWithTarget(inputs, plan, rules, *target, versions);
        result->proposals = proposeFixes(inputs, rules, plan, result->report, *target, versions, &result->kinship);
        return result;
    }));
}

void CompareDocument::onComputed()
{
    if (m_pending) {
        m_pending = false;
        m_watcher.setFuture(QFuture<std::shared_ptr<Result>>());
        recompute();
        return;
    }
    auto result = m_watcher.result();
    if (!m_target) { // cleared while it ran
        setBusy(false);
        return;
    }
    m_report = std::move(result->report);
    m_proposals = std::move(result->proposals);
    m_kinship = result->kinship;
    updateVisible();
    setBusy(false);
    Q_EMIT changed();
}

void CompareDocument::updateVisible()
{
    m_visible.clear();
    for (const auto &p : m_proposals)
        if (!m_rejected.contains(QString::fromStdString(p.reason))) m_visible.push_back(p);
}

void CompareDocument::setBusy(bool busy)
{
    if (m_busy == busy) return;
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

void CompareDocument::accept(int index)
{
    if (index < 0 || size_t(index) >= m_visible.size()) return;
    const FixProposal p = m_visible[size_t(index)];
    // One undo step, one evaluation.
    m_rules->replaceAll(withProposals(m_rules->rules(), {p}), tr("Accept fix: %1").arg(QString::fromStdString(p.reason)));
}

void CompareDocument::acceptAll()
{
    if (m_visible.empty()) return;
    m_rules->replaceAll(withProposals(m_rules->rules(), m_visible), tr("Accept %n fix(es)", nullptr, int(m_visible.size())));
}

void CompareDocument::reject(int index)
{
    if (index < 0 || size_t(index) >= m_visible.size()) return;
    m_rejected.insert(QString::fromStdString(m_visible[size_t(index)].reason));
    updateVisible();
    Q_EMIT changed();
}

} // namespace ckpt
