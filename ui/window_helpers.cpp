#include "window_helpers.h"

#include <QAction>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QMainWindow>
#include <QMenu>
#include <QScrollArea>
#include <QSettings>

namespace ckpt {

QAction *closeAction(QMenu *file)
{
    for (QAction *a : file->actions())
        if (a->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_W)) return a;
    return nullptr;
}

QAction *insertFileAction(QMenu *file, const QString &text, const QKeySequence &shortcut, QObject *owner)
{
    auto *action = new QAction(text, owner);
    if (!shortcut.isEmpty()) action->setShortcut(shortcut);
    file->insertAction(closeAction(file), action);
    return action;
}

QString chooseFileFor(QWidget *parent, const QString &purpose, const QString &title, const QString &filter)
{
    QSettings settings;
    const QString key = purpose + "/lastFolder";
    const QString path = QFileDialog::getOpenFileName(parent, title, settings.value(key).toString(), filter);
    if (!path.isEmpty()) settings.setValue(key, QFileInfo(path).absolutePath());
    return path;
}

void raiseDock(QMainWindow *window, QDockWidget *dock, double fraction)
{
    dock->show();
    dock->raise();
    if (fraction > 0) window->resizeDocks({dock}, {int(window->height() * fraction)}, Qt::Vertical);
}

QWidget *scrolled(QWidget *page, QWidget *parent)
{
    auto *area = new QScrollArea(parent);
    area->setWidget(page);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    return area;
}

} // namespace ckpt
