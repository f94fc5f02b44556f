#include "main_window.h"

#include "compare_controller.h"
#include "compare_document.h"
#include "compare_panel.h"
#include "diff_controller.h"
#include "diff_document.h"
#include "diff_panel.h"
#include "export_controller.h"
#include "file_controller.h"
#include "rules_controller.h"
#include "rules_document.h"
#include "rules_panel.h"
#include "session_controller.h"
#include "sources_controller.h"
#include "sources_panel.h"
#include "tree_controller.h"
#include "window_helpers.h"

#include "widgets/filter_bar.h"
#include "widgets/message_banner.h"

#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace ckpt {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_banner(new MessageBanner(this)), m_busy(new QProgressBar(this)),
      m_status(new QLabel(this)), m_rules(new RulesDocument(this)), m_rulesPanel(new RulesPanel(m_rules, this)),
      m_compare(new CompareDocument(m_rules, this)), m_comparePanel(new ComparePanel(m_compare, this)),
      m_diff(new DiffDocument(m_rules, this)), m_diffPanel(new DiffPanel(m_diff, this)),
      m_files(new FileController(this, m_banner, m_status, m_busy)),
      m_treeView(new TreeController(this, m_files, m_rules, m_diff)),
      m_rulesActions(new RulesController(this, m_files, m_rules, m_rulesPanel, m_banner, m_status)),
      m_export(new ExportController(this, m_files, m_rules))
{
    setObjectName("mainWindow");
    setAcceptDrops(true);
    m_banner->setObjectName("errorBanner");

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(6, 6, 0, 6);
    leftLayout->addWidget(m_banner);
    leftLayout->addWidget(m_treeView->filterBar());
    leftLayout->addWidget(m_treeView->treeView(), 1);
    auto *splitter = new QSplitter(this);
    splitter->addWidget(left);
    splitter->addWidget(m_treeView->details());
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    setCentralWidget(splitter);

    m_busy->setRange(0, 0);
    m_busy->setMaximumWidth(120);
    m_busy->hide();
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_busy);
    m_status->setText(tr("Open a checkpoint: File > Open (Ctrl+O), drop a file here, or File > Open Sample."));

    QDockWidget *rulesDock = addBottomDock(tr("Rules"), "rulesDock", m_rulesPanel);
    m_rulesDock = rulesDock;
    addDockWidget(Qt::BottomDockWidgetArea, rulesDock);
    // Scrolled: a panel's minimum size must not grow the dock area.
    QDockWidget *compareDock = addBottomDock(tr("Compare with Target"), "compareDock", scrolled(m_comparePanel, this));
    tabifyDockWidget(rulesDock, compareDock);
    QDockWidget *diffDock = addBottomDock(tr("Diff"), "diffDock", scrolled(m_diffPanel, this));
    tabifyDockWidget(compareDock, diffDock);
    rulesDock->raise();
    resizeDocks({rulesDock}, {230}, Qt::Vertical);
    m_compareActions = new CompareController(this, m_compare, m_comparePanel, compareDock);
    m_diffActions = new DiffController(this, m_files, m_diff, m_diffPanel, diffDock);
    m_sourcesPanel = new SourcesPanel(this);
    QDockWidget *sourcesDock = addBottomDock(tr("Sources"), "sourcesDock", m_sourcesPanel);
    tabifyDockWidget(diffDock, sourcesDock);
    rulesDock->raise();
    m_sourcesActions = new SourcesController(this, m_files, m_rules, m_sourcesPanel, m_treeView->treeView(), sourcesDock);

    m_sessions = new SessionController(this, m_banner);
    createMenus();
    m_files->setGuards([this](const QString &path) {
                           if (m_sessions->isOpening()) { // the session says what comes with it
                               m_keep = KeepChoice{};
                               return true;
                           }
                           return beforeOpening(path);
                       },
                       [this] { return m_rulesActions->offerToSaveRules(tr("Close %1").arg(QFileInfo(currentPath()).fileName())); });
    connect(m_files, &FileController::openFailed, this, [this] {
        m_keep.reset();
        m_sessions->openFailed();
    });
    connect(m_files, &FileController::documentInstalled, this, &MainWindow::showDocument);
    connect(m_files, &FileController::documentClosed, this, &MainWindow::clearDocument);
    connect(m_files, &FileController::documentOpened, this, &MainWindow::documentOpened);
    connect(m_files, &FileController::openFailed, this, &MainWindow::openFailed);
    connect(m_treeView, &TreeController::contextMenuAboutToShow, m_rulesActions, &RulesController::addRuleMenu);
    connect(m_comparePanel, &ComparePanel::entryActivated, m_treeView, &TreeController::selectEntry);
    connect(m_diffPanel, &DiffPanel::entryActivated, m_treeView, &TreeController::selectEntry);

    setWindowTitle(tr("Checkpoint Studio"));
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray())) resize(1280, 800);
    // Never larger than the screen it opens on (1280x800 at 1.5x is 1920x1200 device pixels).
    if (const QScreen *s = screen()) {
        const QRect room = s->availableGeometry();
        if (width() > room.width() || height() > room.height())
            resize(std::min(width(), room.width() * 19 / 20), std::min(height(), room.height() * 19 / 20));
        if (!room.contains(frameGeometry().topLeft())) move(room.topLeft());
    }
    if (!splitter->restoreState(settings.value("window/splitter").toByteArray()))
        splitter->setSizes({width() * 3 / 5, width() * 2 / 5});
    splitter->setObjectName("mainSplitter");
    // Undo and redo reach the rules from every field once the field has none of its own.
    for (QLineEdit *field : findChildren<QLineEdit *>()) field->installEventFilter(this);
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::ShortcutOverride)
        if (auto *field = qobject_cast<QLineEdit *>(watched)) {
            auto *key = static_cast<QKeyEvent *>(event);
            if ((key->matches(QKeySequence::Undo) && !field->isUndoAvailable()) ||
                (key->matches(QKeySequence::Redo) && !field->isRedoAvailable()))
                return true; // not overridden: the window's Undo/Redo shortcut runs
        }
    return QMainWindow::eventFilter(watched, event);
}

