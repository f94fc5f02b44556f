#pragma once

#include "model/pickle/pickle_value.h"
#include "model/base/result.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt {

/// A global the pickle program names (GLOBAL, STACK_GLOBAL or INST), in the order met.
struct GlobalRef
{
    std::string module;
    std::string name;
    uint64_t offset = 0; ///< byte offset of the opcode within the pickle
};

/// Sees the pickle program run, opcode by opcode, without changing it. The weights-only
/// checks are observers.
class UnpickleObserver
{
public:
    virtual ~UnpickleObserver() = default;
    /// Called once, at STOP, with every opcode the program used.
    virtual void opcodesUsed(const std::array<bool, 256> &used) {}
    virtual void global(const Value *global, bool viaStack) {}
    virtual void reduce(const Value *callable, const Value *args) {}
    virtual void newObject(const Value *cls) {}
    virtual void build(const Value *target) {}
    virtual void append(const Value *target) {}
    virtual void setItem(const Value *target) {}
    virtual void persistentId(const Value *pid) {}
    /// Something that lets two unpicklers read the program differently (a value straddling a
    /// frame's end, a PROTO after the start), at byte `offset`.
    virtual void anomaly(const std::string &what, uint64_t offset) {}
};

struct UnpickleLimits
{
    uint32_t maxDepth = 400;          ///< nesting of containers
    size_t maxValues = 20'000'000;    ///< nodes created (each costs ~100 bytes)
    /// Values on the stack at once, and open MARKs. CPython's pickler batches APPENDS and
    /// SETITEMS by 1000, so real pickles stay far below; a hostile run of "N" or "(" does not.
    size_t maxStack = 4'000'000;
    size_t maxMarks = 1'000'000;
};

struct UnpickleOutput
{
    Value *root = nullptr;
    uint64_t end = 0;                 ///< offset just past STOP
    std::vector<GlobalRef> globals;
};

/// Runs a pickle program (protocols 0 to 5) symbolically: every opcode builds nodes in the
/// arena; GLOBAL is a name, REDUCE an opaque Object, persistent ids PersistentRef nodes.
/// Nothing is imported or called. Every read is checked against the bytes present.
/// With `borrowData`, string values point into `data`, which must then outlive the arena;
/// otherwise they are copied into the arena.
Result<UnpickleOutput> unpickle(ValueArena &arena, const uint8_t *data, uint64_t size,
                                uint64_t start = 0, UnpickleObserver *observer = nullptr,
                                const UnpickleLimits &limits = {}, bool borrowData = false);

} // namespace ckpt
