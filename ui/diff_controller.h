#pragma once

#include <QObject>
#include <QString>

class QDockWidget;
class QMainWindow;
class QMenu;

namespace ckpt {

class DiffDocument;
class DiffPanel;
class FileController;

/// File > Diff With Checkpoint and View > Diff View: the open checkpoint against a second
/// one, tensor by tensor. A diff asked for while a document is still opening waits for it.
class DiffController final : public QObject
{
    Q_OBJECT
public:
    DiffController(QMainWindow *window, FileController *files, DiffDocument *diff, DiffPanel *panel,
                   QDockWidget *dock);

    void addActions(QMenu *file, QMenu *view);
    /// Diffs the open checkpoint against `path` (shows the diff view); when a document is
    /// being opened, once it is in.
    void diffWith(const QString &path);
    /// Diffs with `path` once the document being opened now is in.
    void diffWhenOpened(const QString &path) { m_pending = path; }
    /// Selects a tensor of the diff by its (aligned) name; false when there is none.
    bool selectTensor(const QString &name);

    /// Follows the file controller's document (none when closed), then runs a waiting diff.
    void showDocument();

private:
    void chooseDiff();

    QMainWindow *m_window;
    FileController *m_files;
    DiffDocument *m_diff;
    DiffPanel *m_panel;
    QDockWidget *m_dock;
    QString m_pending; ///< diff with this once the document being opened is in
};

} // namespace ckpt
