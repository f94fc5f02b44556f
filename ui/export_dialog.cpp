#include "export_dialog.h"

#include "model/base/atomic_file.h"
#include "model/checkpoint/checkpoint.h"
#include "model/rules/rule_config.h"
#include "model/rules/rule_engine.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPromise>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace ckpt {

ExportDialog::ExportDialog(std::shared_ptr<const Checkpoint> checkpoint, RuleSet rules, const QString &sourcePath,
                           QWidget *parent)
    : QDialog(parent), m_checkpoint(std::move(checkpoint)), m_rules(std::move(rules)), m_sourcePath(sourcePath),
      m_output(new QLineEdit(this)), m_format(new QComboBox(this)), m_weightsOnly(new QCheckBox(tr("Weights only (just the state dict)"), this)),
      m_optimizer(new QComboBox(this)), m_tied(new QComboBox(this)), m_shardSize(new QLineEdit(this)),
      m_writeConfig(new QCheckBox(tr("Write the config (with its resolved result) beside it"), this)),
      m_progress(new QProgressBar(this)), m_result(new QLabel(this)), m_export(new QPushButton(tr("Export"), this)),
      m_cancel(new QPushButton(tr("Cancel"), this)), m_open(new QPushButton(tr("Open It"), this))
{
    setObjectName("exportDialog");
    setWindowTitle(tr("Export Checkpoint"));
    m_format->addItems({tr("PyTorch (.pt)"), tr("safetensors")});
    m_optimizer->addItems({tr("Abort if dropped weights leave it inconsistent"), tr("Drop the optimizer state")});
    m_tied->addItems({tr("Duplicate them"), tr("Write once, record aliases in __metadata__")});
    m_shardSize->setPlaceholderText(tr("no shards (e.g. 5GB)"));
    m_writeConfig->setChecked(true);
    m_progress->setRange(0, 1000);
    m_result->setWordWrap(true);
    m_result->setObjectName("exportResult");
    m_open->setEnabled(false);
    auto *browse = new QToolButton(this);
    browse->setText(QStringLiteral("…"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export to"), m_output->text());
        if (!path.isEmpty()) m_output->setText(path);
    });
    auto *outputRow = new QHBoxLayout();
    outputRow->addWidget(m_output, 1);
    outputRow->addWidget(browse);
    auto *form = new QFormLayout();
    form->addRow(tr("Write to"), outputRow);
    form->addRow(tr("Format"), m_format);
    form->addRow(QString(), m_weightsOnly);
    form->addRow(tr("Optimizer state"), m_optimizer);
    form->addRow(tr("Tied weights"), m_tied);
    form->addRow(tr("Shard size"), m_shardSize);
    form->addRow(QString(), m_writeConfig);
    auto *buttons = new QHBoxLayout();
    buttons->addWidget(m_open);
    buttons->addStretch();
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_export);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_result);
    layout->addLayout(buttons);

    const QFileInfo source(sourcePath);
    m_output->setText(source.absolutePath() + "/" + source.completeBaseName() + ".edited.pt");
    connect(m_format, &QComboBox::currentIndexChanged, this, [this] {
        QString path = m_output->text();
        const bool safe = m_format->currentIndex() == 1;
        if (safe && path.endsWith(".pt")) path = path.chopped(3) + ".safetensors";
        if (!safe && path.endsWith(".safetensors")) path = path.chopped(12) + ".pt";
        m_output->setText(path);
        updateState();
    });
    connect(m_export, &QPushButton::clicked, this, &ExportDialog::start);
    connect(m_cancel, &QPushButton::clicked, this, [this] { running() ? cancel() : reject(); });
    connect(m_open, &QPushButton::clicked, this, [this] {
        Q_EMIT openRequested(m_written);
        accept();
    });
    connect(&m_watcher, &QFutureWatcher<Result<ExportReport>>::progressValueChanged, m_progress, &QProgressBar::setValue);
    connect(&m_watcher, &QFutureWatcher<Result<ExportReport>>::finished, this, &ExportDialog::onFinished);
    updateState();
}

