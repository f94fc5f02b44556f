// Tensor statistics from the LibTorch plugin against PyTorch's own computation (stats.json,
// written by make_fixtures.py with python3-torch) on real fixtures of many dtypes and layouts.
#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/tensor_stats.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <cmath>

using namespace ckpt;

namespace {

QString fixtures() { return qEnvironmentVariable("CKPT_FIXTURES"); }

bool close(double a, double b)
{
    return std::abs(a - b) <= 1e-9 + 1e-7 * std::max(std::abs(a), std::abs(b));
}

} // namespace

class TestTensorStats final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesPyTorch_data();
    void matchesPyTorch();
    void cancels();
    void explainsWhatItCannotDo();
};

void TestTensorStats::matchesPyTorch_data()
{
    QTest::addColumn<QJsonObject>("row");
    QFile f(fixtures() + "/stats.json");
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonArray rows = QJsonDocument::fromJson(f.readAll()).array();
    QVERIFY(rows.size() >= 20);
    for (const auto &r : rows) {
        const QJsonObject o = r.toObject();
        QTest::newRow(qPrintable(o["file"].toString() + ":" + o["path"].toString())) << o;
    }
}

void TestTensorStats::matchesPyTorch()
{
    QFETCH(QJsonObject, row);
    auto opened = Checkpoint::open((fixtures() + "/" + row["file"].toString()).toStdString());
    QVERIFY(opened.ok());
    const Checkpoint &c = **opened;
    size_t entry = c.entries().size();
    for (size_t i = 0; i < c.entries().size(); ++i)
        if (QString::fromStdString(pathToString(c.entries()[i].path)) == row["path"].toString())
            entry = i;
    QVERIFY2(entry < c.entries().size(), "tensor not listed");
    auto stats = tensorStats(c, entry, 100);
    QVERIFY2(stats.ok(), stats.ok() ? "" : stats.error().message.c_str());
    QCOMPARE(stats->count, row["count"].toInteger());
    QCOMPARE(stats->finite, row["finite"].toInteger());
    QCOMPARE(stats->zeros, row["zeros"].toInteger());
    QCOMPARE(stats->nans, row["nans"].toInteger());
    QCOMPARE(stats->infs, row["infs"].toInteger());
    if (!row.contains("min")) return;
    for (const char *key : {"min", "max", "mean", "std", "l2"}) {
        const double ours = key == std::string("min")    ? stats->min
                            : key == std::string("max")  ? stats->max
                            : key == std::string("mean") ? stats->mean
                            : key == std::string("std")  ? stats->std
                                                         : stats->l2;
        QVERIFY2(close(ours, row[key].toDouble()),
                 qPrintable(QString("%1: ours %2, torch %3").arg(key).arg(ours, 0, 'g', 17)
                                .arg(row[key].toDouble(), 0, 'g', 17)));
    }
    const QJsonArray hist = row["histogram"].toArray();
    QCOMPARE(qsizetype(stats->histogram.size()), hist.size());
    int64_t total = 0;
    for (qsizetype i = 0; i < hist.size(); ++i) {
        QCOMPARE(stats->histogram[size_t(i)], hist[i].toInteger());
        total += stats->histogram[size_t(i)];
    }
    QCOMPARE(total, stats->finite);
}

void TestTensorStats::cancels()
{
    auto opened = Checkpoint::open((fixtures() + "/ok/resnet18.pt").toStdString());
    QVERIFY(opened.ok());
    std::atomic<bool> cancel{true};
    auto stats = tensorStats(**opened, 0, 100, &cancel);
    QVERIFY(!stats.ok());
    QCOMPARE(QString::fromStdString(stats.error().message), QStringLiteral("cancelled"));
}

void TestTensorStats::explainsWhatItCannotDo()
{
    auto opened = Checkpoint::open((fixtures() + "/ok/special.pt").toStdString());
    QVERIFY(opened.ok());
    const Checkpoint &c = **opened;
    for (size_t i = 0; i < c.entries().size(); ++i) {
        if (pathToString(c.entries()[i].path) != "meta") continue;
        auto stats = tensorStats(c, i);
        QVERIFY(!stats.ok());
        QVERIFY(QString::fromStdString(stats.error().message).contains("meta"));
        return;
    }
    QFAIL("meta tensor not found");
}

QTEST_GUILESS_MAIN(TestTensorStats)
#include "tst_tensor_stats.moc"
