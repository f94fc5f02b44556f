#pragma once

#include <QObject>

class QMenu;
class QWidget;

namespace ckpt {

class ExportDialog;
class FileController;
class RulesDocument;

/// File > Export Checkpoint: the export dialog for the open document under its rules.
class ExportController final : public QObject
{
    Q_OBJECT
public:
    ExportController(QWidget *window, FileController *files, RulesDocument *rules);

    void addActions(QMenu *file);
    /// The dialog (non-modal to the event loop), or null when nothing is open.
    ExportDialog *showExportDialog();

private:
    QWidget *m_window;
    FileController *m_files;
    RulesDocument *m_rules;
};

} // namespace ckpt
