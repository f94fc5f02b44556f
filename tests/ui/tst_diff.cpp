// The diff view: a second checkpoint diffed in the background, statuses in the table and the
// tree, the per-layer plot, the histograms of a selected pair, alignment through the rules.
#include "ui_test_helpers.h"

#include "ui/diff_document.h"
#include "ui/diff_panel.h"
#include "ui/diff_table_model.h"
#include "ui/rules_document.h"
#include "widgets/message_banner.h"

#include "model/rules/rule_config.h"

#include <QComboBox>
#include <QHeaderView>
#include "widgets/change_plot.h"
#include <qcustomplot.h>
#include <QTableView>
#include <QTest>
#include <QTreeView>

#include <numeric>

using namespace ckpt;
using namespace ckpt::test;

class TestDiff final : public QObject
{
    Q_OBJECT

private:
    static bool diffAndWait(MainWindow &w, const QString &other)
    {
        QSignalSpy finished(w.diffDocument(), &DiffDocument::finished);
        w.diffWith(other);
        return finished.wait(20000) && w.diffDocument()->report();
    }

    static int statusCount(const DiffReport &r, TensorDiff::Status s)
    {
        return int(std::count_if(r.tensors.begin(), r.tensors.end(), [s](const TensorDiff &d) { return d.status == s; }));
    }

private Q_SLOTS:
    void fineTuningShowsWhereTheWeightsMoved()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("ok/tiny_vit.pt")));
        QVERIFY(diffAndWait(w, fixture("compare/tiny_vit_tuned.pt")));
        const DiffReport &r = *w.diffDocument()->report();
        QVERIFY(!r.identicalOverall());
        // Exactly the MLP tensors changed; everything else is byte-identical.
        for (const auto &d : r.tensors) {
            const bool mlp = d.name.find(".mlp.") != std::string::npos;
            QCOMPARE(d.status, mlp ? TensorDiff::Status::Changed : TensorDiff::Status::Identical);
            if (mlp) QVERIFY(d.relL2 > 0 && d.cosine < 1);
        }
        DiffPanel *panel = w.diffPanel();
        QCOMPARE(panel->table()->model()->rowCount(), int(r.tensors.size()));
        QComboBox *filter = panel->statusFilter();
        filter->setCurrentIndex(filter->findText("changed"));
        QCOMPARE(panel->table()->model()->rowCount(), statusCount(r, TensorDiff::Status::Changed));

        // Sorting by relative change puts the most moved first.
        panel->table()->sortByColumn(DiffTableModel::RelColumn, Qt::DescendingOrder);
        const double first = panel->table()->model()->index(0, 0).data(DiffTableModel::IndexRole).toInt() >= 0
                                 ? r.tensors[size_t(panel->table()->model()->index(0, 0).data(DiffTableModel::IndexRole).toInt())].relL2
                                 : -1;
        for (const auto &d : r.tensors) QVERIFY(d.relL2 <= first);

        // Selecting a changed tensor brings both histograms and the difference's.
        const int index = panel->table()->model()->index(0, 0).data(DiffTableModel::IndexRole).toInt();
        QSignalSpy delta(w.diffDocument(), &DiffDocument::deltaReady);
        panel->selectTensor(index);
        QVERIFY(delta.wait(20000));
        const auto d = delta.front().at(1).value<TensorDelta>();
        const qint64 numel = r.tensors[size_t(index)].numel;
        QCOMPARE(std::accumulate(d.histogramA.begin(), d.histogramA.end(), qint64(0)), numel);
        QCOMPARE(std::accumulate(d.histogramB.begin(), d.histogramB.end(), qint64(0)), numel);
        QCOMPARE(std::accumulate(d.histogram.begin(), d.histogram.end(), qint64(0)), numel);

        // The tree shows the status too, in its Diff column.
        QTreeView *tree = w.treeView();
        QVERIFY(!tree->isColumnHidden(DiffColumn));
        QVERIFY(w.selectFullName("encoder.layers.encoder_layer_0.mlp.0.weight"));
        QVERIFY(tree->currentIndex().siblingAtColumn(DiffColumn).data().toString().startsWith("changed"));

        // Activating a row of the diff shows that tensor in the tree.
        const QModelIndex row = panel->table()->model()->index(0, 0);
        Q_EMIT panel->table()->activated(row);
        const TensorDiff &shown = r.tensors[size_t(row.data(DiffTableModel::IndexRole).toInt())];
        QCOMPARE(tree->currentIndex().data(EntryRole).toInt(), shown.a);
    }

    void thePlotNamesLayersZoomsAndTheTableSortsBiggestFirst()
    {
        MainWindow w;
        w.resize(1280, 800);
        w.show();
        QVERIFY(openAndWait(w, fixture("ok/tiny_vit.pt")));
        QVERIFY(diffAndWait(w, fixture("compare/tiny_vit_tuned.pt")));
        const DiffReport &r = *w.diffDocument()->report();
        DiffPanel *panel = w.diffPanel();
        // The names fit (up to 45% of the table).
        QTableView *table = panel->table();
        const int wanted = static_cast<QAbstractItemView *>(table)->sizeHintForColumn(DiffTableModel::NameColumn);
        QVERIFY(table->columnWidth(DiffTableModel::NameColumn) >= std::min(wanted, table->viewport()->width() * 45 / 100));
        // The first click on a metric's header sorts biggest first.
        QHeaderView *header = panel->table()->horizontalHeader();
        const int x = header->sectionViewportPosition(DiffTableModel::RelColumn) + 5;
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
        QTRY_COMPARE(header->sortIndicatorOrder(), Qt::DescendingOrder);
        QCOMPARE(header->sortIndicatorSection(), int(DiffTableModel::RelColumn));
        const int top = panel->table()->model()->index(0, 0).data(DiffTableModel::IndexRole).toInt();
        for (const auto &d : r.tensors) QVERIFY(d.relL2 <= r.tensors[size_t(top)].relL2);
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
        QTRY_COMPARE(header->sortIndicatorOrder(), Qt::AscendingOrder); // the second click turns it round
        // The plot names layers under its axis; zooming in names more of the ones in view.
        ChangePlot *plot = panel->changePlot();
        QTRY_VERIFY(!plot->axisLabels().isEmpty());
        const QStringList all = plot->axisLabels();
        QVERIFY2(all.contains(QString("…r_layer_0.mlp.0")), qPrintable(all.join(", "))); // the layer, in short
        for (const QString &label : all) QVERIFY(label.size() <= 16);
        plot->plot()->xAxis->setRange(0, 4);
        QTRY_VERIFY(plot->axisLabels().size() >= 4);
        plot->showAll();
        QCOMPARE(plot->plot()->xAxis->range().lower, -1.0);
        QVERIFY(plot->plot()->interactions().testFlag(QCP::iRangeZoom));
    }

    void theRulesRenamesAlignNames()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("compare/vit_ddp.pt")));
        // Without alignment every name is removed on one side and added on the other.
        QVERIFY(diffAndWait(w, fixture("ok/tiny_vit.pt")));
        const size_t n = w.rulesDocument()->inputs().size();
        QCOMPARE(size_t(statusCount(*w.diffDocument()->report(), TensorDiff::Status::Removed)), n);
        // The rules strip module.: the same weights.
        auto rules = parseConfig(R"({"rules": [{"action": "rename", "prefix": "module.", "to": ""}]})", ConfigFormat::Json);
        QVERIFY(rules.ok());
        w.rulesDocument()->replaceAll(*rules, "align");
        QSignalSpy finished(w.diffDocument(), &DiffDocument::finished);
        w.diffDocument()->rerun();
        QVERIFY(finished.wait(20000));
        const DiffReport &r = *w.diffDocument()->report();
        QCOMPARE(size_t(statusCount(r, TensorDiff::Status::Identical)), n);
        QVERIFY(r.identicalOverall());
        QVERIFY(w.diffPanel()->banner()->text().contains("same weights"));
    }

    void closingTheDocumentEndsTheDiff()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, fixture("ok/tiny_vit.pt")));
        QVERIFY(diffAndWait(w, fixture("compare/tiny_vit_tuned.pt")));
        QSignalSpy finished(w.diffDocument(), &DiffDocument::finished);
        QTest::keyClick(&w, Qt::Key_W, Qt::ControlModifier);
        QVERIFY(finished.count() == 1 || finished.wait(5000));
        QVERIFY(!w.diffDocument()->report());
        QVERIFY(w.treeView()->isColumnHidden(DiffColumn));
        QCOMPARE(w.diffPanel()->table()->model()->rowCount(), 0);
        QVERIFY(w.rulesDocument()->inputs().empty());
    }

    void anUnreadableSecondFileIsReported()
    {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("ok/tiny_vit.pt")));
        QSignalSpy failed(w.diffDocument(), &DiffDocument::failed);
        w.diffWith(fixture("bad/empty.pt"));
        QVERIFY(failed.wait(20000));
        QVERIFY(failed.front().front().toString().contains("empty.pt"));
        QVERIFY(w.diffPanel()->banner()->text().contains("empty.pt"));
        QVERIFY(!w.diffDocument()->report());
    }
};

QTEST_MAIN(TestDiff)
#include "tst_diff.moc"
