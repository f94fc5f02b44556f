#pragma once

#include <QObject>
#include <QString>

#include <memory>

class QAction;
class QDockWidget;
class QMenu;
class QTreeView;
class QWidget;

namespace ckpt {

class FileController;
class RuleSources;
class RulesDocument;
class SourcesPanel;

/// The Sources panel's side of the rules: adding and removing sources (undoable edits of the
/// config), showing them as opened, and a module or tensor dropped from a source onto the
/// checkpoint's tree becoming a take rule renamed to where it was dropped.
class SourcesController final : public QObject
{
    Q_OBJECT
public:
    SourcesController(QWidget *window, FileController *files, RulesDocument *rules, SourcesPanel *panel,
                      QTreeView *tree, QDockWidget *dock);
    void addActions(QMenu *file, QMenu *view);

    /// Adds `path` as a source (named after the file); false with the reason on the status bar.
    bool addSource(const QString &path);
    void removeSource(const QString &name);
    /// What a drop of `payload` (SourcesPanel::kMimeType) onto tree node `node` (0: empty
    /// space) adds: a take rule; false when the drop means nothing.
    bool dropOnNode(const QByteArray &payload, int node);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void refresh();
    /// Where a drop on `node` puts what it takes: the module's name as the rules leave it.
    QString destinationOf(int node) const;

    QWidget *m_window;
    FileController *m_files;
    RulesDocument *m_rules;
    SourcesPanel *m_panel;
    QTreeView *m_tree;
    QDockWidget *m_dock;
    std::shared_ptr<const RuleSources> m_opened;
};

} // namespace ckpt
