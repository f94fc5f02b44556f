#include "made_tensors_view.h"

#include "model/checkpoint/checkpoint_summary.h"
#include "model/rules/rule_preview.h"

#include <QHeaderView>

namespace ckpt {

MadeTensorsView::MadeTensorsView(QWidget *parent) : QTreeWidget(parent)
{
    setObjectName("madeList");
    setHeaderLabels({tr("Made by surgery"), tr("Shape"), tr("Dtype"), tr("From")});
    setRootIsDecorated(false);
    setUniformRowHeights(true);
    setAlternatingRowColors(true);
    header()->setStretchLastSection(true);
    header()->setSectionResizeMode(0, QHeaderView::Interactive);
    setVisible(false);
}

void MadeTensorsView::showPlan(const Plan &plan, const RuleSet &rules, const RulePreview *preview)
{
    clear();
    auto add = [&](const AddedTensor &a, const RecipeBook *book, bool previewed) {
        auto *item = new QTreeWidgetItem(this);
        item->setText(0, QString::fromStdString(a.name));
        item->setText(1, QString::fromStdString(shapeText(a.shape)));
        item->setText(2, QString::fromUtf8(dtypeName(a.dtype).data(), qsizetype(dtypeName(a.dtype).size())));
        QString from = QString::fromStdString(recipeText(book, a.recipe, a.rule, rules));
        if (a.frozen) from += tr("  (frozen)");
        item->setText(3, previewed ? tr("would be: %1").arg(from) : from);
        item->setToolTip(0, item->text(0));
        item->setToolTip(3, item->text(3));
        if (previewed)
            for (int c = 0; c < 4; ++c) {
                QFont f = item->font(c);
                f.setItalic(true);
                item->setFont(c, f);
                item->setForeground(c, palette().color(QPalette::Link));
            }
    };
    constexpr int kMost = 2000; // a view, not the export: the rest are counted
    int shown = 0;
    if (preview)
        for (const auto &a : preview->made)
            if (shown++ < kMost) add(a, preview->recipes.get(), true);
    for (const auto &a : plan.added)
        if (a.recipe >= 0 && shown++ < kMost) add(a, plan.recipes.get(), false);
    if (shown > kMost) {
        auto *more = new QTreeWidgetItem(this);
        more->setText(0, tr("... and %1 more").arg(shown - kMost));
    }
    setVisible(shown > 0);
    if (shown > 0) resizeColumnToContents(0);
}

} // namespace ckpt
