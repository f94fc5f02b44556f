#include "file_controller.h"

#include "location_text.h"
#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "widgets/message_banner.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QProgressBar>
#include <QSettings>
#include <QTimer>

namespace ckpt {
namespace {

constexpr int kMaxRecent = 10;
constexpr int kMaxUrls = 20;

} // namespace

FileController::FileController(QWidget *window, MessageBanner *banner, QLabel *status, QProgressBar *busy)
    : QObject(window), m_window(window), m_banner(banner), m_status(status), m_busy(busy)
{
    connect(&m_loader, &QFutureWatcher<LoadedDocument>::finished, this, &FileController::onLoaded);
    m_fetchTimer = new QTimer(this);
    m_fetchTimer->setInterval(150);
    connect(m_fetchTimer, &QTimer::timeout, this, &FileController::showFetched);
}

FileController::~FileController() { m_loader.waitForFinished(); }

void FileController::addActions(QMenu *file)
{
    file->addAction(tr("&Open..."), QKeySequence::Open, this, &FileController::chooseFile);
    file->addAction(tr("Open &Folder (sharded model)..."), QKeySequence(tr("Ctrl+Shift+O")), this,
                    &FileController::chooseFolder);
    file->addAction(tr("Open &URL..."), QKeySequence(tr("Ctrl+U")), this, &FileController::chooseUrl);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    refreshRecentMenu();
    file->addAction(tr("Open &Sample"), this, [this] { openPath(sampleCheckpointPath()); });
    m_cancel = file->addAction(tr("Cancel Opening"), QKeySequence(Qt::Key_Escape), this, &FileController::cancelOpening);
    m_cancel->setEnabled(false);
    file->addSeparator();
    // Spelled out: some platform themes map QKeySequence::Close to Ctrl+F4.
    file->addAction(tr("&Close"), QKeySequence(Qt::CTRL | Qt::Key_W), this, &FileController::closeDocument);
    file->addAction(tr("&Quit"), QKeySequence(Qt::CTRL | Qt::Key_Q), m_window, &QWidget::close);
}

void FileController::openPath(const QString &path)
{
    if (path.isEmpty()) return;
    if (m_document.checkpoint && path != m_document.path && m_beforeOpen && !m_beforeOpen(path)) return;
    HttpClient::shared().resetCancel();
    const HttpCounters before = HttpClient::shared().counters();
    m_fetchedBefore = before.bytes;
    m_requestsBefore = before.requests;
    m_opening = path;
    m_loader.setFuture(loadDocument(path, m_flat));
    m_busy->show();
    if (m_cancel) m_cancel->setEnabled(true);
    m_status->setText(tr("Opening %1...").arg(QFileInfo(path).fileName()));
    if (isRemoteAddress(path.toStdString())) m_fetchTimer->start();
}

void FileController::showFetched()
{
    const HttpCounters now = HttpClient::shared().counters();
    m_status->setText(tr("Opening %1... %2 fetched in %3 requests (Esc cancels)")
                          .arg(QFileInfo(m_opening).fileName(),
                               QString::fromStdString(humanBytes(now.bytes - m_fetchedBefore)))
                          .arg(now.requests - m_requestsBefore));
}

void FileController::cancelOpening()
{
    if (!m_loader.isRunning()) return;
    HttpClient::shared().cancel();
    m_status->setText(tr("Cancelling..."));
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
    m_fetchTimer->stop();
    if (m_cancel) m_cancel->setEnabled(false);
    LoadedDocument loaded = m_loader.result();
    if (!loaded.checkpoint && HttpClient::shared().cancelled()) {
        HttpClient::shared().resetCancel();
        m_status->setText(m_document.checkpoint ? tr("Opening cancelled; still showing %1").arg(QFileInfo(m_document.path).fileName())
                                                : tr("Opening cancelled"));
        return;
    }
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

void FileController::chooseUrl()
{
    const QStringList history = urlHistory();
    QInputDialog dialog(m_window);
    dialog.setObjectName("openUrlDialog");
    dialog.setWindowTitle(tr("Open URL"));
    dialog.setLabelText(tr("A checkpoint's address: https://..., hf://ORG/REPO[@REVISION][/PATH] or s3://BUCKET/KEY.\n"
                           "Only the bytes needed are fetched; HF_TOKEN and the AWS settings are used when set."));
    dialog.setComboBoxItems(history);
    dialog.setComboBoxEditable(true);
    dialog.setTextValue(history.isEmpty() ? QStringLiteral("hf://") : history.front());
    dialog.resize(640, dialog.sizeHint().height());
    const bool ok = dialog.exec() == QDialog::Accepted;
    const QString url = dialog.textValue().trimmed();
    if (!ok || url.isEmpty()) return;
    if (!isRemoteAddress(url.toStdString())) {
        m_banner->showMessage(MessageBanner::Level::Error,
                              tr("%1 is not an address: it starts with https://, http://, hf:// or s3://").arg(url));
        return;
    }
    QStringList urls = history;
    urls.removeAll(url);
    urls.prepend(url);
    while (urls.size() > kMaxUrls) urls.removeLast();
    QSettings().setValue("urlHistory", urls);
    openPath(url);
}

QStringList FileController::urlHistory() const
{
    return QSettings().value("urlHistory").toStringList();
}

QStringList FileController::recentFiles() const
{
    return QSettings().value("recentFiles").toStringList();
}

void FileController::rememberRecent(const QString &path)
{
    QStringList recent = recentFiles();
    const QString absolute = absoluteLocation(path);
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
        m_recentMenu->addAction(locationLabel(path), this, [this, path] { openPath(path); });
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
