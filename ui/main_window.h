#pragma once

#include "keep_dialog.h"

#include <QMainWindow>

class QDockWidget;
class QLabel;
class QProgressBar;
class QTreeView;

namespace ckpt {

class CheckpointTreeModel;
class CompareController;
class CompareDocument;
class ConfigPreviewDialog;
class SessionController;
struct Session;
class ComparePanel;
class DiffController;
class DiffDocument;
class DiffPanel;
class SourcesController;
class SourcesPanel;
class ExportController;
class ExportDialog;
class FileController;
class FilterBar;
class MessageBanner;
class RulesController;
class RulesDocument;
class RulesPanel;
class SummaryPage;
class TensorPage;
class TreeController;

/// The main window: the checkpoint's tree on the left, the details of the selected row on the
/// right, rules, compare and diff docked below. It lays the parts out and wires the
/// controllers, each of which owns its menu's actions: FileController (opening), TreeController
/// (the tree, its filter and the details), RulesController, ExportController,
/// CompareController and DiffController. The public calls below forward to them, for the
/// command line and the tests.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Starts opening a file or model folder (asynchronously; see documentOpened/openFailed).
    void openPath(const QString &path);
    /// File > Close, asking first about unsaved rules.
    void closeDocument();
    QString currentPath() const;
    bool isOpening() const;

    /// Selects the row with this full name ("state_dict/model.conv1.weight"); false if none.
    bool selectFullName(const QString &fullName);
    /// Selects the tree row of checkpoint entry `entry` (a tensor); false when not shown.
    bool selectEntry(int entry);
    /// Whether the current row is a tensor (its statistics are then being computed).
    bool currentIsTensor() const;
    void setFilter(const QString &pattern, int mode);
    void setFlat(bool flat);
    bool isFlat() const;
    /// See RulesController: asks about unsaved rules; true when `action` may go on.
    bool offerToSaveRules(const QString &action);
    /// File > Save Session / Open Session (see SessionController).
    bool saveSession(const QString &path);
    bool openSession(const QString &path);
    /// Restores what a session keeps, its checkpoint being the one open.
    void applySession(const Session &session);

    QTreeView *treeView() const;
    CheckpointTreeModel *treeModel() const;
    TensorPage *tensorPage() const;
    SummaryPage *summaryPage() const;
    FilterBar *filterBar() const;
    QStringList recentFiles() const;
    RulesDocument *rulesDocument() const { return m_rules; }
    MessageBanner *banner() const { return m_banner; }
    RulesPanel *rulesPanel() const { return m_rulesPanel; }
    CompareDocument *compareDocument() const { return m_compare; }
    ComparePanel *comparePanel() const { return m_comparePanel; }
    /// Compares the open checkpoint with a target architecture (shows the compare view).
    void openTarget(const QString &path);
    DiffDocument *diffDocument() const { return m_diff; }
    DiffPanel *diffPanel() const { return m_diffPanel; }
    SourcesPanel *sourcesPanel() const { return m_sourcesPanel; }
    SourcesController *sourcesController() const { return m_sourcesActions; }
    /// Diffs the open checkpoint against `path` (shows the diff view); when nothing is open
    /// yet, once `openPath` finishes.
    void diffWith(const QString &path);
    /// Selects a tensor of the diff by its (aligned) name; false when there is none.
    bool selectDiffTensor(const QString &name);
    /// See RulesController.
    bool loadRules(const QString &path);
    bool exportRules(const QString &path, const QString &format);
    bool addRuleForNode(int node, const QString &action, const QString &argument = {});
    void setOnlyAffected(bool on);
    /// File > Export Checkpoint: the dialog (non-modal to the event loop), or null when
    /// nothing is open.
    ExportDialog *showExportDialog();
    /// File > Open URL (modal).
    void showOpenUrlDialog();
    /// File > Preview Config: the dialog (kept while the window lives).
    ConfigPreviewDialog *showConfigPreview();

Q_SIGNALS:
    void documentOpened(const QString &path);
    void openFailed(const QString &path, const QString &error);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QDockWidget *addBottomDock(const QString &title, const QString &name, QWidget *content);
    void createMenus();
    void showDocument();
    void clearDocument();
    void showHelp();
    /// Before another file replaces the open one: what to keep of the rules and the target.
    bool beforeOpening(const QString &path);
    /// What is left of the last file's work when a new one shows (beforeOpening's answer).
    void leaveLastFile();

    std::optional<KeepChoice> m_keep; ///< set by beforeOpening, used when the file shows
    QString m_shownPath;              ///< the file the window last showed
    QDockWidget *m_rulesDock = nullptr;
    SessionController *m_sessions = nullptr;
    void applySessionState(const Session &session, bool opening);
    MessageBanner *m_banner;
    QProgressBar *m_busy;
    QLabel *m_status;
    RulesDocument *m_rules;
    RulesPanel *m_rulesPanel;
    CompareDocument *m_compare;
    ComparePanel *m_comparePanel;
    DiffDocument *m_diff;
    DiffPanel *m_diffPanel;
    FileController *m_files;
    TreeController *m_treeView;
    RulesController *m_rulesActions;
    ExportController *m_export;
    CompareController *m_compareActions = nullptr;
    DiffController *m_diffActions = nullptr;
    SourcesPanel *m_sourcesPanel;
    SourcesController *m_sourcesActions = nullptr;
};

} // namespace ckpt
