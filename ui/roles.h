#pragma once

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

/// Columns of the tree.
enum Column : int { NameColumn, ShapeColumn, DtypeColumn, ParamsColumn, SizeColumn, SharedColumn, ColumnCount };

} // namespace ckpt
