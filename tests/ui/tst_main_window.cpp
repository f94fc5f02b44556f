// The inspector window, driven like a user would, offscreen, on real fixtures.
#include "ui/checkpoint_tree_model.h"
#include "ui/main_window.h"
#include "ui_test_helpers.h"
#include "ui/rules_panel.h"
#include "ui/roles.h"
#include "ui/summary_page.h"
#include "ui/tensor_page.h"

#include "widgets/filter_bar.h"
#include "widgets/histogram_plot.h"
#include "widgets/message_banner.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QStandardPaths>
#include <QTreeView>
#include <QListWidget>
#include <QScreen>
#include <QStatusBar>
#include <QtTest>
#include <qcustomplot.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace ckpt;
using namespace ckpt::test;

namespace {



/// Rows of the view (through the proxy) under a parent, as their names.
QStringList rowNames(QTreeView *view, const QModelIndex &parent = {})
{
    QStringList names;
    for (int r = 0; r < view->model()->rowCount(parent); ++r)
        names << view->model()->index(r, NameColumn, parent).data().toString();
    return names;
}

QJsonObject expectedStats(const QString &file, const QString &path)
{
    QFile f(fixture("stats.json"));
    f.open(QIODevice::ReadOnly);
    for (const auto &row : QJsonDocument::fromJson(f.readAll()).array())
        if (row.toObject()["file"] == file && row.toObject()["path"] == path) return row.toObject();
    return {};
}


} // namespace

class TestMainWindow final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void modelPassesTheTester();
    void topLevelMirrorsTheCheckpoint();
    void filterByGlobRegexAndText();
    void selectingATensorComputesItsStatistics();
    void selectingAnotherTensorCancelsTheFirst();
    void unreadableFileKeepsWhatWasOpen();
    void anUnreachableAddressKeepsWhatWasOpen();
    void openingAnAddressCanBeCancelled();
    void flatListAndCopy();
    void aFileWithoutPickleSaysSo();
    void namesFitAndElideInTheMiddle();
    void fitsTheScreenAndChartsFollowThePalette();
    void copyNameIsTheKeyAndCopyPathTheTreePath();
    void oddNamesShowEscapedAndCopyAsTheyAre();
    void dropOpensAndRecentRemembers();
    void shortcuts();
    void menusListEveryControllersActionsInOrder();
};

void TestMainWindow::modelPassesTheTester()
{
    for (const char *f : {"ok/lightning.ckpt", "ok/special.pt", "ok/sharded_st", "ok/tiny_vit_module.pt"}) {
        MainWindow w;
        QVERIFY(openAndWait(w, fixture(f)));
        QAbstractItemModelTester source(w.treeModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxy(w.treeView()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        w.setFilter("weight", 0);
        w.setFilter("", 0);
        w.treeView()->expandAll();
    }
}

void TestMainWindow::topLevelMirrorsTheCheckpoint()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/lightning.ckpt")));
    QCOMPARE(rowNames(w.treeView()),
             QStringList({"epoch", "global_step", "pytorch-lightning_version", "state_dict", "loops",
                          "callbacks", "optimizer_states", "lr_schedulers", "hparams_name",
                          "hyper_parameters"}));
    QAbstractItemModel *m = w.treeView()->model();
    const QModelIndex sd = m->index(3, 0);
    QVERIFY(w.treeView()->isExpanded(sd)); // the way to the weights is open
    QCOMPARE(rowNames(w.treeView(), sd), QStringList({"model"}));
    const QModelIndex model = m->index(0, 0, sd);
    QCOMPARE(rowNames(w.treeView(), model).mid(0, 3), QStringList({"conv1", "bn1", "layer1"}));
    QCOMPARE(m->index(0, ParamsColumn, sd).data().toString(), QStringLiteral("11.7M"));
    QCOMPARE(m->index(0, ParamsColumn, model).data().toString(), QStringLiteral("9.41K"));
    // Opaque objects read like Python.
    const QModelIndex hp = m->index(9, 0);
    bool found = false;
    for (int r = 0; r < m->rowCount(hp); ++r)
        if (m->index(r, 0, hp).data().toString() == "args") {
            QCOMPARE(m->index(r, ShapeColumn, hp).data().toString(),
                     QStringLiteral("argparse.Namespace(depth=18, act='relu')"));
            found = true;
        }
    QVERIFY(found);
    QCOMPARE(countTensors(w.treeModel()), 309);
}

void TestMainWindow::filterByGlobRegexAndText()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/lightning.ckpt")));
    auto *status = w.filterBar()->findChild<QLabel *>("filterStatus");
    w.setFilter("state_dict/model.layer1.*.conv1.weight", 1);
    QCOMPARE(countTensors(w.treeView()->model()), 2);
    QVERIFY(status->text().startsWith("2 tensor"));
    w.setFilter("^state_dict/model\\.layer[34]\\.0\\.downsample", 2);
    QCOMPARE(countTensors(w.treeView()->model()), 2 * 6); // conv weight + 5 bn tensors, twice
    w.setFilter("RUNNING_VAR", 0);
    QCOMPARE(countTensors(w.treeView()->model()), 20);
    w.setFilter("layer(", 2);
    QVERIFY(status->text().contains("missing )"));
    w.setFilter("", 0);
    QCOMPARE(countTensors(w.treeView()->model()), 309);
}

