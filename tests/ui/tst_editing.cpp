// Editing the way hands expect: undo from any field, Ctrl+N to the pattern, Esc clears the
// filter, a shortcut per dock, Clear All Rules, many rules removed at once, drag to reorder.
#include "ui_test_helpers.h"

#include "ui/rule_editor.h"
#include "ui/rules_document.h"
#include "ui/rules_panel.h"

#include "model/rules/rule_config.h"
#include "widgets/filter_bar.h"

#include <QDockWidget>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QStandardPaths>
#include <QTabBar>
#include <QUndoStack>
#include <QtTest>

using namespace ckpt;
using namespace ckpt::test;

namespace {


QStringList patterns(const RulesDocument *doc)
{
    QStringList out;
    for (const auto &r : doc->rules().rules) out << QString::fromStdString(describeRule(r));
    return out;
}

/// The dock in front among the tabbed bottom docks: its tab's text.
QString frontDock(MainWindow &w)
{
    for (QTabBar *bar : w.findChildren<QTabBar *>())
        for (int i = 0; i < bar->count(); ++i)
            if (bar->tabText(i) == "Rules") return bar->tabText(bar->currentIndex());
    return QString();
}

void trigger(MainWindow &w, const QString &text)
{
    for (QAction *a : w.findChildren<QAction *>())
        if (a->text().remove('&') == text) return a->trigger();
    QFAIL(qPrintable("no action " + text));
}

} // namespace

class TestEditing final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void keyboardReachesEverything()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
        w.rulesDocument()->addRule(ruleFrom(R"({"action":"freeze","match":{"prefix":"layer1."}})"));
        auto *filter = w.findChild<QLineEdit *>("filterEdit");
        // In the filter field: Ctrl+Z undoes its own typing first, then the rules.
        filter->setFocus();
        QTest::keyClicks(filter, "conv");
        QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
        QCOMPARE(filter->text(), QString());
        filter->setText(QString()); // a field with no history of its own
        QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(w.rulesDocument()->rules().rules.empty());
        QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
        // Esc clears the filter.
        QTest::keyClicks(filter, "layer");
        QTRY_COMPARE(w.filterBar()->pattern(), QString("layer"));
        QTest::keyClick(filter, Qt::Key_Escape);
        QCOMPARE(w.filterBar()->pattern(), QString());
        // Ctrl+N: the cursor in the new rule's pattern field, the rules dock in front.
        QTest::keyClick(&w, Qt::Key_3, Qt::ControlModifier);
        QCOMPARE(frontDock(w), QString("Compare with Target"));
        QTest::keyClick(&w, Qt::Key_N, Qt::ControlModifier);
        QCOMPARE(frontDock(w), QString("Rules"));
        QCOMPARE(QApplication::focusWidget(), w.rulesPanel()->editor()->findChild<QLineEdit *>("ruleMatch"));
        // A shortcut per dock.
        QTest::keyClick(&w, Qt::Key_4, Qt::ControlModifier);
        QCOMPARE(frontDock(w), QString("Diff"));
        QTest::keyClick(&w, Qt::Key_2, Qt::ControlModifier);
        QCOMPARE(frontDock(w), QString("Rules"));
    }

    void clearSelectRemoveAndReorderRules()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
        RulesDocument *doc = w.rulesDocument();
        for (const char *r : {R"({"action":"freeze","match":{"prefix":"layer1."}})",
                              R"({"action":"freeze","match":{"prefix":"layer2."}})",
                              R"({"action":"drop","match":{"prefix":"fc."}})",
                              R"({"action":"freeze","match":{"prefix":"layer3."}})"})
            doc->addRule(ruleFrom(r));
        const QStringList four = patterns(doc);
        // Drag the drop rule to the top (the list model's move, as a drop makes it).
        QListWidget *list = w.rulesPanel()->ruleList();
        QVERIFY(list->model()->moveRow(QModelIndex(), 2, QModelIndex(), 0));
        QTRY_COMPARE(patterns(doc), QStringList({four[2], four[0], four[1], four[3]}));
        doc->undoStack()->undo();
        QCOMPARE(patterns(doc), four);
        // Two selected, one Remove, one undo step.
        const int steps = doc->undoStack()->index();
        list->clearSelection();
        list->item(1)->setSelected(true);
        list->item(3)->setSelected(true);
        w.rulesPanel()->findChild<QPushButton *>("ruleRemove")->click();
        QCOMPARE(patterns(doc), QStringList({four[0], four[2]}));
        QCOMPARE(doc->undoStack()->index(), steps + 1);
        doc->undoStack()->undo();
        QCOMPARE(patterns(doc), four);
        // Clear All Rules, undoable.
        trigger(w, "Clear All Rules");
        QVERIFY(doc->rules().rules.empty());
        doc->undoStack()->undo();
        QCOMPARE(patterns(doc), four);
    }
};

QTEST_MAIN(TestEditing)
#include "tst_editing.moc"
