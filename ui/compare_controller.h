#pragma once

#include <QObject>

class QDockWidget;
class QMainWindow;
class QMenu;

namespace ckpt {

class CompareDocument;
class ComparePanel;

/// File > Compare with Target and View > Compare View: a target architecture against the
/// checkpoint as its rules leave it (the CompareDocument recomputes on every rules change).
class CompareController final : public QObject
{
    Q_OBJECT
public:
    CompareController(QMainWindow *window, CompareDocument *compare, ComparePanel *panel, QDockWidget *dock);

    void addActions(QMenu *file, QMenu *view);
    /// Compares the open checkpoint with a target architecture (shows the compare view).
    void openTarget(const QString &path);

private:
    void chooseTarget();

    QMainWindow *m_window;
    CompareDocument *m_compare;
    ComparePanel *m_panel;
    QDockWidget *m_dock;
};

} // namespace ckpt
