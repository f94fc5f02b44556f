#pragma once

#include <QList>
#include <QWidget>

#include <vector>

class QLabel;
class QListWidget;
class QPushButton;

namespace ckpt {

class MadeTensorsView;
class RuleEditor;
class RulesDocument;

/// The rules: an ordered list (checkbox to enable, per-rule counts), an editor whose every
/// keystroke previews what the rule matches, and the diagnostics (clicking one selects its
/// rule). Every change is undoable through the document's stack.
class RulesPanel final : public QWidget
{
    Q_OBJECT
public:
    explicit RulesPanel(RulesDocument *doc, QWidget *parent = nullptr);

    int currentRule() const;
    void selectRule(int index);
    /// Starts a new rule in the editor (Apply adds it at the end), the cursor in its pattern.
    void newRule();
    /// The selected rules' indices, ascending (the current one when none is selected).
    QList<int> selectedRules() const;
    /// Removes the selected rules, in one undo step.
    void removeSelected();
    RuleEditor *editor() const { return m_editor; }
    QListWidget *ruleList() const { return m_list; }
    QListWidget *diagnosticList() const { return m_diagnostics; }
    MadeTensorsView *madeList() const { return m_made; }

private:
    void refreshList();
    void refreshDiagnostics();
    void refreshTotals();
    void loadSelected();
    void previewEdit();
    void applyEdit();
    /// The editor empty, ready for a new rule (newRule also brings it to the cursor).
    void clearEditor();
    void reorder(const std::vector<int> &order);

    RulesDocument *m_doc;
    QListWidget *m_list;
    RuleEditor *m_editor;
    QListWidget *m_diagnostics;
    QPushButton *m_remove;
    QPushButton *m_up;
    QPushButton *m_down;
    QLabel *m_totals;
    MadeTensorsView *m_made;
    bool m_newRule = true;
    bool m_refreshing = false;
};

} // namespace ckpt
