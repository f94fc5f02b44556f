#pragma once

#include "document_loader.h"

#include <QFutureWatcher>
#include <QObject>
#include <QStringList>

#include <functional>

class QAction;
class QLabel;
class QTimer;
class QMenu;
class QProgressBar;
class QWidget;

namespace ckpt {

class MessageBanner;

/// The File menu's opening side: Open, Open Folder, Open URL, Open Recent, Open Sample, Close,
/// Quit. Owns the open document and the background loader; a failure shows the core's one-line
/// error and leaves what was open as it was. Opening an address shows the bytes fetched as
/// they come, and Escape (Cancel Opening) stops it.
class FileController final : public QObject
{
    Q_OBJECT
public:
    FileController(QWidget *window, MessageBanner *banner, QLabel *status, QProgressBar *busy);
    ~FileController() override;

    void addActions(QMenu *file);

    /// Starts opening a file or model folder (see documentInstalled / openFailed).
    void openPath(const QString &path);
    /// Re-lays the open document's tree flat or by modules (in the background).
    void setFlat(bool flat);
    void closeDocument();
    /// Asked before another file replaces the open one (its path) and before Close; false
    /// stops it.
    void setGuards(std::function<bool(const QString &)> beforeOpen, std::function<bool()> beforeClose);

    const LoadedDocument &document() const { return m_document; }
    bool isOpening() const { return m_loader.isRunning(); }
    QStringList recentFiles() const;
    /// Addresses opened with Open URL, latest first.
    QStringList urlHistory() const;
    /// File > Open URL: an address, from the history or typed, opened like a file.
    void chooseUrl();
    /// Stops an opening in progress (its fetches fail with "cancelled").
    void cancelOpening();

Q_SIGNALS:
    /// A document (or its re-laid tree) is in document(): show it.
    void documentInstalled();
    /// Nothing is open any more.
    void documentClosed();
    void documentOpened(const QString &path);
    void openFailed(const QString &path, const QString &error);

private:
    void onLoaded();
    void chooseFile();
    void chooseFolder();
    void showFetched();
    void rememberRecent(const QString &path);
    void refreshRecentMenu();

    QWidget *m_window;
    MessageBanner *m_banner;
    QLabel *m_status;
    QProgressBar *m_busy;
    QMenu *m_recentMenu = nullptr;
    QAction *m_cancel = nullptr;
    QTimer *m_fetchTimer = nullptr;
    QString m_opening;     ///< the path being opened
    uint64_t m_fetchedBefore = 0, m_requestsBefore = 0;
    LoadedDocument m_document;
    QFutureWatcher<LoadedDocument> m_loader;
    bool m_flat = false;
    std::function<bool(const QString &)> m_beforeOpen;
    std::function<bool()> m_beforeClose;
};

/// Where the bundled sample checkpoint is (next to the executable or in the source tree).
QString sampleCheckpointPath();

} // namespace ckpt
