// The unpickler against CPython's own pickles (every protocol) and hand-made hostile ones.
#include "model/checkpoint/checkpoint.h"
#include "model/pickle/safety_report.h"
#include "model/pickle/unpickler.h"
#include "model/pickle/value_format.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace ckpt;

namespace {

QByteArray fixture(const QString &relative)
{
    QFile f(qEnvironmentVariable("CKPT_FIXTURES") + "/" + relative);
    if (!f.open(QIODevice::ReadOnly)) qFatal("missing fixture %s", qPrintable(f.fileName()));
    return f.readAll();
}

Result<UnpickleOutput> run(ValueArena &arena, const QByteArray &bytes,
                           const UnpickleLimits &limits = {})
{
    return unpickle(arena, reinterpret_cast<const uint8_t *>(bytes.constData()),
                    uint64_t(bytes.size()), 0, nullptr, limits);
}

} // namespace

class TestUnpickler final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesPythonRepr_data();
    void matchesPythonRepr();
    void rejectsHostilePickles_data();
    void rejectsHostilePickles();
    void neverResolvesGlobals();
    void stackGlobalThroughMemoIsSeen();
    void selfReferenceIsListed();
    void objectCyclesAreKept();
};

void TestUnpickler::matchesPythonRepr_data()
{
    QTest::addColumn<QString>("name");
    const QDir dir(qEnvironmentVariable("CKPT_FIXTURES") + "/pickles");
    const auto files = dir.entryList({"*.pkl"}, QDir::Files, QDir::Name);
    QVERIFY2(files.size() >= 30, "pickle fixtures missing");
    for (const QString &f : files) QTest::newRow(qPrintable(f)) << f.chopped(4);
}

// CPython pickles a value with protocol 0..5; our tree printed back must be Python's repr.
void TestUnpickler::matchesPythonRepr()
{
    QFETCH(QString, name);
    ValueArena arena;
    const QByteArray bytes = fixture("pickles/" + name + ".pkl");
    auto out = run(arena, bytes);
    QVERIFY2(out.ok(), out.ok() ? "" : out.error().message.c_str());
    QCOMPARE(out->end, uint64_t(bytes.size()));
    const QString expected = QString::fromUtf8(fixture("pickles/" + name + ".repr"));
    QCOMPARE(QString::fromStdString(formatValue(out->root, nullptr, 100000)), expected);
}

void TestUnpickler::rejectsHostilePickles_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty") << QByteArray() << "empty pickle";
    QTest::newRow("truncated string") << QByteArray("\x80\x02X\xff\xff\xff\x7f" "abc", 11)
                                      << "truncated";
    QTest::newRow("no stop") << QByteArray("\x80\x02]q\x00", 5) << "truncated";
    QTest::newRow("stack underflow") << QByteArray("\x80\x02.", 3) << "stack underflow";
    QTest::newRow("undefined memo") << QByteArray("\x80\x02h\x07.", 5) << "memo key 7";
    QTest::newRow("unknown opcode") << QByteArray("\x80\x02\xff.", 4) << "unknown opcode 0xff";
    QTest::newRow("protocol 9") << QByteArray("\x80\x09N.", 4) << "unsupported pickle protocol";
    QTest::newRow("append to int") << QByteArray("\x80\x02K\x01K\x02" "a.", 8) << "APPEND";
    QTest::newRow("odd setitems") << QByteArray("}(K\x01u.", 6) << "odd";
    QTest::newRow("negative LONG4") << QByteArray("\x80\x02\x8b\xff\xff\xff\xff.", 8) << "negative";
    QTest::newRow("extension code") << QByteArray("\x80\x02\x82\x01.", 5) << "extension";
    QTest::newRow("out-of-band buffer") << QByteArray("\x80\x05\x97.", 4) << "out-of-band";
    QTest::newRow("frame past end, cut") << QByteArray("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00]K\x01", 14)
                                         << "truncated";
    QByteArray deep("\x80\x02", 2);
    for (int i = 0; i < 5000; ++i) deep += "(";
    for (int i = 0; i < 5000; ++i) deep += "l";
    deep += ".";
    QTest::newRow("5000 nested lists") << deep << "nesting deeper than";
    QTest::newRow("a stack of 5M Nones") << (QByteArray("\x80\x02", 2) + QByteArray(5'000'000, 'N') + ".")
                                         << "values on the stack";
    QTest::newRow("2M open MARKs") << (QByteArray("\x80\x02", 2) + QByteArray(2'000'000, '(') + "N.")
                                   << "open MARKs";
}

