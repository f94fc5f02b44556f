#include "exporter.h"

#include "optimizer_remap.h"
#include "pickler.h"
#include "source_reader.h"
#include "tensor_edits.h"
#include "tensor_stats.h"
#include "tree_walker.h"
#include "zip_writer.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <filesystem>
#include <map>
#include <memory>
#include <unistd.h>

namespace ckpt {
namespace {

namespace fs = std::filesystem;
constexpr size_t kChunk = size_t(8) << 20; // bytes copied at a time: the export's memory bound

struct Cancelled
{
};

/// The temporary output: removed unless committed.
class TempFile final
{
public:
    explicit TempFile(const std::string &destination)
    {
        const fs::path target(destination);
        const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
        m_path = (folder / ("." + target.filename().string() + ".partial-XXXXXX")).string();
        const int fd = ::mkstemp(m_path.data());
        if (fd < 0) throw std::runtime_error(std::string("cannot create a file there: ") + std::strerror(errno));
        m_file = ::fdopen(fd, "w+b");
        if (!m_file) {
            ::close(fd);
            ::unlink(m_path.c_str());
            throw std::runtime_error("cannot open the temporary file");
        }
    }
    ~TempFile()
    {
        if (m_file) std::fclose(m_file);
        if (!m_committed) ::unlink(m_path.c_str());
    }
    std::FILE *file() { return m_file; }
    const std::string &path() const { return m_path; }

    /// Flushes to disk and closes; the file can then be read back before it is renamed.
    void close()
    {
        if (std::fflush(m_file) != 0 || ::fsync(::fileno(m_file)) != 0 || ::fchmod(::fileno(m_file), 0644) != 0)
            throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
        const int rc = std::fclose(m_file);
        m_file = nullptr;
        if (rc != 0) throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    }
    void commit(const std::string &destination)
    {
        if (::rename(m_path.c_str(), destination.c_str()) != 0)
            throw std::runtime_error(std::string("cannot rename into place: ") + std::strerror(errno));
        m_committed = true;
    }

private:
    std::string m_path;
    std::FILE *m_file = nullptr;
    bool m_committed = false;
};

/// Reads source bytes with pread (no mapping: what was copied does not stay resident).
struct Progress
{
    const std::atomic<bool> *cancel;
    const std::function<void(double)> &report;
    uint64_t total = 1;
    uint64_t done = 0;
    void advance(uint64_t n)
    {
        done += n;
        if (cancel && cancel->load()) throw Cancelled{};
        if (report) report(double(done) / double(std::max<uint64_t>(total, 1)));
    }
};

bool isOptimizerKey(std::string_view k)
{
    return k == "optimizer_states" || k == "optimizer" || k == "optimizer_state_dict" || k == "optim";
}

uint32_t crcOfFile(const std::string &path, uint64_t offset, uint64_t size)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot read the output back");
    std::vector<char> buffer(std::min<uint64_t>(size, kChunk));
    uint32_t crc = uint32_t(crc32(0, nullptr, 0));
    for (uint64_t done = 0; done < size;) {
        const ssize_t n = ::pread(fd, buffer.data(), std::min<uint64_t>(buffer.size(), size - done), off_t(offset + done));
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("the output is shorter than written");
        }
        crc = uint32_t(crc32(crc, reinterpret_cast<const Bytef *>(buffer.data()), uInt(n)));
        done += uint64_t(n);
    }
    ::close(fd);
    return crc;
}

struct Prepared
{
    std::vector<PlanInput> inputs;
    Plan plan;
    const Value *weights = nullptr;
    std::map<int, size_t> edits; ///< tensor index -> the input whose plan casts or resizes it
    const RuleSet *rules = nullptr;
};

std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape)
{
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * std::max<int64_t>(shape[i], 1);
    return strides;
}

