#pragma once

#include "model/rules/rule_set.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace ckpt {

/// What File > Save Session keeps: the checkpoint, the rules, the compare target, the diff
/// partner, the filter and the window's layout. A small JSON file:
/// {"ckpt_session": 1, "checkpoint": PATH, "rules": CONFIG, "target": PATH|null,
///  "diff": PATH|null, "filter": {"pattern", "mode"}, "flat": BOOL, "layout": BASE64}.
struct Session
{
    QString checkpoint;
    RuleSet rules;
    QString target; ///< empty: none
    QString diff;   ///< empty: none
    QString filter;
    int filterMode = 0; ///< FilterBar::Mode
    bool flat = false;
    QByteArray layout;  ///< QMainWindow::saveState()
};

/// Nullopt with `error` set to one line ("rules[2].match.glob: expected a string") when the
/// file cannot be read or is not a session.
std::optional<Session> readSession(const QString &path, QString *error);
/// Written atomically; false with `error` set when it cannot be.
bool writeSession(const QString &path, const Session &session, QString *error);

} // namespace ckpt
