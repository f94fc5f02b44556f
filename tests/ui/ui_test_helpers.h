#pragma once
// What the window tests share: fixture paths, opening and waiting, counting visible tensors.

#include "ui/main_window.h"
#include "ui/roles.h"

#include <QAbstractItemModel>
#include <QSignalSpy>
#include <QString>

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

} // namespace ckpt::test
