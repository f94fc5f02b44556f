#include "model/formats/dcp_reader.h"

#include "model/base/format_error.h"
#include "model/formats/dcp_metadata.h"
#include "model/formats/format_registry.h"
#include "model/remote/location.h"
#include "model/formats/pickle_run.h"
#include "model/formats/table_merge.h"
#include "model/formats/value_access.h"
#include "model/sources/memory_source.h"
#include "model/sources/slice_source.h"
#include "model/sources/zstd_stream.h"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <map>
#include <set>

namespace ckpt {
namespace {

namespace fs = std::filesystem;

/// Elements in a box, INT64_MAX when that overflows.
int64_t volume(const std::vector<int64_t> &sizes)
{
    int64_t n = 0;
    return checkedNumel(sizes, n) ? n : INT64_MAX;
}

bool overlap(const DcpMetadata::Chunk &a, const DcpMetadata::Chunk &b)
{
    for (size_t d = 0; d < a.offsets.size(); ++d)
        if (a.offsets[d] >= b.offsets[d] + b.sizes[d] || b.offsets[d] >= a.offsets[d] + a.sizes[d]) return false;
    return volume(a.sizes) > 0 && volume(b.sizes) > 0;
}

/// Chunks must cover the tensor exactly once, as dcp.load assumes (_validate_global_plan).
void checkCover(const DcpMetadata::Entry &e)
{
    if (volume(e.size) == INT64_MAX) throw FormatError("tensor " + e.fqn + " is too large: " + shapeText(e.size));
    int64_t covered = 0;
    for (const auto &c : e.chunks) covered = std::min<int64_t>(covered + std::min(volume(c.sizes), INT64_MAX / 2), INT64_MAX / 2);
    if (covered != volume(e.size))
        throw FormatError("tensor " + e.fqn + ": its chunks hold " + std::to_string(covered) + " elements, its size " +
                          shapeText(e.size) + " " + std::to_string(volume(e.size)));
    constexpr size_t kPairwise = 2048;
    if (e.chunks.size() <= kPairwise) {
        for (size_t i = 0; i < e.chunks.size(); ++i)
            for (size_t j = i + 1; j < e.chunks.size(); ++j)
                if (overlap(e.chunks[i], e.chunks[j]))
                    throw FormatError("tensor " + e.fqn + ": chunks at " + shapeText(e.chunks[i].offsets) + " and " +
                                      shapeText(e.chunks[j].offsets) + " overlap");
        return;
    }
    // Many chunks: only rows of the whole (cut along the first dimension) are checked, in order.
    std::vector<const DcpMetadata::Chunk *> rows;
    for (const auto &c : e.chunks) {
        for (size_t d = 1; d < c.sizes.size(); ++d)
            if (c.offsets[d] != 0 || c.sizes[d] != e.size[d])
                throw FormatError("tensor " + e.fqn + " has " + std::to_string(e.chunks.size()) +
                                  " chunks cut along several dimensions: too many to check");
        rows.push_back(&c);
    }
    std::sort(rows.begin(), rows.end(), [](auto *a, auto *b) { return a->offsets[0] < b->offsets[0]; });
    for (size_t i = 1; i < rows.size(); ++i)
        if (rows[i]->offsets[0] < rows[i - 1]->offsets[0] + rows[i - 1]->sizes[0] && volume(rows[i]->sizes) > 0)
            throw FormatError("tensor " + e.fqn + ": chunks at " + shapeText(rows[i - 1]->offsets) + " and " +
                              shapeText(rows[i]->offsets) + " overlap");
}

/// A node of the nested state dict being rebuilt from planner_data.
struct Nest
{
    std::map<PathElement, size_t> index;
    std::vector<std::pair<PathElement, size_t>> children; ///< in first-seen order
    Value *leaf = nullptr;
};

class DcpAssembly
{
public:
    DcpAssembly(CheckpointData &d, const FormatRegistry &registry, fs::path folder)
        : m_d(d), m_registry(registry), m_folder(std::move(folder))
    {
        m_nests.emplace_back();
    }

