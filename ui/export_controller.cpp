#include "export_controller.h"

#include "export_dialog.h"
#include "file_controller.h"
#include "rules_document.h"
#include "window_helpers.h"

#include <QAction>
#include <QMenu>

namespace ckpt {

ExportController::ExportController(QWidget *window, FileController *files, RulesDocument *rules)
    : QObject(window), m_window(window), m_files(files), m_rules(rules)
{
}

void ExportController::addActions(QMenu *file)
{
    QAction *exportCheckpoint = insertFileAction(file, tr("E&xport Checkpoint..."), QKeySequence(tr("Ctrl+Shift+S")), this);
    connect(exportCheckpoint, &QAction::triggered, this, &ExportController::showExportDialog);
}

ExportDialog *ExportController::showExportDialog()
{
    const LoadedDocument &d = m_files->document();
    if (!d.checkpoint) return nullptr;
    auto *dialog = new ExportDialog(d.checkpoint, m_rules->rules(), d.path, m_window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ExportDialog::openRequested, m_files, &FileController::openPath);
    dialog->open();
    return dialog;
}

} // namespace ckpt
