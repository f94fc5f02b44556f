#pragma once

#include <QFuture>
#include <QString>

#include <memory>
#include <vector>

namespace ckpt {

class Checkpoint;
class CheckpointTree;
struct PlanInput;

/// An opened checkpoint and its tree, or the one-line reason it could not be opened.
struct LoadedDocument
{
    QString path;
    std::shared_ptr<const Checkpoint> checkpoint;
    std::shared_ptr<const CheckpointTree> tree;
    QString error;
    /// The best weights candidate's tensors (what rules see unless they name other weights),
    /// listed beside the tree; null with `weightsProblem` when there is none.
    std::shared_ptr<const std::vector<PlanInput>> inputs;
    QString weightsProblem;
    qint64 milliseconds = 0; ///< opening and building the tree, on the worker
};

/// Opens and builds the tree on a worker thread: the window never waits for a file.
QFuture<LoadedDocument> loadDocument(const QString &path, bool flat);
/// Rebuilds only the tree (flat/hierarchical toggle) for an open checkpoint.
QFuture<LoadedDocument> rebuildTree(const LoadedDocument &document, bool flat);

} // namespace ckpt
