#include "main_window.h"

#include "checkpoint_tree_model.h"
#include "compare_document.h"
#include "compare_panel.h"
#include "diff_document.h"
#include "diff_panel.h"
#include "node_page.h"
#include "rules_document.h"
#include "rules_panel.h"
#include "roles.h"
#include "summary_page.h"
#include "tensor_page.h"
#include "tree_filter_proxy.h"

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "model/checkpoint/checkpoint_tree.h"
#include "model/match/name_matcher.h"
#include "widgets/filter_bar.h"
#include "widgets/message_banner.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace ckpt {
namespace {

constexpr int kMaxRecent = 10;
enum CopyWhat { CopyName, CopyShape, CopyPath };

QWidget *scrolled(QWidget *page, QWidget *parent)
{
    auto *area = new QScrollArea(parent);
    area->setWidget(page);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    return area;
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_model(new CheckpointTreeModel(this)), m_proxy(new TreeFilterProxy(this)),
      m_tree(new QTreeView(this)), m_filter(new FilterBar(this)), m_banner(new MessageBanner(this)),
      m_details(new QStackedWidget(this)), m_summaryPage(new SummaryPage(this)),
      m_tensorPage(new TensorPage(this)), m_nodePage(new NodePage(this)),
      m_busy(new QProgressBar(this)), m_status(new QLabel(this)), m_rules(new RulesDocument(this)),
      m_rulesPanel(new RulesPanel(m_rules, this)), m_compare(new CompareDocument(m_rules, this)),
      m_comparePanel(new ComparePanel(m_compare, this)), m_diff(new DiffDocument(m_rules, this)),
      m_diffPanel(new DiffPanel(m_diff, this))
{
    setObjectName("mainWindow");
    setAcceptDrops(true);
    m_proxy->setSourceModel(m_model);
    m_tree->setObjectName("checkpointTree");
    m_tree->setModel(m_proxy);
    m_tree->setUniformRowHeights(true); // keeps 100k rows smooth
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    m_tree->setAlternatingRowColors(true);
    m_tree->header()->setSortIndicatorClearable(true);
    m_tree->header()->setSortIndicator(-1, Qt::AscendingOrder);
    m_tree->setSortingEnabled(true);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(NameColumn, QHeaderView::Interactive);
    m_tree->setColumnWidth(NameColumn, 250);
    m_tree->setColumnWidth(ShapeColumn, 130);
    m_tree->setColumnWidth(DtypeColumn, 80);
    m_tree->setColumnWidth(ParamsColumn, 85);
    m_tree->setColumnWidth(SizeColumn, 85);
    m_tree->setColumnWidth(SharedColumn, 40);
    m_tree->setColumnWidth(PlanColumn, 170);
    m_tree->header()->moveSection(PlanColumn, 1); // what the rules do, next to the name
    m_tree->header()->moveSection(DiffColumn, 2);
    m_banner->setObjectName("errorBanner");

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(6, 6, 0, 6);
    leftLayout->addWidget(m_banner);
    leftLayout->addWidget(m_filter);
    leftLayout->addWidget(m_tree, 1);
    m_details->addWidget(scrolled(m_summaryPage, this));
    m_details->addWidget(scrolled(m_tensorPage, this));
    m_details->addWidget(scrolled(m_nodePage, this));
    auto *welcome = new QLabel(tr("<p style='font-size:14pt'>Checkpoint Studio</p>"
                                  "<p>Open a checkpoint (Ctrl+O), a sharded model's folder "
                                  "(Ctrl+Shift+O) or the sample (File &gt; Open Sample),<br>"
                                  "or drop a file on this window.</p><p>Press F1 for the shortcuts.</p>"),
                               this);
    welcome->setAlignment(Qt::AlignCenter);
    welcome->setObjectName("welcomePage");
    m_details->addWidget(welcome);
    m_details->setCurrentIndex(3);
    auto *splitter = new QSplitter(this);
    splitter->addWidget(left);
    splitter->addWidget(m_details);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    setCentralWidget(splitter);

    m_busy->setRange(0, 0);
    m_busy->setMaximumWidth(120);
    m_busy->hide();
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_busy);
    m_status->setText(tr("Open a checkpoint: File > Open (Ctrl+O), drop a file here, or File > Open Sample."));

    m_model->setRules(m_rules);
    m_model->setDiff(m_diff);
    m_tree->setColumnHidden(DiffColumn, true);
    m_tree->setColumnWidth(DiffColumn, 150);
    connect(m_diff, &DiffDocument::finished, this, [this] {
        m_tree->setColumnHidden(DiffColumn, !m_diff->report());
        m_tree->viewport()->update();
    });
    auto *dock = new QDockWidget(tr("Rules"), this);
    dock->setObjectName("rulesDock");
    dock->setWidget(m_rulesPanel);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    m_rulesDock = dock;
    m_compareDock = new QDockWidget(tr("Compare with Target"), this);
    m_compareDock->setObjectName("compareDock");
    m_compareDock->setWidget(scrolled(m_comparePanel, this)); // its minimum size must not grow the dock area
    m_compareDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    tabifyDockWidget(dock, m_compareDock);
    m_diffDock = new QDockWidget(tr("Diff"), this);
    m_diffDock->setObjectName("diffDock");
    m_diffDock->setWidget(scrolled(m_diffPanel, this));
    m_diffDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    tabifyDockWidget(m_compareDock, m_diffDock);
    dock->raise();
    resizeDocks({dock}, {230}, Qt::Vertical);
    connect(m_rules, &RulesDocument::planChanged, this, [this] {
        if (m_affectedAction && m_affectedAction->isChecked()) applyFilter();
        m_tree->viewport()->update();
    });
    connect(m_rules, &RulesDocument::previewChanged, m_tree->viewport(), qOverload<>(&QWidget::update));

    createActions();
    connect(&m_loader, &QFutureWatcher<LoadedDocument>::finished, this, &MainWindow::onLoaded);
    connect(m_filter, &FilterBar::changed, this, &MainWindow::applyFilter);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, &MainWindow::showSelected);
    connect(m_tree, &QTreeView::customContextMenuRequested, this, &MainWindow::showContextMenu);

