"""The GraphStore contract, run against every backend: Kùzu in tmp_path and Neo4j over Bolt
(the ``bolt_server`` fixture: a real Neo4j when configured, else ArcadeDB; skipped with the
reason when neither runs). The same inputs must give the same dumps, errors and query values,
and every named query must give the same rows on both."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import pytest
from neo4j_server import BoltTarget, neo4j_opener
from sample_graph import (
    APP,
    BASE,
    CORE,
    UTIL,
    A,
    B,
    apply_in_memory,
    described_code,
    file_b_edited,
    sample_graph,
    small_graph,
    sorted_graph,
)

from indexer.model import Edge, EdgeKind, FileStatus, Graph, Node, NodeKind, Resolution
from indexer.store.base import GraphChange, GraphStore, ReadOnlyViolation, StoreError
from indexer.store.kuzu_store import KuzuStore
from queries.registry import load_queries, run_named

BACKENDS = ["kuzu", "neo4j"]


class ContractStore(GraphStore, Protocol):
    read_only: bool

    def __enter__(self) -> ContractStore: ...

    def __exit__(self, *exc_info: object) -> None: ...


Opener = Callable[..., ContractStore]
"""``open_store(repo="main", read_only=False)``: a store of the backend under test; stores
opened with the same ``repo`` share their data."""


@pytest.fixture(params=BACKENDS)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    if request.param == "kuzu":
        opened: list[KuzuStore] = []

        def open_kuzu(repo: str = "main", *, read_only: bool = False) -> KuzuStore:
            store = KuzuStore(tmp_path / f"{repo}.kuzu", read_only=read_only)
            opened.append(store)
            return store

        yield open_kuzu
        for store in opened:
            store.close()
        return
    opener, cleanup = neo4j_opener(request.getfixturevalue("bolt_server"))
    try:
        yield opener
    finally:
        cleanup()


@pytest.fixture
def loaded(open_store: Opener) -> ContractStore:
    store = open_store()
    graph = small_graph()
    store.replace_all(graph.nodes, graph.edges)
    return store


# -- bulk load and dump ---------------------------------------------------------------------

def test_backend_is_named(open_store: Opener, request: pytest.FixtureRequest) -> None:
    store: GraphStore = open_store()
    assert store.backend == request.node.callspec.params["open_store"]


@pytest.mark.parametrize("make", [small_graph, sample_graph])
def test_dump_returns_what_replace_all_loaded_sorted(open_store: Opener,
                                                     make: Callable[[], Graph]) -> None:
    store = open_store()
    graph = make()
    store.replace_all(graph.nodes, graph.edges)
    dumped = store.dump()
    assert dumped == sorted_graph(graph.nodes, graph.edges)
    assert all(isinstance(e.kind, EdgeKind) for e in dumped.edges)
    assert all(n.status is None or isinstance(n.status, FileStatus) for n in dumped.nodes)


def test_replace_all_drops_the_previous_graph_but_keeps_meta(loaded: ContractStore) -> None:
    loaded.set_meta("schema_version", "7")
    only = (Node("solo.py", NodeKind.FILE, "solo.py", "solo.py"),)
    loaded.replace_all(only, ())
    assert loaded.dump() == Graph(nodes=only, edges=())
    assert loaded.get_meta("schema_version") == "7"
    loaded.replace_all([], [])
    assert loaded.dump() == Graph(nodes=(), edges=())


@pytest.mark.parametrize(("extra_node", "edge", "message"), [
    (None, Edge(EdgeKind.CALLS, f"{B}::make", f"{B}::nowhere"), "unknown node"),
    (None, Edge(EdgeKind.CALLS, f"{B}::make", A), "CALLS cannot go from Function to File"),
    (None, Edge(EdgeKind.INHERITS, f"{B}::Circle", f"{A}::Shape"), "given twice"),
    (Node(A, NodeKind.FILE, "a.py", A), None, "duplicate node ids"),
])
def test_replace_all_refuses_bad_input_and_keeps_the_old_graph(
        loaded: ContractStore, extra_node: Node | None, edge: Edge | None, message: str) -> None:
    before = loaded.dump()
    graph = small_graph()
    with pytest.raises(StoreError, match=message):
        loaded.replace_all((*graph.nodes, *filter(None, [extra_node])),
                           (*graph.edges, *filter(None, [edge])))
    assert loaded.dump() == before


# -- incremental changes --------------------------------------------------------------------

def test_apply_matches_a_fresh_load_of_the_final_graph(loaded: ContractStore,
                                                       open_store: Opener) -> None:
    change = file_b_edited()
    expected = apply_in_memory(small_graph(), change)
    loaded.apply(change)
    follow_up = GraphChange(remove_nodes=[f"{B}::Circle.area.square", "extern::math.pi"],
                            add_edges=[Edge(EdgeKind.REFERENCES, f"{A}::Shape.area",
                                            f"{B}::Circle", 3, Resolution.EXACT, "Circle")])
    expected = apply_in_memory(expected, follow_up)
    loaded.apply(follow_up)
    fresh = open_store("fresh")
    fresh.replace_all(expected.nodes, expected.edges)
    assert loaded.dump() == fresh.dump() == expected


def test_update_keeps_edges_and_remove_detaches_them(loaded: ContractStore) -> None:
    shape = next(n for n in small_graph().nodes if n.id == f"{A}::Shape")
    loaded.apply(GraphChange(update_nodes=[replace(shape, start_line=2, doc=None)]))
    inherits = loaded.query("MATCH (c)-[:INHERITS]->(s:Class {id: $id}) RETURN c.id AS id",
                            {"id": shape.id})
    assert inherits.records() == [{"id": f"{B}::Circle"}]
    assert next(n for n in loaded.dump().nodes if n.id == shape.id) == replace(
        shape, start_line=2, doc=None)
    loaded.apply(GraphChange(remove_nodes=[shape.id]))
    dumped = loaded.dump()
    assert shape.id not in {n.id for n in dumped.nodes}
    assert all(shape.id not in (e.source, e.target) for e in dumped.edges)


def test_a_node_can_be_removed_and_added_again_in_one_change(loaded: ContractStore) -> None:
    renamed = described_code(B, "make", NodeKind.CLASS, 14, 16)  # same id, now a class
    loaded.apply(GraphChange(remove_nodes=[renamed.id], add_nodes=[renamed],
                             add_edges=[Edge(EdgeKind.CONTAINS, B, renamed.id)]))
    dumped = loaded.dump()
    assert renamed in dumped.nodes
    assert [e for e in dumped.edges if renamed.id in (e.source, e.target)] == [
        Edge(EdgeKind.CONTAINS, B, renamed.id)]


def test_removing_what_is_not_stored_is_a_no_op(loaded: ContractStore) -> None:
    before = loaded.dump()
    loaded.apply(GraphChange(remove_edges=[("CALLS", A, B), ("CALLS", "nope", "nada")],
                             remove_nodes=["nope"]))
    loaded.apply(GraphChange())
    assert loaded.dump() == before


@pytest.mark.parametrize(("change", "message"), [
    (GraphChange(update_nodes=[Node("ghost.py", NodeKind.FILE, "ghost.py", "ghost.py")]),
     "cannot update node 'ghost.py': it is not stored"),
    (GraphChange(update_nodes=[described_code(B, "make", NodeKind.CLASS, 1, 2)]),
     "from Function to Class: remove it and add it instead"),
    (GraphChange(add_nodes=[Node(A, NodeKind.FILE, "a.py", A)]), "cannot add node 'pkg/a.py': it exists"),
    (GraphChange(add_edges=[Edge(EdgeKind.CALLS, f"{B}::make", f"{B}::Circle")]),
     "cannot add edge ('CALLS', 'pkg/b.py::make', 'pkg/b.py::Circle'): it exists"),
    (GraphChange(remove_nodes=[f"{B}::make"],
                 add_edges=[Edge(EdgeKind.CALLS, f"{B}::make", f"{B}::Circle")]),
     "unknown node 'pkg/b.py::make'"),
    (GraphChange(add_edges=[Edge(EdgeKind.INHERITS, f"{B}::make", f"{A}::Shape")]),
     "INHERITS cannot go from Function to Class"),
])
def test_bad_changes_raise_and_change_nothing(loaded: ContractStore, change: GraphChange,
                                              message: str) -> None:
    before = loaded.dump()
    with pytest.raises(StoreError, match=re.escape(message)):
        loaded.apply(change)
    assert loaded.dump() == before


def test_a_failure_in_a_late_step_rolls_back_earlier_steps(loaded: ContractStore) -> None:
    before = loaded.dump()
    huge = described_code("x.py", "f", NodeKind.FUNCTION, 2**64, 2**64)  # no 64-bit integer
    change = GraphChange(remove_edges=[("CALLS", f"{B}::make", f"{B}::Circle")],
                         remove_nodes=[f"{B}::Circle.area.square"],
                         update_nodes=[replace(small_graph().nodes[2], doc="changed")],
                         add_nodes=[huge])
    with pytest.raises(StoreError, match="apply failed and was rolled back"):
        loaded.apply(change)
    assert loaded.dump() == before


# -- query values and meta ------------------------------------------------------------------

def test_query_values_are_plain_and_shaped_alike(loaded: ContractStore) -> None:
    result = loaded.query(
        "MATCH p = (a:Function {id: $id})-[r:CALLS]->(b:Class) RETURN a AS caller, r, p, "
        "b.name AS name, [a.id, b.id] AS ids, {n: b.start_line} AS m", {"id": f"{B}::make"})
    assert result.columns == ["caller", "r", "p", "name", "ids", "m"]
    [[caller, rel, path, name, ids, mapping]] = result.rows
    assert caller == {"label": "Function", "id": f"{B}::make", "kind": "function",
                      "name": "make", "path": B, "qualname": "make", "start_line": 14,
                      "end_line": 16, "signature": "function make", "doc": "About make.",
                      "language": None, "status": None, "error": None}
    assert rel == {"label": "CALLS", "line": 15, "resolution": "exact", "name": "Circle"}
    assert [step["label"] for step in path] == ["Function", "CALLS", "Class"]
    assert path[0] == caller and path[1] == rel and path[2]["id"] == f"{B}::Circle"
    assert name == "Circle" and ids == [f"{B}::make", f"{B}::Circle"] and mapping == {"n": 3}


def test_unlabeled_nodes_and_path_nodes_carry_the_model_columns(loaded: ContractStore) -> None:
    loaded.set_meta("k", "v")
    [[node]] = loaded.query("MATCH (n) WHERE n.id = $id RETURN n", {"id": A}).rows
    assert node == {"label": "File", "id": A, "kind": "file", "name": "a.py", "path": A,
                    "qualname": "", "start_line": None, "end_line": None, "signature": None,
                    "doc": None, "language": "python", "status": "ok", "error": None}
    rows = loaded.query("MATCH p = (a {id: $id})-[:CALLS*1..2]->(b) RETURN nodes(p) AS ns, "
                        "length(p) AS d ORDER BY d, b.id", {"id": f"{B}::make"}).records()
    assert [[n["id"] for n in row["ns"]] for row in rows] == [
        [f"{B}::make", f"{A}::Shape.describe"], [f"{B}::make", f"{B}::Circle"],
        [f"{B}::make", f"{A}::Shape.describe", f"{A}::Shape.area"]]


def test_query_errors_are_store_errors(loaded: ContractStore) -> None:
    with pytest.raises(StoreError):
        loaded.query("MATCH (n RETURN n")


def test_meta_values(open_store: Opener) -> None:
    store = open_store()
    assert store.get_meta("schema_version") is None
    store.set_meta("schema_version", "1")
    store.set_meta("schema_version", "2")
    store.set_meta("generation", "3")
    assert (store.get_meta("schema_version"), store.get_meta("generation")) == ("2", "3")


def test_stats_ignore_the_stores_meta_records(open_store: Opener) -> None:
    store = open_store()
    store.set_meta("schema_version", "1")
    counts = {(r["element"], r["type"]): r["count"] for r in run_named(store, "stats", {})
              .records()}
    assert counts == {("edge", kind.value): 0 for kind in EdgeKind}


def test_read_only_store_reads_but_refuses_every_write(open_store: Opener) -> None:
    graph = small_graph()
    with open_store() as writer:
        writer.replace_all(graph.nodes, graph.edges)
        writer.set_meta("schema_version", "1")
    reader = open_store(read_only=True)
    assert reader.read_only
    assert reader.dump() == sorted_graph(graph.nodes, graph.edges)
    assert reader.get_meta("schema_version") == "1"
    for refuse in (lambda: reader.replace_all([], []),
                   lambda: reader.apply(GraphChange(remove_nodes=[A])),
                   lambda: reader.set_meta("schema_version", "2")):
        with pytest.raises(ReadOnlyViolation, match="opened read-only"):
            refuse()
    for write in ("MATCH (n:File) SET n.doc = 'x'", "CREATE (:File {id: 'new.py'})",
                  "MATCH (n:File) DETACH DELETE n"):
        with pytest.raises(StoreError):
            reader.query(write)
    assert reader.dump() == sorted_graph(graph.nodes, graph.edges)


# -- named queries --------------------------------------------------------------------------

def _random_call_graph(seed: int, functions: int = 200, calls: int = 600) -> Graph:
    rng = random.Random(seed)
    resolutions = list(Resolution)
    nodes = [Node(f"m.py::f{i}", NodeKind.FUNCTION, f"f{i}", "m.py", f"f{i}", i, i)
             for i in range(functions)]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < calls:
        pairs.add((rng.randrange(functions), rng.randrange(functions)))
    edges = [Edge(EdgeKind.CALLS, nodes[a].id, nodes[b].id, 1,
                  rng.choices(resolutions, [6, 2, 1, 1])[0], "f") for a, b in sorted(pairs)]
    return Graph(nodes=tuple(nodes), edges=tuple(edges))


def _reachable(graph: Graph, start: str, depth: int, forward: bool) -> dict[str, tuple[int, str]]:
    """What callees (forward) or callers should return, computed by breadth-first search:
    id -> (fewest calls, weakest resolution on the best such chain)."""
    rank = {r.value: i for i, r in enumerate(Resolution)}
    step: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for e in graph.edges:
        a, b = (e.source, e.target) if forward else (e.target, e.source)
        step[a].append((b, rank[str(e.resolution)]))
    best: dict[str, tuple[int, str]] = {}
    layer = {start: 0}
    for hops in range(1, depth + 1):
        following: dict[str, int] = {}
        for node, worst in layer.items():
            for other, edge_rank in step[node]:
                following[other] = min(following.get(other, 9), max(worst, edge_rank))
        for node, worst in following.items():
            if node != start:  # the node itself is never its own caller or callee
                best.setdefault(node, (hops, list(Resolution)[worst].value))
        layer = following
    return best


def test_callers_and_callees_match_a_search_on_a_random_graph(open_store: Opener) -> None:
    # Regression: Kùzu 0.11.3 ranked resolutions wrongly here when CASE tested a bare
    # boolean variable; a graph of a few hundred calls shows it.
    graph = _random_call_graph(seed=3)
    store = open_store()
    store.replace_all(graph.nodes, graph.edges)
    for node in random.Random(4).sample(graph.nodes, 8):
        for name, forward in (("callees", True), ("callers", False)):
            rows = run_named(store, name, {"id": node.id, "depth": 3}).records()
            assert {r["id"]: (r["depth"], r["resolution"]) for r in rows} == _reachable(
                graph, node.id, 3, forward), (name, node.id)


def _query_cases() -> list[tuple[str, dict[str, Any]]]:
    """Each named query with parameters covering the sample graph: every node for the
    queries taking an id, every file for those taking a path, every mode and kind."""
    graph = sample_graph()
    ids = [n.id for n in graph.nodes]
    files = [n.id for n in graph.nodes if n.kind is NodeKind.FILE] + ["missing.py"]
    cases: list[tuple[str, dict[str, Any]]] = [("stats", {})]
    for name in ("callers", "callees"):
        cases += [(name, {"id": i, "depth": d}) for i in ids for d in (1, 5)]
    for name in ("subclasses", "superclasses"):
        cases += [(name, {"id": i, "depth": d}) for i in ids for d in (1, 5)]
    cases += [("neighbours", {"id": i}) for i in ids]
    cases += [(name, {"ids": ids[k:k + 3]}) for name in ("dependents", "dependencies", "nodes")
              for k in range(0, len(ids), 3)]
    cases += [(name, {"ids": ["missing.py::nothing"]}) for name in ("dependents", "dependencies", "nodes")]
    cases += [(name, {"path": f}) for name in ("file_outline", "imports", "importers")
              for f in files]
    cases += [("find_symbol", {"name": text, "mode": mode, "kind": kind, "limit": 3})
              for text in ("run", "Engine", "ENG", "e", "os.path.join", "Engine.run")
              for mode in ("exact", "prefix", "contains")
              for kind in ("", "method", "class", "external")]
    cases += [("call_path", {"source": f"{APP}::main", "target": t, "max_depth": d})
              for t in (f"{BASE}::Base._log", f"{BASE}::helper", "extern::os.path.join",
                        f"{UTIL}::helper2") for d in (2, 6)]
    cases += [("call_path", {"source": f"{CORE}::Engine.run", "target": f"{BASE}::Base._log"})]
    return cases


def _comparable(name: str, rows: list[list[Any]]) -> list[Any]:
    """Rows in the order the query fixes, or sorted when its text has no ORDER BY."""
    if "ORDER BY" in load_queries()[name].text:
        return rows
    return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def sample_stores(bolt_server: BoltTarget, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[tuple[ContractStore, ContractStore]]:
    """The sample graph in Kùzu and in Neo4j, plus the small graph in a second Neo4j
    repository of the same database, which no query may see."""
    graph = sample_graph()
    kuzu = KuzuStore(tmp_path_factory.mktemp("contract") / "sample.kuzu")
    kuzu.replace_all(graph.nodes, graph.edges)
    opener, cleanup = neo4j_opener(bolt_server)
    try:
        neighbour = opener("neighbour")
        neighbour.replace_all(small_graph().nodes, small_graph().edges)
        neo4j = opener("sample")
        neo4j.replace_all(graph.nodes, graph.edges)
        yield kuzu, neo4j
    finally:
        kuzu.close()
        cleanup()


@pytest.mark.parametrize(("name", "params"), [
    pytest.param(name, params, id=f"{name}({', '.join(f'{k}={v!r}' for k, v in params.items())})")
    for name, params in _query_cases()])
def test_named_queries_give_the_same_rows_on_both_backends(
        sample_stores: tuple[ContractStore, ContractStore], bolt_server: BoltTarget,
        name: str, params: dict[str, Any]) -> None:
    kuzu, neo4j = sample_stores
    expected = run_named(kuzu, name, params)
    actual = run_named(neo4j, name, params)
    assert _comparable(name, actual.rows) == _comparable(name, expected.rows)
    if bolt_server.server == "arcadedb" and not actual.rows:
        # ArcadeDB's Bolt server names no columns when there are no rows; Neo4j does.
        assert actual.columns in ([], expected.columns)
    else:
        assert actual.columns == expected.columns


def test_every_named_query_is_compared() -> None:
    assert {name for name, _ in _query_cases()} == set(load_queries())
