#include "model/formats/deepspeed_reader.h"

#include "model/base/format_error.h"
#include "model/formats/deepspeed_layout.h"
#include "model/formats/format_registry.h"
#include "model/formats/table_merge.h"
#include "model/formats/value_access.h"
#include "model/remote/location.h"

#include <algorithm>
#include <filesystem>
#include <cctype>
#include <map>

namespace ckpt {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string_view> kZeroStages{"disabled", "optimizer_states", "gradients", "weights"};

/// zero_to_fp32's natural_keys order: runs of digits compare as numbers.
bool naturalLess(const std::string &a, const std::string &b)
{
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (std::isdigit(uint8_t(a[i])) && std::isdigit(uint8_t(b[j]))) {
            size_t ei = i, ej = j;
            while (ei < a.size() && std::isdigit(uint8_t(a[ei]))) ++ei;
            while (ej < b.size() && std::isdigit(uint8_t(b[ej]))) ++ej;
            const std::string_view na = std::string_view(a).substr(i, ei - i), nb = std::string_view(b).substr(j, ej - j);
            const auto ta = na.substr(std::min(na.find_first_not_of('0'), na.size()));
            const auto tb = nb.substr(std::min(nb.find_first_not_of('0'), nb.size()));
            if (ta.size() != tb.size()) return ta.size() < tb.size();
            if (ta != tb) return ta < tb;
            i = ei;
            j = ej;
        } else {
            if (a[i] != b[j]) return a[i] < b[j];
            ++i;
            ++j;
        }
    }
    return a.size() - i < b.size() - j;
}

bool isStatesFile(const std::string &name)
{
    return name.ends_with("_model_states.pt") || name.ends_with("_optim_states.pt");
}

std::vector<std::string> statesFiles(const fs::path &folder, std::string_view ending)
{
    auto listing = listLocation(folder.string());
    if (!listing) throw FormatError(folder.string() + ": " + listing.error().message);
    std::vector<std::string> out;
    for (const std::string &name : listing->files)
        if (name.ends_with(ending)) out.push_back(name);
    std::sort(out.begin(), out.end(), naturalLess);
    return out;
}

/// A string-keyed dict's entries, in order.
std::vector<std::pair<std::string_view, const Value *>> entries(const Value *dict)
{
    std::vector<std::pair<std::string_view, const Value *>> out;
    if (!dict || dict->kind != ValueKind::Dict) return out;
    for (size_t i = 0; i + 1 < dict->items.size(); i += 2)
        if (dict->items[i]->kind == ValueKind::String) out.emplace_back(dict->items[i]->text, dict->items[i + 1]);
    return out;
}

/// One rank's optimizer states file, read and added to the tables.
struct Rank
{
    CheckpointData data;
    std::string name;
    int tensorBase = 0;
    int storageBase = 0;
    const Value *osd = nullptr;
    std::vector<int> flat;       ///< the flat fp32 group tensors (table indices)
    const Value *state = nullptr; ///< the wrapped optimizer's state dict {group: {slot: tensor}}
    const Value *inner = nullptr; ///< the wrapped optimizer's state_dict (param_groups)
};

class DeepSpeedAssembly
{
public:
    DeepSpeedAssembly(CheckpointData &d, const FormatRegistry &registry, fs::path folder)
        : m_d(d), m_registry(registry), m_folder(std::move(folder))
    {
    }

    void read()
    {
        const auto models = statesFiles(m_folder, "_model_states.pt");
        const auto optims = statesFiles(m_folder, "_optim_states.pt");
        for (const auto &n : models)
            if (n.starts_with("layer_") || n.find("mp_rank_") == std::string::npos || n.find("mp_rank_00_") == std::string::npos)
                throw FormatError(n + ": mixture-of-experts and model-parallel (mp_rank > 0) checkpoints are not read yet");
        if (models.empty()) throw FormatError("no *_model_states.pt in " + m_folder.filename().string());
        if (optims.empty()) throw FormatError("no *_optim_states.pt in " + m_folder.filename().string() + " (not a ZeRO checkpoint)");
        std::vector<std::string> all;
        for (const auto *names : {&models, &optims})
            for (const auto &n : *names) all.push_back((m_folder / n).string());
        openLocations(all); // remote ranks: their first requests at once
        m_d = readFile(models.front());
        m_d.format = "deepspeed";
        m_d.entries.clear(); // walked again once the tree is assembled
        m_d.candidates.clear();
        for (auto &g : m_d.safety.globals) g.file = models.front() + ":" + g.file;
        for (auto &w : m_d.warnings) w = models.front() + ": " + w;
        for (const auto &n : optims) m_ranks.push_back(readRank(n));
        readOptimizerStates();
        for (size_t i = 1; i < models.size() && m_stage == 3; ++i) m_modelStates.push_back(readRank(models[i]));
        build();
    }

private:
    CheckpointData readFile(const std::string &name)
    {
        auto loaded = m_registry.readNested((m_folder / name).string());
        if (!loaded) throw FormatError(name + ": " + loaded.error().message);
        return std::move(loaded.value());
    }

