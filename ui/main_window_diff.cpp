// MainWindow's diff view: the open checkpoint against a second one, tensor by tensor.
#include "main_window.h"

#include "diff_document.h"
#include "diff_panel.h"

#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace ckpt {

void MainWindow::createDiffActions(QMenu *file, QMenu *view)
{
    auto *diff = new QAction(tr("&Diff With Checkpoint..."), this);
    diff->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    connect(diff, &QAction::triggered, this, &MainWindow::chooseDiff);
    QAction *close = nullptr;
    for (QAction *a : file->actions())
        if (a->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_W)) close = a;
    file->insertAction(close, diff);
    view->addAction(tr("D&iff View"), QKeySequence(Qt::CTRL | Qt::Key_4), this, [this] {
        m_diffDock->show();
        m_diffDock->raise();
    });
    connect(m_diffPanel, &DiffPanel::chooseRequested, this, &MainWindow::chooseDiff);
}

void MainWindow::chooseDiff()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Diff With Checkpoint"), settings.value("diff/lastFolder").toString(),
        tr("Checkpoints (*.pt *.pth *.bin *.ckpt *.safetensors *.json);;All files (*)"));
    if (path.isEmpty()) return;
    settings.setValue("diff/lastFolder", QFileInfo(path).absolutePath());
    diffWith(path);
}

void MainWindow::diffWith(const QString &path)
{
    if (isOpening()) {
        m_pendingDiff = path;
        return;
    }
    m_diffDock->show();
    m_diffDock->raise();
    resizeDocks({m_diffDock}, {height() * 3 / 5}, Qt::Vertical);
    m_diff->compareWith(path);
}

bool MainWindow::selectDiffTensor(const QString &name)
{
    const DiffReport *r = m_diff->report();
    if (!r) return false;
    for (size_t i = 0; i < r->tensors.size(); ++i)
        if (QString::fromStdString(r->tensors[i].name) == name) {
            m_diffPanel->selectTensor(int(i));
            return true;
        }
    return false;
}

} // namespace ckpt
