#pragma once

#include "model/rules/rule_set.h"

#include <QList>
#include <optional>

#include <QObject>

class QLabel;
class QMenu;
class QWidget;

namespace ckpt {

class ConfigPreviewDialog;
class FileController;
struct TreeNode;
class MessageBanner;
class RulesDocument;
class RulesPanel;

/// The rules' actions: load, save and export configs (File), undo, redo and New Rule (Edit),
/// and the tree's context menu section that turns a row into a rule.
class RulesController final : public QObject
{
    Q_OBJECT
public:
    RulesController(QWidget *window, FileController *files, RulesDocument *rules, RulesPanel *panel,
                    MessageBanner *banner, QLabel *status);

    void addActions(QMenu *file, QMenu *edit);

    /// Loads a rules config (JSON/YAML) as one undoable step; false (with a message) if invalid.
    bool loadRules(const QString &path);
    /// When the rules are not saved, asks (titled `action`) to save them, discard them or
    /// cancel; true when the action may go on.
    bool offerToSaveRules(const QString &action);
    /// Writes the rules (".json"/".yaml"), the full config with its resolved result
    /// (".config.json"/".config.yaml"), the Python function (".py") or a trainer's block
    /// ("anemoi", "kempnerforge", "linnaeus").
    bool exportRules(const QString &path, const QString &format);
    /// The text exportRules writes in `format` (json, yaml, config-json, config-yaml, python,
    /// anemoi, kempnerforge, linnaeus) for a file named `fileName`; nullopt with `error`
    /// when it needs an open checkpoint.
    std::optional<std::string> configText(const QString &format, const QString &fileName, QString *error) const;
    /// Edit > Preview Config: the text of any format, copied or saved from there.
    void showConfigPreview();
    /// The tree row's rule actions, as the context menu offers them: "freeze", "unfreeze",
    /// "drop", "rename" (with a new prefix), "group" (with a name), "cast" (with a dtype).
    bool addRuleForNode(int node, const QString &action, const QString &argument = {});
    /// The same rule for each of these rows, in one undo step; how many rows took one.
    int addRulesForNodes(const QList<int> &nodes, const QString &action, const QString &argument = {});
    /// Adds the rule actions for tree node `node` to a context menu.
    void addRuleMenu(QMenu *menu, const QList<int> &nodes);

    ConfigPreviewDialog *configPreview() const { return m_preview; }

private:
    /// File > Save Rules: asks where; false when cancelled or not written.
    bool saveRulesAs();
    /// A module or tensor row of the weights dict (rules speak its names).
    bool takesRules(const TreeNode &n) const;
    std::optional<Rule> ruleForNode(int node, const QString &action, const QString &argument) const;

    ConfigPreviewDialog *m_preview = nullptr;
    QWidget *m_window;
    FileController *m_files;
    RulesDocument *m_rules;
    RulesPanel *m_panel;
    MessageBanner *m_banner;
    QLabel *m_status;
};

} // namespace ckpt
