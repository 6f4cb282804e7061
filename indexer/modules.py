"""Module systems: which repository file an import specifier names.

Python resolves ``a.b.c`` against *source roots* (the repository root, the parent of every
top-level package, ``src/``-style layouts included) and relative imports against the
importer's directory, so namespace packages and scripts work without ``__init__.py``. A
script's own directory is searched too, unless it is a package (Python 3 has no implicit
relative imports), and a missing ``pkg.x`` under one of the repository's packages is
unresolved rather than external.
ECMAScript resolves ``./x`` against the importer's directory with the usual extensions
and ``index`` files; bare specifiers (``react``) are outside the repository.

Every existence check is reported to ``probe`` so incremental re-indexing knows which
files would resolve differently when a file appears or disappears.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

Probe = Callable[[str], None]
Manifests = Mapping[str, object]
"""Path → what a module system's manifest file says (``go.mod``, ``Cargo.toml``), as the
language's reader gives it (``LanguageSpec.manifests``)."""
LINKAGE_PROBE = "linkage:"
"""Prefix of a function name among the paths a file's resolution looked at when it looked for
that name across the repository (C linkage: its one definition; a method added to a library
type): a file that comes, goes or changes what it defines at module level (or in a module-level
extension) re-resolves it."""
PACKAGE_PROBE = "package:"
"""Prefix of a package's key among the paths a file's resolution looked at (``probe``): a file
coming to or leaving that package re-resolves it (``indexer.pipeline``)."""


def _dirname(path: str) -> str:
    return posixpath.dirname(path)


def join_path(base: str, *parts: str) -> str:
    """``base`` and ``parts`` joined and normalised, ``""`` for the repository root (module
    systems work with paths relative to it)."""
    joined = posixpath.normpath(posixpath.join(base, *parts)) if base else posixpath.normpath(
        posixpath.join(*parts))
    return "" if joined == "." else joined


@dataclass(frozen=True, slots=True)
class ModuleRef:
    """A module found in the repository: a file, a namespace directory (``is_dir``), or a
    package whose files share one scope (``package``: ``path`` is then the package's key,
    as ``ModuleSystem.package_of`` gives it: a Java package name, a Go directory)."""

    path: str
    is_dir: bool = False
    package: bool = False


class BaseModules:
    """What a module system answers when it has nothing to say: the defaults of every method
    the resolver calls (``ModuleSystem``). A language's module system derives from it."""

    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        self.files = frozenset(paths)
        self.packages: Mapping[str, str] = packages or {}
        """Path → the package or namespace the file declares (from its facts), when any."""
        self.manifests: Manifests = manifests or {}
        """Path → what each of the module system's manifests in the repository says (a change
        to one resolves every file again)."""
        self.roots: tuple[str, ...] = ("",)

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None:
        return None

    def submodule(self, module: ModuleRef, name: str, probe: Probe) -> ModuleRef | None:
        return None

    def split_member(self, importer: str, specifier: str, probe: Probe) -> tuple[ModuleRef, tuple[str, ...]] | None:
        """For a specifier ``resolve`` does not find, a module it starts with and the names of
        the members it goes on to (Java ``a.b.Util.max``: the package ``a.b``, then ``Util``,
        ``max``); None when there is none."""
        return None

    def import_context(self, importer: str) -> str:
        """What ``resolve(importer, ...)`` depends on besides the specifier (the key its answers
        are memoised by): the importer's directory; the importer itself where a specifier means
        different modules for two files of one directory (Rust's ``super``)."""
        return _dirname(importer)

    def qualified_root(self, importer: str, name: str, probe: Probe) -> ModuleRef | None:
        """The package or namespace a name no scope of ``importer`` binds begins, when code
        spells a qualified name out (C# ``Garage.Core.Engine``: ``Garage``); None otherwise."""
        return None

    def is_internal(self, specifier: str, probe: Probe) -> bool:
        return False

    def external_name(self, specifier: str) -> str:
        return specifier

    def package_of(self, path: str) -> str | None:
        """The key of the package ``path`` belongs to (its files see each other's names), or None."""
        return None

    def package_files(self, package: str, probe: Probe) -> tuple[str, ...]:
        """The files of ``package``, in a stable order."""
        return ()

    def companions(self, path: str, probe: Probe) -> tuple[str, ...]:
        """Files where what ``path`` declares may be defined (a header's sources: ``engine.h`` →
        ``engine.cpp``): a declaration without a body is followed there to its definition, and
        a type's methods defined outside it (``void Engine::run()``) are looked for there."""
        return ()


