#include "rules_panel.h"

#include "made_tensors_view.h"
#include "rule_editor.h"
#include "rules_document.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/rules/plan_totals.h"

#include <QDockWidget>
#include <QHBoxLayout>
#include <QTimer>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

namespace ckpt {

RulesPanel::RulesPanel(RulesDocument *doc, QWidget *parent)
    : QWidget(parent), m_doc(doc), m_list(new QListWidget(this)), m_editor(new RuleEditor(this)),
      m_diagnostics(new QListWidget(this)), m_remove(new QPushButton(tr("Remove"), this)),
      m_up(new QPushButton(tr("Up"), this)), m_down(new QPushButton(tr("Down"), this)), m_totals(new QLabel(this)),
      m_made(new MadeTensorsView(this))
{
    setObjectName("rulesPanel");
    m_list->setObjectName("ruleList");
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setDragDropMode(QAbstractItemView::InternalMove); // drag to reorder
    m_list->setDefaultDropAction(Qt::MoveAction);
    m_diagnostics->setObjectName("diagnosticList");
    m_diagnostics->setWordWrap(true); // a diagnostic is read whole, not scrolled sideways
    m_diagnostics->setResizeMode(QListView::Adjust);
    auto *add = new QPushButton(tr("New Rule"), this);
    add->setObjectName("ruleNew");
    m_remove->setObjectName("ruleRemove");
    auto *buttons = new QHBoxLayout();
    for (QPushButton *b : {add, m_remove, m_up, m_down}) buttons->addWidget(b);
    buttons->addStretch();
    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(new QLabel(tr("<b>Rules</b> (in order; later rules win)"), this));
    leftLayout->addWidget(m_list, 1);
    m_totals->setObjectName("planTotals");
    m_totals->setWordWrap(true);
    leftLayout->addWidget(m_totals);
    leftLayout->addLayout(buttons);
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_editor);
    rightLayout->addWidget(new QLabel(tr("<b>Diagnostics</b>"), this));
    rightLayout->addWidget(m_diagnostics, 1);
    rightLayout->addWidget(m_made, 1);
    auto *split = new QSplitter(this);
    split->addWidget(left);
    split->addWidget(right);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    connect(add, &QPushButton::clicked, this, &RulesPanel::newRule);
    connect(m_remove, &QPushButton::clicked, this, &RulesPanel::removeSelected);
    connect(m_list->model(), &QAbstractItemModel::rowsMoved, this, [this] {
        if (m_refreshing) return;
        // The list's new order, by each row's rule index; applied once the drop is done.
        std::vector<int> order;
        for (int r = 0; r < m_list->count(); ++r) order.push_back(m_list->item(r)->data(Qt::UserRole).toInt());
        QTimer::singleShot(0, this, [this, order] { reorder(order); });
    });
    connect(m_up, &QPushButton::clicked, this, [this] {
        const int r = currentRule();
        m_doc->moveRule(r, r - 1);
        selectRule(r - 1);
    });
    connect(m_down, &QPushButton::clicked, this, [this] {
        const int r = currentRule();
        m_doc->moveRule(r, r + 1);
        selectRule(r + 1);
    });
    connect(m_list, &QListWidget::currentRowChanged, this, &RulesPanel::loadSelected);
    connect(m_list, &QListWidget::itemSelectionChanged, this,
            [this] { m_remove->setEnabled(currentRule() >= 0 || !m_list->selectedItems().isEmpty()); });
    connect(m_list, &QListWidget::itemChanged, this, [this](QListWidgetItem *item) {
        if (!m_refreshing) m_doc->setRuleEnabled(m_list->row(item), item->checkState() == Qt::Checked);
    });
    connect(m_diagnostics, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        const int rule = item->data(Qt::UserRole).toInt();
        if (rule >= 0) selectRule(rule);
    });
    connect(m_editor, &RuleEditor::edited, this, &RulesPanel::previewEdit);
    connect(m_doc, &RulesDocument::previewChanged, this, [this] {
        m_made->showPlan(m_doc->plan(), m_doc->rules(), m_doc->preview() ? &*m_doc->preview() : nullptr);
    });
    connect(m_editor, &RuleEditor::applied, this, &RulesPanel::applyEdit);
    connect(m_doc, &RulesDocument::planChanged, this, [this] {
        refreshList();
        refreshDiagnostics();
        refreshTotals();
        previewEdit(); // its counts are of the weights there are now
        m_made->showPlan(m_doc->plan(), m_doc->rules(), m_doc->preview() ? &*m_doc->preview() : nullptr);
    });
    clearEditor();
}