/// A computed tensor (cast, resized, added) is held in memory whole, with a float copy or
/// two on the way: refuse one that would not fit, before anything is written.
void checkComputedSizes(const Prepared &p, const RuleSet &rules)
{
    const uint64_t memory = uint64_t(::sysconf(_SC_PHYS_PAGES)) * uint64_t(::sysconf(_SC_PAGESIZE));
    const uint64_t limit = memory / 2; // its float64 working copy
    auto check = [&](const std::string &name, const std::vector<int64_t> &shape) {
        long double elements = 1;
        for (int64_t d : shape) elements *= (long double)d;
        if (elements * 8 > (long double)limit)
            throw std::runtime_error(name + ": computing a tensor of " + std::to_string(uint64_t(elements)) +
                                     " elements needs more memory than this machine has; nothing was written");
    };
    for (const auto &[tensor, i] : p.edits) check(std::string(p.plan.tensors[i].name), plannedShape(p.inputs, p.plan, rules, i));
    for (const auto &a : p.plan.added) check(a.name, rules.rules[size_t(a.rule)].shape);
}

Prepared prepare(const Checkpoint &c, const RuleSet &rules)
{
    Prepared p;
    p.rules = &rules;
    auto inputs = planInputs(c, rules.weights);
    // No rules and no dict of weights (a bare tensor, a list): a faithful copy, nothing to edit.
    if (!inputs && rules.rules.empty() && !rules.weights) return p;
    if (!inputs) throw std::runtime_error(inputs.error().message);
    p.inputs = std::move(inputs.value());
    auto compiled = CompiledRules::compile(rules);
    if (!compiled) throw std::runtime_error(compiled.error().message);
    p.plan = (*compiled)->evaluate(p.inputs);
    if (p.plan.hasErrors()) throw std::runtime_error("the plan has errors (see ckpt plan); nothing was written");
    for (size_t i = 0; i < p.inputs.size(); ++i) {
        const TensorPlan &t = p.plan.tensors[i];
        if (t.dropped || (t.dtype == p.inputs[i].dtype && t.resizedBy < 0)) continue;
        const int tensor = c.entries()[p.inputs[i].entry].tensor;
        if (c.tensors()[size_t(tensor)].storage < 0)
            throw std::runtime_error(p.inputs[i].name + ": a meta tensor has no data to cast or resize");
        p.edits.emplace(tensor, i);
    }
    checkComputedSizes(p, rules);
    Path base = p.inputs.front().path;
    base.pop_back();
    p.weights = c.root();
    for (const auto &e : base) p.weights = p.weights ? childAt(p.weights, e) : nullptr;
    if (!p.weights || p.weights->kind != ValueKind::Dict)
        throw std::runtime_error("the weights are not a dict the export can edit");
    return p;
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
    dict->state = p.weights->state;
    for (size_t k = 0; k + 1 < p.weights->items.size(); k += 2) {
        Value *key = p.weights->items[k];
        Value *value = p.weights->items[k + 1];
        const auto it = key->kind == ValueKind::String ? byName.find(std::string(key->text)) : byName.end();
        if (it != byName.end() && value->kind == ValueKind::Tensor) {
            const TensorPlan &t = p.plan.tensors[it->second];
            if (t.dropped) {
                ++report.dropped;
                continue;
            }
            if (t.name != p.inputs[it->second].name) {
                ++report.renamed;
                key = arena.make(ValueKind::String);
                key->text = arena.keep(std::string(t.name));
            }
        }
        dict->items.push_back(key);
        dict->items.push_back(value);
    }
    for (size_t k = 0; k < p.plan.added.size(); ++k) {
        Value *key = arena.make(ValueKind::String);
        key->text = arena.keep(p.plan.added[k].name);
        Value *value = arena.make(ValueKind::Tensor);
        value->index = -1;
        added.emplace(value, k);
        dict->items.push_back(key);
        dict->items.push_back(value);
    }
    (void)c;
    return dict;
}

