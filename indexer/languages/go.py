"""Go: the language spec and its module system.

A Go package is a directory: its files see each other's package-level names without imports
(``package_scope``), methods are declared outside their type (``func (c *Cart) Total()`` is the
method ``Cart.Total``, found through the package's files), and an import path names a directory.

The module system is given the repository's ``.go`` paths (and the package each declares), not
``go.mod``, so it cannot know the module path. The Go code's root is taken to be the deepest
directory holding all of it (the repository root, or ``backend/`` when all the Go code is
there). An import path is inside the repository when its trailing segments spell a directory
holding ``.go`` files, from the repository root or from the Go root (``example.com/shop/cart``
→ ``cart`` or ``shop/cart``, or ``backend/cart``; the longest wins), or when its last segment
is the package the Go root declares (``github.com/spf13/cobra`` → the root, ``package cobra``).
Standard library paths (``fmt``, ``net/http``) are always external, and a package never
imports itself, so an import naming the importer's own directory is external too
(``github.com/x/log`` from ``log/``) unless the importer is its external test.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Mapping

from indexer.languages import LanguageSpec
from indexer.modules import PACKAGE_PROBE, BaseModules, Manifests, ModuleRef, Probe

BUILTINS = frozenset({
    # functions
    "append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max",
    "min", "new", "panic", "print", "println", "real", "recover",
    # types
    "any", "bool", "byte", "comparable", "complex64", "complex128", "error", "float32", "float64",
    "int", "int8", "int16", "int32", "int64", "rune", "string", "uint", "uint8", "uint16", "uint32",
    "uint64", "uintptr",
    # constants
    "true", "false", "iota", "nil",
})

STANDARD_ROOTS = frozenset({
    "archive", "bufio", "builtin", "bytes", "cmp", "compress", "container", "context", "crypto",
    "database", "debug", "embed", "encoding", "errors", "expvar", "flag", "fmt", "go", "hash", "html",
    "image", "index", "internal", "io", "iter", "log", "maps", "math", "mime", "net", "os", "path",
    "plugin", "reflect", "regexp", "runtime", "slices", "sort", "strconv", "strings", "structs",
    "sync", "syscall", "testing", "text", "time", "unicode", "unique", "unsafe", "vendor", "weak",
    "C",  # cgo
})
"""First segments of standard library import paths (Go 1.24); a path starting with one of them
and no dot in it is never a module of the repository."""



def is_standard(specifier: str) -> bool:
    """Whether ``specifier`` is a standard library import path (``fmt``, ``net/http``)."""
    head = specifier.split("/", 1)[0]
    return "." not in head and head in STANDARD_ROOTS


class GoModules(BaseModules):
    """Go packages: a package is the directory of its files (its key is the directory, ``""``
    for the repository root); an import path resolves to one by its trailing segments."""

    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        super().__init__(paths, packages, manifests)
        by_dir: dict[str, list[str]] = {}
        for path in self.files:
            by_dir.setdefault(posixpath.dirname(path), []).append(path)
        self.by_dir: dict[str, tuple[str, ...]] = {
            d: tuple(sorted(files, key=self._file_order)) for d, files in by_dir.items()}
        root = _common_directory(self.by_dir)
        self.roots: tuple[str, ...] = (root,)
        """The Go root: when it changes, every import may name another directory (the pipeline
        then resolves everything again)."""
        self.under_root: dict[str, str] = {
            d[len(root) + 1:]: d for d in self.by_dir if root and d.startswith(root + "/")}
        """Directories below the Go root by their path from it (``cart`` → ``backend/cart``)."""
        self.root_names = frozenset(
            name for p in self.by_dir.get(root, ()) if (name := self.packages.get(p))
            and name != "main" and not name.endswith("_test"))
        """The package names the Go root declares: an import path ending in one of them may name
        the root (``github.com/spf13/cobra`` → the files of ``package cobra``)."""

    def _file_order(self, path: str) -> tuple[int, str]:
        """A package's own files first, then its in-package tests, then the files of its
        external test package (``package cart_test``), which the package does not see."""
        external_test = (self.packages.get(path) or "").endswith("_test")
        return (2 if external_test else 1 if path.endswith("_test.go") else 0, path)

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None:
        """The package (a directory) the import path ``specifier`` names, or None (external)."""
        if is_standard(specifier):
            return None
        own = posixpath.dirname(importer)
        probe(PACKAGE_PROBE + own)
        segments = [s for s in specifier.split("/") if s]
        for k in range(len(segments), 0, -1):
            tail = "/".join(segments[-k:])
            for candidate in (tail, self.under_root.get(tail)):
                if candidate is None:
                    continue
                probe(PACKAGE_PROBE + candidate)
                if candidate in self.by_dir:
                    return ModuleRef(candidate, package=True) if self._importable(candidate, own) else None
        root = self.roots[0]
        probe(PACKAGE_PROBE + root)
        if segments and segments[-1] in self.root_names and self._importable(root, own):
            return ModuleRef(root, package=True)
        return None

    def _importable(self, package: str, importer_dir: str) -> bool:
        """Whether files of ``importer_dir`` may import ``package``: a package never imports
        itself, except from its external tests (``package cart_test`` beside ``cart``). Decided
        per directory, as the resolver remembers imports per importing directory."""
        if package != importer_dir:
            return True
        return any((self.packages.get(p) or "").endswith("_test") for p in self.by_dir.get(package, ()))

    def package_of(self, path: str) -> str | None:
        return posixpath.dirname(path)

    def package_files(self, package: str, probe: Probe) -> tuple[str, ...]:
        return self.by_dir.get(package, ())


def _common_directory(directories: Collection[str]) -> str:
    """The deepest directory holding all of ``directories`` (``""`` for the repository root)."""
    parts: list[str] | None = None
    for d in directories:
        segments = d.split("/") if d else []
        if parts is None:
            parts = segments
        else:
            n = 0
            while n < min(len(parts), len(segments)) and parts[n] == segments[n]:
                n += 1
            parts = parts[:n]
        if not parts:
            return ""
    return "/".join(parts or ())


_MAJOR_VERSION = re.compile(r"v\d+")


def import_name(specifier: str) -> str:
    """The package name an import path binds when the path does not spell it: the last
    segment without a major version (``example.com/x/v2`` → ``x``, ``gopkg.in/yaml.v3`` →
    ``yaml``) or a ``go-`` prefix (``github.com/mattn/go-sqlite3`` → ``sqlite3``)."""
    segments = [s for s in specifier.split("/") if s]
    if len(segments) > 1 and _MAJOR_VERSION.fullmatch(segments[-1]):
        segments.pop()
    last = segments[-1] if segments else specifier
    last = re.sub(r"\.v\d+$", "", last)
    return last.removeprefix("go-") or last


GO = LanguageSpec(
    name="go",
    extensions=(".go",),
    grammar="tree_sitter_go:language",
    import_local=import_name,
    module_system="go",
    identifier_types=frozenset({"identifier", "type_identifier", "field_identifier", "package_identifier"}),
    member_types={"selector_expression": ("operand", "field"), "qualified_type": ("package", "name")},
    call_types={"call_expression": "function"},
    builtins=BUILTINS,
    package_scope=True,
)

SPECS = (GO,)
MODULE_SYSTEMS = {"go": GoModules}