    setWindowTitle(tr("Checkpoint Studio"));
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray())) resize(1280, 800);
    if (!splitter->restoreState(settings.value("window/splitter").toByteArray()))
        splitter->setSizes({width() * 3 / 5, width() * 2 / 5});
    splitter->setObjectName("mainSplitter");
}

MainWindow::~MainWindow() { m_loader.waitForFinished(); }

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open..."), QKeySequence::Open, this, &MainWindow::chooseFile);
    file->addAction(tr("Open &Folder (sharded model)..."), QKeySequence(tr("Ctrl+Shift+O")), this,
                    &MainWindow::chooseFolder);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    refreshRecentMenu();
    file->addAction(tr("Open &Sample"), this, [this] { openPath(sampleCheckpointPath()); });
    file->addSeparator();
    // Spelled out: some platform themes map QKeySequence::Close to Ctrl+F4.
    file->addAction(tr("&Close"), QKeySequence(Qt::CTRL | Qt::Key_W), this, &MainWindow::closeDocument);
    file->addAction(tr("&Quit"), QKeySequence(Qt::CTRL | Qt::Key_Q), this, &QWidget::close);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(tr("Copy &Name"), QKeySequence::Copy, this, [this] { copySelection(CopyName); });
    edit->addAction(tr("Copy &Shape"), QKeySequence(tr("Ctrl+Shift+C")), this, [this] { copySelection(CopyShape); });
    edit->addAction(tr("Copy &Path (JSON)"), this, [this] { copySelection(CopyPath); });

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Filter..."), QKeySequence::Find, this, [this] { m_filter->focusField(); });
    m_flatAction = view->addAction(tr("F&lat List"), QKeySequence(tr("Ctrl+L")));
    m_flatAction->setCheckable(true);
    connect(m_flatAction, &QAction::toggled, this, &MainWindow::setFlat);
    view->addAction(tr("&Expand All"), QKeySequence(tr("Ctrl+E")), m_tree, &QTreeView::expandAll);
    view->addAction(tr("C&ollapse All"), QKeySequence(tr("Ctrl+Shift+E")), m_tree, &QTreeView::collapseAll);
    view->addAction(tr("File &Summary"), QKeySequence(tr("Ctrl+1")), this, [this] {
        m_tree->setCurrentIndex({});
        m_details->setCurrentIndex(0);
    });

    createRuleActions(file, edit, view);
    createCompareActions(file, view);
    createDiffActions(file, view);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard Shortcuts"), QKeySequence::HelpContents, this, &MainWindow::showHelp);
}

