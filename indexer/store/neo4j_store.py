"""The Neo4j graph store: one repository's graph in a Neo4j database that several repositories
may share, over Bolt with the official ``neo4j`` driver.

Layout. Every node carries the shared label ``RepolensNode`` besides its model label
(``File``, ``Class``, ...), a ``repo`` property naming its repository, and the model's
properties (``None`` is not stored). ``(repo, id)`` is unique: a uniqueness constraint where
the server has them, else an index, else nothing but a warning (see ``_SCHEMA``). A
relationship's type is its :class:`EdgeKind`, its properties ``line``, ``resolution`` and
``name``; relationships only ever join nodes of one repository. Index state such as the
schema version lives in ``(:RepolensMeta {repo, key, value})``, outside the graph labels.

Scope. :meth:`Neo4jStore.query` runs Cypher written for a one-repository graph (the named
queries, unchanged): :func:`~indexer.store.cypher_scope.scope_patterns` adds the shared label
and ``repo: $repolens_repo`` to every node pattern of every MATCH, and the store binds the
parameter. Results look exactly like :class:`~indexer.store.kuzu_store.KuzuStore`'s.

Writes go in batches of ``batch_size`` rows through ``UNWIND $rows`` in managed transactions,
which the driver retries on transient errors and lost connections. :meth:`Neo4jStore.apply`
is one transaction; :meth:`Neo4jStore.replace_all` is one transaction per batch, so a failure
part-way leaves a partial graph (callers record completion in meta, as the pipeline's
``generation`` does, and reload).
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import neo4j
from neo4j.exceptions import DriverError, Neo4jError
from neo4j.graph import Node as GraphNode
from neo4j.graph import Path as GraphPath
from neo4j.graph import Relationship as GraphRelationship

from indexer.model import (
    EDGE_COLUMNS,
    LABEL_OF_KIND,
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
from indexer.store.checks import (
    check_additions,
    check_updates,
    group_edges,
    ids_referenced,
    node_labels,
)
from indexer.store.cypher_scope import scope_patterns

log = logging.getLogger(__name__)

T = TypeVar("T")

BATCH_SIZE = 5_000
NODE_LABEL = "RepolensNode"
META_LABEL = "RepolensMeta"
SCOPE_PARAM = "repolens_repo"
"""The parameter :meth:`Neo4jStore.query` binds to the repository id; callers may not."""

# Each entry: what it is for, then statements to try in order until one succeeds. Neo4j 5
# Community and Enterprise take the constraints; servers without them may take an index.
_SCHEMA: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("node ids", (
        f"CREATE CONSTRAINT repolens_node_key IF NOT EXISTS FOR (n:{NODE_LABEL}) "
        "REQUIRE (n.repo, n.id) IS UNIQUE",
        f"CREATE INDEX repolens_node_key IF NOT EXISTS FOR (n:{NODE_LABEL}) ON (n.repo, n.id)",
    )),
    ("nodes by repository", (
        f"CREATE INDEX repolens_node_repo IF NOT EXISTS FOR (n:{NODE_LABEL}) ON (n.repo)",
    )),
    ("meta keys", (
        f"CREATE CONSTRAINT repolens_meta_key IF NOT EXISTS FOR (m:{META_LABEL}) "
        "REQUIRE (m.repo, m.key) IS UNIQUE",
        f"CREATE INDEX repolens_meta_key IF NOT EXISTS FOR (m:{META_LABEL}) ON (m.repo, m.key)",
    )),
)
_warned: set[tuple[str, str]] = set()

_MATCH_NODE = f"(n:{NODE_LABEL} {{repo: $repo, id: r.id}})"
_MATCH_ENDS = (f"(a:{NODE_LABEL} {{repo: $repo, id: r.s}})",
               f"(b:{NODE_LABEL} {{repo: $repo, id: r.t}})")


class Neo4jStore:
    """A :class:`GraphStore` for repository ``repo`` in a Neo4j database reached at ``uri``.

    ``database`` None means the user's home database. Opening connects, checks the
    credentials and, unless ``read_only``, creates the constraints and indexes the server
    supports. A read-only store refuses writes itself and runs queries in read transactions,
    so the server refuses any write that reaches it. Every failure surfaces as
    :class:`StoreError`; no message ever contains the password.
    """

    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, *, repo: str,
                 database: str | None = None, read_only: bool = False,
                 batch_size: int = BATCH_SIZE) -> None:
        if not repo:
            raise StoreError("Neo4jStore needs a repository id (repo), e.g. the repository's "
                             "name or path")
        if batch_size < 1:
            raise StoreError(f"batch_size must be at least 1, not {batch_size}")
        if _without_userinfo(uri) != uri:
            raise StoreError(f"the Neo4j URI {_without_userinfo(uri)} must not carry a user or "
                             "password: give them as user and password")
        self.uri = uri
        self.user = user
        self.repo = repo
        self.database = database
        self.read_only = read_only
        self.batch_size = batch_size
        self._redact = _redactor(password)
        self._where = f"{_without_userinfo(uri)} (database {database or 'default'})"
        self._driver: neo4j.Driver | None = None
        try:
            self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
            self._driver.verify_connectivity()
        except (Neo4jError, DriverError, ValueError) as exc:
            self.close()
            raise StoreError(self._redact(
                f"Cannot connect to Neo4j at {self._where} as {user!r}: {_reason(exc)}. "
                "Check the URI, user and password, and that the server is running."
            )) from None
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        if not read_only:
            try:
                self._create_schema()
            except StoreError:
                self.close()
                raise

    def __repr__(self) -> str:
        return (f"Neo4jStore(uri={_without_userinfo(self.uri)!r}, user={self.user!r}, "
                f"repo={self.repo!r}, database={self.database!r}, read_only={self.read_only})")

    # -- GraphStore --------------------------------------------------------------------

    def replace_all(self, nodes: Iterable[Node], edges: Iterable[Edge]) -> None:
        """Delete this repository's nodes and edges (other repositories and meta are kept)
        and load this graph, in batches. Bad input raises :class:`StoreError` before
        anything is deleted."""
        self._require_writable("replace_all")
        node_list = list(nodes)
        groups = group_edges(list(edges), node_labels(node_list))
        started = time.monotonic()
        deleted = self._delete_nodes_of_repo()
        cleared = time.monotonic()
        for label, rows in _node_rows(node_list, self.repo).items():
            for batch in _batches(rows, self.batch_size):
                self._write(partial(self._create_nodes, label=label, rows=batch), "replace_all")
        loaded_nodes = time.monotonic()
        edge_count = 0
        for kind, rows in _edge_rows(groups).items():
            edge_count += len(rows)
            for batch in _batches(rows, self.batch_size):
                self._write(partial(self._create_edges, kind=kind, rows=batch), "replace_all")
        log.info("replaced repository %r in %s: deleted %d nodes (%.1f s), loaded %d nodes "
                 "(%.1f s) and %d edges (%.1f s)", self.repo, self._where, deleted,
                 cleared - started, len(node_list), loaded_nodes - cleared, edge_count,
                 time.monotonic() - loaded_nodes)

    def apply(self, change: GraphChange) -> None:
        """Apply ``change`` in one transaction, in the order its docstring gives.

        Removing an edge or node that is not stored is a no-op; updating a node that is not
        stored, or giving it another label, adding an id or edge key that exists, or an edge
        to an unknown node raises :class:`StoreError` and nothing is changed.
        """
        self._require_writable("apply")
        if change.empty:
            return
        try:
            self._write(lambda tx: self._apply(tx, change))
        except StoreError as exc:
            raise StoreError(f"apply failed and was rolled back: {exc}") from exc

    def query(self, cypher: str, params: Mapping[str, Any] | None = None, *,
              max_rows: int | None = None, timeout_ms: int | None = None) -> QueryResult:
        """Run one Cypher statement on this repository's graph (scoped as the module
        docstring says); columns are its RETURN aliases, values plain Python (nodes and
        relationships as property dicts with ``label``, paths as lists), as KuzuStore gives.

        Only MATCH patterns are scoped: nodes made here with CREATE or MERGE belong to no
        repository. Graph writes go through :meth:`replace_all` and :meth:`apply`."""
        bound = dict(params or {})
        if SCOPE_PARAM in bound:
            raise StoreError(f"the parameter ${SCOPE_PARAM} is reserved: the store binds it to "
                             "the repository id")
        bound[SCOPE_PARAM] = self.repo
        scoped = scope_patterns(cypher, label=NODE_LABEL, prop="repo", param=SCOPE_PARAM)

        def work(tx: neo4j.ManagedTransaction) -> QueryResult:
            result = tx.run(scoped, bound)
            columns = list(result.keys())
            rows: list[list[Any]] = []
            truncated = False
            for record in result:
                if max_rows is not None and len(rows) >= max_rows:
                    truncated = True
                    break
                rows.append([_plain(v) for v in record.values()])
            counters = result.consume().counters
            if self.read_only and (counters.contains_updates or counters.contains_system_updates):
                # Neo4j refuses writes in a read transaction itself; servers that do not
                # (ArcadeDB) report what was written, and raising here rolls it back.
                raise ReadOnlyViolation(f"Query refused and rolled back: it wrote ({counters}) "
                                        f"but the store for {self.repo!r} is read-only")
            return QueryResult(columns=columns, rows=rows, truncated=truncated)

        if timeout_ms:
            work = neo4j.unit_of_work(timeout=timeout_ms / 1000)(work)
        try:
            return self._read(work) if self.read_only else self._write(work, "query")
        except StoreError as exc:
            if timeout_ms and re.search(r"timed? ?out|terminated|TransactionTimedOut", str(exc), re.IGNORECASE):
                raise QueryTimeout.after(timeout_ms) from exc
            raise

    def dump(self) -> Graph:
        """This repository's nodes and edges, nodes sorted by id, edges by (kind, source,
        target)."""
        node_cols = ", ".join(f"n.{c}" for c in NODE_COLUMNS)
        edge_cols = ", ".join(f"r.{c}" for c in EDGE_COLUMNS)

        def work(tx: neo4j.ManagedTransaction) -> Graph:
            nodes = [_node_from_row(record.values()) for record in tx.run(
                f"MATCH (n:{NODE_LABEL} {{repo: $repo}}) RETURN {node_cols}", repo=self.repo)]
            edges = [
                Edge(EdgeKind(kind), source, target, line,
                     None if resolution is None else Resolution(resolution), name)
                for kind, source, target, line, resolution, name in (
                    record.values() for record in tx.run(
                        f"MATCH (a:{NODE_LABEL} {{repo: $repo}})-[r]->(b:{NODE_LABEL}) "
                        f"RETURN type(r), a.id, b.id, {edge_cols}", repo=self.repo))
            ]
            nodes.sort(key=lambda n: n.id)
            edges.sort(key=lambda e: e.key)
            return Graph(nodes=tuple(nodes), edges=tuple(edges))

        return self._read(work)

    def compact_if_grown(self) -> bool:
        """The server manages its own space: nothing to do."""
        return False

    def close(self) -> None:
        """Close the driver and its connections; the store cannot be used afterwards."""
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- index state and housekeeping --------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """The value stored under ``key`` for this repository, or None when never set."""
        def work(tx: neo4j.ManagedTransaction) -> str | None:
            record = tx.run(f"MATCH (m:{META_LABEL} {{repo: $repo, key: $key}}) "
                            "RETURN m.value AS value", repo=self.repo, key=key).single()
            return None if record is None else record["value"]

        return self._read(work)

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` for this repository, replacing any previous value."""
        self._require_writable("set_meta")
        self._write(lambda tx: tx.run(
            f"MERGE (m:{META_LABEL} {{repo: $repo, key: $key}}) SET m.value = $value",
            repo=self.repo, key=key, value=value).consume(), "set_meta")

    def drop_repository(self) -> None:
        """Delete everything stored for this repository, meta included (in batches)."""
        self._require_writable("drop_repository")
        self._delete_nodes_of_repo()
        self._write(lambda tx: tx.run(f"MATCH (m:{META_LABEL} {{repo: $repo}}) DELETE m",
                                      repo=self.repo).consume(), "drop_repository")

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def _session(self, access_mode: str) -> Iterator[neo4j.Session]:
        if self._driver is None:
            raise StoreError(f"the store for {self.repo!r} at {self._where} is closed")
        with self._driver.session(database=self.database, default_access_mode=access_mode,
                                  bookmark_manager=self._bookmarks) as session:
            yield session

    def _write(self, work: Callable[[neo4j.ManagedTransaction], T], what: str = "") -> T:
        """``work`` in a write transaction, retried by the driver on transient errors and
        lost connections; any failure rolls it back. ``what`` prefixes error messages."""
        try:
            with self._session(neo4j.WRITE_ACCESS) as session:
                return session.execute_write(work)
        except (Neo4jError, DriverError, ValueError, TypeError, OverflowError) as exc:
            reason = _reason(exc)
            raise StoreError(self._redact(f"{what}: {reason}" if what else reason)) from exc

    def _read(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        """``work`` in a read transaction, which Neo4j refuses to let write."""
        try:
            with self._session(neo4j.READ_ACCESS) as session:
                return session.execute_read(work)
        except Neo4jError as exc:
            if exc.code and exc.code.endswith(".AccessMode"):
                raise ReadOnlyViolation(f"Query refused: {_reason(exc)}") from exc
            raise StoreError(self._redact(_reason(exc))) from exc
        except (DriverError, ValueError, TypeError, OverflowError) as exc:
            raise StoreError(self._redact(_reason(exc))) from exc

    def _require_writable(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyViolation(f"{what}: the store for {self.repo!r} at {self._where} "
                                    "was opened read-only")

    def _create_schema(self) -> None:
        """Constraints and indexes, skipping (with one warning per server) what the server
        does not support. Schema commands run outside explicit transactions."""
        for purpose, statements in _SCHEMA:
            problems: list[str] = []
            for statement in statements:
                try:
                    with self._session(neo4j.WRITE_ACCESS) as session:
                        session.run(statement).consume()
                    break
                except Neo4jError as exc:
                    problems.append(_reason(exc))
                except DriverError as exc:
                    raise StoreError(self._redact(f"Neo4j at {self._where}: {_reason(exc)}")) \
                        from exc
            else:
                if (self._where, purpose) not in _warned:
                    _warned.add((self._where, purpose))
                    log.warning("Neo4j at %s took no constraint or index for %s, so those "
                                "lookups scan: %s", self._where, purpose, " / ".join(problems))

    # -- writing -----------------------------------------------------------------------

    def _delete_nodes_of_repo(self) -> int:
        """Detach and delete this repository's graph nodes, a batch per transaction."""
        deleted = 0
        while True:
            count = self._write(lambda tx: tx.run(
                f"MATCH (n:{NODE_LABEL} {{repo: $repo}}) WITH n LIMIT $limit "
                "DETACH DELETE n RETURN count(*) AS deleted",
                repo=self.repo, limit=self.batch_size).single(strict=True)["deleted"],
                "deleting the previous graph")
            deleted += count
            if count < self.batch_size:
                return deleted

    def _create_nodes(self, tx: neo4j.ManagedTransaction, label: Label,
                      rows: list[dict[str, Any]]) -> None:
        tx.run(f"UNWIND $rows AS r CREATE (n:{NODE_LABEL}:{label.value}) SET n = r",
               rows=rows).consume()

    def _create_edges(self, tx: neo4j.ManagedTransaction, kind: EdgeKind,
                      rows: list[dict[str, Any]]) -> None:
        source, target = _MATCH_ENDS
        tx.run(f"UNWIND $rows AS r MATCH {source} MATCH {target} "
               f"CREATE (a)-[e:{kind.value}]->(b) SET e = r.p", rows=rows, repo=self.repo
               ).consume()

    def _apply(self, tx: neo4j.ManagedTransaction, change: GraphChange) -> None:
        known = self._labels_of(tx, ids_referenced(change))
        by_kind: dict[EdgeKind, list[dict[str, Any]]] = defaultdict(list)
        for kind_name, source_id, target_id in change.remove_edges:
            if source_id in known and target_id in known:
                by_kind[EdgeKind(kind_name)].append({"s": source_id, "t": target_id})
        source, target = _MATCH_ENDS
        for kind, rows in by_kind.items():
            self._run_batched(tx, f"UNWIND $rows AS r MATCH {source}-[e:{kind.value}]->{target} "
                              "DELETE e", rows)
        gone = [{"id": node_id} for node_id in change.remove_nodes if node_id in known]
        self._run_batched(tx, f"UNWIND $rows AS r MATCH {_MATCH_NODE} DETACH DELETE n", gone)
        for node_id in change.remove_nodes:
            known.pop(node_id, None)
        check_updates(change.update_nodes, known)
        updates = [row for rows in _node_rows(change.update_nodes, self.repo).values()
                   for row in rows]
        # SET n = r replaces every property, so ones now None disappear; r has repo and id.
        self._run_batched(tx, f"UNWIND $rows AS r MATCH {_MATCH_NODE} SET n = r", updates)
        check_additions(change.add_nodes, known)
        groups = group_edges(change.add_edges, known)
        for label, rows in _node_rows(change.add_nodes, self.repo).items():
            for batch in _batches(rows, self.batch_size):
                self._create_nodes(tx, label, batch)
        for kind, rows in _edge_rows(groups).items():
            self._refuse_existing_edges(tx, kind, rows)
            for batch in _batches(rows, self.batch_size):
                self._create_edges(tx, kind, batch)

    def _run_batched(self, tx: neo4j.ManagedTransaction, cypher: str,
                     rows: list[dict[str, Any]]) -> None:
        for batch in _batches(rows, self.batch_size):
            tx.run(cypher, rows=batch, repo=self.repo).consume()

    def _labels_of(self, tx: neo4j.ManagedTransaction, ids: set[str]) -> dict[str, Label]:
        """Label of each of ``ids`` that is stored in this repository."""
        found: dict[str, Label] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), self.batch_size):
            for record in tx.run(f"UNWIND $ids AS id MATCH (n:{NODE_LABEL} "
                                 "{repo: $repo, id: id}) RETURN n.id AS id, n.kind AS kind",
                                 ids=ordered[start:start + self.batch_size], repo=self.repo):
                found[record["id"]] = LABEL_OF_KIND[NodeKind(record["kind"])]
        return found

    def _refuse_existing_edges(self, tx: neo4j.ManagedTransaction, kind: EdgeKind,
                               rows: list[dict[str, Any]]) -> None:
        source, target = _MATCH_ENDS
        for batch in _batches(rows, self.batch_size):
            record = tx.run(f"UNWIND $rows AS r MATCH {source}-[:{kind.value}]->{target} "
                            "RETURN a.id AS s, b.id AS t LIMIT 1",
                            rows=batch, repo=self.repo).single()
            if record is not None:
                raise StoreError(f"cannot add edge {(kind.value, record['s'], record['t'])}: "
                                 "it exists")


