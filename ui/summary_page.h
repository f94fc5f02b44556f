#pragma once

#include <QWidget>

class QLabel;
class QTableWidget;

namespace ckpt {

class BarChart;
class Checkpoint;
class CheckpointTree;
class MessageBanner;

/// The whole file: format and totals, bytes by dtype, parameters per top-level module (a
/// chart), and the safety report with a warning when loading it would run code or need
/// weights_only=False.
class SummaryPage final : public QWidget
{
    Q_OBJECT
public:
    explicit SummaryPage(QWidget *parent = nullptr);
    void showSummary(const Checkpoint &checkpoint, const CheckpointTree &tree, const QString &path);
    MessageBanner *safetyBanner() const { return m_banner; }

private:
    QLabel *m_header;
    BarChart *m_modules;
    BarChart *m_files; ///< tensor bytes per rank (or shard) of a checkpoint in several files
    MessageBanner *m_banner;
    QTableWidget *m_globals;
    QLabel *m_noPickle; ///< in the table's place for files without a pickle
};

} // namespace ckpt
