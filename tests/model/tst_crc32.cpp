// crc32Update (ISA-L) against zlib's crc32, the definition zip readers check: whole buffers of
// awkward sizes and the same bytes fed in uneven pieces.
#include "model/base/crc32.h"

#include <QTest>

#include <zlib.h>

#include <random>
#include <vector>

using namespace ckpt;

class TestCrc32 : public QObject
{
    Q_OBJECT

private slots:
    void equalsZlib()
    {
        std::mt19937_64 rng(7);
        std::vector<unsigned char> bytes((1 << 20) + 13);
        for (auto &b : bytes) b = static_cast<unsigned char>(rng());
        for (size_t size : {size_t(0), size_t(1), size_t(7), size_t(64), size_t(1000), bytes.size()}) {
            const uint32_t want = uint32_t(crc32(0, bytes.data(), uInt(size)));
            QCOMPARE(crc32Update(0, bytes.data(), size), want);
            uint32_t pieces = 0;
            for (size_t at = 0, step = 1; at < size; at += step, step = step * 3 + 1)
                pieces = crc32Update(pieces, bytes.data() + at, std::min(step, size - at));
            QCOMPARE(pieces, want);
        }
        QCOMPARE(crc32Update(0, "123456789", 9), uint32_t(0xcbf43926)); // the CRC-32 check value
    }
};

QTEST_GUILESS_MAIN(TestCrc32)
#include "tst_crc32.moc"
