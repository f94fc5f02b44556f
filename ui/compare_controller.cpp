#include "compare_controller.h"

#include "compare_document.h"
#include "compare_panel.h"
#include "window_helpers.h"

#include <QAction>
#include <QMainWindow>
#include <QMenu>

namespace ckpt {

CompareController::CompareController(QMainWindow *window, CompareDocument *compare, ComparePanel *panel,
                                     QDockWidget *dock)
    : QObject(window), m_window(window), m_compare(compare), m_panel(panel), m_dock(dock)
{
    connect(m_panel, &ComparePanel::chooseTargetRequested, this, &CompareController::chooseTarget);
}

void CompareController::addActions(QMenu *file, QMenu *view)
{
    QAction *compare = insertFileAction(file, tr("Compare with &Target..."), QKeySequence(Qt::CTRL | Qt::Key_T), this);
    connect(compare, &QAction::triggered, this, &CompareController::chooseTarget);
    view->addAction(tr("Compare &View"), QKeySequence(Qt::CTRL | Qt::Key_3), this,
                    [this] { raiseDock(m_window, m_dock, 0); });
}

void CompareController::chooseTarget()
{
    const QString path = chooseFileFor(m_window, "compare", tr("Compare with Target"),
                                       tr("Targets (*.pt *.pth *.bin *.ckpt *.safetensors *.json *.zip);;All files (*)"));
    if (!path.isEmpty()) openTarget(path);
}

void CompareController::openTarget(const QString &path)
{
    raiseDock(m_window, m_dock, 0.5);
    m_compare->setTarget(path);
}

} // namespace ckpt
