// The rules in the window: undo/redo, the editor's validation and live preview, rules made
// from tree rows, loading and exporting configs, "only affected", diagnostics.
#include "ui/checkpoint_tree_model.h"
#include "ui/config_preview_dialog.h"
#include "ui/export_dialog.h"
#include "ui/main_window.h"
#include "ui_test_helpers.h"
#include "ui/roles.h"
#include "ui/rule_editor.h"
#include "ui/rules_document.h"
#include "ui/rules_panel.h"

#include "model/checkpoint/checkpoint_tree.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "model/rules/rule_config.h"

#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTreeView>
#include <QUndoStack>
#include <QtTest>

using namespace ckpt;
using namespace ckpt::test;

namespace {




size_t frozenCount(const RulesDocument *doc)
{
    size_t n = 0;
    for (const auto &t : doc->plan().tensors) n += t.frozen;
    return n;
}

QString planText(MainWindow &w, const QString &fullName)
{
    if (!w.selectFullName(fullName)) return QStringLiteral("<no row>");
    const QModelIndex i = w.treeView()->currentIndex();
    return i.sibling(i.row(), PlanColumn).data().toString();
}

int nodeNamed(MainWindow &w, const std::string &fullName)
{
    const auto *tree = w.treeModel()->tree();
    for (size_t i = 1; i < tree->size(); ++i)
        if (tree->node(int(i)).fullName == fullName) return int(i);
    return -1;
}


} // namespace

class TestRules final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void undoRedoRoundTrips();
    void editorValidatesAndPreviews();
    void rulesFromTreeRows();
    void loadAndExportConfigs();
    void onlyAffectedAndDiagnostics();
    void exportDialogWritesAndOpens();
    void editorForgetsWhatIsGone();
    void contextMenuActsOnEverySelectedRow();
    void planAtAGlance();
    void configPreviewShowsEveryFormatAndCopies();
};

void TestRules::undoRedoRoundTrips()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    RulesDocument *doc = w.rulesDocument();
    QUndoStack *undo = doc->undoStack();
    doc->addRule(ruleFrom(R"({"action":"freeze","match":{"glob":"layer1.*"}})"));
    QCOMPARE(frozenCount(doc), size_t(24)); // two blocks of 12 tensors
    QCOMPARE(planText(w, "layer1.0.conv1.weight"), QStringLiteral("frozen"));
    doc->addRule(ruleFrom(R"({"action":"unfreeze","match":{"module":"layer1.1"}})"));
    QCOMPARE(frozenCount(doc), size_t(12));
    doc->moveRule(1, 0); // unfreeze first: the freeze wins again
    QCOMPARE(frozenCount(doc), size_t(24));
    doc->setRuleEnabled(0, false);
    doc->replaceRule(1, ruleFrom(R"({"action":"freeze","match":{"glob":"layer[12].*"}})"));
    QCOMPARE(frozenCount(doc), size_t(54)); // layer2 adds a downsample conv and its norm
    const RuleSet after = doc->rules();
    QCOMPARE(undo->count(), 5);
    while (undo->canUndo()) undo->undo();
    QVERIFY(doc->rules().rules.empty());
    QCOMPARE(frozenCount(doc), size_t(0));
    QCOMPARE(planText(w, "layer1.0.conv1.weight"), QString());
    while (undo->canRedo()) undo->redo();
    QVERIFY(doc->rules() == after);
    QCOMPARE(frozenCount(doc), size_t(54));
    doc->removeRule(0);
    undo->undo();
    QVERIFY(doc->rules() == after);
}

void TestRules::editorValidatesAndPreviews()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    RulesPanel *panel = w.rulesPanel();
    RuleEditor *editor = panel->editor();
    auto *status = editor->findChild<QLabel *>("ruleStatus");
    auto *kind = editor->findChild<QComboBox *>("ruleMatchKind");
    auto *match = editor->findChild<QLineEdit *>("ruleMatch");
    auto *apply = editor->findChild<QPushButton *>("ruleApply");
    panel->newRule();
    kind->setCurrentText("regex");
    QTest::keyClicks(match, "^layer4\\.1\\.bn");
    QVERIFY(w.rulesDocument()->preview());
    QCOMPARE(w.rulesDocument()->preview()->tensors, size_t(10));
    QVERIFY(status->text().startsWith("matches 10 tensors"));
    QVERIFY(w.rulesDocument()->rules().rules.empty()); // a preview is not a rule yet
    // The preview colours exactly the rows it matches.
    w.selectFullName("layer4.1.bn1.weight");
    QVERIFY(w.treeView()->currentIndex().data(Qt::BackgroundRole).isValid());
    w.selectFullName("layer4.1.conv1.weight");
    QVERIFY(!w.treeView()->currentIndex().data(Qt::BackgroundRole).isValid());
    QTest::keyClicks(match, "(");
    QVERIFY(status->text().contains("missing )"));
    QVERIFY(!apply->isEnabled());
    QTest::keyClick(match, Qt::Key_Backspace);
    QVERIFY(apply->isEnabled());
    apply->click();
    QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
    QCOMPARE(frozenCount(w.rulesDocument()), size_t(10));
    // A rule that matches nothing says so before it is applied.
    panel->newRule();
    kind->setCurrentText("glob");
    QTest::keyClicks(match, "encoder.*");
    QCOMPARE(status->text(), QStringLiteral("matches no tensor"));
}