    /// Reads a rank's states file and adds its tables.
    Rank readRank(const std::string &name)
    {
        Rank r;
        r.name = name;
        r.data = readFile(name);
        const TableMerge::Shift shift = m_merge.add(r.data, -1, 0, name);
        r.tensorBase = shift.tensors;
        r.storageBase = shift.storages;
        return r;
    }

    int tensorOf(const Value *v, int base, const std::string &what) const
    {
        if (!v || v->kind != ValueKind::Tensor || v->index < 0) throw FormatError(what + " is not a tensor");
        return base + v->index;
    }

    void readOptimizerStates()
    {
        const Value *first = field(m_ranks.front().data.root, "optimizer_state_dict");
        const auto stage = enumValue(field(first, "zero_stage"), kZeroStages);
        if (!stage)
            throw FormatError(m_ranks.front().name + " has no zero_stage (a BF16_Optimizer checkpoint, which zero_to_fp32 refuses too)");
        m_stage = int(*stage);
        if (m_stage < 1 || m_stage > 3) throw FormatError(m_ranks.front().name + ": ZeRO stage " + std::to_string(m_stage) + " is not one of 1, 2, 3");
        const Value *count = field(first, "partition_count");
        int64_t world = 0;
        if (count && count->kind == ValueKind::Int) world = count->integer;
        else if (count && count->kind == ValueKind::List)
            for (const Value *c : count->items) world = std::max(world, c->kind == ValueKind::Int ? c->integer : 0);
        if (world != int64_t(m_ranks.size()))
            throw FormatError("partition_count says " + std::to_string(world) + " ranks, the folder holds " +
                              std::to_string(m_ranks.size()) + " *_optim_states.pt files");
        for (Rank &r : m_ranks) {
            r.osd = field(r.data.root, "optimizer_state_dict");
            const Value *groups = field(r.osd, m_stage <= 2 ? "single_partition_of_fp32_groups" : "fp32_flat_groups");
            if (!groups || groups->kind != ValueKind::List) throw FormatError(r.name + " has no flat fp32 groups");
            for (size_t g = 0; g < groups->items.size(); ++g) {
                const int t = tensorOf(groups->items[g], r.tensorBase, r.name + " flat group " + std::to_string(g));
                if (m_d.tensors[size_t(t)].shape.size() != 1 || !isFloatingPoint(m_d.tensors[size_t(t)].dtype))
                    throw FormatError(r.name + " flat group " + std::to_string(g) + " is not a 1-D floating-point tensor");
                r.flat.push_back(t);
            }
            r.inner = field(r.osd, m_stage <= 2 ? "base_optimizer_state" : "optimizer_state_dict");
            r.state = field(r.inner, "state");
        }
    }

    /// A view of `length` elements of a rank's flat tensor from `from`, shaped `shape`.
    int view(int flat, int64_t from, std::vector<int64_t> shape)
    {
        TensorInfo t = m_d.tensors[size_t(flat)];
        t.storageOffset += from;
        t.strides = contiguousStrides(shape);
        t.shape = std::move(shape);
        t.parameter = false;
        t.requiresGrad = false;
        m_d.tensors.push_back(std::move(t));
        return int(m_d.tensors.size()) - 1;
    }