void TestMainWindow::selectingATensorComputesItsStatistics()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/lightning.ckpt")));
    QSignalSpy done(w.tensorPage(), &TensorPage::statsFinished);
    QVERIFY(w.selectFullName("state_dict/model.conv1.weight"));
    QVERIFY(done.wait(20000));
    QCOMPARE(done.last().at(1).toBool(), true);
    const QJsonObject expected = expectedStats("ok/lightning.ckpt", "state_dict/model.conv1.weight");
    QVERIFY(!expected.isEmpty());
    for (const char *key : {"min", "max", "mean", "std", "l2"}) {
        const double shown = w.tensorPage()->statText(key).toDouble();
        const double torch = expected[key].toDouble();
        QVERIFY2(std::abs(shown - torch) <= 1e-6 * std::abs(torch), key);
    }
    QCOMPARE(w.tensorPage()->statText("nans"), QStringLiteral("0"));
    QVERIFY(w.tensorPage()->statText("zeros").startsWith("0 "));
    QVERIFY(!w.tensorPage()->histogram()->logScale());
    // A constant tensor (a fresh BatchNorm's weight, all ones): its one bar on an axis around it.
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    QVERIFY(w.selectFullName("bn1.weight"));
    QVERIFY(done.wait(20000));
    QCOMPARE(w.tensorPage()->statText("min"), w.tensorPage()->statText("max"));
    const QCPRange range = w.tensorPage()->histogram()->plot()->xAxis->range();
    QVERIFY2(range.lower < 1 && range.upper > 1 && range.size() >= 0.1,
             qPrintable(QString("%1 .. %2").arg(range.lower).arg(range.upper)));
}

void TestMainWindow::selectingAnotherTensorCancelsTheFirst()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    QSignalSpy done(w.tensorPage(), &TensorPage::statsFinished);
    QVERIFY(w.selectFullName("layer4.1.conv2.weight"));
    QVERIFY(w.selectFullName("fc.bias"));
    QVERIFY(done.wait(20000));
    QTest::qWait(200);
    // Only the tensor on screen reports.
    for (const auto &call : done) QCOMPARE(call.at(0).toInt(), w.tensorPage()->entry());
    const QJsonObject expected = expectedStats("ok/resnet18.pt", "fc.bias");
    QVERIFY(std::abs(w.tensorPage()->statText("max").toDouble() - expected["max"].toDouble()) < 1e-6);
}

void TestMainWindow::unreadableFileKeepsWhatWasOpen()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    QSignalSpy failed(&w, &MainWindow::openFailed);
    w.openPath(fixture("bad/st_overlap.safetensors"));
    QVERIFY(failed.wait(20000));
    QVERIFY(failed.last().at(1).toString().contains("overlaps"));
    QVERIFY(!failed.last().at(1).toString().contains('\n'));
    QCOMPARE(w.currentPath(), fixture("ok/resnet18.pt"));
    QCOMPARE(countTensors(w.treeModel()), 122);
    // One message: the banner names the file and the problem; no dialog on top of it.
    QVERIFY(w.findChildren<QMessageBox *>().isEmpty());
    QVERIFY(QApplication::activeModalWidget() == nullptr);
    auto *banner = w.findChild<MessageBanner *>("errorBanner");
    QVERIFY(!banner->isHidden());
    QVERIFY(banner->text().contains("st_overlap.safetensors"));
    QVERIFY(banner->text().contains("overlaps"));
}

/// A TCP socket bound to a free loopback port (listening when `listen`), and its port.
static int loopbackSocket(bool listen, int &port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&a), len) != 0 || (listen && ::listen(fd, 4) != 0) ||
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
        ::close(fd);
        return -1;
    }
    port = ntohs(a.sin_port);
    return fd;
}

