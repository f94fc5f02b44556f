// Surgery in the window: a source added (undoable), its tensors listed, a module dragged from
// it onto the checkpoint's tree becoming a take rule renamed to where it was dropped, what
// surgery makes listed, the Plan column saying what an input became, the editor round-tripping
// every surgery action.
#include "ui_test_helpers.h"

#include "ui/checkpoint_tree_model.h"
#include "ui/made_tensors_view.h"
#include "ui/rule_editor.h"
#include "ui/rules_document.h"
#include "ui/rules_panel.h"
#include "ui/sources_controller.h"
#include "ui/sources_panel.h"

#include <QDockWidget>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QListWidget>
#include <QMimeData>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QUndoStack>
#include <QtTest>

using namespace ckpt;
using namespace ckpt::test;

namespace {

/// A float32 safetensors file of these tensors (values 0, 1, 2, ...), written by hand.
void writeSafetensors(const QString &path, const std::vector<std::pair<QString, std::vector<int64_t>>> &tensors)
{
    QJsonObject header;
    QByteArray data;
    for (const auto &[name, shape] : tensors) {
        int64_t n = 1;
        QJsonArray dims;
        for (int64_t d : shape) {
            n *= d;
            dims.append(qint64(d));
        }
        const qint64 begin = data.size();
        for (int64_t i = 0; i < n; ++i) {
            const float v = float(i);
            data.append(reinterpret_cast<const char *>(&v), 4);
        }
        header[name] = QJsonObject{{"dtype", "F32"}, {"shape", dims}, {"data_offsets", QJsonArray{begin, qint64(data.size())}}};
    }
    QByteArray text = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (text.size() % 8) text.append(' ');
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    const quint64 size = quint64(text.size());
    f.write(reinterpret_cast<const char *>(&size), 8);
    f.write(text);
    f.write(data);
}

QModelIndex findRow(QAbstractItemModel *m, const QString &fullName, const QModelIndex &parent = {})
{
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        if (i.data(FullNameRole).toString() == fullName) return i;
        if (const QModelIndex below = findRow(m, fullName, i); below.isValid()) return below;
    }
    return {};
}

QTreeWidgetItem *findItem(QTreeWidget *tree, const QString &text)
{
    const auto items = tree->findItems(text, Qt::MatchExactly | Qt::MatchRecursive);
    return items.isEmpty() ? nullptr : items.front();
}

} // namespace

