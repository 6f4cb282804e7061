"""KuzuStore against real Kùzu databases in tmp_path: schema, bulk load, incremental changes,
query results, read-only mode and unreadable files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_graph import (
    A,
    B,
    described_code,
    small_graph,
    sorted_graph,
)

from indexer.model import (
    EDGE_COLUMNS,
    EDGE_ENDPOINTS,
    NODE_COLUMNS,
    Edge,
    EdgeKind,
    Graph,
    Label,
    Node,
    NodeKind,
    Resolution,
)
from indexer.store.base import GraphStore, StoreError
from indexer.store.kuzu_store import KuzuStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KuzuStore]:
    with KuzuStore(tmp_path / "graph.kuzu") as opened:
        yield opened


@pytest.fixture
def loaded(store: KuzuStore) -> KuzuStore:
    graph = small_graph()
    store.replace_all(graph.nodes, graph.edges)
    return store


# -- schema ---------------------------------------------------------------------------------

def test_store_satisfies_the_protocol(store: KuzuStore) -> None:
    protocol_user: GraphStore = store
    assert protocol_user.backend == "kuzu"


def test_schema_has_one_table_per_label_and_edge_kind(store: KuzuStore) -> None:
    tables = {row[0]: row[1] for row in store.query("CALL show_tables() RETURN name, type").rows}
    assert tables == {**{label.value: "NODE" for label in Label},
                      **{kind.value: "REL" for kind in EdgeKind}, "Meta": "NODE"}


@pytest.mark.parametrize("label", list(Label))
def test_node_tables_have_exactly_the_model_columns(store: KuzuStore, label: Label) -> None:
    info = store.query(f"CALL table_info('{label.value}') RETURN name, type, `primary key`")
    expected = [[c, "INT64" if c.endswith("_line") else "STRING", c == "id"]
                for c in NODE_COLUMNS]
    assert info.rows == expected


@pytest.mark.parametrize("kind", list(EdgeKind))
def test_rel_tables_have_the_model_columns_and_every_endpoint_pair(
        store: KuzuStore, kind: EdgeKind) -> None:
    columns = store.query(f"CALL table_info('{kind.value}') RETURN name, type").rows
    assert columns == [["line", "INT64"], ["resolution", "STRING"], ["name", "STRING"]]
    assert tuple(c for c, _ in columns) == EDGE_COLUMNS
    pairs = store.query(f"CALL show_connection('{kind.value}') "
                        "RETURN `source table name`, `destination table name`").rows
    assert sorted(map(tuple, pairs)) == sorted((s.value, t.value)
                                               for s, t in EDGE_ENDPOINTS[kind])


def test_reopening_keeps_data_and_schema(tmp_path: Path) -> None:
    graph = small_graph()
    with KuzuStore(tmp_path / "nested" / "graph.kuzu") as first:
        first.replace_all(graph.nodes, graph.edges)
        first.set_meta("schema_version", "1")
    with KuzuStore(tmp_path / "nested" / "graph.kuzu") as second:
        assert second.dump() == sorted_graph(graph.nodes, graph.edges)
        assert second.get_meta("schema_version") == "1"


# -- bulk load and dump ---------------------------------------------------------------------

def test_replace_all_with_nothing_empties_the_store(loaded: KuzuStore) -> None:
    loaded.replace_all([], [])
    assert loaded.dump() == Graph(nodes=(), edges=())


@pytest.mark.parametrize(("edge", "message"), [
    (Edge(EdgeKind.CALLS, f"{B}::make", f"{B}::nowhere"), "unknown node 'pkg/b.py::nowhere'"),
    (Edge(EdgeKind.CALLS, f"{B}::make", A), "CALLS cannot go from Function to File"),
    (Edge(EdgeKind.INHERITS, f"{B}::Circle", f"{A}::Shape"), "given twice"),
])
def test_replace_all_refuses_bad_edges_and_keeps_the_old_graph(
        loaded: KuzuStore, edge: Edge, message: str) -> None:
    before = loaded.dump()
    graph = small_graph()
    with pytest.raises(StoreError, match=message):
        loaded.replace_all(graph.nodes, (*graph.edges, edge))
    assert loaded.dump() == before


def test_replace_all_refuses_duplicate_node_ids(loaded: KuzuStore) -> None:
    before = loaded.dump()
    graph = small_graph()
    with pytest.raises(StoreError, match="duplicate node ids"):
        loaded.replace_all((*graph.nodes, graph.nodes[-1]), graph.edges)
    assert loaded.dump() == before


def test_bulk_load_is_batched(store: KuzuStore) -> None:
    files = [Node(f"m{i}.py", NodeKind.FILE, f"m{i}.py", f"m{i}.py") for i in range(200)]
    funcs = [described_code(f"m{i}.py", f"f{j}", NodeKind.FUNCTION, j, j)
             for i in range(200) for j in range(50)]
    edges = [Edge(EdgeKind.CONTAINS, f.path, f.id) for f in funcs]
    edges += [Edge(EdgeKind.CALLS, a.id, b.id, 1, Resolution.EXACT, b.name)
              for a, b in zip(funcs, funcs[1:] + funcs[:1], strict=True)]
    started = time.monotonic()
    store.replace_all([*files, *funcs], edges)
    # Row-by-row inserts take minutes at this size; COPY takes about a second.
    assert time.monotonic() - started < 30
    stats = store.query("MATCH ()-[r:CALLS]->() RETURN count(r) AS n")
    assert stats.records() == [{"n": len(funcs)}]


# -- incremental changes --------------------------------------------------------------------

# -- queries --------------------------------------------------------------------------------

def test_query_uses_return_aliases_and_plain_values(loaded: KuzuStore) -> None:
    result = loaded.query(
        "MATCH p = (a:Function {id: $id})-[r:CALLS]->(b:Class) RETURN a AS caller, r, p, "
        "b.name AS name, [a.id, b.id] AS ids", {"id": f"{B}::make"})
    assert result.columns == ["caller", "r", "p", "name", "ids"]
    [[caller, rel, path, name, ids]] = result.rows
    assert caller == {"label": "Function", "id": f"{B}::make", "kind": "function",
                      "name": "make", "path": B, "qualname": "make", "start_line": 14,
                      "end_line": 16, "signature": "function make", "doc": "About make.",
                      "language": None, "status": None, "error": None}
    assert rel == {"label": "CALLS", "line": 15, "resolution": "exact", "name": "Circle"}
    assert [step["label"] for step in path] == ["Function", "CALLS", "Class"]
    assert path[0] == caller and path[1] == rel and path[2]["id"] == f"{B}::Circle"
    assert name == "Circle" and ids == [f"{B}::make", f"{B}::Circle"]


def test_unlabeled_nodes_carry_only_their_own_columns(loaded: KuzuStore) -> None:
    loaded.set_meta("k", "v")
    rows = loaded.query("MATCH (n) WHERE n.id = $id RETURN n", {"id": A}).rows
    assert set(rows[0][0]) == {"label", *NODE_COLUMNS}
    paths = loaded.query("MATCH p = (a {id: $id})-[:CALLS*1..2]->(b) RETURN nodes(p) AS ns, "
                         "length(p) AS d ORDER BY d", {"id": f"{B}::make"}).records()
    assert [[n["id"] for n in row["ns"]] for row in paths][:2] == [
        [f"{B}::make", f"{B}::Circle"], [f"{B}::make", f"{A}::Shape.describe"]]
    assert not any(k.startswith("_") for row in paths for n in row["ns"] for k in n)


def test_query_errors_carry_kuzus_message(store: KuzuStore) -> None:
    with pytest.raises(StoreError, match="Kùzu: Binder exception: Table Nope does not exist"):
        store.query("MATCH (n:Nope) RETURN n")
    with pytest.raises(StoreError, match="Parser exception"):
        store.query("MATCH (n RETURN n")


# -- read-only and unreadable files ---------------------------------------------------------

def test_read_only_needs_an_existing_index(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="No index at"):
        KuzuStore(tmp_path / "missing.kuzu", read_only=True)
    assert not (tmp_path / "missing.kuzu").exists()


def test_read_only_refuses_a_database_without_our_tables(tmp_path: Path) -> None:
    import kuzu

    path = tmp_path / "other.kuzu"
    database = kuzu.Database(str(path))
    kuzu.Connection(database).execute("CREATE NODE TABLE Person(id STRING PRIMARY KEY)")
    database.close()
    with pytest.raises(StoreError, match=r"not a repolens index .*missing tables: CALLS"):
        KuzuStore(path, read_only=True)


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_file_raises_store_error(tmp_path: Path, read_only: bool,
                                           damage: str) -> None:
    path = tmp_path / "graph.kuzu"
    with KuzuStore(path) as writer:
        graph = small_graph()
        writer.replace_all(graph.nodes, graph.edges)
    if damage == "garbage":
        path.write_bytes(bytes(range(256)) * 64)
    else:
        with path.open("r+b") as file:
            file.truncate(100)
    with pytest.raises(StoreError, match="corrupt or was written by an incompatible Kùzu"):
        KuzuStore(path, read_only=read_only)


# -- growth and compaction ------------------------------------------------------------------

def _many_functions(count: int) -> list[Node]:
    return [described_code(A, f"f{n}", NodeKind.FUNCTION, n * 10 + 1, n * 10 + 8) for n in range(count)]


def test_an_update_sets_only_the_columns_that_changed(tmp_path: Path) -> None:
    """Moving functions down a file (an edit above them) changes their line numbers only;
    the other columns keep their pages, so updates like it do not grow the file."""
    from dataclasses import replace

    from indexer.store.base import GraphChange

    path = tmp_path / "graph.kuzu"
    functions = _many_functions(400)
    with KuzuStore(path) as store:
        store.replace_all([Node(A, NodeKind.FILE, "a.py", A, language="python"), *functions], [])
    sizes = []
    for shift in range(1, 6):
        moved = [replace(f, start_line=f.start_line + shift, end_line=f.end_line + shift) for f in functions]
        with KuzuStore(path) as store:
            store.apply(GraphChange(update_nodes=moved))
        sizes.append(path.stat().st_size)
    with KuzuStore(path, read_only=True) as store:
        rows = store.query("MATCH (n:Function) RETURN n.id AS id, n.start_line AS s, n.doc AS doc ORDER BY n.id").rows
    assert len(rows) == 400 and all(r[1] == int(r[0].rsplit("f", 1)[1]) * 10 + 6 for r in rows)
    assert all(r[2].startswith("About f") for r in rows)
    assert sizes[-1] == sizes[0], sizes  # the string columns were not rewritten


def test_a_grown_database_is_compacted_into_a_new_file_with_the_same_graph(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    import indexer.store.kuzu_store as kuzu_store
    from indexer.store.base import GraphChange

    path = tmp_path / "graph.kuzu"
    functions = _many_functions(300)
    with KuzuStore(path) as store:
        store.replace_all([Node(A, NodeKind.FILE, "a.py", A, language="python"), *functions], [])
        store.set_meta("generation", "7")
        assert not store.compact_if_grown()  # records the size after the full write
    for n in range(4):  # every string column rewritten: the file grows
        changed = [replace(f, doc=f"Changed {n} {f.qualname}.", signature=f"def {f.name}({n})") for f in functions]
        with KuzuStore(path) as store:
            store.apply(GraphChange(update_nodes=changed))
            assert not store.compact_if_grown()  # not yet by the default thresholds
    grown = path.stat().st_size
    monkeypatch.setattr(kuzu_store, "COMPACT_RATIO", 1.2)
    monkeypatch.setattr(kuzu_store, "COMPACT_MIN_BYTES", 0)
    with KuzuStore(path) as store:
        before = store.dump()
        assert store.compact_if_grown()
        assert store.dump() == before and store.get_meta("generation") == "7"
        store.set_meta("after", "yes")  # still open and writable
        assert not store.compact_if_grown()  # measured afresh
    assert path.stat().st_size < grown
    assert not list(tmp_path.glob(".graph.kuzu.compact*"))
    with KuzuStore(path, read_only=True) as store:
        assert store.dump() == before and store.get_meta("after") == "yes"
