#pragma once

#include <QMainWindow>

#include <memory>

class QPlainTextEdit;

namespace ckpt {

class Checkpoint;
class MessageBanner;

/// The application window. For now it opens a checkpoint and shows its summary and tensor
/// table as text (the same report `ckpt inspect` prints); the inspector tree replaces the
/// text view next.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Opens a file or model folder; on failure the error shows in the banner and whatever
    /// was open stays open. Returns whether it opened.
    bool openPath(const QString &path);
    QString currentPath() const { return m_path; }

private:
    void createMenus();
    void chooseFile();
    void openSample();
    void closeFile();

    MessageBanner *m_banner;
    QPlainTextEdit *m_report;
    std::shared_ptr<const Checkpoint> m_checkpoint;
    QString m_path;
};

/// Where the bundled sample checkpoint is (next to the executable or in the source tree).
QString sampleCheckpointPath();

} // namespace ckpt
