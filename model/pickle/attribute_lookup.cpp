#include "model/pickle/attribute_lookup.h"

#include <unordered_set>

namespace ckpt {
namespace {

bool isGetattr(const Value *v)
{
    return v && v->kind == ValueKind::Global && isGetattrGlobal(v->module(), v->name());
}

bool plainPublicName(std::string_view s)
{
    if (s.empty() || s.front() == '_' || (s.front() >= '0' && s.front() <= '9')) return false;
    for (char ch : s)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
    return true;
}

/// A call getattr(<global>, '<public name>') made by REDUCE.
bool isLookup(const Value *v)
{
    if (!v || v->kind != ValueKind::Object || v->how != BuildKind::Reduce || !isGetattr(v->callable) || !v->args ||
        v->args->kind != ValueKind::Tuple || v->args->items.size() != 2 || v->state || v->dictItems ||
        !v->items.empty())
        return false;
    const Value *owner = v->args->items[0], *name = v->args->items[1];
    return owner && owner->kind == ValueKind::Global && name && name->kind == ValueKind::String &&
           plainPublicName(name->text);
}

} // namespace

std::string inertAttributeLookup(ValueArena &arena, size_t first)
{
    std::unordered_set<const Value *> getattrs, lookups;
    arena.forEachFrom(first, [&](Value &v) {
        if (isGetattr(&v)) getattrs.insert(&v);
    });
    if (getattrs.empty()) return {};
    bool inert = true;
    const Value *example = nullptr;
    arena.forEachFrom(first, [&](Value &v) {
        if (!inert) return;
        if (isLookup(&v)) {
            lookups.insert(&v);
            if (!example) example = &v;
        } else if (getattrs.count(v.callable)) {
            inert = false; // getattr called some other way
        }
        for (const Value *p : {v.args, v.state, v.dictItems})
            if (getattrs.count(p)) inert = false;
        for (const Value *p : v.items)
            if (getattrs.count(p)) inert = false;
    });
    if (!inert || !example) return {};
    arena.forEachFrom(first, [&](Value &v) {
        if (lookups.count(v.callable)) inert = false; // what was looked up is called
    });
    if (!inert) return {};
    const Value *owner = example->args->items[0];
    return std::string(owner->module()) + '\n' + std::string(owner->name()) + '\n' + std::string(example->args->items[1]->text);
}

} // namespace ckpt
