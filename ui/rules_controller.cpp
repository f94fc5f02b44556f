#include "rules_controller.h"

#include "file_controller.h"
#include "rules_document.h"
#include "rules_panel.h"
#include "config_preview_dialog.h"
#include "window_helpers.h"

#include "model/base/atomic_file.h"
#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_tree.h"
#include "model/rules/config_dialects.h"
#include "model/rules/rule_config.h"
#include "widgets/message_banner.h"
#include "widgets/question_box.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QUndoStack>

namespace ckpt {

RulesController::RulesController(QWidget *window, FileController *files, RulesDocument *rules, RulesPanel *panel,
                                 MessageBanner *banner, QLabel *status)
    : QObject(window), m_window(window), m_files(files), m_rules(rules), m_panel(panel), m_banner(banner),
      m_status(status)
{
}

void RulesController::addActions(QMenu *file, QMenu *edit)
{
    QAction *load = insertFileAction(file, tr("&Load Rules..."), QKeySequence(tr("Ctrl+Shift+L")), this);
    connect(load, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(m_window, tr("Load rules"), QString(),
                                                          tr("Rule configs (*.json *.yaml *.yml)"));
        if (!path.isEmpty()) loadRules(path);
    });
    QAction *save = insertFileAction(file, tr("Save &Rules..."), QKeySequence(tr("Ctrl+S")), this);
    connect(save, &QAction::triggered, this, &RulesController::saveRulesAs);
    QAction *preview = insertFileAction(file, tr("&Preview Config..."), QKeySequence(tr("Ctrl+Shift+P")), this);
    connect(preview, &QAction::triggered, this, &RulesController::showConfigPreview);
    QAction *exportConfig = insertFileAction(file, tr("&Export Config for Training..."), QKeySequence(), this);
    connect(exportConfig, &QAction::triggered, this, [this] {
        QString filter;
        const QString path = QFileDialog::getSaveFileName(
            m_window, tr("Export config"), QStringLiteral("rules.config.json"),
            tr("Config with resolved result, JSON (*.json);;Config with resolved result, YAML (*.yaml);;"
               "Python function (*.py);;anemoi-training block (*.yaml);;KempnerForge freeze specs (*.toml);;"
               "linnaeus metadata and filters (*.yaml)"),
            &filter);
        if (path.isEmpty()) return;
        const QString format = filter.startsWith("Python")       ? "python"
                               : filter.startsWith("anemoi")     ? "anemoi"
                               : filter.startsWith("KempnerForge") ? "kempnerforge"
                               : filter.startsWith("linnaeus")   ? "linnaeus"
                               : filter.contains("YAML")         ? "config-yaml"
                                                                 : "config-json";
        exportRules(path, format);
    });

    edit->addSeparator();
    QAction *undo = m_rules->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence(tr("Ctrl+Z")));
    QAction *redo = m_rules->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence(tr("Ctrl+Shift+Z")));
    edit->insertAction(edit->actions().value(0), redo);
    edit->insertAction(redo, undo);
    edit->insertSeparator(edit->actions().value(2));
    edit->addAction(tr("&New Rule"), QKeySequence(tr("Ctrl+N")), m_panel, &RulesPanel::newRule);
    edit->addAction(tr("C&lear All Rules"), this, [this] { // undoable, so nothing is lost
        if (m_rules->rules().rules.empty() && m_rules->rules().schedule.empty()) return;
        RuleSet none = m_rules->rules();
        none.rules.clear();
        none.schedule.clear();
        m_rules->replaceAll(none, tr("Clear all rules"));
    });
}

bool RulesController::loadRules(const QString &path)
{
    auto rules = loadConfig(path.toStdString());
    if (!rules) {
        QMessageBox::warning(m_window, tr("Cannot load rules"),
                             tr("%1: %2").arg(path, QString::fromStdString(rules.error().message)));
        return false;
    }
    if (!m_rules->rules().rules.empty() &&
        askQuestion(m_window, "replaceRulesQuestion", tr("Load rules"),
                    tr("Replace the %n rule(s) you have with the %1 in %2?%3", nullptr, int(m_rules->rules().rules.size()))
                        .arg(tr("%n rule(s)", nullptr, int(rules->rules.size())), QFileInfo(path).fileName(),
                             m_rules->hasUnsavedRules() ? tr(" Yours are not saved (Undo brings them back).") : QString()),
                    {tr("Replace Them"), tr("Cancel")}) != 0)
        return false;
    m_rules->replaceAll(*rules, tr("Load rules from %1").arg(QFileInfo(path).fileName()));
    m_rules->markSaved();
    return true;
}

