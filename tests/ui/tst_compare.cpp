// The compare view: a target read in the background, the report as PyTorch would judge it,
// proposals accepted as undoable rules, rejected ones hidden, bad targets reported.
#include "ui_test_helpers.h"

#include "ui/compare_document.h"
#include "ui/compare_panel.h"
#include "ui/rules_document.h"
#include "widgets/message_banner.h"

#include <QComboBox>
#include <QTableView>
#include <QTest>
#include <QTreeWidget>
#include <QUndoStack>

using namespace ckpt;
using namespace ckpt::test;

class TestCompare final : public QObject
{
    Q_OBJECT

private:
    static bool waitChanged(CompareDocument *doc, const std::function<void()> &action)
    {
        QSignalSpy changed(doc, &CompareDocument::changed);
        action();
        return changed.wait(20000);
    }

private Q_SLOTS:
    void reportsAndFixesThroughTheUndoStack()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("compare/vit_ddp.pt")));
        CompareDocument *doc = w.compareDocument();
        QVERIFY(waitChanged(doc, [&] { w.openTarget(fixture("compare/vit48_target.pt")); }));
        const size_t targetTensors = doc->target()->tensors.size();
        QVERIFY(targetTensors > 0);
        // Every name carries module., so nothing meets: all missing, all unexpected.
        QVERIFY(!doc->report().strictOk());
        QCOMPARE(doc->report().missing, targetTensors);
        QCOMPARE(doc->report().unexpected, w.rulesDocument()->inputs().size());
        ComparePanel *panel = w.comparePanel();
        QCOMPARE(size_t(panel->table()->model()->rowCount()), doc->report().entries.size());
        QVERIFY(panel->banner()->text().contains("strict load would fail"));

        // Activating a row shows that tensor in the tree.
        Q_EMIT panel->table()->activated(panel->table()->model()->index(0, 0));
        QCOMPARE(size_t(w.treeView()->currentIndex().data(EntryRole).toInt()),
                 w.rulesDocument()->inputs()[size_t(doc->report().entries.front().input)].entry);

        // The filter shows one status at a time.
        QComboBox *filter = panel->statusFilter();
        filter->setCurrentIndex(filter->findText("missing"));
        QCOMPARE(size_t(panel->table()->model()->rowCount()), doc->report().missing);
        filter->setCurrentIndex(0);

        // The proposals: the prefix first, then the position embedding and the classifier.
        QVERIFY(doc->proposals().size() >= 3);
        QCOMPARE(doc->proposals().front().kind, FixProposal::Kind::Prefix);
        QCOMPARE(panel->proposalList()->topLevelItemCount(), int(doc->proposals().size()));

        // Accept one: its rule lands in the config; the rest follow.
        const size_t before = w.rulesDocument()->rules().rules.size();
        QVERIFY(waitChanged(doc, [&] { doc->accept(0); }));
        QCOMPARE(w.rulesDocument()->rules().rules.size(), before + 1);
        QVERIFY(doc->report().matches > 0); // recomputed with the prefix stripped
        // Problems only: what stands in the way of a strict load, and nothing that matches.
        filter->setCurrentIndex(filter->findText("Problems (missing, unexpected, mismatched)"));
        QVERIFY(doc->report().shapeMismatches > 0);
        QCOMPARE(size_t(panel->table()->model()->rowCount()),
                 doc->report().missing + doc->report().unexpected + doc->report().shapeMismatches);
        QVERIFY(size_t(panel->table()->model()->rowCount()) < doc->report().entries.size());
        filter->setCurrentIndex(0);
        QVERIFY(waitChanged(doc, [&] { doc->acceptAll(); }));
        QVERIFY(doc->report().strictOk());
        QVERIFY(doc->proposals().empty());
        QVERIFY(panel->banner()->text().contains("strict load would succeed"));

        // Undo takes the fixes back out, redo puts them in again.
        QVERIFY(waitChanged(doc, [&] { w.rulesDocument()->undoStack()->undo(); }));
        QVERIFY(!doc->report().strictOk());
        QVERIFY(waitChanged(doc, [&] { w.rulesDocument()->undoStack()->redo(); }));
        QVERIFY(doc->report().strictOk());
    }

    void aDifferentModelGetsAVerdictNotFills()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
        CompareDocument *doc = w.compareDocument();
        QVERIFY(waitChanged(doc, [&] { w.openTarget(fixture("ok/mobilenet_v3_small.pt")); }));
        QVERIFY(doc->kinship().differentModels());
        QVERIFY(doc->proposals().empty());
        ComparePanel *panel = w.comparePanel();
        QVERIFY2(panel->banner()->text().startsWith("These are different models: only"),
                 qPrintable(panel->banner()->text()));
        QCOMPARE(panel->proposalList()->topLevelItemCount(), 0);
    }

    void rejectedProposalsStayHidden()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("compare/vit_ddp.pt")));
        CompareDocument *doc = w.compareDocument();
        QVERIFY(waitChanged(doc, [&] { w.openTarget(fixture("compare/vit48_target.pt")); }));
        const size_t count = doc->proposals().size();
        const std::string reason = doc->proposals().front().reason;
        doc->reject(0);
        QCOMPARE(doc->proposals().size(), count - 1);
        QVERIFY(doc->proposals().front().reason != reason);
        QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(0));
    }

    void aBadTargetIsReportedAndChangesNothing()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("compare/vit_ddp.pt")));
        CompareDocument *doc = w.compareDocument();
        QSignalSpy failed(doc, &CompareDocument::failed);
        w.openTarget(fixture("bad/empty.pt"));
        QVERIFY(failed.wait(20000));
        QVERIFY(failed.front().front().toString().contains("empty.pt"));
        QVERIFY(!doc->hasTarget());
        QVERIFY(w.comparePanel()->banner()->text().contains("Could not read the target"));
    }
};

QTEST_MAIN(TestCompare)
#include "tst_compare.moc"
