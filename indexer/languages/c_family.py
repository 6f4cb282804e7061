"""C and C++: two grammars, one module system (``c``), one shared query (``c.scm``) plus what
only C++ has (``cpp.scm``; tree-sitter-cpp extends tree-sitter-c, so the C patterns hold there).

A ``.h`` header is C: the extension alone cannot tell a C header from a C++ one, and the C
grammar reads the declarations C++ headers share with C (prototypes, structs, macros). Headers
with C++ extensions (``.hpp``, ``.hh``, ``.hxx``) are C++.

``#include`` is a wildcard import: every module-level name of the header (and of what it
includes) becomes visible. A prototype in a header is a declaration; a call that resolves to it
is followed to its definition in a companion source file (``CModules.companions``).

Where the build says where headers are, it is believed: a ``compile_commands.json`` (a JSON
compilation database, as CMake, Bear or Meson write it) gives each source file its include
directories, a ``compile_flags.txt`` (clang's, one flag per line) gives them to every file under
its directory. Both are manifests of C (``LanguageSpec.manifests``), read by
``read_compile_commands`` and ``read_compile_flags``. A compilation database names files by the
absolute paths of the machine that built it; ``CModules`` finds which directory there is which
directory here by matching those paths against the repository's files.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence

from indexer.languages import LanguageSpec
from indexer.modules import BaseModules, Manifests, ModuleRef, Probe, ancestors, join_inside, join_path

HEADER_EXTENSIONS = (".h", ".hh", ".hpp", ".hxx", ".h++")
SOURCE_EXTENSIONS = (".c", ".cc", ".cpp", ".cxx", ".c++")
INCLUDE_ROOTS = ("include", "src", "")
"""Where ``#include "lib/x.h"`` is looked for when it is not beside the including file and the
build says nothing (after these, every directory named ``include``): the ``-I`` flags most
projects use."""
COMPILE_COMMANDS = "compile_commands.json"
COMPILE_FLAGS = "compile_flags.txt"

_SEARCH_ORDER = ("-iquote", "-I", "-isystem", "-idirafter")
"""The kinds of include directory, in the order a compiler searches them for ``#include "x.h"``."""
_SPELLINGS = (("--include-directory-after=", "-idirafter"), ("--include-directory=", "-I"),
              ("-iquote", "-iquote"), ("-isystem", "-isystem"), ("-idirafter", "-idirafter"), ("-I", "-I"))
"""Flag (its value attached, or the next argument) → the kind of include directory it adds."""
_SPELLINGS_EXACT = {"--include-directory": "-I", "--include-directory-after": "-idirafter"}
"""Flags that take the next argument only."""
_MSVC_SPELLINGS = (("/external:I", "-isystem"), ("-external:I", "-isystem"), ("/I", "-I"))
"""MSVC's (``cl.exe``, ``clang-cl``), recognised in commands of a Windows build only: on a POSIX
machine ``/Include/x.c`` is a path."""
_NO_QUOTES = re.compile(r"""^[^'"\\]*$""")
_UNQUOTED_WORD = re.compile(r"[^ \t\r\n]+")
_WINDOWS_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|//)")
"""An absolute Windows path (``C:\\src``, a share ``\\\\server\\src``): the build ran on Windows."""


def _include_dirs(args: Iterable[str], windows: bool = False) -> list[str]:
    """The include directories ``args`` (a compiler's arguments) pass, as written, in the order
    a compiler searches them for ``#include "x.h"``: ``-iquote``, ``-I``, ``-isystem``,
    ``-idirafter``. A response file (``@args.rsp``) is not read."""
    found: dict[str, list[str]] = {kind: [] for kind in _SEARCH_ORDER}
    spellings = (*_MSVC_SPELLINGS, *_SPELLINGS) if windows else _SPELLINGS
    pending: str | None = None
    for arg in args:
        if pending is not None:
            found[pending].append(arg)
            pending = None
            continue
        if arg in _SPELLINGS_EXACT:
            pending = _SPELLINGS_EXACT[arg]
            continue
        for flag, kind in spellings:
            if arg.startswith(flag):
                value = arg[len(flag):].strip()
                if not value:
                    pending = kind
                elif value != "-":  # GCC's old ``-I-``, a separator, not a directory
                    found[kind].append(value)
                break
    return [d for kind in _SEARCH_ORDER for d in found[kind]]


