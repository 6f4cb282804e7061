"""The symbol table: lookups from names as issues write them (``sort_key``, ``Basic.sort_key``,
``sympy.core.basic``, ``core/basic.py``) to graph node ids.

It is kept per file, so re-indexing a file replaces that file's entries and nothing else, and
every list is kept sorted by id: a table updated file by file equals one built at once.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import uuid
from collections.abc import Iterable

from indexer.model import Edge, EdgeKind, Node, NodeKind

CODE_KINDS = (NodeKind.CLASS, NodeKind.FUNCTION, NodeKind.METHOD)

MAX_QUAL_SUFFIX_PARTS = 4
"""The longest qualified-name suffix looked up by name (``pkg.Outer.Inner.method``)."""

_EMPTY: list[str] = []
_STATE = ("by_name", "by_qual_suffix", "by_path_suffix", "files", "kind", "path_of", "_modules", "_imports", "_owned",
          "definitions", "token")


class SymbolTable:
    """Name lookups over the definitions of every file added (``add_file``)."""

    def __init__(self) -> None:
        self.by_name: dict[str, list[str]] = {}
        """Bare name -> ids of the classes, functions and methods so named."""
        self.by_qual_suffix: dict[str, list[str]] = {}
        """``Class.method`` (up to MAX_QUAL_SUFFIX_PARTS parts) -> ids."""
        self.by_path_suffix: dict[str, list[str]] = {}
        """``core/basic.py``, ``basic.py`` -> file ids."""
        self.files: dict[str, str] = {}
        self.kind: dict[str, NodeKind] = {}
        self.path_of: dict[str, str] = {}
        self._modules: dict[str, list[str]] = {}
        self._imports: dict[str, list[tuple[str, str]]] = {}
        self._owned: dict[str, tuple[list[str], list[tuple[str, str, str]]]] = {}
        self.definitions = 0
        self.token = uuid.uuid4().hex
        """Names the table's content: a copy keeps it until ``changed``; a saved table whose
        token is this one need not be written again."""
        self._shared = False
        """Lists may be shared with a copy: written only after copying (``_writable``)."""
        self._own: set[tuple[str, str]] = set()

    @classmethod
    def build(cls, files: Iterable[tuple[str, Iterable[Node], Iterable[Edge]]]) -> SymbolTable:
        """The table of ``(path, nodes, edges)`` per file."""
        table = cls()
        for path, nodes, edges in files:
            table.add_file(path, nodes, edges)
        return table

    # -- updating --------------------------------------------------------------------------
    def add_file(self, path: str, nodes: Iterable[Node], edges: Iterable[Edge]) -> None:
        """Add the definitions ``nodes`` of file ``path`` and the names its ``edges`` import
        (replacing what the file had)."""
        self.remove_file(path)
        ids: list[str] = []
        keys: list[tuple[str, str, str]] = []
        for n in nodes:
            ids.append(n.id)
            self.kind[n.id] = n.kind
            self.path_of[n.id] = n.path
            if n.kind == NodeKind.FILE:
                self.files[n.path] = n.id
                parts = n.path.split("/")
                keys.extend(("path", "/".join(parts[i:]), n.id) for i in range(len(parts)))
                keys.extend(("module", module, n.id) for module in module_names(n.path))
            elif n.kind in CODE_KINDS:
                self.definitions += 1
                keys.append(("name", n.name, n.id))
                q = n.qualname.split(".")
                # issues name ``Class.method`` or ``mod.Class.method``, not deeper paths; the cap
                # keeps the table linear in the code's size however deep definitions nest
                keys.extend(("qual", ".".join(q[i:]), n.id)
                            for i in range(max(0, len(q) - MAX_QUAL_SUFFIX_PARTS), len(q) - 1))
        for table, key, node_id in keys:
            bisect.insort(self._writable(table, key), node_id)
        # what a module re-exports: ``from .api import get`` in requests/__init__.py makes
        # ``requests.get`` name requests/api.py::get
        self._imports[path] = [(e.name, e.target) for e in edges
                               if e.kind == EdgeKind.IMPORTS and e.name and e.source == path]
        self._owned[path] = (ids, keys)

    def remove_file(self, path: str) -> None:
        """Forget everything ``add_file(path, ...)`` added."""
        owned = self._owned.pop(path, None)
        self._imports.pop(path, None)
        if owned is None:
            return
        ids, keys = owned
        for table, key, node_id in keys:
            found = self._writable(table, key)
            del found[bisect.bisect_left(found, node_id)]
            if not found:
                del self._table(table)[key]
        for node_id in ids:
            if self.kind.pop(node_id, None) in CODE_KINDS:
                self.definitions -= 1
            self.path_of.pop(node_id, None)
        if self.files.get(path) == path:
            del self.files[path]

    def copy(self) -> SymbolTable:
        """An independent copy, to update while readers use this one."""
        other = SymbolTable()
        # the lists stay shared until one is written (see _writable): copying is cheap
        other.by_name = dict(self.by_name)
        other.by_qual_suffix = dict(self.by_qual_suffix)
        other.by_path_suffix = dict(self.by_path_suffix)
        other._modules = dict(self._modules)
        other._shared = True
        other.files = dict(self.files)
        other.kind = dict(self.kind)
        other.path_of = dict(self.path_of)
        other._imports = dict(self._imports)
        other._owned = dict(self._owned)
        other.definitions = self.definitions
        other.token = self.token
        return other

    @staticmethod
    def file_key(path: str, nodes: Iterable[Node], edges: Iterable[Edge]) -> str:
        """A digest of what ``add_file(path, nodes, edges)`` records: a file whose key did not
        change leaves the table as it was."""
        recorded = ([(n.id, n.kind.value, n.path, n.name, n.qualname) for n in nodes],
                    [(e.name, e.target) for e in edges if e.kind == EdgeKind.IMPORTS and e.name and e.source == path])
        return hashlib.blake2b(repr(recorded).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def changed(self) -> None:
        """Say that the content changed: a new ``token``."""
        self.token = uuid.uuid4().hex

    def __getstate__(self) -> dict[str, object]:
        # kinds as plain strings: pickle reduces every enum member with a Python call
        state = {name: getattr(self, name) for name in _STATE}
        state["kind"] = {k: v.value for k, v in self.kind.items()}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__()  # type: ignore[misc]
        for name in _STATE:
            setattr(self, name, state[name])
        kinds = {k.value: k for k in NodeKind}
        self.kind = {k: kinds[v] for k, v in self.kind.items()}
        self._shared = False

    def _writable(self, table: str, key: str) -> list[str]:
        """The list at ``key`` of ``table``, made this table's own first if it may be shared
        with a copy."""
        entries = self._table(table)
        found = entries.get(key)
        if found is None:
            found = entries[key] = []
            if self._shared:
                self._own.add((table, key))
        elif self._shared and (table, key) not in self._own:
            found = entries[key] = list(found)
            self._own.add((table, key))
        return found

    def _table(self, name: str) -> dict[str, list[str]]:
        return {"name": self.by_name, "qual": self.by_qual_suffix, "path": self.by_path_suffix,
                "module": self._modules}[name]

    # -- lookups ---------------------------------------------------------------------------
    def names(self, name: str) -> list[str]:
        """Ids of the definitions named ``name``, sorted."""
        return self.by_name.get(name, _EMPTY)

    def module(self, dotted: str) -> str | None:
        """The file a dotted module name (``sympy.core.basic``, ``core.basic``) names: the
        first by path when several do."""
        found = self._modules.get(dotted)
        return found[0] if found else None

    def export(self, file_id: str, name: str) -> str | None:
        """The definition module ``file_id`` imports as ``name`` (its first such import)."""
        for imported, target in self._imports.get(file_id, ()):
            if imported == name and self.kind.get(target) in CODE_KINDS:
                return target
        return None

    @staticmethod
    def qualname_of(node_id: str) -> str:
        return node_id.split("::", 1)[1].split("#", 1)[0] if "::" in node_id else ""

    def rarity(self, count: int) -> float:
        """1.0 for a unique name, falling towards 0 as more definitions share it."""
        return 1.0 / (1.0 + math.log(count)) if count else 0.0


def module_names(path: str) -> list[str]:
    """The dotted names a file answers to: ``sympy/core/basic.py`` is ``sympy.core.basic``,
    ``core.basic`` and ``basic``; a package's ``__init__.py`` is the package."""
    stem = path.rsplit(".", 1)[0]
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    parts = stem.split("/")
    return [".".join(parts[i:]) for i in range(len(parts)) if parts[i:]]
