// ckpt-studio: the desktop application. `ckpt-studio [FILE]` opens FILE at start.
// --select, --filter and --screenshot drive the window for documentation screenshots.
#include "ui/compare_document.h"
#include "ui/diff_document.h"
#include "ui/main_window.h"
#include "ui/tensor_page.h"
#include "ui/rule_editor.h"
#include "ui/rules_panel.h"

#include "model/rules/rule_config.h"

#include <QApplication>
#include <QStyle>
#include <QPalette>
#include <QCommandLineParser>
#include <QRegularExpression>
#include <QTimer>

#include <memory>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Checkpoint Studio"));
    QApplication::setOrganizationName(QStringLiteral("CheckpointStudio"));
    QApplication::setApplicationVersion(QStringLiteral(CKPT_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Inspect deep-learning checkpoints safely."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("Checkpoint to open."));
    parser.addPositionalArgument(QStringLiteral("other"), QStringLiteral("A second checkpoint to diff it with."), "[other]");
    const QCommandLineOption select("select", "Select the row with this full name.", "name");
    const QCommandLineOption filter("filter", "Filter the tree (glob when it has * ? [).", "pattern");
    const QCommandLineOption screenshot("screenshot", "Save the window as PNG once ready, then quit.", "png");
    const QCommandLineOption rules("rules", "Load a rules config (JSON or YAML).", "config");
    const QCommandLineOption previewRule("preview-rule", "Put this rule (JSON) in the editor, unapplied.", "json");
    const QCommandLineOption affected("only-affected", "Show only what the rules affect.");
    const QCommandLineOption showExport("show-export", "Open the Export dialog once the file is open.");
    const QCommandLineOption showOpenUrl("show-open-url", "Show File > Open URL (with --screenshot: of it).");
    const QCommandLineOption target("target", "Compare with this target architecture once open.", "path");
    const QCommandLineOption acceptFixes("accept-fixes", "With --target: accept every proposed fix.");
    const QCommandLineOption palette("palette", "Use a light or dark palette (Fusion) instead of the system's.",
                                     "light|dark");
    parser.addOptions({select, filter, screenshot, rules, previewRule, affected, showExport, showOpenUrl, target, acceptFixes, palette});
    parser.process(app);
    if (parser.isSet(palette)) {
        QApplication::setStyle(QStringLiteral("Fusion"));
        QPalette p = QApplication::style()->standardPalette();
        if (parser.value(palette) == "dark") {
            const QColor window(45, 45, 48), base(30, 30, 32), text(230, 230, 230), mid(90, 90, 95);
            p.setColor(QPalette::Window, window);
            p.setColor(QPalette::WindowText, text);
            p.setColor(QPalette::Base, base);
            p.setColor(QPalette::AlternateBase, window);
            p.setColor(QPalette::Text, text);
            p.setColor(QPalette::Button, window);
            p.setColor(QPalette::ButtonText, text);
            p.setColor(QPalette::Mid, mid);
            p.setColor(QPalette::Highlight, QColor(66, 133, 244));
            p.setColor(QPalette::HighlightedText, Qt::white);
            p.setColor(QPalette::ToolTipBase, window);
            p.setColor(QPalette::ToolTipText, text);
            p.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));
            p.setColor(QPalette::Disabled, QPalette::Text, QColor(130, 130, 130));
            p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(130, 130, 130));
            p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(130, 130, 130));
        }
        QApplication::setPalette(p);
    }

    ckpt::MainWindow window;
    window.show();
    const QString shot = parser.value(screenshot);
    auto grab = [&window, shot] {
        // One more turn of the event loop so the last paint lands.
        QTimer::singleShot(300, &window, [&window, shot] {
            // The Export dialog, when it was asked for, else the window.
            QWidget *dialog = window.findChild<QWidget *>("exportDialog");
            if (!dialog || !dialog->isVisible()) dialog = window.findChild<QWidget *>("openUrlDialog");
            (dialog && dialog->isVisible() ? dialog : static_cast<QWidget *>(&window))->grab().save(shot);
            QApplication::quit();
        });
    };
    if (parser.isSet(showOpenUrl))
        QTimer::singleShot(200, &window, [&window, grab, shot] {
            if (!shot.isEmpty()) grab();
            window.showOpenUrlDialog();
        });
    QObject::connect(&window, &ckpt::MainWindow::openFailed, &app, [shot] {
        if (!shot.isEmpty()) QApplication::exit(2);
    });
    QObject::connect(&window, &ckpt::MainWindow::documentOpened, &window, [&] {
        if (parser.isSet(rules) && !window.loadRules(parser.value(rules)) && !shot.isEmpty())
            QApplication::exit(2);
        if (parser.isSet(previewRule)) {
            auto rule = ckpt::ruleFromJson(parser.value(previewRule).toStdString());
            if (rule) {
                window.rulesPanel()->newRule();
                window.rulesPanel()->editor()->setRule(*rule);
            }
        }
        if (parser.isSet(affected)) window.setOnlyAffected(true);
        if (parser.isSet(showExport)) window.showExportDialog();
        if (parser.isSet(filter)) {
            const QString p = parser.value(filter);
            window.setFilter(p, p.contains(QRegularExpression("[*?\\[]")) ? 1 : 0);
        }
        if (parser.positionalArguments().size() >= 2) {
            // The diff was started by openPath's caller: screenshot once it is in.
            auto *diff = window.diffDocument();
            QObject::connect(diff, &ckpt::DiffDocument::finished, &window, [diff, grab, shot, select, &window, &parser] {
                if (!diff->report() || shot.isEmpty()) return;
                if (parser.isSet(select)) {
                    QObject::connect(diff, &ckpt::DiffDocument::deltaReady, &window, grab);
                    if (!window.selectDiffTensor(parser.value(select))) grab();
                    return;
                }
                grab();
            });
            QObject::connect(diff, &ckpt::DiffDocument::failed, &app, [shot] {
                if (!shot.isEmpty()) QApplication::exit(2);
            });
            return;
        }
        if (parser.isSet(target)) {
            // Screenshot once the comparison (and, asked for, the fixed one) is in.
            auto *compare = window.compareDocument();
            auto accepted = std::make_shared<bool>(!parser.isSet(acceptFixes));
            QObject::connect(compare, &ckpt::CompareDocument::changed, &window, [=] {
                if (!*accepted) {
                    *accepted = true;
                    compare->acceptAll();
                    return;
                }
                if (!shot.isEmpty()) grab();
            });
            QObject::connect(compare, &ckpt::CompareDocument::failed, &app, [shot] {
                if (!shot.isEmpty()) QApplication::exit(2);
            });
            window.openTarget(parser.value(target));
            return;
        }
        if (parser.isSet(select) && window.selectFullName(parser.value(select)) &&
            window.currentIsTensor() && !shot.isEmpty()) {
            QObject::connect(window.tensorPage(), &ckpt::TensorPage::statsFinished, &window, grab);
            return;
        }
        if (!shot.isEmpty()) grab();
    });
    if (!parser.positionalArguments().isEmpty())
        window.openPath(parser.positionalArguments().first());
    if (parser.positionalArguments().size() >= 2) window.diffWith(parser.positionalArguments()[1]);
    return app.exec();
}
