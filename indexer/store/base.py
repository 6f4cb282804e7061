"""The storage interface every graph backend implements (embedded Kùzu, Neo4j).

Database ids never leave a store: callers speak only in the model's content ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from indexer.model import Edge, Graph, Node


@dataclass(frozen=True, slots=True)
class GraphChange:
    """One atomic update of a stored graph, computed by the indexer from what changed.

    Applied in this order: remove edges, remove nodes (with any edge still attached),
    update nodes (same id, new properties; edges attached to them are kept), add nodes,
    add edges.
    """

    remove_edges: Sequence[tuple[str, str, str]] = ()
    """Edge keys ``(kind, source_id, target_id)``."""
    remove_nodes: Sequence[str] = ()
    update_nodes: Sequence[Node] = ()
    add_nodes: Sequence[Node] = ()
    add_edges: Sequence[Edge] = ()

    @property
    def empty(self) -> bool:
        return not (self.remove_edges or self.remove_nodes or self.update_nodes
                    or self.add_nodes or self.add_edges)


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    truncated: bool = False
    """True when ``max_rows`` cut the rows short."""

    def records(self) -> list[dict[str, Any]]:
        """Rows as objects keyed by column name (the CLI's ``--json`` shape)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class StoreError(Exception):
    """A store could not do what was asked; the message says why and what to do."""


class ReadOnlyViolation(StoreError):
    """A write was attempted through a read-only path."""


class QueryTimeout(StoreError):
    """A query ran past its time limit and was stopped."""

    @classmethod
    def after(cls, timeout_ms: int) -> QueryTimeout:
        return cls(f"the query ran longer than {timeout_ms} ms and was stopped; narrow it (a LIMIT, a shorter "
                   "path bound) and try again")


class GraphStore(Protocol):
    backend: str

    def replace_all(self, nodes: Iterable[Node], edges: Iterable[Edge]) -> None:
        """Drop whatever is stored and bulk-load this graph (batched, never row by row)."""

    def apply(self, change: GraphChange) -> None:
        """Apply an incremental change atomically."""

    def query(self, cypher: str, params: Mapping[str, Any] | None = None, *,
              max_rows: int | None = None, timeout_ms: int | None = None) -> QueryResult:
        """Run parameterised Cypher and return its rows: all of them, or the first
        ``max_rows`` (then ``truncated``); past ``timeout_ms`` the query is stopped and
        :class:`QueryTimeout` raised."""

    def dump(self) -> Graph:
        """Every node and edge, sorted (nodes by id, edges by key): for golden files and export."""

    def get_meta(self, key: str) -> str | None:
        """A value the indexer recorded with ``set_meta`` (schema version, generation)."""

    def set_meta(self, key: str, value: str) -> None: ...

    def compact_if_grown(self) -> bool:
        """Reclaim the space incremental updates left behind, when there is enough of it to
        matter; True when it did. A no-op for a store that manages its own space."""

    def close(self) -> None: ...
