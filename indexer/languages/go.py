"""Go: the language spec, the ``go.mod`` reader and the module system.

A Go package is a directory: its files see each other's package-level names without imports
(``package_scope``), methods are declared outside their type (``func (c *Cart) Total()`` is the
method ``Cart.Total``, found through the package's files), and an import path names a directory.

``go.mod`` is a manifest of the language (``read_go_mod``): its module path, Go version and local
``replace`` directives reach the module system, which maps import paths exactly when the
repository has at least one ``go.mod``. A ``go.mod`` at directory D declaring module M makes
``M`` and ``M/rest`` the directories ``D`` and ``D/rest``: the longest module path wins, and a
directory belongs to the innermost ``go.mod`` above it (``D/rest`` inside a nested module is not
part of M). A path under a module whose directory holds no ``.go`` files is unresolved
(``is_internal``), not external. A local ``replace`` (``=> ../x``) whose target is inside the
repository maps that module path there for the importers of its module (and for the others when
nothing declares the path). A path under no module is looked for in the importer's module's
``vendor/`` directory, and is external otherwise. ``go.mod`` files under ``vendor/`` (copied by
Go before 1.17) are not modules. ``go.work`` is not read: every ``go.mod`` of the repository is
mapped already, which is what a workspace's ``use`` lines would add.

Without any ``go.mod`` the module path is unknown, and import paths are matched by their
trailing segments. The Go code's root is taken to be the deepest directory holding all of it
(the repository root, or ``backend/`` when all the Go code is there). An import path is inside
the repository when its trailing segments spell a directory holding ``.go`` files, from the
repository root or from the Go root (``example.com/shop/cart`` → ``cart`` or ``shop/cart``, or
``backend/cart``; the longest wins), or when its last segment is the package the Go root
declares (``github.com/spf13/cobra`` → the root, ``package cobra``).

Either way, standard library paths (``fmt``, ``net/http``) are always external, and a package
never imports itself, so an import naming the importer's own directory is not resolved
(``github.com/x/log`` from ``log/``) unless the importer is its external test.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

from indexer.languages import LanguageSpec
from indexer.modules import PACKAGE_PROBE, BaseModules, Manifests, ModuleRef, Probe, depth, join_inside, join_path

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


# -- go.mod ----------------------------------------------------------------------------------
# The syntax of https://go.dev/ref/mod#go-mod-file-lexical: ``//`` comments, identifiers that
# run to a space, a punctuation mark or ``//``, interpreted ("...") and raw (`...`) strings,
# and ``verb (`` ... ``)`` blocks of lines that each continue the verb.
_GO_MOD_TOKEN = re.compile(r"""
    (?P<comment>//.*)
  | (?P<string>"(?:[^"\\]|\\.)*"|`[^`]*`)
  | (?P<punct>[()\[\]{},])
  | (?P<ident>(?:[^\s()\[\]{},"`/]|/(?!/))+)
  | (?P<bad>\S)
""", re.VERBOSE)
_VERB = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _go_mod_tokens(line: str, number: int) -> list[str]:
    """The tokens of one line of a ``go.mod``, strings still quoted (so that ``"("`` is not
    the punctuation ``(``); ValueError for a character no token starts with."""
    tokens: list[str] = []
    for match in _GO_MOD_TOKEN.finditer(line):
        if match.lastgroup == "comment":
            break
        if match.lastgroup == "bad":
            raise ValueError(f"go.mod:{number}: unexpected {match.group()!r}")
        tokens.append(match.group())
    return tokens


def _go_mod_directives(text: str) -> Iterator[tuple[int, str, list[str]]]:
    """``(line number, verb, arguments)`` of every directive of a ``go.mod``, those of a block
    one per line; ValueError for a block left open or punctuation out of place."""
    block: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        tokens = _go_mod_tokens(line, number)
        if not tokens:
            continue
        if block is not None and tokens == [")"]:
            block = None
            continue
        if block is not None:
            verb, args = block[1], tokens
        else:
            verb, *args = tokens
            if not _VERB.fullmatch(verb):
                raise ValueError(f"go.mod:{number}: expected a directive, found {verb!r}")
            if args in (["("], ["(", ")"]):
                block = (number, verb) if args == ["("] else None
                continue
        misplaced = next((t for t in args if t in "()"), None)  # retract [v1, v2] has the others
        if misplaced is not None:
            raise ValueError(f"go.mod:{number}: unexpected {misplaced!r}")
        yield number, verb, args
    if block is not None:
        raise ValueError(f"go.mod:{block[0]}: the {block[1]} block is not closed")


def _unquote(token: str, number: int) -> str:
    if token.startswith("`"):
        return token[1:-1]
    if token.startswith('"'):
        try:
            value = json.loads(token)  # Go's escapes that a module path may hold are JSON's
        except json.JSONDecodeError:
            raise ValueError(f"go.mod:{number}: invalid quoted string {token}") from None
        if not isinstance(value, str):
            raise ValueError(f"go.mod:{number}: invalid quoted string {token}")
        return value
    return token


def _is_directory_path(target: str) -> bool:
    """Whether a replacement is a directory (``./x``, ``../x``, ``/abs``), not a module path."""
    return target in (".", "..") or target.startswith(("./", "../", "/", ".\\", "..\\")) or bool(
        re.match(r"[A-Za-z]:[\\/]", target))


def _valid_module_path(path: str) -> bool:
    segments = path.split("/")
    return all(s and s not in (".", "..") and not any(c.isspace() or c == "\\" for c in s) for s in segments)


def read_go_mod(data: bytes) -> dict[str, object]:
    """What a ``go.mod`` says that import paths depend on: ``{"module": "example.com/shop",
    "go": "1.22" or None, "replace": {module path: directory}}``; ``replace`` keeps only the
    replacements by a local directory (``=> ../x``, as written, relative to the ``go.mod``),
    an unversioned one over one of a single version. Other directives (``require``,
    ``exclude``, ``retract``, ``toolchain``, verbs of later Go versions) are checked for syntax
    only. ValueError, naming the line, for a file that is not UTF-8, has no or two module
    directives, an invalid module path, a malformed ``replace`` or broken syntax."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"go.mod: not UTF-8 (byte {exc.start})") from None
    module: str | None = None
    version: str | None = None
    replace: dict[str, str] = {}
    unversioned: set[str] = set()
    for number, verb, args in _go_mod_directives(text):
        if verb == "module":
            if module is not None:
                raise ValueError(f"go.mod:{number}: a second module directive")
            if len(args) != 1 or not _valid_module_path(path := _unquote(args[0], number)):
                raise ValueError(f"go.mod:{number}: invalid module path {' '.join(args)!r}")
            module = path
        elif verb == "go" and version is None:
            if len(args) != 1:
                raise ValueError(f"go.mod:{number}: the go directive takes one version")
            version = _unquote(args[0], number)
        elif verb == "replace":
            old, target, every_version = _replacement(args, number)
            # Go uses ``old => x`` for every version of ``old`` and ``old v1 => y`` for v1 alone;
            # which version the repository requires is not read, so the first of them stands
            if target is not None and old not in unversioned and (every_version or old not in replace):
                replace[old] = target
                if every_version:
                    unversioned.add(old)
    if module is None:
        raise ValueError("go.mod: no module directive")
    return {"module": module, "go": version, "replace": replace}


def _replacement(args: list[str], number: int) -> tuple[str, str | None, bool]:
    """What a ``replace`` line says: the module path it replaces, its local directory (None
    when the replacement is another module) and whether it replaces every version of it (no
    version on the left). ValueError for a line that is not ``path [version] => path
    [version]``, or whose replacement is a module path without a version."""
    arrow = args.index("=>") if "=>" in args else -1
    if arrow not in (1, 2) or len(args) - arrow - 1 not in (1, 2):
        raise ValueError(f"go.mod:{number}: expected 'replace path [version] => path [version]'")
    old, new = _unquote(args[0], number), [_unquote(a, number) for a in args[arrow + 1:]]
    if not _valid_module_path(old):
        raise ValueError(f"go.mod:{number}: invalid module path {old!r}")
    if not _is_directory_path(new[0]):
        if len(new) == 1:
            raise ValueError(f"go.mod:{number}: a replacement module without a version must be a "
                             f"directory (./ or ../), got {new[0]!r}")
        return old, None, arrow == 1
    if len(new) == 2:
        raise ValueError(f"go.mod:{number}: a replacement directory has no version")
    return old, new[0], arrow == 1


@dataclass(frozen=True, slots=True, eq=False)
class GoModule:
    """A ``go.mod`` of the repository: the module ``path`` it declares, its ``directory``
    (``""`` for the repository root) and its local replacements inside the repository (module
    path → directory)."""

    path: str
    directory: str
    replace: Mapping[str, str]


def go_modules(manifests: Manifests) -> tuple[GoModule, ...]:
    """The modules the ``go.mod`` manifests declare (what ``read_go_mod`` gave), shallowest
    first; ``go.mod`` files under a ``vendor/`` directory are copies, not modules, and a
    replacement by a directory outside the repository (or an absolute one) is left out."""
    found: list[GoModule] = []
    for manifest, data in manifests.items():
        directory = posixpath.dirname(manifest)
        if (posixpath.basename(manifest).lower() != "go.mod" or "vendor" in directory.split("/")
                or not isinstance(data, dict) or not isinstance(data.get("module"), str)):
            continue
        replace = data.get("replace")
        targets = {old: inside for old, target in (replace.items() if isinstance(replace, dict) else ())
                   if isinstance(target, str) and (inside := _inside_repository(directory, target)) is not None}
        found.append(GoModule(data["module"], directory, targets))
    return tuple(sorted(found, key=lambda m: (depth(m.directory), m.directory)))


def _inside_repository(directory: str, target: str) -> str | None:
    """The repository directory a replacement's ``target`` names, relative to the ``go.mod``
    in ``directory``; None when it is absolute or leaves the repository."""
    target = target.replace("\\", "/")
    if target.startswith("/") or re.match(r"[A-Za-z]:/", target):
        return None
    return join_inside(directory, target)


class GoModules(BaseModules):
    """Go packages: a package is the directory of its files (its key is the directory, ``""``
    for the repository root); an import path resolves to one through the ``go.mod`` files, or
    by its trailing segments when the repository has none (see the module docstring)."""

    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        super().__init__(paths, packages, manifests)
        by_dir: dict[str, list[str]] = {}
        for path in self.files:
            by_dir.setdefault(posixpath.dirname(path), []).append(path)
        self.by_dir: dict[str, tuple[str, ...]] = {
            d: tuple(sorted(files, key=self._file_order)) for d, files in by_dir.items()}
        self.go_mods = go_modules(self.manifests)
        """The repository's modules, shallowest first; none: import paths are matched by their
        trailing segments."""
        self._module_at_dir = {m.directory: m for m in self.go_mods}
        self._declared: dict[str, list[GoModule]] = {}
        self._replaced: dict[str, str] = {}
        for module in self.go_mods:
            self._declared.setdefault(module.path, []).append(module)
            for old, target in module.replace.items():
                self._replaced.setdefault(old, target)
        self._owners: dict[str, GoModule | None] = {}
        # the Go root: the deepest directory holding all the Go code (``""``: the repository's)
        root = posixpath.commonpath(list(self.by_dir)) if self.by_dir else ""
        self.roots: tuple[str, ...] = tuple(sorted(
            {m.directory for m in self.go_mods} | set(self._replaced.values()),
            key=lambda d: (depth(d), d))) if self.go_mods else (root,)
        """The directories import paths are read from: the modules' and their local
        replacements' (the module paths are in the manifests), or without ``go.mod`` the Go
        root. When they change, every import may name another directory (the pipeline then
        resolves everything again)."""
        self.under_root: dict[str, str] = {
            d[len(root) + 1:]: d for d in self.by_dir if root and d.startswith(root + "/")}
        """Directories below the Go root by their path from it (``cart`` → ``backend/cart``)."""
        self.go_root = root
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
        """The package (a directory) the import path ``specifier`` names, or None (external, or
        unresolved when ``is_internal`` says so)."""
        if is_standard(specifier):
            return None
        own = posixpath.dirname(importer)
        probe(PACKAGE_PROBE + own)
        if self.go_mods:
            return self._by_modules(own, specifier, probe)
        return self._by_trailing_segments(own, specifier, probe)

    def _by_modules(self, own: str, specifier: str, probe: Probe) -> ModuleRef | None:
        segments = specifier.split("/")
        if any(s in ("", ".", "..") for s in segments):
            return None
        importer_module = self.module_of(own)
        found = self._module_directory(segments, importer_module)
        if found is not None:
            base, rest = found
            candidate = join_path(base, rest) if rest else base
            if self.module_of(candidate) is not self.module_of(base):
                return None  # the directory is a nested module's, not this module's
        else:
            # a dependency copied into the module (``go mod vendor``)
            candidate = join_path(importer_module.directory if importer_module else "", "vendor", specifier)
        probe(PACKAGE_PROBE + candidate)
        if candidate in self.by_dir and self._importable(candidate, own):
            return ModuleRef(candidate, package=True)
        return None

    def _module_directory(self, segments: list[str], importer_module: GoModule | None) -> tuple[str, str] | None:
        """The directory of the longest module path an import path (``segments``) starts
        with, and the rest of the path; None when no module of the repository has it."""
        for k in range(len(segments), 0, -1):
            prefix = "/".join(segments[:k])
            base = self._module_directory_of(prefix, importer_module)
            if base is not None:
                return base, "/".join(segments[k:])
        return None

    def _module_directory_of(self, path: str, importer_module: GoModule | None) -> str | None:
        """Where the module ``path`` is, seen from ``importer_module``: its own replacement of
        it, itself, the shallowest ``go.mod`` declaring it, else another module's replacement."""
        if importer_module is not None and path in importer_module.replace:
            return importer_module.replace[path]
        if importer_module is not None and importer_module.path == path:
            return importer_module.directory
        declared = self._declared.get(path)
        return declared[0].directory if declared else self._replaced.get(path)

    def module_of(self, directory: str) -> GoModule | None:
        """The module ``directory`` belongs to: the innermost ``go.mod`` at or above it."""
        if directory not in self._owners:
            module = self._module_at_dir.get(directory)
            if module is None and directory:
                module = self.module_of(posixpath.dirname(directory))
            self._owners[directory] = module
        return self._owners[directory]

    def _by_trailing_segments(self, own: str, specifier: str, probe: Probe) -> ModuleRef | None:
        segments = [s for s in specifier.split("/") if s]
        for k in range(len(segments), 0, -1):
            tail = "/".join(segments[-k:])
            for candidate in (tail, self.under_root.get(tail)):
                if candidate is None:
                    continue
                probe(PACKAGE_PROBE + candidate)
                if candidate in self.by_dir:
                    return ModuleRef(candidate, package=True) if self._importable(candidate, own) else None
        probe(PACKAGE_PROBE + self.go_root)
        if segments and segments[-1] in self.root_names and self._importable(self.go_root, own):
            return ModuleRef(self.go_root, package=True)
        return None

    def is_internal(self, specifier: str, probe: Probe) -> bool:
        """Whether an import path ``resolve`` did not find still names a package of the
        repository (then it is unresolved, not external): it is under one of its modules'
        paths (or their local replacements). Never without ``go.mod``."""
        if not self.go_mods or is_standard(specifier):
            return False
        segments = specifier.split("/")
        return any("/".join(segments[:k]) in self._declared or "/".join(segments[:k]) in self._replaced
                   for k in range(len(segments), 0, -1))

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
    manifests={"go.mod": read_go_mod},
)

SPECS = (GO,)
MODULE_SYSTEMS = {"go": GoModules}