ExportDialog::~ExportDialog()
{
    cancel();
    m_watcher.waitForFinished();
}

void ExportDialog::setOutput(const QString &path) { m_output->setText(path); }

ExportOptions ExportDialog::options() const
{
    ExportOptions o;
    o.output = m_output->text().toStdString();
    o.format = m_format->currentIndex() == 1 ? ExportOptions::Format::Safetensors : ExportOptions::Format::PyTorch;
    o.weightsOnly = m_weightsOnly->isChecked();
    o.optimizer = m_optimizer->currentIndex() == 1 ? ExportOptions::Optimizer::Drop : ExportOptions::Optimizer::Abort;
    o.tied = m_tied->currentIndex() == 1 ? ExportOptions::Tied::Alias : ExportOptions::Tied::Duplicate;
    if (const auto size = parseByteSize(m_shardSize->text().trimmed().toStdString())) o.shardSize = *size;
    o.configName = QFileInfo(m_output->text()).completeBaseName().toStdString() + ".config.json";
    return o;
}

void ExportDialog::updateState()
{
    const bool safe = m_format->currentIndex() == 1;
    m_tied->setEnabled(safe && !running());
    m_shardSize->setEnabled(safe && !running());
    m_weightsOnly->setEnabled(!safe && !running());
    m_optimizer->setEnabled(!safe && !running());
    m_export->setEnabled(!running());
    m_cancel->setText(running() ? tr("Stop") : tr("Close"));
}

void ExportDialog::start()
{
    if (running()) return;
    const ExportOptions o = options();
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    m_result->clear();
    m_open->setEnabled(false);
    m_progress->setValue(0);
    auto checkpoint = m_checkpoint;
    auto rules = m_rules;
    auto flag = m_cancelFlag;
    m_watcher.setFuture(QtConcurrent::run([checkpoint, rules, o, flag](QPromise<Result<ExportReport>> &promise) {
        promise.setProgressRange(0, 1000);
        auto report = exportCheckpoint(*checkpoint, rules, o, flag.get(), [&](double f) {
            promise.setProgressValue(int(std::min(1.0, f) * 1000));
        });
        promise.addResult(std::move(report));
    }));
    updateState();
}

void ExportDialog::cancel()
{
    if (m_cancelFlag) *m_cancelFlag = true;
}

QString ExportDialog::resultText() const { return m_result->text(); }

void ExportDialog::onFinished()
{
    updateState();
    if (m_watcher.future().resultCount() == 0) return;
    const Result<ExportReport> report = m_watcher.result();
    if (!report) {
        m_result->setText(tr("<span style='color:#c5221f'>Not written: %1</span>").arg(QString::fromStdString(report.error().message).toHtmlEscaped()));
        Q_EMIT finished(false);
        return;
    }
    m_written = QString::fromStdString(report->files.empty() ? options().output : report->files.back());
    QString text = tr("Wrote %1: %2, verified.").arg(m_written, QString::fromStdString(report->summary()));
    if (m_writeConfig->isChecked()) {
        auto inputs = planInputs(*m_checkpoint, m_rules.weights);
        auto compiled = CompiledRules::compile(m_rules);
        if (inputs && compiled) {
            const QString path = QFileInfo(m_written).absolutePath() + "/" + QString::fromStdString(options().configName);
            const std::string config = writeConfig(m_rules, *m_checkpoint, m_sourcePath.toStdString(), *inputs,
                                                   (*compiled)->evaluate(*inputs), ConfigFormat::Json);
            if (writeFileAtomically(path.toStdString(), config)) text += tr(" Config: %1.").arg(QFileInfo(path).fileName());
        }
    }
    m_result->setText(text);
    m_progress->setValue(1000);
    m_open->setEnabled(true);
    Q_EMIT finished(true);
}

} // namespace ckpt
