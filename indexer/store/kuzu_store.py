"""The embedded graph store: a Kùzu database file holding the model's nodes and edges.

One node table per :class:`Label` and one relationship table per :class:`EdgeKind` (declared
with every FROM/TO pair of ``EDGE_ENDPOINTS``), plus a ``Meta`` key/value table for index
state such as the schema version. Bulk writes go through ``COPY ... FROM`` a pyarrow table;
row-by-row ``CREATE`` of edges is orders of magnitude slower and is never used.
"""

from __future__ import annotations

# Kùzu's pyarrow scan calls ``importlib.util`` without importing it; importing it here first
# avoids "module 'importlib' has no attribute 'util'" on COPY FROM an arrow table.
import importlib.util  # noqa: F401  (imported for its side effect, see above)
import logging
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import kuzu
import pyarrow as pa

from indexer.model import (
    EDGE_COLUMNS,
    EDGE_ENDPOINTS,
    NODE_COLUMNS,
    Edge,
    EdgeKind,
    FileStatus,
    Graph,
    Label,
    Node,
    NodeKind,
    Resolution,
)
from indexer.store.base import GraphChange, QueryResult, QueryTimeout, ReadOnlyViolation, StoreError
from indexer.store.checks import group_edges, ids_referenced

log = logging.getLogger(__name__)

_INT_COLUMNS = frozenset({"start_line", "end_line", "line"})
_META_TABLE = "Meta"
_COMPACT_BASE_KEY = "compact_base_bytes"
"""Meta key: the database's size after its last full write, the base of ``compact_if_grown``."""
COMPACT_RATIO = 4
COMPACT_MIN_BYTES = 64 << 20
_EdgeGroup = tuple[EdgeKind, Label, Label]
_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    **{label.value: NODE_COLUMNS for label in Label},
    **{kind.value: EDGE_COLUMNS for kind in EdgeKind},
    _META_TABLE: ("key", "value"),
}


def _column_type(column: str) -> str:
    return "INT64" if column in _INT_COLUMNS else "STRING"


def _arrow_type(column: str) -> pa.DataType:
    return pa.int64() if column in _INT_COLUMNS else pa.string()


def schema_statements(meta: bool = True) -> list[str]:
    """The DDL creating every missing table, node tables before relationship tables, and the
    ``Meta`` table unless ``meta`` is false."""
    node_cols = ", ".join(
        f"{c} {_column_type(c)}{' PRIMARY KEY' if c == 'id' else ''}" for c in NODE_COLUMNS
    )
    edge_cols = ", ".join(f"{c} {_column_type(c)}" for c in EDGE_COLUMNS)
    statements = [f"CREATE NODE TABLE IF NOT EXISTS {label.value}({node_cols})" for label in Label]
    for kind, pairs in EDGE_ENDPOINTS.items():
        ends = ", ".join(f"FROM {src.value} TO {dst.value}" for src, dst in pairs)
        statements.append(f"CREATE REL TABLE IF NOT EXISTS {kind.value}({ends}, {edge_cols})")
    if meta:
        statements.append(f"CREATE NODE TABLE IF NOT EXISTS {_META_TABLE}"
                          "(key STRING PRIMARY KEY, value STRING)")
    return statements


def _node_table(nodes: Sequence[Node]) -> pa.Table:
    """Nodes as an arrow table whose columns are NODE_COLUMNS in order (COPY maps by position)."""
    return pa.table({
        column: pa.array([_cell(getattr(node, column)) for node in nodes], _arrow_type(column))
        for column in NODE_COLUMNS
    })