void MainWindow::showHelp()
{
    auto *box = new QMessageBox(QMessageBox::Information, tr("Checkpoint Studio"),
                                tr("<b>Keyboard shortcuts</b><table>"
                                   "<tr><td>Ctrl+O</td><td>Open a checkpoint</td></tr>"
                                   "<tr><td>Ctrl+Shift+O</td><td>Open a sharded model's folder</td></tr>"
                                   "<tr><td>Ctrl+W</td><td>Close</td></tr>"
                                   "<tr><td>Ctrl+Q</td><td>Quit</td></tr>"
                                   "<tr><td>Ctrl+F</td><td>Filter names (text, glob or regex)</td></tr>"
                                   "<tr><td>Ctrl+L</td><td>Flat list / modules</td></tr>"
                                   "<tr><td>Ctrl+E, Ctrl+Shift+E</td><td>Expand all, collapse all</td></tr>"
                                   "<tr><td>Ctrl+C, Ctrl+Shift+C</td><td>Copy name, copy shape</td></tr>"
                                   "<tr><td>Ctrl+1</td><td>File summary</td></tr>"
                                   "<tr><td>Ctrl+N</td><td>New rule</td></tr>"
                                   "<tr><td>Ctrl+Z, Ctrl+Shift+Z</td><td>Undo, redo (rules and accepted fixes)</td></tr>"
                                   "<tr><td>Ctrl+Shift+L, Ctrl+S</td><td>Load rules, save rules</td></tr>"
                                   "<tr><td>Ctrl+Shift+A</td><td>Only what the rules affect</td></tr>"
                                   "<tr><td>Ctrl+Shift+S</td><td>Export the checkpoint</td></tr>"
                                   "<tr><td>Ctrl+T, Ctrl+3</td><td>Compare with a target model, the compare view</td></tr>"
                                   "<tr><td>Enter, Delete</td><td>Accept, reject the selected fix</td></tr>"
                                   "<tr><td>Ctrl+D, Ctrl+4</td><td>Diff with another checkpoint, the diff view</td></tr>"
                                   "<tr><td>F1</td><td>This help</td></tr></table>"
                                   "<p>Nothing in a checkpoint is ever run: pickles are read "
                                   "symbolically.</p>"),
                                QMessageBox::Close, this);
    box->setObjectName("helpBox");
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::openPath(const QString &path)
{
    if (path.isEmpty()) return;
    m_loader.setFuture(loadDocument(path, m_flatAction->isChecked()));
    m_busy->show();
    m_status->setText(tr("Opening %1...").arg(QFileInfo(path).fileName()));
}

void MainWindow::onLoaded()
{
    m_busy->hide();
    LoadedDocument loaded = m_loader.result();
    if (!loaded.checkpoint) {
        const QString line = tr("%1: %2").arg(loaded.path, loaded.error);
        m_banner->showMessage(MessageBanner::Level::Error, tr("Could not open %1").arg(line));
        m_status->setText(m_document.checkpoint ? tr("Still showing %1").arg(QFileInfo(m_document.path).fileName())
                                                : tr("Nothing open"));
        auto *box = new QMessageBox(QMessageBox::Warning, tr("Cannot open checkpoint"), line,
                                    QMessageBox::Ok, this);
        box->setObjectName("openErrorBox");
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open(); // window-modal, never blocks the event loop
        Q_EMIT openFailed(loaded.path, loaded.error);
        return;
    }
    const bool sameFile = loaded.path == m_document.path;
    install(std::move(loaded));
    if (!sameFile) rememberRecent(m_document.path);
    Q_EMIT documentOpened(m_document.path);
}

void MainWindow::install(LoadedDocument document)
{
    m_document = std::move(document);
    m_banner->clear();
    m_model->setTree(m_document.checkpoint, m_document.tree);
    m_rules->setCheckpoint(m_document.checkpoint);
    m_diff->setA(m_document.checkpoint, m_document.path);
    if (!m_pendingDiff.isEmpty()) diffWith(std::exchange(m_pendingDiff, QString()));
    const Checkpoint &c = *m_document.checkpoint;
    m_summaryPage->showSummary(c, *m_document.tree, m_document.path);
    m_details->setCurrentIndex(0);
    applyFilter();
    expandDefault();
    setWindowTitle(tr("%1 - Checkpoint Studio").arg(QFileInfo(m_document.path).fileName()));
    const CheckpointSummary s = summarize(c);
    m_status->setText(tr("%1 · %2 tensors · %3 parameters · %4 · opened in %5 ms")
                          .arg(QString::fromStdString(s.format))
                          .arg(s.tensorCount)
                          .arg(QString::fromStdString(humanCount(s.parameters)),
                               QString::fromStdString(humanBytes(s.tensorBytes)))
                          .arg(m_document.milliseconds));
}

void MainWindow::expandDefault()
{
    // The top level, and the way down to the weights (one level into them).
    m_tree->collapseAll();
    const auto &cands = m_document.checkpoint->weightsCandidates();
    if (cands.empty()) return;
    const std::string weights = pathToString(cands.front().path);
    for (size_t i = 1; i < m_document.tree->size(); ++i) {
        if (m_document.tree->node(int(i)).fullName != weights) continue;
        for (int n = int(i); n > 0; n = m_document.tree->node(n).parent)
            m_tree->expand(m_proxy->mapFromSource(m_model->indexOfNode(n)));
        break;
    }
}

void MainWindow::closeDocument()
{
    m_document = {};
    m_model->setTree(nullptr, nullptr);
    m_rules->setCheckpoint(nullptr);   // the rules stay; their plan and comparison empty
    m_diff->setA(nullptr, QString());
    m_details->setCurrentIndex(3);
    m_banner->clear();
    setWindowTitle(tr("Checkpoint Studio"));
    m_status->setText(tr("Nothing open"));
}

void MainWindow::setFlat(bool flat)
{
    if (m_flatAction->isChecked() != flat) {
        m_flatAction->setChecked(flat); // re-enters through toggled
        return;
    }
    if (!m_document.checkpoint) return;
    m_loader.setFuture(rebuildTree(m_document, flat));
    m_busy->show();
}

void MainWindow::setFilter(const QString &pattern, int mode)
{
    m_filter->setPattern(pattern, FilterBar::Mode(mode));
}

void MainWindow::applyFilter()
{
    const QString pattern = m_filter->pattern();
    const bool affected = m_affectedAction && m_affectedAction->isChecked();
    if (!m_document.tree || (pattern.isEmpty() && !affected)) {
        m_proxy->setVisibleNodes({});
        m_filter->setStatus(QString());
        return;
    }
    const auto mode = m_filter->mode() == FilterBar::Mode::Glob    ? NameMatcher::Mode::Glob
                      : m_filter->mode() == FilterBar::Mode::Regex ? NameMatcher::Mode::Regex
                                                                   : NameMatcher::Mode::Substring;
    auto matcher = NameMatcher::create(mode, pattern.toStdString());
    if (!matcher) {
        m_filter->setStatus(QString::fromStdString(matcher.error().message), true);
        return;
    }
    TreeFilterResult r = filterTree(*m_document.tree, *matcher);
    if (affected) {
        // Only weights whose plan differs from leaving them alone, or that the edited rule matches.
        std::vector<bool> entries(m_document.checkpoint->entries().size(), false);
        const auto &inputs = m_rules->inputs();
        const auto &plan = m_rules->plan();
        for (size_t i = 0; i < inputs.size() && i < plan.tensors.size(); ++i) {
            const TensorPlan &t = plan.tensors[i];
            entries[inputs[i].entry] = t.dropped || t.frozen || t.renamed || !t.groups.empty() ||
                                       t.dtype != inputs[i].dtype ||
                                       (m_rules->preview() && m_rules->preview()->selected[i]);
        }
        r = filterTreeToEntries(*m_document.tree, entries, pattern.isEmpty() ? nullptr : &r);
    }
    size_t shown = 0;
    for (bool v : r.visible) shown += v;
    m_proxy->setVisibleNodes(std::move(r.visible));
    m_filter->setStatus(tr("%n tensor(s), %1 parameters", nullptr, int(r.tensors))
                            .arg(QString::fromStdString(humanCount(r.parameters))));
    if (shown < 3000) m_tree->expandAll();
}

bool MainWindow::selectFullName(const QString &fullName)
{
    if (!m_document.tree) return false;
    const std::string name = fullName.toStdString();
    for (size_t i = 1; i < m_document.tree->size(); ++i) {
        if (m_document.tree->node(int(i)).fullName != name) continue;
        const QModelIndex index = m_proxy->mapFromSource(m_model->indexOfNode(int(i)));
        if (!index.isValid()) return false;
        m_tree->scrollTo(index);
        m_tree->setCurrentIndex(index);
        return true;
    }
    return false;
}

bool MainWindow::selectEntry(int entry)
{
    if (!m_document.tree || entry < 0) return false;
    for (size_t i = 1; i < m_document.tree->size(); ++i)
        if (m_document.tree->node(int(i)).entry == entry)
            return selectFullName(QString::fromStdString(m_document.tree->node(int(i)).fullName));
    return false;
}

bool MainWindow::currentIsTensor() const
{
    return m_tree->currentIndex().isValid() && m_tree->currentIndex().data(EntryRole).toInt() >= 0;
}

void MainWindow::showSelected()
{
    const QModelIndex index = m_tree->currentIndex();
    if (!index.isValid() || !m_document.tree) {
        m_details->setCurrentIndex(0);
        return;
    }
    const int node = index.data(NodeIdRole).toInt();
    const TreeNode &n = m_document.tree->node(node);
    if (n.entry >= 0) {
        m_tensorPage->showTensor(m_document.checkpoint, n.entry);
        m_details->setCurrentIndex(1);
    } else {
        m_nodePage->showNode(*m_document.checkpoint, *m_document.tree, node);
        m_details->setCurrentIndex(2);
    }
}

void MainWindow::copySelection(int what)
{
    QStringList lines;
    for (const QModelIndex &index : m_tree->selectionModel()->selectedRows()) {
        const int node = index.data(NodeIdRole).toInt();
        const TreeNode &n = m_document.tree->node(node);
        if (what == CopyName) {
            lines << QString::fromStdString(n.fullName);
        } else if (what == CopyShape) {
            lines << index.data(ShapeTextRole).toString();
        } else if (n.entry >= 0) {
            QStringList parts;
            for (const auto &e : m_document.checkpoint->entries()[size_t(n.entry)].path)
                parts << (std::holds_alternative<std::string>(e)
                              ? QStringLiteral("\"%1\"").arg(QString::fromStdString(std::get<std::string>(e)))
                              : QString::number(std::get<int64_t>(e)));
            lines << QStringLiteral("[%1]").arg(parts.join(", "));
        } else {
            lines << QString::fromStdString(n.fullName);
        }
    }
    if (!lines.isEmpty()) QApplication::clipboard()->setText(lines.join('\n'));
}

void MainWindow::showContextMenu(const QPoint &pos)
{
    const QModelIndex index = m_tree->indexAt(pos);
    if (!index.isValid()) return;
    QMenu menu(this);
    menu.addAction(tr("Copy Name"), this, [this] { copySelection(CopyName); });
    menu.addAction(tr("Copy Shape"), this, [this] { copySelection(CopyShape); });
    menu.addAction(tr("Copy Path (JSON)"), this, [this] { copySelection(CopyPath); });
    addRuleMenu(menu, index.data(NodeIdRole).toInt());
    menu.exec(m_tree->viewport()->mapToGlobal(pos));
}

void MainWindow::chooseFile()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open checkpoint"), QFileInfo(m_document.path).absolutePath(),
        tr("Checkpoints (*.pt *.pth *.bin *.ckpt *.safetensors *.index.json);;All files (*)"));
    openPath(path);
}

