// Sessions: File > Save Session keeps the checkpoint, rules, target, diff partner, filter and
// layout; Open Session brings all of it back. A bad session file is one line, nothing changed.
#include "ui_test_helpers.h"

#include "ui/compare_document.h"
#include "ui/diff_document.h"
#include "ui/rules_document.h"

#include "model/rules/rule_config.h"
#include "widgets/filter_bar.h"
#include "widgets/message_banner.h"

#include <QDockWidget>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace ckpt;
using namespace ckpt::test;

namespace {


void write(const QString &path, const QByteArray &text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

} // namespace

class TestSession final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void savedAndRestored()
    {
        QTemporaryDir dir;
        const QString session = dir.filePath("work.ckpt-session.json");
        RuleSet rules;
        {
            MainWindow w;
            QVERIFY(openAndWait(w, fixture("ok/lightning.ckpt")));
            w.rulesDocument()->addRule(ruleFrom(R"({"action":"freeze","match":{"module":"model.layer1"}})"));
            w.rulesDocument()->addRule(ruleFrom(R"({"action":"drop","match":{"prefix":"model.fc."}})"));
            rules = w.rulesDocument()->rules();
            QSignalSpy target(w.compareDocument(), &CompareDocument::changed);
            w.openTarget(fixture("ok/resnet18.pt"));
            QVERIFY(target.wait(20000));
            QSignalSpy diffed(w.diffDocument(), &DiffDocument::finished);
            w.diffWith(fixture("ok/resnet18.pt"));
            QVERIFY(diffed.wait(20000));
            w.setFilter("layer1", 0);
            w.findChild<QDockWidget *>("diffDock")->setFloating(true); // a layout of its own
            QVERIFY(w.rulesDocument()->hasUnsavedRules());
            QVERIFY(w.saveSession(session));
            QVERIFY(!w.rulesDocument()->hasUnsavedRules()); // the session holds them
        }
        QFile f(session);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value("ckpt_session").toInt(), 1);
        QCOMPARE(o.value("checkpoint").toString(), QFileInfo(fixture("ok/lightning.ckpt")).absoluteFilePath());
        QCOMPARE(o.value("target").toString(), fixture("ok/resnet18.pt"));
        QCOMPARE(o.value("diff").toString(), fixture("ok/resnet18.pt"));

        MainWindow w;
        QSignalSpy opened(&w, &MainWindow::documentOpened);
        QSignalSpy target(w.compareDocument(), &CompareDocument::changed);
        QSignalSpy diffed(w.diffDocument(), &DiffDocument::finished);
        QVERIFY(w.openSession(session));
        QVERIFY(opened.wait(20000));
        QCOMPARE(QFileInfo(w.currentPath()).absoluteFilePath(), QFileInfo(fixture("ok/lightning.ckpt")).absoluteFilePath());
        QVERIFY(w.rulesDocument()->rules() == rules);
        QVERIFY(!w.rulesDocument()->hasUnsavedRules());
        QTRY_COMPARE(w.filterBar()->pattern(), QString("layer1"));
        QTRY_VERIFY(w.compareDocument()->hasTarget());
        QCOMPARE(w.compareDocument()->targetPath(), fixture("ok/resnet18.pt"));
        QTRY_VERIFY(w.diffDocument()->report() != nullptr);
        QCOMPARE(w.diffDocument()->pathB(), fixture("ok/resnet18.pt"));
        QVERIFY(w.findChild<QDockWidget *>("diffDock")->isFloating());
    }

    void aBadSessionIsOneLineAndChangesNothing()
    {
        QTemporaryDir dir;
        MainWindow w;
        QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
        w.rulesDocument()->addRule(ruleFrom(R"({"action":"drop","match":{"prefix":"fc."}})"));
        QVERIFY(w.exportRules(dir.filePath("saved.json"), "json"));
        const struct
        {
            const char *text;
            const char *message;
        } cases[] = {
            {"{not json", "not valid JSON"},
            {R"({"checkpoint": "x.pt"})", "not a Checkpoint Studio session"},
            {R"({"ckpt_session": 1})", "checkpoint: expected a path"},
            {R"({"ckpt_session": 1, "checkpoint": "x.pt", "colour": 1})", "colour: unknown field"},
            {R"({"ckpt_session": 1, "checkpoint": "x.pt", "rules": {"rules": [{"action": "freeze", "match": {"glob": 3}}]}})",
             "rules: rules[0].match.glob: expected a string"},
            {R"({"ckpt_session": 1, "checkpoint": "x.pt", "filter": {"pattern": "a", "mode": "fuzzy"}})", "filter: expected"},
            {R"({"ckpt_session": 1, "checkpoint": "x.pt", "layout": "!!"})", "layout: not base64"},
        };
        for (const auto &c : cases) {
            const QString path = dir.filePath("bad.json");
            write(path, c.text);
            QVERIFY2(!w.openSession(path), c.text);
            QVERIFY2(w.banner()->text().contains(c.message), qPrintable(w.banner()->text()));
            QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
            QCOMPARE(w.currentPath(), fixture("ok/resnet18.pt"));
        }
        // A session whose checkpoint is gone: the open fails with its one line, the window stays.
        write(dir.filePath("gone.json"), R"({"ckpt_session": 1, "checkpoint": "/nonexistent/model.pt"})");
        QSignalSpy failed(&w, &MainWindow::openFailed);
        QVERIFY(w.openSession(dir.filePath("gone.json")));
        QVERIFY(failed.wait(20000));
        QVERIFY(w.banner()->text().contains("/nonexistent/model.pt"));
        QCOMPARE(w.currentPath(), fixture("ok/resnet18.pt"));
        QCOMPARE(w.rulesDocument()->rules().rules.size(), size_t(1));
    }
};

QTEST_MAIN(TestSession)
#include "tst_session.moc"
