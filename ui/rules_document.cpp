#include "rules_document.h"

#include "rule_commands.h"

#include "model/checkpoint/checkpoint.h"
#include "model/rules/rule_config.h"

#include <QUndoStack>

namespace ckpt {

RulesDocument::RulesDocument(QObject *parent)
    : QObject(parent), m_inputs(std::make_shared<const std::vector<PlanInput>>()),
      m_saved(writeRules(RuleSet{}, ConfigFormat::Json)), m_undo(new QUndoStack(this))
{
}

bool RulesDocument::hasUnsavedRules() const { return writeRules(m_rules, ConfigFormat::Json) != m_saved; }

void RulesDocument::markSaved() { m_saved = writeRules(m_rules, ConfigFormat::Json); }
RulesDocument::~RulesDocument() = default;

void RulesDocument::setCheckpoint(std::shared_ptr<const Checkpoint> checkpoint,
                                  std::shared_ptr<const std::vector<PlanInput>> defaultInputs,
                                  const QString &defaultProblem)
{
    m_checkpoint = std::move(checkpoint);
    m_rules.metadata = m_checkpoint ? m_checkpoint->metadata() : std::map<std::string, std::string>{};
    m_inputs = std::make_shared<const std::vector<PlanInput>>();
    m_inputOfEntry.clear();
    m_problem.clear();
    if (m_checkpoint) {
        if (!m_rules.weights && (defaultInputs || !defaultProblem.isEmpty())) {
            if (defaultInputs) m_inputs = std::move(defaultInputs);
            m_problem = defaultProblem;
        } else if (auto inputs = planInputs(*m_checkpoint, m_rules.weights)) {
            m_inputs = std::make_shared<const std::vector<PlanInput>>(std::move(inputs.value()));
        } else {
            m_problem = QString::fromStdString(inputs.error().message);
        }
        m_inputOfEntry.assign(m_checkpoint->entries().size(), -1);
        for (size_t i = 0; i < m_inputs->size(); ++i) m_inputOfEntry[(*m_inputs)[i].entry] = int(i);
    }
    m_preview.reset();
    evaluate();
}

int RulesDocument::inputOfEntry(size_t entry) const
{
    return entry < m_inputOfEntry.size() ? m_inputOfEntry[entry] : -1;
}

QString RulesDocument::weightsPrefix() const
{
    if (m_inputs->empty()) return {};
    Path base = m_inputs->front().path;
    base.pop_back();
    return QString::fromStdString(pathToString(base));
}

void RulesDocument::evaluate()
{
    m_previewBase.reset(); // the rules or the weights changed: what an edited rule sees, too
    m_plan = {};
    if (!m_inputs->empty()) {
        auto compiled = CompiledRules::compile(m_rules);
        if (compiled) m_plan = (*compiled)->evaluate(*m_inputs);
        else m_plan.diagnostics.push_back({Diagnostic::Severity::Error, -1, compiled.error().message});
    }
    Q_EMIT planChanged();
}

void RulesDocument::addRule(const Rule &rule, int at)
{
    const int index = at < 0 || at > int(m_rules.rules.size()) ? int(m_rules.rules.size()) : at;
    m_undo->push(new AddRuleCommand(this, index, rule));
}

void RulesDocument::removeRule(int index)
{
    if (index < 0 || index >= int(m_rules.rules.size())) return;
    m_undo->push(new RemoveRuleCommand(this, index, m_rules.rules[size_t(index)]));
}

void RulesDocument::replaceRule(int index, const Rule &rule)
{
    if (index < 0 || index >= int(m_rules.rules.size()) || m_rules.rules[size_t(index)] == rule) return;
    m_undo->push(new EditRuleCommand(this, index, m_rules.rules[size_t(index)], rule,
                                     tr("Edit rule: %1").arg(QString::fromStdString(describeRule(rule)))));
}

void RulesDocument::setRuleEnabled(int index, bool enabled)
{
    if (index < 0 || index >= int(m_rules.rules.size()) || m_rules.rules[size_t(index)].enabled == enabled) return;
    Rule after = m_rules.rules[size_t(index)];
    after.enabled = enabled;
    m_undo->push(new EditRuleCommand(this, index, m_rules.rules[size_t(index)], after,
                                     enabled ? tr("Enable rule") : tr("Disable rule")));
}

void RulesDocument::moveRule(int from, int to)
{
    const int n = int(m_rules.rules.size());
    if (from < 0 || from >= n || to < 0 || to >= n || from == to) return;
    m_undo->push(new MoveRuleCommand(this, from, to));
}

void RulesDocument::replaceAll(const RuleSet &rules, const QString &what)
{
    m_undo->push(new ReplaceRulesCommand(this, m_rules, rules, what));
}

void RulesDocument::doInsert(int index, const Rule &rule)
{
    m_rules.rules.insert(m_rules.rules.begin() + index, rule);
    Q_EMIT rulesChanged();
    evaluate();
}

void RulesDocument::doRemove(int index)
{
    m_rules.rules.erase(m_rules.rules.begin() + index);
    Q_EMIT rulesChanged();
    evaluate();
}

void RulesDocument::doReplace(int index, const Rule &rule)
{
    m_rules.rules[size_t(index)] = rule;
    Q_EMIT rulesChanged();
    evaluate();
}

void RulesDocument::doMove(int from, int to)
{
    Rule rule = m_rules.rules[size_t(from)];
    m_rules.rules.erase(m_rules.rules.begin() + from);
    m_rules.rules.insert(m_rules.rules.begin() + to, rule);
    Q_EMIT rulesChanged();
    evaluate();
}

void RulesDocument::doReplaceAll(const RuleSet &rules)
{
    const bool weightsChanged = rules.weights != m_rules.weights;
    m_rules = rules;
    m_rules.metadata = m_checkpoint ? m_checkpoint->metadata() : std::map<std::string, std::string>{};
    Q_EMIT rulesChanged();
    if (weightsChanged) setCheckpoint(m_checkpoint);
    else evaluate();
}

void RulesDocument::setPreview(int position, const std::optional<Rule> &candidate)
{
    m_preview.reset();
    m_previewError.clear();
    if (candidate && !m_inputs->empty()) {
        const size_t at = std::min(size_t(std::max(0, position)), m_rules.rules.size());
        if (!m_previewBase || m_previewBase->position() != at || m_previewBase->size() != m_inputs->size())
            m_previewBase = std::make_unique<PreviewBase>(m_rules, at, *m_inputs);
        auto preview = m_previewBase->preview(*candidate);
        if (preview) m_preview = std::move(preview.value());
        else m_previewError = QString::fromStdString(preview.error().message);
    }
    Q_EMIT previewChanged();
}

} // namespace ckpt
