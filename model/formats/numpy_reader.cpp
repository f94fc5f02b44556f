#include "model/formats/numpy_reader.h"

#include "model/base/format_error.h"
#include "model/formats/npy_header.h"
#include "model/formats/pickle_run.h"
#include "model/formats/value_access.h"
#include "model/formats/zip_directory.h"
#include "model/sources/deflate_stream.h"

#include <filesystem>
#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace ckpt {
namespace {

constexpr uint64_t kMaxHeader = uint64_t(1) << 20;    // what an .npy header may take here
constexpr uint64_t kMaxObjectPickle = uint64_t(256) << 20;

/// The array an .npy header describes, at `dataOffset` of its bytes (stored) or of its
/// record decompressed (compressed: `compressedItem`).
struct Array
{
    std::string key;
    NpyHeader header;
    int compressedItem = -1;
    uint64_t dataOffset = 0; ///< absolute in the file when stored
};

class NumpyAssembly
{
public:
    explicit NumpyAssembly(CheckpointData &d) : m_d(d) { m_root = m_d.arena->make(ValueKind::Dict); }

    /// Adds the array to the tables and the tree (or its pickle to the safety report).
    void add(const Array &a, const std::function<ByteView(uint64_t size)> &objectBytes)
    {
        const NpyHeader &h = a.header;
        if (h.holdsObjects()) {
            // np.load(allow_pickle=True) would unpickle it: scanned, never run, not a tensor.
            const ByteView pickle = objectBytes(kMaxObjectPickle);
            try {
                scanPickle(m_d, pickle.data(), pickle.size(), a.key);
            } catch (const FormatError &e) {
                m_d.warnings.push_back(a.key + ": its object pickle breaks: " + e.what());
            }
            m_d.warnings.push_back(a.key + ": an array of Python objects (a pickle), not listed as a tensor");
            return;
        }
        if (h.structured || h.typeStrings.size() != 1) {
            m_d.warnings.push_back(a.key + ": a structured dtype, not listed");
            return;
        }
        const std::string &code = h.typeStrings.front();
        const NumpyType type = numpyType(code);
        const auto dtype = type.dtype;
        if (!dtype) {
            m_d.warnings.push_back(a.key + ": dtype " + code + " has no tensor dtype, not listed");
            return;
        }
        const bool big = type.bigEndian;
        if (dtypeBits(*dtype) > 8 && !code.starts_with('|')) {
            if (m_order < 0) m_order = big;
            else if (m_order != int(big)) throw FormatError(a.key + ": arrays of both byte orders");
            m_d.bigEndian = big;
        }
        TensorInfo t;
        t.dtype = *dtype;
        int64_t numel = 1;
        for (uint64_t dim : h.shape) {
            if (dim > uint64_t(INT64_MAX)) throw FormatError(a.key + ": a dimension past 2^63");
            t.shape.push_back(int64_t(dim));
        }
        if (!checkedNumel(t.shape, numel)) throw FormatError(a.key + ": its shape overflows");
        t.strides = h.fortranOrder ? columnMajorStrides(t.shape) : contiguousStrides(t.shape);
        StorageInfo s;
        s.key = a.key;
        s.dtype = *dtype;
        s.location = "cpu";
        s.numel = numel;
        s.file = 0;
        s.record = a.key + ".npy";
        s.byteOffset = a.dataOffset;
        s.byteLength = s.nbytes();
        s.compressedItem = a.compressedItem;
        s.mapped = a.compressedItem < 0;
        if (s.mapped) checkRange(s.byteOffset, s.byteLength, m_d.files.front().size, ("the data of " + a.key).c_str());
        t.storage = int(m_d.storages.size());
        m_d.storages.push_back(std::move(s));
        Value *v = m_d.arena->make(ValueKind::Tensor);
        v->index = int(m_d.tensors.size());
        m_d.tensors.push_back(std::move(t));
        place(a.key, v);
    }

    /// The tree: keys with '/' (big_vision's `params/encoder/kernel`) nest as a pytree, whose
    /// weights export '.'-joined like Flax's, under `params` when there is one; the keys stay
    /// flat, as np.load gives them, when they cannot form a tree (`a` beside `a/b`, empty parts).
    void finish()
    {
        bool nested = std::any_of(m_leaves.begin(), m_leaves.end(), [](const auto &l) { return l.first.find('/') != std::string::npos; });
        std::map<std::string, Value *> dicts{{"", m_root}};
        if (nested) nested = formsTree();
        if (!nested) {
            for (auto &[key, leaf] : m_leaves) {
                m_root->items.push_back(stringValue(*m_d.arena, key));
                m_root->items.push_back(leaf);
            }
        } else {
            for (auto &[key, leaf] : m_leaves) {
                Value *parent = m_root;
                size_t begin = 0;
                for (size_t slash; (slash = key.find('/', begin)) != std::string::npos; begin = slash + 1) {
                    Value *&d = dicts[key.substr(0, slash)];
                    if (!d) {
                        d = m_d.arena->make(ValueKind::Dict);
                        parent->items.push_back(stringValue(*m_d.arena, key.substr(begin, slash - begin)));
                        parent->items.push_back(d);
                    }
                    parent = d;
                }
                parent->items.push_back(stringValue(*m_d.arena, key.substr(begin)));
                parent->items.push_back(leaf);
            }
            m_d.pytreeWeights = true;
            m_d.preferredWeights = Path{};
            if (dicts.count("params")) m_d.preferredWeights = Path{std::string("params")};
        }
        m_d.root = m_root;
    }

private:
    bool formsTree()
    {
        std::set<std::string> prefixes;
        for (const auto &[key, leaf] : m_leaves) {
            if (key.empty() || key.front() == '/' || key.back() == '/' || key.find("//") != std::string::npos) return false;
            for (size_t slash = key.find('/'); slash != std::string::npos; slash = key.find('/', slash + 1))
                prefixes.insert(key.substr(0, slash));
        }
        for (const auto &[key, leaf] : m_leaves)
            if (prefixes.count(key)) {
                m_d.warnings.push_back("both " + key + " and arrays under " + key + "/: the keys are listed flat, as np.load gives them");
                return false;
            }
        return true;
    }

