#pragma once

#include "model/formats/format_reader.h"

namespace ckpt {

/// GGUF (llama.cpp, Ollama, LM Studio), versions 2 and 3, little- or big-endian: every metadata
/// key with its typed value (long arrays, the tokenizer's, summarised), every tensor under its
/// name with its shape in PyTorch order (ggml lists dimensions fastest first). F32, F16, BF16,
/// F64 and the integer types are tensors of that dtype where they lie; ggml's block types are
/// float32 tensors whose values are dequantized when read (Q4_0 to Q8_0, the K-quants, IQ4_NL,
/// IQ4_XS, MXFP4: model/sources/ggml_blocks.h), their type kept as TensorInfo::encoding; other
/// block types are listed as their raw blocks (uint8, one row per block), with a warning.
class GgufReader final : public FormatReader
{
public:
    std::string_view name() const override { return "gguf"; }
    std::vector<std::string_view> nameFilters() const override { return {".gguf"}; }
    Recognition recogniseFile(const FileProbe &probe) const override;
    CheckpointData readFile(SourceFile file, const FormatRegistry &registry) const override;
};

/// One metadata entry of a little-endian GGUF file as its bytes: the key and the value record
/// that follows it (u32 type, then the value), to be written again as it was.
struct GgufRecord
{
    std::string key;
    std::string value;
};
/// The metadata of the GGUF file `bytes` holds, in file order, without general.alignment
/// and the split.* keys (facts of that file's layout). Throws FormatError as reading it would;
/// a big-endian file's records cannot be carried into a little-endian one and are refused.
std::vector<GgufRecord> ggufMetadataRecords(ByteView bytes);

} // namespace ckpt
