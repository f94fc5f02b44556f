#pragma once

#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;
class QTreeWidget;

namespace ckpt {

class RuleSources;
struct RuleSet;

/// The other checkpoints the rules read ("sources"): a list, and the selected one's tensors
/// as a module tree. A module or tensor dragged from the tree onto the checkpoint's tree
/// becomes a take rule (the drag carries kMimeType: source name, tensor or module name).
class SourcesPanel final : public QWidget
{
    Q_OBJECT
public:
    static constexpr const char *kMimeType = "application/x-checkpoint-studio-source-tensor";

    explicit SourcesPanel(QWidget *parent = nullptr);
    /// Shows the config's sources as opened (`opened` null: `error` says why they did not open).
    void showSources(const RuleSet &rules, const RuleSources *opened, const QString &error);
    QListWidget *sourceList() const { return m_list; }
    QTreeWidget *tensorTree() const { return m_tensors; }
    /// The selected source's name, or empty.
    QString currentSource() const;

Q_SIGNALS:
    void addRequested();
    void removeRequested(const QString &name);

private:
    void showTensors();

    QListWidget *m_list;
    QTreeWidget *m_tensors;
    QLabel *m_hint;
    QPushButton *m_remove;
    const RuleSources *m_opened = nullptr;
};

} // namespace ckpt
