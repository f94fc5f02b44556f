#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;

namespace ckpt {

/// A search field with a mode (text, glob, regex) and a line for the match count. It only
/// reports what was typed; the owner matches and tells it whether the pattern is valid.
class FilterBar final : public QWidget
{
    Q_OBJECT
public:
    enum class Mode { Text, Glob, Regex };

    explicit FilterBar(QWidget *parent = nullptr);

    QString pattern() const;
    Mode mode() const;
    void setPattern(const QString &pattern, Mode mode);
    /// Shows the outcome: a count line, or an error that marks the field invalid.
    void setStatus(const QString &text, bool error = false);
    void focusField();

Q_SIGNALS:
    void changed(const QString &pattern, ckpt::FilterBar::Mode mode);

private:
    QLineEdit *m_edit;
    QComboBox *m_mode;
    QLabel *m_status;
};

} // namespace ckpt