void TestRules::rulesFromTreeRows()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/lightning.ckpt")));
    RulesDocument *doc = w.rulesDocument();
    QCOMPARE(doc->weightsPrefix(), QStringLiteral("state_dict"));
    QVERIFY(w.addRuleForNode(nodeNamed(w, "state_dict/model.layer2"), "freeze"));
    QCOMPARE(doc->rules().rules.back().match->kind, Matcher::Kind::Module);
    QCOMPARE(doc->rules().rules.back().match->text, std::string("model.layer2"));
    QVERIFY(w.addRuleForNode(nodeNamed(w, "state_dict/model.fc.weight"), "drop"));
    QVERIFY(w.addRuleForNode(nodeNamed(w, "state_dict/model"), "rename", ""));
    QVERIFY(w.addRuleForNode(nodeNamed(w, "state_dict/model.bn1"), "group", "no_decay"));
    QCOMPARE(doc->rules().rules.back().match->text, std::string("bn1")); // after the rename
    QVERIFY(w.addRuleForNode(nodeNamed(w, "state_dict/model.conv1.weight"), "cast", "bfloat16"));
    QVERIFY(!doc->plan().hasErrors());
    QCOMPARE(planText(w, "state_dict/model.fc.weight"), QStringLiteral("dropped"));
    QCOMPARE(planText(w, "state_dict/model.conv1.weight"), QStringLiteral("bfloat16  → conv1.weight"));
    QVERIFY(planText(w, "state_dict/model.layer2.0.conv1.weight").startsWith("frozen"));
    // Rows outside the weights make no rules.
    QVERIFY(!w.addRuleForNode(nodeNamed(w, "optimizer_states/0/state/0/exp_avg"), "freeze"));
}

void TestRules::loadAndExportConfigs()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    QTemporaryDir dir;
    const QString cfg = dir.filePath("rules.yaml");
    QFile f(cfg);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("rules:\n  - {action: freeze, match: {glob: \"layer3.*\"}}\n  - {action: drop, match: {prefix: fc.}}\n");
    f.close();
    QVERIFY(w.loadRules(cfg));
    QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(2));
    QCOMPARE(frozenCount(w.rulesDocument()), size_t(30));
    QVERIFY(w.exportRules(dir.filePath("out.json"), "json"));
    auto back = loadConfig(dir.filePath("out.json").toStdString());
    QVERIFY(back.ok());
    QVERIFY(*back == w.rulesDocument()->rules());
    QVERIFY(w.exportRules(dir.filePath("apply.py"), "python"));
    QVERIFY(w.exportRules(dir.filePath("full.config.json"), "config-json"));
    QFile full(dir.filePath("full.config.json"));
    QVERIFY(full.open(QIODevice::ReadOnly));
    QVERIFY(full.readAll().contains("\"resolved\""));
    w.rulesDocument()->undoStack()->undo(); // loading is one undoable step
    QVERIFY(w.rulesDocument()->rules().rules.empty());
}

void TestRules::onlyAffectedAndDiagnostics()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    RulesDocument *doc = w.rulesDocument();
    doc->addRule(ruleFrom(R"({"action":"freeze","match":{"module":"layer4.1"}})"));
    doc->addRule(ruleFrom(R"({"action":"drop","match":{"glob":"nothing.*"}})"));
    w.setOnlyAffected(true);
    QCOMPARE(countTensors(w.treeView()->model()), 12);
    w.setOnlyAffected(false);
    QCOMPARE(countTensors(w.treeView()->model()), 122);
    QListWidget *diagnostics = w.rulesPanel()->diagnosticList();
    QCOMPARE(diagnostics->count(), 1);
    QVERIFY(diagnostics->item(0)->text().contains("matches no tensor"));
    QVERIFY(w.rulesPanel()->ruleList()->item(1)->foreground().color() != QColor(Qt::black));
    Q_EMIT diagnostics->itemClicked(diagnostics->item(0));
    QCOMPARE(w.rulesPanel()->currentRule(), 1);
}

