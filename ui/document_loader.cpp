#include "document_loader.h"

#include "model/checkpoint/checkpoint.h"
#include "model/checkpoint/checkpoint_tree.h"

#include <QElapsedTimer>
#include <QtConcurrent>

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
        d.tree = std::make_shared<const CheckpointTree>(
            CheckpointTree::build(*d.checkpoint, {.flat = flat}));
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