void TestMainWindow::anUnreachableAddressKeepsWhatWasOpen()
{
    qputenv("CKPT_HTTP_RETRIES", "0");
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    // A port nothing listens on: refused at once.
    int port = 0;
    ::close(loopbackSocket(false, port));
    const QString address = QString("http://127.0.0.1:%1/model.safetensors").arg(port);
    QSignalSpy failed(&w, &MainWindow::openFailed);
    w.openPath(address);
    QVERIFY(failed.wait(20000));
    QVERIFY(failed.last().at(1).toString().contains("cannot connect"));
    QCOMPARE(w.currentPath(), fixture("ok/resnet18.pt"));
    auto *banner = w.findChild<MessageBanner *>("errorBanner");
    QVERIFY(!banner->isHidden());
    QVERIFY(banner->text().contains(address));
    qunsetenv("CKPT_HTTP_RETRIES");
}

void TestMainWindow::openingAnAddressCanBeCancelled()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    // A server that takes the connection and never answers.
    int port = 0;
    const int fd = loopbackSocket(true, port);
    QVERIFY(fd >= 0);
    QSignalSpy failed(&w, &MainWindow::openFailed);
    QSignalSpy opened(&w, &MainWindow::documentOpened);
    w.openPath(QString("http://127.0.0.1:%1/model.safetensors").arg(port));
    QTest::qWait(500);
    QAction *cancel = nullptr;
    for (QAction *top : w.menuBar()->actions())
        for (QAction *item : top->menu()->actions())
            if (item->text() == "Cancel Opening") cancel = item;
    QVERIFY(cancel && cancel->isEnabled());
    QElapsedTimer timer;
    timer.start();
    cancel->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!cancel->isEnabled(), 5000);
    QVERIFY(timer.elapsed() < 5000);
    ::close(fd);
    // Cancelled is no failure to report, and what was open stays.
    QCOMPARE(failed.count(), 0);
    QCOMPARE(opened.count(), 0);
    QCOMPARE(w.currentPath(), fixture("ok/resnet18.pt"));
    QVERIFY(w.findChild<MessageBanner *>("errorBanner")->isHidden());
    QVERIFY(w.statusBar()->findChild<QLabel *>()->text().contains("cancelled"));
}

void TestMainWindow::fitsTheScreenAndChartsFollowThePalette()
{
    MainWindow w; // the offscreen screen is 800x600: smaller than the 1280x800 default
    const QRect room = w.screen()->availableGeometry();
    QVERIFY(w.width() <= room.width());
    QVERIFY(w.height() <= room.height());
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(32, 33, 36));
    dark.setColor(QPalette::WindowText, QColor(232, 234, 237));
    dark.setColor(QPalette::Base, QColor(41, 42, 45));
    dark.setColor(QPalette::Text, QColor(232, 234, 237));
    w.setPalette(dark);
    const auto plots = w.findChildren<QCustomPlot *>();
    QVERIFY(!plots.isEmpty());
    int labels = 0;
    for (QCustomPlot *plot : plots) {
        QCOMPARE(plot->xAxis->tickLabelColor(), QColor(232, 234, 237));
        QCOMPARE(plot->yAxis->labelColor(), QColor(232, 234, 237));
        for (int i = 0; i < plot->itemCount(); ++i)
            if (auto *label = qobject_cast<QCPItemText *>(plot->item(i))) {
                QCOMPARE(label->color(), QColor(232, 234, 237)); // the bars' value labels too
                ++labels;
            }
    }
    QVERIFY(labels > 0);
}

void TestMainWindow::namesFitAndElideInTheMiddle()
{
    MainWindow w;
    w.resize(1280, 800);
    w.show();
    QVERIFY(openAndWait(w, fixture("ok/odd_names.pt")));
    QTreeView *tree = w.treeView();
    QCOMPARE(tree->textElideMode(), Qt::ElideMiddle);
    // Wide enough for every name shown, unless that would take more than half the view.
    int widest = 0;
    for (int r = 0; r < tree->model()->rowCount(); ++r)
        widest = std::max(widest, tree->sizeHintForIndex(tree->model()->index(r, 0)).width());
    const int width = tree->columnWidth(0);
    QVERIFY2(width >= widest || width >= tree->viewport()->width() / 2,
             qPrintable(QString("%1 < %2").arg(width).arg(widest)));
    QVERIFY(w.rulesPanel()->diagnosticList()->wordWrap());
}

