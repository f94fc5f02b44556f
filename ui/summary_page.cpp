#include "summary_page.h"

#include "model/remote/location.h"

#include "display_name.h"
#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "model/checkpoint/checkpoint_tree.h"
#include "model/checkpoint/tensor_placement.h"
#include "widgets/bar_chart.h"
#include "widgets/message_banner.h"

#include <filesystem>

#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace ckpt {
namespace {

QString q(const std::string &s) { return QString::fromStdString(s); }

/// The tree node of the best weights candidate (or the root).
int weightsNode(const Checkpoint &c, const CheckpointTree &tree)
{
    if (c.weightsCandidates().empty()) return CheckpointTree::root();
    const std::string name = pathToString(c.weightsCandidates().front().path);
    if (name.empty()) return CheckpointTree::root();
    for (size_t i = 1; i < tree.size(); ++i)
        if (tree.node(int(i)).fullName == name) return int(i);
    return CheckpointTree::root();
}

} // namespace

SummaryPage::SummaryPage(QWidget *parent)
    : QWidget(parent), m_header(new QLabel(this)), m_modules(new BarChart(this)), m_files(new BarChart(this)),
      m_banner(new MessageBanner(this)), m_globals(new QTableWidget(this)), m_noPickle(new QLabel(this))
{
    setObjectName("summaryPage");
    m_header->setObjectName("summaryHeader");
    m_header->setWordWrap(true);
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setObjectName("safetyBanner");
    m_modules->setObjectName("moduleChart");
    m_files->setObjectName("fileChart");
    m_globals->setObjectName("globalsTable");
    m_globals->setColumnCount(4);
    m_globals->setHorizontalHeaderLabels({tr("Category"), tr("Global"), tr("Count"), tr("Why")});
    m_globals->horizontalHeader()->setStretchLastSection(true);
    m_globals->verticalHeader()->hide();
    m_globals->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_globals->setMinimumHeight(140);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_banner);
    layout->addWidget(m_header);
    layout->addWidget(m_modules);
    layout->addWidget(m_files);
    auto *safety = new QLabel(tr("<b>Code the file names</b> (nothing was run)"), this);
    layout->addWidget(safety);
    layout->addWidget(m_globals, 1);
    m_noPickle->setObjectName("noPickleNote");
    m_noPickle->setWordWrap(true);
    m_noPickle->setText(tr("This file holds no pickle and names no code (its format keeps only metadata and raw "
                           "bytes), so there is nothing in it that loading could run."));
    m_noPickle->hide();
    layout->addWidget(m_noPickle);
    layout->addStretch();
}

