// MainWindow's compare view: a target architecture against the checkpoint as its rules
// leave it (the CompareDocument recomputes on every rules change).
#include "main_window.h"

#include "compare_document.h"
#include "compare_panel.h"

#include <QDockWidget>
#include <QFileInfo>
#include <QFileDialog>
#include <QMenu>
#include <QSettings>

namespace ckpt {

void MainWindow::createCompareActions(QMenu *file, QMenu *view)
{
    QAction *compare = new QAction(tr("Compare with &Target..."), this);
    compare->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    connect(compare, &QAction::triggered, this, &MainWindow::chooseTarget);
    // With the rules' actions, before File > Close.
    QAction *close = nullptr;
    for (QAction *a : file->actions())
        if (a->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_W)) close = a;
    file->insertAction(close, compare);
    view->addAction(tr("Compare &View"), QKeySequence(Qt::CTRL | Qt::Key_3), this, [this] {
        m_compareDock->show();
        m_compareDock->raise();
    });
    connect(m_comparePanel, &ComparePanel::chooseTargetRequested, this, &MainWindow::chooseTarget);
}

void MainWindow::chooseTarget()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Compare with Target"), settings.value("compare/lastFolder").toString(),
        tr("Targets (*.pt *.pth *.bin *.ckpt *.safetensors *.json *.zip);;All files (*)"));
    if (path.isEmpty()) return;
    settings.setValue("compare/lastFolder", QFileInfo(path).absolutePath());
    openTarget(path);
}

void MainWindow::openTarget(const QString &path)
{
    m_compareDock->show();
    m_compareDock->raise();
    resizeDocks({m_compareDock}, {height() * 2 / 5}, Qt::Vertical);
    m_compare->setTarget(path);
}

} // namespace ckpt
