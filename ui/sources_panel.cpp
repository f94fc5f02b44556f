#include "sources_panel.h"

#include "display_name.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/rules/rule_sources.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QMimeData>
#include <QPushButton>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <map>

namespace ckpt {
namespace {

constexpr int kNameRole = Qt::UserRole;       ///< the tensor's or module's full name
constexpr int kModuleRole = Qt::UserRole + 1;  ///< a module row

/// The source's tensors; a drag carries the selected row as SourcesPanel::kMimeType.
class SourceTensorTree final : public QTreeWidget
{
public:
    explicit SourceTensorTree(QWidget *parent) : QTreeWidget(parent) {}
    QString source;

protected:
    QStringList mimeTypes() const override { return {QString::fromLatin1(SourcesPanel::kMimeType)}; }
    QMimeData *mimeData(const QList<QTreeWidgetItem *> &items) const override
    {
        if (items.isEmpty() || source.isEmpty()) return nullptr;
        auto *data = new QMimeData;
        const QJsonObject o{{"source", source},
                            {"name", items.front()->data(0, kNameRole).toString()},
                            {"module", items.front()->data(0, kModuleRole).toBool()}};
        data->setData(QString::fromLatin1(SourcesPanel::kMimeType), QJsonDocument(o).toJson(QJsonDocument::Compact));
        data->setText(items.front()->data(0, kNameRole).toString());
        return data;
    }
};

} // namespace

SourcesPanel::SourcesPanel(QWidget *parent)
    : QWidget(parent), m_list(new QListWidget(this)), m_tensors(new SourceTensorTree(this)), m_hint(new QLabel(this)),
      m_remove(new QPushButton(tr("Remove Source"), this))
{
    setObjectName("sourcesPanel");
    m_list->setObjectName("sourceList");
    m_tensors->setObjectName("sourceTensors");
    m_remove->setObjectName("sourceRemove");
    m_tensors->setHeaderLabels({tr("Name"), tr("Shape"), tr("Dtype")});
    m_tensors->setDragEnabled(true);
    m_tensors->setDragDropMode(QAbstractItemView::DragOnly);
    m_tensors->setUniformRowHeights(true);
    m_tensors->header()->setSectionResizeMode(0, QHeaderView::Interactive);
    m_hint->setWordWrap(true);
    m_hint->setObjectName("sourceHint");
    auto *add = new QPushButton(tr("Add Source..."), this);
    add->setObjectName("sourceAdd");
    add->setToolTip(tr("Another checkpoint the rules can take tensors from, merge with, or a PEFT adapter folder"));
    auto *buttons = new QHBoxLayout();
    buttons->addWidget(add);
    buttons->addWidget(m_remove);
    buttons->addStretch();
    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(new QLabel(tr("<b>Sources</b> (other checkpoints the rules read; this one is <i>self</i>)"), this));
    leftLayout->addWidget(m_list, 1);
    leftLayout->addLayout(buttons);
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_hint);
    rightLayout->addWidget(m_tensors, 1);
    auto *split = new QSplitter(this);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);
    connect(add, &QPushButton::clicked, this, &SourcesPanel::addRequested);
    connect(m_remove, &QPushButton::clicked, this, [this] {
        if (!currentSource().isEmpty()) Q_EMIT removeRequested(currentSource());
    });
    connect(m_list, &QListWidget::currentRowChanged, this, &SourcesPanel::showTensors);
    // Names deeper down stay readable as modules open.
    connect(m_tensors, &QTreeWidget::itemExpanded, this, [this] { m_tensors->resizeColumnToContents(0); });
    showSources(RuleSet{}, nullptr, {});
}

QString SourcesPanel::currentSource() const
{
    const auto *item = m_list->currentItem();
    return item ? item->data(kNameRole).toString() : QString();
}

void SourcesPanel::showSources(const RuleSet &rules, const RuleSources *opened, const QString &error)
{
    const QString keep = currentSource();
    m_opened = opened;
    const QSignalBlocker block(m_list);
    m_list->clear();
    for (const auto &src : rules.sources) {
        const QString name = QString::fromStdString(src.name);
        const OpenedSource *o = opened ? opened->find(src.name) : nullptr;
        QString text = QStringLiteral("%1  —  %2").arg(name, QString::fromStdString(src.path));
        if (o) {
            const QString count = o->inputs.size() == 1 ? tr("1 tensor") : tr("%1 tensors").arg(o->inputs.size());
            text += QStringLiteral("  (%1%2)").arg(count, o->lora ? tr(", a LoRA adapter") : QString());
        }
        auto *item = new QListWidgetItem(text, m_list);
        item->setData(kNameRole, name);
        item->setToolTip(o ? QString::fromStdString(o->path) : error);
        if (!o) item->setForeground(QColor(197, 34, 31));
        if (name == keep) m_list->setCurrentItem(item);
    }
    if (!m_list->currentItem() && m_list->count()) m_list->setCurrentRow(0);
    m_remove->setEnabled(m_list->count() > 0);
    if (!error.isEmpty()) m_hint->setText(tr("error: %1").arg(error));
    else if (rules.sources.empty())
        m_hint->setText(tr("No sources yet. Add Source... opens another checkpoint; then drag its modules or "
                           "tensors onto this checkpoint's tree (a take rule), or name it in stack, merge and lora rules."));
    else m_hint->setText(tr("Drag a module or tensor onto the checkpoint's tree: a take rule brings it there "
                            "(onto empty space: under its own name)."));
    showTensors();
}

void SourcesPanel::showTensors()
{
    auto *tree = static_cast<SourceTensorTree *>(m_tensors);
    tree->clear();
    tree->source = currentSource();
    const OpenedSource *o = m_opened && !tree->source.isEmpty() ? m_opened->find(tree->source.toStdString()) : nullptr;
    if (!o) return;
    std::map<std::string, QTreeWidgetItem *> modules; // by full module name
    constexpr size_t kMost = 20000;                   // a view: the rest are counted
    for (size_t i = 0; i < o->inputs.size() && i < kMost; ++i) {
        const PlanInput &in = o->inputs[i];
        QTreeWidgetItem *parent = nullptr;
        for (size_t dot = in.name.find('.'); dot != std::string::npos; dot = in.name.find('.', dot + 1)) {
            const std::string module = in.name.substr(0, dot);
            auto &item = modules[module];
            if (!item) {
                const size_t start = module.rfind('.', module.size() - 1);
                const std::string leaf = start == std::string::npos ? module : module.substr(start + 1);
                item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(tree);
                item->setText(0, displayName(leaf));
                item->setData(0, kNameRole, QString::fromStdString(module));
                item->setData(0, kModuleRole, true);
            }
            parent = item;
        }
        const size_t last = in.name.rfind('.');
        auto *item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(tree);
        item->setText(0, displayName(last == std::string::npos ? in.name : in.name.substr(last + 1)));
        item->setText(1, QString::fromStdString(shapeText(in.shape)));
        item->setText(2, QString::fromUtf8(dtypeName(in.dtype).data(), qsizetype(dtypeName(in.dtype).size())));
        item->setData(0, kNameRole, QString::fromStdString(in.name));
        item->setData(0, kModuleRole, false);
        item->setToolTip(0, QString::fromStdString(in.name));
    }
    if (o->inputs.size() > kMost) new QTreeWidgetItem(tree, {tr("... and %1 more").arg(o->inputs.size() - kMost)});
    tree->resizeColumnToContents(0);
}

} // namespace ckpt
