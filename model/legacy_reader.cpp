#include "format_error.h"
#include "format_readers.h"
#include "pickle_run.h"
#include "tensor_resolver.h"

#include <cstring>
#include <unordered_map>

namespace ckpt {
namespace {

// 0x1950a86a20f9469cfc6c as LONG1 bytes, little-endian.
constexpr char kMagic[] = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";

bool isMagic(const Value *v)
{
    return v->kind == ValueKind::BigInt && !v->bigIntIsDecimal() &&
           v->text == std::string_view(kMagic, 10);
}

} // namespace

// torch.save(..., _use_new_zipfile_serialization=False): five pickles (magic number, protocol
// version, sys_info, the object, the storage keys) and then, per key, an int64 element count
// followed by the storage's raw bytes.
CheckpointData readLegacyCheckpoint(SourceFile file)
{
    CheckpointData d;
    d.format = CheckpointFormat::PyTorchLegacy;
    const uint8_t *data = file.map->data();
    const uint64_t size = file.map->size();
    d.files.push_back(std::move(file));

    uint64_t pos = 0;
    const Value *magic = runPickle(d, data, size, pos, "pickle", &pos);
    if (!isMagic(magic)) {
        // A bare pickle, not torch.save's: show it as it is (and scan it), tensors or not.
        d.format = CheckpointFormat::Pickle;
        // No persistent_load exists for it, so it holds no tensors to resolve.
        d.root = const_cast<Value *>(magic);
        return d;
    }
    const Value *protocol = runPickle(d, data, size, pos, "protocol", &pos);
    if (protocol->kind != ValueKind::Int || protocol->integer != 1001)
        throw FormatError("unsupported legacy protocol version");
    d.archiveVersion = int(protocol->integer);
    const Value *sysInfo = runPickle(d, data, size, pos, "sys_info", &pos);
    for (size_t i = 0; sysInfo->kind == ValueKind::Dict && i + 1 < sysInfo->items.size(); i += 2)
        if (sysInfo->items[i]->text == "little_endian" && sysInfo->items[i + 1]->integer == 0)
            d.warnings.push_back("saved on a big-endian machine");
    d.root = runPickle(d, data, size, pos, "object", &pos);
    const Value *keys = runPickle(d, data, size, pos, "storage keys", &pos);
    if (keys->kind != ValueKind::List) throw FormatError("storage keys: not a list");

    resolveTensors(d);
    std::unordered_map<std::string, size_t> byKey;
    for (size_t i = 0; i < d.storages.size(); ++i) byKey.emplace(d.storages[i].key, i);
    for (const Value *key : keys->items) {
        if (key->kind != ValueKind::String) throw FormatError("storage keys: not a string");
        const auto it = byKey.find(std::string(key->text));
        if (it == byKey.end())
            throw FormatError("storage " + std::string(key->text) + " is never used");
        StorageInfo &s = d.storages[it->second];
        if (size - pos < 8) throw FormatError("storage " + s.key + ": truncated file");
        int64_t numel = 0;
        std::memcpy(&numel, data + pos, 8);
        if (numel != s.numel)
            throw FormatError("storage " + s.key + ": " + std::to_string(numel) +
                              " elements stored, " + std::to_string(s.numel) + " expected");
        const unsigned __int128 bytes =
            (static_cast<unsigned __int128>(uint64_t(numel)) * unsigned(dtypeBits(s.dtype)) + 7) / 8;
        if (bytes > size - pos - 8) throw FormatError("storage " + s.key + ": truncated file");
        s.byteOffset = pos + 8;
        s.byteLength = uint64_t(bytes);
        pos += 8 + uint64_t(bytes);
        byKey.erase(it);
    }
    if (!byKey.empty()) throw FormatError("storage " + byKey.begin()->first + " has no data");
    checkTensorBounds(d);
    return d;
}

} // namespace ckpt
