#pragma once
// What the window tests share: fixture paths, opening and waiting, counting visible tensors.

#include "ui/main_window.h"
#include "ui/roles.h"

#include <QAbstractButton>
#include <QAbstractItemModel>
#include <QApplication>
#include <QDeadlineTimer>
#include <QMessageBox>
#include <QSignalSpy>
#include <QString>
#include <QTimer>

namespace ckpt::test {

inline QString fixture(const QString &relative)
{
    return qEnvironmentVariable("CKPT_FIXTURES") + "/" + relative;
}

inline bool openAndWait(MainWindow &w, const QString &path)
{
    QSignalSpy opened(&w, &MainWindow::documentOpened);
    w.openPath(path);
    return opened.wait(20000);
}

/// Tensor rows under `parent` (all depths), as the model or proxy shows them.
inline int countTensors(QAbstractItemModel *m, const QModelIndex &parent = {})
{
    int n = 0;
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        n += i.data(EntryRole).toInt() >= 0;
        n += countTensors(m, i);
    }
    return n;
}

/// Answers the next question box (widgets/question_box.h) named `name` by clicking the button
/// `choice`; `asked` (when given) receives its text, and stays empty if none was asked.
inline void answerNext(const QString &name, const QString &choice, QString *asked = nullptr)
{
    auto *timer = new QTimer;
    timer->setInterval(10);
    const QDeadlineTimer deadline(10000);
    QObject::connect(timer, &QTimer::timeout, [=] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box || box->objectName() != name) {
            if (deadline.hasExpired()) {
                timer->stop();
                timer->deleteLater();
            }
            return;
        }
        timer->stop();
        timer->deleteLater();
        if (asked) *asked = box->text();
        for (QAbstractButton *b : box->buttons())
            if (b->text() == choice) return b->click();
        box->reject();
    });
    timer->start();
}

} // namespace ckpt::test