    /// The tensor a parameter of `shape` is, from its runs over the ranks' flat tensors
    /// (`flatOf(rank, group)`): a view when one run holds it all, else chunks.
    template <class FlatOf>
    int assemble(const std::vector<FlatRun> &runs, const std::vector<int64_t> &shape, FlatOf flatOf)
    {
        int64_t n = 0;
        checkedNumel(shape, n); // param_shapes were checked (numelOf)
        if (runs.size() == 1 && runs[0].length == n) return view(flatOf(runs[0].rank, runs[0].group), runs[0].from, shape);
        std::vector<TensorChunk> chunks;
        DType dtype = DType::Unknown;
        for (const FlatRun &r : runs) {
            const int flat = flatOf(r.rank, r.group);
            dtype = m_d.tensors[size_t(flat)].dtype;
            chunks.push_back(TensorChunk{{r.at}, {r.length}, view(flat, r.from, {r.length}), true});
        }
        return m_merge.chunkedTensor(dtype, shape, std::move(chunks));
    }

    Value *tensorValue(int index)
    {
        Value *v = m_d.arena->make(ValueKind::Tensor);
        v->index = index;
        return v;
    }

    void put(Value *dict, std::string_view key, Value *value)
    {
        dict->items.push_back(stringValue(*m_d.arena, key));
        dict->items.push_back(value);
    }

    void build();

    CheckpointData &m_d;
    const FormatRegistry &m_registry;
    fs::path m_folder;
    TableMerge m_merge{m_d};
    std::vector<Rank> m_ranks;
    std::vector<Rank> m_modelStates; ///< stage 3: the other ranks' model states (frozen fragments)
    int m_stage = 0;
};

int64_t numelOf(const std::vector<int64_t> &shape, const std::string &name)
{
    int64_t n = 0;
    if (!checkedNumel(shape, n) || n < 0) throw FormatError("param_shapes: " + name + " has an impossible shape");
    return n;
}