def _wal_path(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def remove_database(path: Path, *, keep_main: bool = False) -> None:
    """Delete a Kùzu database's files: its write-ahead log and, unless ``keep_main``, the
    database itself (a file, or a directory in older layouts)."""
    for p in ([] if keep_main else [path]) + [_wal_path(path)]:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def _edge_table(edges: Sequence[Edge]) -> pa.Table:
    """Edges as an arrow table: ``from``, ``to``, then EDGE_COLUMNS in order."""
    data: dict[str, pa.Array] = {
        "from": pa.array([e.source for e in edges], pa.string()),
        "to": pa.array([e.target for e in edges], pa.string()),
    }
    for column in EDGE_COLUMNS:
        data[column] = pa.array([_cell(getattr(e, column)) for e in edges], _arrow_type(column))
    return pa.table(data)


def _cell(value: object) -> object:
    # StrEnum members are str already; plain str() keeps arrow from seeing an Enum subclass.
    return str(value) if isinstance(value, str) else value


def _plain(value: Any) -> Any:
    """A Kùzu result value with database internals removed.

    Nodes and relationships become dicts of their properties plus ``label`` (node table or
    relationship type); paths become lists alternating node, relationship, node, ...
    """
    if isinstance(value, dict):
        if "_nodes" in value and "_rels" in value:
            nodes = [_plain(n) for n in value["_nodes"]]
            rels = [_plain(r) for r in value["_rels"]]
            path: list[Any] = []
            for index, node in enumerate(nodes):
                path.append(node)
                if index < len(rels):
                    path.append(rels[index])
            return path
        if "_label" in value and ("_id" in value or "_src" in value):
            # An unlabeled variable carries the columns of every table it may bind to.
            columns = _TABLE_COLUMNS.get(value["_label"])
            plain = {"label": value["_label"]}
            plain.update({k: _plain(v) for k, v in value.items()
                          if not k.startswith("_") and (columns is None or k in columns)})
            return plain
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class KuzuStore:
    """A :class:`GraphStore` on an embedded Kùzu database file.

    Opening creates the file and any missing table unless ``read_only``; a read-only store
    opens the database read-only, so Kùzu itself refuses writes. Every Kùzu failure surfaces
    as :class:`StoreError` carrying Kùzu's message.
    """

    backend = "kuzu"

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise StoreError(f"No index at {self.path}: build one first (read-only open).")
        try:
            self._db = kuzu.Database(str(self.path), read_only=read_only)
            self._conn = kuzu.Connection(self._db)
        except RuntimeError as exc:
            raise StoreError(
                f"Cannot open the Kùzu database {self.path} with kuzu {kuzu.__version__}: {exc}. "
                "The file is corrupt or was written by an incompatible Kùzu version; "
                "delete it and re-index."
            ) from exc
        try:
            if read_only:
                self._check_tables()
            else:
                self._run_all(schema_statements())
        except StoreError:
            self.close()
            raise

    # -- GraphStore --------------------------------------------------------------------

    def replace_all(self, nodes: Iterable[Node], edges: Iterable[Edge]) -> None:
        """Drop every stored node and edge (``Meta`` is kept) and bulk-load this graph in one
        transaction; on failure the previous graph stays and :class:`StoreError` is raised."""
        self._require_writable("replace_all")
        node_list = list(nodes)
        labels = {node.id: node.label for node in node_list}
        if len(labels) != len(node_list):
            raise StoreError(f"replace_all: duplicate node ids ({len(node_list) - len(labels)}).")
        edge_groups = group_edges(list(edges), labels)
        drops = [f"DROP TABLE IF EXISTS {kind.value}" for kind in EdgeKind]
        drops += [f"DROP TABLE IF EXISTS {label.value}" for label in Label]
        creates = schema_statements(meta=False)

        def load() -> None:
            for statement in drops + creates:
                self._execute(statement)
            self._copy_nodes(node_list)
            self._copy_edges(edge_groups)

        self._in_transaction(load, what="replace_all")
        self.set_meta(_COMPACT_BASE_KEY, "0")  # measured at the next compact_if_grown, once written
        log.info("replaced graph in %s: %d nodes, %d edges",
                 self.path, len(node_list), sum(len(g) for g in edge_groups.values()))

    def apply(self, change: GraphChange) -> None:
        """Apply ``change`` in one transaction, in the order its docstring gives.

        Removing an edge or node that is not stored is a no-op; updating a node that is not
        stored, or giving it another label, adding an id or edge key that exists, or an edge
        to an unknown node raises :class:`StoreError` and nothing is changed.
        """
        self._require_writable("apply")
        if change.empty:
            return
        self._in_transaction(lambda: self._apply(change), what="apply")

    def query(self, cypher: str, params: Mapping[str, Any] | None = None, *,
              max_rows: int | None = None, timeout_ms: int | None = None) -> QueryResult:
        """Run one Cypher statement; columns are its RETURN aliases, values plain Python
        (nodes and relationships as property dicts with ``label``, paths as lists). At most
        ``max_rows`` rows are read (``truncated`` says more were there); a query running past
        ``timeout_ms`` is interrupted by Kùzu and raises :class:`QueryTimeout`."""
        if timeout_ms:
            self._conn.set_query_timeout(timeout_ms)
        try:
            result = self._execute(cypher, params)
        except StoreError as exc:
            if timeout_ms and "interrupted" in str(exc).lower():
                raise QueryTimeout.after(timeout_ms) from exc
            raise
        finally:
            if timeout_ms:
                self._conn.set_query_timeout(0)
        if max_rows is None:
            rows = cast(list[list[Any]], result.get_all())
            truncated = False
        else:
            rows = []
            while len(rows) < max_rows and result.has_next():
                rows.append(cast(list[Any], result.get_next()))
            truncated = result.has_next()
        columns = list(result.get_column_names())
        result.close()
        return QueryResult(columns=columns, rows=[[_plain(v) for v in row] for row in rows], truncated=truncated)

    def dump(self) -> Graph:
        """Every node and edge, nodes sorted by id, edges by (kind, source, target)."""
        node_cols = ", ".join(f"n.{c}" for c in NODE_COLUMNS)
        nodes: list[Node] = []
        for label in Label:
            for row in self._fetch(f"MATCH (n:{label.value}) RETURN {node_cols}"):
                nodes.append(_node_from_row(row))
        edge_cols = ", ".join(f"r.{c}" for c in EDGE_COLUMNS)
        edges: list[Edge] = []
        for kind in EdgeKind:
            cypher = f"MATCH (a)-[r:{kind.value}]->(b) RETURN a.id, b.id, {edge_cols}"
            for source, target, line, resolution, name in self._fetch(cypher):
                edges.append(Edge(kind, source, target, line,
                                  None if resolution is None else Resolution(resolution), name))
        nodes.sort(key=lambda n: n.id)
        edges.sort(key=lambda e: e.key)
        return Graph(nodes=tuple(nodes), edges=tuple(edges))

    def close(self) -> None:
        """Release the database; the store cannot be used afterwards."""
        self._conn.close()
        self._db.close()

    def compact_if_grown(self) -> bool:
        """Rewrite the database into a new file when it has grown to ``COMPACT_RATIO`` times
        its size after the last full write (and by ``COMPACT_MIN_BYTES``): Kùzu 0.11 does not
        reuse the pages an update frees, so a file updated incrementally only grows, and its
        commits slow down with it (sympy's, 61 MB fresh, reached 1.8 GB and 2-3 s per commit
        after a few hundred updates). Seconds on a large graph, once in many updates. True
        when it compacted. The store stays open and usable either way."""
        self._require_writable("compact")
        size = self._file_bytes()
        base = int(self.get_meta(_COMPACT_BASE_KEY) or 0)
        if base <= 0:
            self.set_meta(_COMPACT_BASE_KEY, str(size))
            return False
        if size < base * COMPACT_RATIO or size - base < COMPACT_MIN_BYTES:
            return False
        started = time.perf_counter()
        graph = self.dump()
        meta = {row[0]: row[1] for row in self._fetch(f"MATCH (m:{_META_TABLE}) RETURN m.key, m.value")}
        fresh_path = self.path.with_name(f".{self.path.name}.compact")
        remove_database(fresh_path)
        try:
            with KuzuStore(fresh_path) as fresh:
                fresh.replace_all(graph.nodes, graph.edges)
                for key, value in meta.items():
                    if key != _COMPACT_BASE_KEY:
                        fresh.set_meta(key, value)
            self.close()
            remove_database(self.path, keep_main=True)
            os.replace(fresh_path, self.path)
        finally:
            remove_database(fresh_path)
        self._db = kuzu.Database(str(self.path))
        self._conn = kuzu.Connection(self._db)
        compacted = self._file_bytes()
        self.set_meta(_COMPACT_BASE_KEY, str(compacted))
        log.info("compacted %s from %.0f MB to %.0f MB in %.1f s", self.path, size / 1e6, compacted / 1e6,
                 time.perf_counter() - started)
        return True

    def _file_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path, _wal_path(self.path)) if p.is_file())

    def __enter__(self) -> KuzuStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- index state -------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """The value stored under ``key`` in ``Meta``, or None when it was never set."""
        rows = self._fetch(f"MATCH (m:{_META_TABLE} {{key: $key}}) RETURN m.value",
                           {"key": key})
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` in ``Meta``, replacing any previous value."""
        self._require_writable("set_meta")
        self._execute(f"MERGE (m:{_META_TABLE} {{key: $key}}) SET m.value = $value",
                      {"key": key, "value": value})

    # -- internals ---------------------------------------------------------------------

    def _execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> kuzu.QueryResult:
        try:
            result = self._conn.execute(cypher, dict(params or {}))
        except RuntimeError as exc:
            raise StoreError(f"Kùzu: {exc}") from exc
        if isinstance(result, list):  # several statements: keep the last one's rows
            for earlier in result[:-1]:
                earlier.close()
            result = result[-1]
        return result

    def _require_writable(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyViolation(f"{what}: the store at {self.path} was opened read-only")

    def _fetch(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        return cast(list[list[Any]], self._execute(cypher, params).get_all())

    def _run_all(self, statements: Iterable[str]) -> None:
        for statement in statements:
            self._execute(statement)

    def _check_tables(self) -> None:
        rows = self._fetch("CALL show_tables() RETURN name")
        missing = {label.value for label in Label} | {kind.value for kind in EdgeKind}
        missing.add(_META_TABLE)
        missing -= {row[0] for row in rows}
        if missing:
            raise StoreError(f"{self.path} is not a repolens index (missing tables: "
                             f"{', '.join(sorted(missing))}); re-index it.")

    def _in_transaction(self, work: Callable[[], None], what: str) -> None:
        self._execute("BEGIN TRANSACTION")
        try:
            work()
            self._execute("COMMIT")
        except Exception as exc:
            self._rollback()
            raise StoreError(f"{what} failed and was rolled back: {exc}") from exc
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # Kùzu rolls a transaction back by itself when a statement in it fails.
        try:
            self._conn.execute("ROLLBACK")
        except RuntimeError as exc:
            log.debug("rollback: %s", exc)

    def _apply(self, change: GraphChange) -> None:
        known = self._labels_of(ids_referenced(change))
        self._remove_edges(change.remove_edges, known)
        self._remove_nodes(change.remove_nodes, known)
        for node_id in change.remove_nodes:
            known.pop(node_id, None)
        self._update_nodes(change.update_nodes, known)
        for node in change.add_nodes:
            if node.id in known:
                raise StoreError(f"cannot add node {node.id!r}: it exists")
            known[node.id] = node.label
        self._copy_nodes(change.add_nodes)
        groups = group_edges(change.add_edges, known)
        self._refuse_existing_edges(groups)
        self._copy_edges(groups)

    def _labels_of(self, ids: set[str]) -> dict[str, Label]:
        """Label of each of ``ids`` that is stored."""
        if not ids:
            return {}
        # one primary-key lookup per id over every node table: a scan per label cost 8x more
        labels = {label.value: label for label in Label}
        rows = self._fetch("UNWIND $ids AS i MATCH (n {id: i}) RETURN n.id, label(n)", {"ids": sorted(ids)})
        return {row[0]: labels[row[1]] for row in rows if row[1] in labels}

    def _remove_edges(self, keys: Sequence[tuple[str, str, str]],
                      known: Mapping[str, Label]) -> None:
        groups: dict[_EdgeGroup, list[dict[str, str]]] = defaultdict(list)
        for kind, source, target in keys:
            if source in known and target in known:
                groups[(EdgeKind(kind), known[source], known[target])].append(
                    {"s": source, "t": target})
        for (kind, src, dst), rows in groups.items():
            self._execute(f"UNWIND $rows AS r MATCH (a:{src.value} {{id: r.s}})"
                          f"-[e:{kind.value}]->(b:{dst.value} {{id: r.t}}) DELETE e",
                          {"rows": rows})

    def _remove_nodes(self, ids: Sequence[str], known: Mapping[str, Label]) -> None:
        by_label: dict[Label, list[str]] = defaultdict(list)
        for node_id in ids:
            if node_id in known:
                by_label[known[node_id]].append(node_id)
        for label, group in by_label.items():
            self._execute(f"MATCH (n:{label.value}) WHERE n.id IN $ids DETACH DELETE n",
                          {"ids": group})

    def _update_nodes(self, nodes: Sequence[Node], known: Mapping[str, Label]) -> None:
        by_label: dict[Label, list[Node]] = defaultdict(list)
        for node in nodes:
            if known.get(node.id) is None:
                raise StoreError(f"cannot update node {node.id!r}: it is not stored")
            if known[node.id] != node.label:
                raise StoreError(f"cannot update node {node.id!r} from {known[node.id]} to "
                                 f"{node.label}: remove it and add it instead")
            by_label[node.label].append(node)
        columns = [c for c in NODE_COLUMNS if c != "id"]
        for label, group in by_label.items():
            # Only the columns that changed are set: setting a string column, even to its
            # value, rewrites its pages at the next checkpoint and Kùzu 0.11 does not reuse the
            # old ones (sympy: a file's 37 functions set in full grew the file by 17 MB and cost
            # 0.25 s per commit; their line numbers alone, nothing and 0.03 s).
            stored = {row[0]: row[1:] for row in self._fetch(
                f"UNWIND $ids AS i MATCH (n:{label.value} {{id: i}}) RETURN n.id, "
                + ", ".join(f"n.{c}" for c in columns), {"ids": [n.id for n in group]})}
            by_change: dict[tuple[str, ...], list[dict[str, object]]] = defaultdict(list)
            for node in group:
                new = {c: _cell(getattr(node, c)) for c in columns}
                old = stored.get(node.id)
                changed = tuple(c for n, c in enumerate(columns) if old is None or new[c] != old[n])
                if changed:
                    by_change[changed].append({"id": node.id, **{c: new[c] for c in changed}})
            for changed, rows in by_change.items():
                # A column that is null in every row arrives untyped (as STRING): cast the integers.
                assignments = ", ".join(f"n.{c} = CAST(r.{c} AS INT64)" if c in _INT_COLUMNS else f"n.{c} = r.{c}"
                                        for c in changed)
                self._execute(f"UNWIND $rows AS r MATCH (n:{label.value} {{id: r.id}}) SET {assignments}",
                              {"rows": rows})

    def _copy_nodes(self, nodes: Sequence[Node]) -> None:
        by_label: dict[Label, list[Node]] = defaultdict(list)
        for node in nodes:
            by_label[node.label].append(node)
        for label, group in by_label.items():
            self._execute(f"COPY {label.value} FROM $data", {"data": _node_table(group)})

    def _refuse_existing_edges(self, groups: Mapping[_EdgeGroup, Sequence[Edge]]) -> None:
        # Looked up by source ids and compared here: an UNWIND ... MATCH by both ends is
        # minutes slow in Kùzu 0.11 on thousands of rows.
        for (kind, src, dst), edges in groups.items():
            wanted = {(e.source, e.target) for e in edges}
            rows = self._fetch(
                f"MATCH (a:{src.value})-[:{kind.value}]->(b:{dst.value}) WHERE a.id IN $ids RETURN a.id, b.id",
                {"ids": sorted({s for s, _ in wanted})})
            clash = sorted(wanted.intersection((a, b) for a, b in rows))
            if clash:
                raise StoreError(f"cannot add edge {(kind.value, *clash[0])}: it exists")

    def _copy_edges(self, groups: Mapping[_EdgeGroup, Sequence[Edge]]) -> None:
        for (kind, src, dst), edges in groups.items():
            self._execute(f"COPY {kind.value} FROM $data (from='{src.value}', to='{dst.value}')",
                          {"data": _edge_table(edges)})


def _node_from_row(row: Sequence[Any]) -> Node:
    values = dict(zip(NODE_COLUMNS, row, strict=True))
    status = values.pop("status")
    return Node(
        **{**values, "kind": NodeKind(values["kind"]),
           "status": None if status is None else FileStatus(status)},
    )
