#include "filter_bar.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QShortcut>
#include <QTimer>

namespace ckpt {

FilterBar::FilterBar(QWidget *parent)
    : QWidget(parent), m_edit(new QLineEdit(this)), m_mode(new QComboBox(this)), m_status(new QLabel(this))
{
    setObjectName("filterBar");
    m_edit->setObjectName("filterEdit");
    m_mode->setObjectName("filterMode");
    m_status->setObjectName("filterStatus");
    m_edit->setPlaceholderText(tr("Filter names (Ctrl+F): encoder, *.bias, ^layer\\d+\\."));
    m_edit->setClearButtonEnabled(true);
    auto *escape = new QShortcut(QKeySequence(Qt::Key_Escape), m_edit, nullptr, nullptr, Qt::WidgetShortcut);
    connect(escape, &QShortcut::activated, m_edit, &QLineEdit::clear);
    m_mode->addItem(tr("Text"));
    m_mode->addItem(tr("Glob"));
    m_mode->addItem(tr("Regex"));
    m_mode->setToolTip(tr("Text: anywhere, any case. Glob: Python fnmatch on the whole name. "
                          "Regex: RE2 (Python re) anywhere in the name."));
    // Typing in a 100k-row tree: wait for a pause before filtering.
    auto *debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(120);
    connect(m_edit, &QLineEdit::textChanged, debounce, qOverload<>(&QTimer::start));
    connect(debounce, &QTimer::timeout, this, [this] { Q_EMIT changed(pattern(), mode()); });
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this] { Q_EMIT changed(pattern(), mode()); });
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_edit, 1);
    layout->addWidget(m_mode);
    layout->addWidget(m_status);
}

QString FilterBar::pattern() const { return m_edit->text(); }
FilterBar::Mode FilterBar::mode() const { return Mode(m_mode->currentIndex()); }

void FilterBar::setPattern(const QString &pattern, Mode mode)
{
    m_mode->setCurrentIndex(int(mode));
    m_edit->setText(pattern);
    Q_EMIT changed(pattern, mode);
}

void FilterBar::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_edit->setStyleSheet(error ? QStringLiteral("QLineEdit{border:1px solid #d93025;}") : QString());
    m_edit->setToolTip(error ? text : QString());
}

void FilterBar::focusField()
{
    m_edit->setFocus();
    m_edit->selectAll();
}

} // namespace ckpt
