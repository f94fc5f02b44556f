#include "file_controller.h"

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "widgets/message_banner.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QProgressBar>
#include <QSettings>

namespace ckpt {
namespace {

constexpr int kMaxRecent = 10;

} // namespace

FileController::FileController(QWidget *window, MessageBanner *banner, QLabel *status, QProgressBar *busy)
    : QObject(window), m_window(window), m_banner(banner), m_status(status), m_busy(busy)
{
    connect(&m_loader, &QFutureWatcher<LoadedDocument>::finished, this, &FileController::onLoaded);
}

FileController::~FileController() { m_loader.waitForFinished(); }

void FileController::addActions(QMenu *file)
{
    file->addAction(tr("&Open..."), QKeySequence::Open, this, &FileController::chooseFile);
    file->addAction(tr("Open &Folder (sharded model)..."), QKeySequence(tr("Ctrl+Shift+O")), this,
                    &FileController::chooseFolder);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    refreshRecentMenu();
    file->addAction(tr("Open &Sample"), this, [this] { openPath(sampleCheckpointPath()); });
    file->addSeparator();
    // Spelled out: some platform themes map QKeySequence::Close to Ctrl+F4.
    file->addAction(tr("&Close"), QKeySequence(Qt::CTRL | Qt::Key_W), this, &FileController::closeDocument);
    file->addAction(tr("&Quit"), QKeySequence(Qt::CTRL | Qt::Key_Q), m_window, &QWidget::close);
}

void FileController::openPath(const QString &path)
{
    if (path.isEmpty()) return;
    if (m_document.checkpoint && path != m_document.path && m_beforeOpen && !m_beforeOpen(path)) return;
    m_loader.setFuture(loadDocument(path, m_flat));
    m_busy->show();
    m_status->setText(tr("Opening %1...").arg(QFileInfo(path).fileName()));
}

void FileController::setFlat(bool flat)
{
    m_flat = flat;
    if (!m_document.checkpoint) return;
    m_loader.setFuture(rebuildTree(m_document, flat));
    m_busy->show();
}

void FileController::onLoaded()
{
    m_busy->hide();
    LoadedDocument loaded = m_loader.result();
    if (!loaded.checkpoint) {
        const QString line = tr("%1: %2").arg(loaded.path, loaded.error);
        m_banner->showMessage(MessageBanner::Level::Error, tr("Could not open %1").arg(line));
        m_status->setText(m_document.checkpoint ? tr("Still showing %1").arg(QFileInfo(m_document.path).fileName())
                                                : tr("Nothing open"));
        // One message, in the window: no dialog on top of the banner.
        Q_EMIT openFailed(loaded.path, loaded.error);
        return;
    }
    const bool sameFile = loaded.path == m_document.path;
    m_document = std::move(loaded);
    m_banner->clear();
    Q_EMIT documentInstalled();
    const CheckpointSummary s = summarize(*m_document.checkpoint);
    m_status->setText(tr("%1 · %2 tensors · %3 parameters · %4 · opened in %5 ms")
                          .arg(QString::fromStdString(s.format))
                          .arg(s.tensorCount)
                          .arg(QString::fromStdString(humanCount(s.parameters)),
                               QString::fromStdString(humanBytes(s.tensorBytes)))
                          .arg(m_document.milliseconds));
    if (!sameFile) rememberRecent(m_document.path);
    Q_EMIT documentOpened(m_document.path);
}

void FileController::setGuards(std::function<bool(const QString &)> beforeOpen, std::function<bool()> beforeClose)
{
    m_beforeOpen = std::move(beforeOpen);
    m_beforeClose = std::move(beforeClose);
}

void FileController::closeDocument()
{
    if (m_document.checkpoint && m_beforeClose && !m_beforeClose()) return;
    m_document = {};
    m_banner->clear();
    Q_EMIT documentClosed();
    m_status->setText(tr("Nothing open"));
}

void FileController::chooseFile()
{
    const QString path = QFileDialog::getOpenFileName(
        m_window, tr("Open checkpoint"), QFileInfo(m_document.path).absolutePath(),
        tr("Checkpoints (*.pt *.pth *.bin *.ckpt *.safetensors *.index.json);;All files (*)"));
    openPath(path);
}

void FileController::chooseFolder()
{
    openPath(QFileDialog::getExistingDirectory(m_window, tr("Open a sharded model's folder"),
                                               QFileInfo(m_document.path).absolutePath()));
}

QStringList FileController::recentFiles() const
{
    return QSettings().value("recentFiles").toStringList();
}

void FileController::rememberRecent(const QString &path)
{
    QStringList recent = recentFiles();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > kMaxRecent) recent.removeLast();
    QSettings().setValue("recentFiles", recent);
    refreshRecentMenu();
}

void FileController::refreshRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = recentFiles();
    for (const QString &path : recent)
        m_recentMenu->addAction(QFileInfo(path).fileName() + "  —  " + QFileInfo(path).absolutePath(),
                                this, [this, path] { openPath(path); });
    m_recentMenu->setEnabled(!recent.isEmpty());
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
