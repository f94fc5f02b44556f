#include "compare_panel.h"

#include "compare_document.h"
#include "compare_table_model.h"
#include "report_panel_layout.h"

#include "widgets/message_banner.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ckpt {

ComparePanel::ComparePanel(CompareDocument *doc, QWidget *parent)
    : QWidget(parent),
      m_doc(doc),
      m_model(new CompareTableModel(this)),
      m_targetLabel(new QLabel(this)),
      m_busy(new QLabel(tr("Comparing…"), this)),
      m_filter(new QComboBox(this)),
      m_banner(new MessageBanner(this)),
      m_table(new QTableView(this)),
      m_proposals(new QTreeWidget(this)),
      m_accept(new QPushButton(tr("&Accept"), this)),
      m_reject(new QPushButton(tr("&Reject"), this)),
      m_acceptAll(new QPushButton(tr("Accept A&ll"), this))
{
    auto *choose = new QPushButton(tr("&Target…"), this);
    choose->setToolTip(tr("A checkpoint, safetensors file, TorchScript archive or JSON manifest (Ctrl+T)"));
    connect(choose, &QPushButton::clicked, this, &ComparePanel::chooseTargetRequested);
    m_targetLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_busy->setVisible(false);
    m_filter->addItem(tr("All names"));
    m_filter->addItem(tr("Problems (missing, unexpected, mismatched)"), -1);
    for (auto s : {CompareEntry::Status::ShapeMismatch, CompareEntry::Status::Missing, CompareEntry::Status::Unexpected,
                   CompareEntry::Status::DtypeDiffers, CompareEntry::Status::Match})
        m_filter->addItem(CompareTableModel::statusText(s), int(s));
    connect(m_filter, &QComboBox::currentIndexChanged, this, [this](int i) {
        const QVariant v = m_filter->itemData(i);
        using S = CompareEntry::Status;
        if (!v.isValid()) m_model->setStatusFilter({});
        else if (v.toInt() < 0) m_model->setStatusFilter({S::Missing, S::Unexpected, S::ShapeMismatch});
        else m_model->setStatusFilter({S(v.toInt())});
    });

    auto *top = new QHBoxLayout;
    top->addWidget(choose);
    top->addWidget(m_targetLabel, 1);
    top->addWidget(m_busy);
    top->addWidget(new QLabel(tr("Show:"), this));
    top->addWidget(m_filter);

    m_table->setModel(m_model);
    setUpReportTable(m_table);
    m_table->horizontalHeader()->setSectionResizeMode(CompareTableModel::NameColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(CompareTableModel::TargetNameColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(CompareTableModel::StatusColumn, QHeaderView::ResizeToContents);
    m_table->setColumnWidth(CompareTableModel::CheckpointColumn, 150);
    m_table->setColumnWidth(CompareTableModel::TargetColumn, 150);

    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        const CompareEntry *e = m_model->entryAt(index.row());
        if (e && e->input >= 0 && size_t(e->input) < m_doc->inputs().size())
            Q_EMIT entryActivated(int(m_doc->inputs()[size_t(e->input)].entry));
    });
    m_table->setToolTip(tr("Double-click a name to show it in the tree"));

    m_proposals->setHeaderLabels({tr("Fix"), tr("Sure"), tr("What it does")});
    m_proposals->setRootIsDecorated(false);
    m_proposals->setWordWrap(true);
    m_proposals->header()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_proposals->setColumnWidth(0, 70);
    m_proposals->setColumnWidth(1, 50);
    m_proposals->installEventFilter(this);
    connect(m_proposals, &QTreeWidget::itemDoubleClicked, this, [this] { m_doc->accept(currentProposal()); });
    connect(m_accept, &QPushButton::clicked, this, [this] { m_doc->accept(currentProposal()); });
    connect(m_reject, &QPushButton::clicked, this, [this] { m_doc->reject(currentProposal()); });
    connect(m_acceptAll, &QPushButton::clicked, m_doc, &CompareDocument::acceptAll);
    m_accept->setToolTip(tr("Add this fix's rules to the config (Enter; undo with Ctrl+Z)"));
    m_reject->setToolTip(tr("Hide this proposal (Delete)"));

    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(new QLabel(tr("<b>Proposed fixes</b> (each becomes rules)"), right));
    rightLayout->addWidget(m_proposals, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_accept);
    buttons->addWidget(m_reject);
    buttons->addStretch(1);
    buttons->addWidget(m_acceptAll);
    rightLayout->addLayout(buttons);

    layOutReportPanel(this, top, {m_banner}, m_table, right);

    connect(m_doc, &CompareDocument::changed, this, &ComparePanel::refresh);
    connect(m_doc, &CompareDocument::busyChanged, m_busy, &QLabel::setVisible);
    connect(m_doc, &CompareDocument::failed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Level::Error, tr("Could not read the target: %1").arg(message));
    });
    refresh();
}

