#pragma once

#include "model/rules/rule_set.h"

#include <QUndoCommand>

namespace ckpt {

class RulesDocument;

/// Adds a rule at an index.
class AddRuleCommand final : public QUndoCommand
{
public:
    AddRuleCommand(RulesDocument *doc, int index, Rule rule);
    void redo() override;
    void undo() override;

private:
    RulesDocument *m_doc;
    int m_index;
    Rule m_rule;
};

/// Removes the rule at an index.
class RemoveRuleCommand final : public QUndoCommand
{
public:
    RemoveRuleCommand(RulesDocument *doc, int index, Rule rule);
    void redo() override;
    void undo() override;

private:
    RulesDocument *m_doc;
    int m_index;
    Rule m_rule;
};

/// Replaces the rule at an index (an edit, or enabling/disabling it).
class EditRuleCommand final : public QUndoCommand
{
public:
    EditRuleCommand(RulesDocument *doc, int index, Rule before, Rule after, const QString &text);
    void redo() override;
    void undo() override;

private:
    RulesDocument *m_doc;
    int m_index;
    Rule m_before, m_after;
};

/// Moves a rule (order matters: later rules win).
class MoveRuleCommand final : public QUndoCommand
{
public:
    MoveRuleCommand(RulesDocument *doc, int from, int to);
    void redo() override;
    void undo() override;

private:
    RulesDocument *m_doc;
    int m_from, m_to;
};

/// Replaces the whole rule set (loading a config).
class ReplaceRulesCommand final : public QUndoCommand
{
public:
    ReplaceRulesCommand(RulesDocument *doc, RuleSet before, RuleSet after, const QString &text);
    void redo() override;
    void undo() override;

private:
    RulesDocument *m_doc;
    RuleSet m_before, m_after;
};

} // namespace ckpt
