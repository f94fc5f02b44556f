// Export edge cases that need the library, not the CLI: cancelling in the middle.
#include "model/checkpoint/checkpoint.h"
#include "model/export/exporter.h"
#include "model/rules/rule_config.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

using namespace ckpt;

class TestExport final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void cancelInTheMiddleLeavesNothing();
    void progressReachesTheEnd();
};

void TestExport::cancelInTheMiddleLeavesNothing()
{
    auto source = Checkpoint::open((qEnvironmentVariable("CKPT_FIXTURES") + "/ok/lightning.ckpt").toStdString());
    QVERIFY(source.ok());
    QTemporaryDir dir;
    ExportOptions options;
    options.output = dir.filePath("out.ckpt").toStdString();
    std::atomic<bool> cancel{false};
    int calls = 0;
    auto report = exportCheckpoint(**source, RuleSet{}, options, &cancel, [&](double fraction) {
        ++calls;
        if (fraction > 0.2) cancel = true; // part of the bytes are on disk by now
    });
    QVERIFY(!report.ok());
    QCOMPARE(QString::fromStdString(report.error().message), QStringLiteral("cancelled; nothing was written"));
    QVERIFY(calls >= 2);
    QVERIFY(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot).isEmpty());
}

void TestExport::progressReachesTheEnd()
{
    auto source = Checkpoint::open((qEnvironmentVariable("CKPT_FIXTURES") + "/ok/resnet18.pt").toStdString());
    QVERIFY(source.ok());
    QTemporaryDir dir;
    ExportOptions options;
    options.output = dir.filePath("out.pt").toStdString();
    double last = 0;
    auto report = exportCheckpoint(**source, RuleSet{}, options, nullptr, [&](double f) {
        QVERIFY(f >= last);
        last = f;
    });
    QVERIFY2(report.ok(), report.ok() ? "" : report.error().message.c_str());
    QVERIFY(last > 0.99);
    QCOMPARE(report->tensors, size_t(122));
}

QTEST_GUILESS_MAIN(TestExport)
#include "tst_export.moc"
