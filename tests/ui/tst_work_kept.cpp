// Nothing is lost without asking, and nothing of one file leaks into the next: opening another
// file asks what to keep; Quit, Close and Load Rules ask about rules that are not saved.
#include "ui_test_helpers.h"

#include "ui/compare_document.h"
#include "ui/rules_document.h"

#include "model/rules/rule_config.h"
#include "widgets/filter_bar.h"

#include <QStandardPaths>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

using namespace ckpt;
using namespace ckpt::test;

namespace {


bool targetAndWait(MainWindow &w, const QString &path)
{
    QSignalSpy changed(w.compareDocument(), &CompareDocument::changed);
    w.openTarget(path);
    while (!w.compareDocument()->hasTarget() || w.compareDocument()->isBusy())
        if (!changed.wait(20000)) return false;
    return true;
}

} // namespace

class TestWorkKept final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void openingAnotherFileAsksWhatToKeep()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("compare/vit_ddp.pt")));
        w.rulesDocument()->addRule(ruleFrom(R"({"action":"freeze","match":{"glob":"*blocks.0.*"}})"));
        QVERIFY(targetAndWait(w, fixture("compare/vit48_target.pt")));
        w.setFilter("blocks", 0);
        // Cancel: nothing changes.
        keepNext(false, false, false);
        w.openPath(fixture("compare/tiny_vit_tuned.pt"));
        QVERIFY(!w.isOpening());
        QCOMPARE(w.currentPath(), fixture("compare/vit_ddp.pt"));
        // Leave both: the new file starts clean; the rules are one Undo away.
        keepNext(false, false);
        QVERIFY(openAndWait(w, fixture("compare/tiny_vit_tuned.pt")));
        QVERIFY(w.rulesDocument()->rules().rules.empty());
        QVERIFY(!w.compareDocument()->hasTarget());
        QCOMPARE(w.filterBar()->pattern(), QString());
        w.rulesDocument()->undoStack()->undo();
        QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
        // Keep both.
        QVERIFY(targetAndWait(w, fixture("compare/vit48_target.pt")));
        keepNext(true, true);
        QVERIFY(openAndWait(w, fixture("compare/vit_ddp.pt")));
        QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
        QVERIFY(w.compareDocument()->hasTarget());
    }

    void quitAsksAboutUnsavedRules()
    {
        MainWindow w;
        w.show();
        QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
        QVERIFY(w.close()); // no rules: nothing to ask
        w.show();
        w.rulesDocument()->addRule(ruleFrom(R"({"action":"drop","match":{"prefix":"fc."}})"));
        QString asked;
        answerNext("unsavedRulesQuestion", "Cancel", &asked);
        QVERIFY(!w.close());
        QVERIFY(asked.contains("The 1 rule(s) are not saved"));
        QVERIFY(w.isVisible());
        // Saved: Quit asks nothing.
        QTemporaryDir dir;
        QVERIFY(w.exportRules(dir.filePath("rules.json"), "json"));
        asked.clear();
        const auto pending = answerNext("unsavedRulesQuestion", "Cancel", &asked);
        QVERIFY(w.close());
        QVERIFY(asked.isEmpty());
        forget(pending);
        w.show();
        w.rulesDocument()->addRule(ruleFrom(R"({"action":"freeze","match":{"prefix":"layer1."}})"));
        answerNext("unsavedRulesQuestion", "Discard Them");
        QVERIFY(w.close());
    }

    void closeAsksAboutUnsavedRules()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
        w.rulesDocument()->addRule(ruleFrom(R"({"action":"drop","match":{"prefix":"fc."}})"));
        answerNext("unsavedRulesQuestion", "Cancel");
        w.closeDocument();
        QCOMPARE(w.currentPath(), fixture("ok/resnet18.pt"));
        answerNext("unsavedRulesQuestion", "Discard Them");
        w.closeDocument();
        QVERIFY(w.currentPath().isEmpty());
        QVERIFY(w.rulesDocument()->rules().rules.empty()); // no stale rules or counts are left
        w.rulesDocument()->undoStack()->undo();
        QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
    }

    void loadRulesAsksBeforeReplacing()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
        QTemporaryDir dir;
        w.rulesDocument()->addRule(ruleFrom(R"({"action":"drop","match":{"prefix":"fc."}})"));
        w.rulesDocument()->addRule(ruleFrom(R"({"action":"freeze","match":{"prefix":"layer1."}})"));
        QVERIFY(w.exportRules(dir.filePath("two.json"), "json"));
        w.rulesDocument()->removeRule(1);
        QString asked;
        answerNext("replaceRulesQuestion", "Cancel", &asked);
        QVERIFY(!w.loadRules(dir.filePath("two.json")));
        QVERIFY(asked.contains("Replace the 1 rule(s) you have with the 2 rule(s) in two.json? Yours are not saved"));
        QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
        answerNext("replaceRulesQuestion", "Replace Them");
        QVERIFY(w.loadRules(dir.filePath("two.json")));
        QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(2));
        QVERIFY(!w.rulesDocument()->hasUnsavedRules()); // as loaded
    }
};

QTEST_MAIN(TestWorkKept)
#include "tst_work_kept.moc"