MainWindow::~MainWindow() = default;

QDockWidget *MainWindow::addBottomDock(const QString &title, const QString &name, QWidget *content)
{
    auto *dock = new QDockWidget(title, this);
    dock->setObjectName(name);
    dock->setWidget(content);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    return dock;
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    QMenu *view = menuBar()->addMenu(tr("&View"));
    m_files->addActions(file);
    m_treeView->addActions(edit, view);
    // The documents' actions go before File > Close: rules and export, then compare and diff.
    m_rulesActions->addActions(file, edit);
    m_export->addActions(file);
    m_sessions->addActions(file);
    file->insertSeparator(closeAction(file));
    view->addAction(tr("&Rules View"), QKeySequence(Qt::CTRL | Qt::Key_2), this,
                    [this] { raiseDock(this, m_rulesDock, 0); });
    m_compareActions->addActions(file, view);
    m_diffActions->addActions(file, view);
    m_sourcesActions->addActions(file, view);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard Shortcuts"), QKeySequence::HelpContents, this, &MainWindow::showHelp);
}

bool MainWindow::beforeOpening(const QString &path)
{
    const int rules = int(m_rules->rules().rules.size());
    const QString target = m_compare->hasTarget() ? QFileInfo(m_compare->targetPath()).fileName() : QString();
    m_keep = KeepChoice{};
    if (rules == 0 && target.isEmpty()) return true;
    m_keep = askWhatToKeep(this, path, rules, m_rules->hasUnsavedRules(), target);
    return m_keep.has_value();
}

void MainWindow::leaveLastFile()
{
    const KeepChoice keep = m_keep.value_or(KeepChoice{});
    m_keep.reset();
    if (!keep.target && m_compare->hasTarget()) m_compare->clearTarget();
    // Undoable: rules left behind come back with Ctrl+Z.
    if (!keep.rules && !m_rules->rules().rules.empty())
        m_rules->replaceAll(RuleSet{}, tr("Leave the rules of %1").arg(QFileInfo(m_shownPath).fileName()));
    m_treeView->clearFilter();
}

