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
    file->insertAction(closeAction(file), diff);
    view->addAction(tr("D&iff View"), QKeySequence(Qt::CTRL | Qt::Key_4), this, [this] { raiseDock(m_diffDock, 0); });
    connect(m_diffPanel, &DiffPanel::chooseRequested, this, &MainWindow::chooseDiff);
    connect(m_diffPanel, &DiffPanel::entryActivated, this, &MainWindow::selectEntry);
}

void MainWindow::chooseDiff()
{
    const QString path = chooseFileFor("diff", tr("Diff With Checkpoint"),
                                       tr("Checkpoints (*.pt *.pth *.bin *.ckpt *.safetensors *.json);;All files (*)"));
    if (!path.isEmpty()) diffWith(path);
}

void MainWindow::diffWith(const QString &path)
{
    if (isOpening()) {
        m_pendingDiff = path;
        return;
    }
    raiseDock(m_diffDock, 0.6);
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

QAction *MainWindow::closeAction(QMenu *file)
{
    for (QAction *a : file->actions())
        if (a->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_W)) return a;
    return nullptr;
}

QString MainWindow::chooseFileFor(const QString &purpose, const QString &title, const QString &filter)
{
    QSettings settings;
    const QString key = purpose + "/lastFolder";
    const QString path = QFileDialog::getOpenFileName(this, title, settings.value(key).toString(), filter);
    if (!path.isEmpty()) settings.setValue(key, QFileInfo(path).absolutePath());
    return path;
}

void MainWindow::raiseDock(QDockWidget *dock, double fraction)
{
    dock->show();
    dock->raise();
    if (fraction > 0) resizeDocks({dock}, {int(height() * fraction)}, Qt::Vertical);
}

} // namespace ckpt
