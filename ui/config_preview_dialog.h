#pragma once

#include <QDialog>

#include <functional>
#include <optional>
#include <string>

class QComboBox;
class QLabel;
class QPlainTextEdit;

namespace ckpt {

/// The config as it would be written, in any format (the rules, the config with its resolved
/// result, the Python function, a trainer's block), before anything is saved: read, copied to
/// the clipboard (Copy), or saved. Follows the rules while open (refresh()).
class ConfigPreviewDialog final : public QDialog
{
    Q_OBJECT
public:
    /// `text(format, error)`: the text of a format, or nullopt with the reason.
    using TextOf = std::function<std::optional<std::string>(const QString &format, QString *error)>;
    using Save = std::function<void(const QString &format)>;
    ConfigPreviewDialog(TextOf text, Save save, QWidget *parent = nullptr);

    void refresh();
    QString text() const;
    void setFormat(const QString &format);

private:
    TextOf m_textOf;
    QComboBox *m_format;
    QPlainTextEdit *m_text;
    QLabel *m_status;
};

} // namespace ckpt