void DeepSpeedAssembly::build()
{
    const Value *root = m_d.root;
    const Value *shapes = field(root, "param_shapes");
    if (!shapes || shapes->kind != ValueKind::List) throw FormatError("the model states have no param_shapes list");
    struct Param
    {
        std::string name;
        std::vector<int64_t> shape;
        int group = 0;
    };
    std::vector<Param> params;
    std::vector<std::vector<int64_t>> numels; // [group][param]
    for (size_t g = 0; g < shapes->items.size(); ++g) {
        auto &n = numels.emplace_back();
        for (const auto &[name, size] : entries(shapes->items[g])) {
            const auto dims = ints(size);
            if (!dims) throw FormatError("param_shapes: " + std::string(name) + " has no shape");
            params.push_back({std::string(name), *dims, int(g)});
            n.push_back(numelOf(*dims, params.back().name));
        }
    }
    std::vector<std::vector<int64_t>> partitions; // [rank][group]
    for (const Rank &r : m_ranks) {
        auto &p = partitions.emplace_back();
        for (int t : r.flat) p.push_back(m_d.tensors[size_t(t)].numel());
    }
    std::vector<std::vector<FlatRun>> runs;
    if (m_stage <= 2) {
        std::vector<std::vector<int64_t>> pads;
        const Value *given = field(m_ranks.front().osd, "param_alignment_paddings");
        const bool padded = given && given->kind == ValueKind::List;
        if (padded)
            for (const Value *g : given->items) {
                const auto p = ints(g);
                if (!p) throw FormatError(m_ranks.front().name + ": param_alignment_paddings is not lists of integers");
                pads.push_back(*p);
            }
        runs = zero2Runs(partitions, numels, padded ? &pads : nullptr);
    } else {
        std::vector<int64_t> all;
        for (const auto &g : numels) all.insert(all.end(), g.begin(), g.end());
        runs = zero3Runs(partitions, all);
    }

    // fp32: buffers, frozen parameters, trainable ones, shared aliases (zero_to_fp32's order).
    Value *fp32 = m_d.arena->make(ValueKind::Dict);
    std::map<std::string, Value *, std::less<>> placed;
    const Value *module = field(root, "module");
    std::vector<std::string> buffers;
    if (const Value *names = field(root, "buffer_names"); names && names->kind == ValueKind::List)
        for (const Value *n : names->items)
            if (n->kind == ValueKind::String)
                if (Value *b = const_cast<Value *>(field(module, n->text)); b && b->kind == ValueKind::Tensor) {
                    put(fp32, n->text, b);
                    placed[std::string(n->text)] = b;
                    buffers.emplace_back(n->text);
                }
    const Value *fragments = field(root, "frozen_param_fragments");
    for (const auto &[name, size] : entries(field(root, "frozen_param_shapes"))) {
        const std::string key(name);
        const auto dims = ints(size);
        if (!dims) throw FormatError("frozen_param_shapes: " + key + " has no shape");
        Value *leaf = nullptr;
        if (m_stage <= 2) {
            leaf = const_cast<Value *>(field(fragments, name));
            if (!leaf || leaf->kind != ValueKind::Tensor) throw FormatError("frozen parameter " + key + " has no fragment");
        } else { // each rank's model states hold a part; concatenated, the first n elements
            const int64_t n = numelOf(*dims, key);
            std::vector<int> parts;
            std::vector<FlatRun> frozenRuns;
            int64_t at = 0;
            for (size_t r = 0; r <= m_modelStates.size(); ++r) {
                const CheckpointData &states = r == 0 ? m_d : m_modelStates[r - 1].data;
                const int base = r == 0 ? 0 : m_modelStates[r - 1].tensorBase;
                const int t = tensorOf(field(field(states.root, "frozen_param_fragments"), name), base,
                                       "frozen parameter " + key + " on rank " + std::to_string(r));
                parts.push_back(t);
                const int64_t take = std::min(m_d.tensors[size_t(t)].numel(), n - at);
                if (take > 0) frozenRuns.push_back({int(r), 0, 0, take, at});
                at += std::max<int64_t>(take, 0);
            }
            if (at != n) throw FormatError("frozen parameter " + key + ": its parts hold fewer elements than its shape");
            leaf = tensorValue(assemble(frozenRuns, *dims, [&](int r, int) { return parts[size_t(r)]; }));
        }
        put(fp32, key, leaf);
        placed[key] = leaf;
    }
    for (size_t k = 0; k < params.size(); ++k) {
        Value *leaf = tensorValue(assemble(runs[k], params[k].shape, [&](int r, int g) { return m_ranks[size_t(r)].flat[size_t(g)]; }));
        put(fp32, params[k].name, leaf);
        placed[params[k].name] = leaf;
    }
    for (const auto &[alias, owner] : entries(field(root, "shared_params")))
        if (owner->kind == ValueKind::String)
            if (const auto it = placed.find(owner->text); it != placed.end()) put(fp32, alias, it->second);

    // optimizer: the moments cut like the fp32 weights, per parameter; scalars (step) as the
    // first rank keeps them for the parameter's group.
    Value *optimizer = m_d.arena->make(ValueKind::Dict);
    Value *state = m_d.arena->make(ValueKind::Dict);
    auto slotsOf = [](const Value *stateDict, int group) -> const Value * {
        if (!stateDict || stateDict->kind != ValueKind::Dict) return nullptr;
        for (size_t i = 0; i + 1 < stateDict->items.size(); i += 2)
            if (stateDict->items[i]->kind == ValueKind::Int && stateDict->items[i]->integer == group) return stateDict->items[i + 1];
        return nullptr;
    };
    const Rank &first = m_ranks.front();
    for (size_t k = 0; k < params.size(); ++k) {
        const int group = runs[k].empty() ? params[k].group : runs[k].front().group;
        const auto slots = entries(slotsOf(first.state, group));
        if (slots.empty()) continue;
        Value *mine = m_d.arena->make(ValueKind::Dict);
        for (const auto &entry : slots) {
            const std::string_view slot = entry.first; // named: clang's lambdas cannot capture a binding
            const Value *value = entry.second;
            const bool moment = value->kind == ValueKind::Tensor && value->index >= 0 &&
                                m_d.tensors[size_t(first.tensorBase + value->index)].numel() >= partitions[0][size_t(group)] &&
                                m_d.tensors[size_t(first.tensorBase + value->index)].shape.size() == 1;
            if (!moment) {
                put(mine, slot, copyValue(*m_d.arena, value, first.tensorBase, first.storageBase)); // rank 0's, as it is
                continue;
            }
            const std::string what = "optimizer slot " + std::string(slot);
            auto flatOf = [&](int r, int g) {
                const Rank &rank = m_ranks[size_t(r)];
                const int t = tensorOf(field(slotsOf(rank.state, g), slot), rank.tensorBase, rank.name + " " + what);
                // Stages 1 and 2 keep the moments padded (group_paddings), the fp32 partition not.
                if (m_d.tensors[size_t(t)].numel() < partitions[size_t(r)][size_t(g)])
                    throw FormatError(rank.name + ": " + what + " of group " + std::to_string(g) + " is smaller than its partition");
                return t;
            };
            put(mine, slot, tensorValue(assemble(runs[k], params[k].shape, flatOf)));
        }
        put(state, params[k].name, mine);
    }
    put(optimizer, "state", state);
    if (const Value *groups = field(first.inner, "param_groups"))
        put(optimizer, "param_groups", copyValue(*m_d.arena, groups, first.tensorBase, first.storageBase));

    // The model states' tree, with the assembled parts in it.
    Value *out = m_d.arena->make(ValueKind::Dict);
    bool hadOptimizer = false;
    for (const auto &[key, value] : entries(root)) {
        if (key == "module") {
            Value *kept = const_cast<Value *>(value);
            if (m_stage == 3) { // its parameters are empty placeholders; buffers are real
                kept = m_d.arena->make(ValueKind::Dict);
                for (const auto &b : buffers) put(kept, b, placed[b]);
            }
            put(out, key, kept);
            put(out, "fp32", fp32);
        } else if (key == "optimizer") {
            put(out, key, optimizer);
            hadOptimizer = true;
        } else {
            put(out, key, const_cast<Value *>(value));
        }
    }
    if (!module) put(out, "fp32", fp32);
    if (!hadOptimizer) put(out, "optimizer", optimizer);
    m_d.root = out;
    m_d.preferredWeights = Path{std::string("fp32")};
    m_d.metadata["zero_stage"] = std::to_string(m_stage);
    m_d.metadata["ranks"] = std::to_string(m_ranks.size());
    m_d.metadata["tag"] = m_folder.filename().string();
    if (const Value *v = field(root, "ds_version"); v && v->kind == ValueKind::String) m_d.metadata["ds_version"] = std::string(v->text);
}

} // namespace

