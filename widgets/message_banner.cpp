#include "message_banner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

namespace ckpt {

MessageBanner::MessageBanner(QWidget *parent) : QFrame(parent), m_label(new QLabel(this))
{
    setObjectName("messageBanner");
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *close = new QToolButton(this);
    close->setText(QStringLiteral("✕"));
    close->setAutoRaise(true);
    close->setToolTip(tr("Dismiss"));
    connect(close, &QToolButton::clicked, this, &MessageBanner::clear);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 6, 6);
    layout->addWidget(m_label, 1);
    layout->addWidget(close, 0, Qt::AlignTop);
    hide();
}

void MessageBanner::showMessage(Level level, const QString &text)
{
    m_level = level;
    static const char *styles[] = {
        "background:#e8f0fe; color:#1a3e72; border:1px solid #aac4f0; border-radius:4px;",
        "background:#fff4e5; color:#663c00; border:1px solid #ffb74d; border-radius:4px;",
        "background:#fdecea; color:#611a15; border:1px solid #f5a29a; border-radius:4px;"};
    setStyleSheet(QStringLiteral("#messageBanner{%1}").arg(QLatin1String(styles[int(level)])));
    m_label->setText(text);
    show();
}

void MessageBanner::clear()
{
    m_label->clear();
    hide();
}

QString MessageBanner::text() const { return m_label->text(); }

} // namespace ckpt
