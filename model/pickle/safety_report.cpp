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
    NamedGlobal{"functools", "partial", "calls what it wraps, which its pickled state can replace"},
    NamedGlobal{"torch", "compile", "compiles and runs code"},
    NamedGlobal{"torch", "save", "writes files"},
    NamedGlobal{"torch", "from_file", "reads files"},
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
    NamedGlobal{"numpy.core.numeric", "_frombuffer", ""},
    NamedGlobal{"numpy._core.numeric", "_frombuffer", ""},
    NamedGlobal{"numpy.ma.core", "_mareconstruct", ""},
    NamedGlobal{"numpy.random._pickle", "__randomstate_ctor", ""},
    NamedGlobal{"numpy.random._pickle", "__generator_ctor", ""},
    NamedGlobal{"numpy.random._pickle", "__bit_generator_ctor", ""},
    NamedGlobal{"torch.torch_version", "TorchVersion", ""},
};

// Builtins that only compute values from the values they are given (what they call is
// named in the pickle on its own).
constexpr auto kValueBuiltins = std::to_array<std::string_view>({
    "abs", "all", "any", "ascii", "bin", "callable", "chr", "divmod", "enumerate", "filter", "format", "hash",
    "hex", "id", "isinstance", "issubclass", "iter", "len", "map", "max", "min", "next", "oct", "ord", "pow",
    "repr", "reversed", "round", "sorted", "sum", "zip", "Ellipsis", "NotImplemented", "True", "False", "None"});

// __future__'s feature flags: inert records of a compiler option.
constexpr auto kFutureFeatures = std::to_array<std::string_view>({
    "nested_scopes", "generators", "division", "absolute_import", "with_statement", "print_function",
    "unicode_literals", "barry_as_FLUFL", "generator_stop", "annotations"});

// PyTorch namespaces whose classes a whole-module pickle restores (modules, optimizers,
// schedulers, quantization observers, distributed tensor types): loading needs and runs
// their code, but they are PyTorch's, not code that acts. Every other PyTorch name is.
constexpr auto kTorchClassNamespaces = std::to_array<std::string_view>({
    "torch.nn", "torch.optim", "torch.ao", "torch.quantization", "torch.distributions", "torch.amp",
    "torch.cuda.amp", "torch.distributed.tensor", "torch.distributed._tensor", "torch.distributed.device_mesh",
    "torch.distributed.checkpoint.metadata", "torch.distributed.checkpoint.planner",
    "torch.distributed._shard.metadata", "torch.distributed._shard.sharded_tensor.metadata", "torch.masked",
    "torch.return_types", "torch.utils.data", "torch._C._nn", "torch.nested"});

// Libraries whose callables act (install, fetch, run, load other pickles): none of their names
// is data. Checked on the top-level package.
constexpr auto kActingLibraries = std::to_array<std::string_view>({
    "numpy.f2py", "numpy.distutils", "numpy.testing", "numpy.lib.npyio", "numpy.ctypeslib", "pandas.io",
    "pip", "setuptools", "pkg_resources", "distutils", "ensurepip", "requests", "urllib3", "httpx", "aiohttp",
    "yaml", "dill", "joblib", "cloudpickle", "IPython", "ipykernel", "jupyter_client", "paramiko", "fabric",
    "boto3", "botocore", "fsspec", "sh", "pexpect", "plumbum", "invoke", "psutil", "keras", "tensorflow"});

