// The inspector's tree and filter, on real fixtures, and glob/regex semantics against Python.
#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_tree.h"
#include "model/formats/tree_walker.h"
#include "model/match/name_matcher.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace ckpt;

namespace {

std::shared_ptr<const Checkpoint> open(const QString &relative)
{
    auto c = Checkpoint::open((qEnvironmentVariable("CKPT_FIXTURES") + "/" + relative).toStdString());
    if (!c) qFatal("%s", c.error().message.c_str());
    return c.value();
}

int child(const CheckpointTree &t, int node, const std::string &name)
{
    for (int c : t.node(node).children)
        if (t.node(c).name == name) return c;
    return -1;
}

} // namespace

class TestCheckpointTree final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void lightningModules();
    void flatList();
    void everyTensorHasARow();
    void sparseTensorsReadAsWhatTheyAre();
    void filterKeepsAncestors();
    void matchesPythonFnmatchAndRe_data();
    void matchesPythonFnmatchAndRe();
    void badRegexSaysWhy();
};

void TestCheckpointTree::lightningModules()
{
    auto c = open("ok/lightning.ckpt");
    const auto t = CheckpointTree::build(*c);
    const int sd = child(t, t.root(), "state_dict");
    QVERIFY(sd > 0);
    const int model = child(t, sd, "model");
    QCOMPARE(t.node(model).kind, NodeKind::Module);
    const int layer1 = child(t, model, "layer1");
    QVERIFY(layer1 > 0);
    QCOMPARE(t.node(layer1).fullName, std::string("state_dict/model.layer1"));
    // Totals: the model module holds every tensor of the state dict.
    QCOMPARE(t.node(model).tensors, t.node(sd).tensors);
    int64_t params = 0;
    for (const auto &e : c->entries())
        if (std::get<std::string>(e.path.front()) == "state_dict")
            params += c->tensors()[size_t(e.tensor)].numel();
    QCOMPARE(t.node(model).parameters, params);
    const int conv = child(t, child(t, model, "conv1"), "weight");
    QCOMPARE(t.node(conv).kind, NodeKind::Tensor);
    QCOMPARE(t.node(conv).parameters, int64_t(64 * 3 * 7 * 7));
    // Non-tensor content keeps its values.
    const int hp = child(t, t.root(), "hyper_parameters");
    QCOMPARE(t.node(child(t, hp, "lr")).kind, NodeKind::Value);
}

void TestCheckpointTree::flatList()
{
    auto c = open("ok/resnet18.pt");
    const auto t = CheckpointTree::build(*c, {.flat = true});
    QCOMPARE(t.node(t.root()).children.size(), c->entries().size());
    QCOMPARE(t.node(t.node(t.root()).children.front()).name, std::string("conv1.weight"));
}

void TestCheckpointTree::everyTensorHasARow()
{
    for (const char *f : {"ok/lightning.ckpt", "ok/special.pt", "ok/tiny_vit_module.pt",
                          "ok/sharded_st", "ok/dtypes.pt", "ok/bare_tensor.pt"}) {
        auto c = open(f);
        const auto t = CheckpointTree::build(*c);
        for (size_t e = 0; e < c->entries().size(); ++e) {
            const int node = t.nodeOfEntry(e);
            QVERIFY2(node > 0, f);
            QCOMPARE(t.node(node).entry, int(e));
        }
        QCOMPARE(t.node(t.root()).tensors, c->entries().size());
    }
}

void TestCheckpointTree::sparseTensorsReadAsWhatTheyAre()
{
    // The fixture: a 3x3 COO tensor and a 3x3 CSR tensor (make_fixtures.py).
    auto c = open("ok/sparse.pt");
    const auto t = CheckpointTree::build(*c);
    const int coo = child(t, t.root(), "coo");
    const int csr = child(t, t.root(), "csr");
    QVERIFY(coo > 0 && csr > 0);
    QCOMPARE(compositeTensorText(t.node(coo).value), std::string("sparse_coo [3, 3]"));
    QCOMPARE(compositeTensorText(t.node(csr).value), std::string("sparse_csr [3, 3]"));
    QCOMPARE(t.node(coo).tensors, size_t(2));
    QVERIFY(compositeTensorText(t.node(child(t, t.root(), "dense")).value).empty());
}

void TestCheckpointTree::filterKeepsAncestors()
{
    auto c = open("ok/lightning.ckpt");
    const auto t = CheckpointTree::build(*c);
    auto m = NameMatcher::create(NameMatcher::Mode::Glob, "state_dict/model.layer1.*.conv1.weight");
    QVERIFY(m.ok());
    const auto r = filterTree(t, *m);
    QCOMPARE(r.tensors, size_t(2)); // layer1.0 and layer1.1
    QCOMPARE(r.parameters, int64_t(2 * 64 * 64 * 3 * 3));
    const int sd = child(t, t.root(), "state_dict");
    QVERIFY(r.visible[size_t(sd)]);
    QVERIFY(!r.visible[size_t(child(t, t.root(), "optimizer_states"))]);
    auto sub = NameMatcher::create(NameMatcher::Mode::Substring, "LAYER4.1.BN2");
    const auto r2 = filterTree(t, *sub);
    QCOMPARE(r2.tensors, size_t(5)); // weight, bias, running_mean/var, num_batches_tracked
}

// Expected results are Python's: fnmatch.fnmatchcase(name, glob) and bool(re.search(rx, name)).
void TestCheckpointTree::matchesPythonFnmatchAndRe_data()
{
    QTest::addColumn<QJsonObject>("row");
    QFile f(qEnvironmentVariable("CKPT_FIXTURES") + "/patterns.json");
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonArray rows = QJsonDocument::fromJson(f.readAll()).array();
    QVERIFY(rows.size() > 10);
    for (const auto &r : rows) {
        const QJsonObject o = r.toObject();
        QTest::newRow(qPrintable(o["mode"].toString() + " " + o["pattern"].toString())) << o;
    }
}

void TestCheckpointTree::matchesPythonFnmatchAndRe()
{
    QFETCH(QJsonObject, row);
    const auto mode = row["mode"].toString() == "glob" ? NameMatcher::Mode::Glob : NameMatcher::Mode::Regex;
    auto m = NameMatcher::create(mode, row["pattern"].toString().toStdString());
    QVERIFY(m.ok());
    const QJsonArray names = row["names"].toArray();
    const QJsonArray expected = row["matches"].toArray();
    int checked = 0;
    for (qsizetype i = 0; i < names.size(); ++i) {
        const std::string name = names[i].toString().toStdString();
        QVERIFY2(m->matches(name) == expected[i].toBool(), name.c_str());
        ++checked;
    }
    QVERIFY(checked > 50);
}

void TestCheckpointTree::badRegexSaysWhy()
{
    auto m = NameMatcher::create(NameMatcher::Mode::Regex, "layer(");
    QVERIFY(!m.ok());
    QVERIFY(QString::fromStdString(m.error().message).contains("missing )"));
}

QTEST_GUILESS_MAIN(TestCheckpointTree)
#include "tst_checkpoint_tree.moc"
