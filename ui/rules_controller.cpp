#include "rules_controller.h"

#include "file_controller.h"
#include "rules_document.h"
#include "rules_panel.h"
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
    connect(save, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getSaveFileName(m_window, tr("Save rules"), QStringLiteral("rules.json"),
                                                          tr("JSON (*.json);;YAML (*.yaml)"));
        if (!path.isEmpty()) exportRules(path, QFileInfo(path).suffix() == "yaml" ? "yaml" : "json");
    });
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
    if (answer != 0) return false;
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Save rules"), QStringLiteral("rules.json"),
                                                      tr("JSON (*.json);;YAML (*.yaml)"));
    return !path.isEmpty() && exportRules(path, QFileInfo(path).suffix() == "yaml" ? "yaml" : "json");
}

bool RulesController::exportRules(const QString &path, const QString &format)
{
    const RuleSet &rules = m_rules->rules();
    std::string text;
    if (format == "json" || format == "yaml") {
        text = writeRules(rules, format == "json" ? ConfigFormat::Json : ConfigFormat::Yaml);
    } else if (!m_files->document().checkpoint || m_rules->inputs().empty()) {
        m_banner->showMessage(MessageBanner::Level::Error, tr("Open a checkpoint with weights first."));
        return false;
    } else if (format == "python") {
        text = emitPythonFunction(m_rules->inputs(), rules, m_rules->plan(), QFileInfo(path).fileName().toStdString());
    } else if (format == "anemoi") {
        text = emitAnemoiYaml(m_rules->inputs(), m_rules->plan());
    } else if (format == "kempnerforge") {
        text = emitKempnerForgeToml(m_rules->inputs(), m_rules->plan());
    } else if (format == "linnaeus") {
        text = emitLinnaeusYaml(m_rules->inputs(), rules, m_rules->plan());
    } else {
        text = writeConfig(rules, *m_files->document().checkpoint, m_files->document().path.toStdString(), m_rules->inputs(),
                           m_rules->plan(), format == "config-yaml" ? ConfigFormat::Yaml : ConfigFormat::Json);
    }
    auto written = writeFileAtomically(path.toStdString(), text);
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

bool RulesController::addRuleForNode(int node, const QString &action, const QString &argument)
{
    if (!m_files->document().tree || node <= 0) return false;
    const TreeNode &n = m_files->document().tree->node(node);
    // Rules speak the weights dict's names: strip the dict's own path from the row's.
    const QString prefix = m_rules->weightsPrefix();
    QString name = QString::fromStdString(n.fullName);
    if (!prefix.isEmpty()) {
        if (!name.startsWith(prefix + "/")) return false;
        name = name.mid(prefix.size() + 1);
    }
    if (n.kind != NodeKind::Tensor && n.kind != NodeKind::Module) return false;
    // A rule added at the end sees the names earlier renames produced.
    if (n.kind == NodeKind::Tensor) {
        const int input = m_rules->inputOfEntry(size_t(n.entry));
        if (input < 0 || m_rules->plan().tensors[size_t(input)].dropped) return false;
        const std::string_view planned = m_rules->plan().tensors[size_t(input)].name;
        name = QString::fromUtf8(planned.data(), qsizetype(planned.size()));
    } else {
        const auto renamed = plannedModuleName(m_rules->inputs(), m_rules->plan(), name.toStdString());
        if (!renamed) return false;
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
        if (r.group.empty()) return false;
    } else if (action == "cast") {
        r.action = Rule::Action::Cast;
        const auto d = dtypeFromName(argument.toStdString());
        if (!d) return false;
        r.castTo = *d;
    } else if (action == "rename") {
        r.action = Rule::Action::Rename;
        r.match.reset();
        r.prefix = (name + (n.kind == NodeKind::Module ? "." : "")).toStdString();
        r.to = argument.toStdString();
        if (!r.to.empty() && n.kind == NodeKind::Module && !r.to.ends_with('.')) r.to += '.';
    } else {
        return false;
    }
    m_rules->addRule(r);
    return true;
}

void RulesController::addRuleMenu(QMenu *menu, int node)
{
    if (!m_files->document().tree) return;
    const TreeNode &n = m_files->document().tree->node(node);
    if (n.kind != NodeKind::Tensor && n.kind != NodeKind::Module) return;
    const QString prefix = m_rules->weightsPrefix();
    if (!prefix.isEmpty() && !QString::fromStdString(n.fullName).startsWith(prefix + "/")) return;
    menu->addSeparator();
    const QString what = n.kind == NodeKind::Module ? tr("Module") : tr("Tensor");
    menu->addAction(tr("Freeze This %1").arg(what), this, [this, node] { addRuleForNode(node, "freeze"); });
    menu->addAction(tr("Unfreeze This %1").arg(what), this, [this, node] { addRuleForNode(node, "unfreeze"); });
    menu->addAction(tr("Drop This %1").arg(what), this, [this, node] { addRuleForNode(node, "drop"); });
    menu->addAction(tr("Rename This Prefix..."), this, [this, node] {
        bool ok = false;
        const QString to = QInputDialog::getText(m_window, tr("Rename prefix"), tr("New prefix (empty to strip it):"),
                                                 QLineEdit::Normal, QString(), &ok);
        if (ok) addRuleForNode(node, "rename", to);
    });
    menu->addAction(tr("Add to Group..."), this, [this, node] {
        bool ok = false;
        const QString group = QInputDialog::getText(m_window, tr("Add to group"), tr("Group name:"),
                                                    QLineEdit::Normal, QStringLiteral("no_decay"), &ok);
        if (ok) addRuleForNode(node, "group", group);
    });
    QMenu *cast = menu->addMenu(tr("Cast To"));
    for (const char *d : {"bfloat16", "float16", "float32"})
        cast->addAction(QString::fromLatin1(d), this, [this, node, d] { addRuleForNode(node, "cast", d); });
}

} // namespace ckpt
