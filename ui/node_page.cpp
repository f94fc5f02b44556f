#include "node_page.h"

#include "display_name.h"
#include "roles.h"

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "model/checkpoint/checkpoint_tree.h"
#include "model/pickle/value_format.h"
#include "widgets/bar_chart.h"

#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace ckpt {

NodePage::NodePage(QWidget *parent)
    : QWidget(parent), m_title(new QLabel(this)), m_info(new QLabel(this)),
      m_children(new BarChart(this)), m_value(new QPlainTextEdit(this))
{
    setObjectName("nodePage");
    m_title->setStyleSheet("font-weight:bold; font-size:13pt;");
    m_title->setWordWrap(true);
    m_info->setWordWrap(true);
    m_info->setObjectName("nodeInfo");
    m_children->setObjectName("childrenChart");
    m_value->setObjectName("valueText");
    m_value->setReadOnly(true);
    m_value->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_info);
    layout->addWidget(m_children);
    layout->addWidget(m_value, 1);
    layout->addStretch();
}

void NodePage::showNode(const Checkpoint &c, const CheckpointTree &tree, int node)
{
    const TreeNode &n = tree.node(node);
    m_title->setText(breakableName(displayName(n.fullName.empty() ? n.name : n.fullName)));
    QString info = n.value ? tr("%1").arg(QString::fromStdString(typeName(n.value))) : tr("module");
    if (n.tensors)
        info += tr(" · %1 tensors, %2 parameters, %3")
                    .arg(n.tensors)
                    .arg(QString::fromStdString(humanCount(n.parameters)),
                         QString::fromStdString(humanBytes(n.bytes)));
    m_info->setText(info);
    std::vector<BarChart::Bar> bars;
    for (int child : n.children) {
        const TreeNode &ch = tree.node(child);
        if (ch.bytes > 0)
            bars.push_back({displayName(ch.name), double(ch.bytes),
                            QString::fromStdString(humanBytes(ch.bytes))});
    }
    m_children->setVisible(!bars.empty());
    if (!bars.empty()) m_children->setBars(std::move(bars), tr("bytes per child"));
    const bool showValue = n.value && (n.kind == NodeKind::Value || !n.tensors);
    m_value->setVisible(showValue);
    if (showValue)
        m_value->setPlainText(QString::fromStdString(formatValue(n.value, &c.tensors(), 20000)));
}

} // namespace ckpt
