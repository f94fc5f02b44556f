#pragma once

#include <QWidget>

class QLabel;
class QPlainTextEdit;

namespace ckpt {

class BarChart;
class Checkpoint;
class CheckpointTree;

/// A module, container or plain value: its totals and a chart of its children by size, or
/// the value written out in full.
class NodePage final : public QWidget
{
    Q_OBJECT
public:
    explicit NodePage(QWidget *parent = nullptr);
    void showNode(const Checkpoint &checkpoint, const CheckpointTree &tree, int node);

private:
    QLabel *m_title;
    QLabel *m_info;
    BarChart *m_children;
    QPlainTextEdit *m_value;
};

} // namespace ckpt
