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
    // Its own light colours in any theme: the text is set on the label and the button too, so a
    // dark palette's light text never lands on the light background.
    static const char *const backgrounds[] = {"background:#e8f0fe; border:1px solid #aac4f0;",
                                              "background:#fff4e5; border:1px solid #ffb74d;",
                                              "background:#fdecea; border:1px solid #f5a29a;"};
    static const char *const texts[] = {"#1a3e72", "#663c00", "#611a15"};
    setStyleSheet(QStringLiteral("#messageBanner{%1 border-radius:4px; color:%2;}"
                                 " #messageBanner QLabel, #messageBanner QToolButton{color:%2; background:transparent;}")
                      .arg(QLatin1String(backgrounds[int(level)]), QLatin1String(texts[int(level)])));
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
