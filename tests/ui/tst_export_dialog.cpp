// The export dialog asks before it does what the user may not expect: a name of another
// format, a file that exists, optimizer state that would no longer fit; and it says which
// hyper-parameters look stale.
#include "ui/export_dialog.h"
#include "ui/main_window.h"
#include "ui/rules_document.h"
#include "ui_test_helpers.h"

#include "model/rules/rule_config.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLineEdit>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace ckpt;
using namespace ckpt::test;

namespace {


QByteArray head(const QString &path, int n)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.read(n) : QByteArray();
}

/// Starts the export and waits for it; false when it did not run (a question said no).
bool exportAndWait(ExportDialog *dialog)
{
    QSignalSpy finished(dialog, &ExportDialog::finished);
    dialog->start();
    if (!dialog->running() && finished.isEmpty()) return false;
    return (!finished.isEmpty() || finished.wait(60000)) && finished.last().at(0).toBool();
}

} // namespace

class TestExportDialog final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void formatFollowsTheName();
    void asksBeforeReplacingAFile();
    void asksWhenTheOptimizerStateWouldNotFit();
};

void TestExportDialog::formatFollowsTheName()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    QTemporaryDir dir;
    ExportDialog *dialog = w.showExportDialog();
    auto *format = dialog->findChild<QComboBox *>("exportFormat");
    QVERIFY(format);
    QCOMPARE(format->currentIndex(), 0); // a .pt source: .edited.pt
    dialog->setOutput(dir.filePath("model.safetensors"));
    QCOMPARE(format->currentIndex(), 1);
    QCOMPARE(dialog->options().format, ExportOptions::Format::Safetensors);
    dialog->setOutput(dir.filePath("model.ckpt"));
    QCOMPARE(format->currentIndex(), 0);
    // Picked by hand, the format renames the file; a name typed after that is asked about.
    format->setCurrentIndex(1);
    QCOMPARE(dialog->findChild<QLineEdit *>("exportOutput")->text(), dir.filePath("model.safetensors"));
    dialog->setOutput(dir.filePath("weights.pt"));
    QCOMPARE(format->currentIndex(), 1);
    QString asked;
    answerNext("exportFormatQuestion", "Cancel", &asked);
    QVERIFY(!exportAndWait(dialog));
    QVERIFY(asked.contains("weights.pt is a PyTorch name, but the format chosen is safetensors"));
    QVERIFY(!QFile::exists(dir.filePath("weights.pt")));
    answerNext("exportFormatQuestion", "Write PyTorch");
    QVERIFY(exportAndWait(dialog));
    QCOMPARE(head(dir.filePath("weights.pt"), 2), QByteArray("PK")); // a torch.save zip
    answerNext("exportFormatQuestion", "Write safetensors Anyway");
    format->setCurrentIndex(1);
    dialog->setOutput(dir.filePath("other.pt"));
    QVERIFY(exportAndWait(dialog));
    QVERIFY(head(dir.filePath("other.pt"), 9).endsWith("{")); // an 8-byte header length, then JSON
    // NumPy: picked by hand it renames the file, and writes a zip of .npy records.
    format->setCurrentIndex(2);
    QCOMPARE(dialog->findChild<QLineEdit *>("exportOutput")->text(), dir.filePath("other.npz"));
    QCOMPARE(dialog->options().format, ExportOptions::Format::Npz);
    QVERIFY(exportAndWait(dialog));
    QFile npz(dir.filePath("other.npz"));
    QVERIFY(npz.open(QIODevice::ReadOnly));
    const QByteArray zip = npz.readAll();
    QVERIFY(zip.startsWith("PK") && zip.contains(".npy") && zip.contains("\x93NUMPY"));
    // GGUF, with Q8_0 matrices asked for.
    format->setCurrentIndex(3);
    QCOMPARE(dialog->findChild<QLineEdit *>("exportOutput")->text(), dir.filePath("other.gguf"));
    auto *q8 = dialog->findChild<QComboBox *>("exportGgufType");
    QVERIFY(q8 && q8->isEnabled());
    QCOMPARE(dialog->options().ggufType, std::string());
    q8->setCurrentIndex(4);
    QCOMPARE(dialog->options().ggufType, std::string("Q8_0"));
    QVERIFY(exportAndWait(dialog));
    QCOMPARE(head(dir.filePath("other.gguf"), 4), QByteArray("GGUF"));
    format->setCurrentIndex(0);
    QVERIFY(!q8->isEnabled());
}

void TestExportDialog::asksBeforeReplacingAFile()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/resnet18.pt")));
    w.rulesDocument()->addRule(ruleFrom(R"({"action":"drop","match":{"prefix":"fc."}})"));
    QTemporaryDir dir;
    const QString out = dir.filePath("edited.pt");
    {
        QFile f(out);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("precious");
    }
    ExportDialog *dialog = w.showExportDialog();
    dialog->setOutput(out);
    QString asked;
    answerNext("exportOverwriteQuestion", "Cancel", &asked);
    QVERIFY(!exportAndWait(dialog));
    QVERIFY(asked.contains("edited.pt exists"));
    QCOMPARE(head(out, 8), QByteArray("precious"));
    answerNext("exportOverwriteQuestion", "Replace");
    QVERIFY(exportAndWait(dialog));
    QCOMPARE(head(out, 2), QByteArray("PK"));
}

void TestExportDialog::asksWhenTheOptimizerStateWouldNotFit()
{
    MainWindow w;
    QVERIFY(openAndWait(w, fixture("ok/lightning.ckpt")));
    w.rulesDocument()->addRule(
        ruleFrom(R"({"action":"resize","match":{"name":"model.fc.weight"},"shape":[10,512],"method":"rows"})"));
    w.rulesDocument()->addRule(ruleFrom(R"({"action":"resize","match":{"name":"model.fc.bias"},"shape":[10],"method":"rows"})"));
    QTemporaryDir dir;
    ExportDialog *dialog = w.showExportDialog();
    dialog->setOutput(dir.filePath("fixed.ckpt"));
    QString asked;
    answerNext("exportOptimizerQuestion", "Cancel", &asked);
    QVERIFY(!exportAndWait(dialog));
    QVERIFY2(asked.contains("no longer fits the weights (model.fc.weight [1000, 512] -> [10, 512], "
                            "model.fc.bias [1000] -> [10])"),
             qPrintable(asked));
    QVERIFY(!QFile::exists(dir.filePath("fixed.ckpt")));
    answerNext("exportOptimizerQuestion", "Reset Those Entries");
    QVERIFY(exportAndWait(dialog));
    QCOMPARE(dialog->options().optimizer, ExportOptions::Optimizer::Reset);
    QVERIFY2(dialog->resultText().contains("optimizer state remapped (2 entries reset)"), qPrintable(dialog->resultText()));
    // The head went from 1000 classes to 10: the hyper-parameter that says 1000 is named.
    QVERIFY(dialog->resultText().contains("hyper_parameters.num_classes is 1000"));
    // Weights only is the other way out, and needs no optimizer answer.
    dialog->findChild<QComboBox *>("exportOptimizer")->setCurrentIndex(0);
    dialog->setOutput(dir.filePath("weights.ckpt"));
    answerNext("exportOptimizerQuestion", "Export Weights Only");
    QVERIFY(exportAndWait(dialog));
    QVERIFY(dialog->options().weightsOnly);
}

QTEST_MAIN(TestExportDialog)
#include "tst_export_dialog.moc"