int RulesPanel::currentRule() const { return m_list->currentRow(); }

void RulesPanel::selectRule(int index)
{
    m_list->setCurrentRow(index);
}

void RulesPanel::clearEditor()
{
    m_newRule = true;
    m_list->clearSelection();
    m_list->setCurrentRow(-1);
    m_editor->clear();
    m_editor->setApplyText(tr("Add"));
}

void RulesPanel::newRule()
{
    clearEditor();
    for (QWidget *w = parentWidget(); w; w = w->parentWidget())
        if (auto *dock = qobject_cast<QDockWidget *>(w)) {
            dock->show();
            dock->raise();
            break;
        }
    m_editor->focusPattern();
}

QList<int> RulesPanel::selectedRules() const
{
    QList<int> rows;
    for (const QModelIndex &i : m_list->selectionModel()->selectedRows()) rows << i.row();
    if (rows.isEmpty() && currentRule() >= 0) rows << currentRule();
    std::sort(rows.begin(), rows.end());
    return rows;
}

void RulesPanel::removeSelected()
{
    const QList<int> rows = selectedRules();
    if (rows.size() == 1) return m_doc->removeRule(rows.front());
    if (rows.isEmpty()) return;
    RuleSet rules = m_doc->rules();
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) rules.rules.erase(rules.rules.begin() + *it);
    m_doc->replaceAll(rules, tr("Remove %n rule(s)", nullptr, int(rows.size())));
}

void RulesPanel::reorder(const std::vector<int> &order)
{
    const RuleSet &now = m_doc->rules();
    if (order.size() != now.rules.size()) return refreshList();
    RuleSet rules = now;
    bool moved = false;
    for (size_t k = 0; k < order.size(); ++k) {
        if (order[k] < 0 || size_t(order[k]) >= now.rules.size()) return refreshList();
        rules.rules[k] = now.rules[size_t(order[k])];
        moved = moved || order[k] != int(k);
    }
    if (moved) m_doc->replaceAll(rules, tr("Reorder rules"));
    else refreshList();
}

void RulesPanel::loadSelected()
{
    if (m_refreshing) return;
    const int r = currentRule();
    m_remove->setEnabled(r >= 0 || !m_list->selectedItems().isEmpty());
    m_up->setEnabled(r > 0);
    m_down->setEnabled(r >= 0 && r + 1 < int(m_doc->rules().rules.size()));
    if (r < 0) {
        if (!m_newRule) clearEditor(); // the rule it showed is gone: nothing left to Apply to
        return;
    }
    m_newRule = false;
    m_editor->setApplyText(tr("Apply"));
    m_editor->setRule(m_doc->rules().rules[size_t(r)]);
}

void RulesPanel::previewEdit()
{
    auto rule = m_editor->rule();
    const int position = m_newRule ? int(m_doc->rules().rules.size()) : currentRule();
    if (m_editor->isBlank()) {
        m_doc->setPreview(position, std::nullopt);
        m_editor->setStatus(tr("Type a pattern: the tree highlights what it matches."), false);
        m_editor->setApplyEnabled(false);
        return;
    }
    if (!rule) {
        m_doc->setPreview(position, std::nullopt);
        m_editor->setStatus(QString::fromStdString(rule.error().message), true);
        return;
    }
    m_doc->setPreview(position, *rule);
    if (!m_doc->checkpoint() || m_doc->inputs().empty()) {
        m_editor->setStatus(m_doc->checkpoint() ? tr("No weights to match in this file.")
                                                : tr("Open a checkpoint to see what it matches."),
                            false);
    } else if (!m_doc->previewError().isEmpty()) {
        m_editor->setStatus(m_doc->previewError(), true);
    } else if (m_doc->preview()) {
        const auto &p = *m_doc->preview();
        if (!p.made.empty())
            m_editor->setStatus(tr("makes %1 (listed below, in the highlight colour)")
                                        .arg(p.made.size() == 1 ? tr("1 tensor") : tr("%1 tensors").arg(p.made.size())) +
                                    (p.tensors ? tr(" from %1 of these").arg(p.tensors) : QString()),
                                false);
        else
            m_editor->setStatus(p.tensors ? tr("matches %1 tensors, %2 parameters (highlighted)")
                                                .arg(p.tensors).arg(QString::fromStdString(humanCount(p.parameters)))
                                          : tr("matches no tensor"),
                                p.tensors == 0);
    }
}