int ComparePanel::currentProposal() const
{
    const QTreeWidgetItem *item = m_proposals->currentItem();
    return item ? m_proposals->indexOfTopLevelItem(const_cast<QTreeWidgetItem *>(item)) : -1;
}

bool ComparePanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_proposals && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent *>(event)->key();
        if (key == Qt::Key_Return || key == Qt::Key_Enter) {
            m_doc->accept(currentProposal());
            return true;
        }
        if (key == Qt::Key_Delete || key == Qt::Key_Backspace) {
            m_doc->reject(currentProposal());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ComparePanel::refresh()
{
    const bool has = m_doc->hasTarget();
    m_targetLabel->setText(has ? tr("Target: %1 (%n tensors)", nullptr, int(m_doc->target()->tensors.size()))
                                     .arg(m_doc->targetPath())
                               : tr("No target: choose the model this checkpoint should load into."));
    const CompareReport &r = m_doc->report();
    if (!has) m_banner->clear();
    else if (m_doc->kinship().differentModels())
        m_banner->showMessage(MessageBanner::Level::Error,
                              tr("These are different models: only %1 of the target's %2 tensors have a counterpart "
                                 "among the checkpoint's %3, even with prefixes and renames. No fixes are proposed: "
                                 "they would replace the model, not repair it.")
                                  .arg(m_doc->kinship().counterparts)
                                  .arg(m_doc->kinship().targetTensors)
                                  .arg(m_doc->kinship().checkpointTensors));
    else
        m_banner->showMessage(r.strictOk() ? MessageBanner::Level::Info : MessageBanner::Level::Error,
                              QString::fromStdString(r.verdict()) +
                                  tr(" — %1 match, %2 dtype differs").arg(r.matches).arg(r.dtypeDiffers));
    std::vector<std::string> names;
    for (const auto &in : m_doc->inputs()) names.push_back(in.name);
    m_model->setReport(r, std::move(names));
    const int row = currentProposal();
    m_proposals->clear();
    for (const auto &p : m_doc->proposals()) {
        auto *item = new QTreeWidgetItem(m_proposals);
        item->setText(0, QString::fromStdString(std::string(proposalKindName(p.kind))));
        item->setText(1, QString::number(int(p.confidence * 100 + 0.5)) + "%");
        item->setText(2, QString::fromStdString(p.reason));
        item->setToolTip(2, QString::fromStdString(p.reason));
        if (p.confidence < 0.65) item->setForeground(1, QColor("#b06000"));
    }
    if (m_proposals->topLevelItemCount())
        m_proposals->setCurrentItem(m_proposals->topLevelItem(std::clamp(row, 0, m_proposals->topLevelItemCount() - 1)));
    const bool any = m_proposals->topLevelItemCount() > 0;
    m_accept->setEnabled(any);
    m_reject->setEnabled(any);
    m_acceptAll->setEnabled(any);
}

} // namespace ckpt
