#include "model/formats/orbax_reader.h"

#include "model/base/format_error.h"
#include "model/formats/orbax_item.h"
#include "model/formats/value_access.h"
#include "model/remote/location.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace ckpt {
namespace {

bool has(const FolderProbe &probe, const char *name)
{
    return std::binary_search(probe.files.begin(), probe.files.end(), std::string(name));
}

bool isItem(const std::string &folder)
{
    return locationHasFile(folder, "_METADATA") || locationHasFile(folder, "manifest.ocdbt");
}

/// The names of the folders in `folder`, sorted (as FolderProbe::folders).
std::vector<std::string> subfolders(const std::string &folder)
{
    auto listing = listLocation(folder);
    return listing ? std::move(listing->folders) : std::vector<std::string>();
}

/// A CheckpointManager's root: step folders named by their step number; the latest of those
/// that holds _CHECKPOINT_METADATA (a finished save), or an empty string.
std::string latestStep(const std::string &root, const std::vector<std::string> &folders)
{
    std::string best;
    uint64_t bestStep = 0;
    for (const std::string &f : folders) {
        const std::optional<uint64_t> step = decimalName(f, 18);
        if (step && (best.empty() || *step > bestStep) && locationHasFile(joinLocation(root, f), "_CHECKPOINT_METADATA")) {
            best = f;
            bestStep = *step;
        }
    }
    return best;
}

CheckpointData start()
{
    CheckpointData d;
    d.format = "orbax";
    // Nothing in an Orbax checkpoint is unpickled (orbax restores through TensorStore and JSON):
    // no torch.load verdict applies.
    for (auto *v : {&d.safety.torch113, &d.safety.torch2}) v->applicable = false;
    return d;
}

/// A pytree's weights: its "params" (Flax's collection, what Orbax's surgery guide restores
/// alone), at the root or in the one item holding it; the whole tree when there is none.
void preferParams(CheckpointData &d, bool items)
{
    d.pytreeWeights = true;
    d.preferredWeights = Path{};
    auto paramsOf = [](const Value *dict) {
        for (size_t i = 0; dict && dict->kind == ValueKind::Dict && i + 1 < dict->items.size(); i += 2)
            if (dict->items[i]->text == "params" && dict->items[i + 1]->kind == ValueKind::Dict) return true;
        return false;
    };
    if (!items) {
        if (paramsOf(d.root)) d.preferredWeights = Path{std::string("params")};
        return;
    }
    for (size_t i = 0; i + 1 < d.root->items.size(); i += 2)
        if (paramsOf(d.root->items[i + 1])) {
            d.preferredWeights = Path{std::string(d.root->items[i]->text), std::string("params")};
            return;
        }
}

} // namespace

Recognition OrbaxReader::recogniseFile(const FileProbe &probe) const
{
    if (!probe.nested && fs::path(probe.path).filename() == "_METADATA") return {100, "named _METADATA, an Orbax checkpoint's", {}, {}};
    return {};
}

Recognition OrbaxReader::recogniseFolder(const FolderProbe &probe) const
{
    if (has(probe, "_METADATA")) return {100, "holds _METADATA (an Orbax checkpoint)", {}, "_METADATA"};
    if (has(probe, "_CHECKPOINT_METADATA")) return {95, "holds _CHECKPOINT_METADATA (an Orbax step folder)", {}, {}};
    if (has(probe, "manifest.ocdbt")) return {80, "holds manifest.ocdbt (an OCDBT database, as Orbax stores arrays)", {}, {}};
    if (!latestStep(std::string(probe.path), probe.folders).empty())
        return {60, "holds Orbax step folders (a CheckpointManager's root: its latest step is read)", {}, {}};
    return {};
}

CheckpointData OrbaxReader::readFile(SourceFile file, const FormatRegistry &) const
{
    CheckpointData d = start();
    std::map<std::string, int> files;
    d.root = OrbaxItem(d, files).read(fs::path(file.path).parent_path().string());
    preferParams(d, false);
    return d;
}

CheckpointData OrbaxReader::readFolder(const std::string &folder, const FormatRegistry &registry) const
{
    if (!isItem(folder) && !locationHasFile(folder, "_CHECKPOINT_METADATA")) {
        const std::string step = latestStep(folder, subfolders(folder));
        if (step.empty()) throw FormatError(folder + ": no finished Orbax step in it");
        CheckpointData d = readFolder(joinLocation(folder, step), registry);
        d.metadata["step"] = step;
        return d;
    }
    CheckpointData d = start();
    std::map<std::string, int> files;
    if (isItem(folder)) {
        d.root = OrbaxItem(d, files).read(folder);
        preferParams(d, false);
        return d;
    }
    // A step folder of CheckpointManager: one item per subfolder ("default", "state", ...).
    std::vector<std::string> items = subfolders(folder);
    std::erase_if(items, [&](const std::string &name) { return !isItem(joinLocation(folder, name)); });
    if (items.empty()) throw FormatError(folder + ": an Orbax step folder with no item in it (no subfolder holds _METADATA or manifest.ocdbt)");
    Value *root = d.arena->make(ValueKind::Dict);
    std::string names;
    for (const std::string &name : items) {
        root->items.push_back(stringValue(*d.arena, name));
        root->items.push_back(OrbaxItem(d, files).read(joinLocation(folder, name)));
        names += (names.empty() ? "" : ",") + name;
    }
    d.metadata["items"] = names;
    d.root = root;
    preferParams(d, true);
    return d;
}

} // namespace ckpt
