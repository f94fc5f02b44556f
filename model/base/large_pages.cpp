#include "model/base/large_pages.h"

#include <new>
#include <sys/mman.h>

namespace ckpt {
namespace {

constexpr size_t kHuge = size_t(2) << 20;

size_t roundUp(size_t bytes) { return (bytes + kHuge - 1) / kHuge * kHuge; }

} // namespace

void *allocateLarge(size_t bytes)
{
    const size_t size = roundUp(bytes);
    void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    ::madvise(p, size, MADV_HUGEPAGE); // advice only: ignored where huge pages are off
    return p;
}

void freeLarge(void *p, size_t bytes)
{
    if (p) ::munmap(p, roundUp(bytes));
}

void *LargePageResource::do_allocate(size_t bytes, size_t alignment)
{
    if (bytes < kHuge / 4) return ::operator new(bytes, std::align_val_t(alignment));
    return allocateLarge(bytes);
}

void LargePageResource::do_deallocate(void *p, size_t bytes, size_t alignment)
{
    if (bytes < kHuge / 4) ::operator delete(p, std::align_val_t(alignment));
    else freeLarge(p, bytes);
}

} // namespace ckpt
