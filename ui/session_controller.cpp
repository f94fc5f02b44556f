#include "session_controller.h"

#include "location_text.h"
#include "compare_document.h"
#include "diff_document.h"
#include "main_window.h"
#include "rules_document.h"
#include "window_helpers.h"

#include "widgets/filter_bar.h"
#include "widgets/message_banner.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>

namespace ckpt {

SessionController::SessionController(MainWindow *window, MessageBanner *banner)
    : QObject(window), m_window(window), m_banner(banner)
{
}

void SessionController::addActions(QMenu *file)
{
    QAction *open = insertFileAction(file, tr("Open Sess&ion..."), QKeySequence(), this);
    connect(open, &QAction::triggered, this, [this] {
        const QString path = chooseFileFor(m_window, "session", tr("Open Session"),
                                           tr("Sessions (*.ckpt-session.json *.json);;All files (*)"));
        if (!path.isEmpty()) openSession(path);
    });
    QAction *save = insertFileAction(file, tr("Save Session..."), QKeySequence(), this);
    connect(save, &QAction::triggered, this, [this] {
        const QString base = QFileInfo(m_window->currentPath()).completeBaseName();
        const QString path = QFileDialog::getSaveFileName(m_window, tr("Save Session"), base + ".ckpt-session.json",
                                                          tr("Sessions (*.ckpt-session.json *.json)"));
        if (!path.isEmpty()) saveSession(path);
    });
}

bool SessionController::saveSession(const QString &path)
{
    if (m_window->currentPath().isEmpty()) {
        m_banner->showMessage(MessageBanner::Level::Error, tr("Open a checkpoint first: a session starts from one."));
        return false;
    }
    Session s;
    s.checkpoint = absoluteLocation(m_window->currentPath());
    s.rules = m_window->rulesDocument()->rules();
    if (m_window->compareDocument()->hasTarget()) s.target = m_window->compareDocument()->targetPath();
    if (m_window->diffDocument()->report() || m_window->diffDocument()->isRunning())
        s.diff = m_window->diffDocument()->pathB();
    s.filter = m_window->filterBar()->pattern();
    s.filterMode = int(m_window->filterBar()->mode());
    s.flat = m_window->isFlat();
    s.layout = m_window->saveState();
    QString error;
    if (!writeSession(path, s, &error)) {
        m_banner->showMessage(MessageBanner::Level::Error, tr("Could not write %1: %2").arg(path, error));
        return false;
    }
    m_window->rulesDocument()->markSaved(); // the session holds them
    return true;
}

bool SessionController::openSession(const QString &path)
{
    QString error;
    auto session = readSession(path, &error);
    if (!session) {
        m_banner->showMessage(MessageBanner::Level::Error, tr("Could not open the session %1: %2").arg(path, error));
        return false;
    }
    if (!m_window->offerToSaveRules(tr("Open Session"))) return false;
    const QString checkpoint = session->checkpoint;
    m_opening = std::move(session);
    if (absoluteLocation(checkpoint) == absoluteLocation(m_window->currentPath()))
        m_window->applySession(*takeOpening()); // already open
    else
        m_window->openPath(checkpoint);
    return true;
}

} // namespace ckpt
