"""The typed data model shared by the indexer, the stores, the queries and the tools.

Lines are 1-based and inclusive everywhere (``start_line``/``end_line``, edge ``line``),
as editors and tracebacks show them.

Ids are derived from content, never from a database:

* repository: ``.``
* directory and file: the repository-relative, ``/``-separated path (``pkg/core.py``)
* class and function: ``path::Qualified.name`` (``pkg/core.py::Engine._log.fmt``); a second
  definition of the same qualified name in one file gets ``#2``, a third ``#3``, in source order
* symbol outside the repository: ``extern::os.path.join``; a name that resolves to nothing:
  ``unresolved::frobnicate``
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SCHEMA_VERSION = 4
"""Bumped whenever the stored graph or index state changes shape; an index made with another
version is rebuilt, never read."""


class NodeKind(StrEnum):
    REPOSITORY = "repository"
    DIRECTORY = "directory"
    FILE = "file"
    CLASS = "class"
    FUNCTION = "function"
    METHOD = "method"
    EXTERNAL = "external"
    UNRESOLVED = "unresolved"


class Label(StrEnum):
    """Database label (node table) of a node. Methods are ``Function`` nodes of kind ``method``;
    external and unresolved names are ``Symbol`` nodes."""

    REPOSITORY = "Repository"
    DIRECTORY = "Directory"
    FILE = "File"
    CLASS = "Class"
    FUNCTION = "Function"
    SYMBOL = "Symbol"


LABEL_OF_KIND: dict[NodeKind, Label] = {
    NodeKind.REPOSITORY: Label.REPOSITORY,
    NodeKind.DIRECTORY: Label.DIRECTORY,
    NodeKind.FILE: Label.FILE,
    NodeKind.CLASS: Label.CLASS,
    NodeKind.FUNCTION: Label.FUNCTION,
    NodeKind.METHOD: Label.FUNCTION,
    NodeKind.EXTERNAL: Label.SYMBOL,
    NodeKind.UNRESOLVED: Label.SYMBOL,
}


class EdgeKind(StrEnum):
    CONTAINS = "CONTAINS"
    IMPORTS = "IMPORTS"
    CALLS = "CALLS"
    INHERITS = "INHERITS"
    REFERENCES = "REFERENCES"


class Resolution(StrEnum):
    """How an edge's target was found, best first; tools filter on it for confidence."""

    EXACT = "exact"
    """Through lexical scope, imports, ``self``/``cls``/``super()`` or the class hierarchy."""
    INFERRED = "inferred"
    """Through a guessed type: a local variable bound to a constructor call, or an annotation."""
    EXTERNAL = "external"
    """A name imported from outside the repository (stdlib, third party, builtins)."""
    UNRESOLVED = "unresolved"
    """Nothing in scope defines the name; kept by name, never guessed."""


class FileStatus(StrEnum):
    OK = "ok"
    PARTIAL = "partial"
    """Parsed with syntax errors: what tree-sitter recovered is in the graph."""
    SKIPPED = "skipped"
    """Not parsed (binary, too large, unreadable); ``error`` says why."""


@dataclass(frozen=True, slots=True)
class Node:
    """A vertex of the code graph. Unused fields stay ``None`` (e.g. a directory has no lines)."""

    id: str
    kind: NodeKind
    name: str
    path: str
    qualname: str = ""
    start_line: int | None = None
    end_line: int | None = None
    signature: str | None = None
    doc: str | None = None
    """First line of the docstring."""
    language: str | None = None
    status: FileStatus | None = None
    error: str | None = None

    @property
    def label(self) -> Label:
        return LABEL_OF_KIND[self.kind]


@dataclass(frozen=True, slots=True)
class Edge:
    """A directed, typed relation. One edge per (kind, source, target): ``line`` is the first
    line where it occurs, ``name`` the expression as written there (``m.f``, ``os.path.join``)."""

    kind: EdgeKind
    source: str
    target: str
    line: int | None = None
    resolution: Resolution | None = None
    name: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.source, self.target)


NODE_COLUMNS: tuple[str, ...] = (
    "id", "kind", "name", "path", "qualname", "start_line", "end_line",
    "signature", "doc", "language", "status", "error",
)
EDGE_COLUMNS: tuple[str, ...] = ("line", "resolution", "name")

# Which labels each edge kind may connect; both backends declare exactly these.
EDGE_ENDPOINTS: dict[EdgeKind, tuple[tuple[Label, Label], ...]] = {
    EdgeKind.CONTAINS: (
        (Label.REPOSITORY, Label.DIRECTORY), (Label.REPOSITORY, Label.FILE),
        (Label.DIRECTORY, Label.DIRECTORY), (Label.DIRECTORY, Label.FILE),
        (Label.FILE, Label.CLASS), (Label.FILE, Label.FUNCTION),
        (Label.CLASS, Label.CLASS), (Label.CLASS, Label.FUNCTION),
        (Label.FUNCTION, Label.CLASS), (Label.FUNCTION, Label.FUNCTION),
    ),
    EdgeKind.IMPORTS: tuple(
        (Label.FILE, t) for t in (Label.FILE, Label.CLASS, Label.FUNCTION, Label.SYMBOL)
    ),
    EdgeKind.CALLS: tuple(
        (s, t)
        for s in (Label.FILE, Label.CLASS, Label.FUNCTION)
        for t in (Label.CLASS, Label.FUNCTION, Label.SYMBOL)
    ),
    EdgeKind.REFERENCES: tuple(
        (s, t)
        for s in (Label.FILE, Label.CLASS, Label.FUNCTION)
        for t in (Label.CLASS, Label.FUNCTION)
    ),
    EdgeKind.INHERITS: ((Label.CLASS, Label.CLASS), (Label.CLASS, Label.SYMBOL)),
}


def code_id(path: str, qualname: str) -> str:
    return f"{path}::{qualname}"


def external_id(qualified: str) -> str:
    return f"extern::{qualified}"


def unresolved_id(name: str) -> str:
    return f"unresolved::{name}"


REPOSITORY_ID = "."


@dataclass(frozen=True, slots=True)
class Graph:
    """A whole graph or one file's share of it, as plain sorted-able values."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
