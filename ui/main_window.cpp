#include "main_window.h"

#include "model/checkpoint.h"
#include "model/text_report.h"
#include "widgets/message_banner.h"

#include <QAction>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QStatusBar>
#include <QVBoxLayout>

namespace ckpt {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_banner(new MessageBanner(this)), m_report(new QPlainTextEdit(this))
{
    setObjectName("mainWindow");
    m_report->setObjectName("reportView");
    m_report->setReadOnly(true);
    m_report->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_report->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_report->setPlaceholderText(tr("Open a checkpoint with File > Open (Ctrl+O)."));
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_banner);
    layout->addWidget(m_report, 1);
    setCentralWidget(central);
    createMenus();
    setWindowTitle(tr("Checkpoint Studio"));
    resize(1100, 720);
    statusBar()->showMessage(tr("Ready"));
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open..."), QKeySequence::Open, this, &MainWindow::chooseFile);
    file->addAction(tr("Open &Sample"), this, &MainWindow::openSample);
    file->addAction(tr("&Close"), QKeySequence::Close, this, &MainWindow::closeFile);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
}

bool MainWindow::openPath(const QString &path)
{
    auto opened = Checkpoint::open(path.toStdString());
    if (!opened) {
        m_banner->showMessage(MessageBanner::Level::Error,
                              tr("%1: %2").arg(QFileInfo(path).fileName(),
                                               QString::fromStdString(opened.error().message)));
        return false;
    }
    m_checkpoint = opened.value();
    m_path = path;
    m_report->setPlainText(QString::fromStdString(inspectText(*m_checkpoint, path.toStdString())));
    if (m_checkpoint->safety().dangerous)
        m_banner->showMessage(MessageBanner::Level::Warning,
                              tr("This file names code that can run commands when loaded with "
                                 "torch.load. Nothing was run; see the safety lines below."));
    else
        m_banner->clear();
    setWindowTitle(tr("%1 - Checkpoint Studio").arg(QFileInfo(path).fileName()));
    statusBar()->showMessage(tr("%n tensor(s)", nullptr, int(m_checkpoint->entries().size())));
    return true;
}

void MainWindow::chooseFile()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open checkpoint"), QString(),
        tr("Checkpoints (*.pt *.pth *.bin *.ckpt *.safetensors *.json);;All files (*)"));
    if (!path.isEmpty()) openPath(path);
}

void MainWindow::openSample()
{
    openPath(sampleCheckpointPath());
}

void MainWindow::closeFile()
{
    m_checkpoint.reset();
    m_path.clear();
    m_report->clear();
    m_banner->clear();
    setWindowTitle(tr("Checkpoint Studio"));
}

QString sampleCheckpointPath()
{
    const QString exeDir = QCoreApplication::applicationDirPath();
    for (const QString &candidate :
         {exeDir + "/../share/ckpt-studio/samples/tiny_vit.pt",
          QStringLiteral(CKPT_SOURCE_DIR "/resources/samples/tiny_vit.pt")})
        if (QFileInfo::exists(candidate)) return QDir::cleanPath(candidate);
    return QStringLiteral(CKPT_SOURCE_DIR "/resources/samples/tiny_vit.pt");
}

} // namespace ckpt
