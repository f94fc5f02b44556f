#include "question_box.h"

#include <QMessageBox>
#include <QPushButton>

namespace ckpt {

int askQuestion(QWidget *parent, const QString &name, const QString &title, const QString &text,
                const QStringList &choices)
{
    QMessageBox box(QMessageBox::Question, title, text, QMessageBox::NoButton, parent);
    box.setObjectName(name);
    box.setTextFormat(Qt::PlainText);
    std::vector<QPushButton *> buttons;
    for (int i = 0; i < choices.size(); ++i) {
        const auto role = i + 1 == choices.size() && choices.size() > 1 ? QMessageBox::RejectRole : QMessageBox::AcceptRole;
        buttons.push_back(box.addButton(choices[i], role));
    }
    if (!buttons.empty()) {
        box.setDefaultButton(buttons.front());
        box.setEscapeButton(buttons.back());
    }
    box.exec();
    for (size_t i = 0; i < buttons.size(); ++i)
        if (box.clickedButton() == buttons[i]) return int(i);
    return int(choices.size()) - 1;
}

} // namespace ckpt
