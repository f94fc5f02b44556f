#include "diff_controller.h"

#include "diff_document.h"
#include "diff_panel.h"
#include "file_controller.h"
#include "window_helpers.h"

#include <QAction>
#include <QMainWindow>
#include <QMenu>

namespace ckpt {

DiffController::DiffController(QMainWindow *window, FileController *files, DiffDocument *diff, DiffPanel *panel,
                               QDockWidget *dock)
    : QObject(window), m_window(window), m_files(files), m_diff(diff), m_panel(panel), m_dock(dock)
{
    connect(m_panel, &DiffPanel::chooseRequested, this, &DiffController::chooseDiff);
}

void DiffController::addActions(QMenu *file, QMenu *view)
{
    QAction *diff = insertFileAction(file, tr("&Diff With Checkpoint..."), QKeySequence(Qt::CTRL | Qt::Key_D), this);
    connect(diff, &QAction::triggered, this, &DiffController::chooseDiff);
    view->addAction(tr("D&iff View"), QKeySequence(Qt::CTRL | Qt::Key_4), this,
                    [this] { raiseDock(m_window, m_dock, 0); });
}

void DiffController::chooseDiff()
{
    const QString path = chooseFileFor(m_window, "diff", tr("Diff With Checkpoint"),
                                       tr("Checkpoints (*.pt *.pth *.bin *.ckpt *.safetensors *.json);;All files (*)"));
    if (!path.isEmpty()) diffWith(path);
}

void DiffController::diffWith(const QString &path)
{
    if (m_files->isOpening()) {
        m_pending = path;
        return;
    }
    raiseDock(m_window, m_dock, 0.6);
    m_diff->compareWith(path);
}

void DiffController::showDocument()
{
    const LoadedDocument &d = m_files->document();
    m_diff->setA(d.checkpoint, d.path);
    if (d.checkpoint && !m_pending.isEmpty()) diffWith(std::exchange(m_pending, QString()));
}

bool DiffController::selectTensor(const QString &name)
{
    const DiffReport *r = m_diff->report();
    if (!r) return false;
    for (size_t i = 0; i < r->tensors.size(); ++i)
        if (QString::fromStdString(r->tensors[i].name) == name) {
            m_panel->selectTensor(int(i));
            return true;
        }
    return false;
}

} // namespace ckpt
