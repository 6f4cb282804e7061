"""What only the Neo4j store has: repositories sharing one database, the scope it adds to
queries, batching, schema capability detection, connection handling and credentials. The
behaviour both stores share is in test_store_contract.py."""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("neo4j", reason="the neo4j driver is not installed "
                    "(pip install 'repolens[neo4j]')")

from neo4j import Driver, GraphDatabase
from neo4j_server import BoltTarget, neo4j_opener
from sample_graph import A, B, file_b_edited, sample_graph, small_graph, sorted_graph

from indexer.model import EdgeKind, Graph, Label, NodeKind
from indexer.store import neo4j_store
from indexer.store.base import GraphChange, ReadOnlyViolation, StoreError
from indexer.store.neo4j_store import Neo4jStore

Open = Callable[..., Neo4jStore]


@pytest.fixture
def open_store(bolt_server: BoltTarget) -> Iterator[Open]:
    """``open_store(repo="main", **options)``: a Neo4jStore on a repository id unique to the
    test; everything stored under it is dropped afterwards."""
    opener, cleanup = neo4j_opener(bolt_server)
    try:
        yield opener
    finally:
        cleanup()


def _count(graph: Graph, kinds: set[NodeKind] | None = None) -> int:
    return sum(1 for n in graph.nodes if kinds is None or n.kind in kinds)


def _children(graph: Graph, parent: str) -> int:
    return sum(1 for e in graph.edges if e.kind is EdgeKind.CONTAINS and e.source == parent)


def _files_containing_a_class(graph: Graph) -> int:
    kinds = {n.id: n.kind for n in graph.nodes}
    return len({e.source for e in graph.edges if e.kind is EdgeKind.CONTAINS
                and kinds[e.source] is NodeKind.FILE and kinds[e.target] is NodeKind.CLASS})


def _contains_paths_of_two(graph: Graph) -> int:
    out = Counter(e.source for e in graph.edges if e.kind is EdgeKind.CONTAINS)
    return sum(out[e.target] for e in graph.edges if e.kind is EdgeKind.CONTAINS)


FILE, CLASS = {NodeKind.FILE}, {NodeKind.CLASS}
FUNCTIONS = {NodeKind.FUNCTION, NodeKind.METHOD}

# Queries in several Cypher forms, each with what it must count in one repository's graph.
SCOPED: list[tuple[str, Callable[[Graph], Any]]] = [
    ("MATCH (n) RETURN count(n) AS c", lambda g: [[_count(g)]]),
    ("MATCH (n:File|Class) RETURN count(n) AS c", lambda g: [[_count(g, FILE | CLASS)]]),
    ("MATCH (n:!File) RETURN count(n) AS c", lambda g: [[_count(g) - _count(g, FILE)]]),
    ("MATCH (n IS File) RETURN count(n) AS c", lambda g: [[_count(g, FILE)]]),
    ("MATCH (n:File WHERE n.name STARTS WITH 'b') RETURN count(n) AS c", lambda g: [[1]]),
    ("MATCH (n:File) WHERE EXISTS { (n)-[:CONTAINS]->(:Class) } RETURN count(n) AS c",
     lambda g: [[_files_containing_a_class(g)]]),
    ("MATCH (n {id: 'pkg'}) CALL (n) { MATCH (n)-[:CONTAINS]->(m) RETURN count(m) AS k } "
     "RETURN k AS c", lambda g: [[_children(g, "pkg")]]),
    ("MATCH (n {id: 'pkg'}) OPTIONAL MATCH (n)-[:CONTAINS]->(m) RETURN count(m) AS c",
     lambda g: [[_children(g, "pkg")]]),
    ("MATCH p = shortestPath((a {id: '.'})-[:CONTAINS*]->(b:Function)) RETURN count(p) AS c",
     lambda g: [[_count(g, FUNCTIONS)]]),
    ("MATCH ((x)-[:CONTAINS]->(y)){2} RETURN count(*) AS c",
     lambda g: [[_contains_paths_of_two(g)]]),
    ("MATCH (n:File) RETURN count(n) AS c UNION ALL MATCH (n:Class) RETURN count(n) AS c",
     lambda g: [[_count(g, FILE)], [_count(g, CLASS)]]),
]


