#include "rule_commands.h"

#include "rules_document.h"

namespace ckpt {

AddRuleCommand::AddRuleCommand(RulesDocument *doc, int index, Rule rule)
    : QUndoCommand(QObject::tr("Add rule: %1").arg(QString::fromStdString(describeRule(rule)))),
      m_doc(doc), m_index(index), m_rule(std::move(rule))
{
}
void AddRuleCommand::redo() { m_doc->doInsert(m_index, m_rule); }
void AddRuleCommand::undo() { m_doc->doRemove(m_index); }

RemoveRuleCommand::RemoveRuleCommand(RulesDocument *doc, int index, Rule rule)
    : QUndoCommand(QObject::tr("Remove rule: %1").arg(QString::fromStdString(describeRule(rule)))),
      m_doc(doc), m_index(index), m_rule(std::move(rule))
{
}
void RemoveRuleCommand::redo() { m_doc->doRemove(m_index); }
void RemoveRuleCommand::undo() { m_doc->doInsert(m_index, m_rule); }

EditRuleCommand::EditRuleCommand(RulesDocument *doc, int index, Rule before, Rule after, const QString &text)
    : QUndoCommand(text), m_doc(doc), m_index(index), m_before(std::move(before)), m_after(std::move(after))
{
}
void EditRuleCommand::redo() { m_doc->doReplace(m_index, m_after); }
void EditRuleCommand::undo() { m_doc->doReplace(m_index, m_before); }

MoveRuleCommand::MoveRuleCommand(RulesDocument *doc, int from, int to)
    : QUndoCommand(QObject::tr("Move rule")), m_doc(doc), m_from(from), m_to(to)
{
}
void MoveRuleCommand::redo() { m_doc->doMove(m_from, m_to); }
void MoveRuleCommand::undo() { m_doc->doMove(m_to, m_from); }

ReplaceRulesCommand::ReplaceRulesCommand(RulesDocument *doc, RuleSet before, RuleSet after, const QString &text)
    : QUndoCommand(text), m_doc(doc), m_before(std::move(before)), m_after(std::move(after))
{
}
void ReplaceRulesCommand::redo() { m_doc->doReplaceAll(m_after); }
void ReplaceRulesCommand::undo() { m_doc->doReplaceAll(m_before); }

} // namespace ckpt
