#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// A DeepSpeed ZeRO checkpoint (stages 1, 2, 3): the folder holding `latest` (the tag it
/// names is followed) or the tag folder itself (`mp_rank_00_model_states.pt` or stage 3's
/// `zero_pp_rank_D_mp_rank_00_model_states.pt`, and every rank's `*_optim_states.pt`). The
/// model states' tree is kept; `fp32` holds the fp32 master weights put back together from
/// the ranks' flat partitions as DeepSpeed's zero_to_fp32 does (buffers, frozen parameters,
/// trainable ones, shared aliases), `optimizer` the moments likewise, and `module` the 16-bit
/// weights the model states hold (stages 1 and 2). Pickles are read with our unpickler.
class DeepSpeedReader final : public FormatReader
{
public:
    std::string_view name() const override { return "deepspeed"; }
    Recognition recogniseFolder(const FolderProbe &probe) const override;
    CheckpointData readFolder(const std::string &folder, const FormatRegistry &registry) const override;
};

/// The data-parallel rank a DeepSpeed states file belongs to, from its name
/// (`bf16_zero_pp_rank_3_mp_rank_00_optim_states.pt` -> 3); -1 otherwise.
int deepspeedRankOf(std::string_view fileName);

} // namespace ckpt
