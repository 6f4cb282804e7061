"""C and C++: two grammars, one module system (``c``), one shared query (``c.scm``) plus what
only C++ has (``cpp.scm``; tree-sitter-cpp extends tree-sitter-c, so the C patterns hold there).

A ``.h`` header is C: the extension alone cannot tell a C header from a C++ one, and the C
grammar reads the declarations C++ headers share with C (prototypes, structs, macros). Headers
with C++ extensions (``.hpp``, ``.hh``, ``.hxx``) are C++.

``#include`` is a wildcard import: every module-level name of the header (and of what it
includes) becomes visible. A prototype in a header is a declaration; a call that resolves to it
is followed to its definition in a companion source file (``CModules.companions``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping

from indexer.languages import LanguageSpec
from indexer.modules import BaseModules, Manifests, ModuleRef, Probe, join_path

HEADER_EXTENSIONS = (".h", ".hh", ".hpp", ".hxx", ".h++")
SOURCE_EXTENSIONS = (".c", ".cc", ".cpp", ".cxx", ".c++")
INCLUDE_ROOTS = ("include", "src", "")
"""Where ``#include "lib/x.h"`` is looked for when it is not beside the including file (after
these, every directory named ``include``): the ``-I`` flags most projects use."""




class CModules(BaseModules):
    """Includes resolved the way a compiler with the usual ``-I`` flags finds them; headers
    paired with the source files that define what they declare.

    ``#include "x.h"`` is looked for beside the including file, then under the include roots
    (``include/``, ``src/``, the repository root, then every directory named ``include``, in
    path order); ``#include <x.h>`` (the specifier keeps its angle brackets) only under the
    roots. A quoted include found nowhere is unresolved (a generated header or one from a
    ``-I`` path the repository does not show); an angle one is external (the system's)."""

    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        super().__init__(paths, packages, manifests)
        include_dirs: set[str] = set()
        for p in self.files:
            d = posixpath.dirname(p)
            while d:
                if posixpath.basename(d) == "include":
                    include_dirs.add(d)
                d = posixpath.dirname(d)
        self.roots = tuple(dict.fromkeys((*INCLUDE_ROOTS, *sorted(include_dirs))))

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None:
        angle = specifier.startswith("<")
        name = specifier.strip("<>").strip()
        if not name or name.startswith("/"):
            return None
        bases = self.roots if angle else (posixpath.dirname(importer), *self.roots)
        for base in bases:
            candidate = join_path(base, name)
            if candidate.startswith("../"):
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

C = LanguageSpec(
    name="c",
    extensions=(".c", ".h"),
    grammar="tree_sitter_c:language",
    module_system="c",
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
