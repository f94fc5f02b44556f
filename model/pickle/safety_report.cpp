#include "model/pickle/safety_report.h"

#include "model/pickle/standard_library.h"

#include <algorithm>
#include <array>

namespace ckpt {
namespace {

// Modules whose every name can reach the operating system, the network, the interpreter or
// another unpickler. Checked on the top-level package, so "os.path" counts as "os".
constexpr auto kDangerousModules = std::to_array<std::string_view>({
    "os", "posix", "nt", "sys", "subprocess", "runpy", "importlib", "pickle", "_pickle",
    "shutil", "socket", "webbrowser", "ctypes", "pty", "commands", "code", "codeop", "marshal",
    "multiprocessing", "asyncio", "http", "urllib", "urllib2", "requests", "ftplib", "telnetlib",
    "smtplib", "signal", "pdb", "bdb", "timeit", "cProfile", "profile", "trace", "dill",
    "cloudpickle", "joblib", "_posixsubprocess"});

// Single names that evaluate code, open files or reach any attribute.
constexpr auto kDangerousBuiltins = std::to_array<std::string_view>({
    "eval", "exec", "compile", "getattr", "setattr", "delattr", "__import__", "open",
    "globals", "locals", "vars", "input", "breakpoint", "help", "exit", "quit", "memoryview",
    "__loader__", "__builtins__", "execfile", "reload"});

struct NamedGlobal
{
    std::string_view module;
    std::string_view name;
    std::string_view reason;
};

constexpr std::array kDangerousNames{
    NamedGlobal{"operator", "attrgetter", "reaches any attribute"},
    NamedGlobal{"operator", "methodcaller", "calls any method"},
    NamedGlobal{"operator", "itemgetter", "reaches any item"},
    NamedGlobal{"functools", "reduce", "chains arbitrary calls"},
    NamedGlobal{"types", "FunctionType", "builds a function from code"},
    NamedGlobal{"types", "CodeType", "builds code objects"},
    NamedGlobal{"types", "MethodType", "binds arbitrary callables"},
    NamedGlobal{"io", "open", "opens files"},
    NamedGlobal{"io", "FileIO", "opens files"},
    NamedGlobal{"codecs", "open", "opens files"},
    NamedGlobal{"tempfile", "mkstemp", "creates files"},
    NamedGlobal{"torch", "load", "loads another (unchecked) file"},
    NamedGlobal{"torch.serialization", "load", "loads another (unchecked) file"},
    NamedGlobal{"torch.hub", "load", "downloads and runs code"},
    NamedGlobal{"torch.jit", "load", "loads code"},
    NamedGlobal{"numpy", "load", "loads another (unchecked) file"},
    NamedGlobal{"numpy.testing._private.utils", "runstring", "executes a string"},
    NamedGlobal{"numpy.lib.npyio", "load", "loads another (unchecked) file"},
    NamedGlobal{"builtins", "type", "creates arbitrary classes"},
};

// Standard-library and numpy names that only make plain values.
constexpr std::array kSafeNames{
    NamedGlobal{"collections", "OrderedDict", ""},
    NamedGlobal{"collections", "defaultdict", ""},
    NamedGlobal{"collections", "Counter", ""},
    NamedGlobal{"collections", "deque", ""},
    NamedGlobal{"builtins", "set", ""},
    NamedGlobal{"builtins", "frozenset", ""},
    NamedGlobal{"builtins", "bytearray", ""},
    NamedGlobal{"builtins", "bytes", ""},
    NamedGlobal{"builtins", "complex", ""},
    NamedGlobal{"builtins", "slice", ""},
    NamedGlobal{"builtins", "range", ""},
    NamedGlobal{"builtins", "list", ""},
    NamedGlobal{"builtins", "dict", ""},
    NamedGlobal{"builtins", "tuple", ""},
    NamedGlobal{"builtins", "int", ""},
    NamedGlobal{"builtins", "float", ""},
    NamedGlobal{"builtins", "str", ""},
    NamedGlobal{"builtins", "bool", ""},
    NamedGlobal{"builtins", "object", ""},
    NamedGlobal{"copyreg", "_reconstructor", ""},
    // partial only calls what it wraps, and what it wraps is a global reported on its own
    // (torchvision's whole-model pickles wrap nn.LayerNorm in one).
    NamedGlobal{"functools", "partial", ""},
    NamedGlobal{"copyreg", "__newobj__", ""},
    NamedGlobal{"_codecs", "encode", ""},
    NamedGlobal{"argparse", "Namespace", ""},
    NamedGlobal{"pathlib", "PurePosixPath", ""},
    NamedGlobal{"pathlib", "PosixPath", ""},
    NamedGlobal{"pathlib", "PureWindowsPath", ""},
    NamedGlobal{"pathlib", "WindowsPath", ""},
    NamedGlobal{"pathlib", "Path", ""},
    NamedGlobal{"datetime", "datetime", ""},
    NamedGlobal{"datetime", "date", ""},
    NamedGlobal{"datetime", "time", ""},
    NamedGlobal{"datetime", "timedelta", ""},
    NamedGlobal{"datetime", "timezone", ""},
    NamedGlobal{"decimal", "Decimal", ""},
    NamedGlobal{"fractions", "Fraction", ""},
    NamedGlobal{"uuid", "UUID", ""},
    NamedGlobal{"numpy", "dtype", ""},
    NamedGlobal{"numpy", "ndarray", ""},
    NamedGlobal{"numpy.core.multiarray", "_reconstruct", ""},
    NamedGlobal{"numpy.core.multiarray", "scalar", ""},
    NamedGlobal{"numpy._core.multiarray", "_reconstruct", ""},
    NamedGlobal{"numpy._core.multiarray", "scalar", ""},
};

// Libraries whose callables act (install, fetch, run, load other pickles): none of their names
// is data. Checked on the top-level package.
constexpr auto kActingLibraries = std::to_array<std::string_view>({
    "pip", "setuptools", "pkg_resources", "distutils", "ensurepip", "requests", "urllib3", "httpx", "aiohttp",
    "yaml", "dill", "joblib", "cloudpickle", "IPython", "ipykernel", "jupyter_client", "paramiko", "fabric",
    "boto3", "botocore", "fsspec", "sh", "pexpect", "plumbum", "invoke", "psutil", "keras", "tensorflow"});

// PyTorch's own modules that run, compile, fetch or load code.
constexpr auto kActingTorchModules = std::to_array<std::string_view>({
    "torch._inductor", "torch._dynamo", "torch.utils.collect_env", "torch.utils.cpp_extension", "torch.package",
    "torch.multiprocessing", "torch.distributed.rpc", "torch.hub", "torch._C", "torch.utils.data.datapipes",
    "torch.testing", "torch.utils.benchmark", "torch.onnx", "torch.compiler", "torch.export", "torch._export",
    "torch.fx", "torch._subclasses", "torch.cuda.memory", "torch.utils.hipify"});

bool inPackage(std::string_view module, std::string_view package)
{
    return module == package || (module.starts_with(package) && module[package.size()] == '.');
}

std::string_view topPackage(std::string_view module)
{
    return module.substr(0, module.find('.'));
}

bool isTorchMachinery(std::string_view module, std::string_view name)
{
    if (module == "torch._utils" && name.starts_with("_rebuild_")) return true;
    if (module == "torch._tensor" && name == "_rebuild_from_type_v2") return true;
    if (module == "torch.serialization" && name == "_get_layout") return true;
    if (module == "torch.nn.parameter" && (name == "Parameter" || name == "Buffer")) return true;
    if ((module == "torch" || module == "torch.cuda") &&
        (name.ends_with("Storage") || name.ends_with("Tensor")))
        return true;
    if (module == "torch.storage" && (name == "UntypedStorage" || name == "TypedStorage"))
        return true;
    if (module == "torch.sparse" || module == "torch.cuda.sparse") return name.ends_with("Tensor");
    if (module == "torch" && (name == "Size" || name == "device" || name == "Tensor" ||
                              name == "dtype" || name.starts_with("per_") ||
                              name.starts_with("float") || name.starts_with("int") ||
                              name.starts_with("uint") || name.starts_with("complex") ||
                              name.starts_with("bfloat") || name.starts_with("bool") ||
                              name.starts_with("qint") || name.starts_with("quint") ||
                              name.starts_with("bits") || name == "half" || name == "double" ||
                              name == "long" || name == "short" || name == "cfloat" ||
                              name == "strided" || name.starts_with("sparse_") ||
                              name == "_mkldnn"))
        return true;
    return false;
}

} // namespace

std::string_view categoryName(GlobalCategory c)
{
    switch (c) {
    case GlobalCategory::TensorRebuild: return "tensor-rebuild";
    case GlobalCategory::SafeContainer: return "safe";
    case GlobalCategory::Unknown: return "unknown";
    case GlobalCategory::Dangerous: return "dangerous";
    }
    return "unknown";
}

GlobalCategory classifyGlobal(std::string_view module, std::string_view name, std::string *reason)
{
    auto say = [&](std::string_view why, GlobalCategory c) {
        if (reason) *reason = std::string(why);
        return c;
    };
    // Python 2 spellings that Python 3's unpickler maps to the same objects.
    if (module == "__builtin__") module = "builtins";
    if (module == "copy_reg") module = "copyreg";

    for (auto m : kDangerousModules)
        if (topPackage(module) == m)
            return say("module " + std::string(m) + " can run commands or reach the system",
                       GlobalCategory::Dangerous);
    // A module reached as an attribute of another (torch.os, numpy.sys, "os.system" as a
    // protocol-4 dotted name) is as dangerous as the module itself.
    for (size_t begin = 0; begin <= name.size();) {
        const size_t dot = std::min(name.find('.', begin), name.size());
        const std::string_view part = name.substr(begin, dot - begin);
        for (auto m : kDangerousModules)
            if (part == m)
                return say("reaches module " + std::string(m) + " through " + std::string(module),
                           GlobalCategory::Dangerous);
        if (part == "__builtins__" || (part == "builtins" && module != "builtins"))
            return say("reaches the builtins through " + std::string(module),
                       GlobalCategory::Dangerous);
        begin = dot + 1;
    }
    if (module == "builtins")
        for (auto b : kDangerousBuiltins)
            if (name == b) return say("builtin " + std::string(b) + " can run or reach anything",
                                      GlobalCategory::Dangerous);
    for (const auto &d : kDangerousNames)
        if (module == d.module && name == d.name) return say(d.reason, GlobalCategory::Dangerous);
    if (isTorchMachinery(module, name))
        return say("PyTorch tensor machinery", GlobalCategory::TensorRebuild);
    for (const auto &s : kSafeNames)
        if (module == s.module && name == s.name)
            return say("standard value type", GlobalCategory::SafeContainer);
    if (module == "__main__")
        return say("class from the saving script: its code is needed", GlobalCategory::Unknown);
    // By allowlist: the standard library's plain value types are above; every other name of
    // it is code that loading calls.
    if (isStandardLibrary(module))
        return say("standard-library code (" + std::string(topPackage(module)) +
                       "): loading calls it; only plain value types are data",
                   GlobalCategory::Dangerous);
    for (auto lib : kActingLibraries)
        if (topPackage(module) == lib)
            return say("library code that acts (" + std::string(lib) + "): loading calls it", GlobalCategory::Dangerous);
    for (auto m : kActingTorchModules)
        if (inPackage(module, m))
            return say("PyTorch code that runs, compiles or loads (" + std::string(m) + ")", GlobalCategory::Dangerous);
    if (module == "torch.storage" && name == "_load_from_bytes")
        return say("loads another (unchecked) pickle", GlobalCategory::Dangerous);
    if (module == "torch" || module.starts_with("torch."))
        return say("PyTorch class: loading runs its code (not allowed by weights_only)",
                   GlobalCategory::Unknown);
    return say("third-party or project code is needed to load it", GlobalCategory::Unknown);
}

} // namespace ckpt
