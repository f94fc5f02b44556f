// The format registry and the byte-source seam: which reader takes each kind of fixture and
// why, how confidences and ties decide, what a folder stands for, that a new format is one
// reader registered, and that readers read through their source, asking only for the ranges
// they need.
#include "model/checkpoint/checkpoint.h"
#include "model/formats/format_registry.h"
#include "model/formats/legacy_reader.h"
#include "model/formats/safetensors_reader.h"
#include "model/formats/sharded_index_reader.h"
#include "model/formats/zip_checkpoint_reader.h"
#include "model/sources/mapped_file.h"
#include "model/sources/memory_source.h"

#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace ckpt;

namespace {

std::string fixture(const char *relative)
{
    return (qEnvironmentVariable("CKPT_FIXTURES") + "/" + relative).toStdString();
}

void writeFile(const std::string &path, const std::string &bytes)
{
    std::ofstream(path, std::ios::binary) << bytes;
}

/// A source that serves another's bytes and adds up what readers ask for.
class CountingSource final : public ByteSource
{
public:
    explicit CountingSource(std::shared_ptr<const ByteSource> inner) : m_inner(std::move(inner)) {}
    const std::string &name() const override { return m_inner->name(); }
    uint64_t size() const override { return m_inner->size(); }
    ByteView view(uint64_t offset, uint64_t length) const override
    {
        m_bytes += length;
        ++m_calls;
        return m_inner->view(offset, length);
    }
    uint64_t bytes() const { return m_bytes; }

private:
    std::shared_ptr<const ByteSource> m_inner;
    mutable std::atomic<uint64_t> m_bytes{0};
    mutable std::atomic<uint64_t> m_calls{0};
};

/// A made-up format: files that start with "TOY1", holding one float32 tensor named "toy".
class ToyReader final : public FormatReader
{
public:
    explicit ToyReader(int confidence = 95, std::string name = "toy") : m_confidence(confidence), m_name(std::move(name)) {}
    std::string_view name() const override { return m_name; }
    std::vector<std::string_view> nameFilters() const override { return {".toy"}; }
    Recognition recogniseFile(const FileProbe &probe) const override
    {
        if (probe.head.size() < 4 || std::memcmp(probe.head.data(), "TOY1", 4) != 0) return {};
        return {m_confidence, "starts with TOY1", {}, {}};
    }
    Recognition recogniseFolder(const FolderProbe &probe) const override
    {
        for (const auto &f : probe.files)
            if (f == "toy.manifest") return {100, "holds toy.manifest", {}, {}};
        return {};
    }
    CheckpointData readFile(SourceFile file, const FormatRegistry &) const override
    {
        CheckpointData d;
        d.format = "toy";
        d.files.push_back(std::move(file));
        addTensor(d, 4);
        return d;
    }
    CheckpointData readFolder(const std::string &, const FormatRegistry &) const override
    {
        CheckpointData d;
        d.format = "toy-folder";
        return d;
    }

private:
    static void addTensor(CheckpointData &d, uint64_t offset)
    {
        StorageInfo s;
        s.key = "toy";
        s.dtype = DType::Float32;
        s.numel = 1;
        s.byteOffset = offset;
        s.byteLength = 4;
        d.storages.push_back(s);
        TensorInfo t;
        t.dtype = DType::Float32;
        t.shape = {1};
        t.strides = {1};
        t.storage = 0;
        d.tensors.push_back(t);
        d.root = d.arena->make(ValueKind::Dict);
        Value *key = d.arena->make(ValueKind::String);
        key->text = d.arena->keep("toy");
        Value *tensor = d.arena->make(ValueKind::Tensor);
        tensor->index = 0;
        d.root->items.push_back(key);
        d.root->items.push_back(tensor);
    }

    int m_confidence;
    std::string m_name;
};

FormatRegistry builtinPlus(std::unique_ptr<FormatReader> extra)
{
    FormatRegistry r;
    r.add(std::make_unique<ZipCheckpointReader>());
    r.add(std::make_unique<LegacyReader>());
    r.add(std::make_unique<SafetensorsReader>());
    r.add(std::make_unique<ShardedIndexReader>());
    if (extra) r.add(std::move(extra));
    return r;
}

} // namespace

class TestFormatRegistry final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void eachFixtureHasItsReader_data();
    void eachFixtureHasItsReader();
    void refusalsAreOneLine_data();
    void refusalsAreOneLine();
    void highestConfidenceWinsAndTiesGoFirst();
    void aNewFormatIsOneReader();
    void foldersStandForWhatTheyHold();
    void anIndexCannotNameItself();
    void readersAskOnlyForTheRangesTheyNeed();
    void sourcesRefuseRangesPastTheEnd();
};