void verifyPyTorch(const std::string &path, const Checkpoint &source, const Prepared &p, const Path &weights,
                   const std::map<std::string, uint32_t> &crcByKey)
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
        const Rule &r = p.rules->rules[size_t(a.rule)];
        const auto it = written.find(a.name);
        if (it == written.end() || it->second->dtype != r.castTo || it->second->shape != r.shape)
            throw std::runtime_error("verification: the added " + a.name + " is missing or misshapen");
        ++kept;
    }
    if (kept != written.size()) throw std::runtime_error("verification: the output has unexpected weights");
}

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
    // Dropping weights shifts the optimizer's parameter indices: remap them when the mapping is
    // certain, otherwise never leave that silently.
    if (!o.weightsOnly && report.dropped && c.root() && c.root()->kind == ValueKind::Dict) {
        bool hasOptimizer = false, allRemapped = true;
        std::unordered_map<const Value *, const Value *> remapped;
        for (size_t k = 0; k + 1 < c.root()->items.size(); k += 2) {
            if (!isOptimizerKey(c.root()->items[k]->text)) continue;
            hasOptimizer = true;
            const Value *v = c.root()->items[k + 1];
            // Lightning keeps a list of optimizer state dicts; plain scripts keep one.
            std::vector<const Value *> states;
            if (v->kind == ValueKind::List) states.assign(v->items.begin(), v->items.end());
            else states.push_back(v);
            for (const Value *s : states) {
                const Value *r = remapOptimizerState(scratch, s, p.inputs, p.plan, c.tensors());
                if (r) remapped.emplace(s, r);
                else allRemapped = false;
            }
        }
        if (hasOptimizer && allRemapped) {
            replace.insert(remapped.begin(), remapped.end());
            report.optimizerRemapped = true;
            hasOptimizer = false; // handled
        }
        if (hasOptimizer && o.optimizer == ExportOptions::Optimizer::Abort)
            throw std::runtime_error("dropping these weights makes the optimizer state inconsistent and its "
                                     "parameters cannot be matched for certain: export --weights-only, or drop "
                                     "the optimizer state (--optimizer drop)");
        if (hasOptimizer) {
            Value *newRoot = scratch.make(ValueKind::Dict);
            *newRoot = *c.root();
            newRoot->items.clear();
            for (size_t k = 0; k + 1 < c.root()->items.size(); k += 2) {
                if (isOptimizerKey(c.root()->items[k]->text)) continue;
                newRoot->items.push_back(c.root()->items[k]);
                newRoot->items.push_back(c.root()->items[k + 1]);
            }
            replace[c.root()] = newRoot;
            report.optimizerDropped = true;
        }
    }

    // Storage keys "0", "1", ... in the order the pickle meets them, as torch.save numbers them.
    // A tensor whose data changes (a cast, a resize) and an added one get a storage of their own.
    enum class Kind { Storage, Edited, Added };
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
            const Rule &r = p.rules->rules[size_t(p.plan.added[a->second].rule)];
            const TensorInfo t = fresh(r.castTo, r.shape, false, false);
            return Pickler::CanonicalTensor{keyFor(Kind::Added, int(a->second)), t.dtype, t.numel(), "cpu", t};
        }
        if (const auto edit = p.edits.find(v->index); edit != p.edits.end()) {
            const TensorInfo &source = c.tensors()[size_t(v->index)];
            const TensorInfo t = fresh(p.plan.tensors[edit->second].dtype,
                                       plannedShape(p.inputs, p.plan, *p.rules, edit->second), source.parameter,
                                       source.requiresGrad);
            const std::string location = c.storages()[size_t(source.storage)].location;
            return Pickler::CanonicalTensor{keyFor(Kind::Edited, v->index), t.dtype, t.numel(),
                                            location.empty() ? "cpu" : location, t};
        }
        if (v->callable) return std::nullopt; // repeat the original rebuild call
        const TensorInfo &t = c.tensors()[size_t(v->index)];
        const StorageInfo &s = c.storages()[size_t(t.storage)];
        return Pickler::CanonicalTensor{keyFor(Kind::Storage, t.storage), s.dtype, s.numel,
                                        s.location.empty() ? "cpu" : s.location, t};
    });
    writer.dump(root);

    for (const auto &[kind, index] : order)
        if (kind == Kind::Storage)
            progress.total += (uint64_t(c.storages()[size_t(index)].numel) * uint64_t(dtypeBits(c.storages()[size_t(index)].dtype)) + 7) / 8;
    TempFile temp(o.output);
    const std::string folder = fs::path(o.output).stem().string().empty() ? "archive" : fs::path(o.output).stem().string();
    ZipWriter zip(temp.file(), folder);
    zip.addRecord("data.pkl", pickle.data(), pickle.size());
    const SourceReader src(c);
    AddedTensorBytes addedBytes;
    std::vector<char> buffer;
    std::map<std::string, uint32_t> crcByKey;
    for (const auto &item : order) {
        const auto [kind, index] = item;
        const std::string &key = keys[item];
        if (kind != Kind::Storage) { // computed bytes, a storage of their own
            std::vector<char> bytes;
            if (kind == Kind::Added) {
                bytes = addedBytes.bytes(p.rules->rules[size_t(p.plan.added[size_t(index)].rule)]);
            } else {
                const size_t i = p.edits.at(index);
                bytes = plannedBytes(tensorBytes(c, src, c.tensors()[size_t(index)]), p.inputs[i], p.plan.tensors[i], *p.rules);
            }
            zip.addRecord("data/" + key, bytes.data(), bytes.size());
            crcByKey[key] = zip.lastCrc();
            report.bytes += bytes.size();
            progress.advance(bytes.size());
            continue;
        }
        const StorageInfo &s = c.storages()[size_t(index)];
        if (!s.mapped) throw std::runtime_error("storage " + s.key + " is compressed in the source; not supported yet");
        const uint64_t size = (uint64_t(s.numel) * uint64_t(dtypeBits(s.dtype)) + 7) / 8;
        zip.beginRecord("data/" + key, size);
        for (uint64_t done = 0; done < size;) {
            const size_t n = size_t(std::min<uint64_t>(kChunk, size - done));
            buffer.resize(n);
            src.read(s.file, s.byteOffset + done, buffer.data(), n);
            zip.write(buffer.data(), n);
            done += n;
            progress.advance(n);
        }
        zip.endRecord();
        crcByKey[key] = zip.lastCrc();
        report.bytes += size;
    }
    zip.addRecord("version", "3\n", 2);
    zip.finish();
    temp.close();
    Path weightsPath;
    if (!p.inputs.empty()) {
        weightsPath = p.inputs.front().path;
        weightsPath.pop_back();
    }
    verifyPyTorch(temp.path(), c, p, o.weightsOnly ? Path{} : weightsPath, crcByKey);
    temp.commit(o.output);
    report.files.push_back(o.output);
    report.storages = order.size();
    for (const auto &t : p.plan.tensors) report.tensors += !t.dropped;
    report.tensors += p.plan.added.size();
    return report;
}

