"""Rust: the language spec, what ``Cargo.toml`` says (``read_cargo_toml``) and the module tree
of crates (``RustModules``).

A crate is a tree of modules whose root is a file: ``src/lib.rs`` or ``src/main.rs`` of a
package (any ``lib.rs``/``main.rs``: ripgrep's binary is ``crates/core/main.rs``), every
``src/bin/*.rs``, ``examples/*.rs``, ``tests/*.rs`` and ``benches/*.rs``, ``build.rs``, and
every path a ``Cargo.toml`` declares (``[lib] path``, ``[[bin]] path``, ...). ``mod foo;`` in a
module declares its child ``foo``, the file ``foo.rs`` or ``foo/mod.rs`` in the module's
directory: the directory of a crate root or a ``mod.rs``, else (Rust 2018) the directory named
after the file (``src/a.rs`` → ``src/a/``). A file belongs to the crate whose root its chain of
parent modules reaches. The extractor records ``mod foo;`` as an import of ``foo``; ``use``
paths are imports of their module and name (``use crate::a::b::C;`` imports ``C`` from
``crate::a::b``).

A path's first name is ``crate``, ``self``, ``super``, a child module of the importer, or
another crate of the repository. Which crates a crate names, and by what name, comes from the
``Cargo.toml`` files: a package is the directory of one with ``[package]``; its library is
``[lib] path`` (default ``src/lib.rs``), named ``[lib] name`` or the package's name with ``-``
as ``_``; its other crate roots are its binaries, examples, tests and benches; a crate root
belongs to the package that declares it, else to the nearest package above it. A crate of a
package names the library of a package it depends on by path (by the dependency's key when
``package =`` renames it, else by the library's name; ``workspace = true`` takes the path from
``[workspace.dependencies]``), its own package's library (a binary or a test does), and the
library of every package of its workspace (``[workspace] members``, globs, less ``exclude``, and
the path dependencies of members below the workspace). A path spelled out without a ``use``
(``grep::cli::resolve_binary(p)``: Rust 2018 puts every dependency in scope) starts with a crate
the importer's package names so. A crate in no package (every crate, without a ``Cargo.toml``) names a package's
library by its crate name and a ``lib.rs`` no package holds by the name of its package directory
(``crates/ignore/src/lib.rs`` is ``ignore``; a name ending in ``_<directory>`` whose head is
another crate's name, ``grep_searcher`` beside ``crates/grep``, is ``crates/searcher``). Any
other crate (``std``, ``serde``) is external.

Items of a crate's modules see a type's ``impl`` blocks wherever in the crate they are: a
crate is a package (``package_of``) in which the resolver looks for extensions.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping

from indexer.languages import LanguageSpec
from indexer.languages.cargo import Package, Workspace, dependency_target, read_cargo_toml, read_manifest
from indexer.modules import BaseModules, Manifests, ModuleRef, Probe, depth, join_path

_PRELUDE = frozenset({
    # std::prelude::rust_2021 and the primitive types: names every module sees unimported
    "Copy", "Send", "Sized", "Sync", "Unpin", "Drop", "Fn", "FnMut", "FnOnce", "drop", "Box",
    "ToOwned", "Clone", "PartialEq", "PartialOrd", "Eq", "Ord", "AsRef", "AsMut", "Into", "From",
    "Default", "Iterator", "Extend", "IntoIterator", "DoubleEndedIterator", "ExactSizeIterator",
    "Option", "Some", "None", "Result", "Ok", "Err", "String", "ToString", "Vec", "TryFrom",
    "TryInto", "FromIterator", "std", "core", "alloc",
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
    "i128", "isize", "f32", "f64",
})

_ROOT_DIRS = frozenset({"examples", "tests", "benches"})
"""Directories of a package whose every file is a crate root (as is every ``src/bin/*.rs``)."""


def _is_crate_root(path: str) -> bool:
    """Whether ``path`` is a crate root by where it is (``Cargo.toml`` may declare others)."""
    parts = path.split("/")
    name = parts[-1]
    if name in ("lib.rs", "main.rs", "build.rs"):
        return True
    if len(parts) >= 3 and parts[-3:-1] == ["src", "bin"]:
        return True
    return len(parts) >= 2 and parts[-2] in _ROOT_DIRS and "src" not in parts[:-2]


def _ignore(_path: str) -> None:
    """A probe that records nothing: which crate each file is in is worked out once, from all
    paths (the crate roots are ``roots``: when they change, everything resolves again)."""


class RustModules(BaseModules):
    """Crates and their module trees, from the paths of the repository's ``.rs`` files and what
    its ``Cargo.toml`` files say."""

    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        super().__init__(paths, packages, manifests)
        self.cargo: dict[str, Package] = {}
        """Package directory → the package its ``Cargo.toml`` declares."""
        workspaces: list[Workspace] = []
        for path, data in sorted(self.manifests.items()):
            package, workspace = read_manifest(path, data)
            if package is not None:
                self.cargo[package.directory] = package
            if workspace is not None:
                workspaces.append(workspace)
        self.declared: dict[str, str] = {}
        """Crate root a ``Cargo.toml`` declares → the directory of its package."""
        for package in self.cargo.values():
            for declared in (package.library, *package.targets):
                self.declared.setdefault(declared, package.directory)
        self.dir_libraries: dict[str, str] = {
            posixpath.dirname(p.library): p.library for p in self.cargo.values() if p.library in self.files}
        """Directory → the library root a package declares in it: the module whose children its
        files are, before a ``main.rs`` beside it (``[lib] path = "src/shapes.rs"``)."""
        self.dir_roots: dict[str, str] = {}
        """Directory of several crate roots (``tests/``, ``src/bin/``) → the one its modules
        (``tests/common/mod.rs``) are taken to belong to: ``tests/tests.rs`` (named after the
        directory, as a single test crate declaring the others as modules is), else the first."""
        for path in sorted(p for p in self.files if self._is_root(p)):
            directory = posixpath.dirname(path)
            if directory not in self.dir_roots or path == f"{directory}/{posixpath.basename(directory)}.rs":
                self.dir_roots[directory] = path
        self.crate_of: dict[str, str] = {}
        """Path → the root of the crate it belongs to: the root its chain of parent modules
        ends at (``tests/index/basic.rs`` → ``tests/index.rs``), else the library (or ``lib.rs``,
        or ``main.rs``) of the nearest directory above that has one."""
        for path in sorted(self.files):
            root = self._root_above(path) or self._nearest_root(path)
            if root is not None:
                self.crate_of[path] = root
        by_crate: dict[str, list[str]] = {}
        for path, root in sorted(self.crate_of.items()):
            by_crate.setdefault(root, []).append(path)
        self.crate_files: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in by_crate.items()}
        self.root_package: dict[str, str] = {
            root: above for root in self.crate_files if (above := self._package_above(root)) is not None}
        """Crate root → the directory of its package: the package declaring it, else the
        nearest package above it."""
        self.names: dict[str, dict[str, str]] = self._crate_names(workspaces)
        """Package directory → crate name → library root: the libraries its crates name."""
        self.libraries: dict[str, str] = {
            p.crate: p.library for _, p in sorted(self.cargo.items()) if p.library in self.files}
        """What a crate in no package names: crate name → library root; a package's library by
        its crate name, a ``lib.rs`` of no package by its package directory's name (``-`` as
        ``_``)."""
        for root in sorted(self.crate_files):
            if posixpath.basename(root) != "lib.rs" or root in self.root_package:
                continue
            directory = posixpath.dirname(root)
            if posixpath.basename(directory) == "src":
                directory = posixpath.dirname(directory)
            if directory:
                self.libraries.setdefault(posixpath.basename(directory).replace("-", "_"), root)
        self.roots: tuple[str, ...] = tuple(sorted(self.crate_files)) or ("",)
        """The crate roots: when they change, every file resolves again (as it does when a
        ``Cargo.toml`` changes)."""

    # -- packages ------------------------------------------------------------------------
    def _is_root(self, path: str) -> bool:
        return path in self.declared or _is_crate_root(path)

    def _package_above(self, root: str) -> str | None:
        """The directory of the package of crate root ``root``, or None."""
        if root in self.declared:
            return self.declared[root]
        directory = posixpath.dirname(root)
        while directory not in self.cargo:
            if not directory:
                return None
            directory = posixpath.dirname(directory)
        return directory

    def _crate_names(self, workspaces: list[Workspace]) -> dict[str, dict[str, str]]:
        """Package directory → the crates its crates name, by name: its path dependencies',
        its own library and those of its workspace's members, each library root existing."""
        member_of: dict[str, Workspace] = {}
        for workspace in sorted(workspaces, key=lambda w: -depth(w.directory)):  # the nearest first
            pending = [d for d in sorted(self.cargo)
                       if d not in member_of and workspace.lists(d) and workspace.below(d)]
            while pending:  # and (as Cargo has it) the path dependencies below the workspace
                directory = pending.pop()
                member_of[directory] = workspace
                for dependency in self.cargo[directory].dependencies:
                    target = dependency_target(dependency, workspace)[0]
                    if (target in self.cargo and target not in member_of and target not in pending
                            and workspace.below(target)):
                        pending.append(target)
        names: dict[str, dict[str, str]] = {}
        for directory, package in sorted(self.cargo.items()):
            own = member_of.get(directory)
            seen: dict[str, str] = {}
            for dependency in package.dependencies:
                target, renamed = dependency_target(dependency, own)
                found = self.cargo.get(target) if target is not None else None
                if found is not None and found.library in self.files:
                    seen.setdefault(dependency.key.replace("-", "_") if renamed else found.crate, found.library)
            members = [package, *(p for d, p in sorted(self.cargo.items())
                                  if own is not None and member_of.get(d) is own)]
            for member in members:
                if member.library in self.files:
                    seen.setdefault(member.crate, member.library)
            names[directory] = seen
        return names

    # -- crates --------------------------------------------------------------------------
    def _module_dir(self, path: str) -> str:
        """The directory of the files of a module's children: the file's own for a crate root
        or a ``mod.rs``, else the directory named after the file (``src/a.rs`` → ``src/a``)."""
        if self._is_root(path) or posixpath.basename(path) == "mod.rs":
            return posixpath.dirname(path)
        return path[: -len(".rs")]

    def _root_above(self, path: str, probe: Probe = _ignore) -> str | None:
        """The crate root the chain of parent modules of ``path`` ends at, or None."""
        seen = {path}
        module = path
        while not self._is_root(module):
            parent = self._parent(module, probe)
            if parent is None or parent in seen:
                return None
            seen.add(parent)
            module = parent
        return module

    def _nearest_root(self, path: str, probe: Probe = _ignore) -> str | None:
        directory = posixpath.dirname(path)
        while True:
            library = self.dir_libraries.get(directory)
            candidates = (library,) if library else ()
            for candidate in (*candidates, join_path(directory, "lib.rs"), join_path(directory, "main.rs")):
                probe(candidate)
                if candidate in self.files:
                    return candidate
            if not directory:
                return None
            directory = posixpath.dirname(directory)

    # -- the module tree -----------------------------------------------------------------
    def _child(self, module: str, name: str, probe: Probe) -> str | None:
        """The file of the child module ``name`` of the module in file ``module``."""
        directory = self._module_dir(module)
        for candidate in (join_path(directory, f"{name}.rs"), join_path(directory, f"{name}/mod.rs")):
            probe(candidate)
            if candidate in self.files:
                return candidate
        return None

    def _owner(self, directory: str, probe: Probe) -> str | None:
        """The module whose children are the files of ``directory``."""
        candidates = [join_path(directory, "mod.rs")]
        if directory:
            candidates.append(f"{directory}.rs")
        if directory in self.dir_libraries:
            candidates.append(self.dir_libraries[directory])
        candidates += [join_path(directory, "lib.rs"), join_path(directory, "main.rs")]
        for candidate in candidates:
            probe(candidate)
            if candidate in self.files and self._module_dir(candidate) == directory:
                return candidate
        return self.dir_roots.get(directory)

    def _parent(self, module: str, probe: Probe) -> str | None:
        """The file of the module's parent (``super``); None for a crate root."""
        if self._is_root(module):
            return None
        directory = posixpath.dirname(module)
        if posixpath.basename(module) == "mod.rs":
            if not directory:
                return None
            directory = posixpath.dirname(directory)
        return self._owner(directory, probe)

    def _crate_root(self, path: str, probe: Probe) -> str | None:
        return self._root_above(path, probe) or self._nearest_root(path, probe)

    def _library(self, importer: str, name: str, probe: Probe) -> str | None:
        """The root of the library the importer's crate names ``name`` (never its own root)."""
        own = self.crate_of.get(importer)
        package = self.root_package.get(own) if own is not None else None
        if package is not None:
            found = self.names[package].get(name)
        else:
            found = self.libraries.get(name)
            if found is None:  # ``grep_searcher``: ``searcher`` beside ``grep``
                pieces = name.split("_")
                for i in range(1, len(pieces)):
                    head, tail = "_".join(pieces[:i]), "_".join(pieces[i:])
                    if head in self.libraries and tail in self.libraries:
                        found = self.libraries[tail]
                        break
        if found is None or found == own:
            return None
        probe(found)
        return found

    def _step(self, module: str, name: str, probe: Probe) -> str | None:
        if name == "self":
            return module
        if name == "super":
            return self._parent(module, probe)
        if name == "crate":
            return self._crate_root(module, probe)
        return self._child(module, name, probe)

    def _walk(self, importer: str, specifier: str, probe: Probe) -> tuple[str | None, tuple[str, ...]]:
        """The deepest module file a path reaches from ``importer`` and the names after it."""
        parts = [p.removeprefix("r#") for p in specifier.removeprefix("::").split("::")]
        head = parts[0]
        if head in ("crate", "self", "super"):
            module = self._step(importer, head, probe)
        else:
            module = self._child(importer, head, probe) or self._library(importer, head, probe)
        if module is None:
            return None, tuple(parts)
        for i, part in enumerate(parts[1:], 1):
            found = self._step(module, part, probe)
            if found is None:
                return module, tuple(parts[i:])
            module = found
        return module, ()

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None:
        """The module file a path names from ``importer``: ``crate::a::b``, ``super::x``,
        ``self::x``, ``foo`` (a child module: ``mod foo;``, ``use foo::Bar``) or a workspace
        crate's path (``ignore::walk``); None for what is not a module file of the repository
        (an external crate, an inline module, an item)."""
        module, rest = self._walk(importer, specifier, probe)
        return ModuleRef(module) if module is not None and not rest else None

    def split_member(self, importer: str, specifier: str, probe: Probe) -> tuple[ModuleRef, tuple[str, ...]] | None:
        """A path that goes on past its last module file into items: ``crate::tests`` (an
        inline module of the crate root), ``self::Kind`` (an enum of the importer)."""
        module, rest = self._walk(importer, specifier, probe)
        return (ModuleRef(module), rest) if module is not None and rest else None

    def import_context(self, importer: str) -> str:
        """The importer itself: ``super`` and ``self`` differ for two files of one directory."""
        return importer

    def submodule(self, module: ModuleRef, name: str, probe: Probe) -> ModuleRef | None:
        """``a::b`` where ``b`` is not an item of the module ``a``: its child module file."""
        if module.is_dir or module.package or not module.path.endswith(".rs"):
            return None
        found = self._step(module.path, name.removeprefix("r#"), probe)
        return ModuleRef(found) if found is not None else None

    def qualified_root(self, importer: str, name: str, probe: Probe) -> ModuleRef | None:
        """A crate of the repository a path spells out without a ``use`` (``grep::cli::x()``:
        Rust 2018 puts every dependency in scope): a library the importer's package names so
        (its ``Cargo.toml``); nothing for a crate in no package, whose names are guessed and
        asked only for what a path imports."""
        own = self.crate_of.get(importer)
        package = self.root_package.get(own) if own is not None else None
        found = self.names[package].get(name) if package is not None else None
        if found is None or found == own:
            return None
        probe(found)
        return ModuleRef(found)

    def is_internal(self, specifier: str, probe: Probe) -> bool:
        return specifier.removeprefix("::").split("::")[0] in ("crate", "self", "super")

    def external_name(self, specifier: str) -> str:
        return specifier.removeprefix("::").replace("::", ".")

    def package_of(self, path: str) -> str | None:
        """The root of the crate ``path`` belongs to: the resolver looks for a type's ``impl``
        blocks in all the crate's files."""
        return self.crate_of.get(path)

    def package_files(self, package: str, probe: Probe) -> tuple[str, ...]:
        return self.crate_files.get(package, ())


RUST = LanguageSpec(
    name="rust",
    extensions=(".rs",),
    grammar="tree_sitter_rust:language",
    module_system="rust",
    identifier_types=frozenset({
        "identifier", "type_identifier", "field_identifier", "shorthand_field_identifier",
        "primitive_type", "crate", "super",
    }),
    member_types={
        "scoped_identifier": ("path", "name"),
        "scoped_type_identifier": ("path", "name"),
        "field_expression": ("value", "field"),
    },
    call_types={"call_expression": "function"},
    self_names=frozenset({"self"}),
    type_self_names=frozenset({"Self"}),
    class_scopes_visible=True,
    fields_apart=True,
    external_extensions=True,
    transparent_types={"try_expression": "", "reference_expression": "value", "parenthesized_expression": "",
                       "await_expression": ""},
    generic_types=frozenset({"generic_type", "generic_function"}),
    optional_types=frozenset({"Option", "Result", "Box", "Rc", "Arc"}),
    sequence_types=frozenset({"Vec", "VecDeque", "HashSet", "BTreeSet", "BinaryHeap", "LinkedList"}),
    mapping_types=frozenset({"HashMap", "BTreeMap"}),
    builtins=_PRELUDE,
    literal_types={
        "string_literal": "str", "raw_string_literal": "str", "char_literal": "char",
        "boolean_literal": "bool", "integer_literal": "i32", "float_literal": "f64",
    },
    manifests={"Cargo.toml": read_cargo_toml},
)

SPECS = (RUST,)
MODULE_SYSTEMS = {"rust": RustModules}