void TestFormatRegistry::eachFixtureHasItsReader_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("reader");
    QTest::addColumn<QString>("format");
    QTest::newRow("zip") << "ok/resnet18.pt" << "pytorch-zip" << "pytorch-zip";
    QTest::newRow("torchscript") << "ok/tiny_vit_scripted.pt" << "pytorch-zip" << "torchscript";
    QTest::newRow("lightning") << "ok/lightning.ckpt" << "pytorch-zip" << "pytorch-zip";
    QTest::newRow("legacy") << "ok/resnet18_legacy.pt" << "pytorch-legacy" << "pytorch-legacy";
    QTest::newRow("bare pickle") << "ok/evil_raw.pkl" << "pytorch-legacy" << "pickle";
    QTest::newRow("safetensors") << "ok/tiny_vit.safetensors" << "safetensors" << "safetensors";
    QTest::newRow("index") << "ok/sharded_st/model.safetensors.index.json" << "sharded-index" << "sharded-safetensors";
    QTest::newRow("folder") << "ok/sharded_bin" << "sharded-index" << "sharded-pytorch";
}

void TestFormatRegistry::eachFixtureHasItsReader()
{
    QFETCH(QString, file);
    QFETCH(QString, reader);
    QFETCH(QString, format);
    auto c = Checkpoint::open(fixture(file.toUtf8().constData()));
    QVERIFY2(c, c ? "" : c.error().message.c_str());
    QCOMPARE(QString::fromStdString((*c)->reader()), reader);
    QCOMPARE(QString::fromStdString((*c)->format()), format);
    QVERIFY(!(*c)->recognition().empty());
}

void TestFormatRegistry::refusalsAreOneLine_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("error");
    QByteArray tar(1024, '\0');
    std::memcpy(tar.data() + 257, "ustar", 5);
    QTest::newRow("tar") << tar << "old.pt" << "tar checkpoint from PyTorch < 0.4 is not supported";
    QTest::newRow("preview") << QByteArray("PYTORCH1\0\0\0\0", 12) << "old.pt"
                             << "archive from the PyTorch 1.0 preview is not supported";
    QTest::newRow("json") << QByteArray("  {\"a\": 1}") << "model.bin" << "a JSON file; give an index.json of a sharded model";
    QTest::newRow("empty") << QByteArray() << "empty.pt" << "empty file";
    QTest::newRow("empty safetensors") << QByteArray() << "e.safetensors" << "empty file";
    QTest::newRow("text") << QByteArray("hello") << "hello.pt" << "not a checkpoint (neither zip, pickle nor safetensors)";
}

void TestFormatRegistry::refusalsAreOneLine()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, name);
    QFETCH(QString, error);
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/" + name).toStdString();
    writeFile(path, bytes.toStdString());
    auto d = FormatRegistry::builtin().read(path);
    QVERIFY(!d);
    QCOMPARE(QString::fromStdString(d.error().message), error);
}

void TestFormatRegistry::highestConfidenceWinsAndTiesGoFirst()
{
    const std::string head = "TOY1....";
    const FileProbe probe{"a.bin", ByteView(reinterpret_cast<const uint8_t *>(head.data()), head.size()), 8, false};
    FormatRegistry r;
    r.add(std::make_unique<ToyReader>(40, "low"));
    r.add(std::make_unique<ToyReader>(60, "high"));
    r.add(std::make_unique<ToyReader>(60, "later"));
    auto [reader, recognition] = r.recognise(probe);
    QVERIFY(reader);
    QCOMPARE(std::string(reader->name()), std::string("high"));
    QCOMPARE(recognition.confidence, 60);
    FormatRegistry none;
    QVERIFY(!none.recognise(probe).first);
}

void TestFormatRegistry::aNewFormatIsOneReader()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/x.toy").toStdString();
    const float one = 1.0f;
    writeFile(path, std::string("TOY1") + std::string(reinterpret_cast<const char *>(&one), 4));
    QVERIFY(!FormatRegistry::builtin().read(path)); // nobody knows it yet

    const FormatRegistry r = builtinPlus(std::make_unique<ToyReader>());
    auto d = r.read(path);
    QVERIFY2(d, d ? "" : d.error().message.c_str());
    QCOMPARE(d->reader, std::string("toy"));
    QCOMPARE(d->recognition, std::string("starts with TOY1"));
    QCOMPARE(d->entries.size(), size_t(1)); // the registry walked the tree
    // The other formats still go to their readers.
    auto st = r.read(fixture("ok/tiny_vit.safetensors"));
    QVERIFY(st);
    QCOMPARE(st->reader, std::string("safetensors"));
}