void TestRules::exportDialogWritesAndOpens()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    w.rulesDocument()->addRule(ruleFrom(R"({"action":"drop","match":{"prefix":"fc."}})"));
    ExportDialog *dialog = w.showExportDialog();
    QVERIFY(dialog);
    QTemporaryDir dir;
    dialog->setOutput(dir.filePath("edited.pt"));
    QSignalSpy finished(dialog, &ExportDialog::finished);
    dialog->start();
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.last().at(0).toBool(), true);
    QVERIFY(dialog->resultText().contains("verified"));
    QVERIFY(QFile::exists(dir.filePath("edited.pt")));
    QVERIFY(QFile::exists(dir.filePath("edited.config.json"))); // the config beside it
    QSignalSpy opened(&w, &MainWindow::documentOpened);
    dialog->findChild<QPushButton *>(QString(), Qt::FindChildrenRecursively); // buttons exist
    keepNext(false, false); // the rules were for the source: leave them
    for (QPushButton *b : dialog->findChildren<QPushButton *>())
        if (b->text() == "Open It") b->click();
    QVERIFY(opened.wait(20000));
    QCOMPARE(w.currentPath(), dir.filePath("edited.pt"));
    QCOMPARE(w.rulesDocument()->inputs().size(), size_t(120)); // fc.weight and fc.bias dropped
    QVERIFY(w.rulesDocument()->rules().rules.empty()); // not applied to the export again
    w.rulesDocument()->undoStack()->undo();             // left, not lost
    QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
}

void TestRules::editorForgetsWhatIsGone()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    RulesPanel *panel = w.rulesPanel();
    auto *match = panel->editor()->findChild<QLineEdit *>("ruleMatch");
    auto *apply = panel->editor()->findChild<QPushButton *>("ruleApply");
    auto *status = panel->editor()->findChild<QLabel *>("ruleStatus");
    w.rulesDocument()->addRule(ruleFrom(R"({"action":"freeze","match":{"prefix":"layer1."}})"));
    panel->selectRule(0);
    QCOMPARE(match->text(), QString("layer1."));
    QCOMPARE(apply->text(), QString("Apply"));
    // Removed: the editor no longer shows it, and its button adds a new rule.
    panel->findChild<QPushButton *>("ruleRemove")->click();
    QVERIFY(w.rulesDocument()->rules().rules.empty());
    QCOMPARE(match->text(), QString());
    QCOMPARE(apply->text(), QString("Add"));
    // A rule being typed counts what it matches; after Close there is nothing to count.
    match->setText("layer2.*");
    QVERIFY2(status->text().startsWith("matches 30 tensors"), qPrintable(status->text()));
    w.closeDocument();
    QCOMPARE(status->text(), QString("Open a checkpoint to see what it matches."));
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    QVERIFY2(status->text().startsWith("matches 30 tensors"), qPrintable(status->text()));
}