// PyTorch's own modules that run, compile, fetch or load code.
constexpr auto kActingTorchModules = std::to_array<std::string_view>({
    "torch._inductor", "torch._dynamo", "torch.utils.collect_env", "torch.utils.cpp_extension", "torch.package",
    "torch.multiprocessing", "torch.distributed.rpc", "torch.hub", "torch._C", "torch.utils.data.datapipes",
    "torch.testing", "torch.utils.benchmark", "torch.onnx", "torch.compiler", "torch.export", "torch._export",
    "torch.fx", "torch._subclasses", "torch.cuda.memory", "torch.utils.hipify", "torch.jit",
    "torch.utils.bottleneck", "torch.utils._config_module", "torch.distributed.elastic"});

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
    // TorchScript's pickles rebuild typed lists and tensors with these.
    if (module == "torch.jit._pickle" && (name.starts_with("build_") || name == "restore_type_tag")) return true;
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
                              name == "contiguous_format" || name == "preserve_format" ||
                              name == "channels_last" || name == "channels_last_3d" ||
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
    // An attribute reached through a name (protocol 4's "Class.method", "eval.__call__") is
    // never the data its owner is.
    const bool dotted = name.find('.') != std::string_view::npos;
    if (!dotted && isTorchMachinery(module, name)) return say("PyTorch tensor machinery", GlobalCategory::TensorRebuild);
    // Libraries and PyTorch modules that act come before any allowlist: torch.jit is no data.
    for (auto lib : kActingLibraries)
        if (inPackage(module, lib))
            return say("library code that acts (" + std::string(lib) + "): loading calls it", GlobalCategory::Dangerous);
    for (auto m : kActingTorchModules)
        if (inPackage(module, m))
            return say("PyTorch code that runs, compiles or loads (" + std::string(m) + ")", GlobalCategory::Dangerous);
    if (module == "torch.storage" && name == "_load_from_bytes")
        return say("loads another (unchecked) pickle", GlobalCategory::Dangerous);
    if (!dotted) {
        for (const auto &s : kSafeNames)
            if (module == s.module && name == s.name)
                return say(module.starts_with("numpy") ? "NumPy array, dtype or random-state reconstruction"
                                                       : "standard value type",
                           GlobalCategory::SafeContainer);
        if (module == "builtins")
            for (auto b : kValueBuiltins)
                if (name == b) return say("builtin that computes a value", GlobalCategory::SafeContainer);
        if (module == "__future__")
            for (auto f : kFutureFeatures)
                if (name == f) return say("a __future__ feature flag", GlobalCategory::SafeContainer);
        if (module == "numpy.dtypes" && name.ends_with("DType")) return say("NumPy dtype", GlobalCategory::SafeContainer);
    }
    if (module == "__main__")
        return say("class from the saving script: its code is needed", GlobalCategory::Unknown);
    // By allowlist: the standard library's plain value types are above; every other name of
    // it is code that loading calls.
    if (isStandardLibrary(module))
        return say("standard-library code (" + std::string(topPackage(module)) +
                       "): loading calls it; only plain value types are data",
                   GlobalCategory::Dangerous);
    if (inPackage(module, "numpy"))
        return say("NumPy code outside its array and dtype reconstruction: loading calls it", GlobalCategory::Dangerous);
    if (inPackage(module, "pandas") && (name.starts_with("read_") || name.find(".read_") != std::string_view::npos))
        return say("a pandas reader: opens files or URLs", GlobalCategory::Dangerous);
    if (inPackage(module, "torch")) {
        // Plain dataclasses that live beside code: a DCP .metadata's record of where items lie.
        if (module == "torch.distributed.checkpoint.filesystem" && name == "_StorageInfo")
            return say("PyTorch class: loading runs its code (not allowed by weights_only)", GlobalCategory::Unknown);
        if (!dotted)
            for (auto ns : kTorchClassNamespaces)
                if (inPackage(module, ns))
                    return say("PyTorch class: loading runs its code (not allowed by weights_only)", GlobalCategory::Unknown);
        return say("PyTorch code outside its data types and module classes: loading calls it", GlobalCategory::Dangerous);
    }
    return say("third-party or project code is needed to load it", GlobalCategory::Unknown);
}

void addClassifiedGlobal(SafetyReport &report, GlobalUse use)
{
    for (auto &g : report.globals)
        if (g.classified && g.module == use.module && g.name == use.name && g.file == use.file) {
            ++g.count;
            return;
        }
    use.classified = true;
    use.count = 1;
    report.globals.push_back(std::move(use));
}

} // namespace ckpt
