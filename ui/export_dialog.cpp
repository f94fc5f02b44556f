#include "export_dialog.h"

#include "location_text.h"
#include "model/base/atomic_file.h"
#include "model/checkpoint/checkpoint.h"
#include "model/rules/rule_config.h"
#include "model/rules/rule_engine.h"
#include "widgets/question_box.h"

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

#include <algorithm>
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
    m_format->addItems({tr("PyTorch (.pt)"), tr("safetensors"), tr("NumPy (.npz, weights only)"), tr("GGUF (.gguf, weights only)")});
    m_ggufType = new QComboBox(this);
    m_ggufType->setObjectName("exportGgufType");
    m_ggufType->addItems({tr("As they are"), tr("F32"), tr("F16"), tr("BF16"), tr("Q8_0 (quantized)")});
    m_ggufType->setToolTip(tr("The type float matrices are written in; vectors (norms, biases) stay as they are"));
    m_optimizer->setObjectName("exportOptimizer");
    m_optimizer->addItems({tr("Ask if it would no longer fit the weights"), tr("Drop the optimizer state"),
                           tr("Reset the entries of resized and added parameters")});
    m_format->setObjectName("exportFormat");
    m_output->setObjectName("exportOutput");
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
    form->addRow(tr("GGUF matrices"), m_ggufType);
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

    // The format follows the output's name, unless the user picks one; then the name follows it.
    const QFileInfo source(sourcePath);
    const bool safetensorsSource = sourcePath.endsWith(".safetensors") || sourcePath.endsWith(".index.json") ||
                                   QFileInfo(sourcePath).isDir();
    m_output->setText(localFolderFor(sourcePath) + "/" + source.completeBaseName().section(".safetensors", 0, 0) +
                      (safetensorsSource                 ? ".edited.safetensors"
                       : sourcePath.endsWith(".npz")     ? ".edited.npz"
                       : sourcePath.endsWith(".gguf")    ? ".edited.gguf"
                                                         : ".edited.pt"));
    followName();
    connect(m_output, &QLineEdit::textChanged, this, [this] {
        if (!m_formatChosen) followName();
    });
    connect(m_format, &QComboBox::currentIndexChanged, this, [this] {
        if (m_following) return;
        m_formatChosen = true;
        QString path = m_output->text();
        const int implied = impliedFormat(path);
        const QString suffix = QFileInfo(path).suffix();
        static const char *const suffixes[] = {"pt", "safetensors", "npz", "gguf"};
        if (implied >= 0 && implied != m_format->currentIndex())
            path = path.chopped(suffix.size()) + suffixes[m_format->currentIndex()];
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

int ExportDialog::impliedFormat(const QString &path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == "safetensors") return 1;
    if (suffix == "npz") return 2;
    if (suffix == "gguf") return 3;
    if (suffix == "pt" || suffix == "pth" || suffix == "bin" || suffix == "ckpt" || suffix == "tar") return 0;
    return -1;
}

void ExportDialog::setFormatFromName(int format)
{
    m_following = true; // not the user's pick: the name keeps setting it
    m_format->setCurrentIndex(format);
    m_following = false;
    updateState();
}

void ExportDialog::followName()
{
    const int implied = impliedFormat(m_output->text());
    if (implied >= 0 && implied != m_format->currentIndex()) setFormatFromName(implied);
}

bool ExportDialog::confirm(ExportOptions &o)
{
    // A name that says another format than the one chosen.
    const int implied = impliedFormat(m_output->text());
    const int chosen = m_format->currentIndex();
    if (implied >= 0 && implied != chosen) {
        const QString names[] = {tr("PyTorch"), tr("safetensors"), tr("NumPy .npz"), tr("GGUF")};
        const int answer = askQuestion(this, "exportFormatQuestion", tr("Format and name disagree"),
                                       tr("%1 is a %2 name, but the format chosen is %3. Tools that go by the name "
                                          "will misread it.")
                                           .arg(QFileInfo(m_output->text()).fileName(), names[implied], names[chosen]),
                                       {tr("Write %1").arg(names[implied]), tr("Write %1 Anyway").arg(names[chosen]),
                                        tr("Cancel")});
        if (answer == 2) return false;
        if (answer == 0) {
            setFormatFromName(implied);
            o = options();
        }
    }
    // An existing file (a sharded export's index).
    QString target = m_output->text();
    if (o.shardSize > 0 && target.endsWith(".safetensors")) target += ".index.json";
    if (QFileInfo::exists(target) &&
        askQuestion(this, "exportOverwriteQuestion", tr("Replace the file?"),
                    tr("%1 exists. Replace it with the export?").arg(target), {tr("Replace"), tr("Cancel")}) != 0)
        return false;
    // Optimizer state that would no longer fit the weights.
    if (const auto conflict = optimizerConflict(*m_checkpoint, m_rules, o)) {
        QStringList choices;
        if (conflict->resettable) choices << tr("Reset Those Entries");
        choices << tr("Drop the Optimizer State") << tr("Export Weights Only") << tr("Cancel");
        const QString details = QString::fromStdString(conflict->details);
        const QString text =
            conflict->resettable
                ? tr("Resuming training from the export would fail: its optimizer state no longer fits the "
                     "weights (%1).\n\nReset those entries (the optimizer starts them fresh, as it does any new "
                     "parameter), drop the optimizer state, or export the weights only?")
                      .arg(details)
                : tr("These edits change the model's parameters, and the optimizer state cannot be matched to "
                     "them for certain (%1).\n\nDrop the optimizer state, or export the weights only?")
                      .arg(details);
        const int answer = askQuestion(this, "exportOptimizerQuestion", tr("Optimizer state"), text, choices);
        const QString picked = choices.value(answer);
        if (picked == tr("Cancel")) return false;
        if (picked == tr("Reset Those Entries")) m_optimizer->setCurrentIndex(2);
        if (picked == tr("Drop the Optimizer State")) m_optimizer->setCurrentIndex(1);
        if (picked == tr("Export Weights Only")) m_weightsOnly->setChecked(true);
        o = options();
    }
    return true;
}

ExportOptions ExportDialog::options() const
{
    ExportOptions o;
    o.output = m_output->text().toStdString();
    o.format = m_format->currentIndex() == 1   ? ExportOptions::Format::Safetensors
               : m_format->currentIndex() == 2 ? ExportOptions::Format::Npz
               : m_format->currentIndex() == 3 ? ExportOptions::Format::Gguf
                                               : ExportOptions::Format::PyTorch;
    o.weightsOnly = m_weightsOnly->isChecked();
    static const char *const kGgufTypes[] = {"", "F32", "F16", "BF16", "Q8_0"};
    if (o.format == ExportOptions::Format::Gguf) o.ggufType = kGgufTypes[std::clamp(m_ggufType->currentIndex(), 0, 4)];
    o.optimizer = m_optimizer->currentIndex() == 1   ? ExportOptions::Optimizer::Drop
                  : m_optimizer->currentIndex() == 2 ? ExportOptions::Optimizer::Reset
                                                     : ExportOptions::Optimizer::Abort;
    o.tied = m_tied->currentIndex() == 1 ? ExportOptions::Tied::Alias : ExportOptions::Tied::Duplicate;
    if (const auto size = parseByteSize(m_shardSize->text().trimmed().toStdString())) o.shardSize = *size;
    o.configName = QFileInfo(m_output->text()).completeBaseName().toStdString() + ".config.json";
    return o;
}

void ExportDialog::updateState()
{
    const bool safe = m_format->currentIndex() == 1, pytorch = m_format->currentIndex() == 0;
    m_tied->setEnabled(safe && !running());
    m_shardSize->setEnabled(safe && !running());
    m_weightsOnly->setEnabled(pytorch && !running()); // safetensors and npz hold the weights only
    m_optimizer->setEnabled(pytorch && !running());
    m_ggufType->setEnabled(m_format->currentIndex() == 3 && !running());
    m_export->setEnabled(!running());
    m_cancel->setText(running() ? tr("Stop") : tr("Close"));
}

void ExportDialog::start()
{
    if (running()) return;
    ExportOptions o = options();
    if (!confirm(o)) return;
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
    QString text = tr("Wrote %1: %2, verified.").arg(m_written, QString::fromStdString(report->summary()).toHtmlEscaped());
    for (const auto &w : report->warnings)
        text += tr("<br><span style='color:#b06000'>Check: %1</span>").arg(QString::fromStdString(w).toHtmlEscaped());
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