void TestMainWindow::aFileWithoutPickleSaysSo()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/tiny_vit.safetensors")));
    auto *table = w.summaryPage()->findChild<QWidget *>("globalsTable");
    auto *note = w.summaryPage()->findChild<QLabel *>("noPickleNote");
    QVERIFY(table->isHidden());
    QVERIFY(!note->isHidden());
    QVERIFY(note->text().contains("no pickle"));
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    QVERIFY(!table->isHidden());
    QVERIFY(note->isHidden());
}

void TestMainWindow::flatListAndCopy()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    QSignalSpy opened(&w, &MainWindow::documentOpened);
    w.setFlat(true);
    QVERIFY(opened.wait(20000));
    QCOMPARE(w.treeView()->model()->rowCount(), 122);
    QCOMPARE(w.treeView()->model()->index(0, 0).data().toString(), QStringLiteral("conv1.weight"));
    // The summary's chart of 122 rows: the 23 largest labelled (ties in file order), the rest
    // one bar; only those 23 get labels made.
    auto *chart = w.summaryPage()->findChild<QWidget *>("moduleChart");
    QVERIFY(chart);
    QCustomPlot *plot = chart->findChild<QCustomPlot *>();
    QVERIFY(plot);
    auto ticker = plot->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
    QVERIFY(ticker);
    QCOMPARE(ticker->ticks().size(), 24);
    QCOMPARE(ticker->ticks().value(24), QStringLiteral("layer4.0.conv2.weight"));
    QCOMPARE(ticker->ticks().value(1), QStringLiteral("(99 others)"));
    for (double key = 2; key <= 24; ++key) QVERIFY(!ticker->ticks().value(key).isEmpty());
    int valueLabels = 0;
    for (int i = 0; i < plot->itemCount(); ++i) valueLabels += qobject_cast<QCPItemText *>(plot->item(i)) != nullptr;
    QCOMPARE(valueLabels, 23);
    QVERIFY(w.selectFullName("fc.weight"));
    w.findChild<QAction *>(QString(), Qt::FindChildrenRecursively); // actions exist
    for (QAction *a : w.findChildren<QAction *>())
        if (a->shortcut() == QKeySequence(QKeySequence::Copy)) a->trigger();
    QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("fc.weight"));
    for (QAction *a : w.findChildren<QAction *>())
        if (a->shortcut() == QKeySequence(QStringLiteral("Ctrl+Shift+C"))) a->trigger();
    QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("[1000, 512]"));
}

void TestMainWindow::copyNameIsTheKeyAndCopyPathTheTreePath()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/lightning.ckpt")));
    auto trigger = [&](const QKeySequence &keys) {
        for (QAction *a : w.findChildren<QAction *>())
            if (a->shortcut() == keys) a->trigger();
        return QApplication::clipboard()->text();
    };
    QVERIFY(w.selectFullName("state_dict/model.conv1.weight"));
    QCOMPARE(trigger(QKeySequence::Copy), QStringLiteral("model.conv1.weight"));
    QCOMPARE(trigger(QKeySequence(QStringLiteral("Ctrl+Alt+C"))), QStringLiteral("state_dict/model.conv1.weight"));
    QVERIFY(w.selectFullName("state_dict/model.layer1"));
    QCOMPARE(trigger(QKeySequence::Copy), QStringLiteral("model.layer1")); // a module: its prefix
    QVERIFY(w.selectFullName("optimizer_states/0/state/0/exp_avg"));        // not a weight: the path
    QCOMPARE(trigger(QKeySequence::Copy), QStringLiteral("optimizer_states/0/state/0/exp_avg"));
}

void TestMainWindow::oddNamesShowEscapedAndCopyAsTheyAre()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/odd_names.pt")));
    QSignalSpy opened(&w, &MainWindow::documentOpened);
    w.setFlat(true);
    QVERIFY(opened.wait(20000));
    QAbstractItemModel *m = w.treeView()->model();
    QMap<QString, QString> shown; // full name -> what the row shows
    for (int r = 0; r < m->rowCount(); ++r)
        shown[m->index(r, 0).data(FullNameRole).toString()] = m->index(r, 0).data().toString();
    QCOMPARE(shown.value(QStringLiteral("line\nbreak.weight")), QStringLiteral("line\\nbreak.weight"));
    QCOMPARE(shown.value(QStringLiteral("tab\vbed.bias")), QStringLiteral("tab\\x0bbed.bias"));
    QCOMPARE(shown.value(QStringLiteral("caf\u00e9.\u00c9t\u00e9")), QStringLiteral("caf\u00e9.\u00c9t\u00e9"));
    QCOMPARE(shown.value(QString()), QStringLiteral("''"));
    QVERIFY(w.selectFullName(QStringLiteral("line\nbreak.weight")));
    for (QAction *a : w.findChildren<QAction *>())
        if (a->shortcut() == QKeySequence(QKeySequence::Copy)) a->trigger();
    QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("line\nbreak.weight")); // the key itself
}

