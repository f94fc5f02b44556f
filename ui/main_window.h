#pragma once

#include "document_loader.h"

#include <QFutureWatcher>
#include <QMainWindow>

#include <memory>

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QStackedWidget;
class QTreeView;

namespace ckpt {

class CheckpointTreeModel;
class CompareDocument;
class ComparePanel;
class DiffDocument;
class DiffPanel;
class ExportDialog;
class FilterBar;
class MessageBanner;
class NodePage;
class RulesDocument;
class RulesPanel;
class SummaryPage;
class TensorPage;
class TreeFilterProxy;

/// The inspector window: the checkpoint's tree on the left (filterable, flat or by module),
/// details of the selected row on the right. Opening runs in the background; a failure
/// shows the core's one-line error and leaves what was open as it was.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Starts opening a file or model folder (asynchronously; see documentOpened/openFailed).
    void openPath(const QString &path);
    QString currentPath() const { return m_document.path; }
    bool isOpening() const { return m_loader.isRunning(); }

    /// Selects the row with this full name ("state_dict/model.conv1.weight"); false if none.
    bool selectFullName(const QString &fullName);
    /// Selects the tree row of checkpoint entry `entry` (a tensor); false when not shown.
    bool selectEntry(int entry);
    /// Whether the current row is a tensor (its statistics are then being computed).
    bool currentIsTensor() const;
    void setFilter(const QString &pattern, int mode);
    void setFlat(bool flat);

    QTreeView *treeView() const { return m_tree; }
    CheckpointTreeModel *treeModel() const { return m_model; }
    TensorPage *tensorPage() const { return m_tensorPage; }
    SummaryPage *summaryPage() const { return m_summaryPage; }
    FilterBar *filterBar() const { return m_filter; }
    QStringList recentFiles() const;
    RulesDocument *rulesDocument() const { return m_rules; }
    RulesPanel *rulesPanel() const { return m_rulesPanel; }
    CompareDocument *compareDocument() const { return m_compare; }
    ComparePanel *comparePanel() const { return m_comparePanel; }
    /// Compares the open checkpoint with a target architecture (shows the compare view).
    void openTarget(const QString &path);
    DiffDocument *diffDocument() const { return m_diff; }
    DiffPanel *diffPanel() const { return m_diffPanel; }
    /// Diffs the open checkpoint against `path` (shows the diff view); when nothing is open
    /// yet, once `openPath` finishes.
    void diffWith(const QString &path);
    /// Selects a tensor of the diff by its (aligned) name; false when there is none.
    bool selectDiffTensor(const QString &name);
    /// Loads a rules config (JSON/YAML) as one undoable step; false (with a message) if invalid.
    bool loadRules(const QString &path);
    /// Writes the rules (".json"/".yaml"), the full config with its resolved result
    /// (".config.json"/".config.yaml"), the Python function (".py") or a trainer's block
    /// ("anemoi", "kempnerforge", "linnaeus").
    bool exportRules(const QString &path, const QString &format);
    /// The tree row's rule actions, as the context menu offers them: "freeze", "unfreeze",
    /// "drop", "rename" (with a new prefix), "group" (with a name), "cast" (with a dtype).
    bool addRuleForNode(int node, const QString &action, const QString &argument = {});
    void setOnlyAffected(bool on);
    /// File > Export Checkpoint: the dialog (non-modal to the event loop), or null when
    /// nothing is open.
    ExportDialog *showExportDialog();

Q_SIGNALS:
    void documentOpened(const QString &path);
    void openFailed(const QString &path, const QString &error);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void chooseFile();
    void chooseFolder();
    void closeDocument();
    void onLoaded();
    void install(LoadedDocument document);
    void applyFilter();
    void showSelected();
    void copySelection(int what);
    void showContextMenu(const QPoint &pos);
    void showHelp();
    void rememberRecent(const QString &path);
    void refreshRecentMenu();
    void expandDefault();
    void createRuleActions(QMenu *file, QMenu *edit, QMenu *view);
    void addRuleMenu(QMenu &menu, int node);
    void createCompareActions(QMenu *file, QMenu *view);
    void chooseTarget();
    void createDiffActions(QMenu *file, QMenu *view);
    void chooseDiff();
    /// File > Close, before which the actions of documents' features go.
    static QAction *closeAction(QMenu *file);
    /// An open-file dialog that starts in the folder last used for `purpose`; "" if cancelled.
    QString chooseFileFor(const QString &purpose, const QString &title, const QString &filter);
    /// Shows a bottom dock in front, at least `fraction` of the window's height.
    void raiseDock(QDockWidget *dock, double fraction);

    LoadedDocument m_document;
    QFutureWatcher<LoadedDocument> m_loader;
    CheckpointTreeModel *m_model;
    TreeFilterProxy *m_proxy;
    QTreeView *m_tree;
    FilterBar *m_filter;
    MessageBanner *m_banner;
    QStackedWidget *m_details;
    SummaryPage *m_summaryPage;
    TensorPage *m_tensorPage;
    NodePage *m_nodePage;
    QProgressBar *m_busy;
    QLabel *m_status;
    QMenu *m_recentMenu = nullptr;
    QAction *m_flatAction = nullptr;
    QAction *m_affectedAction = nullptr;
    RulesDocument *m_rules;
    RulesPanel *m_rulesPanel;
    CompareDocument *m_compare;
    ComparePanel *m_comparePanel;
    QDockWidget *m_rulesDock = nullptr;
    QDockWidget *m_compareDock = nullptr;
    DiffDocument *m_diff;
    DiffPanel *m_diffPanel;
    QDockWidget *m_diffDock = nullptr;
    QString m_pendingDiff; ///< diff with this once the document being opened is in
};

/// Where the bundled sample checkpoint is (next to the executable or in the source tree).
QString sampleCheckpointPath();

} // namespace ckpt
