"""Every named query against a small hand-built graph in a real Kùzu database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sample_graph import APP, BASE, CORE, EXAMPLE_PARAMS, UTIL, sample_graph

from indexer.model import EdgeKind
from indexer.store.kuzu_store import KuzuStore
from queries.registry import (
    NamedQuery,
    QueryFileError,
    load_queries,
    parse_query,
    run_named,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuzuStore]:
    graph = sample_graph()
    path = tmp_path_factory.mktemp("named") / "graph.kuzu"
    with KuzuStore(path) as writer:
        writer.replace_all(graph.nodes, graph.edges)
    with KuzuStore(path, read_only=True) as reader:
        yield reader


def run(store: KuzuStore, query: str, /, **params: Any) -> list[dict[str, Any]]:
    return run_named(store, query, params).records()


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]


# -- the catalogue ------------------------------------------------------------------------

REQUIRED = {"file_outline", "find_symbol", "callers", "callees", "call_path", "imports",
            "importers", "subclasses", "superclasses", "neighbours", "stats"}


def test_catalogue_has_every_required_query_documented() -> None:
    queries = load_queries()
    assert set(queries) >= REQUIRED
    for query in queries.values():
        assert query.purpose and query.returns, query.name
        assert all(p.description for p in query.params), query.name
        file = Path(__file__).parents[1] / "queries" / f"{query.name}.cypher"
        assert file.is_file(), f"{query.name} should live in {file.name}"


def test_every_query_has_an_example_here() -> None:
    assert set(EXAMPLE_PARAMS) == set(load_queries())


@pytest.mark.parametrize("name", sorted(EXAMPLE_PARAMS))
def test_every_query_returns_its_declared_columns_and_rows(store: KuzuStore, name: str) -> None:
    query = load_queries()[name]
    result = run_named(store, name, EXAMPLE_PARAMS[name])
    assert tuple(result.columns) == query.returns
    assert result.rows, f"{name} found nothing in the sample graph"


# Constructs that exist in only one of Kùzu and Neo4j Cypher.
NON_PORTABLE = {
    r"\blabel\s*\(": "label() is Kùzu-only; return n.kind",
    r"\blabels\s*\(": "labels() is Neo4j-only; return n.kind",
    r"\btype\s*\(": "type() is Neo4j-only",
    r"\b(startNode|endNode)\s*\(": "Neo4j-only",
    r"\bSHORTEST\b|\bshortestPath\b": "shortest-path syntax differs",
    r"\[\s*\w+\s+IN\b": "list comprehensions are not in Kùzu",
    r"\b(head|last|reduce|toInteger|toString)\s*\(": "not in Kùzu",
    r"\*\s*\d*\s*\.\.\s*\$": "bounds cannot be parameters",
    r"\(\s*\w*\s*:\s*\w+\s*:\s*\w+": "multiple labels mean OR in Kùzu, AND in Neo4j",
    r"\w+\s*\[\s*-?\d+\s*\]": "list indexes are 1-based in Kùzu, 0-based in Neo4j",
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_PARAMS))
def test_queries_stay_in_the_common_cypher_subset(name: str) -> None:
    body = "\n".join(line for line in load_queries()[name].text.splitlines()
                     if not line.startswith("//"))
    for pattern, why in NON_PORTABLE.items():
        assert not re.search(pattern, body, re.IGNORECASE), f"{name}: {why}"


# -- each query on the sample graph --------------------------------------------------------

def test_file_outline_lists_definitions_in_source_order_with_parents(store: KuzuStore) -> None:
    rows = run(store, "file_outline", path=CORE)
    assert [(r["qualname"], r["kind"], r["parent"]) for r in rows] == [
        ("Engine", "class", None),
        ("Engine.__init__", "method", f"{CORE}::Engine"),
        ("Engine.run", "method", f"{CORE}::Engine"),
        ("Engine.run.inner", "function", f"{CORE}::Engine.run"),
        ("TurboEngine", "class", None),
        ("TurboEngine.run", "method", f"{CORE}::TurboEngine"),
        ("CustomError", "class", None),
    ]
    assert rows[0] | {} == {
        "id": f"{CORE}::Engine", "kind": "class", "name": "Engine", "qualname": "Engine",
        "start_line": 3, "end_line": 18, "signature": "class Engine(Base)", "doc": None,
        "parent": None,
    }
    assert run(store, "file_outline", path="missing.py") == []


def test_find_symbol_exact_matches_name_or_qualname_case_sensitively(store: KuzuStore) -> None:
    assert ids(run(store, "find_symbol", name="run")) == [
        f"{BASE}::Base.run", f"{CORE}::Engine.run", f"{CORE}::TurboEngine.run"]
    assert ids(run(store, "find_symbol", name="Engine.run")) == [f"{CORE}::Engine.run"]
    assert run(store, "find_symbol", name="RUN") == []
    assert ids(run(store, "find_symbol", name="os.path.join")) == ["extern::os.path.join"]


def test_find_symbol_prefix_and_contains_ignore_case(store: KuzuStore) -> None:
    assert ids(run(store, "find_symbol", name="eng", mode="prefix")) == [f"{CORE}::Engine"]
    assert ids(run(store, "find_symbol", name="ENGINE", mode="contains")) == [
        f"{CORE}::Engine", f"{CORE}::TurboEngine"]
    assert ids(run(store, "find_symbol", name="frob", mode="prefix")) == [
        "unresolved::frobnicate"]
    # files and directories are not symbols
    assert run(store, "find_symbol", name="core", mode="contains") == []


def test_find_symbol_kind_filter_and_limit(store: KuzuStore) -> None:
    assert ids(run(store, "find_symbol", name="help", mode="prefix", kind="function")) == [
        f"{BASE}::helper", f"{UTIL}::helper2"]
    assert run(store, "find_symbol", name="help", mode="prefix", kind="method") == []
    assert ids(run(store, "find_symbol", name="ERR", mode="contains", kind="class")) == [
        f"{CORE}::CustomError"]
    assert len(run(store, "find_symbol", name="run", limit=2)) == 2


def _depths(rows: list[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    return {row["id"]: (row["depth"], row["resolution"]) for row in rows}


def test_callers_direct_and_transitive_with_weakest_resolution(store: KuzuStore) -> None:
    helper = f"{BASE}::helper"
    assert _depths(run(store, "callers", id=helper)) == {
        f"{CORE}::Engine.run": (1, "exact"),
    }  # helper is recursive, but a node is never listed as its own caller
    rows = run(store, "callers", id=helper, depth=3)
    assert _depths(rows) == {
        f"{CORE}::Engine.run": (1, "exact"),
        f"{CORE}::TurboEngine.run": (2, "exact"),
        f"{APP}::main": (3, "inferred"),
    }
    assert [r["depth"] for r in rows] == sorted(r["depth"] for r in rows)
    assert rows[-1] == {"id": f"{APP}::main", "kind": "function", "name": "main",
                        "path": APP, "start_line": 4, "depth": 3, "resolution": "inferred"}


def test_callers_of_a_symbol_and_of_nothing(store: KuzuStore) -> None:
    assert _depths(run(store, "callers", id="extern::os.path.join", depth=2)) == {
        f"{CORE}::Engine.run": (1, "external"),
        f"{CORE}::TurboEngine.run": (2, "external"),
    }
    assert run(store, "callers", id=f"{APP}::main", depth=5) == []


def test_callees_include_symbols_and_take_the_shortest_depth(store: KuzuStore) -> None:
    main = f"{APP}::main"
    assert _depths(run(store, "callees", id=main)) == {
        f"{CORE}::TurboEngine": (1, "exact"),
        f"{CORE}::TurboEngine.run": (1, "inferred"),
    }
    assert _depths(run(store, "callees", id=main, depth=5)) == {
        f"{CORE}::TurboEngine": (1, "exact"),
        f"{CORE}::TurboEngine.run": (1, "inferred"),
        f"{CORE}::Engine.run": (2, "inferred"),
        f"{BASE}::Base._log": (3, "inferred"),
        f"{BASE}::helper": (3, "inferred"),
        "extern::os.path.join": (3, "external"),
        "unresolved::frobnicate": (4, "unresolved"),
    }
    assert _depths(run(store, "callees", id=f"{BASE}::helper", depth=3)) == {
        "unresolved::frobnicate": (1, "unresolved"),
    }


def test_call_path_is_the_shortest_chain_within_max_depth(store: KuzuStore) -> None:
    main, log = f"{APP}::main", f"{BASE}::Base._log"
    [row] = run(store, "call_path", source=main, target=log)
    assert row["depth"] == 3
    assert [n["id"] for n in row["path"]] == [
        main, f"{CORE}::TurboEngine.run", f"{CORE}::Engine.run", log]
    assert [n["name"] for n in row["path"]] == ["main", "run", "run", "_log"]
    assert run(store, "call_path", source=main, target=log, max_depth=2) == []
    assert run(store, "call_path", source=log, target=main) == []


def test_imports_of_a_file(store: KuzuStore) -> None:
    assert run(store, "imports", path=CORE) == [
        {"id": f"{BASE}::Base", "kind": "class", "name": "Base", "path": BASE, "line": 1,
         "imported_as": "Base", "resolution": "exact"},
        {"id": f"{BASE}::helper", "kind": "function", "name": "helper", "path": BASE,
         "line": 1, "imported_as": "helper", "resolution": "exact"},
        {"id": "extern::os.path", "kind": "external", "name": "path", "path": "", "line": 2,
         "imported_as": "os.path", "resolution": "external"},
    ]
    assert ids(run(store, "imports", path=APP)) == [f"{CORE}::TurboEngine", UTIL]


def test_importers_of_a_file_or_what_it_defines(store: KuzuStore) -> None:
    assert [(r["id"], r["target"]) for r in run(store, "importers", path=BASE)] == [
        (CORE, f"{BASE}::Base"), (CORE, f"{BASE}::helper")]
    assert [(r["id"], r["target_kind"]) for r in run(store, "importers", path=UTIL)] == [
        (APP, "file")]
    assert ids(run(store, "importers", path=CORE)) == [APP]
    assert run(store, "importers", path=APP) == []


def test_subclasses_are_transitive_to_a_depth(store: KuzuStore) -> None:
    base = f"{BASE}::Base"
    assert [(r["id"], r["depth"]) for r in run(store, "subclasses", id=base)] == [
        (f"{CORE}::Engine", 1), (f"{CORE}::TurboEngine", 2)]
    assert ids(run(store, "subclasses", id=base, depth=1)) == [f"{CORE}::Engine"]
    assert ids(run(store, "subclasses", id="extern::Exception")) == [f"{CORE}::CustomError"]


def test_superclasses_include_external_bases(store: KuzuStore) -> None:
    assert [(r["id"], r["depth"]) for r in run(store, "superclasses",
                                                  id=f"{CORE}::TurboEngine")] == [
        (f"{CORE}::Engine", 1), (f"{BASE}::Base", 2)]
    assert [(r["id"], r["kind"]) for r in run(store, "superclasses",
                                              id=f"{CORE}::CustomError")] == [
        ("extern::Exception", "external")]
    assert run(store, "superclasses", id=f"{BASE}::Base") == []


def test_neighbours_in_both_directions_with_edge_kind(store: KuzuStore) -> None:
    rows = run(store, "neighbours", id=f"{CORE}::Engine.run")
    assert sorted((r["edge"], r["direction"], r["id"], r["line"]) for r in rows) == [
        ("CALLS", "in", f"{CORE}::TurboEngine.run", 22),
        ("CALLS", "out", "extern::os.path.join", 11),
        ("CALLS", "out", f"{BASE}::Base._log", 9),
        ("CALLS", "out", f"{BASE}::helper", 10),
        ("CONTAINS", "in", f"{CORE}::Engine", None),
        ("CONTAINS", "out", f"{CORE}::Engine.run.inner", None),
    ]
    main = {(r["edge"], r["direction"], r["id"]) for r in run(store, "neighbours",
                                                               id=f"{APP}::main")}
    assert ("REFERENCES", "out", f"{CORE}::CustomError") in main
    inherits = run(store, "neighbours", id=f"{CORE}::CustomError")
    assert {(r["edge"], r["direction"], r["id"], r["resolution"]) for r in inherits} == {
        ("CONTAINS", "in", CORE, None),
        ("INHERITS", "out", "extern::Exception", "external"),
        ("REFERENCES", "in", f"{APP}::main", "exact"),
    }


def test_stats_counts_nodes_by_kind_and_edges_by_type(store: KuzuStore) -> None:
    counts = {(r["element"], r["type"]): r["count"] for r in run(store, "stats")}
    assert counts == {
        ("node", "repository"): 1, ("node", "directory"): 1, ("node", "file"): 4,
        ("node", "class"): 4, ("node", "method"): 5, ("node", "function"): 4,
        ("node", "external"): 3, ("node", "unresolved"): 1,
        ("edge", "CONTAINS"): 18, ("edge", "CALLS"): 9, ("edge", "INHERITS"): 3,
        ("edge", "IMPORTS"): 5, ("edge", "REFERENCES"): 1,
    }


def test_stats_ignores_the_stores_meta_records(tmp_path: Path) -> None:
    with KuzuStore(tmp_path / "g.kuzu") as empty:
        empty.set_meta("schema_version", "1")
        counts = {(r["element"], r["type"]): r["count"] for r in run(empty, "stats")}
    assert counts == {("edge", kind.value): 0 for kind in EdgeKind}


# -- parameters ----------------------------------------------------------------------------

def test_cli_strings_are_converted_and_defaults_filled(store: KuzuStore) -> None:
    rows = run_named(store, "callers", {"id": f"{BASE}::helper", "depth": "3"}).records()
    assert len(rows) == 3
    assert len(run_named(store, "find_symbol", {"name": "run", "limit": "1",
                                                "kind": None}).rows) == 1


@pytest.mark.parametrize(("name", "params", "message"), [
    ("callers", {}, "Missing parameter id"),
    ("callers", {"id": "x", "deep": 2}, "Unknown parameter(s) deep"),
    ("callers", {"id": "x", "depth": "two"}, "expected an integer, got 'two'"),
    ("callers", {"id": "x", "depth": True}, "expected an integer"),
    ("callers", {"id": "x", "depth": 6}, "above the maximum 5"),
    ("callers", {"id": "x", "depth": 0}, "below the minimum 1"),
    ("callers", {"id": 3}, "expected a string, got 3"),
    ("find_symbol", {"name": "x", "mode": "fuzzy"}, "not one of exact, prefix, contains"),
    ("find_symbol", {"name": "x", "kind": "file"}, "not one of class, function"),
    ("call_path", {"source": "a", "target": "b", "max_depth": 7}, "above the maximum 6"),
])
def test_bad_parameters_raise_value_error_naming_the_parameters(
        store: KuzuStore, name: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        run_named(store, name, params)
    assert message in str(caught.value)
    assert load_queries()[name].signature() in str(caught.value)


def test_unknown_query_lists_the_known_ones(store: KuzuStore) -> None:
    with pytest.raises(ValueError, match="Unknown query 'nope'; known queries: call_path"):
        run_named(store, "nope", {})


def test_signature_reads_like_the_header() -> None:
    assert load_queries()["callers"].signature() == (
        "id (string), depth (int, default 1, min 1, max 5)")


# -- the file format -----------------------------------------------------------------------

GOOD = """\
// name: demo
// purpose: Demo
//   over two lines.
// params: id (string) an id; n (int, default 2, max 3) a count
// returns: id
MATCH (x {id: $id}) RETURN x.id AS id LIMIT $n
"""


def test_parse_query_reads_the_header() -> None:
    query = parse_query(GOOD)
    assert isinstance(query, NamedQuery)
    assert query.purpose == "Demo over two lines."
    assert [(p.name, p.type, p.default, p.maximum, p.required) for p in query.params] == [
        ("id", "string", None, None, True), ("n", "int", 2, 3, False)]
    assert query.returns == ("id",)


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("// name: demo\n", ""), "header lacks name"),
    (GOOD.replace("LIMIT $n", "LIMIT $m"), "differ from those declared"),
    (GOOD.replace("LIMIT $n", "LIMIT 3"), "differ from those declared"),
    (GOOD.replace("(int,", "(float,"), "unknown type 'float'"),
    (GOOD.replace("max 3", "most 3"), "unknown option 'most 3'"),
    (GOOD.replace("default 2", "default two"), "parameter n"),
    (GOOD.replace("RETURN x.id", "SET x.seen = 1 RETURN x.id"), "SET"),
    (GOOD.replace("// returns", "// returns id\n// returns"), "not understood"),
])
def test_parse_query_rejects_malformed_files(text: str, message: str) -> None:
    with pytest.raises(QueryFileError, match=re.escape(message)):
        parse_query(text, source="demo.cypher")


def test_load_queries_rejects_a_name_used_twice(tmp_path: Path) -> None:
    (tmp_path / "a.cypher").write_text(GOOD)
    (tmp_path / "b.cypher").write_text(GOOD)
    with pytest.raises(QueryFileError, match="'demo' is used twice"):
        load_queries(tmp_path)


def test_a_custom_catalogue_can_be_run(store: KuzuStore, tmp_path: Path) -> None:
    (tmp_path / "demo.cypher").write_text(GOOD)
    result = run_named(store, "demo", {"id": APP}, queries=load_queries(tmp_path))
    assert result.records() == [{"id": APP}]


def test_dependents_lists_every_incoming_use_with_its_edge(store: KuzuStore) -> None:
    rows = run_named(store, "dependents", {"ids": f"{BASE}::helper,{CORE}::CustomError"}).records()
    uses = {(r["edge"], r["target"], r["id"]) for r in rows}
    assert (EdgeKind.IMPORTS.value, f"{BASE}::helper", CORE) in uses
    assert (EdgeKind.REFERENCES.value, f"{CORE}::CustomError", f"{APP}::main") in uses
    assert all(r["target"] in (f"{BASE}::helper", f"{CORE}::CustomError") for r in rows)


def test_nodes_returns_the_known_ids_only(store: KuzuStore) -> None:
    rows = run_named(store, "nodes", {"ids": [f"{CORE}::Engine.run", "no/such.py::thing"]}).records()
    assert [r["id"] for r in rows] == [f"{CORE}::Engine.run"]
    assert rows[0]["kind"] == "method" and rows[0]["path"] == CORE


def test_a_strings_parameter_takes_a_list_or_a_comma_separated_string(store: KuzuStore) -> None:
    with pytest.raises(ValueError, match="expected a list of strings"):
        run_named(store, "nodes", {"ids": 3})
