#include "document_loader.h"

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_tree.h"
#include "model/rules/rule_engine.h"

#include <QElapsedTimer>
#include <QtConcurrent>

#include <future>

namespace ckpt {

QFuture<LoadedDocument> loadDocument(const QString &path, bool flat)
{
    return QtConcurrent::run([path, flat] {
        QElapsedTimer timer;
        timer.start();
        LoadedDocument d;
        d.path = path;
        auto opened = Checkpoint::open(path.toStdString());
        if (!opened) {
            d.error = QString::fromStdString(opened.error().message);
            return d;
        }
        d.checkpoint = opened.value();
        // The weights the rules will see, listed on a second thread while the tree is built.
        auto listing = std::async(std::launch::async, [checkpoint = d.checkpoint] {
            return planInputs(*checkpoint, std::nullopt);
        });
        d.tree = std::make_shared<const CheckpointTree>(
            CheckpointTree::build(*d.checkpoint, {.flat = flat}));
        auto inputs = listing.get();
        if (inputs) d.inputs = std::make_shared<const std::vector<PlanInput>>(std::move(inputs.value()));
        else d.weightsProblem = QString::fromStdString(inputs.error().message);
        d.milliseconds = timer.elapsed();
        return d;
    });
}

QFuture<LoadedDocument> rebuildTree(const LoadedDocument &document, bool flat)
{
    return QtConcurrent::run([document, flat] {
        LoadedDocument d = document;
        d.tree = std::make_shared<const CheckpointTree>(
            CheckpointTree::build(*d.checkpoint, {.flat = flat}));
        return d;
    });
}

} // namespace ckpt