void MainWindow::showDocument()
{
    const QString path = m_files->document().path;
    const std::optional<Session> session = m_sessions->takeOpening();
    if (path != m_shownPath) {
        if (!m_shownPath.isEmpty() && !session) leaveLastFile();
        m_shownPath = path;
    }
    if (session) applySessionState(*session, true);
    // The tree first: the rules' plan change repaints and refilters it.
    m_treeView->setTree();
    m_rules->setCheckpoint(m_files->document().checkpoint, m_files->document().inputs,
                           m_files->document().weightsProblem);
    m_diffActions->showDocument();
    m_treeView->showDocument();
    setWindowTitle(tr("%1 - Checkpoint Studio").arg(QFileInfo(m_files->document().path).fileName()));
}

void MainWindow::applySessionState(const Session &s, bool opening)
{
    m_keep.reset();
    if (m_compare->hasTarget()) m_compare->clearTarget();
    m_rules->replaceAll(s.rules, tr("Open session"));
    m_rules->markSaved();
    if (!s.target.isEmpty()) m_compare->setTarget(s.target);
    // Once the checkpoint shows, the diff starts (its A side is set then).
    if (!s.diff.isEmpty()) opening ? m_diffActions->diffWhenOpened(s.diff) : m_diffActions->diffWith(s.diff);
    if (!s.layout.isEmpty()) restoreState(s.layout);
    // After the tree is laid out: the filter, then flat or modules (which lays it out again).
    const QString filter = s.filter;
    const int mode = s.filterMode;
    const bool flat = s.flat;
    QMetaObject::invokeMethod(this, [this, filter, mode, flat] {
        m_treeView->setFilter(filter, mode);
        if (flat != isFlat()) setFlat(flat);
    }, Qt::QueuedConnection);
}

void MainWindow::applySession(const Session &session) { applySessionState(session, false); }

bool MainWindow::saveSession(const QString &path) { return m_sessions->saveSession(path); }
bool MainWindow::openSession(const QString &path) { return m_sessions->openSession(path); }
bool MainWindow::isFlat() const { return m_treeView->isFlat(); }
bool MainWindow::offerToSaveRules(const QString &action) { return m_rulesActions->offerToSaveRules(action); }

void MainWindow::clearDocument()
{
    leaveLastFile(); // Close asked about unsaved rules first
    m_shownPath.clear();
    m_treeView->clear();
    m_rules->setCheckpoint(nullptr);
    m_diffActions->showDocument();
    setWindowTitle(tr("Checkpoint Studio"));
}