void TestFormatRegistry::foldersStandForWhatTheyHold()
{
    const FormatRegistry &r = FormatRegistry::builtin();
    auto sharded = r.read(fixture("ok/sharded_st"));
    QVERIFY(sharded);
    QCOMPARE(sharded->format, std::string("sharded-safetensors"));
    QVERIFY(sharded->recognition.starts_with("the folder holds model.safetensors.index.json"));

    QTemporaryDir dir;
    const std::string one = dir.path().toStdString();
    std::filesystem::copy_file(fixture("ok/tiny_vit.safetensors"), one + "/weights.safetensors");
    writeFile(one + "/notes.txt", "not a checkpoint");
    auto single = r.read(one);
    QVERIFY2(single, single ? "" : single.error().message.c_str());
    QCOMPARE(single->format, std::string("safetensors"));
    QVERIFY(single->recognition.starts_with("the folder's one checkpoint file"));

    std::filesystem::copy_file(fixture("ok/resnet18.pt"), one + "/other.pt");
    auto two = r.read(one);
    QVERIFY(!two);
    QCOMPARE(two.error().message, std::string("folder holds several checkpoints and no index.json; name one"));

    QTemporaryDir empty;
    auto nothing = r.read(empty.path().toStdString());
    QVERIFY(!nothing);
    QCOMPARE(nothing.error().message, std::string("folder holds no checkpoint or index.json"));

    // A reader of folders decides in the same place: it is asked before the file rule.
    writeFile(one + "/toy.manifest", "");
    const FormatRegistry withToy = builtinPlus(std::make_unique<ToyReader>());
    auto toy = withToy.read(one);
    QVERIFY2(toy, toy ? "" : toy.error().message.c_str());
    QCOMPARE(toy->format, std::string("toy-folder"));
    QCOMPARE(toy->recognition, std::string("holds toy.manifest"));
}

void TestFormatRegistry::anIndexCannotNameItself()
{
    QTemporaryDir dir;
    const std::string index = dir.path().toStdString() + "/model.safetensors.index.json";
    writeFile(index, R"({"weight_map": {"a.weight": "model.safetensors.index.json"}})");
    auto d = FormatRegistry::builtin().read(index);
    QVERIFY(!d);
    QCOMPARE(d.error().message,
             std::string("model.safetensors.index.json: a JSON file; give an index.json of a sharded model"));
}

void TestFormatRegistry::readersAskOnlyForTheRangesTheyNeed()
{
    struct Case
    {
        const char *file;
        std::unique_ptr<FormatReader> reader;
        double maxShare; ///< of the file's bytes the reader may view
    };
    Case cases[] = {{"ok/resnet18.pt", std::make_unique<ZipCheckpointReader>(), 0.01},
                    {"ok/tiny_vit.safetensors", std::make_unique<SafetensorsReader>(), 0.05}};
    for (auto &c : cases) {
        const std::string path = fixture(c.file);
        auto map = MappedFile::open(path);
        QVERIFY(map);
        auto counting = std::make_shared<CountingSource>(*map);
        CheckpointData d = c.reader->readFile(SourceFile{path, counting->size(), counting}, FormatRegistry::builtin());
        auto whole = Checkpoint::open(path);
        QVERIFY(whole);
        QCOMPARE(d.storages.size(), (*whole)->storages().size());
        for (size_t i = 0; i < d.storages.size(); ++i) {
            QCOMPARE(d.storages[i].byteOffset, (*whole)->storages()[i].byteOffset);
            QCOMPARE(d.storages[i].byteLength, (*whole)->storages()[i].byteLength);
        }
        QVERIFY2(double(counting->bytes()) < c.maxShare * double(counting->size()),
                 qPrintable(QString("%1: viewed %2 of %3 bytes").arg(c.file).arg(counting->bytes()).arg(counting->size())));
        QVERIFY(counting->bytes() > 0);
    }
}

void TestFormatRegistry::sourcesRefuseRangesPastTheEnd()
{
    const std::string bytes = "0123456789";
    const MemorySource s("ten", ByteView(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
    QCOMPARE(s.view(2, 3).size(), size_t(3));
    QCOMPARE(char(s.view(2, 3)[0]), '2');
    QCOMPARE(s.viewFrom(7).size(), size_t(3));
    QVERIFY(s.view(10, 0).empty());
    QVERIFY_THROWS_EXCEPTION(std::exception, s.view(8, 3));
    QVERIFY_THROWS_EXCEPTION(std::exception, s.view(11, 0));
    QVERIFY_THROWS_EXCEPTION(std::exception, s.view(UINT64_MAX, 2));
    auto map = MappedFile::open(fixture("ok/resnet18.pt"));
    QVERIFY(map);
    QVERIFY_THROWS_EXCEPTION(std::exception, (*map)->view((*map)->size() - 1, 2));

    // read() copies what view() shows, and refuses the same ranges.
    uint8_t out[4] = {};
    s.read(6, out);
    QCOMPARE(std::string(reinterpret_cast<const char *>(out), 4), std::string("6789"));
    QVERIFY_THROWS_EXCEPTION(std::exception, s.read(7, out));
    const ByteSource &file = **map;
    for (uint64_t at : {uint64_t(0), uint64_t(4097), file.size() - 4}) {
        file.read(at, out);
        QVERIFY(std::equal(out, out + 4, file.view(at, 4).begin()));
    }
    QVERIFY_THROWS_EXCEPTION(std::exception, file.read(file.size() - 3, out));
}

QTEST_GUILESS_MAIN(TestFormatRegistry)
#include "tst_format_registry.moc"
