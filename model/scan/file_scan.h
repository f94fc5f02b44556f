#pragma once

#include "model/pickle/safety_report.h"

#include <memory>
#include <string>
#include <vector>

namespace ckpt {

/// What scanning one file says about loading it.
enum class ScanVerdict : uint8_t {
    Data,       ///< only data: tensors, plain values, allowlisted types
    NeedsCode,  ///< loading needs project or library code (unknown globals): it runs that code
    Dangerous,  ///< names code that acts, or can be read two ways
    Unreadable, ///< could not be read (nothing dangerous found in what could)
    Skipped,    ///< a file of no format that holds code (in a folder: config.json, README.md)
};

std::string_view verdictName(ScanVerdict verdict);

/// One file as `ckpt scan` sees it: read as a checkpoint when it is one, else as a container
/// scanners meet (a zip of pickles or .npy members, a NumPy .npy/.npz), else as pickles up to
/// their first error. Nothing is run.
struct FileScan
{
    std::string path;
    std::string format;  ///< the checkpoint format, or "zip", "npz", "npy", "pickle"
    std::string error;   ///< why (part of) it could not be read; empty when all of it was
    SafetyReport safety; ///< globals, anomalies, weights_only verdicts
    std::vector<std::string> members; ///< records of a container that hold pickles
    std::vector<std::string> warnings;
    /// The checkpoint it was read as, when it was one: kept by whoever wants to skip freeing
    /// its tree (a command about to exit); scanPath lets go of each in a folder.
    std::shared_ptr<const void> checkpoint;

    /// Modules of the globals that are neither data nor dangerous: the code loading needs.
    std::vector<std::string> neededModules() const;
    ScanVerdict verdict() const;
};

/// Scans one file. `inFolder` skips files of no format that can hold code instead of calling
/// them unreadable.
FileScan scanFile(const std::string &path, bool inFolder = false);

/// Scans a file, or every file under a folder (recursively, in name order, symbolic links to
/// folders not followed): one FileScan each.
std::vector<FileScan> scanPath(const std::string &path);

/// The exit status of a scan: 3 when any file is dangerous (or, with `strict`, needs code),
/// else 2 when any is unreadable, else 0.
int scanExitStatus(const std::vector<FileScan> &scans, bool strict);

} // namespace ckpt
