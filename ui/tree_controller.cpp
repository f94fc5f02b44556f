#include "tree_controller.h"

#include "checkpoint_tree_model.h"
#include "diff_document.h"
#include "file_controller.h"
#include "node_page.h"
#include "roles.h"
#include "rules_document.h"
#include "summary_page.h"
#include "tensor_page.h"
#include "tree_filter_proxy.h"
#include "window_helpers.h"

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "model/checkpoint/checkpoint_tree.h"
#include "model/match/name_matcher.h"
#include "widgets/filter_bar.h"

#include <algorithm>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QShortcut>
#include <QTimer>
#include <QStackedWidget>
#include <QTreeView>

namespace ckpt {
namespace {

enum CopyWhat { CopyName, CopyShape, CopyPath, CopyJsonPath };
enum DetailsPage { SummaryDetails, TensorDetails, NodeDetails, WelcomeDetails };

} // namespace

TreeController::TreeController(QWidget *window, FileController *files, RulesDocument *rules, DiffDocument *diff)
    : QObject(window), m_files(files), m_rules(rules), m_diff(diff), m_model(new CheckpointTreeModel(this)),
      m_proxy(new TreeFilterProxy(this)), m_tree(new QTreeView(window)), m_filter(new FilterBar(window)),
      m_details(new QStackedWidget(window)), m_summaryPage(new SummaryPage(window)),
      m_tensorPage(new TensorPage(window)), m_nodePage(new NodePage(window))
{
    m_proxy->setSourceModel(m_model);
    m_tree->setObjectName("checkpointTree");
    m_tree->setModel(m_proxy);
    m_tree->setUniformRowHeights(true); // keeps 100k rows smooth
    m_tree->setTextElideMode(Qt::ElideMiddle); // a long name keeps its start and its end
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
    // Wide enough for a GGUF block type beside its dtype ("Q4_K (float32)").
    m_tree->setColumnWidth(DtypeColumn, std::max(80, m_tree->fontMetrics().horizontalAdvance(QStringLiteral("Q4_K (float32)")) + 16));
    m_tree->setColumnWidth(ParamsColumn, 85);
    m_tree->setColumnWidth(SizeColumn, 85);
    m_tree->setColumnWidth(SharedColumn, 40);
    m_tree->setColumnWidth(PlanColumn, 170);
    m_tree->header()->moveSection(PlanColumn, 1); // what the rules do, next to the name
    m_tree->header()->moveSection(DiffColumn, 2);

    m_details->addWidget(scrolled(m_summaryPage, window));
    m_details->addWidget(scrolled(m_tensorPage, window));
    m_details->addWidget(scrolled(m_nodePage, window));
    auto *welcome = new QLabel(tr("<p style='font-size:14pt'>Checkpoint Studio</p>"
                                  "<p>Open a checkpoint (Ctrl+O), a sharded model's folder "
                                  "(Ctrl+Shift+O) or the sample (File &gt; Open Sample),<br>"
                                  "or drop a file on this window.</p><p>Press F1 for the shortcuts.</p>"),
                               window);
    welcome->setAlignment(Qt::AlignCenter);
    welcome->setObjectName("welcomePage");
    m_details->addWidget(welcome);
    m_details->setCurrentIndex(WelcomeDetails);

    m_model->setRules(m_rules);
    m_model->setDiff(m_diff);
    m_tree->setColumnHidden(DiffColumn, true);
    m_tree->setColumnWidth(DiffColumn, 150);
    connect(m_diff, &DiffDocument::finished, this, [this] {
        m_tree->setColumnHidden(DiffColumn, !m_diff->report());
        m_tree->viewport()->update();
    });
    connect(m_rules, &RulesDocument::planChanged, this, [this] {
        m_model->refreshPlanSummary();
        if (m_affectedAction && m_affectedAction->isChecked()) applyFilter();
        m_tree->viewport()->update();
    });
    connect(m_rules, &RulesDocument::previewChanged, m_tree->viewport(), qOverload<>(&QWidget::update));
    connect(m_filter, &FilterBar::changed, this, &TreeController::applyFilter);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, &TreeController::showSelected);
    connect(m_tree, &QTreeView::customContextMenuRequested, this, &TreeController::showContextMenu);
    // Rows that open wider than the column widen it; it never shrinks by itself.
    connect(m_tree, &QTreeView::expanded, this, [this] { QTimer::singleShot(0, this, [this] { fitNameColumn(true); }); });
    auto *escape = new QShortcut(QKeySequence(Qt::Key_Escape), m_tree, nullptr, nullptr, Qt::WidgetShortcut);
    connect(escape, &QShortcut::activated, this, &TreeController::clearFilter);
}

