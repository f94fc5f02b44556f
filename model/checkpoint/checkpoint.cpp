#include "model/checkpoint/checkpoint.h"

#include "model/formats/format_registry.h"

namespace ckpt {

Result<std::shared_ptr<const Checkpoint>> Checkpoint::open(const std::string &path)
{
    auto d = FormatRegistry::builtin().read(path);
    if (!d) return d.error();
    return std::shared_ptr<const Checkpoint>(std::make_shared<Checkpoint>(std::move(d.value())));
}

Checkpoint::Checkpoint(CheckpointData data)
    : m_d(std::move(data)), m_viewers(m_d.storages.size(), 0), m_places(m_d.storages.size(), 0)
{
    std::vector<bool> seen(m_d.tensors.size(), false);
    for (const auto &e : m_d.entries) {
        const TensorInfo &t = m_d.tensors[size_t(e.tensor)];
        if (t.storage < 0) continue;
        ++m_places[size_t(t.storage)];
        if (seen[size_t(e.tensor)]) continue;
        seen[size_t(e.tensor)] = true;
        ++m_viewers[size_t(t.storage)];
    }
}

bool Checkpoint::sharesStorage(size_t entry) const
{
    const int storage = m_d.tensors[size_t(m_d.entries[entry].tensor)].storage;
    return storage >= 0 && m_places[size_t(storage)] > 1;
}

ByteView Checkpoint::storageBytes(const StorageInfo &s) const
{
    if (s.buffer >= 0) return ByteView(m_d.buffers[size_t(s.buffer)]).first(size_t(s.byteLength));
    return m_d.files[size_t(s.file)].source->view(s.byteOffset, s.byteLength);
}

uint64_t Checkpoint::totalFileSize() const
{
    uint64_t total = 0;
    for (const auto &f : m_d.files) total += f.size;
    return total;
}

std::vector<size_t> Checkpoint::storagePartners(size_t entry) const
{
    std::vector<size_t> out;
    const int storage = m_d.tensors[size_t(m_d.entries[entry].tensor)].storage;
    if (storage < 0) return out;
    for (size_t i = 0; i < m_d.entries.size(); ++i)
        if (i != entry && m_d.tensors[size_t(m_d.entries[i].tensor)].storage == storage)
            out.push_back(i);
    return out;
}

int64_t Checkpoint::totalParameters() const
{
    std::vector<bool> seen(m_d.tensors.size(), false);
    int64_t total = 0;
    for (const auto &e : m_d.entries)
        if (!seen[size_t(e.tensor)]) {
            seen[size_t(e.tensor)] = true;
            total += m_d.tensors[size_t(e.tensor)].numel();
        }
    return total;
}

uint64_t Checkpoint::totalStorageBytes() const
{
    uint64_t total = 0;
    for (const auto &s : m_d.storages)
        total += s.nbytes();
    return total;
}

} // namespace ckpt
