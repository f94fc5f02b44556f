#pragma once
// What the window tests share: fixture paths, opening and waiting, counting visible tensors.

#include "ui/main_window.h"
#include "ui/roles.h"

#include "model/rules/rule_config.h"

#include <QAbstractButton>
#include <QAbstractItemModel>
#include <QApplication>
#include <QCheckBox>
#include <QDialog>
#include <QDeadlineTimer>
#include <QMenu>
#include <QMessageBox>
#include <QPointer>
#include <QSignalSpy>
#include <QString>
#include <QTimer>

#include <functional>

namespace ckpt::test {

/// A rule from its JSON, as a config writes it (a test's own text: a bad one stops the test).
inline Rule ruleFrom(const char *json)
{
    auto r = ruleFromJson(json);
    if (!r) qFatal("%s", r.error().message.c_str());
    return *r;
}

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

/// CKPT_SHOTS=DIR keeps a picture of the windows the tests look at (every dialog they
/// answer), to be looked at.
inline void keepPicture(QWidget *w, const QString &name)
{
    const QString shots = qEnvironmentVariable("CKPT_SHOTS");
    if (shots.isEmpty()) return;
    QCoreApplication::processEvents(); // laid out and painted
    w->grab().save(shots + "/" + name + ".png");
}

/// Calls `act` on the next modal window named `name` once it shows (within 10 s). The timer
/// it returns may be stopped (forget()) when no such window is expected any more.
inline QPointer<QTimer> onNextModal(const QString &name, std::function<void(QWidget *)> act)
{
    auto *timer = new QTimer;
    timer->setInterval(10);
    const QDeadlineTimer deadline(10000);
    QObject::connect(timer, &QTimer::timeout, [=] {
        QWidget *modal = QApplication::activePopupWidget();
        if (!modal) modal = QApplication::activeModalWidget();
        if (!modal || modal->objectName() != name) {
            if (deadline.hasExpired()) {
                timer->stop();
                timer->deleteLater();
            }
            return;
        }
        timer->stop();
        timer->deleteLater();
        keepPicture(modal, name);
        act(modal);
    });
    timer->start();
    return timer;
}

/// Triggers the action labelled `text` of the next popup menu named `name`.
inline QPointer<QTimer> chooseFromNextMenu(const QString &name, const QString &text)
{
    return onNextModal(name, [=](QWidget *w) {
        auto *menu = qobject_cast<QMenu *>(w);
        if (!menu) return;
        for (QAction *a : menu->actions())
            if (a->text() == text) {
                menu->close();
                return a->trigger();
            }
        menu->close();
    });
}

/// Stops waiting for a modal window that did not come.
inline void forget(const QPointer<QTimer> &pending)
{
    if (!pending) return;
    pending->stop();
    pending->deleteLater();
}

/// Answers the next question box (widgets/question_box.h) named `name` by clicking the button
/// `choice`; `asked` (when given) receives its text, and stays empty if none was asked.
inline QPointer<QTimer> answerNext(const QString &name, const QString &choice, QString *asked = nullptr)
{
    return onNextModal(name, [=](QWidget *w) {
        auto *box = qobject_cast<QMessageBox *>(w);
        if (!box) return;
        if (asked) *asked = box->text();
        for (QAbstractButton *b : box->buttons())
            if (b->text() == choice) return b->click();
        box->reject();
    });
}

/// Answers the next "what to keep" dialog (ui/keep_dialog.h): ticks what is asked, then Open
/// (or Cancel when `open` is false).
inline void keepNext(bool rules, bool target, bool open = true)
{
    onNextModal("keepDialog", [=](QWidget *w) {
        auto *dialog = qobject_cast<QDialog *>(w);
        if (auto *box = dialog->findChild<QCheckBox *>("keepRules")) box->setChecked(rules);
        if (auto *box = dialog->findChild<QCheckBox *>("keepTarget")) box->setChecked(target);
        open ? dialog->accept() : dialog->reject();
    });
}

} // namespace ckpt::test
