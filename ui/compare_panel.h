#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QTableView;
class QTreeWidget;

namespace ckpt {

class CompareDocument;
class CompareTableModel;
class MessageBanner;

/// The compare view: the verdict, every name with its status in colour (filterable by
/// status), and the proposed fixes with accept (Enter, double-click) and reject (Delete).
class ComparePanel final : public QWidget
{
    Q_OBJECT
public:
    explicit ComparePanel(CompareDocument *doc, QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }
    QTreeWidget *proposalList() const { return m_proposals; }
    QComboBox *statusFilter() const { return m_filter; }
    MessageBanner *banner() const { return m_banner; }

Q_SIGNALS:
    void chooseTargetRequested();
    /// A row was activated (double-click, Enter): the checkpoint entry it stands for.
    void entryActivated(int entry);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void refresh();
    int currentProposal() const;

    CompareDocument *m_doc;
    CompareTableModel *m_model;
    QLabel *m_targetLabel;
    QLabel *m_busy;
    QComboBox *m_filter;
    MessageBanner *m_banner;
    QTableView *m_table;
    QTreeWidget *m_proposals;
    QPushButton *m_accept;
    QPushButton *m_reject;
    QPushButton *m_acceptAll;
};

} // namespace ckpt
