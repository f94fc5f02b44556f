// runHelper: what a helper prints comes back; a helper that fails, crashes or hangs is one
// error line, and a hung one is killed.
#include "model/base/helper_process.h"

#include <QElapsedTimer>
#include <QTest>

using namespace ckpt;

class TestHelperProcess final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stdoutComesBack()
    {
        auto out = runHelper({"/bin/sh", "-c", "printf 'a\\nb'; echo noise >&2"}, 10);
        QVERIFY(out);
        QCOMPARE(QString::fromStdString(*out), QStringLiteral("a\nb"));
    }

    void aFailureIsItsLastStderrLine()
    {
        auto out = runHelper({"/bin/sh", "-c", "echo first >&2; echo 'the real reason' >&2; exit 3"}, 10);
        QVERIFY(!out);
        QCOMPARE(QString::fromStdString(out.error().message), QStringLiteral("the real reason"));
    }

    void aCrashIsNamed()
    {
        auto out = runHelper({"/bin/sh", "-c", "kill -SEGV $$"}, 10);
        QVERIFY(!out);
        QVERIFY2(out.error().message.find("crashed") != std::string::npos, out.error().message.c_str());
    }

    void aHangIsStopped()
    {
        QElapsedTimer timer;
        timer.start();
        auto out = runHelper({"/bin/sleep", "30"}, 1);
        QVERIFY(!out);
        QVERIFY(out.error().message.find("longer than 1 s") != std::string::npos);
        QVERIFY(timer.elapsed() < 10000);
    }

    void aMissingProgramIsAnError()
    {
        auto out = runHelper({"/nonexistent/helper"}, 5);
        QVERIFY(!out);
    }
};

QTEST_GUILESS_MAIN(TestHelperProcess)
#include "tst_helper_process.moc"