class PythonModules(BaseModules):
    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        super().__init__(paths, packages, manifests)
        self.dirs = frozenset(d for p in self.files for d in ancestors(p))
        roots = {""}
        for p in self.files:
            if posixpath.basename(p) == "__init__.py":
                package = _dirname(p)
                parent = _dirname(package)
                if join_path(parent, "__init__.py") not in self.files:
                    roots.add(parent)
        self.roots: tuple[str, ...] = tuple(sorted(roots, key=lambda r: (r.count("/"), r)))

    def _lookup(self, base: str, parts: Iterable[str], probe: Probe) -> ModuleRef | None:
        rel = "/".join(parts)
        stem = join_path(base, rel) if rel else base
        for candidate in (f"{stem}.py", f"{stem}/__init__.py", f"{stem}.pyi", f"{stem}/__init__.pyi"):
            probe(candidate)
            if candidate in self.files:
                return ModuleRef(candidate)
        if stem in self.dirs:
            return ModuleRef(stem, is_dir=True)
        return None

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None:
        """The module ``specifier`` names when imported from ``importer``, or None when it is
        not in the repository (then ``is_internal`` tells unresolved from external)."""
        level = len(specifier) - len(specifier.lstrip("."))
        parts = [p for p in specifier[level:].split(".") if p]
        if level:
            base = _dirname(importer)
            for _ in range(level - 1):
                base = _dirname(base)
            if not parts:
                return self._lookup(base, (), probe) if base else ModuleRef("", is_dir=True)
            return self._lookup(base, parts, probe)
        for root in self.roots:
            found = self._lookup(root, parts, probe)
            if found is not None:
                return found
        # A script's own directory is on sys.path (``python tools/run.py``), but a package's
        # directory is not: inside a package, ``import queue`` is the stdlib's, never a sibling.
        here = _dirname(importer)
        if here not in self.roots and not self._is_package(here, probe):
            return self._lookup(here, parts, probe)
        return None

    def _is_package(self, directory: str, probe: Probe) -> bool:
        for init in ("__init__.py", "__init__.pyi"):
            candidate = join_path(directory, init)
            probe(candidate)
            if candidate in self.files:
                return True
        return False

    def submodule(self, module: ModuleRef, name: str, probe: Probe) -> ModuleRef | None:
        """``pkg.name`` when ``module`` is a package (``__init__.py`` or namespace dir)."""
        if module.is_dir:
            return self._lookup(module.path, (name,), probe)
        if posixpath.basename(module.path).startswith("__init__."):
            return self._lookup(_dirname(module.path), (name,), probe)
        return None

    @staticmethod
    def is_relative(specifier: str) -> bool:
        return specifier.startswith(".")

    def is_internal(self, specifier: str, probe: Probe) -> bool:
        """Whether ``specifier``, which ``resolve`` did not find, can still only mean a module of
        this repository (so it is unresolved, not external): it is relative, or it is dotted
        and its top-level package is one of the repository's (``pkg.missing``)."""
        if self.is_relative(specifier):
            return True
        head, dot, _ = specifier.partition(".")
        if not dot:
            return False
        for root in self.roots:
            for init in ("__init__.py", "__init__.pyi"):
                candidate = join_path(root, head, init)
                probe(candidate)
                if candidate in self.files:
                    return True
        return False

    @staticmethod
    def external_name(specifier: str) -> str:
        return specifier


JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
TS_SOURCES = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
"""TypeScript imports the compiled name of a source: ``./util.js`` means ``./util.ts``."""


class EcmaModules(BaseModules):
    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        super().__init__(paths, packages, manifests)
        self.dirs = frozenset(d for p in self.files for d in ancestors(p))
        self.roots: tuple[str, ...] = ("",)

    def _lookup(self, stem: str, probe: Probe) -> ModuleRef | None:
        candidates = [stem, *(stem + e for e in JS_EXTENSIONS),
                      *(f"{stem}/index{e}" for e in JS_EXTENSIONS)]
        base, dot, ext = stem.rpartition(".")
        if dot and f".{ext}" in TS_SOURCES:
            candidates[1:1] = [base + source for source in TS_SOURCES[f".{ext}"]]
        for candidate in candidates:
            probe(candidate)
            if candidate in self.files:
                return ModuleRef(candidate)
        return None

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None:
        if not self.is_relative(specifier):
            return None
        base = "" if specifier.startswith("/") else _dirname(importer)
        return self._lookup(join_path(base, specifier.lstrip("/")), probe)

    def submodule(self, module: ModuleRef, name: str, probe: Probe) -> ModuleRef | None:
        return None

    @staticmethod
    def is_relative(specifier: str) -> bool:
        return specifier.startswith((".", "/"))

    def is_internal(self, specifier: str, probe: Probe) -> bool:
        return self.is_relative(specifier)

    @staticmethod
    def external_name(specifier: str) -> str:
        return specifier


def join_inside(base: str, *parts: str) -> str | None:
    """``join_path(base, *parts)``, or None when that leaves the repository (``../x``)."""
    joined = join_path(base, *parts)
    return None if joined == ".." or joined.startswith("../") else joined


def depth(directory: str) -> int:
    """How many directories deep ``directory`` is (``""``, the repository root: 0)."""
    return directory.count("/") + 1 if directory else 0


def ancestors(path: str) -> Iterable[str]:
    """The directories above ``path``, innermost first (not the root ``""``)."""
    d = _dirname(path)
    while d:
        yield d
        d = _dirname(d)


class ModuleSystem(Protocol):
    """What the resolver asks of a language's module system (``BaseModules`` has defaults)."""

    roots: tuple[str, ...]

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None: ...

    def submodule(self, module: ModuleRef, name: str, probe: Probe) -> ModuleRef | None: ...

    def is_internal(self, specifier: str, probe: Probe) -> bool: ...

    def external_name(self, specifier: str) -> str: ...

    def split_member(self, importer: str, specifier: str, probe: Probe) -> tuple[ModuleRef, tuple[str, ...]] | None: ...

    def import_context(self, importer: str) -> str: ...

    def qualified_root(self, importer: str, name: str, probe: Probe) -> ModuleRef | None: ...

    def package_of(self, path: str) -> str | None: ...

    def package_files(self, package: str, probe: Probe) -> tuple[str, ...]: ...

    def companions(self, path: str, probe: Probe) -> tuple[str, ...]: ...


ModuleSystemFactory = Callable[[Collection[str], Mapping[str, str], Manifests], ModuleSystem]
"""Builds a module system from the repository's source files of its languages, the packages they
declare (path → package name, for the files that declare one) and its manifests."""
MODULE_SYSTEMS: dict[str, ModuleSystemFactory] = {"python": PythonModules, "ecmascript": EcmaModules}
"""Module systems by name; language modules add theirs (``indexer.languages``)."""
