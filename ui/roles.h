#pragma once

#include <QString>
#include <Qt>

namespace ckpt {

/// Item data roles shared by the tree model, the views and the tests.
enum Role : int {
    NodeIdRole = Qt::UserRole + 1, ///< int: node index in the CheckpointTree
    EntryRole,                     ///< int: tensor entry index, -1 for other rows
    FullNameRole,                  ///< QString: the row's whole path as text
    KindRole,                      ///< int: NodeKind
    ShapeTextRole,                 ///< QString: "[64, 3, 7, 7]" for tensors
    SortRole,                      ///< numeric value for sortable columns
};

/// A long dotted name with break opportunities (zero-width spaces after '.' and '/'), so a
/// title label can wrap it instead of widening its page.
inline QString breakableName(QString name)
{
    name.replace(QLatin1Char('.'), QStringLiteral(".\u200B"));
    name.replace(QLatin1Char('/'), QStringLiteral("/\u200B"));
    return name;
}

/// Columns of the tree.
enum Column : int { NameColumn, ShapeColumn, DtypeColumn, ParamsColumn, SizeColumn, SharedColumn, PlanColumn, DiffColumn, ColumnCount };

} // namespace ckpt
