#pragma once

#include "session_file.h"

#include <QObject>

#include <optional>

class QMenu;

namespace ckpt {

class MainWindow;
class MessageBanner;

/// File > Save Session and Open Session: the checkpoint, rules, target, diff partner, filter
/// and layout in a small JSON file (session_file.h), and all of it back on opening.
class SessionController final : public QObject
{
    Q_OBJECT
public:
    SessionController(MainWindow *window, MessageBanner *banner);

    void addActions(QMenu *file);
    /// Writes the window's state; false (the banner says why) when nothing is open or it
    /// cannot be written.
    bool saveSession(const QString &path);
    /// Reads a session and opens its checkpoint; the rest follows once the file shows
    /// (takeOpening). False (the banner says why) when it cannot be read.
    bool openSession(const QString &path);
    /// The session whose checkpoint is being opened, if any: the window applies it once
    /// the checkpoint shows.
    bool isOpening() const { return m_opening.has_value(); }
    std::optional<Session> takeOpening() { return std::exchange(m_opening, std::nullopt); }
    void openFailed() { m_opening.reset(); }

private:
    MainWindow *m_window;
    MessageBanner *m_banner;
    std::optional<Session> m_opening;
};

} // namespace ckpt
