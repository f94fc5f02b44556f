// Our zip reader against LibTorch's PyTorchStreamReader, the reader torch.load uses: on every
// fixture both accept or both refuse, list the same records, and place every record's data at
// the same offset (getRecordOffset). This test links LibTorch; the application does not.
#include "model/base/format_error.h"
#include "model/formats/zip_directory.h"
#include "model/sources/memory_source.h"

#include <caffe2/serialize/inline_container.h>

#include <QDirIterator>
#include <QFile>
#include <QtTest>

#include <algorithm>
#include <set>

using namespace ckpt;

class TestZipDirectory final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void agreesWithLibTorch_data();
    void agreesWithLibTorch();
};

void TestZipDirectory::agreesWithLibTorch_data()
{
    QTest::addColumn<QString>("path");
    QDirIterator it(qEnvironmentVariable("CKPT_FIXTURES"), {"*.pt", "*.ckpt", "*.bin", "*.zip"},
                    QDir::Files, QDirIterator::Subdirectories);
    int n = 0;
    while (it.hasNext()) {
        const QString path = it.next();
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly) || !f.peek(2).startsWith("PK")) continue;
        QTest::newRow(qPrintable(path.section('/', -2))) << path;
        ++n;
    }
    QVERIFY(n >= 15);
}

void TestZipDirectory::agreesWithLibTorch()
{
    QFETCH(QString, path);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    const auto *data = reinterpret_cast<const uint8_t *>(bytes.constData());

    std::optional<ZipDirectory> ours;
    try {
        ours = ZipDirectory::parse(MemorySource(path.toStdString(), ByteView(data, size_t(bytes.size()))));
    } catch (const FormatError &) {
    }
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> theirs;
    try {
        theirs = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path.toStdString());
    } catch (const c10::Error &) {
    }
    if (!theirs) {
        // LibTorch also refuses archives without a version record, which our directory
        // reads (the checkpoint reader refuses those a step later); it must never accept
        // a file our directory refuses.
        return;
    }
    QVERIFY2(ours.has_value(), "LibTorch reads a zip our reader refuses");
    const std::string_view first = ours->entries().front().name;
    const std::string prefix(first.substr(0, first.find('/') + 1));
    std::set<std::string> ourNames;
    for (const auto &e : ours->entries()) ourNames.insert(std::string(e.name.substr(prefix.size())));
    const auto records = theirs->getAllRecords();
    QCOMPARE(ourNames, std::set<std::string>(records.begin(), records.end()));
    for (const auto &name : records) {
        const ZipEntry *e = ours->find(prefix + name);
        QVERIFY(e);
        QCOMPARE(e->dataOffset, uint64_t(theirs->getRecordOffset(name)));
    }
}

QTEST_GUILESS_MAIN(TestZipDirectory)
#include "tst_zip_directory.moc"