void TreeController::addActions(QMenu *edit, QMenu *view)
{
    edit->addAction(tr("Copy &Name"), QKeySequence::Copy, this, [this] { copySelection(CopyName); });
    edit->addAction(tr("Copy &Shape"), QKeySequence(tr("Ctrl+Shift+C")), this, [this] { copySelection(CopyShape); });
    edit->addAction(tr("Copy &Path"), QKeySequence(tr("Ctrl+Alt+C")), this, [this] { copySelection(CopyPath); });
    edit->addAction(tr("Copy Path as &JSON"), this, [this] { copySelection(CopyJsonPath); });

    view->addAction(tr("&Filter..."), QKeySequence::Find, this, [this] { m_filter->focusField(); });
    m_flatAction = view->addAction(tr("F&lat List"), QKeySequence(tr("Ctrl+L")));
    m_flatAction->setCheckable(true);
    connect(m_flatAction, &QAction::toggled, this, &TreeController::setFlat);
    view->addAction(tr("&Expand All"), QKeySequence(tr("Ctrl+E")), m_tree, &QTreeView::expandAll);
    view->addAction(tr("C&ollapse All"), QKeySequence(tr("Ctrl+Shift+E")), m_tree, &QTreeView::collapseAll);
    view->addAction(tr("File &Summary"), QKeySequence(tr("Ctrl+1")), this, [this] {
        m_tree->setCurrentIndex({});
        m_details->setCurrentIndex(SummaryDetails);
    });
    m_affectedAction = view->addAction(tr("Only &Affected by Rules"), QKeySequence(tr("Ctrl+Shift+A")));
    m_affectedAction->setCheckable(true);
    connect(m_affectedAction, &QAction::toggled, this, [this] { applyFilter(); });
}

void TreeController::setTree()
{
    const LoadedDocument &d = m_files->document();
    m_model->setTree(d.checkpoint, d.tree);
}

void TreeController::showDocument()
{
    const LoadedDocument &d = m_files->document();
    m_summaryPage->showSummary(*d.checkpoint, *d.tree, d.path);
    m_details->setCurrentIndex(SummaryDetails);
    applyFilter();
    expandDefault();
    fitNameColumn(false);
}

void TreeController::fitNameColumn(bool onlyGrow)
{
    // The rows shown, fitted: at least the default width, never more than half the view (the
    // plan and shapes stay in sight).
    const int most = std::max(250, m_tree->viewport()->width() / 2);
    const int wanted = std::clamp(static_cast<QAbstractItemView *>(m_tree)->sizeHintForColumn(NameColumn), 250, most);
    if (!onlyGrow || wanted > m_tree->columnWidth(NameColumn)) m_tree->setColumnWidth(NameColumn, wanted);
}

void TreeController::clear()
{
    m_model->setTree(nullptr, nullptr);
    m_details->setCurrentIndex(WelcomeDetails);
}

void TreeController::setFlat(bool flat)
{
    if (m_flatAction->isChecked() != flat) {
        m_flatAction->setChecked(flat); // re-enters through toggled
        return;
    }
    m_files->setFlat(flat);
}

void TreeController::setOnlyAffected(bool on) { m_affectedAction->setChecked(on); }

void TreeController::setFilter(const QString &pattern, int mode)
{
    m_filter->setPattern(pattern, FilterBar::Mode(mode));
}

bool TreeController::isFlat() const { return m_flatAction && m_flatAction->isChecked(); }

void TreeController::clearFilter() { m_filter->setPattern(QString(), m_filter->mode()); }

void TreeController::expandDefault()
{
    // The top level, and the way down to the weights (one level into them).
    const LoadedDocument &d = m_files->document();
    m_tree->collapseAll();
    const auto &cands = d.checkpoint->weightsCandidates();
    if (cands.empty()) return;
    const std::string weights = pathToString(cands.front().path);
    for (size_t i = 1; i < d.tree->size(); ++i) {
        if (d.tree->node(int(i)).fullName != weights) continue;
        for (int n = int(i); n > 0; n = d.tree->node(n).parent)
            m_tree->expand(m_proxy->mapFromSource(m_model->indexOfNode(n)));
        break;
    }
}

