#include "model/formats/legacy_reader.h"

#include "model/base/format_error.h"
#include "model/formats/format_registry.h"
#include "model/formats/pickle_run.h"
#include "model/formats/tensor_resolver.h"

#include <algorithm>
#include <cstring>
#include <string_view>
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

namespace {

// Protocol 0/1 pickles start as their writer chose: MARK, an empty container or GLOBAL in
// practice, but pickle.load takes any opcode that pushes a value first (a payload can hide
// behind "I1\n0": an int, popped).
bool usualStart(uint8_t first)
{
    return first == 0x80 || first == '(' || first == ']' || first == '}' || first == 'c';
}

bool pushesFirst(uint8_t first)
{
    static constexpr std::string_view kPushers = "ILFSVNJKMTUXG)PBC";
    return kPushers.find(char(first)) != std::string_view::npos || (first >= 0x88 && first <= 0x8f) || first == 0x95;
}

} // namespace

Recognition LegacyReader::recogniseFile(const FileProbe &probe) const
{
    if (probe.head.empty()) return {};
    const uint8_t first = probe.head[0];
    if (first == 0x80) return {50, "starts with a pickle's PROTO opcode", {}, {}};
    if (usualStart(first)) return {50, "starts like a protocol 0/1 pickle", {}, {}};
    if (pushesFirst(first)) return {20, "starts with a pickle opcode that pushes a value", {}, {}};
    return {};
}

// torch.save(..., _use_new_zipfile_serialization=False): five pickles (magic number, protocol
// version, sys_info, the object, the storage keys) and then, per key, an int64 element count
// followed by the storage's raw bytes.
CheckpointData LegacyReader::readFile(SourceFile file, const FormatRegistry &registry) const
{
    const ByteView head = file.source->view(0, std::min<uint64_t>(file.size, 1));
    if (head.empty() || usualStart(head[0])) return read(std::move(file), registry);
    // Taken on a weak sign (a text file may start with 'I' or 'S'): not a pickle says so.
    try {
        return read(std::move(file), registry);
    } catch (const FormatError &) {
        throw FormatError(std::string(kNotACheckpoint));
    }
}

CheckpointData LegacyReader::read(SourceFile file, const FormatRegistry &) const
{
    CheckpointData d;
    d.format = "pytorch-legacy";
    // The pickles come first and their lengths are known only once they have run.
    const uint64_t size = file.size;
    const uint8_t *data = file.source->view(0, size).data();
    d.files.push_back(std::move(file));

    uint64_t pos = 0;
    const Value *magic = runPickle(d, data, size, pos, "pickle", &pos);
    if (!isMagic(magic)) {
        // A bare pickle, not torch.save's: show it as it is (and scan it), tensors or not.
        d.format = "pickle";
        // No persistent_load exists for it, so it holds no tensors to resolve.
        d.root = const_cast<Value *>(magic);
        // pickle.load stops at STOP, but a payload can wait behind a harmless first pickle:
        // whatever follows is scanned, pickle after pickle, not read.
        for (int n = 0; pos < size && n < 1000; ++n) {
            const std::string label = "pickle (another one after the first, at byte " + std::to_string(pos) + ")";
            try {
                pos = scanPickle(d, data, size, label, pos);
            } catch (const FormatError &e) {
                d.warnings.push_back(std::to_string(size - pos) + " bytes after the pickle do not read as a "
                                     "pickle to its end (" + std::string(e.what()) + "); what they name is in the scan");
                break;
            }
        }
        return d;
    }
    const Value *protocol = runPickle(d, data, size, pos, "protocol", &pos);
    if (protocol->kind != ValueKind::Int || protocol->integer != 1001)
        throw FormatError("unsupported legacy protocol version");
    d.archiveVersion = int(protocol->integer);
    const Value *sysInfo = runPickle(d, data, size, pos, "sys_info", &pos);
    for (size_t i = 0; sysInfo->kind == ValueKind::Dict && i + 1 < sysInfo->items.size(); i += 2)
        if (sysInfo->items[i]->text == "little_endian" && sysInfo->items[i + 1]->integer == 0) {
            d.bigEndian = true;
            d.warnings.push_back("saved on a big-endian machine");
        }
    d.root = runPickle(d, data, size, pos, "object", &pos);
    const Value *keys = runPickle(d, data, size, pos, "storage keys", &pos);
    if (keys->kind != ValueKind::List) throw FormatError("storage keys: not a list");

    resolveTensors(d);
    // torch 2.x's legacy loader reads each storage type's dtype: an UntypedStorage (what
    // torch.save writes there for float8, uint16, ...) has none, and loading fails.
    for (const auto &g : d.safety.globals)
        if (g.module == "torch.storage" && g.name == "UntypedStorage") {
            d.safety.torch2.blockers.push_back("torch 2.x cannot load an UntypedStorage from the legacy layout "
                                              "(it looks for the storage type's dtype)");
            d.safety.torch2.ok = false;
            break;
        }
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
