#pragma once

#include <cstddef>
#include <memory_resource>

namespace ckpt {

/// Memory for big, long-lived arenas: 2 MiB-aligned blocks the kernel is asked to back with
/// huge pages (madvise), so building a million-node tree costs a few page faults instead of
/// tens of thousands. Falls back to ordinary pages where huge pages are off.
void *allocateLarge(size_t bytes);
void freeLarge(void *p, size_t bytes);

/// A memory_resource over allocateLarge, as the upstream of the arena's monotonic pool.
class LargePageResource final : public std::pmr::memory_resource
{
private:
    void *do_allocate(size_t bytes, size_t alignment) override;
    void do_deallocate(void *p, size_t bytes, size_t alignment) override;
    bool do_is_equal(const std::pmr::memory_resource &other) const noexcept override
    {
        return this == &other;
    }
};

} // namespace ckpt