void TestRules::contextMenuActsOnEverySelectedRow()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/lightning.ckpt")));
    QTreeView *tree = w.treeView();
    QVERIFY(w.selectFullName("state_dict/model.layer1"));
    const QModelIndex first = tree->currentIndex();
    QVERIFY(w.selectFullName("state_dict/model.layer2"));
    const QModelIndex second = tree->currentIndex();
    tree->selectionModel()->select(first, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QCOMPARE(tree->selectionModel()->selectedRows().size(), 2);
    const int steps = w.rulesDocument()->undoStack()->count();
    chooseFromNextMenu("treeContextMenu", "Freeze 2 Rows");
    Q_EMIT tree->customContextMenuRequested(tree->visualRect(second).center());
    QTRY_COMPARE(w.rulesDocument()->rules().rules.size(), size_t(2));
    QCOMPARE(w.rulesDocument()->undoStack()->count(), steps + 1); // one undo step
    QCOMPARE(frozenCount(w.rulesDocument()), size_t(24 + 30));     // layer1, and layer2 with its downsample
    w.rulesDocument()->undoStack()->undo();
    QVERIFY(w.rulesDocument()->rules().rules.empty());
    // A click outside the selection acts on that row alone.
    QVERIFY(w.selectFullName("state_dict/model.fc.bias"));
    const QModelIndex bias = tree->currentIndex();
    tree->selectionModel()->select(first, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    chooseFromNextMenu("treeContextMenu", "Drop This Tensor");
    Q_EMIT tree->customContextMenuRequested(tree->visualRect(bias).center());
    QTRY_COMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
    QCOMPARE(QString::fromStdString(describeRule(w.rulesDocument()->rules().rules[0])).contains("fc.bias"), true);
}

void TestRules::planAtAGlance()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/lightning.ckpt")));
    w.rulesDocument()->addRule(ruleFrom(R"({"action":"freeze","match":{"module":"model.layer1"}})"));
    w.rulesDocument()->addRule(ruleFrom(R"({"action":"drop","match":{"prefix":"model.fc."}})"));
    // The totals, counted here from the weights themselves.
    int64_t frozen = 0, trainable = 0, dropped = 0;
    for (const auto &in : w.rulesDocument()->inputs()) {
        if (in.name.starts_with("model.fc.")) dropped += in.numel;
        else if (in.name.starts_with("model.layer1.")) frozen += in.numel;
        else trainable += in.numel;
    }
    const QString totals = w.rulesPanel()->findChild<QLabel *>("planTotals")->text();
    QVERIFY2(totals.contains(QString::fromStdString(humanCount(trainable)) + " trainable"), qPrintable(totals));
    QVERIFY2(totals.contains(QString::fromStdString(humanCount(frozen)) + " frozen"), qPrintable(totals));
    QVERIFY2(totals.contains("2 weight(s) dropped (" + QString::fromStdString(humanCount(dropped)) + ")"), qPrintable(totals));
    // Module rows say what the plan does below them.
    QCOMPARE(planText(w, "state_dict/model.layer1"), QString("all frozen"));
    QCOMPARE(planText(w, "state_dict/model.layer1.0"), QString("all frozen"));
    QCOMPARE(planText(w, "state_dict/model.fc"), QString("all dropped"));
    QCOMPARE(planText(w, "state_dict/model"), QString("frozen 24/120, 2 dropped"));
    QCOMPARE(planText(w, "state_dict/model.layer2"), QString());
    QVERIFY(w.selectFullName("optimizer_states"));
    QCOMPARE(w.treeView()->currentIndex().sibling(w.treeView()->currentIndex().row(), ShapeColumn).data().toString(),
             QString("list, 1 item"));
    QVERIFY(w.selectFullName("hyper_parameters"));
    QCOMPARE(w.treeView()->currentIndex().sibling(w.treeView()->currentIndex().row(), ShapeColumn).data().toString(),
             QString("dict, 5 items"));
    w.rulesDocument()->undoStack()->undo();
    QCOMPARE(planText(w, "state_dict/model"), QString("frozen 24/122"));
}

void TestRules::configPreviewShowsEveryFormatAndCopies()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    w.rulesDocument()->addRule(ruleFrom(R"({"action":"freeze","match":{"prefix":"layer1."}})"));
    ConfigPreviewDialog *preview = w.showConfigPreview();
    QVERIFY(preview);
    auto *format = preview->findChild<QComboBox *>("previewFormat");
    QTemporaryDir dir;
    // Each format previews exactly what saving it writes.
    for (int i = 0; i < format->count(); ++i) {
        format->setCurrentIndex(i);
        const QString key = format->currentData().toString();
        if (key == "python") continue; // its text names the file it is saved as
        const QString path = dir.filePath("out." + key);
        QVERIFY(w.exportRules(path, key));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QString written = QString::fromUtf8(f.readAll());
        QString shown = preview->text();
        if (key.startsWith("config-")) { // the source's identity names the file it came from, not where it goes
            QCOMPARE(shown.size() > 0, true);
            QVERIFY(shown.contains("layer1."));
            continue;
        }
        QCOMPARE(shown, written);
    }
    // It follows the rules while open, and copies.
    preview->setFormat("json");
    w.rulesDocument()->addRule(ruleFrom(R"({"action":"drop","match":{"prefix":"fc."}})"));
    QVERIFY(preview->text().contains("fc."));
    preview->findChild<QPushButton *>("previewCopy")->click();
    QCOMPARE(QApplication::clipboard()->text(), preview->text());
    keepPicture(preview, "configPreview");
}

QTEST_MAIN(TestRules)
#include "tst_rules.moc"