@pytest.fixture
def two_repositories(open_store: Open) -> tuple[Neo4jStore, Neo4jStore]:
    """The small graph in repository ``a`` and the sample graph in ``b`` of one database;
    both have nodes ``.`` and ``pkg``."""
    first, second = open_store("a"), open_store("b")
    first.replace_all(small_graph().nodes, small_graph().edges)
    second.replace_all(sample_graph().nodes, sample_graph().edges)
    return first, second


# -- repositories sharing a database ---------------------------------------------------------

@pytest.mark.parametrize(("cypher", "expected"), SCOPED, ids=[c for c, _ in SCOPED])
def test_queries_see_only_their_repository(two_repositories: tuple[Neo4jStore, Neo4jStore],
                                           cypher: str, expected: Callable[[Graph], Any]) -> None:
    first, second = two_repositories
    assert first.query(cypher).rows == expected(small_graph())
    assert second.query(cypher).rows == expected(sample_graph())


def test_writes_to_one_repository_leave_the_other_alone(
        two_repositories: tuple[Neo4jStore, Neo4jStore]) -> None:
    first, second = two_repositories
    untouched = sorted_graph(sample_graph().nodes, sample_graph().edges)
    first.set_meta("generation", "1")
    second.set_meta("generation", "2")
    first.apply(file_b_edited())
    first.apply(GraphChange(remove_nodes=["pkg", "."]))
    assert second.dump() == untouched
    first.replace_all(small_graph().nodes, small_graph().edges)
    assert first.dump() == sorted_graph(small_graph().nodes, small_graph().edges)
    assert second.dump() == untouched
    first.drop_repository()
    assert first.dump() == Graph(nodes=(), edges=())
    assert (first.get_meta("generation"), second.get_meta("generation")) == (None, "2")
    assert second.dump() == untouched


def test_meta_records_are_not_graph_nodes(open_store: Open) -> None:
    store = open_store()
    store.set_meta("schema_version", "1")
    assert store.query("MATCH (n) RETURN count(n) AS c").rows == [[0]]
    assert store.dump() == Graph(nodes=(), edges=())


def test_the_scope_parameter_is_reserved(open_store: Open) -> None:
    with pytest.raises(StoreError, match=r"\$repolens_repo is reserved"):
        open_store().query("RETURN $repolens_repo AS r", {"repolens_repo": "other"})


def test_nodes_carry_the_shared_label_and_the_repository(
        two_repositories: tuple[Neo4jStore, Neo4jStore], bolt_server: BoltTarget) -> None:
    first, _ = two_repositories
    with _driver(bolt_server) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (n:RepolensNode {repo: $repo, id: $id}) RETURN labels(n) AS labels, "
            "keys(n) AS keys", repo=first.repo, id=A, database_=bolt_server.database)
    [record] = records
    assert sorted(record["labels"]) == ["File", "RepolensNode"]
    assert "repo" in record["keys"]


# -- batches, schema, connections ------------------------------------------------------------

def test_small_batches_load_replace_and_apply_the_same_graph(open_store: Open) -> None:
    store = open_store(batch_size=3)
    graph = small_graph()
    store.replace_all(graph.nodes, graph.edges)
    store.replace_all(graph.nodes, graph.edges)  # deletes the first load in four batches
    assert store.dump() == sorted_graph(graph.nodes, graph.edges)
    store.apply(file_b_edited())
    fresh = open_store("fresh")
    expected = store.dump()
    fresh.replace_all(expected.nodes, expected.edges)
    assert fresh.dump() == expected
    assert {n.id for n in expected.nodes} >= {f"{B}::build", f"{B}::helper"}


