// How DeepSpeed ZeRO partitions are cut back into parameters (model/formats/deepspeed_layout),
// and the Enum-member lookup a DCP .metadata or a DeepSpeed optimizer file pickles.
#include "model/base/format_error.h"
#include "model/formats/deepspeed_layout.h"
#include "model/pickle/attribute_lookup.h"
#include "model/pickle/unpickler.h"

#include <QtTest>

#include <numeric>
#include <string>

using namespace ckpt;

namespace {

/// Each parameter's runs cover its n elements exactly once, and no element of a rank's
/// partition is handed out twice.
void checkCover(const std::vector<std::vector<FlatRun>> &runs, const std::vector<int64_t> &numels,
                const std::vector<std::vector<int64_t>> &partitions)
{
    QCOMPARE(runs.size(), numels.size());
    std::vector<std::vector<std::vector<int>>> used(partitions.size());
    for (size_t r = 0; r < partitions.size(); ++r)
        for (int64_t n : partitions[r]) used[r].emplace_back(size_t(n), 0);
    for (size_t k = 0; k < runs.size(); ++k) {
        std::vector<int> seen(size_t(numels[k]), 0);
        for (const FlatRun &run : runs[k])
            for (int64_t i = 0; i < run.length; ++i) {
                ++seen[size_t(run.at + i)];
                ++used[size_t(run.rank)][size_t(run.group)][size_t(run.from + i)];
            }
        for (int s : seen) QCOMPARE(s, 1);
    }
    for (const auto &rank : used)
        for (const auto &group : rank)
            for (int u : group) QVERIFY(u <= 1);
}

/// A string literal's bytes, NULs included.
template <size_t N>
std::string bytes(const char (&s)[N])
{
    return std::string(s, N - 1);
}

std::string lookupIn(const std::string &pickle)
{
    ValueArena arena;
    auto out = unpickle(arena, reinterpret_cast<const uint8_t *>(pickle.data()), pickle.size(), 0, nullptr, {}, true);
    if (!out) return "error: " + out.error().message;
    return inertAttributeLookup(arena, 0);
}

} // namespace

class TestDistributedLayout : public QObject
{
    Q_OBJECT
private slots:
    void zero2ParametersRunAcrossRanks()
    {
        // One group of 2 + 3 elements over two ranks holding 3 and 2: the second parameter
        // starts on rank 0 and ends on rank 1.
        const auto runs = zero2Runs({{3}, {2}}, {{2, 3}}, nullptr);
        checkCover(runs, {2, 3}, {{3}, {2}});
        QCOMPARE(runs[0].size(), size_t(1));
        QCOMPARE(runs[1].size(), size_t(2));
        QCOMPARE(runs[1][0].rank, 0);
        QCOMPARE(runs[1][0].from, int64_t(2));
        QCOMPARE(runs[1][1].rank, 1);
        QCOMPARE(runs[1][1].at, int64_t(1));
    }

    void zero2AlignmentPaddingSkipsElements()
    {
        const std::vector<std::vector<int64_t>> pads{{2, 0}};
        const auto runs = zero2Runs({{4}, {4}}, {{3, 3}}, &pads);
        checkCover(runs, {3, 3}, {{4}, {4}});
        QCOMPARE(runs[1].front().from, int64_t(1)); // 3 elements, then 2 of padding: rank 1 from 1
        QCOMPARE(runs[1].front().rank, 1);
    }

    void zero2RefusesPartitionsThatCannotHoldTheParameters()
    {
        QVERIFY_THROWS_EXCEPTION(FormatError, zero2Runs({{3}, {2}}, {{2, 9}}, nullptr));
        // Far fewer parameters than the partitions hold: not what zero_to_fp32 accepts either.
        QVERIFY_THROWS_EXCEPTION(FormatError, zero2Runs({{30}, {30}}, {{2}}, nullptr));
    }

    void zero3EachParameterCutAlone()
    {
        // Parameters of 5 and 4 over 2 ranks: parts of 3 and 2, the first end-padded; a rank
        // holds 3 + 2 = 5, split here into two groups of 4 and 1 (a part crosses groups).
        const std::vector<std::vector<int64_t>> parts{{4, 1}, {4, 1}};
        const auto runs = zero3Runs(parts, {5, 4});
        checkCover(runs, {5, 4}, parts);
        int64_t fromRank1 = 0;
        for (const FlatRun &r : runs[0])
            if (r.rank == 1) fromRank1 += r.length;
        QCOMPARE(fromRank1, int64_t(2)); // 5 = 3 on rank 0 + 2 on rank 1 (its third is padding)
        QVERIFY(std::any_of(runs[1].begin(), runs[1].end(), [](const FlatRun &r) { return r.group == 1; }));
    }

    void zero3RefusesUnequalRanksAndLeftovers()
    {
        QVERIFY_THROWS_EXCEPTION(FormatError, zero3Runs({{5}, {4}}, {5, 4}));
        QVERIFY_THROWS_EXCEPTION(FormatError, zero3Runs({{9}, {9}}, {5}));
    }

    void enumLookupIsInert()
    {
        // getattr(ZeroStageEnum, 'gradients'), protocol 2, as DeepSpeed pickles its stage.
        const std::string p = bytes("\x80\x02" "c__builtin__\ngetattr\nq\x00" "cdeepspeed.runtime.zero.config\nZeroStageEnum\nq\x01"
                                    "X\x09\x00\x00\x00gradientsq\x02\x86q\x03Rq\x04.");
        QCOMPARE(lookupIn(p), std::string("deepspeed.runtime.zero.config\nZeroStageEnum\ngradients"));
    }

    void calledLookupIsNot()
    {
        // getattr(os, 'system')('id'): the looked-up attribute is called.
        const std::string p = bytes("\x80\x02" "c__builtin__\ngetattr\n" "cos\nsystem\n" "X\x06\x00\x00\x00system" "\x86R"
                                    "X\x02\x00\x00\x00id\x85R.");
        QCOMPARE(lookupIn(p), std::string());
    }

    void privateNameIsNot()
    {
        const std::string p = bytes("\x80\x02" "c__builtin__\ngetattr\n" "cfoo\nBar\n" "X\x09\x00\x00\x00__class__" "\x86R.");
        QCOMPARE(lookupIn(p), std::string());
    }
};

QTEST_GUILESS_MAIN(TestDistributedLayout)
#include "tst_distributed_layout.moc"