void TestUnpickler::rejectsHostilePickles()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    ValueArena arena;
    auto out = run(arena, bytes);
    QVERIFY(!out.ok());
    QVERIFY2(QString::fromStdString(out.error().message).contains(expected),
             out.error().message.c_str());
}

// `cos\nsystem\n(S'touch x'\ntR.`: the classic exploit is a name and an opaque call, nothing more.
void TestUnpickler::neverResolvesGlobals()
{
    const QByteArray bytes("cos\nsystem\n(S'touch /tmp/ckpt-pwned'\ntR.");
    ValueArena arena;
    auto out = run(arena, bytes);
    QVERIFY(out.ok());
    QCOMPARE(out->root->kind, ValueKind::Object);
    QCOMPARE(QString::fromStdString(out->root->qualifiedName()), QStringLiteral("os.system"));
    QCOMPARE(out->globals.size(), size_t(1));
    QCOMPARE(classifyGlobal(out->globals[0].module, out->globals[0].name),
             GlobalCategory::Dangerous);
    QVERIFY(!QFile::exists("/tmp/ckpt-pwned"));
}

// Scanners that read GLOBAL opcodes lexically miss STACK_GLOBAL whose strings come from the
// memo (picklescan #14); running the program symbolically cannot.
void TestUnpickler::stackGlobalThroughMemoIsSeen()
{
    QByteArray bytes("\x80\x04", 2);
    bytes += QByteArray("\x8c\x05posix\x94", 8);                  // memo 0 = 'posix'
    bytes += QByteArray("\x8c\x08harmless\x94", 11);              // memo 1
    bytes += "0";                                                 // POP
    bytes += QByteArray("\x8c\x06system\x94", 9);                 // memo 2 = 'system'
    bytes += "0";
    bytes += QByteArray("h\x00h\x02\x93", 5);                     // STACK_GLOBAL posix.system
    bytes += QByteArray("\x8c\x02id\x85R.", 7);
    ValueArena arena;
    auto out = run(arena, bytes);
    QVERIFY2(out.ok(), out.ok() ? "" : out.error().message.c_str());
    QCOMPARE(out->globals.size(), size_t(1));
    QCOMPARE(QString::fromStdString(out->globals[0].module + "." + out->globals[0].name),
             QStringLiteral("posix.system"));
    QCOMPARE(classifyGlobal(out->globals[0].module, out->globals[0].name),
             GlobalCategory::Dangerous);
}

// pickle writes a list that contains itself and torch.load reads it: it opens, with a warning,
// and shows as Python's repr does.
void TestUnpickler::selfReferenceIsListed()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("self.pkl");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray("\x80\x02]q\x00h\x00" "a.", 9)); // l = []; l.append(l)
    f.close();
    auto opened = Checkpoint::open(path.toStdString());
    QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().message.c_str());
    QCOMPARE((*opened)->warnings().size(), size_t(1));
    QVERIFY((*opened)->warnings()[0].find("a cycle") != std::string::npos);
    QCOMPARE(QString::fromStdString(formatValue((*opened)->root())), QStringLiteral("[[...]]"));
}

// Parent links through objects' state (OmegaConf nodes) are real and must not be refused.
void TestUnpickler::objectCyclesAreKept()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("cycle.pkl");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    // obj = Node(); obj.__dict__ = {'parent': obj}
    f.write(QByteArray("\x80\x02" "c__main__\nNode\nq\x00)\x81q\x01}q\x02X\x06\x00\x00\x00parentq\x03h\x01sb.", 44));
    f.close();
    auto opened = Checkpoint::open(path.toStdString());
    QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().message.c_str());
    QCOMPARE((*opened)->format(), std::string("pickle"));
    QCOMPARE(QString::fromStdString(formatValue((*opened)->root())),
             QStringLiteral("__main__.Node(parent=...)"));
}

QTEST_GUILESS_MAIN(TestUnpickler)
#include "tst_unpickler.moc"