class TestSources final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void dragFromASourceBecomesATakeRule()
    {
        QTemporaryDir dir;
        const QString self = dir.filePath("model.safetensors"), text = dir.filePath("text_model.safetensors");
        writeSafetensors(self, {{"encoder.layer.w", {2, 3}}, {"head.weight", {2, 4}}});
        writeSafetensors(text, {{"enc.a.w", {4}}, {"enc.b.w", {2, 2}}, {"pooler", {3}}});
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, self));
        RulesDocument *doc = w.rulesDocument();

        QVERIFY(w.sourcesController()->addSource(text));
        QCOMPARE(doc->rules().sources.size(), size_t(1));
        QCOMPARE(doc->rules().sources[0].name, std::string("text_model"));
        auto *list = w.sourcesPanel()->sourceList();
        QCOMPARE(list->count(), 1);
        QVERIFY(list->item(0)->text().contains("3 tensors"));
        QTreeWidget *tensors = w.sourcesPanel()->tensorTree();
        QTreeWidgetItem *enc = findItem(tensors, "enc");
        QVERIFY(enc);
        QCOMPARE(enc->childCount(), 2);
        // A missing file is refused with its reason, and nothing changes.
        QVERIFY(!w.sourcesController()->addSource(dir.filePath("nowhere.safetensors")));
        QCOMPARE(doc->rules().sources.size(), size_t(1));
        // Undo takes the source back, redo brings it again.
        doc->undoStack()->undo();
        QVERIFY(doc->rules().sources.empty());
        QCOMPARE(list->count(), 0);
        doc->undoStack()->redo();
        QCOMPARE(list->count(), 1);

        // "enc" dragged onto the "encoder" module: its tensors become encoder.enc.*.
        enc = findItem(tensors, "enc");
        const QModelIndex encIndex = tensors->model()->index(tensors->indexOfTopLevelItem(enc), 0);
        std::unique_ptr<QMimeData> drag(tensors->model()->mimeData({encIndex}));
        QVERIFY(drag && drag->hasFormat(SourcesPanel::kMimeType));
        const QModelIndex encoder = findRow(w.treeModel(), "encoder");
        QVERIFY(encoder.isValid());
        QVERIFY(w.sourcesController()->dropOnNode(drag->data(SourcesPanel::kMimeType), encoder.data(NodeIdRole).toInt()));
        QCOMPARE(doc->rules().rules.size(), size_t(1));
        const Rule &take = doc->rules().rules[0];
        QCOMPARE(take.action, Rule::Action::Take);
        QCOMPARE(take.to, std::string("encoder.enc"));
        QVERIFY2(!doc->plan().hasErrors(), doc->plan().diagnostics.empty() ? "" : doc->plan().diagnostics[0].message.c_str());
        QStringList made;
        for (const auto &a : doc->plan().added) made << QString::fromStdString(a.name);
        QCOMPARE(made, (QStringList{"encoder.enc.a.w", "encoder.enc.b.w"}));
        auto *madeList = w.rulesPanel()->madeList();
        QCOMPARE(madeList->topLevelItemCount(), 2);
        QCOMPARE(madeList->topLevelItem(0)->text(3), QString("text_model:enc.a.w"));

        // A tensor dropped on empty space keeps its name.
        QTreeWidgetItem *pooler = findItem(tensors, "pooler");
        std::unique_ptr<QMimeData> one(tensors->model()->mimeData({tensors->model()->index(tensors->indexOfTopLevelItem(pooler), 0)}));
        QVERIFY(w.sourcesController()->dropOnNode(one->data(SourcesPanel::kMimeType), 0));
        QCOMPARE(doc->plan().added.back().name, std::string("pooler"));

        // The Plan column says what an input became.
        doc->addRule(ruleFrom(R"({"action": "transpose", "match": {"name": "head.weight"}, "dims": [1, 0]})"));
        const QModelIndex head = findRow(w.treeModel(), "head.weight");
        QVERIFY(head.isValid());
        const QString plan = head.siblingAtColumn(PlanColumn).data().toString();
        QVERIFY2(plan.contains("head.weight") && plan.contains("transpose"), qPrintable(plan));
        auto *sourcesDock = w.findChild<QDockWidget *>("sourcesDock");
        QVERIFY(sourcesDock);
        sourcesDock->raise();
        w.sourcesPanel()->sourceList()->setCurrentRow(0);
        tensors->expandAll();
        keepPicture(&w, "sources-window");
        w.findChild<QDockWidget *>("rulesDock")->raise();
        keepPicture(&w, "surgery-rules");
    }

    void editorRoundTripsEverySurgeryAction()
    {
        RuleEditor editor;
        for (const char *json : {
                 R"({"action": "take", "from": "text", "match": {"prefix": "enc."}, "prefix": "enc.", "to": "text."})",
                 R"({"action": "stack", "match": {"regex": "^l\\.(\\d+)\\.(.+)$"}, "to": "l.\\2", "key": "\\1", "axis": 0})",
                 R"({"action": "concat", "match": {"regex": "^(q|k|v)$"}, "to": "qkv", "key": "\\1", "order": ["q", "k", "v"], "axis": 1})",
                 R"({"action": "unstack", "match": {"name": "x"}, "to": "x.{i}", "axis": 0})",
                 R"({"action": "split", "match": {"name": "qkv"}, "parts": [{"to": "q", "size": 2}, {"to": "k"}], "axis": 0})",
                 R"({"action": "transpose", "match": {"name": "w"}, "dims": [1, 0]})",
                 R"({"action": "reshape", "match": {"name": "w"}, "shape": [2, -1]})",
                 R"({"action": "lora", "from": "adapter", "scale": 0.5})",
                 R"({"action": "merge", "match": {"glob": "*"}, "method": "slerp", "weights": {"ft": 1}, "base": "self", "t": 0.3})"}) {
            const Rule r = ruleFrom(json);
            editor.setRule(r);
            const auto back = editor.rule();
            QVERIFY2(back, back ? json : back.error().message.c_str());
            QVERIFY2(*back == r, json);
        }
    }
};

QTEST_MAIN(TestSources)
#include "tst_sources.moc"
