#pragma once

#include "model/scan/file_scan.h"

#include <string>
#include <vector>

namespace ckpt {

/// "accepted", "refused (blocker; blocker; +N more)" or "not a torch.load file".
std::string weightsOnlyText(const WeightsOnlyVerdict &verdict);

/// `ckpt scan` as text: per file its globals by category, anomalies, the modules loading
/// needs, the weights_only verdicts and the verdict; a summary line when there are several.
std::string scanText(const std::vector<FileScan> &scans, const std::string &path);

/// `ckpt scan --json`: for one file {file, format, dangerous, verdict, globals, anomalies,
/// needed_modules, weights_only, ...}; for a folder {folder, dangerous, verdict, counts,
/// files: [those objects]}.
std::string scanJson(const std::vector<FileScan> &scans, const std::string &path, bool folder);

/// `ckpt scan --format sarif`: SARIF 2.1.0, one result per dangerous global, anomaly, needed
/// module (a warning) and unreadable file.
std::string scanSarif(const std::vector<FileScan> &scans, const std::string &toolVersion);

} // namespace ckpt