    void read(const DcpMetadata &meta)
    {
        prefetch(meta);
        for (const auto &e : meta.entries) {
            Value *leaf = e.tensor ? tensorLeaf(meta, e) : bytesLeaf(meta, e);
            auto it = meta.paths.find(e.fqn);
            place(it != meta.paths.end() && it->second.size() <= 256 ? it->second : Path{e.fqn}, leaf, e.fqn);
        }
        m_d.root = materialise(0);
        std::set<int> ranks;
        for (const auto &f : m_d.files)
            if (const int r = dcpRankOf(fs::path(f.path).filename().string()); r >= 0) ranks.insert(r);
        m_d.metadata["ranks"] = std::to_string(ranks.size());
        if (!meta.version.empty()) m_d.metadata["dcp_version"] = meta.version;
        if (!meta.saveId.empty()) m_d.metadata["save_id"] = meta.saveId;
    }

private:
    /// Remote ranks' files are opened at once, and each item's first and last 4 KiB (a
    /// torch.save archive's pickle, directory and end record) asked for together: not several
    /// round trips per item.
    void prefetch(const DcpMetadata &meta)
    {
        if (!isRemoteAddress(m_folder.string())) return; // a local file's pages are there
        constexpr uint64_t kEnds = 4096;
        std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> ranges;
        for (const auto &[key, s] : meta.storage) {
            if (leavesFolder(s.file)) continue; // fileOf() reports it
            auto &r = ranges[s.file];
            r.emplace_back(s.offset, std::min(s.length, kEnds));
            if (s.length > kEnds) r.emplace_back(s.offset + s.length - kEnds, kEnds);
        }
        if (ranges.size() > 1) {
            std::vector<std::string> paths;
            for (const auto &[file, r] : ranges) paths.push_back((m_folder / file).string());
            openLocations(paths);
        }
        for (const auto &[file, r] : ranges) {
            if (r.size() < 2) continue;
            const SourceFile &f = m_d.files[size_t(fileOf(file))];
            std::vector<std::pair<uint64_t, uint64_t>> inside;
            for (const auto &[offset, length] : r)
                if (offset <= f.size && length <= f.size - offset) inside.emplace_back(offset, length);
            f.source->prefetch(inside);
        }
    }

    int fileOf(const std::string &name)
    {
        if (leavesFolder(name)) throw FormatError(".metadata names data file '" + name + "' outside its folder");
        return openedFile(m_d, m_files, (m_folder / name).string(), name);
    }

    /// Reads one item (a torch.save archive inside a rank's file, or a zstd stream of one)
    /// and adds its storages and tensors to the tables; returns it, its indices moved by
    /// `shift`. A compressed item is inflated to be read (at most `expected` bytes and 16 MiB
    /// of archive around them), then let go: its storages are read by decoding it again.
    CheckpointData readItem(const std::string &what, const DcpMetadata::Storage &s, uint64_t expected,
                            TableMerge::Shift &shift)
    {
        const bool zstdItem = s.transforms.size() == 1 && (s.transforms[0] == "stream.zstd" || s.transforms[0].starts_with("stream.zstd/"));
        if (!s.transforms.empty() && !zstdItem)
            throw FormatError(what + " is stored through " + s.transforms.front() +
                              ", which this version does not read (it reads plain and stream.zstd items)");
        const int file = fileOf(s.file);
        const SourceFile &f = m_d.files[size_t(file)];
        const std::string label = s.file + "@" + std::to_string(s.offset);
        // Each item is written once: bytes named twice are a crafted file (a small item read
        // a million times over).
        if (!m_items.emplace(file, s.offset).second) throw FormatError(what + ": its bytes at " + label + " are another entry's too");
        std::shared_ptr<const ByteSource> slice;
        try {
            slice = std::make_shared<SliceSource>(f.path + "@" + std::to_string(s.offset), f.source, s.offset, s.length);
        } catch (const FormatError &) {
            throw FormatError(what + ": its bytes [" + std::to_string(s.offset) + ", +" + std::to_string(s.length) +
                              ") run past the end of " + s.file);
        }
        std::shared_ptr<std::vector<uint8_t>> plain;
        std::shared_ptr<const ByteSource> source = slice;
        if (zstdItem) {
            try {
                plain = std::make_shared<std::vector<uint8_t>>(zstd::decompress(
                    [&](uint64_t at, void *out, size_t n) { slice->read(at, {static_cast<uint8_t *>(out), n}); }, s.length,
                    expected + (uint64_t(16) << 20)));
            } catch (const FormatError &e) {
                throw FormatError(what + " (" + label + "): " + e.what());
            }
            source = std::make_shared<MemorySource>(label, ByteView(*plain));
        }
        auto loaded = m_registry.readNestedSource(SourceFile{f.path + "@" + std::to_string(s.offset), source->size(), source});
        if (!loaded) throw FormatError(what + " (" + label + "): " + loaded.error().message);
        CheckpointData item = std::move(loaded.value());
        if (zstdItem) {
            item.arena->hold(plain); // the item's tree points into it until the caller is done
            const int index = int(m_d.compressedItems.size());
            m_d.compressedItems.push_back({file, s.offset, s.length, s.transforms.front()});
            for (auto &st : item.storages)
                if (st.buffer < 0) {
                    st.compressedItem = index;
                    st.mapped = false;
                }
        }
        shift = m_merge.add(item, file, zstdItem ? 0 : s.offset, s.file);
        // Nothing kept points into the item's bytes (names are interned, values copied): let go
        // of its pages, or a folder of a thousand items keeps the page cache's large folios
        // around each of them mapped (a GB of RSS for a 2.6 GB checkpoint).
        slice->release(0, s.length);
        return item;
    }

