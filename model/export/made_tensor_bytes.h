#pragma once

#include "model/export/export_job.h"
#include "model/export/recipe_bytes.h"
#include "model/export/tensor_edits.h"

#include <optional>

namespace ckpt::exporting {

/// The bytes of the plan's added tensors (Plan::added): an add rule's fill, or what surgery
/// makes from its recipe. Internal to model/export.
class MadeTensorBytes final
{
public:
    MadeTensorBytes(const Checkpoint &c, const Prepared &p);
    std::vector<char> bytes(size_t added);
    /// The same bytes in pieces (streamed where RecipeBytes::write can).
    void write(size_t added, const RecipeBytes::Sink &sink);

private:
    const Prepared &m_p;
    AddedTensorBytes m_fills;
    std::optional<RecipeBytes> m_recipes;
};

} // namespace ckpt::exporting
