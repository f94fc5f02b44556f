#include "tree_filter_proxy.h"

#include "roles.h"

namespace ckpt {

TreeFilterProxy::TreeFilterProxy(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(SortRole);
}

void TreeFilterProxy::setVisibleNodes(std::vector<bool> visible)
{
    m_visible = std::move(visible);
    invalidateFilter();
}

bool TreeFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_visible.empty()) return true;
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    const int node = index.data(NodeIdRole).toInt();
    return node >= 0 && size_t(node) < m_visible.size() && m_visible[size_t(node)];
}

bool TreeFilterProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const QVariant a = left.data(SortRole), b = right.data(SortRole);
    if (left.column() == ParamsColumn || left.column() == SizeColumn)
        return a.toULongLong() < b.toULongLong();
    if (left.column() == NameColumn) {
        // Natural order: "layer2" before "layer10", as names are written.
        return QString::localeAwareCompare(a.toString(), b.toString()) < 0;
    }
    return QSortFilterProxyModel::lessThan(left, right);
}

} // namespace ckpt
