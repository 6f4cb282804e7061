"""Cross-file resolution: facts of many files → the graph's nodes and edges, file by file.

Names are looked up the way the language does it, never by bare-name matching across the
repository: the enclosing function scopes (a class body is visible only to itself), then the
module (definitions, imports, assignments, wildcard imports), then builtins. Member access
follows modules, packages, classes (with their bases in order) and instances (``self``,
``this``, a variable bound to a constructor call, an annotated parameter). What leads
outside the repository becomes an ``extern::`` symbol; what leads nowhere an
``unresolved::`` symbol named by its last part.

``Resolver.resolve_file`` returns one file's share of the graph and the set of paths it
looked at (``touched``), which incremental indexing uses to find dependent files.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from indexer.facts import (
    CALL_PART,
    ITEM_PART,
    MAPPING_PART,
    MODULE_SCOPE,
    SEQUENCE_PART,
    TYPE_PART,
    BindFact,
    Chain,
    DefKind,
    FileFacts,
    ImportFact,
    ParamFact,
    UseKind,
    chain_name,
    chain_text,
)
from indexer.languages import LanguageSpec, get_language, manifest_reader
from indexer.model import (
    Edge,
    EdgeKind,
    FileStatus,
    Node,
    NodeKind,
    Resolution,
    code_id,
    external_id,
    unresolved_id,
)
from indexer.modules import LINKAGE_PROBE, MODULE_SYSTEMS, PACKAGE_PROBE, Manifests, ModuleRef, ModuleSystem

log = logging.getLogger(__name__)

MAX_DEPTH = 12


class Value(NamedTuple):
    """What an expression evaluates to. ``kind``: module | def | instance | super | extern |
    sequence (of instances of a class) | mapping (whose values are) | values (a mapping's
    ``values`` method) | unknown. ``path`` locates a module or definition; ``slot`` is the definition's index in its
    file's facts, or for a module 0 (a file) or 1 (a namespace directory); ``name`` is an
    external name."""

    kind: str
    path: str = ""
    slot: int = -1
    name: str = ""
    inferred: bool = False


UNKNOWN = Value("unknown")
K = TypeVar("K")


@dataclass(slots=True)
class _FileIndex:
    facts: FileFacts
    spec: LanguageSpec
    names: dict[int, dict[str, list[object]]] = field(default_factory=dict)
    """scope → name → bindings (DefFact index, ImportFact, BindFact, ParamFact), in source order."""
    children: dict[int, list[int]] = field(default_factory=dict)
    self_attrs: dict[int, dict[str, list[BindFact]]] = field(default_factory=dict)
    """class index → attribute assigned on the instance in one of its methods."""
    wildcards: list[ImportFact] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    outside: dict[str, list[int]] = field(default_factory=dict)
    """Type name → the methods defined outside that type (``@owner``) and the extensions of it
    in this file (by the last part of the type as written)."""
    classes: dict[str, list[int]] = field(default_factory=dict)
    """Qualified name → the classes of that name in this file (parts of a C# partial class)."""
    qualnames: dict[str, list[int]] = field(default_factory=dict)
    """Qualified name → its definitions in this file (a declaration and its definition, overloads)."""
    arities: dict[int, int] = field(default_factory=dict)
    """Definition index → how many parameters it declares (overloads are told apart by it)."""

    @classmethod
    def build(cls, facts: FileFacts) -> _FileIndex:
        spec = get_language(facts.language)
        index = cls(facts, spec)
        names = index.names
        counts: dict[str, int] = {}
        for i, d in enumerate(facts.defs):
            index.children.setdefault(d.parent, []).append(i)
            if d.owner:
                index.outside.setdefault(d.owner[-1], []).append(i)
            if d.kind == DefKind.CLASS:
                index.classes.setdefault(d.qualname, []).append(i)
            index.qualnames.setdefault(d.qualname, []).append(i)
            if d.kind == DefKind.EXTENSION:
                index.ids.append("")  # no node: its members are the type's
                continue
            # a constructor named like its class (Java, C#, C++) is no member name: inside the
            # class, ``new Engine()`` and the type ``Engine`` still mean the class
            constructor = (spec.members_in_scope and d.kind == DefKind.METHOD and d.parent >= 0
                           and d.name == facts.defs[d.parent].name)
            if not d.owner and not constructor:
                names.setdefault(d.parent, {}).setdefault(d.name, []).append(i)
            n = counts[d.qualname] = counts.get(d.qualname, 0) + 1
            index.ids.append(code_id(facts.path, d.qualname if n == 1 else f"{d.qualname}#{n}"))
        if spec.overloads:
            for p in facts.params:
                index.arities[p.scope] = index.arities.get(p.scope, 0) + 1
        for imp in facts.imports:
            if imp.name == "*":
                if imp.scope == MODULE_SCOPE:
                    index.wildcards.append(imp)
                continue
            local = imp.alias or (imp.name.split(".")[-1] if imp.name else _module_local(spec, imp.module))
            if local and not local.startswith("."):
                names.setdefault(imp.scope, {}).setdefault(local, []).append(imp)
        defs = facts.defs
        for b in facts.binds:
            if len(b.target) == 1:
                names.setdefault(b.scope, {}).setdefault(b.target[0], []).append(b)
            elif len(b.target) == 2 and b.scope >= 0 and defs[b.scope].kind == DefKind.METHOD:
                owner = defs[b.scope].parent
                if owner < 0:
                    continue
                head = b.target[0]
                if head in spec.self_names or (spec.first_param_is_self and _first_param(facts, b.scope) == head):
                    index.self_attrs.setdefault(owner, {}).setdefault(b.target[1], []).append(b)
        for p in facts.params:
            names.setdefault(p.scope, {}).setdefault(p.name, []).append(p)
        for scope_names in names.values():
            for bindings in scope_names.values():
                if len(bindings) > 1:
                    bindings.sort(key=lambda b: _binding_position(facts, b))
        return index


def _module_local(spec: LanguageSpec, specifier: str) -> str:
    """The name a whole-module import without alias binds: Python's ``import os.path`` binds
    ``os`` (and ECMAScript's ``import "./side"`` none); elsewhere the last part names it (Go's
    ``import "example.com/app/util"``: ``util``)."""
    if spec.import_local is not None:
        return spec.import_local(specifier)
    if spec.module_system in ("python", "ecmascript"):
        return specifier.split(".")[0]
    return re.split(r"[/.:\\]+", specifier.rstrip("/"))[-1]


def _binding_position(facts: FileFacts, b: object) -> tuple[int, int]:
    """Where a binding happens: its line, then definitions before imports before assignments
    on one line (the order ``FileFacts.interface`` records); parameters bind on entry."""
    if isinstance(b, int):
        return facts.defs[b].start_line, 0
    if isinstance(b, ImportFact):
        return b.line, 1
    if isinstance(b, BindFact):
        return b.line, 2
    return 0, -1


def _first_param(facts: FileFacts, scope: int) -> str | None:
    for p in facts.params:
        if p.scope == scope and p.position == 0:
            return p.name
    return None


@dataclass(slots=True)
class FileGraph:
    """One file's share of the graph: its own nodes, the edges that start in it, and the
    symbols those edges point at."""

    path: str
    nodes: list[Node]
    edges: list[Edge]
    symbols: list[Node]
    touched: set[str]


class FileIndexCache:
    """Files' facts as the resolver indexes them, kept between index runs (a server keeps one):
    an edit re-resolves a file against the files it imports, which then need not be read from
    the index state and indexed again (for a large module, most of its resolution time). Keyed
    by path and content hash; at most ``size`` files, the least recently used out first."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[str, _FileIndex]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str, digest: str) -> _FileIndex | None:
        with self._lock:
            found = self._entries.get(path)
            if found is None or found[0] != digest:
                return None
            self._entries.move_to_end(path)
            return found[1]

    def put(self, path: str, digest: str, index: _FileIndex) -> None:
        with self._lock:
            self._entries[path] = (digest, index)
            self._entries.move_to_end(path)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class _Reads:
    """The paths (and probes) a resolution looked at: what it read directly, and the records
    of memoised lookups it reused, kept by identity and joined once at the end (a C file's
    hundred lookups through one include closure replay its record once, not a hundred times)."""

    __slots__ = ("paths", "replayed")

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.replayed: dict[int, frozenset[str]] = {}

    def add(self, path: str) -> None:
        self.paths.add(path)

    def update(self, paths: Iterable[str]) -> None:
        self.paths.update(paths)

    def replay(self, record: frozenset[str]) -> None:
        """Count what a memoised lookup read as read (``record`` stays referenced, so its id
        is not reused)."""
        self.replayed.setdefault(id(record), record)

    def merge(self, other: _Reads) -> None:
        self.paths |= other.paths
        self.replayed.update(other.replayed)

    def frozen(self) -> frozenset[str]:
        return frozenset(self.paths.union(*self.replayed.values()))


class Resolver:
    """Resolves files against the facts of the whole repository, loaded on demand (through
    ``cache``, when given, by the content hash ``digest_of`` gives a path)."""

    def __init__(self, paths_by_language: Mapping[str, list[str]],
                 load_facts: Callable[[str], FileFacts | None], *, cache: FileIndexCache | None = None,
                 digest_of: Callable[[str], str | None] | None = None,
                 packages: Mapping[str, str] | None = None, manifests: Manifests | None = None) -> None:
        self._load = load_facts
        self._cache = cache if digest_of is not None else None
        self._digest_of = digest_of
        self._index: dict[str, _FileIndex | None] = {}
        # one module system per kind, over the files of every language using it: a .ts file
        # imports ./util.js, a .jsx file imports ./types.ts
        paths_by_system: dict[str, list[str]] = {}
        manifests_by_system: dict[str, dict[str, object]] = {}
        self._linkage_paths: dict[str, list[str]] = {}
        """Module system → the source files of its languages with global linkage (C, C++)."""
        self._extension_paths: dict[str, list[str]] = {}
        """Module system → the source files of its languages that add methods to types from outside."""
        for lang, paths in paths_by_language.items():
            spec = get_language(lang)
            system = spec.module_system
            sources: list[str] = []
            read = manifests_by_system.setdefault(system, {})
            for path in paths:
                if manifest_reader(spec, path) is None:
                    sources.append(path)
                elif manifests and path in manifests:
                    read[path] = manifests[path]
            paths_by_system.setdefault(system, []).extend(sources)
            if spec.global_linkage is not None:
                self._linkage_paths.setdefault(system, []).extend(sorted(sources))
            if spec.external_extensions:
                self._extension_paths.setdefault(system, []).extend(sorted(sources))
        declared = packages or {}
        self._systems = {name: MODULE_SYSTEMS[name](paths, {p: declared[p] for p in paths if p in declared},
                                                    manifests_by_system[name])
                         for name, paths in paths_by_system.items()}
        self.modules = {lang: self._systems[get_language(lang).module_system] for lang in paths_by_language}
        self._mro: dict[tuple[str, int], list[tuple[str, int]]] = {}
        self._touched = _Reads()
        self._imports: dict[tuple[str, str, str], tuple[Value, tuple[str, ...], tuple[str, ...]]] = {}
        self._active: set[tuple[object, ...]] = set()
        self._depth = 0
        self._extensions: dict[tuple[str, int], tuple[list[tuple[str, int]], frozenset[str]]] = {}
        """Class → its extensions and methods defined outside it, with the paths read to find them."""
        self._linkage: dict[str, dict[str, list[tuple[str, int]]]] = {}
        """Module system → function name → its definitions in files with global linkage."""
        self._external_methods: dict[str, dict[tuple[str, str], list[tuple[str, int]]]] = {}
        """Module system → (type name, method name) → the methods the repository adds to a type
        of that name it does not define (``fun String.shout()``, ``impl Shout for str``)."""
        self._package_names: dict[tuple[int, str], dict[str, list[str]]] = {}
        """(module system, package) → module-level name → the package's files that bind it, in
        the package's order: a lookup in a package of hundreds of files reads only those."""
        self._closures: dict[str, tuple[tuple[str, ...], tuple[Value, ...], frozenset[str], dict[str, int]]] = {}
        self._companion_memo: dict[tuple[int, str], tuple[tuple[str, ...], frozenset[str]]] = {}
        self._contexts: dict[str, str] = {}
        """Path → its module system's ``import_context``."""
        self._binders: dict[str, list[str]] = {}
        """Module-level name → the files read so far that bind it: a name looked for in a C
        file's hundred headers is looked for in the two that bind it."""
        self._memo: dict[tuple[object, ...], tuple[list[Value], frozenset[str]]] = {}
        """Bases and reopened classes of a class, with the paths read to find them."""

    # -- facts ---------------------------------------------------------------------------
    def _file(self, path: str) -> _FileIndex | None:
        self._touched.add(path)
        if path not in self._index:
            digest = self._digest_of(path) if self._cache is not None and self._digest_of is not None else None
            built = self._cache.get(path, digest) if self._cache is not None and digest is not None else None
            if built is None:
                facts = self._load(path)
                built = _FileIndex.build(facts) if facts is not None else None
                if built is not None and self._cache is not None and digest is not None:
                    self._cache.put(path, digest, built)
            self._index[path] = built
            if built is not None:
                for name in built.names.get(MODULE_SCOPE, ()):
                    self._binders.setdefault(name, []).append(path)
        return self._index[path]

    def _binding_files(self, system: ModuleSystem, package: str, files: tuple[str, ...], name: str) -> list[str]:
        """The files of ``package`` (``files``, in order) that bind ``name`` at module level; all
        of them are recorded as looked at, as a scan of the package would."""
        self._touched.update(files)
        key = (id(system), package)
        index = self._package_names.get(key)
        if index is None:
            index = self._package_names[key] = {}
            for path in files:
                other = self._file(path)
                for bound in (other.names.get(MODULE_SCOPE, {}) if other is not None else ()):
                    index.setdefault(bound, []).append(path)
        return index.get(name, [])

    def _probe(self, path: str) -> None:
        self._touched.add(path)

    def _companions(self, modules: ModuleSystem, path: str) -> tuple[str, ...]:
        """``modules.companions(path)``, asked once per path, its probes replayed."""
        key = (id(modules), path)
        cached = self._companion_memo.get(key)
        if cached is None:
            probes: list[str] = []
            cached = self._companion_memo[key] = (modules.companions(path, probes.append), frozenset(probes))
        self._touched.replay(cached[1])
        return cached[0]

    def _import_context(self, modules: ModuleSystem, importer: str) -> str:
        context = self._contexts.get(importer)
        if context is None:
            context = self._contexts[importer] = modules.import_context(importer)
        return context

    # -- modules -------------------------------------------------------------------------
    def _module_value(self, ref: ModuleRef) -> Value:
        return Value("module", ref.path, 2 if ref.package else 1 if ref.is_dir else 0)

    def _package_files(self, system: ModuleSystem, package: str) -> tuple[str, ...]:
        """The files of ``package`` in ``system``; a lookup in a package depends on which files
        it has, so ``PACKAGE_PROBE + package`` is recorded as looked at."""
        self._touched.add(PACKAGE_PROBE + package)
        return system.package_files(package, self._probe)

    def _package_member(self, system: ModuleSystem, package: str, name: str, skip: str = "") -> Value | None:
        """``name`` at module level in the files of ``package`` (but ``skip``), or None."""
        files = self._package_files(system, package)
        for path in self._binding_files(system, package, files, name):
            other = self._file(path) if path != skip else None
            if other is not None:
                found = self._lookup_scope(other, MODULE_SCOPE, name)
                if found is not None and found.kind != "unknown":
                    return found
        return None

    def _import_module(self, importer: _FileIndex, specifier: str) -> Value:
        # Memoised per importing directory: the answer depends only on it, the specifier and the
        # file set; the probes are replayed so every importer records what it depended on.
        modules = self.modules[importer.spec.name]
        key = (importer.spec.name, self._import_context(modules, importer.facts.path), specifier)
        cached = self._imports.get(key)
        if cached is None:
            probes: list[str] = []
            ref = modules.resolve(importer.facts.path, specifier, probes.append)
            members: tuple[str, ...] = ()
            if ref is None:
                # ``a.b.Util.max``: the package ``a.b``, then its class ``Util``, then its member
                split = modules.split_member(importer.facts.path, specifier, probes.append)
                if split is not None:
                    ref, members = split
            if ref is not None:
                value = self._module_value(ref)
            elif modules.is_internal(specifier, probes.append):
                value = Value("unresolved", name=specifier)
            else:
                value = Value("extern", name=modules.external_name(specifier))
            cached = self._imports[key] = (value, members, tuple(probes))
        value, members, probes_seen = cached
        self._touched.update(probes_seen)
        for name in members:  # not memoised: the lookups record the files they read
            value = self.member(value, name)
            if value.kind in ("unknown", "unresolved"):
                return Value("unresolved", name=specifier)
        return value

    def _eval_import(self, f: _FileIndex, imp: ImportFact) -> Value:
        if imp.name is None:
            if imp.alias or f.spec.module_system != "python":
                return self._import_module(f, imp.module)
            head = imp.module.split(".")[0]
            return self._import_module(f, head)
        module = self._import_module(f, imp.module)
        if imp.name == "default" and f.spec.module_system == "ecmascript":
            # ``import React from "react"`` is the package itself; a repository module without
            # a default export (CommonJS) gives its module object
            if module.kind != "module":
                return module
            value = self.member(module, "default")
            return module if value.kind == "unknown" else value
        return self.member(module, imp.name)

    def module_member(self, module: Value, name: str) -> Value:
        if module.slot in (1, 2):
            for system in self._systems.values():
                found = self._package_member(system, module.path, name)
                if found is not None:
                    return found
        if module.slot == 0:
            f = self._file(module.path)
            if f is not None:
                found = self._lookup_scope(f, MODULE_SCOPE, name)
                if found is not None:
                    return found
                for wildcard in f.wildcards if _star_exports(f.spec, name) else ():
                    key = ("wild", module.path, name)
                    if key in self._active:
                        continue
                    self._active.add(key)
                    try:
                        imported = self._import_module(f, wildcard.module)
                        # an external module may hold any name: only where nothing else has it
                        # (resolve_name), never for the names of a file that imports it
                        value = self.member(imported, name) if imported.kind != "extern" else UNKNOWN
                    finally:
                        self._active.discard(key)
                    if value.kind not in ("unknown", "unresolved"):
                        return value
        ref = ModuleRef(module.path, is_dir=module.slot == 1, package=module.slot == 2)
        for modules in self._systems.values():
            sub = modules.submodule(ref, name, self._probe)
            if sub is not None:
                return self._module_value(sub)
        return UNKNOWN

    # -- scopes --------------------------------------------------------------------------
    def _lookup_scope(self, f: _FileIndex, scope: int, name: str, line: int | None = None,
                      call: bool = False) -> Value | None:
        """What ``name`` is bound to in ``scope``: None when the scope does not bind it. With
        ``line`` (a use in this very scope, which runs top to bottom), the bindings before that
        line come first, latest first; otherwise (a use from an inner scope or another file,
        which runs after the scope is complete) the latest binding comes first."""
        bindings = f.names.get(scope, {}).get(name)
        if bindings and call and (f.spec.methods_apart or (
                f.spec.fields_apart and scope != MODULE_SCOPE and f.facts.defs[scope].kind == DefKind.CLASS)):
            # a call names a method, never a variable, field or parameter of that name (or
            # never a field: Rust's ``x.f()``)
            bindings = [b for b in bindings if not isinstance(b, (BindFact, ParamFact))]
        if not bindings:
            return None
        if line is not None and len(bindings) > 1:
            before = [b for b in bindings if _binding_position(f.facts, b)[0] < line]
            if before and len(before) < len(bindings):
                bindings = [*bindings[len(before):], *before]
        key = (f.facts.path, scope, name)
        if key in self._active:
            # the name is used in its own binding (Go ``cart *cart.Cart``, C# ``Engine Engine {
            # get; }``, Python ``x = x`` in a class body): there it means what it means outside
            return None
        if len(self._active) > MAX_DEPTH * 4:
            return UNKNOWN
        self._active.add(key)
        try:
            best: Value | None = None
            for b in reversed(bindings):
                value = self._eval_binding(f, scope, b)
                if value.kind not in ("unknown", "unresolved"):
                    return value
                best = best or value
            return best
        finally:
            self._active.discard(key)

    def _eval_binding(self, f: _FileIndex, scope: int, b: object) -> Value:
        if isinstance(b, int):
            return Value("def", f.facts.path, b)
        if isinstance(b, ImportFact):
            return self._eval_import(f, b)
        if isinstance(b, ParamFact):
            return self._eval_param(f, b)
        if isinstance(b, BindFact) and b.value is not None:
            value = self.eval_chain(f, scope, b.value, b.line)
            if b.called or (f.spec.implicit_calls and value.kind == "def" and b.value[-1][:1].islower()):
                # Ruby ``cart = new``: a lower-case name no local binds is a method call
                return self._call_result(value)
            return value
        return UNKNOWN

    def _container(self, value: Value, part: str) -> Value:
        """A sequence or mapping of a class's instances (a type: ``list[Repo]``), or an item
        of a sequence (a loop over it)."""
        if part == ITEM_PART:
            return value._replace(kind="instance", inferred=True) if value.kind == "sequence" else UNKNOWN
        if value.kind == "def" and self._def(value).kind == DefKind.CLASS:
            return value._replace(kind="sequence" if part == SEQUENCE_PART else "mapping", inferred=True)
        return UNKNOWN

    def _instance_of(self, value: Value) -> Value:
        """An instance of the type ``value`` names (a declared type): of a class, of an external
        type (its members are external), or the container itself."""
        if value.kind == "def" and self._def(value).kind == DefKind.CLASS:
            return Value("instance", value.path, value.slot, inferred=True)
        if value.kind in ("sequence", "mapping") or (value.kind == "extern" and value.name not in _NOT_A_TYPE):
            return value
        return UNKNOWN

    def _call_result(self, value: Value) -> Value:
        if value.kind == "values":  # ``mapping.values()``
            return value._replace(kind="sequence")
        if value.kind == "def" and self._def(value).kind == DefKind.CLASS:
            return Value("instance", value.path, value.slot, inferred=True)
        if value.kind == "def" and self._def(value).returns is not None:
            # what the function returns: its declared type, or a call of what all its returns call
            key = ("returns", value.path, value.slot)
            f = self._file(value.path)
            if key in self._active or f is None:
                return UNKNOWN
            self._active.add(key)
            try:
                returns = self._def(value).returns
                assert returns is not None
                result = self.eval_chain(f, value.slot, returns)
                return result._replace(inferred=True) if result.kind != "unknown" else result
            finally:
                self._active.discard(key)
        if value.kind == "extern" and value.name in _BUILTIN_TYPES:
            return value  # ``set()`` is a set: ``set().union`` is ``builtins.set.union``
        return UNKNOWN

    def _def(self, value: Value):
        f = self._file(value.path)
        assert f is not None
        return f.facts.defs[value.slot]

    def _eval_param(self, f: _FileIndex, p: ParamFact) -> Value:
        d = f.facts.defs[p.scope] if p.scope >= 0 else None
        if d is not None and p.position == 0 and f.spec.first_param_is_self and d.kind == DefKind.METHOD:
            if "staticmethod" in d.decorators:
                return UNKNOWN
            if "classmethod" in d.decorators or (d.name == "__new__"):
                return Value("def", f.facts.path, d.parent)
            return Value("instance", f.facts.path, d.parent)
        if p.annotation is not None and d is not None:
            # ``text: str`` → ``text.upper`` is ``builtins.str.upper``
            return self._instance_of(self.eval_chain(f, d.parent, p.annotation, d.start_line))
        return UNKNOWN

    def _enclosing_type(self, f: _FileIndex, scope: int) -> Value | None:
        """The class a use in ``scope`` is inside: the nearest enclosing class, the type an
        enclosing extension extends, or the owner of an enclosing method defined outside its
        type (``void Engine::run()``)."""
        defs = f.facts.defs
        while scope >= 0:
            d = defs[scope]
            if d.kind == DefKind.CLASS:
                return Value("def", f.facts.path, scope)
            if d.kind == DefKind.EXTENSION or (d.owner and d.kind == DefKind.METHOD):
                return self._owner_type(f, scope)
            scope = d.parent
        return None

    def _owner_type(self, f: _FileIndex, slot: int) -> Value | None:
        """The class the ``owner`` of definition ``slot`` (an extension, or a method defined
        outside its type) names, or None."""
        d = f.facts.defs[slot]
        key = ("owner", f.facts.path, slot)
        if key in self._active:
            return None
        self._active.add(key)
        try:
            value = self.eval_chain(f, d.parent, d.owner, d.start_line)
        finally:
            self._active.discard(key)
        if value.kind == "def" and self._def(value).kind == DefKind.CLASS:
            return value._replace(inferred=False)
        return None

    def resolve_name(self, f: _FileIndex, scope: int, name: str, line: int | None = None,
                     call: bool = False) -> Value:
        """What ``name`` means when used in ``scope`` (at ``line``, when known)."""
        spec = f.spec
        if name.startswith("<"):  # a literal: an instance of a builtin type (``"<str>"``)
            builtin = name[1:-1]
            return Value("extern", name=f"builtins.{builtin}" if spec.name == "python" else builtin)
        if name in spec.self_names or name in spec.type_self_names or name in spec.super_names:
            cls = self._enclosing_type(f, scope)
            if cls is None:
                return UNKNOWN
            if name in spec.type_self_names:
                return cls
            return cls._replace(kind="super" if name in spec.super_names else "instance")
        defs = f.facts.defs
        s = scope
        first = True
        inherited: Value | None = None
        while True:
            if s == MODULE_SCOPE or first or defs[s].kind not in (DefKind.CLASS, DefKind.EXTENSION) or (
                    spec.class_scopes_visible and defs[s].kind == DefKind.CLASS):
                found = self._lookup_scope(f, s, name, line if first else None, call)
                if found is not None:
                    return found
            if s == MODULE_SCOPE:
                break
            d = defs[s]
            if spec.members_in_scope and (d.kind in (DefKind.CLASS, DefKind.EXTENSION) or d.owner):
                # inside a class or a method, its class's members (and its bases') need no ``this.``
                cls = self._enclosing_type(f, s)
                if cls is not None:
                    member = self.class_member(cls.path, cls.slot, name, instance=True, call=call)
                    if member.kind == "extern":
                        # maybe inherited from an external base, maybe not a member at all (an
                        # imported class): the file's own names are looked up first
                        inherited = inherited or member
                    elif member.kind not in ("unknown", "unresolved"):
                        return member
            first = False
            s = d.parent
        if spec.package_scope:
            package = self.modules[spec.name].package_of(f.facts.path)
            if package is not None:
                found = self._package_member(self.modules[spec.name], package, name, skip=f.facts.path)
                if found is not None:
                    return found
        external: Value | None = None
        if f.wildcards and _star_exports(spec, name):
            # the repository's files first, then what they import so in turn (a C file's headers
            # and theirs), then directories and packages, and external modules only as a last resort
            found = self._wildcard_value(f, name)
            if found is not None:
                return found
            for module in self._wildcard_closure(f)[1]:
                if module.kind == "extern":
                    # an external module may hold any name: asked only when nothing else has it
                    external = external or (module if spec.external_wildcards else None)
                    continue
                value = self.member(module, name)
                if value.kind not in ("unknown", "unresolved"):
                    return value
        if name in spec.builtins:
            return Value("extern", name=f"builtins.{name}" if spec.name == "python" else name)
        if inherited is not None:
            return inherited
        root = self.modules[spec.name].qualified_root(f.facts.path, name, self._probe)
        if root is not None:  # a qualified name spelled out (``com.acme.Engine``)
            return self._module_value(root)
        if external is not None:
            return self.member(external, name)
        return UNKNOWN

    def _wildcard_value(self, f: _FileIndex, name: str) -> Value | None:
        """``name`` in the repository files ``f`` imports with wildcards, and those they import
        so in turn (``_wildcard_closure``), or None."""
        files = self._wildcard_closure(f)[0]
        binders = self._binders.get(name)
        if not files or not binders:
            return None
        # the closure's files were all read (and recorded as looked at) when it was made: only
        # those that bind the name are looked into, in the closure's order
        positions = self._closures[f.facts.path][3]
        for position in sorted(positions[p] for p in binders if p in positions):
            g = self._index[files[position]]
            assert g is not None
            found = self._lookup_scope(g, MODULE_SCOPE, name)
            if found is not None and found.kind not in ("unknown", "unresolved"):
                return found
        return None

    def _wildcard_closure(self, f: _FileIndex) -> tuple[tuple[str, ...], tuple[Value, ...]]:
        """The repository files ``f`` imports with wildcards (``from m import *``,
        ``#include``) and those they import so in turn, depth first, each once (a C file's
        headers in the order the compiler reads them); then the other modules imported so
        (directories, packages, classes, external modules), in that order. Memoised with the paths it
        looked at, which every file using it records: a header included on many paths (a
        diamond) is read once, not once per path."""
        path = f.facts.path
        cached = self._closures.get(path)
        if cached is None:
            with self._aside() as reads:
                files: list[str] = []
                others: list[Value] = []
                seen = {path}
                stack = [iter([(f, w) for w in f.wildcards])]
                while stack:
                    item = next(stack[-1], None)
                    if item is None:
                        stack.pop()
                        continue
                    g, wildcard = item
                    module = self._import_module(g, wildcard.module)
                    if module.kind == "module" and module.slot == 0:
                        if module.path not in seen:
                            seen.add(module.path)
                            files.append(module.path)
                            h = self._file(module.path)
                            if h is not None and h.wildcards:
                                stack.append(iter([(h, w) for w in h.wildcards]))
                    elif module.kind not in ("unknown", "unresolved") and module not in others:
                        others.append(module)  # a directory, a package, a class (Java ``import static``)
                others.sort(key=lambda m: m.kind == "extern")
                cached = self._closures[path] = (tuple(files), tuple(others), reads.frozen(),
                                                 {p: i for i, p in enumerate(files)})
        self._touched.replay(cached[2])
        return cached[0], cached[1]

    @contextmanager
    def _aside(self, *, recorded: bool = True) -> Iterator[_Reads]:
        """What is read inside the block, apart: added to what the resolution in progress read
        afterwards when ``recorded``, else not (an index of the whole repository, which no file
        looked at)."""
        outer, self._touched = self._touched, _Reads()
        try:
            yield self._touched
        finally:
            if recorded:
                outer.merge(self._touched)
            self._touched = outer

    def _memoised(self, key: tuple[object, ...], compute: Callable[[], list[Value]]) -> list[Value]:
        """``compute()``, once per key, with the paths it read replayed for every later caller;
        kept only when no cycle cut it short (nothing was being evaluated when it started)."""
        cached = self._memo.get(key)
        if cached is not None:
            self._touched.replay(cached[1])
            return cached[0]
        clean = not self._active
        with self._aside() as reads:
            out = compute()
            if clean:
                self._memo[key] = (out, reads.frozen())
        return out

    def _reopened(self, f: _FileIndex, index: int) -> list[Value]:
        """The classes a class defined again under its qualified name continues (a C++
        namespace reopened in a source file continues its header's): those of that name earlier
        in its file, and the one its file's wildcard imports (``#include``) give that name."""
        def compute() -> list[Value]:
            d = f.facts.defs[index]
            out = [Value("def", f.facts.path, i) for i in f.classes.get(d.qualname, ()) if i < index]
            parts = d.qualname.split(".")
            value = self._wildcard_value(f, parts[0])
            for part in parts[1:]:
                if value is None or value.kind != "def":
                    return out
                value = self.member(value, part)
            if (value is not None and value.kind == "def" and (value.path, value.slot) != (f.facts.path, index)
                    and self._def(value).kind == DefKind.CLASS and self._def(value).qualname == d.qualname):
                out.append(value._replace(inferred=False))
            return out

        return self._memoised(("reopened", f.facts.path, index), compute)

    # -- members -------------------------------------------------------------------------
    def mro(self, path: str, index: int) -> list[tuple[str, int]]:
        """The class and its in-repository bases, depth first, left to right, each once."""
        key = (path, index)
        if key in self._mro:
            for p, _ in self._mro[key]:
                self._touched.add(p)
            return self._mro[key]
        self._mro[key] = [key]
        out: list[tuple[str, int]] = [key]
        f = self._file(path)
        if f is not None:
            for value in self._bases(path, index):
                if value.kind == "def" and self._def(value).kind == DefKind.CLASS:
                    for item in self.mro(value.path, value.slot):
                        if item not in out:
                            out.append(item)
        self._mro[key] = out
        return out

    def _bases(self, path: str, index: int) -> list[Value]:
        """The bases of a class as values: those it lists, then those its extensions add
        (``impl Display for Engine``) and, where classes are reopened, the classes it continues.
        None while they are being evaluated: a base named inside the class (Ruby's ``include
        Helpers``) is looked up among the class's members, which must not evaluate the bases
        again (exponential in the nesting of such classes)."""
        key = ("bases", path, index)
        if key in self._active:
            return []

        def compute() -> list[Value]:
            self._active.add(key)
            out: list[Value] = []
            try:
                for p, i in [(path, index), *self._extensions_of(path, index)]:
                    g = self._file(p)
                    if g is None:
                        continue
                    d = g.facts.defs[i]
                    if p != path or i == index or d.kind == DefKind.EXTENSION:
                        out += [self.eval_chain(g, d.parent, base, d.start_line) for base in d.bases]
                    if p == path and i == index and g.spec.reopened_classes and d.kind == DefKind.CLASS:
                        out += self._reopened(g, i)
            finally:
                self._active.discard(key)
            return out

        # memoised: every member not found looks through the bases of the whole mro
        # (``_external_bases``), and a reopened namespace's bases are looked for in its includes
        return self._memoised(key, compute)

    def _extensions_of(self, path: str, index: int) -> list[tuple[str, int]]:
        """Extensions of the class (``impl Engine``) and methods defined outside it (``func (e
        *Engine) Run()``, ``void Engine::run()``), in its file, its package and its companions,
        whose owner resolves to this very class."""
        key = (path, index)
        cached = self._extensions.get(key)
        if cached is not None:  # every place it looked, replayed: a later caller depends on them too
            self._touched.replay(cached[1])
            return cached[0]
        self._extensions[key] = ([], frozenset())  # while an owner evaluated here names this class
        f = self._file(path)
        if f is None:
            return []
        name, qualname = f.facts.defs[index].name, f.facts.defs[index].qualname
        modules = self.modules[f.spec.name]
        out: list[tuple[str, int]] = []
        with self._aside() as reads:
            package = modules.package_of(path)
            places = [path, *(self._package_files(modules, package) if package is not None else ()),
                      *self._companions(modules, path)]
            for p in dict.fromkeys(places):
                g = self._file(p)
                if g is None:
                    continue
                for i in g.outside.get(name, ()):
                    owner = self._owner_type(g, i)
                    if owner is not None and (owner.path, owner.slot) == key:
                        out.append((p, i))
                # the other parts of a partial class (C#): classes of the same qualified name in
                # the package (in Java, Kotlin or Go two classes of one name there do not compile)
                if f.spec.package_scope and p != path and modules.package_of(p) == package:
                    out += [(p, i) for i in g.classes.get(qualname, ())]
            self._extensions[key] = (out, reads.frozen())
        return out

    def _outside_member(self, path: str, index: int, name: str) -> Value | None:
        """Member ``name`` of the class defined outside it: in an extension, or as a method
        with an owner."""
        f = self._file(path)
        if f is not None and f.spec.members_in_scope and f.facts.defs[index].name == name:
            return None  # ``Engine::Engine() {}`` is a constructor: ``Engine`` is still the class
        for p, i in self._extensions_of(path, index):
            g = self._file(p)
            if g is None:
                continue
            d = g.facts.defs[i]
            if d.kind in (DefKind.EXTENSION, DefKind.CLASS):
                found = self._lookup_scope(g, i, name)
                if found is not None and found.kind != "unknown":
                    return found
            elif d.name == name:
                return Value("def", p, i)
        return None

    def _overload(self, value: Value, arity: int) -> Value:
        """Of the overloads of the function ``value`` is (the definitions of its qualified name in
        its file), the last that takes ``arity`` arguments; ``value`` when none or it does."""
        if arity < 0 or value.kind != "def":
            return value
        g = self._file(value.path)
        if g is None or not g.spec.overloads:
            return value
        d = g.facts.defs[value.slot]
        if d.kind == DefKind.CLASS or g.arities.get(value.slot, 0) == arity:
            return value
        fitting = [i for i in g.qualnames.get(d.qualname, ())
                   if g.facts.defs[i].kind == d.kind and g.arities.get(i, 0) == arity]
        return value._replace(slot=fitting[-1]) if fitting else value

    def _definition_of(self, value: Value) -> Value:
        """For a declaration without a body (a C prototype in a header, a C++ method declared
        in its class), its definition in a companion file (``engine.h`` → ``engine.cpp``); the
        declaration itself when there is none."""
        f = self._file(value.path)
        if f is None:
            return value
        d = f.facts.defs[value.slot]
        if not d.declaration:
            return value
        if d.parent >= 0 and f.facts.defs[d.parent].kind == DefKind.CLASS:
            # the definition with as many parameters as the declaration (an overload's), else the first
            arity = f.arities.get(value.slot, 0)
            first: Value | None = None
            for p, i in self._extensions_of(value.path, d.parent):
                g = self._file(p)
                if g is not None and g.facts.defs[i].name == d.name and not g.facts.defs[i].declaration:
                    if not f.spec.overloads or g.arities.get(i, 0) == arity:
                        return Value("def", p, i, inferred=value.inferred)
                    first = first or Value("def", p, i, inferred=value.inferred)
            if first is not None:
                return first
        elif d.parent != MODULE_SCOPE:
            return value
        # the definition of that qualified name in a companion: a C function defined further down
        # its file, ``app.make_engine`` of the header in ``namespace app { Engine make_engine() {} }``
        for p in self._companions(self.modules[f.spec.name], value.path):
            g = self._file(p)
            for i in (g.qualnames.get(d.qualname, ()) if g is not None else ()):
                if g is not None and not g.facts.defs[i].declaration:
                    return Value("def", p, i, inferred=value.inferred)
        if f.spec.global_linkage is not None and d.parent == MODULE_SCOPE:
            linked = self._linked(f.spec.module_system, d.name)
            if linked is not None:
                return linked._replace(inferred=value.inferred)
        return value

    def _external_extension(self, f: _FileIndex, external: str, name: str, arity: int) -> Value | None:
        """The method ``name`` the repository adds to the library type a call's receiver is
        (``external``: ``String.shout``, the library's name of what the call reaches), as
        ``_added_method`` finds it; a C# one only when it takes the call's ``arity`` arguments
        besides its receiver (the library's own overloads, which it cannot see, win otherwise)."""
        receiver = external[: -len(name) - 1].rpartition(".")[2] if external.endswith("." + name) else ""
        return self._added_method(f, receiver, name, arity) if receiver else None

    def _repository_index(self, built: dict[str, dict[K, list[tuple[str, int]]]], paths: Mapping[str, list[str]],
                          system: str, entries: Callable[[_FileIndex], Iterable[tuple[K, int]]]
                          ) -> dict[K, list[tuple[str, int]]]:
        """An index of the definitions ``entries`` gives (key, slot) over the files of ``system`` in
        ``paths``, built once into ``built``. No file's resolution read it all: a lookup in it
        records the name it looked up (``LINKAGE_PROBE``) and the file it found."""
        index = built.get(system)
        if index is None:
            index = built[system] = {}
            with self._aside(recorded=False):
                for path in paths.get(system, ()):
                    g = self._file(path)
                    for key, slot in entries(g) if g is not None else ():
                        index.setdefault(key, []).append((path, slot))
        return index

    def _added_method(self, f: _FileIndex, receiver: str, name: str, arity: int = -1) -> Value | None:
        """The method ``name`` the repository adds to a type named ``receiver`` from outside it
        (Kotlin ``fun String.shout()``, Rust ``impl Shout for str``, C# ``Shout(this string s)``):
        the one such method of that type and name, else the one in ``f``'s package or imported by
        name in ``f``; None when there is none or no way to choose."""
        self._touched.add(LINKAGE_PROBE + name)
        index = self._repository_index(self._external_methods, self._extension_paths, f.spec.module_system,
                                       _added_methods)
        found = index.get((receiver, name), [])
        if arity >= 0:  # a receiver parameter counts among the declared ones (C#)
            found = [(p, i) for p, i in found if not (g := self._file(p)) or not g.facts.defs[i].receiver
                     or g.arities.get(i, 0) == arity + 1]
        if len(found) > 1:  # the one the caller's package has or its imports name
            modules = self.modules[f.spec.name]
            visible = {modules.package_of(f.facts.path)}
            for imp in f.facts.imports:  # a name from a module, or ``import a.text.shout`` (Kotlin)
                if imp.name == name:
                    visible.add(imp.module)
                elif imp.name is None and imp.module.endswith(("." + name, "::" + name, "/" + name)):
                    visible.add(imp.module[: -len(name)].rstrip(".:/"))
            visible.discard(None)
            found = [(p, i) for p, i in found if modules.package_of(p) in visible]
        if len(found) != 1:
            return None
        path, slot = found[0]
        self._touched.add(path)
        return Value("def", path, slot, inferred=True)

    def _linked(self, system: str, name: str) -> Value | None:
        """The one non-local definition of the module-level function ``name`` among the files
        of languages with global linkage in ``system`` (C's one namespace of functions), or None
        when there is none or more than one."""
        self._touched.add(LINKAGE_PROBE + name)
        index = self._repository_index(self._linkage, self._linkage_paths, system, _linked_functions)
        found = index.get(name, ())
        if len(found) != 1:
            return None
        path, slot = found[0]
        self._touched.add(path)
        return Value("def", path, slot)

    def _external_bases(self, path: str, index: int) -> list[str]:
        names: list[str] = []
        for p, i in self.mro(path, index):
            for value in self._bases(p, i):
                if value.kind == "extern" and value.name not in ("builtins.object", "object"):
                    names.append(value.name)
        return names

    def class_member(self, path: str, index: int, name: str, instance: bool, skip_first: bool = False,
                     call: bool = False) -> Value:
        classes = self.mro(path, index)
        for p, i in classes[1:] if skip_first else classes:
            f = self._file(p)
            if f is None:
                continue
            found = self._lookup_scope(f, i, name, call=call)
            if found is not None and found.kind != "unknown":
                return found
            outside = self._outside_member(p, i, name)
            if outside is not None:
                return outside
            if instance and not (call and (f.spec.methods_apart or f.spec.fields_apart)):
                attrs = f.self_attrs.get(i, {}).get(name)
                key = ("attr", p, i, name)
                if attrs and key not in self._active:
                    self._active.add(key)
                    try:
                        value = self._eval_attrs(f, attrs)
                    finally:
                        self._active.discard(key)
                    return value
            if found is not None:
                return found
        f = self._file(path)
        if f is not None and f.spec.external_extensions:  # C#'s ``Boost(this Engine e)``
            added = self._added_method(f, f.facts.defs[index].name, name)
            if added is not None:
                return added
        externals = self._external_bases(path, index)
        if externals:
            return Value("extern", name=f"{externals[0]}.{name}")
        return UNKNOWN

    def _parent_class(self, value: Value) -> Value:
        """The first base of the class ``value`` (a ``super`` value) refers to."""
        f = self._file(value.path)
        assert f is not None
        d = f.facts.defs[value.slot]
        return self.eval_chain(f, d.parent, d.bases[0], d.start_line) if d.bases else UNKNOWN

    def _eval_attrs(self, f: _FileIndex, attrs: list[BindFact]) -> Value:
        for b in attrs:
            if b.value is not None:
                value = self.eval_chain(f, b.scope, b.value, b.line)
                value = self._call_result(value) if b.called else value
                if value.kind != "unknown":
                    return value._replace(inferred=True)
        return UNKNOWN

    def member(self, value: Value, name: str, call: bool = False) -> Value:
        kind = value.kind
        if kind == "mapping" and name == "values":
            return value._replace(kind="values")
        if kind == "module":
            return self.module_member(value, name)
        if kind == "extern":
            return Value("extern", name=f"{value.name}.{name}")
        if kind == "def":
            d = self._def(value)
            if d.kind != DefKind.CLASS:
                return UNKNOWN
            found = _inherit(self.class_member(value.path, value.slot, name, instance=False, call=call), value)
            if found.kind == "unknown" and d.parent == MODULE_SCOPE and self._reopens_builtin(value.path, d.name):
                # the repository adds to a namespace it does not own (``namespace std { template
                # <> struct hash<...> }``): what it does not add is the library's
                return Value("extern", name=f"{d.name}.{name}")
            return found
        if kind == "instance":
            return _inherit(self.class_member(value.path, value.slot, name, instance=True, call=call), value)
        if kind == "super":
            return self.class_member(value.path, value.slot, name, instance=True, skip_first=True, call=call)
        return UNKNOWN

    def _reopens_builtin(self, path: str, name: str) -> bool:
        """Whether a class ``name`` at module level of ``path`` reopens a namespace of the
        language's own library (C++ ``namespace std``)."""
        f = self._file(path)
        return f is not None and f.spec.reopened_classes and name in f.spec.builtins

    def eval_chain(self, f: _FileIndex, scope: int, chain: Chain, line: int | None = None,
                   call: bool = False) -> Value:
        """The value of ``chain`` used in ``scope`` at ``line`` (None: after the scope ran)."""
        if chain[0] == "?" or self._depth > MAX_DEPTH:
            return UNKNOWN
        self._depth += 1
        try:
            # a part is called when the chain calls it: at its end (``call``) or before ``()``
            last = len(chain)
            value = self.resolve_name(f, scope, chain[0], line,
                                      (call and last == 1) or (last > 1 and chain[1] == CALL_PART))
            for i, part in enumerate(chain[1:], 2):
                if value.kind in ("unknown", "unresolved"):
                    return UNKNOWN
                if (f.spec.implicit_calls and part != CALL_PART and value.kind == "def"
                        and self._def(value).kind in (DefKind.FUNCTION, DefKind.METHOD)):
                    value = self._call_result(value)  # Ruby ``invoice.render``: ``invoice().render``
                if part == CALL_PART:
                    value = self._call_result(value)
                elif part == TYPE_PART:
                    value = self._instance_of(value)
                elif part in _CONTAINERS:
                    value = self._container(value, part)
                else:
                    value = self.member(value, part, (call and i == last) or (i < last and chain[i] == CALL_PART))
            return value
        finally:
            self._depth -= 1

    # -- one file --------------------------------------------------------------------------
    def resolve_file(self, path: str, status: FileStatus = FileStatus.OK, error: str | None = None) -> FileGraph:
        self._touched = _Reads()
        f = self._file(path)
        assert f is not None, path
        facts = f.facts
        nodes: list[Node] = [Node(
            id=path, kind=NodeKind.FILE, name=path.rsplit("/", 1)[-1], path=path, qualname="",
            start_line=1, end_line=max(facts.line_count, 1), doc=facts.doc, language=facts.language,
            status=status, error=error,
        )]
        edges: dict[tuple[str, str, str], Edge] = {}
        symbols: dict[str, Node] = {}
        ids = f.ids

        def source_of(scope: int) -> str:
            while scope >= 0 and not ids[scope]:
                scope = facts.defs[scope].parent  # an extension: no node of its own
            return ids[scope] if scope >= 0 else path

        # a type's methods defined outside it (an extension, a receiver, ``Engine::run``) are
        # contained by the type when it is in this file, else by the file
        holder: dict[int, str] = {}
        for i, d in enumerate(facts.defs):
            outside = i if d.owner and d.kind == DefKind.METHOD else d.parent
            if outside >= 0 and (outside == i or facts.defs[outside].kind == DefKind.EXTENSION):
                owner = self._owner_type(f, outside)
                holder[i] = ids[owner.slot] if owner is not None and owner.path == path else path
        for i, d in enumerate(facts.defs):
            if d.kind == DefKind.EXTENSION:
                continue
            nodes.append(Node(
                id=ids[i], kind=NodeKind(d.kind), name=d.name, path=path, qualname=d.qualname,
                start_line=d.start_line, end_line=d.end_line, signature=d.signature, doc=d.doc,
                language=facts.language,
            ))
            parent = holder.get(i) or (source_of(d.parent))
            _add(edges, Edge(EdgeKind.CONTAINS, parent, ids[i]))

        def target_of(value: Value, written: str, allow_symbol: bool = True) -> tuple[str, Resolution] | None:
            if value.kind == "def":
                value = self._definition_of(value)
                target = self._file(value.path)
                assert target is not None
                return target.ids[value.slot], Resolution.INFERRED if value.inferred else Resolution.EXACT
            if value.kind == "module" and value.slot == 0:
                return value.path, Resolution.EXACT
            if not allow_symbol:
                return None
            if value.kind == "extern":
                sid = external_id(value.name)
                symbols.setdefault(sid, Node(sid, NodeKind.EXTERNAL, value.name.rsplit(".", 1)[-1],
                                             "", qualname=value.name))
                return sid, Resolution.EXTERNAL
            name = chain_name(tuple(written.replace("()", ".()").split(".")))
            sid = unresolved_id(name)
            symbols.setdefault(sid, Node(sid, NodeKind.UNRESOLVED, name, "", qualname=name))
            return sid, Resolution.UNRESOLVED

        for use in facts.uses:
            written = chain_text(use.chain)
            value = self.eval_chain(f, use.scope, use.chain, use.line, use.kind == UseKind.CALL)
            source = source_of(use.scope)
            if use.kind == UseKind.CALL:
                if value.kind == "instance":
                    value = _inherit(self.class_member(value.path, value.slot, "__call__", instance=True), value)
                elif value.kind == "super":  # ``super(...)`` in a constructor: the parent class
                    value = self._parent_class(value)
                value = self._overload(value, use.arity)
                if value.kind == "extern" and f.spec.external_extensions and len(use.chain) > 1:
                    value = self._external_extension(f, value.name, use.chain[-1], use.arity) or value
                if value.kind == "module":
                    continue
                found = target_of(value, written)
                if found is not None:
                    _add(edges, Edge(EdgeKind.CALLS, source, found[0], use.line, found[1], written))
            else:
                if value.kind != "def":
                    continue
                found = target_of(value, written, allow_symbol=False)
                if found is not None and found[0] != source:
                    _add(edges, Edge(EdgeKind.REFERENCES, source, found[0], use.line, found[1], written))

        for i, d in enumerate(facts.defs):
            child = ids[i]
            if d.kind == DefKind.EXTENSION and d.bases:  # ``impl Display for Engine``: Engine inherits
                owner = self._owner_type(f, i)
                if owner is None:
                    continue
                target_file = self._file(owner.path)
                child = target_file.ids[owner.slot] if target_file is not None else ""
            for base in d.bases:
                value = self.eval_chain(f, d.parent, base, d.start_line)
                if value.kind == "module" or (value.kind == "def" and self._def(value).kind != DefKind.CLASS):
                    continue
                found = target_of(value, chain_text(base))
                if found is not None and child and found[0] != child:
                    _add(edges, Edge(EdgeKind.INHERITS, child, found[0], d.start_line, found[1], chain_text(base)))

        for imp in facts.imports:
            written = imp.module if imp.name is None else f"{imp.module}.{imp.name}" if imp.name != "*" else imp.module
            if imp.name == "default" and f.spec.module_system == "ecmascript":
                written = imp.module
            module = self._import_module(f, imp.module)
            if module.kind == "def":  # a class the import names (``import static a.b.Util.max``)
                value = self.member(module, imp.name) if imp.name and imp.name != "*" else module
                found = target_of(value, written, allow_symbol=False) if value.kind == "def" else None
                if found is not None and found[0] != path:
                    _add(edges, Edge(EdgeKind.IMPORTS, path, found[0], imp.line, found[1],
                                     imp.alias or imp.name or imp.module))
                continue
            if module.kind == "module":
                if module.slot == 0 and module.path != path:
                    _add(edges, Edge(EdgeKind.IMPORTS, path, module.path, imp.line, Resolution.EXACT, imp.module))
                if imp.name and imp.name != "*":
                    value = self.member(module, imp.name)
                    if value.kind == "def" or (value.kind == "module" and value.slot == 0):
                        found = target_of(value, written, allow_symbol=False)
                        if found is not None and found[0] != path:
                            _add(edges, Edge(EdgeKind.IMPORTS, path, found[0], imp.line, found[1],
                                             imp.alias or imp.name))
                continue
            if module.kind == "extern":
                found = target_of(Value("extern", name=written), written)
            else:
                found = target_of(Value("unresolved"), written)
            if found is not None:
                _add(edges, Edge(EdgeKind.IMPORTS, path, found[0], imp.line, found[1], written))

        touched = set(self._touched.frozen())
        touched.discard(path)
        return FileGraph(path, nodes, list(edges.values()), list(symbols.values()), touched)


def _linked_functions(g: _FileIndex) -> Iterator[tuple[str, int]]:
    """The functions of a file with global linkage (C): module level, with a body, not ``static``."""
    local = g.spec.global_linkage or frozenset()
    for i, d in enumerate(g.facts.defs):
        if (d.parent == MODULE_SCOPE and d.kind == DefKind.FUNCTION and not d.declaration
                and not local.intersection(d.decorators)):
            yield d.name, i


def _added_methods(g: _FileIndex) -> Iterator[tuple[tuple[str, str], int]]:
    """The methods a file adds to a type from outside it, by (type name, method name): a C#
    receiver (``this string s``), an owner (Kotlin ``fun String.shout()``), or an extension
    block's type (Rust ``impl Shout for str``)."""
    defs = g.facts.defs
    for i, d in enumerate(defs):
        owner = d.receiver or d.owner or (
            defs[d.parent].owner if d.parent >= 0 and defs[d.parent].kind == DefKind.EXTENSION else ())
        if d.kind == DefKind.METHOD and owner and not d.declaration:
            yield (owner[-1], d.name), i


_CONTAINERS = frozenset({ITEM_PART, SEQUENCE_PART, MAPPING_PART})

_BUILTIN_TYPES = frozenset(f"builtins.{t}" for t in (
    "str", "bytes", "bytearray", "int", "float", "complex", "bool", "list", "tuple", "dict", "set",
    "frozenset"))
"""Python builtins whose call returns an instance of themselves."""

_NOT_A_TYPE = frozenset({"typing.Any", "typing_extensions.Any", "builtins.object", "object"})
"""External annotations that say nothing about an argument's members."""


def _star_exports(spec: LanguageSpec, name: str) -> bool:
    """Whether a wildcard import can bind ``name``: Python's ``from m import *`` skips names
    starting with an underscore (``__all__`` is not read)."""
    return not (spec.module_system == "python" and name.startswith("_"))


def _inherit(value: Value, via: Value) -> Value:
    return value._replace(inferred=True) if via.inferred and not value.inferred else value


_RANK = {Resolution.EXACT: 0, Resolution.INFERRED: 1, Resolution.EXTERNAL: 2, Resolution.UNRESOLVED: 3, None: 4}


def _add(edges: dict[tuple[str, str, str], Edge], edge: Edge) -> None:
    key = edge.key
    old = edges.get(key)
    if old is None or _RANK[edge.resolution] < _RANK[old.resolution] or (
            _RANK[edge.resolution] == _RANK[old.resolution] and (edge.line or 0) < (old.line or 0)):
        edges[key] = edge
