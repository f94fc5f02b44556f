#include "model/export/made_tensor_bytes.h"

namespace ckpt::exporting {

MadeTensorBytes::MadeTensorBytes(const Checkpoint &c, const Prepared &p) : m_p(p)
{
    if (p.plan.recipes) m_recipes.emplace(c, p.compiled->sources(), *p.rules, *p.plan.recipes);
}

std::vector<char> MadeTensorBytes::bytes(size_t k)
{
    const AddedTensor &a = m_p.plan.added[k];
    if (a.recipe < 0) return m_fills.bytes(m_p.rules->rules[size_t(a.rule)]);
    try {
        return m_recipes->bytes(a.recipe);
    } catch (const std::runtime_error &e) {
        throw std::runtime_error(a.name + ": " + e.what());
    }
}

void MadeTensorBytes::write(size_t k, const RecipeBytes::Sink &sink)
{
    const AddedTensor &a = m_p.plan.added[k];
    if (a.recipe < 0) {
        const std::vector<char> whole = bytes(k);
        return sink(whole.data(), whole.size());
    }
    try {
        m_recipes->write(a.recipe, sink);
    } catch (const std::runtime_error &e) {
        throw std::runtime_error(a.name + ": " + e.what());
    }
}

} // namespace ckpt::exporting
