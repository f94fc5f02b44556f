#pragma once

#include <QString>

class QAction;
class QKeySequence;
class QObject;
class QDockWidget;
class QMainWindow;
class QMenu;
class QWidget;

namespace ckpt {

/// File > Close: the controllers insert their File actions before it, in sections of their own.
QAction *closeAction(QMenu *file);
/// A new File action (owned by `owner`, with `shortcut` unless empty) inserted before Close.
QAction *insertFileAction(QMenu *file, const QString &text, const QKeySequence &shortcut, QObject *owner);
/// An open-file dialog that starts in the folder last used for `purpose`; "" if cancelled.
QString chooseFileFor(QWidget *parent, const QString &purpose, const QString &title, const QString &filter);
/// Shows a bottom dock in front, at least `fraction` of the window's height.
void raiseDock(QMainWindow *window, QDockWidget *dock, double fraction);
/// `page` in a frameless scroll area: its minimum size then never grows what holds it.
QWidget *scrolled(QWidget *page, QWidget *parent);

} // namespace ckpt
