#include "model/formats/value_access.h"

#include "model/pickle/attribute_lookup.h"

namespace ckpt {

const Value *attributes(const Value *v)
{
    if (!v) return nullptr;
    if (v->kind == ValueKind::Dict) return v;
    if (v->kind != ValueKind::Object || !v->state) return nullptr;
    const Value *s = v->state;
    if (s->kind == ValueKind::Dict) return s;
    if (s->kind == ValueKind::Tuple && s->items.size() == 2) {
        for (const Value *part : s->items)
            if (part && part->kind == ValueKind::Dict) return part;
    }
    return nullptr;
}

const Value *field(const Value *v, std::string_view name)
{
    const Value *dict = attributes(v);
    if (!dict) return nullptr;
    for (size_t i = 0; i + 1 < dict->items.size(); i += 2)
        if (dict->items[i]->kind == ValueKind::String && dict->items[i]->text == name) return dict->items[i + 1];
    if (v->kind == ValueKind::Object && v->state && v->state->kind == ValueKind::Tuple && v->state->items.size() == 2) {
        const Value *slots = v->state->items[1];
        if (slots && slots->kind == ValueKind::Dict && slots != dict)
            for (size_t i = 0; i + 1 < slots->items.size(); i += 2)
                if (slots->items[i]->kind == ValueKind::String && slots->items[i]->text == name) return slots->items[i + 1];
    }
    return nullptr;
}

bool isNone(const Value *v) { return !v || v->kind == ValueKind::None; }

std::optional<std::vector<int64_t>> ints(const Value *v)
{
    if (!v) return std::nullopt;
    if (v->kind == ValueKind::Object && v->callable && v->qualifiedName() == "torch.Size" && v->args &&
        v->args->items.size() == 1)
        v = v->args->items[0];
    if (v->kind != ValueKind::Tuple && v->kind != ValueKind::List) return std::nullopt;
    std::vector<int64_t> out;
    out.reserve(v->items.size());
    for (const Value *item : v->items) {
        if (!item || item->kind != ValueKind::Int) return std::nullopt;
        out.push_back(item->integer);
    }
    return out;
}

Value *stringValue(ValueArena &arena, std::string_view text)
{
    Value *v = arena.make(ValueKind::String);
    v->text = arena.keep(std::string(text));
    return v;
}

std::optional<int64_t> enumValue(const Value *v, const std::vector<std::string_view> &names)
{
    if (!v) return std::nullopt;
    if (v->kind == ValueKind::Int) return v->integer;
    if (v->kind != ValueKind::Object || !v->args || v->args->kind != ValueKind::Tuple) return std::nullopt;
    const auto &a = v->args->items;
    // getattr(Enum, 'NAME')
    if (v->callable && v->callable->kind == ValueKind::Global && isGetattrGlobal(v->callable->module(), v->callable->name()) && a.size() == 2 &&
        a[1] && a[1]->kind == ValueKind::String)
        for (size_t i = 0; i < names.size(); ++i)
            if (a[1]->text == names[i]) return int64_t(i);
    // Enum(n)
    if (a.size() == 1 && a[0] && a[0]->kind == ValueKind::Int) return a[0]->integer;
    return std::nullopt;
}

} // namespace ckpt