void SummaryPage::showSummary(const Checkpoint &c, const CheckpointTree &tree, const QString &path)
{
    const CheckpointSummary s = summarize(c);
    QStringList lines;
    lines << tr("<span style='font-size:13pt'><b>%1</b></span>").arg(path.toHtmlEscaped());
    const bool remote = isRemoteAddress(path.toStdString());
    lines << (remote ? tr("%1%2 &nbsp;·&nbsp; %3 on the server%4") : tr("%1%2 &nbsp;·&nbsp; %3 on disk%4"))
                 .arg(q(s.format), c.archiveVersion() ? tr(" (version %1)").arg(c.archiveVersion()) : QString(),
                      q(humanBytes(s.fileSize)),
                      c.files().size() > 1 ? tr(" in %1 files").arg(c.files().size()) : QString());
    lines << tr("<b>%1</b> tensors, <b>%2</b> parameters, <b>%3</b>%4")
                 .arg(s.tensorCount).arg(q(humanCount(s.parameters)), q(humanBytes(s.tensorBytes)),
                      s.sharedStorages ? tr(", %1 storages shared (tied weights or views)").arg(s.sharedStorages) : QString());
    QStringList dtypes;
    for (const auto &[dtype, bytes] : s.bytesByDtype)
        dtypes << tr("%1 %2").arg(q(dtype), q(humanBytes(bytes)));
    if (!dtypes.isEmpty()) lines << tr("by dtype: %1").arg(dtypes.join(", "));
    if (!c.weightsCandidates().empty()) {
        const auto &w = c.weightsCandidates().front();
        lines << tr("weights: <b>%1</b> (%2 tensors)%3")
                     .arg(w.path.empty() ? tr("the root") : q(pathToString(w.path)).toHtmlEscaped())
                     .arg(w.tensors)
                     .arg(c.weightsCandidates().size() > 1 ? tr(", %1 other candidates").arg(c.weightsCandidates().size() - 1) : QString());
    }
    for (const auto &[k, v] : c.metadata()) lines << tr("%1 = %2").arg(q(k).toHtmlEscaped(), q(v).toHtmlEscaped());
    for (const auto &w : c.warnings()) lines << tr("<span style='color:#b06000'>warning: %1</span>").arg(q(w).toHtmlEscaped());
    m_header->setText(lines.join("<br>"));

    std::vector<BarChart::Bar> bars;
    int weights = weightsNode(c, tree);
    // Past wrapper prefixes ("model." of Lightning, "module." of DDP) to the real top level.
    while (tree.node(weights).children.size() == 1 &&
           tree.node(tree.node(weights).children.front()).kind == NodeKind::Module)
        weights = tree.node(weights).children.front();
    // Only the bars the chart shows get their labels made (a flat list of 100,000 tensors
    // would spend 100 ms on labels nobody sees): the chart keeps the largest, stably sorted.
    constexpr int kModuleBars = 24;
    std::vector<int> modules;
    for (int child : tree.node(weights).children)
        if (tree.node(child).parameters > 0) modules.push_back(child);
    std::vector<int> labelled = modules;
    if (labelled.size() > kModuleBars) {
        const auto larger = [&](int a, int b) {
            const int64_t pa = tree.node(a).parameters, pb = tree.node(b).parameters;
            return pa != pb ? pa > pb : a < b;
        };
        std::nth_element(labelled.begin(), labelled.begin() + (kModuleBars - 2), labelled.end(), larger);
        labelled.resize(kModuleBars - 1);
        std::sort(labelled.begin(), labelled.end());
    }
    for (int child : modules) {
        const TreeNode &n = tree.node(child);
        const bool shown = std::binary_search(labelled.begin(), labelled.end(), child);
        bars.push_back({shown ? displayName(n.name) : QString(), double(n.parameters), shown ? q(humanCount(n.parameters)) : QString()});
    }
    m_modules->setBars(std::move(bars), tr("parameters per top-level module"), kModuleBars);

    // Each rank's (or shard's) share of the bytes, in file order: an uneven cut shows.
    std::vector<BarChart::Bar> files;
    bool ranked = false;
    for (const FileShare &f : sharesByFile(c)) {
        if (f.bytes == 0) continue;
        const QString name = q(std::filesystem::path(c.files()[size_t(f.file)].path).filename().string());
        ranked = ranked || f.rank >= 0;
        files.push_back({f.rank >= 0 ? tr("rank %1 (%2)").arg(f.rank).arg(name) : name, double(f.bytes), q(humanBytes(f.bytes))});
    }
    m_files->setVisible(files.size() > 1);
    if (files.size() > 1)
        m_files->setBars(std::move(files), ranked ? tr("tensor bytes per rank") : tr("tensor bytes per file"), 64,
                         BarChart::Order::AsGiven);

    const SafetyReport &r = c.safety();
    const bool noPickle = r.globals.empty() && r.anomalies.empty() && !r.torch2.applicable;
    m_globals->setVisible(!noPickle);
    m_noPickle->setVisible(noPickle);
    if (r.dangerous) {
        const auto named = std::find_if(r.globals.begin(), r.globals.end(),
                                        [](const GlobalUse &g) { return g.category == GlobalCategory::Dangerous; });
        const QString why = named != r.globals.end()
                                ? tr("it names %1 (%2)").arg(q(named->module + "." + named->name), q(named->reason))
                                : tr("it can be read two ways (%1), and the loader may run what this scan did not see")
                                      .arg(q(r.anomalies.front()));
        m_banner->showMessage(MessageBanner::Level::Error,
                              (r.torch2.applicable ? tr("Dangerous: %1. Do not torch.load it. Nothing was run.")
                                                   : tr("Dangerous: %1. Do not load it. Nothing was run."))
                                  .arg(why.toHtmlEscaped()));
    }
    else if (r.torch2.applicable && !r.torch2.ok)
        m_banner->showMessage(MessageBanner::Level::Warning,
                              tr("torch.load(weights_only=True) refuses this file (PyTorch >= 2.6): %1. "
                                 "Loading it needs weights_only=False, which runs the code it names.")
                                  .arg(q(r.torch2.blockers.front())));
    else
        m_banner->clear();
    m_globals->setRowCount(int(r.globals.size() + r.anomalies.size()));
    for (size_t i = 0; i < r.anomalies.size(); ++i) {
        auto *category = new QTableWidgetItem(tr("anomaly"));
        category->setForeground(QColor(200, 30, 30));
        m_globals->setItem(int(i), 0, category);
        m_globals->setItem(int(i), 1, new QTableWidgetItem(q(r.anomalies[i])));
        m_globals->setItem(int(i), 2, new QTableWidgetItem(QString()));
        m_globals->setItem(int(i), 3, new QTableWidgetItem(tr("two readers could see different programs")));
    }
    // Most serious first, as `ckpt scan` lists them.
    std::vector<const GlobalUse *> order;
    for (const auto &g : r.globals) order.push_back(&g);
    std::stable_sort(order.begin(), order.end(), [](const GlobalUse *a, const GlobalUse *b) {
        return int(a->category) > int(b->category);
    });
    for (size_t i = 0; i < order.size(); ++i) {
        const GlobalUse &g = *order[i];
        const int row = int(r.anomalies.size() + i);
        auto *category = new QTableWidgetItem(QString::fromUtf8(categoryName(g.category).data()));
        if (g.category == GlobalCategory::Dangerous) category->setForeground(QColor(200, 30, 30));
        m_globals->setItem(row, 0, category);
        m_globals->setItem(row, 1, new QTableWidgetItem(q(g.module + "." + g.name)));
        m_globals->setItem(row, 2, new QTableWidgetItem(QString::number(g.count)));
        m_globals->setItem(row, 3, new QTableWidgetItem(q(g.reason)));
    }
    m_globals->resizeColumnsToContents();
}

} // namespace ckpt