    void place(const std::string &key, Value *leaf)
    {
        if (!m_keys.insert(key).second) throw FormatError("key " + key + " is given twice");
        m_leaves.emplace_back(key, leaf);
    }

    CheckpointData &m_d;
    Value *m_root = nullptr;
    std::set<std::string> m_keys;
    std::vector<std::pair<std::string, Value *>> m_leaves;
    int m_order = -1;
};

bool endsWith(std::string_view s, std::string_view tail) { return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail; }

} // namespace

Recognition NumpyReader::recogniseFile(const FileProbe &probe) const
{
    if (endsWith(probe.path, ".npz")) return {100, "named *.npz", {}, {}};
    if (endsWith(probe.path, ".npy")) return {100, "named *.npy", {}, {}};
    if (looksLikeNpy(probe.head)) return {90, "starts with \\x93NUMPY, an .npy file's magic", {}, {}};
    // A zip whose first record is an .npy: np.savez under another name.
    if (endsWith(firstRecordName(probe.head), ".npy")) return {95, "a zip whose first record is an .npy (np.savez)", {}, {}};
    return {};
}

CheckpointData NumpyReader::readFile(SourceFile file, const FormatRegistry &) const
{
    CheckpointData d;
    const ByteSource &source = *file.source;
    const std::string stem = std::filesystem::path(file.path).stem().string();
    d.files.push_back(file);
    for (auto *v : {&d.safety.torch113, &d.safety.torch2}) v->applicable = false; // np.load reads it, not torch.load
    NumpyAssembly tree(d);
    if (looksLikeNpy(source.view(0, std::min<uint64_t>(source.size(), 8)))) {
        d.format = "numpy-npy";
        const ByteView head = source.view(0, std::min(source.size(), kMaxHeader));
        Array a{stem.empty() ? "array" : stem, parseNpyHeader(head), -1, 0};
        a.dataOffset = a.header.dataOffset;
        tree.add(a, [&](uint64_t limit) {
            return source.view(a.dataOffset, std::min(source.size() - std::min(source.size(), a.dataOffset), limit));
        });
        tree.finish();
        return d;
    }
    d.format = "numpy-npz";
    const ZipDirectory zip = ZipDirectory::parse(source);
    std::vector<std::vector<uint8_t>> objectPickles;
    for (const ZipEntry &e : zip.entries()) {
        if (!endsWith(e.name, ".npy")) {
            d.warnings.push_back(std::string(e.name) + ": not an .npy record, skipped (np.load skips it too)");
            continue;
        }
        const std::string key(e.name.substr(0, e.name.size() - 4));
        Array a{key, {}, -1, 0};
        std::vector<uint8_t> head;
        auto read = [&](uint64_t at, void *out, size_t n) { source.read(e.dataOffset + at, {static_cast<uint8_t *>(out), n}); };
        try {
            if (e.method == 0) {
                a.header = parseNpyHeader(source.view(e.dataOffset, std::min(e.size, kMaxHeader)));
                a.dataOffset = e.dataOffset + a.header.dataOffset;
                if (a.header.dataOffset > e.size) throw FormatError("npy: the header runs past its record");
            } else if (e.method == 8) {
                head = deflate::inflatePrefix(read, e.compressedSize, std::min(e.size, kMaxHeader));
                a.header = parseNpyHeader(ByteView(head));
                a.dataOffset = a.header.dataOffset;
                a.compressedItem = int(d.compressedItems.size());
                d.compressedItems.push_back({0, e.dataOffset, e.compressedSize, "deflate"});
            } else {
                throw FormatError("compression method " + std::to_string(e.method) + ", which np.load does not read either");
            }
        } catch (const FormatError &err) {
            throw FormatError(std::string(e.name) + ": " + err.what());
        }
        tree.add(a, [&](uint64_t limit) -> ByteView {
            const uint64_t n = std::min(limit, e.size > a.header.dataOffset ? e.size - a.header.dataOffset : 0);
            if (e.method == 0) return source.view(a.dataOffset, n);
            auto &kept = objectPickles.emplace_back(deflate::inflatePrefix(read, e.compressedSize, a.header.dataOffset + n));
            return ByteView(kept).subspan(std::min<size_t>(kept.size(), size_t(a.header.dataOffset)));
        });
    }
    tree.finish();
    return d;
}

} // namespace ckpt
