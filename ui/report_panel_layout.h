#pragma once

#include <QList>

class QBoxLayout;
class QTableView;
class QWidget;

namespace ckpt {

/// What the compare and diff panels share. A report table: whole rows selected, long names
/// elided in the middle, one line per row, no row numbers.
void setUpReportTable(QTableView *table);

/// A report panel, top to bottom: its row of controls, what stands above the table (a
/// message banner, a summary), then the table beside its detail pane (3 : 2, resizable).
void layOutReportPanel(QWidget *panel, QBoxLayout *controls, const QList<QWidget *> &above, QTableView *table,
                       QWidget *detail);

} // namespace ckpt
