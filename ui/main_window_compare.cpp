// MainWindow's compare view: a target architecture against the checkpoint as its rules
// leave it (the CompareDocument recomputes on every rules change).
#include "main_window.h"

#include "compare_document.h"
#include "compare_panel.h"

#include <QDockWidget>
#include <QMenu>

namespace ckpt {

void MainWindow::createCompareActions(QMenu *file, QMenu *view)
{
    QAction *compare = new QAction(tr("Compare with &Target..."), this);
    compare->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    connect(compare, &QAction::triggered, this, &MainWindow::chooseTarget);
    file->insertAction(closeAction(file), compare); // with the rules' actions
    view->addAction(tr("Compare &View"), QKeySequence(Qt::CTRL | Qt::Key_3), this, [this] { raiseDock(m_compareDock, 0); });
    connect(m_comparePanel, &ComparePanel::chooseTargetRequested, this, &MainWindow::chooseTarget);
    connect(m_comparePanel, &ComparePanel::entryActivated, this, &MainWindow::selectEntry);
}

void MainWindow::chooseTarget()
{
    const QString path = chooseFileFor("compare", tr("Compare with Target"),
                                       tr("Targets (*.pt *.pth *.bin *.ckpt *.safetensors *.json *.zip);;All files (*)"));
    if (!path.isEmpty()) openTarget(path);
}

void MainWindow::openTarget(const QString &path)
{
    raiseDock(m_compareDock, 0.5);
    m_compare->setTarget(path);
}

} // namespace ckpt