void MainWindow::showHelp()
{
    auto *box = new QMessageBox(QMessageBox::Information, tr("Checkpoint Studio"),
                                tr("<b>Keyboard shortcuts</b><table>"
                                   "<tr><td>Ctrl+O</td><td>Open a checkpoint</td></tr>"
                                   "<tr><td>Ctrl+Shift+O</td><td>Open a sharded model's folder</td></tr>"
                                   "<tr><td>Ctrl+W</td><td>Close</td></tr>"
                                   "<tr><td>Ctrl+Q</td><td>Quit</td></tr>"
                                   "<tr><td>Ctrl+F, Esc</td><td>Filter names (text, glob or regex), clear the filter</td></tr>"
                                   "<tr><td>Ctrl+L</td><td>Flat list / modules</td></tr>"
                                   "<tr><td>Ctrl+E, Ctrl+Shift+E</td><td>Expand all, collapse all</td></tr>"
                                   "<tr><td>Ctrl+C, Ctrl+Shift+C, Ctrl+Alt+C</td><td>Copy the state-dict key, the shape, the tree path</td></tr>"
                                   "<tr><td>Ctrl+1</td><td>File summary</td></tr>"
                                   "<tr><td>Ctrl+N, Ctrl+2</td><td>New rule (the cursor in its pattern), the rules view</td></tr>"
                                   "<tr><td>Ctrl+Z, Ctrl+Shift+Z</td><td>Undo, redo (rules and accepted fixes), from any field</td></tr>"
                                   "<tr><td>Ctrl+Shift+L, Ctrl+S, Ctrl+Shift+P</td><td>Load rules, save rules, preview the config in any format</td></tr>"
                                   "<tr><td>Ctrl+Shift+A</td><td>Only what the rules affect</td></tr>"
                                   "<tr><td>Ctrl+Shift+S</td><td>Export the checkpoint</td></tr>"
                                   "<tr><td>Ctrl+T, Ctrl+3</td><td>Compare with a target model, the compare view</td></tr>"
                                   "<tr><td>Enter, Delete</td><td>Accept, reject the selected fix</td></tr>"
                                   "<tr><td>Ctrl+D, Ctrl+4</td><td>Diff with another checkpoint, the diff view</td></tr>"
                                   "<tr><td>Ctrl+Alt+O, Ctrl+5</td><td>Add a source checkpoint (drag its modules onto the tree), the sources view</td></tr>"
                                   "<tr><td>F1</td><td>This help</td></tr></table>"
                                   "<p>Nothing in a checkpoint is ever run: pickles are read "
                                   "symbolically.</p>"),
                                QMessageBox::Close, this);
    box->setObjectName("helpBox");
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    // One file opens; two open the first and diff it with the second.
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    if (urls.size() >= 2 && urls[1].isLocalFile()) m_diffActions->diffWhenOpened(urls[1].toLocalFile());
    openPath(urls.first().toLocalFile());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_rulesActions->offerToSaveRules(tr("Quit"))) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    if (auto *splitter = findChild<QSplitter *>("mainSplitter"))
        settings.setValue("window/splitter", splitter->saveState());
    event->accept();
}

// The calls the command line and the tests make, forwarded to the controllers.
void MainWindow::openPath(const QString &path) { m_files->openPath(path); }
void MainWindow::closeDocument() { m_files->closeDocument(); }
QString MainWindow::currentPath() const { return m_files->document().path; }
bool MainWindow::isOpening() const { return m_files->isOpening(); }
QStringList MainWindow::recentFiles() const { return m_files->recentFiles(); }
bool MainWindow::selectFullName(const QString &fullName) { return m_treeView->selectFullName(fullName); }
bool MainWindow::selectEntry(int entry) { return m_treeView->selectEntry(entry); }
bool MainWindow::currentIsTensor() const { return m_treeView->currentIsTensor(); }
void MainWindow::setFilter(const QString &pattern, int mode) { m_treeView->setFilter(pattern, mode); }
void MainWindow::setFlat(bool flat) { m_treeView->setFlat(flat); }
void MainWindow::setOnlyAffected(bool on) { m_treeView->setOnlyAffected(on); }
QTreeView *MainWindow::treeView() const { return m_treeView->treeView(); }
CheckpointTreeModel *MainWindow::treeModel() const { return m_treeView->model(); }
TensorPage *MainWindow::tensorPage() const { return m_treeView->tensorPage(); }
SummaryPage *MainWindow::summaryPage() const { return m_treeView->summaryPage(); }
FilterBar *MainWindow::filterBar() const { return m_treeView->filterBar(); }
void MainWindow::openTarget(const QString &path) { m_compareActions->openTarget(path); }
void MainWindow::diffWith(const QString &path) { m_diffActions->diffWith(path); }
bool MainWindow::selectDiffTensor(const QString &name) { return m_diffActions->selectTensor(name); }
bool MainWindow::loadRules(const QString &path) { return m_rulesActions->loadRules(path); }
bool MainWindow::exportRules(const QString &path, const QString &format)
{
    return m_rulesActions->exportRules(path, format);
}
bool MainWindow::addRuleForNode(int node, const QString &action, const QString &argument)
{
    return m_rulesActions->addRuleForNode(node, action, argument);
}
ExportDialog *MainWindow::showExportDialog() { return m_export->showExportDialog(); }
void MainWindow::showOpenUrlDialog() { m_files->chooseUrl(); }
ConfigPreviewDialog *MainWindow::showConfigPreview()
{
    m_rulesActions->showConfigPreview();
    return m_rulesActions->configPreview();
}

} // namespace ckpt