void TestMainWindow::dropOpensAndRecentRemembers()
{
    MainWindow w;
    QSignalSpy opened(&w, &MainWindow::documentOpened);
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(fixture("ok/tiny_vit.safetensors"))});
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    // A real drag: enter (accepted), then drop, on the window's central area.
    const QPoint at = w.centralWidget()->geometry().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
    QVERIFY(opened.wait(20000));
    QCOMPARE(w.currentPath(), fixture("ok/tiny_vit.safetensors"));
    QCOMPARE(w.recentFiles().value(0), QFileInfo(fixture("ok/tiny_vit.safetensors")).absoluteFilePath());
}

void TestMainWindow::shortcuts()
{
    MainWindow w;
    QStringList keys;
    for (QAction *a : w.findChildren<QAction *>())
        if (!a->shortcut().isEmpty()) keys << a->shortcut().toString();
    for (const char *k : {"Ctrl+O", "Ctrl+F", "Ctrl+W", "Ctrl+Q", "F1", "Ctrl+C", "Ctrl+L"})
        QVERIFY2(keys.contains(k), k);
    for (QAction *a : w.findChildren<QAction *>())
        if (a->shortcut() == QKeySequence(QKeySequence::HelpContents)) a->trigger();
    auto *help = w.findChild<QMessageBox *>("helpBox");
    QVERIFY(help);
    QVERIFY(help->text().contains("Ctrl+F"));
}

/// The menus as the controllers fill them, separators as "-": each controller's actions in
/// their place, and no shortcut given to two actions (Qt would then run neither).
void TestMainWindow::menusListEveryControllersActionsInOrder()
{
    MainWindow w;
    QMap<QString, QStringList> menus;
    for (QAction *top : w.menuBar()->actions()) {
        QStringList items;
        for (QAction *a : top->menu()->actions()) items << (a->isSeparator() ? "-" : a->text().remove('&'));
        menus[top->text().remove('&')] = items;
    }
    QCOMPARE(menus["File"], QStringList({"Open...", "Open Folder (sharded model)...", "Open URL...", "Open Recent", "Open Sample",
                                         "Cancel Opening", "-",
                                         "Load Rules...", "Save Rules...", "Preview Config...", "Export Config for Training...",
                                         "Export Checkpoint...", "Open Session...", "Save Session...", "-",
                                         "Compare with Target...",
                                         "Diff With Checkpoint...", "Add Source...", "Close", "Quit"}));
    QCOMPARE(menus["Edit"], QStringList({"Undo", "Redo", "-", "Copy Name", "Copy Shape", "Copy Path",
                                         "Copy Path as JSON", "-", "New Rule", "Clear All Rules"}));
    QCOMPARE(menus["View"], QStringList({"Filter...", "Flat List", "Expand All", "Collapse All", "File Summary",
                                         "Only Affected by Rules", "Rules View", "Compare View", "Diff View", "Sources View"}));
    QCOMPARE(menus["Help"], QStringList({"Keyboard Shortcuts"}));
    QMap<QString, QString> owner;
    for (QAction *top : w.menuBar()->actions())
        for (QAction *a : top->menu()->actions()) {
            if (a->shortcut().isEmpty()) continue;
            const QString key = a->shortcut().toString();
            QVERIFY2(!owner.contains(key), qPrintable(key + " is on " + owner[key] + " and " + a->text()));
            owner[key] = a->text();
        }
    for (const char *k : {"Ctrl+Shift+O", "Ctrl+Shift+L", "Ctrl+S", "Ctrl+Shift+S", "Ctrl+T", "Ctrl+D", "Ctrl+Z",
                          "Ctrl+Shift+Z", "Ctrl+N", "Ctrl+Shift+A", "Ctrl+1", "Ctrl+3", "Ctrl+4", "Ctrl+E"})
        QVERIFY2(owner.contains(k), k);
}

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
