#pragma once

#include "model/formats/checkpoint_data.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ckpt {

/// The number a name of at most `maxDigits` decimal digits spells (a list index in a key
/// path, a step folder's name); nullopt for any other name.
std::optional<uint64_t> decimalName(std::string_view name, size_t maxDigits);

/// One Orbax item folder (the pytree a checkpointer saved) read into a checkpoint being
/// assembled: its leaves' arrays added to the tables, its tree returned. Several items (a
/// CheckpointManager step's "state", "params", ...) share one CheckpointData and its files.
class OrbaxItem final
{
public:
    OrbaxItem(CheckpointData &d, std::map<std::string, int> &files) : m_d(d), m_files(files) {}

    /// Reads the item in `folder`; the returned tree lives in m_d's arena. Throws FormatError.
    Value *read(const std::string &folder);

private:
    CheckpointData &m_d;
    std::map<std::string, int> &m_files; ///< paths already in m_d.files
};

} // namespace ckpt