    Value *tensorLeaf(const DcpMetadata &meta, const DcpMetadata::Entry &e)
    {
        if (e.chunks.empty() && volume(e.size) > 0) throw FormatError("tensor " + e.fqn + " has no chunks");
        checkCover(e);
        std::vector<TensorChunk> chunks;
        for (const auto &c : e.chunks) {
            const std::string what = "tensor " + e.fqn + " chunk at " + shapeText(c.offsets);
            const DcpMetadata::Storage *s = meta.find(e.fqn, &c.offsets);
            if (!s) {
                if (volume(c.sizes) == 0) continue;
                throw FormatError(what + " has no storage entry");
            }
            TableMerge::Shift shift;
            const uint64_t bytes = uint64_t(volume(c.sizes)) * uint64_t(std::max(dtypeBits(e.dtype), 8) / 8);
            CheckpointData item = readItem(what, *s, bytes, shift);
            if (!item.root || item.root->kind != ValueKind::Tensor || item.root->index < 0)
                throw FormatError(what + " (" + s->file + "): the item holds no tensor");
            const int t = shift.tensors + item.root->index;
            const TensorInfo &ti = m_d.tensors[size_t(t)];
            if (ti.shape != c.sizes || ti.dtype != e.dtype)
                throw FormatError(what + " holds " + std::string(dtypeName(ti.dtype)) + " " + shapeText(ti.shape) +
                                  ", the metadata says " + std::string(dtypeName(e.dtype)) + " " + shapeText(c.sizes));
            chunks.push_back(TensorChunk{c.offsets, c.sizes, t});
        }
        Value *leaf = m_d.arena->make(ValueKind::Tensor);
        const bool whole = chunks.size() == 1 && chunks[0].sizes == e.size;
        if (whole) {
            leaf->index = chunks[0].tensor;
            m_d.tensors[size_t(leaf->index)].requiresGrad = e.requiresGrad;
            return leaf;
        }
        std::sort(chunks.begin(), chunks.end(), [](const TensorChunk &a, const TensorChunk &b) { return a.offsets < b.offsets; });
        leaf->index = m_merge.chunkedTensor(e.dtype, e.size, std::move(chunks));
        m_d.tensors[size_t(leaf->index)].requiresGrad = e.requiresGrad;
        return leaf;
    }

    Value *bytesLeaf(const DcpMetadata &meta, const DcpMetadata::Entry &e)
    {
        const DcpMetadata::Storage *s = meta.find(e.fqn, nullptr);
        if (!s) throw FormatError("entry " + e.fqn + " has no storage entry");
        TableMerge::Shift shift;
        CheckpointData item = readItem("entry " + e.fqn, *s, uint64_t(256) << 20, shift);
        if (!item.root) throw FormatError("entry " + e.fqn + ": the item holds no object");
        return copyValue(*m_d.arena, item.root, shift.tensors, shift.storages);
    }