def _absolute(directory: str, path: str, windows: bool) -> str:
    """``path`` (of a compile command run in ``directory``) as a normalised absolute path,
    ``/``-separated (a Windows one keeps its drive: ``C:/src/x.c``)."""
    if windows:
        path = path.strip('"').replace("\\", "/")
        if _WINDOWS_PATH.match(path):
            return posixpath.normpath(path)
    elif path.startswith("/"):
        return posixpath.normpath(path)
    return posixpath.normpath(posixpath.join(directory, path))


def read_compile_commands(data: bytes) -> dict[str, object]:
    """A ``compile_commands.json``: ``{"directories": [dir, ...], "entries": [[file, [i, ...]],
    ...]}``, each entry a source file (absolute, as on the machine that wrote the database) and
    the indexes in ``directories`` of the include directories its command passes (absolute, in
    the order a compiler searches them for a quoted include). A file compiled by several
    commands is one entry with the directories of all; a directory is stored once however many
    entries pass it (databases have tens of thousands of entries, the same few dozen
    directories). ValueError when ``data`` is not a JSON array of compile commands (objects with
    a ``directory``, a ``file`` and an ``arguments`` list or a ``command`` string)."""
    try:
        commands = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{COMPILE_COMMANDS} is not valid JSON: {exc}") from None
    if not isinstance(commands, list):
        raise ValueError(f"{COMPILE_COMMANDS} must be a JSON array of compile commands, not "
                         f"{type(commands).__name__}")
    directories: dict[str, int] = {}
    entries: dict[str, dict[int, None]] = {}
    for number, command in enumerate(commands):
        directory, file, args = _command_parts(number, command)
        windows = bool(_WINDOWS_PATH.match(directory))
        cwd = _absolute("/", directory, windows)
        dirs = entries.setdefault(_absolute(cwd, file, windows), {})
        for d in _include_dirs(args[1:], windows):
            dirs.setdefault(directories.setdefault(_absolute(cwd, d, windows), len(directories)))
    return {"directories": list(directories), "entries": [[f, list(d)] for f, d in entries.items()]}


def _command_parts(number: int, command: object) -> tuple[str, str, Sequence[str]]:
    """The directory, file and arguments (compiler first) of the ``number``-th compile command;
    ValueError naming what it lacks."""
    where = f"{COMPILE_COMMANDS}: entry {number}"
    if not isinstance(command, dict):
        raise ValueError(f"{where} must be an object, not {type(command).__name__}")
    directory, file = command.get("directory"), command.get("file")
    if not isinstance(directory, str) or not directory:
        raise ValueError(f'{where} has no "directory" string')
    if not isinstance(file, str) or not file:
        raise ValueError(f'{where} has no "file" string')
    arguments, line = command.get("arguments"), command.get("command")
    if isinstance(arguments, list) and all(isinstance(a, str) for a in arguments):
        return directory, file, arguments
    if isinstance(line, str):
        try:
            if _WINDOWS_PATH.match(directory):
                return directory, file, _split_windows(line)
            # shlex takes a millisecond for a long command line; most have nothing to unquote
            return directory, file, _UNQUOTED_WORD.findall(line) if _NO_QUOTES.match(line) else shlex.split(line)
        except ValueError as exc:
            raise ValueError(f'{where}: its "command" cannot be split into arguments ({exc})') from None
    raise ValueError(f'{where} has neither an "arguments" list of strings nor a "command" string')


