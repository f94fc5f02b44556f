#include "tensor_page.h"

#include "roles.h"

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "model/checkpoint/tensor_placement.h"
#include "widgets/histogram_plot.h"

#include <QFormLayout>
#include <filesystem>
#include <set>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace ckpt {
namespace {

const char *kStatKeys[] = {"min", "max", "mean", "std", "l2", "zeros", "nans", "infs"};
const char *kStatLabels[] = {"Min", "Max", "Mean", "Std", "L2 norm", "Zeros", "NaN", "Inf"};

QString number(double v) { return QString::number(v, 'g', 7); }

} // namespace

TensorPage::TensorPage(QWidget *parent)
    : QWidget(parent), m_title(new QLabel(this)), m_info(new QLabel(this)),
      m_statsNote(new QLabel(this)), m_progress(new QProgressBar(this)),
      m_cancel(new QPushButton(tr("Cancel"), this)), m_histogram(new HistogramPlot(this))
{
    setObjectName("tensorPage");
    m_title->setObjectName("tensorTitle");
    m_title->setWordWrap(true);
    m_title->setStyleSheet("font-weight:bold; font-size:13pt;");
    m_info->setObjectName("tensorInfo");
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_info->setWordWrap(true);
    m_progress->setObjectName("statsProgress");
    m_progress->setRange(0, 1000);
    m_cancel->setObjectName("statsCancel");
    m_statsNote->setWordWrap(true);
    m_statsNote->setObjectName("statsNote");

    auto *statsBox = new QGroupBox(tr("Values"), this);
    auto *grid = new QFormLayout();
    for (size_t i = 0; i < std::size(kStatKeys); ++i) {
        auto *label = new QLabel(statsBox);
        label->setObjectName(QStringLiteral("stat_%1").arg(kStatKeys[i]));
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_stats.insert(kStatKeys[i], label);
        grid->addRow(tr(kStatLabels[i]), label);
    }
    auto *progressRow = new QHBoxLayout();
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancel);
    auto *statsLayout = new QVBoxLayout(statsBox);
    statsLayout->addLayout(progressRow);
    statsLayout->addLayout(grid);
    statsLayout->addWidget(m_statsNote);
    statsLayout->addWidget(m_histogram, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_info);
    layout->addWidget(statsBox, 1);

    connect(m_cancel, &QPushButton::clicked, this, [this] { m_watcher.cancel(); });
    connect(&m_watcher, &QFutureWatcher<StatsOutcome>::progressValueChanged, m_progress,
            &QProgressBar::setValue);
    connect(&m_watcher, &QFutureWatcher<StatsOutcome>::finished, this, &TensorPage::onFinished);
}

TensorPage::~TensorPage()
{
    m_watcher.cancel();
    m_watcher.waitForFinished();
}

QStringList TensorPage::chunkLines(const Checkpoint &c, const TensorInfo &t)
{
    const auto pieces = piecesOf(c, t);
    std::set<int> ranks;
    for (const auto &p : pieces) ranks.insert(p.rank >= 0 ? p.rank : p.file);
    QStringList lines;
    lines << tr("<b>where it lives</b>: cut into %1 chunks in %2 files, assembled when read").arg(pieces.size()).arg(ranks.size());
    constexpr size_t kShown = 8;
    for (size_t i = 0; i < pieces.size() && i < kShown; ++i) {
        const PiecePlace &p = pieces[i];
        QStringList region;
        for (size_t d = 0; d < p.offsets.size(); ++d) region << QStringLiteral("%1:%2").arg(p.offsets[d]).arg(p.offsets[d] + p.sizes[d]);
        if (p.flat) region = QStringList{tr("elements %1 of the flattened tensor").arg(region.join(QString()))};
        const QString file = QString::fromStdString(std::filesystem::path(c.files()[size_t(p.file)].path).filename().string());
        lines << tr("&nbsp;&nbsp;[%1] %2%3, %4 at byte %5")
                     .arg(region.join(", "), p.rank >= 0 ? tr("rank %1, ").arg(p.rank) : QString(), file.toHtmlEscaped(),
                          QString::fromStdString(humanBytes(p.nbytes)))
                     .arg(p.byteOffset);
    }
    if (pieces.size() > kShown) lines << tr("&nbsp;&nbsp;… and %1 more").arg(pieces.size() - kShown);
    return lines;
}

