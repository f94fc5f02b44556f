#include "diff_document.h"

#include "rules_document.h"

#include <QFileInfo>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

namespace ckpt {

DiffDocument::DiffDocument(RulesDocument *rules, QObject *parent) : QObject(parent), m_rules(rules)
{
    qRegisterMetaType<ckpt::TensorDelta>("ckpt::TensorDelta");
    connect(&m_job, &QFutureWatcher<Outcome>::finished, this, &DiffDocument::onFinished);
    m_rulesSettled.setSingleShot(true);
    m_rulesSettled.setInterval(400);
    connect(&m_rulesSettled, &QTimer::timeout, this, [this] {
        if (m_align && !m_pathB.isEmpty()) rerun();
    });
    connect(m_rules, &RulesDocument::rulesChanged, &m_rulesSettled, qOverload<>(&QTimer::start));
}

DiffDocument::~DiffDocument()
{
    if (m_cancel) m_cancel->store(true);
    m_job.waitForFinished();
    m_delta.waitForFinished();
}

void DiffDocument::setA(std::shared_ptr<const Checkpoint> a, const QString &path)
{
    cancel();
    m_job.waitForFinished();
    m_a = std::move(a);
    m_pathA = path;
    m_report.reset();
    m_ofEntry.clear();
    m_b.reset();
    m_pathB.clear();
    Q_EMIT finished();
}

void DiffDocument::setAlignWithRules(bool on)
{
    if (m_align == on) return;
    m_align = on;
    if (!m_pathB.isEmpty()) rerun();
}

void DiffDocument::cancel()
{
    if (m_cancel) m_cancel->store(true);
}

void DiffDocument::rerun() { compareWith(m_pathB); }

void DiffDocument::compareWith(const QString &pathB)
{
    if (!m_a) {
        Q_EMIT failed(tr("Open a checkpoint first, then compare it with another."));
        return;
    }
    if (m_job.isRunning()) {
        cancel();
        m_job.waitForFinished();
    }
    m_pathB = pathB;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    std::optional<RuleSet> rules;
    if (m_align) rules = m_rules->rules();
    const std::shared_ptr<const Checkpoint> a = m_a;
    // The same B is not opened twice.
    std::shared_ptr<const Checkpoint> b = m_b && QString::fromStdString(m_b->files().front().path) == pathB ? m_b : nullptr;
    auto cancelFlag = m_cancel;
    QPointer<DiffDocument> self(this);
    Q_EMIT started();
    m_job.setFuture(QtConcurrent::run([=]() -> Outcome {
        Outcome out;
        out.b = b;
        if (!out.b) {
            auto opened = Checkpoint::open(pathB.toStdString());
            if (!opened) {
                out.error = pathB + ": " + QString::fromStdString(opened.error().message);
                return out;
            }
            out.b = *opened;
        }
        DiffOptions options;
        options.rules = rules ? &*rules : nullptr;
        auto report = diffCheckpoints(*a, *out.b, options, cancelFlag.get(), [self](double f) {
            if (self) QMetaObject::invokeMethod(self, [self, f] { if (self) Q_EMIT self->progress(f); }, Qt::QueuedConnection);
        });
        if (!report) out.error = QString::fromStdString(report.error().message);
        else out.report = std::move(*report);
        return out;
    }));
}

void DiffDocument::onFinished()
{
    Outcome out = m_job.result();
    if (!out.report) {
        Q_EMIT failed(out.error);
        return;
    }
    m_b = std::move(out.b);
    m_report = std::move(out.report);
    m_ofEntry.assign(m_a->entries().size(), -1);
    for (size_t i = 0; i < m_report->tensors.size(); ++i)
        if (m_report->tensors[i].a >= 0) m_ofEntry[size_t(m_report->tensors[i].a)] = int(i);
    Q_EMIT finished();
}

const TensorDiff *DiffDocument::diffOfEntry(int entry) const
{
    if (!m_report || entry < 0 || size_t(entry) >= m_ofEntry.size() || m_ofEntry[size_t(entry)] < 0) return nullptr;
    return &m_report->tensors[size_t(m_ofEntry[size_t(entry)])];
}

void DiffDocument::requestDelta(int index, int bins)
{
    if (!m_report || index < 0 || size_t(index) >= m_report->tensors.size()) return;
    const TensorDiff &d = m_report->tensors[size_t(index)];
    if (d.a < 0 || d.b < 0 || d.shapeA != d.shapeB) return;
    const int serial = ++m_deltaSerial;
    auto a = m_a, b = m_b;
    auto sides = m_report->sides;
    QPointer<DiffDocument> self(this);
    m_delta.setFuture(QtConcurrent::run([=] {
        auto delta = tensorDelta(*a, *b, *sides, d, bins);
        QMetaObject::invokeMethod(
            self,
            [self, serial, index, delta] {
                if (!self || serial != self->m_deltaSerial) return; // a newer request won
                if (delta) Q_EMIT self->deltaReady(index, *delta);
                else Q_EMIT self->deltaFailed(index, QString::fromStdString(delta.error().message));
            },
            Qt::QueuedConnection);
    }));
}

} // namespace ckpt