void MainWindow::chooseFolder()
{
    openPath(QFileDialog::getExistingDirectory(this, tr("Open a sharded model's folder"),
                                               QFileInfo(m_document.path).absolutePath()));
}

QStringList MainWindow::recentFiles() const
{
    return QSettings().value("recentFiles").toStringList();
}

void MainWindow::rememberRecent(const QString &path)
{
    QStringList recent = recentFiles();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > kMaxRecent) recent.removeLast();
    QSettings().setValue("recentFiles", recent);
    refreshRecentMenu();
}

void MainWindow::refreshRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = recentFiles();
    for (const QString &path : recent)
        m_recentMenu->addAction(QFileInfo(path).fileName() + "  —  " + QFileInfo(path).absolutePath(),
                                this, [this, path] { openPath(path); });
    m_recentMenu->setEnabled(!recent.isEmpty());
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
    if (urls.size() >= 2 && urls[1].isLocalFile()) m_pendingDiff = urls[1].toLocalFile();
    openPath(urls.first().toLocalFile());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    if (auto *splitter = findChild<QSplitter *>("mainSplitter"))
        settings.setValue("window/splitter", splitter->saveState());
    event->accept();
}

QString sampleCheckpointPath()
{
    const QString exeDir = QCoreApplication::applicationDirPath();
    for (const QString &candidate :
         {exeDir + "/../share/ckpt-studio/samples/tiny_vit.pt",
          QStringLiteral(CKPT_SOURCE_DIR "/resources/samples/tiny_vit.pt")})
        if (QFileInfo::exists(candidate)) return QDir::cleanPath(candidate);
    return QStringLiteral(CKPT_SOURCE_DIR "/resources/samples/tiny_vit.pt");
}

} // namespace ckpt
