#include "model/scan/pickle_stream.h"

#include "model/formats/pickle_run.h"

#include <unordered_map>

namespace ckpt {

PickleStreamScan scanPickleStream(SafetyReport &into, ByteView bytes, const std::string &label)
{
    PickleStreamScan result;
    SafetyReport found;
    for (uint64_t start = 0; start < bytes.size();) {
        const bool proto = bytes.size() - start >= 2 && bytes[start] == 0x80 && bytes[start + 1] <= 5;
        result.isPickle = result.isPickle || (start == 0 && proto);
        CheckpointData one;
        try {
            const uint64_t end = scanPickle(one, bytes.data(), bytes.size(), label, start);
            mergeSafety(found, std::move(one.safety));
            ++result.pickles;
            result.isPickle = true;
            if (end <= start) break;
            start = end;
        } catch (const std::exception &e) {
            finishSafetyReport(one.safety);
            if (!proto) std::erase_if(one.safety.globals, [](const GlobalUse &g) {
                return g.category != GlobalCategory::Dangerous;
            });
            const bool counts = proto || !one.safety.globals.empty();
            if (counts) mergeSafety(found, std::move(one.safety));
            // pickle.load reads one pickle and ignores what follows: bytes after the first that
            // are no pickle are only noted; a broken first pickle is the scan's error.
            if (start == 0 && counts) result.error = e.what();
            else if (start > 0 && counts) result.trailing = "the pickle at byte " + std::to_string(start) + ": " + e.what();
            break;
        }
    }
    mergeSafety(into, std::move(found));
    return result;
}

void mergeSafety(SafetyReport &into, SafetyReport &&from)
{
    std::unordered_map<std::string, size_t> index;
    auto keyOf = [](const GlobalUse &g) { return g.module + '\n' + g.name + '\n' + g.file; };
    for (size_t i = 0; i < into.globals.size(); ++i) index.emplace(keyOf(into.globals[i]), i);
    for (auto &g : from.globals) {
        const auto [it, inserted] = index.try_emplace(keyOf(g), into.globals.size());
        if (inserted) into.globals.push_back(std::move(g));
        else into.globals[it->second].count += g.count;
    }
    for (auto &a : from.anomalies) into.anomalies.push_back(std::move(a));
    finishSafetyReport(into);
}

} // namespace ckpt
