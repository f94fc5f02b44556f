#include "config_preview_dialog.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace ckpt {
namespace {

const std::pair<const char *, const char *> kFormats[] = {
    {"config-json", "Config with resolved result (JSON)"},
    {"config-yaml", "Config with resolved result (YAML)"},
    {"json", "Rules only (JSON)"},
    {"yaml", "Rules only (YAML)"},
    {"python", "Python function apply_rules(model)"},
    {"anemoi", "anemoi-training block (YAML)"},
    {"kempnerforge", "KempnerForge freeze specs (TOML)"},
    {"linnaeus", "linnaeus metadata and filters (YAML)"},
};

} // namespace

ConfigPreviewDialog::ConfigPreviewDialog(TextOf text, Save save, QWidget *parent)
    : QDialog(parent), m_textOf(std::move(text)), m_format(new QComboBox(this)), m_text(new QPlainTextEdit(this)),
      m_status(new QLabel(this))
{
    setObjectName("configPreview");
    setWindowTitle(tr("Preview Config"));
    m_format->setObjectName("previewFormat");
    for (const auto &[key, label] : kFormats) m_format->addItem(tr(label), QString::fromLatin1(key));
    m_text->setObjectName("previewText");
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_status->setObjectName("previewStatus");
    auto *copy = new QPushButton(tr("&Copy"), this);
    copy->setObjectName("previewCopy");
    auto *saveButton = new QPushButton(tr("&Save As..."), this);
    auto *close = new QPushButton(tr("Close"), this);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ConfigPreviewDialog::refresh);
    connect(copy, &QPushButton::clicked, this, [this] {
        QApplication::clipboard()->setText(m_text->toPlainText());
        m_status->setText(tr("Copied %n line(s).", nullptr, int(m_text->document()->lineCount())));
    });
    connect(saveButton, &QPushButton::clicked, this, [this, save] { save(m_format->currentData().toString()); });
    connect(close, &QPushButton::clicked, this, &QDialog::close);
    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Format"), this));
    top->addWidget(m_format, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_status, 1);
    buttons->addWidget(copy);
    buttons->addWidget(saveButton);
    buttons->addWidget(close);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_text, 1);
    layout->addLayout(buttons);
    resize(640, 520);
    refresh();
}

void ConfigPreviewDialog::refresh()
{
    QString error;
    const auto text = m_textOf(m_format->currentData().toString(), &error);
    m_text->setPlainText(text ? QString::fromStdString(*text) : QString());
    m_status->setText(text ? QString() : error);
}

QString ConfigPreviewDialog::text() const { return m_text->toPlainText(); }

void ConfigPreviewDialog::setFormat(const QString &format)
{
    const int i = m_format->findData(format);
    if (i >= 0) m_format->setCurrentIndex(i);
}

} // namespace ckpt
