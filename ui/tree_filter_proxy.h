#pragma once

#include <QSortFilterProxyModel>

#include <vector>

namespace ckpt {

/// Shows the rows a TreeFilterResult keeps (matches, their ancestors and descendants) and
/// sorts numeric columns by value. The visibility is computed in model/ (filterTree).
class TreeFilterProxy final : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit TreeFilterProxy(QObject *parent = nullptr);
    /// Empty: everything visible.
    void setVisibleNodes(std::vector<bool> visible);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    std::vector<bool> m_visible;
};

} // namespace ckpt
