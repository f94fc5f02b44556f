#pragma once

#include <QString>
#include <QStringList>

class QWidget;

namespace ckpt {

/// Asks before something is lost or done differently than the user may think: a message box
/// (objectName `name`) with the buttons `choices` (the first is the default, the last is what
/// Esc does) that waits for an answer. Returns the index of the choice, the last one when the
/// box is dismissed.
int askQuestion(QWidget *parent, const QString &name, const QString &title, const QString &text,
                const QStringList &choices);

} // namespace ckpt