struct SafeOut
{
    size_t input;               ///< index into the inputs, or into Plan::added when t is null
    std::string name;
    const TensorInfo *t;        ///< the source tensor; null for an added one
    DType dtype;                ///< as written (after a cast)
    std::vector<int64_t> shape; ///< as written (after a resize)
    uint64_t nbytes() const
    {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        return (uint64_t(n) * uint64_t(dtypeBits(dtype)) + 7) / 8;
    }
};

/// One safetensors file of `outs` into a temporary file, verified; returns it uncommitted.
std::unique_ptr<TempFile> writeSafetensorsFile(const Checkpoint &c, const Prepared &p, const SourceReader &src,
                                               const std::vector<SafeOut> &outs, const nlohmann::ordered_json &meta,
                                               const std::string &destination, Progress &progress, ExportReport &report)
{
    using json = nlohmann::ordered_json;
    json header;
    header["__metadata__"] = meta;
    uint64_t offset = 0;
    for (const SafeOut &out : outs) {
        const uint64_t n = out.nbytes();
        header[out.name] = {{"dtype", std::string(safetensorsCode(out.dtype))},
                            {"shape", out.shape},
                            {"data_offsets", {offset, offset + n}}};
        offset += n;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    auto temp = std::make_unique<TempFile>(destination);
    const uint64_t headerSize = text.size();
    auto put = [&](const void *data, size_t size) {
        if (size && std::fwrite(data, 1, size, temp->file()) != size)
            throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    };
    put(&headerSize, 8);
    put(text.data(), text.size());
    std::vector<uint32_t> crcs;
    AddedTensorBytes added;
    for (const SafeOut &out : outs) {
        std::vector<char> bytes =
            out.t ? plannedBytes(tensorBytes(c, src, *out.t), p.inputs[out.input], p.plan.tensors[out.input], *p.rules)
                  : added.bytes(p.rules->rules[size_t(p.plan.added[out.input].rule)]);
        put(bytes.data(), bytes.size());
        crcs.push_back(uint32_t(crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef *>(bytes.data()), uInt(bytes.size()))));
        report.bytes += bytes.size();
        progress.advance(bytes.size());
    }
    temp->close();
    auto back = Checkpoint::open(temp->path());
    if (!back) throw std::runtime_error("the written file does not read back: " + back.error().message);
    std::map<std::string, const StorageInfo *> written;
    for (const auto &s : (*back)->storages()) written.emplace(s.key, &s);
    for (size_t k = 0; k < outs.size(); ++k) {
        const auto it = written.find(outs[k].name);
        if (it == written.end()) throw std::runtime_error("verification: " + outs[k].name + " is missing");
        if (it->second->dtype != outs[k].dtype ||
            crcOfFile(temp->path(), it->second->byteOffset, it->second->byteLength) != crcs[k])
            throw std::runtime_error("verification: " + outs[k].name + " differs from the source");
    }
    return temp;
}

