// The window on a big file: from File > Open to a tree that can be used (the document shown,
// the first frame painted), and what scrolling, expanding and filtering cost per frame.
//   QT_QPA_PLATFORM=offscreen build/release/tests/bench/bench_window FILE [repeats]
#include "ui/main_window.h"

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_summary.h"
#include "model/checkpoint/checkpoint_tree.h"
#include "model/rules/rule_engine.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTreeView>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace ckpt;

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_window FILE [repeats]\n");
        return 2;
    }
    const QString file = QString::fromLocal8Bit(argv[1]);
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
    std::vector<double> open, scroll, expand, filter;
    for (int r = 0; r < repeats; ++r) {
        MainWindow w;
        w.resize(1280, 800);
        w.show();
        QApplication::processEvents();
        QSignalSpy opened(&w, &MainWindow::documentOpened);
        QElapsedTimer t;
        t.start();
        w.openPath(file);
        if (!opened.wait(60000)) return 1;
        w.treeView()->viewport()->repaint(); // the first frame of the tree
        open.push_back(double(t.nsecsElapsed()) / 1e6);
        // A frame each: a page of scrolling, expanding a big module, a filter being applied.
        w.setFlat(true);
        QSignalSpy relaid(&w, &MainWindow::documentOpened);
        relaid.wait(60000);
        QScrollBar *bar = w.treeView()->verticalScrollBar();
        for (int step = 0; step < 20; ++step) {
            t.restart();
            bar->setValue(bar->value() + bar->pageStep() * 50);
            w.treeView()->viewport()->repaint();
            scroll.push_back(double(t.nsecsElapsed()) / 1e6);
        }
        w.setFlat(false);
        relaid.wait(60000);
        t.restart();
        w.treeView()->expandToDepth(2);
        w.treeView()->viewport()->repaint();
        expand.push_back(double(t.nsecsElapsed()) / 1e6);
        t.restart();
        w.setFilter("experts.4", 0);
        QApplication::processEvents(QEventLoop::AllEvents, 1000); // the debounced filter
        QElapsedTimer settle;
        settle.start();
        while (settle.elapsed() < 400) QApplication::processEvents(); // its result painted
        w.treeView()->viewport()->repaint();
        filter.push_back(double(t.nsecsElapsed()) / 1e6 - 400);
    }
    // Where the opening goes: the core's part (in the background), then the window's.
    std::vector<double> core, tree, plan, summary;
    for (int r = 0; r < repeats; ++r) {
        QElapsedTimer t;
        t.start();
        auto c = Checkpoint::open(file.toStdString());
        core.push_back(double(t.nsecsElapsed()) / 1e6);
        t.restart();
        const CheckpointTree built = CheckpointTree::build(**c, {});
        tree.push_back(double(t.nsecsElapsed()) / 1e6);
        t.restart();
        auto inputs = planInputs(**c, std::nullopt);
        const Plan p = (*CompiledRules::compile(RuleSet{}))->evaluate(*inputs);
        plan.push_back(double(t.nsecsElapsed()) / 1e6);
        t.restart();
        const CheckpointSummary sum = summarize(**c);
        summary.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::printf("open to a painted tree: %.0f ms (median of %d): checkpoint %.0f ms, tree %.0f ms, "
                "weights and plan %.0f ms, summary %.0f ms, the rest in the window\n",
                median(open), repeats, median(core), median(tree), median(plan), median(summary));
    std::printf("scroll a page (flat list): %.1f ms per frame (median)\n", median(scroll));
    std::printf("expand to depth 2: %.0f ms\n", median(expand));
    std::printf("filter applied and painted: ~%.0f ms after the debounce\n", median(filter));
    return 0;
}
