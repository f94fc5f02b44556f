#include "keep_dialog.h"

#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace ckpt {

std::optional<KeepChoice> askWhatToKeep(QWidget *parent, const QString &opening, int rules, bool unsaved,
                                        const QString &target)
{
    QDialog dialog(parent);
    dialog.setObjectName("keepDialog");
    dialog.setWindowTitle(QObject::tr("Open %1").arg(QFileInfo(opening).fileName()));
    auto *layout = new QVBoxLayout(&dialog);
    auto *text = new QLabel(QObject::tr("Opening %1. Keep for it:").arg(QFileInfo(opening).fileName()), &dialog);
    text->setWordWrap(true);
    layout->addWidget(text);
    auto *keepRules = new QCheckBox(
        QObject::tr("The %n rule(s) (they will apply to the new file by name)", nullptr, rules) +
            (unsaved ? QObject::tr("; not saved, Undo brings them back if left") : QString()),
        &dialog);
    keepRules->setObjectName("keepRules");
    keepRules->setVisible(rules > 0);
    layout->addWidget(keepRules);
    auto *keepTarget = new QCheckBox(QObject::tr("The compare target, %1").arg(target), &dialog);
    keepTarget->setObjectName("keepTarget");
    keepTarget->setVisible(!target.isEmpty());
    layout->addWidget(keepTarget);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel, &dialog);
    buttons->button(QDialogButtonBox::Open)->setDefault(true);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    if (dialog.exec() != QDialog::Accepted) return std::nullopt;
    return KeepChoice{rules > 0 && keepRules->isChecked(), !target.isEmpty() && keepTarget->isChecked()};
}

} // namespace ckpt