# -- rows and values -------------------------------------------------------------------------

def _batches(rows: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _node_rows(nodes: Iterable[Node], repo: str) -> dict[Label, list[dict[str, Any]]]:
    """Complete property maps by label: ``repo`` and the model's non-None fields as plain
    str and int (a node's properties are set from the map as a whole)."""
    by_label: dict[Label, list[dict[str, Any]]] = defaultdict(list)
    for node in nodes:
        row: dict[str, Any] = {"repo": repo}
        row.update((c, _cell(v)) for c in NODE_COLUMNS if (v := getattr(node, c)) is not None)
        by_label[node.label].append(row)
    return by_label


def _edge_rows(groups: Mapping[tuple[EdgeKind, Label, Label], Sequence[Edge]]
               ) -> dict[EdgeKind, list[dict[str, Any]]]:
    by_kind: dict[EdgeKind, list[dict[str, Any]]] = defaultdict(list)
    for (kind, _, _), edges in groups.items():
        by_kind[kind].extend(
            {"s": e.source, "t": e.target,
             "p": {c: _cell(v) for c in EDGE_COLUMNS if (v := getattr(e, c)) is not None}}
            for e in edges)
    return by_kind


def _cell(value: object) -> object:
    # StrEnum members are str already; plain str() sends the value, not an Enum subclass.
    return str(value) if isinstance(value, str) else value


def _plain(value: Any) -> Any:
    """A driver value with database internals removed, shaped like KuzuStore's: nodes as
    ``label`` plus every model column (None when absent), relationships as ``label`` (the
    type) plus the edge columns, paths as lists alternating node, relationship, node, ..."""
    if isinstance(value, GraphNode):
        if NODE_LABEL in value.labels:
            model = sorted(set(value.labels) - {NODE_LABEL})
            return {"label": model[0] if len(model) == 1 else ":".join(model),
                    **{c: value.get(c) for c in NODE_COLUMNS}}
        return {"label": ":".join(sorted(value.labels)),
                **{k: _plain(v) for k, v in value.items() if k != "repo"}}
    if isinstance(value, GraphRelationship):
        return {"label": value.type, **{c: value.get(c) for c in EDGE_COLUMNS}}
    if isinstance(value, GraphPath):
        path: list[Any] = []
        for index, node in enumerate(value.nodes):
            path.append(_plain(node))
            if index < len(value.relationships):
                path.append(_plain(value.relationships[index]))
        return path
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _node_from_row(row: Sequence[Any]) -> Node:
    values = dict(zip(NODE_COLUMNS, row, strict=True))
    status = values.pop("status")
    return Node(**{**values, "kind": NodeKind(values["kind"]),
                   "status": None if status is None else FileStatus(status)})


# -- messages --------------------------------------------------------------------------------

def _reason(exc: BaseException) -> str:
    if isinstance(exc, Neo4jError) and exc.message:
        return f"Neo4j: {exc.message} ({exc.code})" if exc.code else f"Neo4j: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _redactor(password: str) -> Callable[[str], str]:
    """A function blanking ``password`` out of a message, for messages built from server
    or driver text that the store does not control."""
    def redact(text: str) -> str:
        return text.replace(password, "***") if password else text
    return redact


def _without_userinfo(uri: str) -> str:
    """``uri`` with any ``user:password@`` removed."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<unparsable URI>"
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
