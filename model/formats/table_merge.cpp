#include "model/formats/table_merge.h"

#include "model/base/format_error.h"

namespace ckpt {

std::string_view TableMerge::intern(std::string_view s)
{
    if (s.empty()) return {};
    auto it = m_strings.find(std::string(s));
    if (it == m_strings.end()) it = m_strings.emplace(std::string(s), m_into.arena->keep(std::string(s))).first;
    return it->second;
}

int TableMerge::chunkedTensor(DType dtype, const std::vector<int64_t> &shape, std::vector<TensorChunk> chunks)
{
    TensorInfo t;
    t.dtype = dtype;
    t.shape = shape;
    t.strides = contiguousStrides(shape);
    t.rebuild = intern("_rebuild_tensor_v2");
    t.chunks = int(m_into.chunkLists.size());
    m_into.chunkLists.push_back(std::move(chunks));
    m_into.tensors.push_back(std::move(t));
    return int(m_into.tensors.size()) - 1;
}

TableMerge::Shift TableMerge::add(CheckpointData &from, int file, uint64_t byteBase, const std::string &label)
{
    if (m_order < 0) m_order = from.bigEndian;
    else if (m_order != int(from.bigEndian)) throw FormatError(label + ": its byte order differs from the other files'");
    m_into.bigEndian = from.bigEndian;
    if (file < 0) {
        if (from.files.size() != 1) throw FormatError(label + ": not one file");
        file = int(m_into.files.size());
        m_into.files.push_back(std::move(from.files.front()));
    }
    const int storageBase = int(m_into.storages.size());
    const int bufferBase = int(m_into.buffers.size());
    const int tensorBase = int(m_into.tensors.size());
    const int chunkBase = int(m_into.chunkLists.size());
    for (auto &b : from.buffers) m_into.buffers.push_back(std::move(b));
    for (auto &st : from.storages) {
        st.file = file;
        st.byteOffset += byteBase;
        if (st.buffer >= 0) st.buffer += bufferBase;
        m_into.storages.push_back(std::move(st));
    }
    for (auto &t : from.tensors) {
        if (t.storage >= 0) t.storage += storageBase;
        if (t.chunks >= 0) t.chunks += chunkBase;
        t.rebuild = intern(t.rebuild);
        t.subclass = intern(t.subclass);
        m_into.tensors.push_back(std::move(t));
    }
    for (auto &list : from.chunkLists) {
        for (auto &c : list) c.tensor += tensorBase;
        m_into.chunkLists.push_back(std::move(list));
    }
    for (auto &g : from.safety.globals) {
        const std::string key = g.module + '\n' + g.name + '\n' + label;
        const auto [it, fresh] = m_globals.try_emplace(key, m_into.safety.globals.size());
        if (fresh) {
            g.file = label;
            m_into.safety.globals.push_back(std::move(g));
        } else {
            GlobalUse &u = m_into.safety.globals[it->second];
            u.count += g.count;
            if (g.lookupOnly.empty()) u.lookupOnly.clear();
        }
    }
    for (auto *v : {&from.safety.torch113, &from.safety.torch2}) {
        auto &into = v == &from.safety.torch113 ? m_into.safety.torch113 : m_into.safety.torch2;
        into.applicable = into.applicable && v->applicable;
        for (const auto &b : v->blockers) into.blockers.push_back(label + ": " + b);
        into.ok = into.blockers.empty();
    }
    for (auto &a : from.safety.anomalies) m_into.safety.anomalies.push_back(label + ": " + a);
    for (auto &w : from.warnings) m_into.warnings.push_back(label + ": " + w);
    return {tensorBase, storageBase};
}

} // namespace ckpt
