#include "model/pickle/unpickler.h"

#include "model/pickle/pickle_machine.h"

namespace ckpt {

Result<UnpickleOutput> unpickle(ValueArena &arena, const uint8_t *data, uint64_t size,
                                uint64_t start, UnpickleObserver *observer,
                                const UnpickleLimits &limits, bool borrowData)
{
    try {
        return pickling::PickleMachine(arena, data, size, start, observer, limits, borrowData).run();
    } catch (const FormatError &e) {
        return Error{e.what()};
    } catch (const std::bad_alloc &) {
        return Error{"pickle: out of memory"};
    }
}

} // namespace ckpt
