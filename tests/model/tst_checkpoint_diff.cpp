// diffCheckpoints at the model level: cancel stops it with nothing half-made, progress is
// monotone and reaches 1, and a tensor compared with itself has exact metrics.
#include "model/diff/checkpoint_diff.h"

#include <QTest>

using namespace ckpt;

class TestCheckpointDiff final : public QObject
{
    Q_OBJECT

    static std::shared_ptr<const Checkpoint> open(const char *relative)
    {
        auto c = Checkpoint::open(qEnvironmentVariable("CKPT_FIXTURES").toStdString() + "/" + relative);
        return c ? *c : nullptr;
    }

private Q_SLOTS:
    void cancelReturnsAnErrorAndNoReport()
    {
        auto a = open("ok/tiny_vit.pt"), b = open("compare/tiny_vit_tuned.pt");
        QVERIFY(a && b);
        std::atomic<bool> cancel{true};
        auto report = diffCheckpoints(*a, *b, {}, &cancel);
        QVERIFY(!report);
        QCOMPARE(QString::fromStdString(report.error().message), QStringLiteral("cancelled"));
    }

    void progressIsMonotoneAndComplete()
    {
        auto a = open("ok/tiny_vit.pt"), b = open("compare/tiny_vit_tuned.pt");
        std::vector<double> seen;
        auto report = diffCheckpoints(*a, *b, {}, nullptr, [&](double f) { seen.push_back(f); });
        QVERIFY(report);
        QVERIFY(!seen.empty());
        QVERIFY(std::is_sorted(seen.begin(), seen.end()));
        QCOMPARE(seen.back(), 1.0);
    }

    void aTensorAgainstItselfIsExact()
    {
        auto a = open("ok/tiny_vit.pt");
        auto report = diffCheckpoints(*a, *a);
        QVERIFY(report);
        const TensorDiff &d = report->tensors[1]; // any tensor with values
        const int entry = d.a;
        auto delta = tensorDelta(*a, *a, *report->sides, d, 10);
        QVERIFY2(delta, delta ? "" : delta.error().message.c_str());
        QCOMPARE(delta->maxAbs, 0.0);
        QCOMPARE(delta->changed, qint64(0));
        QCOMPARE(delta->cosine, 1.0);
        QCOMPARE(delta->relL2, 0.0);
        const auto &t = a->tensors()[size_t(a->entries()[entry].tensor)];
        qint64 total = 0;
        for (auto c : delta->histogramA) total += c;
        QCOMPARE(total, qint64(t.numel()));
        QVERIFY(delta->histogramA == delta->histogramB);
    }
};

QTEST_GUILESS_MAIN(TestCheckpointDiff)
#include "tst_checkpoint_diff.moc"