void TensorPage::showTensor(std::shared_ptr<const Checkpoint> checkpoint, int entry)
{
    m_watcher.cancel(); // the old job stops at its next chunk; its result is ignored
    m_checkpoint = std::move(checkpoint);
    m_entry = entry;
    const TensorEntry &e = m_checkpoint->entries()[size_t(entry)];
    const TensorInfo &t = m_checkpoint->tensors()[size_t(e.tensor)];
    m_title->setText(breakableName(QString::fromStdString(pathToString(e.path))));
    QStringList lines;
    lines << tr("<b>%1</b> %2 &nbsp; %3 parameters &nbsp; %4")
                 .arg(QString::fromStdString(dtypeText(t)),
                      QString::fromStdString(shapeText(t.shape)),
                      QString::fromStdString(humanCount(t.numel())),
                      QString::fromStdString(humanBytes(t.nbytes())));
    lines << tr("strides %1%2").arg(QString::fromStdString(shapeText(t.strides)),
                                    t.contiguous() ? tr(" (contiguous)") : tr(" (a strided view)"));
    if (t.storage >= 0) {
        const StorageInfo &s = m_checkpoint->storages()[size_t(t.storage)];
        const uint64_t at = s.byteOffset + uint64_t(t.storageOffset) * uint64_t(dtypeBits(t.dtype)) / 8;
        lines << tr("storage %1 (%2, %3 on %4), element offset %5, %6 %7")
                     .arg(QString::fromStdString(s.record.empty() ? s.key : s.record))
                     .arg(QString::fromStdString(humanBytes(s.byteLength)))
                     .arg(QString::fromUtf8(dtypeName(s.dtype).data()))
                     .arg(QString::fromStdString(s.location.empty() ? "cpu" : s.location))
                     .arg(t.storageOffset)
                     .arg(s.compressedItem >= 0 ? tr("byte offset in the decoded item") : tr("file offset"))
                     .arg(at);
        if (s.compressedItem >= 0) {
            const CompressedItem &item = m_checkpoint->compressedItems()[size_t(s.compressedItem)];
            lines << tr("stored %1: %2 at file offset %3, decoded when read")
                         .arg(QString::fromStdString(item.codec.starts_with("ggml.") ? item.codec.substr(5) + " blocks" : item.codec),
                              QString::fromStdString(humanBytes(item.length)))
                         .arg(item.offset);
        }
        if (m_checkpoint->files().size() > 1)
            lines << tr("in %1").arg(QString::fromStdString(m_checkpoint->files()[size_t(s.file)].path).toHtmlEscaped());
    } else if (t.chunks >= 0) {
        lines << chunkLines(*m_checkpoint, t);
    } else if (t.rebuild == "_rebuild_device_tensor_from_numpy") {
        lines << tr("its bytes are a numpy array inside the pickle, not viewable here");
    } else {
        lines << tr("no storage (a meta tensor)");
    }
    if (!t.subclass.empty())
        lines << tr("loads as %1").arg(QString::fromUtf8(t.subclass.data(), int(t.subclass.size())));
    lines << (t.parameter ? tr("nn.Parameter") : tr("tensor")) +
                 (t.requiresGrad ? tr(", requires_grad") : QString()) +
                 (t.rebuild.empty() ? QString() // no pickle rebuilt it (safetensors, NumPy, HDF5, ...)
                                    : tr(", rebuilt by %1").arg(QString::fromUtf8(t.rebuild.data(), int(t.rebuild.size()))));
    const auto partners = m_checkpoint->storagePartners(size_t(entry));
    if (!partners.empty() && m_checkpoint->sharesStorage(size_t(entry))) {
        QStringList names;
        for (size_t i = 0; i < partners.size() && i < 4; ++i)
            names << QString::fromStdString(pathToString(m_checkpoint->entries()[partners[i]].path));
        lines << tr("shares its storage with %1").arg(names.join(", "));
    }
    m_info->setText(lines.join("<br>"));

    for (auto *label : m_stats) label->setText(QStringLiteral("…"));
    m_statsNote->clear();
    m_histogram->clear();
    m_progress->setValue(0);
    setStatsVisible(true);
    m_watcher.setFuture(computeStatsAsync(m_checkpoint, entry));
}

void TensorPage::setStatsVisible(bool running)
{
    m_progress->setVisible(running);
    m_cancel->setVisible(running);
}

void TensorPage::onFinished()
{
    setStatsVisible(false);
    if (m_watcher.future().isCanceled() && m_watcher.future().resultCount() == 0) {
        m_statsNote->setText(tr("Cancelled."));
        return;
    }
    const StatsOutcome out = m_watcher.result();
    if (out.entry != m_entry) return; // a job for a tensor no longer shown
    if (!out.stats) {
        for (auto *label : m_stats) label->setText(QStringLiteral("–"));
        m_statsNote->setText(tr("No statistics: %1").arg(out.error));
        Q_EMIT statsFinished(out.entry, false);
        return;
    }
    const TensorStats &s = *out.stats;
    const bool any = s.finite > 0;
    m_stats["min"]->setText(any ? number(s.min) : QStringLiteral("–"));
    m_stats["max"]->setText(any ? number(s.max) : QStringLiteral("–"));
    m_stats["mean"]->setText(any ? number(s.mean) : QStringLiteral("–"));
    m_stats["std"]->setText(any ? number(s.std) : QStringLiteral("–"));
    m_stats["l2"]->setText(any ? number(s.l2) : QStringLiteral("–"));
    m_stats["zeros"]->setText(tr("%1 (%2%)").arg(s.zeros).arg(s.count ? 100.0 * double(s.zeros) / double(s.count) : 0.0, 0, 'f', 2));
    m_stats["nans"]->setText(QString::number(s.nans));
    m_stats["infs"]->setText(QString::number(s.infs));
    m_statsNote->setText(QString::fromStdString(s.note));
    if (any) m_histogram->setHistogram(std::vector<qint64>(s.histogram.begin(), s.histogram.end()), s.histMin, s.histMax);
    Q_EMIT statsFinished(out.entry, true);
}

QString TensorPage::statText(const QString &key) const
{
    const auto it = m_stats.find(key);
    return it == m_stats.end() ? QString() : (*it)->text();
}

} // namespace ckpt
