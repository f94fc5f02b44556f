#include "model/base/byte_order.h"
#include "model/export/added_placement.h"
#include "model/export/export_job.h"
#include "model/export/made_tensor_bytes.h"
#include "model/export/temp_file.h"
#include "model/export/tensor_edits.h"
#include "model/export/zip_writer.h"
#include "model/checkpoint/source_reader.h"
#include "model/pickle/pickler.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_map>

// torch.save's zip layout written from the plan: the edited pickle, then each storage copied
// from the source or computed, read back and checked.
namespace ckpt::exporting {
namespace {

namespace fs = std::filesystem;

/// The weights dict's state with its _metadata module names renamed as the plan renames what
/// is under them; everything else shared.
Value *renamedMetadata(ValueArena &arena, const Prepared &p)
{
    const Value *state = p.weights->state;
    Value *out = arena.make(ValueKind::Dict);
    *out = *state;
    out->items.clear();
    for (size_t k = 0; k + 1 < state->items.size(); k += 2) {
        Value *key = state->items[k];
        Value *value = state->items[k + 1];
        if (key->kind == ValueKind::String && key->text == "_metadata" && value->kind == ValueKind::Dict) {
            Value *meta = arena.make(ValueKind::Dict);
            *meta = *value;
            meta->items.clear();
            for (size_t m = 0; m + 1 < value->items.size(); m += 2) {
                Value *name = value->items[m];
                if (const auto it = name->kind == ValueKind::String ? p.metadataModules.find(std::string(name->text))
                                                                    : p.metadataModules.end();
                    it != p.metadataModules.end()) {
                    name = arena.make(ValueKind::String);
                    name->text = arena.keep(it->second);
                }
                meta->items.push_back(name);
                meta->items.push_back(value->items[m + 1]);
            }
            value = meta;
        }
        out->items.push_back(key);
        out->items.push_back(value);
    }
    return out;
}

/// The weights dict as the plan makes it: new keys, dropped entries gone, the rest shared.
Value *editedWeights(ValueArena &arena, const Checkpoint &c, const Prepared &p, ExportReport &report,
                     std::unordered_map<const Value *, size_t> &added)
{
    std::map<std::string, size_t> byName;
    for (size_t i = 0; i < p.inputs.size(); ++i) byName.emplace(p.inputs[i].name, i);
    Value *dict = arena.make(ValueKind::Dict);
    dict->callable = p.weights->callable;
    dict->args = p.weights->args;
    dict->how = p.weights->how;
    dict->state = p.metadataModules.empty() ? p.weights->state : renamedMetadata(arena, p);
    // Added tensors go in place of the dropped ones they replace, the others at the end.
    const std::vector<int> place = addedInPlaceOf(p.inputs, p.plan);
    std::map<int, size_t> replacing;
    for (size_t k = 0; k < place.size(); ++k)
        if (place[k] >= 0) replacing.emplace(place[k], k);
    auto stringKey = [&](std::string_view text) {
        Value *key = arena.make(ValueKind::String);
        key->text = arena.keep(std::string(text));
        return key;
    };
    auto addTensor = [&](size_t k) {
        Value *value = arena.make(ValueKind::Tensor);
        value->index = -1;
        added.emplace(value, k);
        dict->items.push_back(stringKey(p.plan.added[k].name));
        dict->items.push_back(value);
    };
    // Input i's tensor under `key` as the plan makes it: dropped (counted, and an added
    // tensor that replaces it takes its place) or kept, under its new name when renamed.
    auto keepOrDrop = [&](size_t i, Value *key, Value *value) {
        const TensorPlan &t = p.plan.tensors[i];
        if (t.dropped) {
            ++(t.consumedBy >= 0 ? report.consumed : report.dropped);
            if (const auto r = replacing.find(int(i)); r != replacing.end()) addTensor(r->second);
            return;
        }
        if (t.name != p.inputs[i].name) {
            ++report.renamed;
            key = stringKey(t.name);
        }
        dict->items.push_back(key);
        dict->items.push_back(value);
    };
    if (c.pytreeWeights()) {
        // A pytree's weights become a flat state_dict: the planned names ("encoder.layer_0.kernel")
        // in the order they were found, what load_state_dict takes.
        for (size_t i = 0; i < p.inputs.size(); ++i) {
            Value *value = arena.make(ValueKind::Tensor);
            value->index = c.entries()[p.inputs[i].entry].tensor;
            keepOrDrop(i, stringKey(p.inputs[i].name), value);
        }
    } else {
        for (size_t k = 0; k + 1 < p.weights->items.size(); k += 2) {
            Value *key = p.weights->items[k];
            Value *value = p.weights->items[k + 1];
            const auto it = key->kind == ValueKind::String ? byName.find(std::string(key->text)) : byName.end();
            if (const auto companion = key->kind == ValueKind::String && value->kind != ValueKind::Tensor
                                           ? p.companions.find(std::string(key->text))
                                           : p.companions.end();
                companion != p.companions.end()) {
                if (!companion->second) continue; // dropped with its module
                dict->items.push_back(stringKey(*companion->second));
                dict->items.push_back(value);
            } else if (it != byName.end() && value->kind == ValueKind::Tensor) {
                keepOrDrop(it->second, key, value);
            } else {
                dict->items.push_back(key);
                dict->items.push_back(value);
            }
        }
    }
    for (size_t k = 0; k < place.size(); ++k)
        if (place[k] < 0) addTensor(k);
    return dict;
}

void verifyPyTorch(const std::string &path, const Checkpoint &source, const Prepared &p, const Path &weights,
                   const std::map<std::string, uint32_t> &crcByKey, const std::vector<OptimizerCheck> &optimizers)
{
    auto out = Checkpoint::open(path);
    if (!out) throw std::runtime_error("the written file does not read back: " + out.error().message);
    if (p.inputs.empty()) { // a faithful copy: the same tensors, byte for byte
        if ((*out)->entries().size() != source.entries().size())
            throw std::runtime_error("verification: the copy lists other tensors than the source");
    }
    for (const auto &s : (*out)->storages()) {
        const auto it = crcByKey.find(s.key);
        if (it == crcByKey.end()) throw std::runtime_error("verification: unexpected storage " + s.key);
        if (crcOfFile(path, s.byteOffset, s.byteLength) != it->second)
            throw std::runtime_error("verification: the bytes of storage " + s.key + " differ from the source");
    }
    if (p.inputs.empty()) return;
    auto inputs = planInputs(**out, weights);
    if (!inputs) throw std::runtime_error("the written file lost its weights: " + inputs.error().message);
    std::map<std::string, const PlanInput *> written;
    for (const auto &in : *inputs) written.emplace(in.name, &in);
    size_t kept = 0;
    for (size_t i = 0; i < p.inputs.size(); ++i) {
        const TensorPlan &t = p.plan.tensors[i];
        if (t.dropped) continue;
        ++kept;
        const auto it = written.find(std::string(t.name));
        if (it == written.end())
            throw std::runtime_error("verification: " + std::string(t.name) + " is missing from the output");
        if (it->second->dtype != t.dtype || it->second->shape != plannedShape(p.inputs, p.plan, *p.rules, i))
            throw std::runtime_error("verification: " + std::string(t.name) + " has another dtype or shape than planned");
    }
    for (const auto &a : p.plan.added) {
        const auto it = written.find(a.name);
        if (it == written.end() || it->second->dtype != a.dtype || it->second->shape != a.shape)
            throw std::runtime_error("verification: the added " + a.name + " is missing or misshapen");
        ++kept;
    }
    if (kept != written.size()) throw std::runtime_error("verification: the output has unexpected weights");
    verifyOptimizers(**out, *inputs, optimizers);
}

} // namespace

ExportReport writePyTorch(const Checkpoint &c, const Prepared &p, const ExportOptions &o, Progress &progress)
{
    ExportReport report;
    ValueArena scratch;
    std::unordered_map<const Value *, size_t> added; ///< new tensor values -> Plan::added index
    Value *weights = p.weights ? editedWeights(scratch, c, p, report, added) : nullptr;
    std::unordered_map<const Value *, const Value *> replace;
    if (weights) replace.emplace(p.weights, weights);
    if (o.weightsOnly && !weights) throw std::runtime_error("there is no dict of weights to write alone");
    const Value *root = o.weightsOnly ? weights : c.root();
    // Drops shift the optimizer's parameter indices, resizes and adds change what its state
    // must hold: fit it when the mapping is certain, and never leave it silently misfit.
    std::vector<OptimizerCheck> optimizers;
    if (!o.weightsOnly && c.root() && c.root()->kind == ValueKind::Dict)
        optimizers = fitOptimizers(scratch, c, p, o, replace, report);
    // Storage keys "0", "1", ... in the order the pickle meets them, as torch.save numbers them.
    // A tensor whose data changes (a cast, a resize), an added one and one assembled from
    // chunks get a storage of their own.
    enum class Kind { Storage, Edited, Added, Assembled };
    std::vector<std::pair<Kind, int>> order;
    std::map<std::pair<Kind, int>, std::string> keys;
    auto keyFor = [&](Kind kind, int index) {
        auto [it, inserted] = keys.try_emplace({kind, index}, std::to_string(keys.size()));
        if (inserted) order.emplace_back(kind, index);
        return it->second;
    };
    auto fresh = [](DType dtype, const std::vector<int64_t> &shape, bool parameter, bool requiresGrad) {
        TensorInfo t;
        t.dtype = dtype;
        t.shape = shape;
        t.strides = contiguousStrides(shape);
        t.parameter = parameter;
        t.requiresGrad = requiresGrad;
        return t;
    };
    std::string pickle;
    Pickler writer(pickle);
    writer.setReplacements(&replace);
    writer.setStorageKeys([&](int storage) { return keyFor(Kind::Storage, storage); });
    writer.setCanonicalTensors([&](const Value *v) -> std::optional<Pickler::CanonicalTensor> {
        if (const auto a = added.find(v); a != added.end()) {
            const AddedTensor &made = p.plan.added[a->second];
            const TensorInfo t = fresh(made.dtype, made.shape, false, false);
            return Pickler::CanonicalTensor{keyFor(Kind::Added, int(a->second)), t.dtype, t.numel(), "cpu", t};
        }
        if (const auto edit = p.edits.find(v->index); edit != p.edits.end()) {
            const TensorInfo &source = c.tensors()[size_t(v->index)];
            const TensorInfo t = fresh(p.plan.tensors[edit->second].dtype,
                                       plannedShape(p.inputs, p.plan, *p.rules, edit->second), source.parameter,
                                       source.requiresGrad);
            const std::string location = source.storage >= 0 ? c.storages()[size_t(source.storage)].location : "";
            return Pickler::CanonicalTensor{keyFor(Kind::Edited, v->index), t.dtype, t.numel(),
                                            location.empty() ? "cpu" : location, t};
        }
        const TensorInfo &t = c.tensors()[size_t(v->index)];
        if (t.chunks >= 0)
            return Pickler::CanonicalTensor{keyFor(Kind::Assembled, v->index), t.dtype, t.numel(), "cpu",
                                            fresh(t.dtype, t.shape, t.parameter, t.requiresGrad)};
        if (v->callable) return std::nullopt; // repeat the original rebuild call
        const StorageInfo &s = c.storages()[size_t(t.storage)];
        return Pickler::CanonicalTensor{keyFor(Kind::Storage, t.storage), s.dtype, s.numel,
                                        s.location.empty() ? "cpu" : s.location, t};
    });
    writer.dump(root);

    for (const auto &[kind, index] : order) {
        if (kind == Kind::Storage)
            progress.total += c.storages()[size_t(index)].nbytes();
        if (kind == Kind::Assembled) progress.total += c.tensors()[size_t(index)].nbytes();
    }
    TempFile temp(o.output);
    const std::string folder = fs::path(o.output).stem().string().empty() ? "archive" : fs::path(o.output).stem().string();
    ZipWriter zip(temp.file(), folder);
    zip.addRecord("data.pkl", pickle.data(), pickle.size());
    const SourceReader src(c);
    MadeTensorBytes addedBytes(c, p);
    std::vector<char> buffer;
    std::map<std::string, uint32_t> crcByKey;
    for (const auto &item : order) {
        const auto [kind, index] = item;
        const std::string &key = keys[item];
        if (kind != Kind::Storage) { // computed bytes, a storage of their own
            std::vector<char> bytes;
            DType dtype = DType::Unknown;
            if (kind == Kind::Added) { // streamed where it can be, a piece at a time
                const AddedTensor &a = p.plan.added[size_t(index)];
                int64_t numel = 1;
                for (int64_t d : a.shape) numel *= d;
                const uint64_t size = (uint64_t(numel) * uint64_t(dtypeBits(a.dtype)) + 7) / 8;
                zip.beginRecord("data/" + key, size);
                addedBytes.write(size_t(index), [&](const char *data, size_t n) {
                    if (c.bigEndian()) { // computed in this machine's order; the copied storages keep the source's
                        buffer.assign(data, data + n);
                        swapByteOrder(buffer.data(), n, a.dtype);
                        data = buffer.data();
                    }
                    zip.write(data, n);
                    report.bytes += n;
                    progress.advance(n);
                });
                zip.endRecord();
                crcByKey[key] = zip.lastCrc();
                continue;
            } else if (kind == Kind::Assembled) {
                bytes = tensorBytes(c, src, c.tensors()[size_t(index)]);
                dtype = c.tensors()[size_t(index)].dtype;
            } else {
                const size_t i = p.edits.at(index);
                bytes = plannedBytes(tensorBytes(c, src, c.tensors()[size_t(index)]), p.inputs[i], p.plan.tensors[i], *p.rules);
                dtype = p.plan.tensors[i].dtype;
            }
            // Computed in this machine's order; the copied storages keep the source's.
            if (c.bigEndian()) swapByteOrder(bytes.data(), bytes.size(), dtype);
            zip.addRecord("data/" + key, bytes.data(), bytes.size());
            crcByKey[key] = zip.lastCrc();
            report.bytes += bytes.size();
            progress.advance(bytes.size());
            continue;
        }
        const StorageInfo &s = c.storages()[size_t(index)];
        if (!Checkpoint::readable(s))
            throw std::runtime_error("storage " + s.key + " is compressed beyond what is read inflated");
        const uint64_t size = s.nbytes();
        zip.beginRecord("data/" + key, size);
        readStorageInPieces(c, src, s, 0, size, [&](const char *data, size_t n) {
            zip.write(data, n);
            progress.advance(n);
        });
        zip.endRecord();
        crcByKey[key] = zip.lastCrc();
        report.bytes += size;
    }
    if (c.bigEndian()) zip.addRecord("byteorder", "big", 3);
    zip.addRecord("version", "3\n", 2);
    zip.finish();
    temp.close();
    verifyPyTorch(temp.path(), c, p, o.weightsOnly ? Path{} : p.weightsPath, crcByKey, optimizers);
    temp.commit(o.output);
    report.files.push_back(o.output);
    report.storages = order.size();
    for (const auto &t : p.plan.tensors) report.tensors += !t.dropped;
    report.tensors += p.plan.added.size();
    return report;
}

} // namespace ckpt::exporting
