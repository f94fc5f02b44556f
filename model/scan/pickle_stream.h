#pragma once

#include "model/pickle/safety_report.h"
#include "model/sources/byte_source.h"

#include <string>

namespace ckpt {

/// How bytes that may hold pickles one after another went.
struct PickleStreamScan
{
    int pickles = 0;      ///< pickles read to their STOP
    std::string error;    ///< why the first pickle broke off; empty if it did not
    std::string trailing; ///< why a pickle after the first broke off (pickle.load ignores it)
    bool isPickle = false; ///< a pickle was read, or the bytes start with PROTO
};

/// Scans `bytes` as pickles one after another (the legacy format holds several; an attack can
/// hide a payload behind a harmless first one) into `into` under `label`, each until its STOP
/// or its first error, nothing called. Globals a pickle named before it broke count when the
/// bytes are a pickle (isPickle); otherwise only the dangerous ones do (bytes that merely
/// start like a pickle: a text file beginning with 'c'). Globals are classified.
PickleStreamScan scanPickleStream(SafetyReport &into, ByteView bytes, const std::string &label);

/// Adds `from`'s globals and anomalies to `into` and classifies them (sets `dangerous`).
void mergeSafety(SafetyReport &into, SafetyReport &&from);

} // namespace ckpt
