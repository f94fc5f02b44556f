#pragma once

#include "model/base/result.h"
#include "model/rules/rule_set.h"

#include <QWidget>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;

namespace ckpt {

/// Edits one rule. The fields become the rule's JSON and go through the same parser as a
/// config file, so what the window accepts is exactly what a config accepts. Every edit is
/// reported (for the live preview); Apply (or Enter) commits it.
class RuleEditor final : public QWidget
{
    Q_OBJECT
public:
    explicit RuleEditor(QWidget *parent = nullptr);

    void setRule(const Rule &rule);
    void clear();
    /// The rule as the fields describe it, or why they do not describe one.
    Result<Rule> rule() const;
    /// Nothing typed yet: no pattern (and, for a rename, nothing to replace).
    bool isBlank() const;
    void setStatus(const QString &text, bool error);
    void setApplyText(const QString &text);
    void setApplyEnabled(bool enabled);
    /// The cursor into the pattern field.
    void focusPattern();

Q_SIGNALS:
    void edited();
    void applied();

private:
    void updateVisibility();
    QString matcherJson(bool optional) const;

    QComboBox *m_action;
    QComboBox *m_matchKind;
    QLineEdit *m_match;
    QComboBox *m_renameMode;
    QLineEdit *m_renameFrom;
    QLineEdit *m_to;
    QLineEdit *m_group;
    QLineEdit *m_options;
    QComboBox *m_dtype;
    QLabel *m_status;
    QPushButton *m_apply;
    QWidget *m_renameRow;
    QWidget *m_groupRow;
    QWidget *m_castRow;
    QLineEdit *m_fields;   ///< resize, add and the surgery actions: their other fields as JSON
    QWidget *m_fieldsRow;
    QWidget *m_matchRow = nullptr;
    QFormLayout *m_form = nullptr;
};

} // namespace ckpt
