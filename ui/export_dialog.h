#pragma once

#include "model/export/exporter.h"

#include <QDialog>
#include <QFutureWatcher>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace ckpt {

class Checkpoint;

/// Export the checkpoint as the rules make it: format, weights only, optimizer handling, tied
/// weights, shards, the config beside it. Runs in the background with progress and cancel;
/// the written file opens with one click.
class ExportDialog final : public QDialog
{
    Q_OBJECT
public:
    ExportDialog(std::shared_ptr<const Checkpoint> checkpoint, RuleSet rules, const QString &sourcePath,
                 QWidget *parent = nullptr);
    ~ExportDialog() override;

    void setOutput(const QString &path);
    ExportOptions options() const;
    /// Starts the export (what the Export button does).
    void start();
    void cancel();
    bool running() const { return m_watcher.isRunning(); }
    QString resultText() const;

Q_SIGNALS:
    void finished(bool ok);
    void openRequested(const QString &path);

private:
    void onFinished();
    void updateState();
    /// 0 PyTorch, 1 safetensors, 2 npz, 3 GGUF, -1 a name that says none of them.
    static int impliedFormat(const QString &path);
    void followName();
    void setFormatFromName(int format);
    /// Asks about what the export would do differently than the user may think (a name of
    /// another format, an existing file, optimizer state that would no longer fit); false to
    /// stop. May change `o` to the answer.
    bool confirm(ExportOptions &o);

    std::shared_ptr<const Checkpoint> m_checkpoint;
    RuleSet m_rules;
    QString m_sourcePath;
    QLineEdit *m_output;
    QComboBox *m_format;
    QComboBox *m_ggufType = nullptr;
    QCheckBox *m_weightsOnly;
    QComboBox *m_optimizer;
    QComboBox *m_tied;
    QLineEdit *m_shardSize;
    QCheckBox *m_writeConfig;
    QProgressBar *m_progress;
    QLabel *m_result;
    QPushButton *m_export;
    QPushButton *m_cancel;
    QPushButton *m_open;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
    QFutureWatcher<Result<ExportReport>> m_watcher;
    QString m_written;
    bool m_formatChosen = false; ///< the user picked the format: the name no longer sets it
    bool m_following = false;    ///< the format is being set from the name
};

} // namespace ckpt