    void place(const Path &path, Value *leaf, const std::string &fqn)
    {
        size_t at = 0;
        for (const PathElement &step : path) {
            if (m_nests[at].leaf) throw FormatError("planner_data nests " + fqn + " inside another entry");
            auto it = m_nests[at].index.find(step);
            if (it == m_nests[at].index.end()) {
                const size_t child = m_nests.size();
                m_nests.emplace_back();
                it = m_nests[at].index.emplace(step, child).first;
                m_nests[at].children.emplace_back(step, child);
            }
            at = it->second;
        }
        if (m_nests[at].leaf || !m_nests[at].children.empty()) throw FormatError("entry " + fqn + " is given twice");
        m_nests[at].leaf = leaf;
    }

    /// A list where the keys are 0..n-1 (set_element builds lists for integer steps), else a dict.
    Value *materialise(size_t at)
    {
        if (m_nests[at].leaf) return m_nests[at].leaf;
        const auto &children = m_nests[at].children;
        bool list = !children.empty();
        for (const auto &[key, child] : children) {
            const auto *i = std::get_if<int64_t>(&key);
            list = list && i && *i >= 0 && uint64_t(*i) < children.size();
        }
        Value *v = m_d.arena->make(list ? ValueKind::List : ValueKind::Dict);
        if (list) {
            v->items.assign(children.size(), nullptr);
            for (const auto &[key, child] : children) v->items[size_t(std::get<int64_t>(key))] = materialise(child);
            return v;
        }
        for (const auto &[key, child] : children) {
            Value *k = nullptr;
            if (const auto *i = std::get_if<int64_t>(&key)) {
                k = m_d.arena->make(ValueKind::Int);
                k->integer = *i;
            } else {
                k = stringValue(*m_d.arena, pathElementText(key)); // a string, or a big integer's digits
            }
            v->items.push_back(k);
            v->items.push_back(materialise(child));
        }
        return v;
    }

    CheckpointData &m_d;
    const FormatRegistry &m_registry;
    fs::path m_folder;
    std::map<std::string, int> m_files;
    std::set<std::pair<int, uint64_t>> m_items; ///< (file, offset) of the items read
    TableMerge m_merge{m_d};
    std::vector<Nest> m_nests;
};

bool isMetadataName(std::string_view path)
{
    const auto slash = path.find_last_of('/');
    return (slash == std::string_view::npos ? path : path.substr(slash + 1)) == ".metadata";
}

} // namespace

int dcpRankOf(std::string_view name)
{
    if (!name.starts_with("__") || !name.ends_with(".distcp")) return -1;
    name.remove_prefix(2);
    int rank = 0;
    size_t i = 0;
    for (; i < name.size() && name[i] >= '0' && name[i] <= '9' && rank < 100000000; ++i) rank = rank * 10 + (name[i] - '0');
    return i > 0 && i < name.size() && name[i] == '_' ? rank : -1;
}

Recognition DcpReader::recogniseFile(const FileProbe &probe) const
{
    if (!probe.nested && isMetadataName(probe.path)) return {100, "named .metadata, a DCP checkpoint's", {}, {}};
    return {};
}

Recognition DcpReader::recogniseFolder(const FolderProbe &probe) const
{
    if (std::binary_search(probe.files.begin(), probe.files.end(), std::string(".metadata")))
        return {100, "holds .metadata (a torch.distributed.checkpoint)", {}, ".metadata"};
    return {};
}

CheckpointData DcpReader::readFile(SourceFile file, const FormatRegistry &registry) const
{
    CheckpointData d;
    d.format = "dcp";
    const fs::path folder = fs::path(file.path).parent_path();
    const ByteView bytes = file.source->view(0, file.source->size());
    d.files.push_back(file);
    const Value *root = runPickle(d, bytes.data(), bytes.size(), 0, ".metadata");
    const DcpMetadata meta = readDcpMetadata(root);
    DcpAssembly(d, registry, folder).read(meta);
    // dcp.load reads .metadata with pickle.load and non-tensor items with torch.load
    // (weights_only=False): no weights_only verdict stands for it; the globals do.
    for (auto *v : {&d.safety.torch113, &d.safety.torch2}) {
        v->applicable = false;
        v->ok = true;
        v->blockers.clear();
    }
    return d;
}

} // namespace ckpt