ExportReport writeSafetensors(const Checkpoint &c, const Prepared &p, const ExportOptions &o, Progress &progress)
{
    using json = nlohmann::ordered_json;
    if (p.inputs.empty()) throw std::runtime_error("safetensors holds a dict of tensors; this file has none");
    ExportReport report;
    std::vector<SafeOut> outs;
    std::map<std::tuple<int, int64_t, std::vector<int64_t>, std::vector<int64_t>, DType>, std::string> firstView;
    for (size_t i = 0; i < p.inputs.size(); ++i) {
        const TensorPlan &plan = p.plan.tensors[i];
        if (plan.dropped) {
            ++report.dropped;
            continue;
        }
        const std::string name(plan.name);
        report.renamed += plan.renamed;
        const TensorInfo &t = c.tensors()[size_t(c.entries()[p.inputs[i].entry].tensor)];
        if (safetensorsCode(plan.dtype).empty())
            throw std::runtime_error(name + ": safetensors has no " + std::string(dtypeName(plan.dtype)));
        if (t.storage < 0) throw std::runtime_error(name + ": a meta tensor has no data");
        if (o.tied == ExportOptions::Tied::Alias && plan.resizedBy < 0) {
            const auto [it, inserted] = firstView.try_emplace({t.storage, t.storageOffset, t.shape, t.strides, plan.dtype}, name);
            if (!inserted) {
                report.aliases.push_back(name + "=" + it->second);
                continue;
            }
        }
        outs.push_back({i, name, &t, plan.dtype, plannedShape(p.inputs, p.plan, *p.rules, i)});
    }
    for (size_t k = 0; k < p.plan.added.size(); ++k) {
        const Rule &r = p.rules->rules[size_t(p.plan.added[k].rule)];
        if (safetensorsCode(r.castTo).empty())
            throw std::runtime_error(r.name + ": safetensors has no " + std::string(dtypeName(r.castTo)));
        outs.push_back({k, r.name, nullptr, r.castTo, r.shape});
    }
    // The reference writer's order: larger elements first, then by name.
    std::stable_sort(outs.begin(), outs.end(), [](const SafeOut &a, const SafeOut &b) {
        const int ia = dtypeBits(a.dtype), ib = dtypeBits(b.dtype);
        return ia != ib ? ia > ib : a.name < b.name;
    });
    json meta = {{"format", "pt"}, {"producer", "Checkpoint Studio"}};
    if (!o.configName.empty()) meta["config"] = o.configName;
    if (!report.aliases.empty()) {
        json aliases = json::object();
        for (const auto &a : report.aliases) aliases[a.substr(0, a.find('='))] = a.substr(a.find('=') + 1);
        meta["aliases"] = aliases.dump();
    }
    uint64_t total = 0;
    for (const auto &out : outs) total += out.nbytes();
    progress.total = std::max<uint64_t>(total, 1);
    const SourceReader src(c);
    if (o.shardSize == 0) {
        auto temp = writeSafetensorsFile(c, p, src, outs, meta, o.output, progress, report);
        temp->commit(o.output);
        report.files.push_back(o.output);
        report.tensors = outs.size();
        return report;
    }
    // Shards of at most shardSize bytes (a larger tensor gets one of its own), then the index.
    std::vector<std::vector<SafeOut>> shards(1);
    uint64_t inShard = 0;
    for (const auto &out : outs) {
        if (!shards.back().empty() && inShard + out.nbytes() > o.shardSize) {
            shards.emplace_back();
            inShard = 0;
        }
        shards.back().push_back(out);
        inShard += out.nbytes();
    }
    const fs::path target(o.output);
    std::string stem = target.filename().string();
    if (stem.ends_with(".safetensors")) stem.resize(stem.size() - 12);
    std::vector<std::unique_ptr<TempFile>> temps;
    std::vector<std::string> names;
    json weightMap = json::object();
    for (size_t k = 0; k < shards.size(); ++k) {
        char name[64];
        std::snprintf(name, sizeof name, "-%05zu-of-%05zu.safetensors", k + 1, shards.size());
        names.push_back(stem + name);
        const std::string path = (target.parent_path() / names.back()).string();
        temps.push_back(writeSafetensorsFile(c, p, src, shards[k], meta, path, progress, report));
        for (const auto &out : shards[k]) weightMap[out.name] = names.back();
    }
    json index = {{"metadata", {{"total_size", total}, {"producer", "Checkpoint Studio"}}}, {"weight_map", weightMap}};
    const std::string indexPath = (target.parent_path() / (stem + ".safetensors.index.json")).string();
    TempFile indexFile(indexPath);
    const std::string text = index.dump(2) + "\n";
    if (std::fwrite(text.data(), 1, text.size(), indexFile.file()) != text.size())
        throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    indexFile.close();
    for (size_t k = 0; k < temps.size(); ++k) {
        const std::string path = (target.parent_path() / names[k]).string();
        temps[k]->commit(path);
        report.files.push_back(path);
    }
    indexFile.commit(indexPath); // last: a reader never sees an index before its shards
    report.files.push_back(indexPath);
    report.tensors = outs.size();
    return report;
}

} // namespace