bool RulesController::offerToSaveRules(const QString &action)
{
    if (!m_rules->hasUnsavedRules()) return true;
    const int n = int(m_rules->rules().rules.size());
    const int answer = askQuestion(m_window, "unsavedRulesQuestion", action,
                                   n ? tr("The %n rule(s) are not saved. Save them first?", nullptr, n)
                                     : tr("Removing every rule is not saved. Save the empty config first?"),
                                   {tr("Save Rules..."), tr("Discard Them"), tr("Cancel")});
    if (answer == 1) return true;
    return answer == 0 && saveRulesAs();
}

bool RulesController::saveRulesAs()
{
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Save rules"), QStringLiteral("rules.json"),
                                                      tr("JSON (*.json);;YAML (*.yaml)"));
    return !path.isEmpty() && exportRules(path, QFileInfo(path).suffix() == "yaml" ? "yaml" : "json");
}

bool RulesController::takesRules(const TreeNode &n) const
{
    // A module or tensor row of the weights dict: rules speak the dict's own names.
    const QString prefix = m_rules->weightsPrefix();
    return (n.kind == NodeKind::Tensor || n.kind == NodeKind::Module) &&
           (prefix.isEmpty() || QString::fromStdString(n.fullName).startsWith(prefix + "/"));
}

std::optional<std::string> RulesController::configText(const QString &format, const QString &fileName,
                                                       QString *error) const
{
    const RuleSet &rules = m_rules->rules();
    std::string text;
    if (format == "json" || format == "yaml") {
        text = writeRules(rules, format == "json" ? ConfigFormat::Json : ConfigFormat::Yaml);
    } else if (!m_files->document().checkpoint || m_rules->inputs().empty()) {
        *error = tr("Open a checkpoint with weights first.");
        return std::nullopt;
    } else if (format == "python") {
        text = emitPythonFunction(m_rules->inputs(), rules, m_rules->plan(), fileName.toStdString());
    } else if (format == "anemoi") {
        text = emitAnemoiYaml(m_rules->inputs(), m_rules->plan(), m_files->document().path.toStdString());
    } else if (format == "kempnerforge") {
        text = emitKempnerForgeToml(m_rules->inputs(), m_rules->plan());
    } else if (format == "linnaeus") {
        text = emitLinnaeusYaml(m_rules->inputs(), rules, m_rules->plan());
    } else {
        text = writeConfig(rules, *m_files->document().checkpoint, m_files->document().path.toStdString(), m_rules->inputs(),
                           m_rules->plan(), format == "config-yaml" ? ConfigFormat::Yaml : ConfigFormat::Json);
    }
    return text;
}

void RulesController::showConfigPreview()
{
    if (m_preview) {
        m_preview->show();
        m_preview->raise();
        return;
    }
    m_preview = new ConfigPreviewDialog(
        [this](const QString &format, QString *error) {
            const QString name = format == "python" ? QStringLiteral("apply_rules.py") : QStringLiteral("rules.config.json");
            return configText(format, name, error);
        },
        [this](const QString &format) {
            static const QMap<QString, QString> suffix = {{"config-json", "config.json"}, {"config-yaml", "config.yaml"},
                                                          {"json", "json"}, {"yaml", "yaml"}, {"python", "py"},
                                                          {"anemoi", "anemoi.yaml"}, {"kempnerforge", "toml"},
                                                          {"linnaeus", "linnaeus.yaml"}};
            const QString path = QFileDialog::getSaveFileName(m_preview, tr("Save config"), "rules." + suffix.value(format));
            if (!path.isEmpty()) exportRules(path, format);
        },
        m_window);
    connect(m_rules, &RulesDocument::planChanged, m_preview, &ConfigPreviewDialog::refresh);
    m_preview->show();
}

bool RulesController::exportRules(const QString &path, const QString &format)
{
    QString error;
    const auto text = configText(format, QFileInfo(path).fileName(), &error);
    if (!text) {
        m_banner->showMessage(MessageBanner::Level::Error, error);
        return false;
    }
    auto written = writeFileAtomically(path.toStdString(), *text);
    if (!written) {
        m_banner->showMessage(MessageBanner::Level::Error,
                              tr("Could not write %1: %2").arg(path, QString::fromStdString(written.error().message)));
        return false;
    }
    m_status->setText(tr("Wrote %1").arg(path));
    // The formats that hold the rules themselves; a Python function or a trainer's block does not.
    if (format == "json" || format == "yaml" || format.startsWith("config-")) m_rules->markSaved();
    return true;
}