void RulesPanel::applyEdit()
{
    auto rule = m_editor->rule();
    if (!rule) return;
    if (m_newRule) {
        m_doc->addRule(*rule);
        selectRule(int(m_doc->rules().rules.size()) - 1);
    } else {
        m_doc->replaceRule(currentRule(), *rule);
    }
}

void RulesPanel::refreshList()
{
    m_refreshing = true;
    const int keep = m_list->currentRow();
    m_list->clear();
    const auto &rules = m_doc->rules().rules;
    for (size_t k = 0; k < rules.size(); ++k) {
        const auto &o = k < m_doc->plan().rules.size() ? m_doc->plan().rules[k] : RuleOutcome{};
        auto *item = new QListWidgetItem(tr("%1. %2  —  %3 tensors, %4")
                                             .arg(k)
                                             .arg(QString::fromStdString(describeRule(rules[k])))
                                             .arg(o.tensors)
                                             .arg(QString::fromStdString(humanCount(o.parameters))),
                                         m_list);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable | Qt::ItemIsDragEnabled);
        item->setData(Qt::UserRole, int(k));
        item->setCheckState(rules[k].enabled ? Qt::Checked : Qt::Unchecked);
        if (!rules[k].enabled) item->setForeground(QColor(140, 140, 140));
        for (const auto &d : m_doc->plan().diagnostics)
            if (d.rule == int(k))
                item->setForeground(d.severity == Diagnostic::Severity::Error ? QColor(197, 34, 31) : QColor(176, 96, 0));
    }
    m_list->setCurrentRow(keep < m_list->count() ? keep : -1);
    m_refreshing = false;
    loadSelected();
}

void RulesPanel::refreshTotals()
{
    if (m_doc->inputs().empty()) {
        m_totals->setText(QString());
        return;
    }
    const PlanTotals t = planTotals(m_doc->inputs(), m_doc->plan());
    const auto count = [](int64_t n) { return QString::fromStdString(humanCount(n)); };
    QString text = tr("<b>Plan</b>: %1 trainable, <span style='color:#1a73e8'>%2 frozen</span> parameters")
                       .arg(count(t.trainableParameters), count(t.frozenParameters));
    if (t.dropped) text += tr(", %n weight(s) dropped (%1)", nullptr, int(t.dropped)).arg(count(t.droppedParameters));
    if (t.made) text += tr(", %1 made by surgery from %2 of these weights").arg(t.made).arg(t.consumed);
    m_totals->setText(text);
}

void RulesPanel::refreshDiagnostics()
{
    m_diagnostics->clear();
    if (!m_doc->problem().isEmpty()) new QListWidgetItem(tr("error: %1").arg(m_doc->problem()), m_diagnostics);
    for (const auto &d : m_doc->plan().diagnostics) {
        auto *item = new QListWidgetItem(QStringLiteral("%1: %2")
                                             .arg(d.severity == Diagnostic::Severity::Error ? tr("error") : tr("warning"),
                                                  QString::fromStdString(d.message)),
                                         m_diagnostics);
        item->setData(Qt::UserRole, d.rule);
        item->setForeground(d.severity == Diagnostic::Severity::Error ? QColor(197, 34, 31) : QColor(176, 96, 0));
    }
    if (m_diagnostics->count() == 0 && !m_doc->rules().rules.empty())
        new QListWidgetItem(tr("No problems: every rule matches and takes effect."), m_diagnostics);
}

} // namespace ckpt
