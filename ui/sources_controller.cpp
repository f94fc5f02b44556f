#include "sources_controller.h"

#include "location_text.h"
#include "file_controller.h"
#include "roles.h"
#include "rules_document.h"
#include "sources_panel.h"
#include "window_helpers.h"

#include "model/checkpoint/checkpoint_tree.h"
#include "model/rules/rule_sources.h"
#include "model/rules/take_rule.h"

#include <QAction>
#include <QDockWidget>
#include <QDragMoveEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QKeySequence>
#include <QListWidget>
#include <QMainWindow>
#include <QMenu>
#include <QMimeData>
#include <QStatusBar>
#include <QTreeView>

namespace ckpt {

SourcesController::SourcesController(QWidget *window, FileController *files, RulesDocument *rules, SourcesPanel *panel,
                                     QTreeView *tree, QDockWidget *dock)
    : QObject(window), m_window(window), m_files(files), m_rules(rules), m_panel(panel), m_tree(tree), m_dock(dock)
{
    m_tree->viewport()->setAcceptDrops(true);
    m_tree->viewport()->installEventFilter(this);
    connect(m_rules, &RulesDocument::planChanged, this, &SourcesController::refresh);
    connect(m_panel, &SourcesPanel::addRequested, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            m_window, tr("Add Source"), QFileInfo(m_files->document().path).absolutePath(),
            tr("Checkpoints (*.pt *.pth *.bin *.ckpt *.safetensors *.json);;All files (*)"));
        if (!path.isEmpty()) addSource(path);
    });
    connect(m_panel, &SourcesPanel::removeRequested, this, &SourcesController::removeSource);
    refresh();
}

void SourcesController::addActions(QMenu *file, QMenu *view)
{
    QAction *add = insertFileAction(file, tr("Add &Source..."), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_O), this);
    add->setObjectName("actionAddSource");
    connect(add, &QAction::triggered, this, [this] {
        raiseDock(qobject_cast<QMainWindow *>(m_window), m_dock, 0);
        Q_EMIT m_panel->addRequested();
    });
    view->addAction(tr("&Sources View"), QKeySequence(Qt::CTRL | Qt::Key_5), this, [this] {
        raiseDock(qobject_cast<QMainWindow *>(m_window), m_dock, 0);
        m_panel->sourceList()->setFocus();
    });
}

void SourcesController::refresh()
{
    QString error;
    m_opened.reset();
    if (!m_rules->rules().sources.empty()) {
        auto opened = RuleSources::open(m_rules->rules());
        if (opened) m_opened = std::make_shared<const RuleSources>(std::move(*opened));
        else error = QString::fromStdString(opened.error().message);
    }
    m_panel->showSources(m_rules->rules(), m_opened.get(), error);
}

bool SourcesController::addSource(const QString &path)
{
    RuleSet rules = m_rules->rules();
    RuleSource src;
    src.name = sourceNameFor(path.toStdString(), rules);
    src.path = absoluteLocation(path).toStdString();
    if (QFileInfo(path).isDir()) src.path += "/";
    rules.sources.push_back(src);
    auto opened = RuleSources::open(rules);
    if (!opened) {
        if (auto *w = qobject_cast<QMainWindow *>(m_window)) w->statusBar()->showMessage(QString::fromStdString(opened.error().message), 8000);
        return false;
    }
    m_rules->replaceAll(rules, tr("Add source %1").arg(QString::fromStdString(src.name)));
    return true;
}

void SourcesController::removeSource(const QString &name)
{
    RuleSet rules = m_rules->rules();
    std::erase_if(rules.sources, [&](const RuleSource &s) { return s.name == name.toStdString(); });
    m_rules->replaceAll(rules, tr("Remove source %1").arg(name));
}

QString SourcesController::destinationOf(int node) const
{
    const auto &tree = m_files->document().tree;
    if (!tree || node <= 0 || size_t(node) >= tree->size()) return {};
    const TreeNode *n = &tree->node(node);
    if (n->kind == NodeKind::Tensor) {
        if (n->parent <= 0) return {};
        n = &tree->node(n->parent);
    }
    if (n->kind != NodeKind::Module) return {};
    QString name = QString::fromStdString(n->fullName);
    const QString prefix = m_rules->weightsPrefix();
    if (!prefix.isEmpty()) {
        if (!name.startsWith(prefix + "/")) return {};
        name = name.mid(prefix.size() + 1);
    }
    if (m_rules->inputs().empty()) return name;
    const auto renamed = plannedModuleName(m_rules->inputs(), m_rules->plan(), name.toStdString());
    return renamed ? QString::fromStdString(*renamed) : name;
}

bool SourcesController::dropOnNode(const QByteArray &payload, int node)
{
    const QJsonObject o = QJsonDocument::fromJson(payload).object();
    const std::string source = o["source"].toString().toStdString(), name = o["name"].toString().toStdString();
    if (source.empty() || name.empty()) return false;
    const Rule rule = takeRule(source, name, o["module"].toBool(), destinationOf(node).toStdString());
    m_rules->addRule(rule);
    if (auto *w = qobject_cast<QMainWindow *>(m_window))
        w->statusBar()->showMessage(tr("Added: %1").arg(QString::fromStdString(describeRule(rule))), 6000);
    return true;
}

bool SourcesController::eventFilter(QObject *watched, QEvent *event)
{
    if (watched != m_tree->viewport()) return QObject::eventFilter(watched, event);
    const QString type = QString::fromLatin1(SourcesPanel::kMimeType);
    if (event->type() == QEvent::DragEnter || event->type() == QEvent::DragMove) {
        auto *drag = static_cast<QDragMoveEvent *>(event);
        if (!drag->mimeData()->hasFormat(type)) return false;
        drag->acceptProposedAction();
        return true;
    }
    if (event->type() == QEvent::Drop) {
        auto *drop = static_cast<QDropEvent *>(event);
        if (!drop->mimeData()->hasFormat(type)) return false;
        const QModelIndex index = m_tree->indexAt(drop->position().toPoint());
        const int node = index.isValid() ? index.data(NodeIdRole).toInt() : 0;
        if (dropOnNode(drop->mimeData()->data(type), node)) drop->acceptProposedAction();
        return true;
    }
    return QObject::eventFilter(watched, event);
}

} // namespace ckpt
