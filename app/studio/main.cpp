// ckpt-studio: the desktop application. `ckpt-studio [FILE]` opens FILE at start.
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>

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
    parser.process(app);

    ckpt::MainWindow window;
    window.show();
    if (!parser.positionalArguments().isEmpty())
        window.openPath(parser.positionalArguments().first());
    return app.exec();
}