std::optional<Rule> RulesController::ruleForNode(int node, const QString &action, const QString &argument) const
{
    if (!m_files->document().tree || node <= 0) return std::nullopt;
    const TreeNode &n = m_files->document().tree->node(node);
    if (!takesRules(n)) return std::nullopt;
    // Strip the weights dict's own path from the row's.
    const QString prefix = m_rules->weightsPrefix();
    QString name = QString::fromStdString(n.fullName);
    if (!prefix.isEmpty()) name = name.mid(prefix.size() + 1);
    // A rule added at the end sees the names earlier renames produced.
    if (n.kind == NodeKind::Tensor) {
        const int input = m_rules->inputOfEntry(size_t(n.entry));
        if (input < 0 || m_rules->plan().tensors[size_t(input)].dropped) return std::nullopt;
        const std::string_view planned = m_rules->plan().tensors[size_t(input)].name;
        name = QString::fromUtf8(planned.data(), qsizetype(planned.size()));
    } else {
        const auto renamed = plannedModuleName(m_rules->inputs(), m_rules->plan(), name.toStdString());
        if (!renamed) return std::nullopt;
        name = QString::fromStdString(*renamed);
    }
    Matcher m;
    m.kind = n.kind == NodeKind::Tensor ? Matcher::Kind::Name : Matcher::Kind::Module;
    m.text = name.toStdString();
    Rule r;
    r.match = m;
    if (action == "freeze") r.action = Rule::Action::Freeze;
    else if (action == "unfreeze") r.action = Rule::Action::Unfreeze;
    else if (action == "drop") r.action = Rule::Action::Drop;
    else if (action == "group") {
        r.action = Rule::Action::Group;
        r.group = argument.toStdString();
        if (r.group.empty()) return std::nullopt;
    } else if (action == "cast") {
        r.action = Rule::Action::Cast;
        const auto d = dtypeFromName(argument.toStdString());
        if (!d) return std::nullopt;
        r.castTo = *d;
    } else if (action == "rename") {
        r.action = Rule::Action::Rename;
        r.match.reset();
        r.prefix = (name + (n.kind == NodeKind::Module ? "." : "")).toStdString();
        r.to = argument.toStdString();
        if (!r.to.empty() && n.kind == NodeKind::Module && !r.to.ends_with('.')) r.to += '.';
    } else {
        return std::nullopt;
    }
    return r;
}

bool RulesController::addRuleForNode(int node, const QString &action, const QString &argument)
{
    return addRulesForNodes({node}, action, argument) == 1;
}

int RulesController::addRulesForNodes(const QList<int> &nodes, const QString &action, const QString &argument)
{
    std::vector<Rule> made;
    for (int node : nodes)
        if (auto r = ruleForNode(node, action, argument)) made.push_back(std::move(*r));
    if (made.size() == 1) m_rules->addRule(made.front());
    if (made.size() > 1) { // one undo step, one evaluation
        RuleSet rules = m_rules->rules();
        rules.rules.insert(rules.rules.end(), made.begin(), made.end());
        m_rules->replaceAll(rules, tr("%1 %n rows", nullptr, int(made.size())).arg(action));
    }
    return int(made.size());
}

void RulesController::addRuleMenu(QMenu *menu, const QList<int> &nodes)
{
    if (!m_files->document().tree || nodes.isEmpty()) return;
    // Only rows of the weights take rules; the menu acts on all of them at once.
    QList<int> rows;
    bool modules = false;
    for (int node : nodes) {
        const TreeNode &n = m_files->document().tree->node(node);
        if (!takesRules(n)) continue;
        rows << node;
        modules = modules || n.kind == NodeKind::Module;
    }
    if (rows.isEmpty()) return;
    menu->addSeparator();
    const QString what = rows.size() > 1 ? tr("%n Rows", nullptr, int(rows.size()))
                         : modules       ? tr("This Module")
                                         : tr("This Tensor");
    menu->addAction(tr("Freeze %1").arg(what), this, [this, rows] { addRulesForNodes(rows, "freeze"); });
    menu->addAction(tr("Unfreeze %1").arg(what), this, [this, rows] { addRulesForNodes(rows, "unfreeze"); });
    menu->addAction(tr("Drop %1").arg(what), this, [this, rows] { addRulesForNodes(rows, "drop"); });
    menu->addAction(rows.size() > 1 ? tr("Rename These Prefixes...") : tr("Rename This Prefix..."), this, [this, rows] {
        bool ok = false;
        const QString to = QInputDialog::getText(m_window, tr("Rename prefix"), tr("New prefix (empty to strip it):"),
                                                 QLineEdit::Normal, QString(), &ok);
        if (ok) addRulesForNodes(rows, "rename", to);
    });
    menu->addAction(tr("Add to Group..."), this, [this, rows] {
        bool ok = false;
        const QString group = QInputDialog::getText(m_window, tr("Add to group"), tr("Group name:"),
                                                    QLineEdit::Normal, QStringLiteral("no_decay"), &ok);
        if (ok) addRulesForNodes(rows, "group", group);
    });
    QMenu *cast = menu->addMenu(tr("Cast To"));
    for (const char *d : {"bfloat16", "float16", "float32"})
        cast->addAction(QString::fromLatin1(d), this, [this, rows, d] { addRulesForNodes(rows, "cast", d); });
}

} // namespace ckpt