def test_lookups_by_repository_and_id_are_backed_by_the_schema(
        open_store: Open, bolt_server: BoltTarget) -> None:
    open_store()
    with _driver(bolt_server) as driver:
        records, _, _ = driver.execute_query("SHOW INDEXES", database_=bolt_server.database)
    indexed = {(tuple(r["labelsOrTypes"] or ()), tuple(r["properties"] or ())) for r in records}
    assert (("RepolensNode",), ("repo", "id")) in indexed
    assert (("RepolensMeta",), ("repo", "key")) in indexed


def test_schema_the_server_refuses_is_warned_about_once(
        open_store: Open, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(neo4j_store, "_SCHEMA", (("testing", ("CREATE NONSENSE x",)),))
    monkeypatch.setattr(neo4j_store, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="indexer.store.neo4j_store"):
        open_store("one")
        open_store("two")
    warnings = [r.getMessage() for r in caplog.records if r.name == "indexer.store.neo4j_store"]
    assert len(warnings) == 1 and "no constraint or index for testing" in warnings[0]


def test_read_only_queries_that_write_are_refused_and_rolled_back(open_store: Open) -> None:
    graph = small_graph()
    open_store().replace_all(graph.nodes, graph.edges)
    reader = open_store(read_only=True)
    with pytest.raises(ReadOnlyViolation):
        reader.query("MATCH (n:File) SET n.doc = 'x' RETURN n.id")
    assert all(n.doc is None for n in reader.dump().nodes if n.label is Label.FILE)


def test_a_closed_store_says_so(open_store: Open) -> None:
    store = open_store()
    store.close()
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.dump()


def test_a_repository_id_is_required(bolt_server: BoltTarget) -> None:
    with pytest.raises(StoreError, match="needs a repository id"):
        Neo4jStore(bolt_server.uri, bolt_server.user, bolt_server.password, repo="")


def test_an_unreachable_server_is_a_store_error_naming_the_address() -> None:
    with pytest.raises(StoreError, match=r"Cannot connect to Neo4j at bolt://127\.0\.0\.1:1 "):
        Neo4jStore("bolt://127.0.0.1:1", "neo4j", "secret", repo="r")


# -- credentials -----------------------------------------------------------------------------

def test_a_wrong_password_never_shows(bolt_server: BoltTarget,
                                      caplog: pytest.LogCaptureFixture) -> None:
    wrong = "wrong-" + bolt_server.password[::-1]
    with caplog.at_level(logging.DEBUG), pytest.raises(StoreError) as caught:
        Neo4jStore(bolt_server.uri, bolt_server.user, wrong, repo="r",
                   database=bolt_server.database)
    message = str(caught.value)
    assert "Cannot connect" in message and repr(bolt_server.user) in message
    shown = "".join(traceback.format_exception(caught.value)) + caplog.text
    assert wrong not in shown


def test_the_password_is_in_no_message_repr_or_log(
        open_store: Open, bolt_server: BoltTarget, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        store = open_store()
        graph = small_graph()
        store.replace_all(graph.nodes, graph.edges)
        store.query("MATCH (n) RETURN n")
        with pytest.raises(StoreError) as caught:
            store.query("MATCH (n RETURN n")
    assert bolt_server.password not in caplog.text
    assert bolt_server.password not in repr(store) + str(caught.value)
    assert bolt_server.password not in repr(bolt_server)


def test_credentials_in_the_uri_are_refused_without_showing_them() -> None:
    secret = "".join(reversed("2retnuh"))
    uri = f"bolt://user:{secret}@127.0.0.1:1"
    with pytest.raises(StoreError, match="must not carry a user or password") as caught:
        Neo4jStore(uri, "neo4j", "pw", repo="r")
    assert secret not in "".join(traceback.format_exception(caught.value))


def _driver(target: BoltTarget) -> Driver:
    return GraphDatabase.driver(target.uri, auth=(target.user, target.password))