std::string ExportReport::summary() const
{
    std::string out = std::to_string(tensors) + " weights (" + std::to_string(renamed) + " renamed, " +
                      std::to_string(dropped) + " dropped";
    if (resized) out += ", " + std::to_string(resized) + " resized";
    if (cast) out += ", " + std::to_string(cast) + " cast";
    if (added) out += ", " + std::to_string(added) + " added";
    out += ")";
    if (optimizerDropped) out += ", optimizer state dropped";
    if (optimizerRemapped) out += ", optimizer state remapped";
    if (!aliases.empty()) out += ", " + std::to_string(aliases.size()) + " aliases";
    return out;
}

std::optional<uint64_t> parseByteSize(const std::string &text)
{
    size_t end = 0;
    double value = 0;
    try {
        value = std::stod(text, &end);
    } catch (const std::exception &) {
        return std::nullopt;
    }
    std::string unit = text.substr(end);
    for (auto &ch : unit) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    static const std::pair<const char *, double> kUnits[] = {
        {"", 1}, {"B", 1}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
        {"KIB", 1024.0}, {"MIB", 1048576.0}, {"GIB", 1073741824.0}, {"TIB", 1099511627776.0}};
    for (const auto &[name, scale] : kUnits)
        if (unit == name && value > 0) return uint64_t(value * scale);
    return std::nullopt;
}

Result<ExportReport> exportCheckpoint(const Checkpoint &source, const RuleSet &rules, const ExportOptions &options,
                                      const std::atomic<bool> *cancel, const std::function<void(double)> &progress)
{
    try {
        std::error_code ec;
        for (const auto &f : source.files())
            if (fs::exists(options.output, ec) && fs::equivalent(f.path, options.output, ec))
                return Error{"the output would overwrite the input"};
        const Prepared p = prepare(source, rules);
        Progress state{cancel, progress};
        ExportReport report = options.format == ExportOptions::Format::PyTorch ? writePyTorch(source, p, options, state)
                                                                               : writeSafetensors(source, p, options, state);
        for (size_t i = 0; i < p.inputs.size(); ++i) {
            const TensorPlan &t = p.plan.tensors[i];
            report.resized += !t.dropped && t.resizedBy >= 0;
            report.cast += !t.dropped && t.dtype != p.inputs[i].dtype;
        }
        report.added = p.plan.added.size();
        return report;
    } catch (const Cancelled &) {
        return Error{"cancelled; nothing was written"};
    } catch (const std::bad_alloc &) {
        return Error{"out of memory; nothing was written"};
    } catch (const std::exception &e) {
        return Error{e.what()};
    }
}

} // namespace ckpt
