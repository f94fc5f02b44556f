// Classification of globals: what a Python unpickler would do with each name.
#include "model/pickle/safety_report.h"

#include <QtTest>

using namespace ckpt;

class TestSafety final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void classify_data();
    void classify();
};

void TestSafety::classify_data()
{
    QTest::addColumn<QString>("module");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("category");
    const int rebuild = int(GlobalCategory::TensorRebuild), safe = int(GlobalCategory::SafeContainer),
              unknown = int(GlobalCategory::Unknown), danger = int(GlobalCategory::Dangerous);
    QTest::newRow("rebuild v2") << "torch._utils" << "_rebuild_tensor_v2" << rebuild;
    QTest::newRow("parameter") << "torch.nn.parameter" << "Parameter" << rebuild;
    QTest::newRow("storage") << "torch" << "BFloat16Storage" << rebuild;
    QTest::newRow("dtype") << "torch" << "float8_e4m3fn" << rebuild;
    QTest::newRow("ordered dict") << "collections" << "OrderedDict" << safe;
    QTest::newRow("py2 set") << "__builtin__" << "set" << safe;
    QTest::newRow("namespace") << "argparse" << "Namespace" << safe;
    QTest::newRow("partial") << "functools" << "partial" << danger; // its state can replace what it wraps
    QTest::newRow("main class") << "__main__" << "MyConfig" << unknown;
    QTest::newRow("omegaconf") << "omegaconf.dictconfig" << "DictConfig" << unknown;
    QTest::newRow("nn module") << "torch.nn.modules.linear" << "Linear" << unknown;
    QTest::newRow("os.system") << "os" << "system" << danger;
    QTest::newRow("posix.system") << "posix" << "system" << danger;
    QTest::newRow("nt.system") << "nt" << "system" << danger;
    QTest::newRow("subprocess") << "subprocess" << "Popen" << danger;
    QTest::newRow("os.path submodule") << "os.path" << "join" << danger;
    QTest::newRow("eval") << "builtins" << "eval" << danger;
    QTest::newRow("py2 eval") << "__builtin__" << "eval" << danger;
    QTest::newRow("getattr") << "builtins" << "getattr" << danger;
    QTest::newRow("runpy") << "runpy" << "run_path" << danger;
    QTest::newRow("attrgetter") << "operator" << "attrgetter" << danger;
    QTest::newRow("torch.os") << "torch" << "os" << danger;
    QTest::newRow("dotted os.system") << "torch" << "os.system" << danger;
    QTest::newRow("numpy builtins") << "numpy" << "__builtins__" << danger;
    QTest::newRow("torch.load") << "torch" << "load" << danger;
    QTest::newRow("numpy runstring") << "numpy.testing._private.utils" << "runstring" << danger;
    // By allowlist (issue 14): the standard library outside its value types is code.
    QTest::newRow("codecs") << "codecs" << "lookup" << danger;
    QTest::newRow("_io twin") << "_io" << "FileIO" << danger;
    QTest::newRow("_operator twin") << "_operator" << "attrgetter" << danger;
    QTest::newRow("py2 httplib") << "httplib" << "HTTPSConnection" << danger;
    QTest::newRow("py2 apply") << "__builtin__" << "apply" << danger;
    QTest::newRow("pydoc") << "pydoc" << "pipepager" << danger;
    QTest::newRow("venv") << "venv" << "create" << danger;
    QTest::newRow("ensurepip") << "ensurepip" << "_run_pip" << danger;
    QTest::newRow("imaplib") << "imaplib" << "IMAP4" << danger;
    QTest::newRow("pip") << "pip" << "main" << danger;
    QTest::newRow("collect_env") << "torch.utils.collect_env" << "run" << danger;
    QTest::newRow("inductor") << "torch._inductor.codecache" << "compile_file" << danger;
    QTest::newRow("load_from_bytes") << "torch.storage" << "_load_from_bytes" << danger;
    QTest::newRow("eval.__call__") << "builtins" << "eval.__call__" << danger;
    QTest::newRow("project code") << "mypkg.models" << "Net" << unknown;
    QTest::newRow("uuid value") << "uuid" << "UUID" << safe;
    QTest::newRow("pickle.loads") << "pickle" << "loads" << danger;
    QTest::newRow("webbrowser") << "webbrowser" << "open" << danger;
    QTest::newRow("value builtin") << "builtins" << "len" << safe;
    QTest::newRow("value builtin, attribute") << "builtins" << "len.__self__" << danger;
    QTest::newRow("future flag") << "__future__" << "annotations" << safe;
    QTest::newRow("future, other name") << "__future__" << "_ssl.RAND_bytes" << danger;
    QTest::newRow("torch function") << "torch" << "compile" << danger;
    QTest::newRow("torch.jit") << "torch.jit.unsupported_tensor_ops" << "execWrapper" << danger;
    QTest::newRow("torch method via class name") << "torch.nn.modules.module" << "Module.load_state_dict" << danger;
    QTest::newRow("dtype name, attribute") << "torch" << "load.FloatTensor" << danger;
    QTest::newRow("optimizer class") << "torch.optim.adam" << "Adam" << unknown;
    QTest::newRow("numpy reconstruct") << "numpy.core.multiarray" << "_reconstruct" << safe;
    QTest::newRow("numpy dtype class") << "numpy.dtypes" << "Float64DType" << safe;
    QTest::newRow("numpy function") << "numpy" << "fromfile" << danger;
    QTest::newRow("numpy f2py") << "numpy.f2py.crackfortran" << "getlincoef" << danger;
    QTest::newRow("pandas reader") << "pandas" << "read_pickle" << danger;
    QTest::newRow("pandas frame") << "pandas.core.frame" << "DataFrame" << unknown;
}

void TestSafety::classify()
{
    QFETCH(QString, module);
    QFETCH(QString, name);
    QFETCH(int, category);
    std::string reason;
    QCOMPARE(int(classifyGlobal(module.toStdString(), name.toStdString(), &reason)), category);
    QVERIFY(!reason.empty());
}

QTEST_GUILESS_MAIN(TestSafety)
#include "tst_safety.moc"
