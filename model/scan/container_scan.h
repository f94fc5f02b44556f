#pragma once

#include "model/scan/file_scan.h"
#include "model/sources/byte_source.h"

namespace ckpt {

/// A zip that is no checkpoint (a plain zip holding pickles, a NumPy .npz): every record that
/// holds a pickle, or an .npy of Python objects, is scanned into `scan` (members, globals,
/// errors). Records named alike are an anomaly. Throws FormatError when the zip itself
/// cannot be read.
void scanZipContainer(const ByteSource &source, FileScan &scan);

/// A NumPy .npy file or record: an array of Python objects holds a pickle after its header,
/// which is scanned under `label`; numeric arrays hold none. Throws FormatError for a header
/// numpy.load would not read.
void scanNpy(ByteView bytes, const std::string &label, FileScan &scan);

} // namespace ckpt