def _split_windows(line: str) -> list[str]:
    """A Windows command line's arguments, split as its C runtime splits them: quotes group
    (``/I"third party"`` is one argument) and are removed, a backslash is a backslash unless
    backslashes precede a quote (``\\"`` is a quote)."""
    args: list[str] = []
    current: list[str] = []
    started = quoted = False
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            end = i
            while end < len(line) and line[end] == "\\":
                end += 1
            count = end - i
            before_quote = end < len(line) and line[end] == '"'
            current.append("\\" * (count // 2 if before_quote else count))
            if before_quote and count % 2:
                current.append('"')
                end += 1
            i, started = end, True
            continue
        if c == '"':
            quoted, started = not quoted, True
        elif c in " \t" and not quoted:
            if started:
                args.append("".join(current))
            current, started = [], False
        else:
            current.append(c)
            started = True
        i += 1
    if started:
        args.append("".join(current))
    return args


def read_compile_flags(data: bytes) -> dict[str, object]:
    """A ``compile_flags.txt`` (one compiler argument a line, for every file under its
    directory): ``{"include_dirs": [dir, ...]}``, as written (relative ones are relative to the
    file's directory), in the order a compiler searches them for a quoted include. ValueError
    when it is not UTF-8 text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{COMPILE_FLAGS} is not UTF-8 text: {exc}") from None
    return {"include_dirs": _include_dirs(line.strip() for line in text.splitlines() if line.strip())}


class CModules(BaseModules):
    """Includes resolved the way the build's compiler finds them; headers paired with the
    source files that define what they declare.

    ``#include "x.h"`` is looked for beside the including file, then in the include
    directories the build gives that file (``include_dirs``), then under the fallback roots
    (``include/``, ``src/``, the repository root, then every directory named ``include``, in
    path order); ``#include <x.h>`` likewise, but not beside the file (though in ``-iquote``
    directories, which a compiler would pass over for it). A quoted include found
    nowhere is unresolved (a generated header or one from a directory the repository does not
    show); an angle one is external (the system's)."""

    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        super().__init__(paths, packages, manifests)
        include_dirs = {d for p in self.files for d in ancestors(p) if posixpath.basename(d) == "include"}
        fallback = tuple(dict.fromkeys((*INCLUDE_ROOTS, *sorted(include_dirs))))
        searches: dict[tuple[str, ...], int] = {fallback: 0}

        def search(dirs: Iterable[str]) -> int:
            return searches.setdefault(tuple(dict.fromkeys((*dirs, *fallback))), len(searches))

        by_file, by_place = _database_dirs(self.files, {
            path: data for path, data in self.manifests.items()
            if posixpath.basename(path).lower() == COMPILE_COMMANDS and isinstance(data, dict)})
        self._by_file = {path: search(dirs) for path, dirs in sorted(by_file.items())}
        """Repository file → its search (``_searches``), for the files of a compilation database."""
        # a compilation database beats a compile_flags.txt of its directory, as in clang's tools
        self._by_dir = {directory: search(dirs) for directory, dirs in {
            **_flags_dirs(self.manifests), **by_place}.items()}
        """Directory → the search of the files under it that have none of their own: that of its
        ``compile_flags.txt``, or every include directory of the compilation database of the
        files under it (the most used first)."""
        self._searches = list(searches)
        """The directories includes are looked for in (after the including file's own, for a
        quoted one), one list for each set of flags; the first is for files the build says
        nothing about: the fallback roots."""
        self.roots = tuple(dict.fromkeys(d for s in self._searches for d in s))
        """Every directory an include is looked for in: when they change (a compilation database
        placed differently in the repository), everything resolves again."""

    def include_dirs(self, path: str) -> tuple[str, ...]:
        """The directories (repository-relative, ``""`` the root) includes of ``path`` are
        looked for in, after its own directory for a quoted include: those of its entry in a
        compilation database; else those of the nearest ``compile_flags.txt`` or compilation
        database above it (for a database: every include directory of its entries, the most used
        first); each time followed by the fallback roots, which are all there is otherwise."""
        return self._searches[self._search_of(path)]

    def _search_of(self, path: str) -> int:
        found = self._by_file.get(path)
        if found is not None:
            return found
        if self._by_dir:
            d = posixpath.dirname(path)
            while True:
                if d in self._by_dir:
                    return self._by_dir[d]
                if not d:
                    break
                d = posixpath.dirname(d)
        return 0

    def import_context(self, importer: str) -> str:
        """The importer's directory, and its search when the build gives it its own (two files
        of one directory compiled with different ``-I`` find different headers)."""
        search = self._search_of(importer)
        directory = posixpath.dirname(importer)
        return f"{directory}\n{search}" if search else directory

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None:
        angle = specifier.startswith("<")
        name = specifier.strip("<>").strip()
        if not name or name.startswith("/"):
            return None
        bases = self.include_dirs(importer)
        if not angle:
            bases = (posixpath.dirname(importer), *bases)
        for base in bases:
            candidate = join_inside(base, name)
            if candidate is None:
                continue
            probe(candidate)
            if candidate in self.files:
                return ModuleRef(candidate)
        return None

    def is_internal(self, specifier: str, probe: Probe) -> bool:
        return not specifier.startswith("<")

    def external_name(self, specifier: str) -> str:
        return specifier.strip("<>").strip()

    def companions(self, path: str, probe: Probe) -> tuple[str, ...]:
        """The file itself (a prototype at the top of a file, defined further down), and for a
        header the sources beside it with its stem (``engine.h`` → ``engine.c``, ``engine.cpp``,
        ...), and for a header under ``include/`` those in the parallel ``src/``
        (``include/lib/engine.h`` → ``src/lib/engine.c``, ``src/engine.c``)."""
        stem, ext = posixpath.splitext(path)
        if ext not in HEADER_EXTENSIONS:
            return (path,)
        stems = [stem]
        parts = stem.split("/")
        for i, part in enumerate(parts[:-1]):
            if part == "include":
                prefix = parts[:i]
                stems.append("/".join([*prefix, "src", *parts[i + 1:]]))
                stems.append("/".join([*prefix, "src", parts[-1]]))
        out = [path]
        for s in dict.fromkeys(stems):
            for source_ext in SOURCE_EXTENSIONS:
                candidate = s + source_ext
                probe(candidate)
                if candidate in self.files:
                    out.append(candidate)
        return tuple(out)


def _database_dirs(files: Collection[str], databases: Mapping[str, Mapping[str, object]]
                   ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """What the compilation databases (path → ``read_compile_commands``' data) say, in
    repository terms: each compiled file's include directories (repository-relative; those
    outside the repository, the system's, are left out), and for the directory where each
    database's files are (``_build_root``) every include directory of its entries, those more
    entries pass first."""
    by_name: dict[str, list[str]] = {}
    for path in sorted(files):
        by_name.setdefault(posixpath.basename(path), []).append(path)
    by_file: dict[str, dict[str, None]] = {}
    uses: dict[str, Counter[str]] = {}
    for manifest in sorted(databases):
        directories, entries = databases[manifest].get("directories"), databases[manifest].get("entries")
        if not isinstance(directories, list) or not isinstance(entries, list):
            continue
        place = _build_root([entry[0] for entry in entries], by_name)
        if place is None:
            continue
        here = [_under(d, *place) for d in directories]
        counts = uses.setdefault(place[1], Counter())
        for file, indexes in entries:
            compiled = _under(file, *place)
            if compiled is None:
                continue
            dirs = [d for d in (here[i] for i in indexes) if d is not None]
            by_file.setdefault(compiled, {}).update(dict.fromkeys(dirs))
            counts.update(dirs)
    return ({path: list(dirs) for path, dirs in by_file.items()},
            {place: sorted(counts, key=lambda d: -counts[d]) for place, counts in uses.items()})


def _build_root(compiled: Iterable[str], by_name: Mapping[str, Sequence[str]]) -> tuple[tuple[str, ...], str] | None:
    """Where a compilation database's files are in the repository: the directory of the
    machine that built them (as its path's parts) and the repository's directory it is (``""``
    for the root). Each compiled file votes for the places that put it on a repository file of
    its name (``/home/ci/proj/src/a.c`` on ``src/a.c``: ``/home/ci/proj`` is the root); the
    place with the most votes wins, ties going to the deepest build directory, then to the
    shallowest repository one. None when no compiled file is in the repository."""
    votes: Counter[tuple[tuple[str, ...], str]] = Counter()
    for file in compiled:
        parts = file.split("/")
        for path in by_name.get(parts[-1], ()):
            theirs = path.split("/")
            same = 1
            while same < min(len(parts), len(theirs)) and parts[-same - 1] == theirs[-same - 1]:
                same += 1
            votes[(tuple(parts[:-same]), "/".join(theirs[:-same]))] += 1
    if not votes:
        return None
    return min(votes, key=lambda place: (-votes[place], -len(place[0]), place[1].count("/") + bool(place[1]),
                                         place))


def _under(path: str, build_dir: tuple[str, ...], repo_dir: str) -> str | None:
    """``path`` (absolute, on the build machine) as a repository path when it is under
    ``build_dir``, which is the repository's ``repo_dir``; None when it is elsewhere."""
    parts = path.split("/")
    if tuple(parts[:len(build_dir)]) != build_dir:
        return None
    return join_path(repo_dir, "/".join(parts[len(build_dir):]))


def _flags_dirs(manifests: Manifests) -> dict[str, list[str]]:
    """Directory of a ``compile_flags.txt`` → the include directories it gives the files under
    it (repository-relative; absolute ones, which name directories of some machine, and those
    above the repository are left out)."""
    out: dict[str, list[str]] = {}
    for path in sorted(manifests):
        data = manifests[path]
        if posixpath.basename(path).lower() != COMPILE_FLAGS or not isinstance(data, dict):
            continue
        here = posixpath.dirname(path)
        dirs = (join_inside(here, d) for d in data.get("include_dirs") or ()
                if isinstance(d, str) and not d.startswith("/") and not _WINDOWS_PATH.match(d))
        out[here] = [d for d in dirs if d is not None]
    return out


# the C standard library: external, not unresolved, where no include says where they are
_C_STANDARD_LIBRARY = frozenset([
    "abort", "abs", "acos", "asin", "atan", "atan2", "atexit", "atof", "atoi", "atol", "atoll", "bsearch", "calloc",
    "ceil", "clearerr", "clock", "cos", "cosh", "ctime", "difftime", "div", "exit", "exp", "fabs", "fclose", "feof",
    "ferror", "fflush", "fgetc", "fgetpos", "fgets", "floor", "fmod", "fopen", "fprintf", "fputc", "fputs", "fread",
    "free", "freopen", "frexp", "fscanf", "fseek", "fsetpos", "ftell", "fwrite", "getc", "getchar", "getenv",
    "gmtime", "isalnum", "isalpha", "iscntrl", "isdigit", "isgraph", "islower", "isprint", "ispunct", "isspace",
    "isupper", "isxdigit", "labs", "ldexp", "ldiv", "localtime", "log", "log10", "longjmp", "malloc", "memchr",
    "memcmp", "memcpy", "memmove", "memset", "mktime", "modf", "perror", "pow", "printf", "putc", "putchar", "puts",
    "qsort", "raise", "rand", "realloc", "remove", "rename", "rewind", "scanf", "setbuf", "setjmp", "setvbuf",
    "signal", "sin", "sinh", "snprintf", "sprintf", "sqrt", "srand", "sscanf", "strcat", "strchr", "strcmp",
    "strcoll", "strcpy", "strcspn", "strdup", "strerror", "strftime", "strlen", "strncat", "strncmp", "strncpy",
    "strndup", "strpbrk", "strrchr", "strspn", "strstr", "strtod", "strtok", "strtol", "strtoll", "strtoul",
    "strtoull", "system", "tan", "tanh", "time", "tmpfile", "tmpnam", "tolower", "toupper", "ungetc", "va_arg",
    "va_copy", "va_end", "va_start", "vfprintf", "vprintf", "vsnprintf", "vsprintf", "assert", "offsetof", "sizeof",
    "errno", "NULL", "stdin", "stdout", "stderr",
])

_CPP_MARKERS = re.compile(
    rb"^[ \t]*(?:"
    rb"namespace(?:[ \t]+[A-Za-z_][\w:]*)?[ \t]*\{"
    rb"|template[ \t]*<"
    rb"|(?:class|struct)[ \t]+(?:[A-Za-z_]\w*[ \t]+)?[A-Za-z_]\w*(?:[ \t]+final)?[ \t]*:[ \t]*"
    rb"(?:public|protected|private|virtual)\b"
    rb"|class[ \t]+[A-Za-z_]\w*[ \t]*(?:\{|$)"
    rb"|(?:public|protected|private)[ \t]*:"
    rb"|using[ \t]+namespace\b"
    rb"|#[ \t]*include[ \t]*<(?:iostream|string|vector|memory|map|unordered_map|set|functional|utility"
    rb"|algorithm|type_traits|cstdint|cstddef|cstdio|cstdlib|cstring|cassert|limits|iterator|atomic|mutex"
    rb"|thread|chrono|stdexcept|initializer_list|optional|variant|tuple|array|sstream|ostream|istream"
    rb"|fstream|system_error|locale|new|exception|cmath|climits|string_view|span|ranges|concepts)>"
    rb")",
    re.MULTILINE)
"""Lines only C++ has, at the start of a line: a namespace or template, a class (with a base or
a body), an access specifier, ``using namespace``, a standard C++ header."""


def header_dialect(source: bytes) -> str | None:
    """``cpp`` for a ``.h`` header whose lines show C++ (fmt's ``include/fmt/base.h``), else
    None: it stays C. A C header with C++ guarded by ``#ifdef __cplusplus`` reads as C++ too,
    which the C++ grammar parses as well."""
    return "cpp" if _CPP_MARKERS.search(source) else None


C = LanguageSpec(
    name="c",
    extensions=(".c", ".h"),
    grammar="tree_sitter_c:language",
    module_system="c",
    # C's, for C++ too: one module system reads them, and a file has one language
    manifests={COMPILE_COMMANDS: read_compile_commands, COMPILE_FLAGS: read_compile_flags},
    build_outputs=(COMPILE_COMMANDS, f"build/{COMPILE_COMMANDS}"),  # CMake's usual ``-B build``
    dialect=header_dialect,
    identifier_types=frozenset({"identifier", "type_identifier", "field_identifier"}),
    member_types={"field_expression": ("argument", "field")},
    call_types={"call_expression": "function"},
    builtins=_C_STANDARD_LIBRARY,
    global_linkage=frozenset({"static"}),
    queries=("c",),
)

CPP = LanguageSpec(
    name="cpp",
    extensions=(".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++"),
    grammar="tree_sitter_cpp:language",
    module_system="c",
    overloads=True,
    identifier_types=frozenset({"identifier", "type_identifier", "field_identifier", "namespace_identifier"}),
    member_types={"field_expression": ("argument", "field"), "qualified_identifier": ("scope", "name")},
    # a template instance (``make<T>()``, ``Box<int>``) names its template; the standard
    # containers and pointers say what they hold
    generic_types=frozenset({"template_type", "template_function", "template_method"}),
    sequence_types=frozenset({"vector", "list", "deque", "set", "unordered_set", "multiset", "array", "span",
                              "initializer_list"}),
    mapping_types=frozenset({"map", "unordered_map", "multimap", "unordered_multimap"}),
    optional_types=frozenset({"optional", "unique_ptr", "shared_ptr", "weak_ptr", "reference_wrapper"}),
    call_types={"call_expression": "function", "new_expression": "type"},
    self_names=frozenset({"this"}),
    members_in_scope=True,
    reopened_classes=True,  # namespaces
    global_linkage=frozenset({"static"}),
    # ``std::`` and the casts, which read as calls of templates
    builtins=_C_STANDARD_LIBRARY | {"std", "static_cast", "dynamic_cast", "const_cast", "reinterpret_cast",
                                    "decltype"},
    queries=("c", "cpp"),
)

SPECS = (C, CPP)
MODULE_SYSTEMS = {"c": CModules}