void TreeController::applyFilter()
{
    const LoadedDocument &d = m_files->document();
    const QString pattern = m_filter->pattern();
    const bool affected = m_affectedAction && m_affectedAction->isChecked();
    if (!d.tree || (pattern.isEmpty() && !affected)) {
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
    TreeFilterResult r = filterTree(*d.tree, *matcher);
    if (affected) {
        // Only weights whose plan differs from leaving them alone, or that the edited rule matches.
        std::vector<bool> entries(d.checkpoint->entries().size(), false);
        const auto &inputs = m_rules->inputs();
        const auto &plan = m_rules->plan();
        for (size_t i = 0; i < inputs.size() && i < plan.tensors.size(); ++i) {
            const TensorPlan &t = plan.tensors[i];
            entries[inputs[i].entry] = t.dropped || t.frozen || t.renamed || !t.groups.empty() ||
                                       t.dtype != inputs[i].dtype ||
                                       (m_rules->preview() && m_rules->preview()->selected[i]);
        }
        r = filterTreeToEntries(*d.tree, entries, pattern.isEmpty() ? nullptr : &r);
    }
    size_t shown = 0;
    for (bool v : r.visible) shown += v;
    m_proxy->setVisibleNodes(std::move(r.visible));
    m_filter->setStatus(tr("%n tensor(s), %1 parameters", nullptr, int(r.tensors))
                            .arg(QString::fromStdString(humanCount(r.parameters))));
    if (shown < 3000) m_tree->expandAll();
}

bool TreeController::selectFullName(const QString &fullName)
{
    const LoadedDocument &d = m_files->document();
    if (!d.tree) return false;
    const std::string name = fullName.toStdString();
    for (size_t i = 1; i < d.tree->size(); ++i) {
        if (d.tree->node(int(i)).fullName != name) continue;
        const QModelIndex index = m_proxy->mapFromSource(m_model->indexOfNode(int(i)));
        if (!index.isValid()) return false;
        m_tree->scrollTo(index);
        m_tree->setCurrentIndex(index);
        return true;
    }
    return false;
}

bool TreeController::selectEntry(int entry)
{
    const LoadedDocument &d = m_files->document();
    if (!d.tree || entry < 0) return false;
    for (size_t i = 1; i < d.tree->size(); ++i)
        if (d.tree->node(int(i)).entry == entry)
            return selectFullName(QString::fromStdString(d.tree->node(int(i)).fullName));
    return false;
}

bool TreeController::currentIsTensor() const
{
    return m_tree->currentIndex().isValid() && m_tree->currentIndex().data(EntryRole).toInt() >= 0;
}

void TreeController::showSelected()
{
    const LoadedDocument &d = m_files->document();
    const QModelIndex index = m_tree->currentIndex();
    if (!index.isValid() || !d.tree) {
        m_details->setCurrentIndex(SummaryDetails);
        return;
    }
    const int node = index.data(NodeIdRole).toInt();
    const TreeNode &n = d.tree->node(node);
    if (n.entry >= 0) {
        m_tensorPage->showTensor(d.checkpoint, n.entry);
        m_details->setCurrentIndex(TensorDetails);
    } else {
        m_nodePage->showNode(*d.checkpoint, *d.tree, node);
        m_details->setCurrentIndex(NodeDetails);
    }
}

void TreeController::copySelection(int what)
{
    const LoadedDocument &d = m_files->document();
    QStringList lines;
    for (const QModelIndex &index : m_tree->selectionModel()->selectedRows()) {
        const int node = index.data(NodeIdRole).toInt();
        const TreeNode &n = d.tree->node(node);
        if (what == CopyName) { // the state-dict key: what load_state_dict and the rules call it
            const int input = n.entry >= 0 ? m_rules->inputOfEntry(size_t(n.entry)) : -1;
            const QString prefix = m_rules->weightsPrefix();
            const QString full = QString::fromStdString(n.fullName);
            if (input >= 0) lines << QString::fromStdString(m_rules->inputs()[size_t(input)].name);
            else if (!prefix.isEmpty() && full.startsWith(prefix + "/")) lines << full.mid(prefix.size() + 1);
            else lines << full;
        } else if (what == CopyPath) {
            lines << QString::fromStdString(n.fullName);
        } else if (what == CopyShape) {
            lines << index.data(ShapeTextRole).toString();
        } else if (n.entry >= 0) {
            QStringList parts;
            for (const auto &e : d.checkpoint->entries()[size_t(n.entry)].path)
                parts << (std::holds_alternative<std::string>(e)
                              ? QStringLiteral("\"%1\"").arg(QString::fromStdString(std::get<std::string>(e)))
                              : QString::fromStdString(pathElementText(e)));
            lines << QStringLiteral("[%1]").arg(parts.join(", "));
        } else {
            lines << QString::fromStdString(n.fullName);
        }
    }
    if (!lines.isEmpty()) QApplication::clipboard()->setText(lines.join('\n'));
}

void TreeController::showContextMenu(const QPoint &pos)
{
    const QModelIndex index = m_tree->indexAt(pos);
    if (!index.isValid()) return;
    QMenu menu(m_tree);
    menu.setObjectName("treeContextMenu");
    menu.addAction(tr("Copy Name"), this, [this] { copySelection(CopyName); });
    menu.addAction(tr("Copy Shape"), this, [this] { copySelection(CopyShape); });
    menu.addAction(tr("Copy Path"), this, [this] { copySelection(CopyPath); });
    menu.addAction(tr("Copy Path as JSON"), this, [this] { copySelection(CopyJsonPath); });
    QList<int> nodes;
    if (m_tree->selectionModel()->isRowSelected(index.row(), index.parent()))
        for (const QModelIndex &row : m_tree->selectionModel()->selectedRows()) nodes << row.data(NodeIdRole).toInt();
    else
        nodes << index.data(NodeIdRole).toInt();
    Q_EMIT contextMenuAboutToShow(&menu, nodes);
    menu.exec(m_tree->viewport()->mapToGlobal(pos));
}

} // namespace ckpt
