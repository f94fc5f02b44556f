#include "model/pickle/standard_library.h"

#include <algorithm>
#include <array>

namespace ckpt {
namespace {

// Python's sys.stdlib_module_names (3.11, with names added up to 3.14), underscore twins
// included, the modules CPython ships outside that list (test, idlelib, lib2to3, its _test*
// extensions), and the Python 2 spellings an old pickle can name: every top-level module of the
// standard library. Sorted, for binary search.
constexpr auto kModules = std::to_array<std::string_view>({
    "BaseHTTPServer", "Bastion", "CGIHTTPServer", "ConfigParser", "Cookie", "Dialog", "DocXMLRPCServer", "FileDialog",
    "HTMLParser", "MimeWriter", "Queue", "ScrolledText", "SimpleHTTPServer", "SimpleXMLRPCServer", "SocketServer",
    "StringIO", "Tkinter", "UserDict", "UserList", "UserString", "__builtin__", "__future__", "__hello__", "__phello__",
    "_abc", "_aix_support", "_android_support", "_apple_support", "_ast", "_asyncio", "_bisect", "_blake2",
    "_bootsubprocess", "_bz2", "_codecs", "_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp", "_codecs_kr",
    "_codecs_tw", "_collections", "_collections_abc", "_colorize", "_compat_pickle", "_compression", "_contextvars",
    "_crypt", "_csv", "_ctypes", "_ctypes_test", "_curses", "_curses_panel", "_datetime", "_dbm", "_decimal",
    "_elementtree", "_freeze_importlib", "_freeze_module", "_frozen_importlib", "_frozen_importlib_external",
    "_functools", "_gdbm", "_hashlib", "_heapq", "_hmac", "_imp", "_interpchannels", "_interpqueues", "_interpreters",
    "_io", "_ios_support", "_json", "_locale", "_lsprof", "_lzma", "_markupbase", "_md5", "_msi", "_multibytecodec",
    "_multiprocessing", "_opcode", "_opcode_metadata", "_operator", "_osx_support", "_overlapped", "_pickle",
    "_posixshmem", "_posixsubprocess", "_py_abc", "_pydecimal", "_pyio", "_pyrepl", "_queue", "_random",
    "_remote_debugging", "_scproxy", "_sha1", "_sha256", "_sha3", "_sha512", "_signal", "_sitebuiltins", "_socket",
    "_sqlite3", "_sre", "_ssl", "_stat", "_statistics", "_string", "_strptime", "_struct", "_suggestions", "_symtable",
    "_sysconfig", "_testbuffer", "_testcapi", "_testclinic", "_testconsole", "_testimportmultiple", "_testinternalcapi",
    "_testmultiphase", "_testsinglephase", "_thread", "_threading_local", "_tkinter", "_tokenize", "_tracemalloc",
    "_types", "_typing", "_uuid", "_warnings", "_weakref", "_weakrefset", "_winapi", "_winreg", "_xxinterpchannels",
    "_xxlimited", "_xxsubinterpreters", "_xxtestfuzz", "_zoneinfo", "_zstd", "abc", "aifc", "annotationlib",
    "antigravity", "anydbm", "argparse", "array", "ast", "asynchat", "asyncio", "asyncore", "atexit", "audioop",
    "base64", "bdb", "binascii", "bisect", "builtins", "bz2", "cPickle", "cProfile", "cStringIO", "calendar", "cgi",
    "cgitb", "chunk", "cmath", "cmd", "code", "codecs", "codeop", "collections", "colorsys", "commands", "compileall",
    "compiler", "compression", "concurrent", "configparser", "contextlib", "contextvars", "cookielib", "copy",
    "copy_reg", "copyreg", "crypt", "csv", "ctypes", "curses", "dataclasses", "datetime", "dbhash", "dbm", "decimal",
    "difflib", "dircache", "dis", "distutils", "doctest", "dumbdbm", "dummy_thread", "dummy_threading", "email",
    "encodings", "ensurepip", "enum", "errno", "exceptions", "faulthandler", "fcntl", "filecmp", "fileinput", "fnmatch",
    "fpformat", "fractions", "ftplib", "functools", "future_builtins", "gc", "gdbm", "genericpath", "getopt", "getpass",
    "gettext", "glob", "graphlib", "grp", "gzip", "hashlib", "heapq", "hmac", "hotshot", "html", "htmlentitydefs",
    "htmllib", "http", "httplib", "idlelib", "ihooks", "imaplib", "imghdr", "imp", "importlib", "imputil", "inspect",
    "io", "ipaddress", "itertools", "json", "keyword", "lib2to3", "linecache", "locale", "logging", "lzma", "mailbox",
    "mailcap", "markupbase", "marshal", "math", "md5", "mimetools", "mimetypes", "mimify", "mmap", "modulefinder",
    "msilib", "msvcrt", "multifile", "multiprocessing", "netrc", "new", "nis", "nntplib", "nt", "ntpath", "nturl2path",
    "numbers", "opcode", "operator", "optparse", "os", "ossaudiodev", "pathlib", "pdb", "pickle", "pickletools",
    "pipes", "pkgutil", "platform", "plistlib", "popen2", "poplib", "posix", "posixfile", "posixpath", "pprint",
    "profile", "pstats", "pty", "pwd", "py_compile", "pyclbr", "pydoc", "pydoc_data", "pyexpat", "queue", "quopri",
    "random", "re", "readline", "repr", "reprlib", "resource", "rexec", "rfc822", "rlcompleter", "robotparser", "runpy",
    "sched", "secrets", "select", "selectors", "sets", "sgmllib", "sha", "shelve", "shlex", "shutil", "signal", "site",
    "smtpd", "smtplib", "sndhdr", "socket", "socketserver", "spwd", "sqlite3", "sre_compile", "sre_constants",
    "sre_parse", "ssl", "stat", "statistics", "statvfs", "string", "stringprep", "struct", "subprocess", "sunau",
    "symtable", "sys", "sysconfig", "syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "termios", "test",
    "textwrap", "this", "thread", "threading", "time", "timeit", "tkFileDialog", "tkMessageBox", "tkinter", "token",
    "tokenize", "tomllib", "trace", "traceback", "tracemalloc", "ttk", "tty", "turtle", "turtledemo", "types", "typing",
    "unicodedata", "unittest", "urllib", "urllib2", "urlparse", "user", "uu", "uuid", "venv", "warnings", "wave",
    "weakref", "webbrowser", "whichdb", "winreg", "winsound", "wsgiref", "xdrlib", "xml", "xmlrpc", "xmlrpclib",
    "xxlimited", "xxsubtype", "zipapp", "zipfile", "zipimport", "zlib", "zoneinfo",
});

} // namespace

bool isStandardLibrary(std::string_view module)
{
    const std::string_view top = module.substr(0, module.find('.'));
    return std::binary_search(kModules.begin(), kModules.end(), top);
}

} // namespace ckpt
