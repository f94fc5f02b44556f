#pragma once

#include <QFrame>

class QLabel;

namespace ckpt {

/// A coloured strip above a view for one message: an error that did not change what is open,
/// or a warning about the open file (dangerous pickle). Hidden when there is nothing to say.
class MessageBanner final : public QFrame
{
    Q_OBJECT
public:
    enum class Level { Info, Warning, Error };

    explicit MessageBanner(QWidget *parent = nullptr);

    void showMessage(Level level, const QString &text);
    void clear();
    QString text() const;
    Level level() const { return m_level; }

private:
    QLabel *m_label;
    Level m_level = Level::Info;
};

} // namespace ckpt
