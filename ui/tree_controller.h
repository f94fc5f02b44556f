#pragma once

#include <QObject>

class QAction;
class QMenu;
class QPoint;
class QStackedWidget;
class QTreeView;
class QWidget;

namespace ckpt {

class CheckpointTreeModel;
class DiffDocument;
class FileController;
class FilterBar;
class NodePage;
class RulesDocument;
class SummaryPage;
class TensorPage;
class TreeFilterProxy;

/// The inspector: the tree of the open document, its filter, and the details of the selected
/// row (summary, tensor, node). Owns the Edit menu's copy actions, the View menu's tree
/// actions (filter, flat list, expand, collapse, summary, only affected by rules) and the
/// tree's context menu, which others extend through contextMenuAboutToShow.
class TreeController final : public QObject
{
    Q_OBJECT
public:
    TreeController(QWidget *window, FileController *files, RulesDocument *rules, DiffDocument *diff);

    void addActions(QMenu *edit, QMenu *view);

    QTreeView *treeView() const { return m_tree; }
    CheckpointTreeModel *model() const { return m_model; }
    FilterBar *filterBar() const { return m_filter; }
    QStackedWidget *details() const { return m_details; }
    TensorPage *tensorPage() const { return m_tensorPage; }
    SummaryPage *summaryPage() const { return m_summaryPage; }

    /// Shows the file controller's document: first its tree (before the rules follow it),
    /// then its summary, the filter and the default expansion.
    void setTree();
    void showDocument();
    void clear();

    bool selectFullName(const QString &fullName);
    bool selectEntry(int entry);
    bool currentIsTensor() const;
    void setFilter(const QString &pattern, int mode);
    void clearFilter();
    bool isFlat() const;
    /// The name column as wide as the names shown (capped at half the view); `onlyGrow`
    /// never narrows it.
    void fitNameColumn(bool onlyGrow);
    void setFlat(bool flat);
    void setOnlyAffected(bool on);

Q_SIGNALS:
    /// The context menu of tree node `node` is being built: add to `menu` now.
    /// The rows the menu acts on: the selected ones when the click was on one of them.
    void contextMenuAboutToShow(QMenu *menu, const QList<int> &nodes);

private:
    void applyFilter();
    void expandDefault();
    void showSelected();
    void copySelection(int what);
    void showContextMenu(const QPoint &pos);

    FileController *m_files;
    RulesDocument *m_rules;
    DiffDocument *m_diff;
    CheckpointTreeModel *m_model;
    TreeFilterProxy *m_proxy;
    QTreeView *m_tree;
    FilterBar *m_filter;
    QStackedWidget *m_details;
    SummaryPage *m_summaryPage;
    TensorPage *m_tensorPage;
    NodePage *m_nodePage;
    QAction *m_flatAction = nullptr;
    QAction *m_affectedAction = nullptr;
};

} // namespace ckpt