int deepspeedRankOf(std::string_view name)
{
    const auto at = name.find("zero_pp_rank_");
    if (at == std::string_view::npos || !name.ends_with("_states.pt")) return -1;
    int rank = 0;
    size_t i = at + 13;
    const size_t first = i;
    for (; i < name.size() && std::isdigit(uint8_t(name[i])) && rank < 100000000; ++i) rank = rank * 10 + (name[i] - '0');
    return i > first && i < name.size() && name[i] == '_' ? rank : -1;
}

Recognition DeepSpeedReader::recogniseFolder(const FolderProbe &probe) const
{
    bool model = false, optim = false;
    for (const auto &f : probe.files) {
        model = model || f.ends_with("_model_states.pt");
        optim = optim || f.ends_with("_optim_states.pt");
    }
    if (model && optim) return {100, "holds DeepSpeed *_model_states.pt and *_optim_states.pt", {}, {}};
    if (std::binary_search(probe.files.begin(), probe.files.end(), std::string("latest")))
        return {95, "holds latest (a DeepSpeed checkpoint's tag)", {}, {}};
    return {};
}

CheckpointData DeepSpeedReader::readFolder(const std::string &path, const FormatRegistry &registry) const
{
    fs::path folder(path);
    auto listing = listLocation(path);
    if (!listing) throw FormatError(listing.error().message);
    const bool states = std::any_of(listing->files.begin(), listing->files.end(), isStatesFile);
    if (!states) { // follow `latest`
        std::string tag;
        if (auto latest = openLocation((folder / "latest").string())) {
            const ByteView head = latest.value()->view(0, std::min<uint64_t>(latest.value()->size(), 256));
            tag.assign(reinterpret_cast<const char *>(head.data()), head.size());
        }
        while (!tag.empty() && std::isspace(uint8_t(tag.back()))) tag.pop_back();
        if (leavesFolder(tag)) throw FormatError("latest names '" + tag + "', not a tag folder beside it");
        if (!std::binary_search(listing->folders.begin(), listing->folders.end(), tag))
            throw FormatError("latest names tag '" + tag + "', which is not a folder here");
        folder /= tag;
    }
    CheckpointData d;
    DeepSpeedAssembly(d, registry, folder).read();
    return d;
}

} // namespace ckpt
