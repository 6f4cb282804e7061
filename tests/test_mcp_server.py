"""The MCP server through real in-memory client sessions of the mcp SDK: every tool with good
and bad input, the schema a model reads (descriptions, bounds, annotations), resources and the
prompt, paging, several repositories, the Cypher write guard, path escapes and parallel clients.

Answers are checked against what the sample repository (tests/fixtures/pyrepo, see its
README) is known to contain: two ``join`` functions, ``Engine(Base)`` and ``Turbo(Engine)``,
``app.main -> util.helper -> util.join``, and so on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
from conftest import copy_fixture, indexed_workspace
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent, TextResourceContents

from indexer.model import Label
from queries.registry import load_queries
from server.mcp_app import TITLES, build_server
from server.tools import RepolensTools

T = TypeVar("T")
TOOLS = (*RepolensTools.READ_ONLY, *RepolensTools.WRITING)
SECRET = "TOP-SECRET-VALUE"


@dataclass(frozen=True)
class Served:
    root: Path
    outside: Path
    """A file next to the repository that no tool may read."""
    server: Any


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The sample repository, indexed and served, with links out of it (a file and a
    directory) and one link inside it, made before indexing."""
    base = tmp_path_factory.mktemp("mcp_server")
    root = copy_fixture("pyrepo", base / "pyrepo")
    outside = base / "secret.py"
    outside.write_text(f"def leaked_secret():\n    return {SECRET!r}\n", encoding="utf-8")
    (root / "escape.py").symlink_to(outside)
    (root / "outside").symlink_to(base, target_is_directory=True)
    (root / "readme_link.md").symlink_to(root / "README.md")
    workspace = indexed_workspace(root)
    yield Served(root, outside, build_server(workspace))
    workspace.close()


def session(server: Any, work: Callable[[Client], Awaitable[T]]) -> T:
    """``work`` run in one fresh in-memory client session of ``server``."""

    async def main() -> T:
        async with Client(server) as client:
            return await work(client)

    return anyio.run(main)


def call(server: Any, tool: str, args: dict[str, Any]) -> CallToolResult:
    return session(server, lambda client: client.call_tool(tool, args))


def text_of(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def ok(server: Any, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """The structured answer of a call that must succeed (named_query's is unwrapped)."""
    result = call(server, tool, args)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    # named_query returns one of two models, which the SDK wraps as {"result": ...}
    data = result.structured_content["result"] if tool == "named_query" else result.structured_content
    assert json.loads(text_of(result)) == data, "the text content is the structured content"
    return data


def error(server: Any, tool: str, args: dict[str, Any]) -> str:
    """The message of a call that must fail."""
    result = call(server, tool, args)
    assert result.is_error, f"{tool}({args}) should fail: {result.structured_content}"
    message = text_of(result)
    assert "Traceback" not in message
    return message


def source_lines(root: Path, path: str) -> list[str]:
    return (root / path).read_text(encoding="utf-8").splitlines()


def numbered(root: Path, path: str, first: int, last: int) -> str:
    """Lines first..last of a file as read_file and read_symbol number them."""
    lines = source_lines(root, path)
    width = len(str(last))
    return "\n".join(f"{n:>{width}}\t{lines[n - 1]}" for n in range(first, last + 1))


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


# -- what the model reads -------------------------------------------------------------------
def test_every_tool_is_listed_with_its_title_and_an_output_schema(served: Served) -> None:
    listed = session(served.server, lambda c: c.list_tools()).tools
    assert sorted(t.name for t in listed) == sorted(TOOLS)
    for tool in listed:
        assert tool.title == TITLES[tool.name]
        assert tool.output_schema is not None and tool.output_schema.get("type") == "object", tool.name


def test_every_tool_and_parameter_has_a_description(served: Served) -> None:
    listed = session(served.server, lambda c: c.list_tools()).tools
    for tool in listed:
        assert tool.description and len(tool.description.split()) >= 15, f"{tool.name}: too short a description"
        properties = tool.input_schema.get("properties", {})
        assert set(tool.input_schema.get("required", [])) <= set(properties)
        for name, schema in properties.items():
            assert schema.get("description", "").strip(), f"{tool.name}.{name} has no description"
    prompts = session(served.server, lambda c: c.list_prompts()).prompts
    for prompt in prompts:
        assert prompt.description
        assert all(argument.description for argument in prompt.arguments or []), prompt.name
    resources = session(served.server, lambda c: c.list_resources()).resources
    assert resources and all(resource.description for resource in resources)


def test_bounds_are_in_the_schema(served: Served) -> None:
    listed = {t.name: t for t in session(served.server, lambda c: c.list_tools()).tools}
    find = listed["find_symbol"].input_schema["properties"]
    assert (find["limit"]["minimum"], find["limit"]["maximum"]) == (1, 500)
    assert find["offset"]["minimum"] == 0
    assert find["mode"]["enum"] == ["exact", "prefix", "contains"]
    assert listed["find_symbol"].input_schema["required"] == ["name"]
    assert listed["callers"].input_schema["properties"]["depth"]["maximum"] == 5


def test_read_only_tools_say_so_and_reindex_does_not(served: Served) -> None:
    listed = {t.name: t for t in session(served.server, lambda c: c.list_tools()).tools}
    for name, tool in listed.items():
        assert tool.annotations is not None, name
        assert tool.annotations.read_only_hint is (name != "reindex"), name
        assert tool.annotations.destructive_hint is False, name
        assert tool.annotations.open_world_hint is False, name
    assert listed["reindex"].annotations is not None and listed["reindex"].annotations.read_only_hint is False


def test_instructions_name_the_served_repository(served: Served) -> None:
    async def instructions(client: Client) -> str | None:
        return client.instructions

    text = session(served.server, instructions)
    assert text and "pyrepo" in text


def test_a_legacy_handshake_session_sees_the_same_tools(served: Served) -> None:
    async def legacy() -> list[str]:
        async with Client(served.server, mode="legacy") as client:
            return [t.name for t in (await client.list_tools()).tools]

    assert sorted(anyio.run(legacy)) == sorted(TOOLS)


# -- every tool with good input -------------------------------------------------------------
def check_localize(root: Path, data: dict[str, Any]) -> None:
    assert "pkg/core.py::Engine.stop" in ids(data["functions"])
    assert "pkg/core.py" in ids(data["files"])
    assert len(data["files"]) <= 3 and len(data["functions"]) <= 3
    top = data["functions"][0]
    assert top["evidence"] and top["start_line"] <= top["end_line"]


def check_search_code(root: Path, data: dict[str, Any]) -> None:
    found = ids(data["results"])
    assert {"pkg/util.py::join", "pkg/paths.py::join"} <= set(found)
    assert len(found) == 5 and data["page"]["truncated"] is True and data["page"]["next_offset"] == 5


def check_repo_map(root: Path, data: dict[str, Any]) -> None:
    assert "pkg/core.py" in data["files"] and "class Engine(Base)" in data["text"]
    assert 0 < data["tokens"] <= 2000


def check_file_schematic(root: Path, data: dict[str, Any]) -> None:
    assert data["path"] == "pkg/core.py"
    assert [s["qualname"] for s in data["symbols"]] == [
        "EngineError", "Engine", "Engine.__init__", "Engine.run", "Engine._log", "Engine._log.fmt", "Engine.stop",
        "Engine.version"]
    lines = source_lines(root, "pkg/core.py")
    for symbol in data["symbols"]:
        assert symbol["name"] in lines[symbol["start_line"] - 1], symbol


def check_find_symbol(root: Path, data: dict[str, Any]) -> None:
    found = {s["id"]: s for s in data["symbols"]}
    assert {"pkg/util.py::join", "pkg/paths.py::join", "extern::os.path.join"} <= set(found)
    assert found["pkg/util.py::join"]["signature"] == "def join(parts)"
    assert data["page"] == {"total": len(found), "total_exact": True, "offset": 0, "truncated": False,
                            "next_offset": None}


def check_read_symbol(root: Path, data: dict[str, Any]) -> None:
    assert (data["path"], data["start_line"], data["end_line"]) == ("pkg/core.py", 26, 30)
    assert data["text"] == numbered(root, "pkg/core.py", 26, 30)
    assert data["symbol"]["id"] == "pkg/core.py::Engine.run" and data["symbol"]["doc"] == "Run once."
    assert data["next_start_line"] is None


def check_read_file(root: Path, data: dict[str, Any]) -> None:
    assert data["text"] == numbered(root, "pkg/util.py", 17, 18)
    assert data["total_lines"] == len(source_lines(root, "pkg/util.py"))
    assert data["next_start_line"] == 19


def check_callers(root: Path, data: dict[str, Any]) -> None:
    assert data["symbol"]["id"] == "pkg/util.py::join"
    assert ids(data["items"]) == ["pkg/sub/worker.py::work", "pkg/util.py::helper"]
    assert all(item["depth"] == 1 for item in data["items"])


def check_callees(root: Path, data: dict[str, Any]) -> None:
    assert "pkg/util.py::join" in ids(data["items"])
    assert {"pkg/sub/worker.py::work", "pkg/util.py::helper"} <= set(ids(data["items"])), "depth 2 reaches join"


def check_call_path(root: Path, data: dict[str, Any]) -> None:
    assert data["found"] is True
    assert ids(data["path"]) == ["app.py::main", "pkg/util.py::helper", "pkg/util.py::join"]


def check_references(root: Path, data: dict[str, Any]) -> None:
    assert [(i["id"], i["edge"], i["line"]) for i in data["items"]] == [("pkg/sub/worker.py::Turbo", "INHERITS", 21)]


def check_class_hierarchy(root: Path, data: dict[str, Any]) -> None:
    assert [(i["id"], i["depth"]) for i in data["superclasses"]] == [("pkg/core.py::Engine", 1),
                                                                     ("pkg/base.py::Base", 2)]
    assert data["subclasses"] == [] and data["truncated"] is False


def check_imports(root: Path, data: dict[str, Any]) -> None:
    found = {(i["id"], i["line"]) for i in data["items"]}
    assert {("pkg/util.py", 3), ("pkg/core.py::Engine", 4), ("pkg/util.py::helper", 5), ("pkg/sub/jobs.py", 6)} \
        <= found
    assert all(i["edge"] == "IMPORTS" for i in data["items"])


def check_impact(root: Path, data: dict[str, Any]) -> None:
    by_depth = {i["id"]: i["depth"] for i in data["items"]}
    assert by_depth["pkg/util.py::helper"] == by_depth["pkg/sub/worker.py::work"] == 1
    assert by_depth["app.py::main"] == 2
    assert data["files"] == sorted({i["path"] for i in data["items"]})


def check_cypher(root: Path, data: dict[str, Any]) -> None:
    assert data["columns"] == ["sub", "base"]
    assert data["rows"] == [{"sub": "pkg/core.py::Engine", "base": "pkg/base.py::Base"},
                            {"sub": "pkg/sub/worker.py::Turbo", "base": "pkg/core.py::Engine"}]


def check_named_query(root: Path, data: dict[str, Any]) -> None:
    assert ids(data["rows"]) == ["pkg/sub/jobs.py::schedule", "pkg/sub/jobs.py::_private"]


def check_index_status(root: Path, data: dict[str, Any]) -> None:
    assert data["served"] == ["pyrepo"] and data["root"] == str(root)
    assert data["fresh"] is True and data["pending_counts"] == {"added": 0, "modified": 0, "deleted": 0}
    counts = {(c["element"], c["type"]): c["count"] for c in data["counts"]}
    assert counts[("node", "class")] == 5  # Registry, Base, EngineError, Engine, Turbo
    assert list(counts) == sorted(counts, key=lambda c: (c[0] != "node", c[1])), "nodes, then edges, by type"


def check_reindex(root: Path, data: dict[str, Any]) -> None:
    assert data["mode"] == "unchanged" and data["parsed"] == 0
    assert data["index"]["repo"] == "pyrepo" and data["index"]["indexed_at"]


GOOD: dict[str, tuple[dict[str, Any], Callable[[Path, dict[str, Any]], None]]] = {
    "localize": ({"text": "EngineError raised when Engine.stop is called", "limit": 3}, check_localize),
    "search_code": ({"query": "join path parts", "limit": 5}, check_search_code),
    "repo_map": ({"budget_tokens": 2000}, check_repo_map),
    "file_schematic": ({"path": "pkg/core.py"}, check_file_schematic),
    "find_symbol": ({"name": "join"}, check_find_symbol),
    "read_symbol": ({"symbol": "Engine.run"}, check_read_symbol),
    "read_file": ({"path": "pkg/util.py", "start_line": 17, "max_lines": 2}, check_read_file),
    "callers": ({"symbol": "pkg/util.py::join"}, check_callers),
    "callees": ({"symbol": "app.py::main", "depth": 2, "limit": 500}, check_callees),
    "call_path": ({"source": "app.py::main", "target": "pkg/util.py::join"}, check_call_path),
    "references": ({"symbol": "pkg/core.py::Engine", "edges": ["INHERITS"]}, check_references),
    "class_hierarchy": ({"symbol": "Turbo"}, check_class_hierarchy),
    "imports": ({"path": "pkg/sub/worker.py"}, check_imports),
    "impact": ({"target": "pkg/util.py::join", "depth": 2}, check_impact),
    "cypher": ({"query": "MATCH (c:Class)-[:INHERITS]->(b:Class) RETURN c.id AS sub, b.id AS base ORDER BY sub"},
               check_cypher),
    "named_query": ({"name": "file_outline", "params": {"path": "pkg/sub/jobs.py"}}, check_named_query),
    "index_status": ({}, check_index_status),
    "reindex": ({}, check_reindex),
}


def test_every_tool_has_a_good_and_a_bad_case() -> None:
    assert set(GOOD) == set(TOOLS)
    assert {tool for tool, _, _ in BAD} == set(TOOLS)


@pytest.mark.parametrize("tool", list(GOOD))
def test_good_input_gets_the_known_answer(served: Served, tool: str) -> None:
    args, check = GOOD[tool]
    data = ok(served.server, tool, args)
    check(served.root, data)
    if "index" in data:
        assert data["index"]["repo"] == "pyrepo" and data["index"]["watching"] is False


# -- every tool with bad input --------------------------------------------------------------
BAD: list[tuple[str, dict[str, Any], list[str]]] = [
    ("localize", {"text": ""}, ["text: must not be empty"]),
    ("localize", {"text": "x", "limit": 51}, ["limit: must be at most 50 (got 51)"]),
    ("search_code", {"query": "join", "limit": 501}, ["limit: must be at most 500 (got 501)"]),
    ("search_code", {"query": "join", "offset": -1}, ["offset: must be at least 0 (got -1)"]),
    ("repo_map", {"budget_tokens": 10}, ["budget_tokens: must be at least 64 (got 10)"]),
    ("file_schematic", {"path": "core.py"}, ["'core.py' is not an indexed file", "did you mean: pkg/core.py"]),
    ("find_symbol", {"name": "join", "mode": "fuzzy"},
     ["mode: must be one of 'exact', 'prefix' or 'contains' (got \"fuzzy\")"]),
    ("find_symbol", {}, ["name: is required"]),
    ("read_symbol", {"symbol": "run"},
     ["'run' names 3 symbols", "pkg/base.py::Base.run", "pkg/core.py::Engine.run", "pkg/sub/worker.py::Turbo.run",
      "pass one of these ids"]),
    ("read_symbol", {"symbol": "extern::os.path.join"}, ["external", "not defined in this repository"]),
    ("read_symbol", {"symbol": "pkg"}, ["pkg is directory", "no source"]),
    ("read_symbol", {"symbol": "Engine.run", "start_line": 1}, ["start_line 1 is outside", "lines 26-30"]),
    ("read_file", {"path": "nope.py"}, ["no file 'nope.py'", "find_symbol"]),
    ("read_file", {"path": "pkg/util.py", "start_line": 100}, ["'pkg/util.py' has 23 lines", "past the end"]),
    ("read_file", {"path": "pkg/util.py", "start_line": 10, "end_line": 5}, ["end_line 5 is before start_line 10"]),
    ("read_file", {"path": "blob.py"}, ["binary file"]),
    ("read_file", {"path": "pkg"}, ["'pkg' is a directory"]),
    ("callers", {"symbol": "Engin"}, ["no symbol 'Engin'", "Engine (pkg/core.py::Engine)", "find_symbol"]),
    ("callees", {"symbol": "pkg/util.py::helper", "depth": 9}, ["depth: must be at most 5 (got 9)"]),
    ("call_path", {"source": "app.py::main", "target": "nowhere"}, ["no symbol 'nowhere'", "search_code"]),
    ("references", {"symbol": "Engine", "edges": ["WRITES"]},
     ["edges[0]: must be one of 'CALLS', 'REFERENCES', 'INHERITS' or 'IMPORTS' (got \"WRITES\")"]),
    ("class_hierarchy", {"symbol": "helper"}, ["function pkg/util.py::helper", "not a class"]),
    ("class_hierarchy", {"symbol": "run"}, ["no class 'run'", "Engine.run (pkg/core.py::Engine.run)"]),
    ("imports", {"path": "README.md"}, ["'README.md' is not an indexed file", "repo_map"]),
    ("imports", {"path": "pkg"}, ["'pkg' is a directory, not a file"]),
    ("impact", {"target": "pkg/nowhere.py"}, ["'pkg/nowhere.py' is not an indexed file"]),
    ("cypher", {"query": "MATCH (n:Nope) RETURN n"}, ["Nope"]),
    ("cypher", {"query": "MATCH (n RETURN n"}, ["Parser exception"]),
    ("cypher", {"query": "MATCH (f:Function) WHERE f.name = $name RETURN f.id"},
     ["uses $name", "params={'name': ...}"]),
    ("named_query", {"name": "nope"}, ["Unknown query 'nope'", "file_outline", "callers"]),
    ("named_query", {"name": "callers"}, ["Missing parameter id"]),
    ("named_query", {"name": "callers", "params": {"id": "x", "bogus": 1}}, ["Unknown parameter(s) bogus"]),
    ("index_status", {"repo": "elsewhere"}, ["no repository 'elsewhere' is served", "served: pyrepo"]),
    ("reindex", {"repo": "elsewhere"}, ["no repository 'elsewhere' is served", "served: pyrepo"]),
    ("reindex", {"rebuild": "maybe"}, ["rebuild: must be a JSON boolean, true or false (got \"maybe\")"]),
]


@pytest.mark.parametrize(("tool", "args", "expected"), BAD, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(BAD)])
def test_bad_input_is_an_error_that_says_how_to_recover(served: Served, tool: str, args: dict[str, Any],
                                                       expected: list[str]) -> None:
    message = error(served.server, tool, args)
    assert tool in message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_an_unknown_tool_is_an_error_naming_it(served: Served) -> None:
    result = call(served.server, "delete_everything", {})
    assert result.is_error and "delete_everything" in text_of(result)


def test_an_unresolved_call_shows_as_unresolved(served: Served) -> None:
    data = ok(served.server, "callees", {"symbol": "pkg/sub/worker.py::work"})
    kinds = {i["id"]: (i["kind"], i["resolution"]) for i in data["items"]}
    assert kinds["unresolved::frobnicate"] == ("unresolved", "unresolved")
    assert kinds["pkg/util.py::join"] == ("function", "exact")


# -- paging ---------------------------------------------------------------------------------
PAGED: list[tuple[str, dict[str, Any], str]] = [
    ("find_symbol", {"name": "e", "mode": "contains"}, "symbols"),
    ("search_code", {"query": "engine run start"}, "results"),
    ("callees", {"symbol": "app.py::main"}, "items"),
    ("references", {"symbol": "pkg/core.py::Engine"}, "items"),
    ("imports", {"path": "app.py"}, "items"),
    ("impact", {"target": "pkg/base.py", "depth": 3}, "items"),
    ("named_query", {"name": "file_outline", "params": {"path": "pkg/core.py"}}, "rows"),
]


@pytest.mark.parametrize(("tool", "args", "key"), PAGED, ids=[p[0] for p in PAGED])
def test_lists_say_when_truncated_and_page_on_with_offset(served: Served, tool: str, args: dict[str, Any],
                                                          key: str) -> None:
    whole = ok(served.server, tool, {**args, "limit": 500})
    assert whole["page"]["truncated"] is False and whole["page"]["next_offset"] is None
    expected = whole[key]
    assert len(expected) > 4, "the case must need several pages"
    pages: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        pages.append(ok(served.server, tool, {**args, "limit": 2, "offset": offset}))
        offset = pages[-1]["page"]["next_offset"]
        assert len(pages) <= len(expected), "paging must end"
    assert [item for page in pages for item in page[key]] == expected
    assert all(page["page"]["truncated"] for page in pages[:-1])
    assert pages[-1]["page"]["truncated"] is False
    assert [page["page"]["offset"] for page in pages] == list(range(0, 2 * len(pages), 2))


def test_find_symbol_gives_the_true_total_of_many_matches(tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    (root / "many.py").write_text("".join(f"def f_{n:03}():\n    return {n}\n\n\n" for n in range(520)),
                                  encoding="utf-8")
    workspace = indexed_workspace(root)
    server = build_server(workspace)
    try:
        first = ok(server, "find_symbol", {"name": "f_", "mode": "prefix", "limit": 500})
        assert len(first["symbols"]) == 500 and first["page"]["truncated"] is True
        assert first["page"]["total"] == 520 and first["page"]["total_exact"] is True
        last = ok(server, "find_symbol", {"name": "f_", "mode": "prefix", "limit": 10, "offset": 495})
        assert ids(last["symbols"]) == ids(first["symbols"])[495:] + [f"many.py::f_{n}" for n in range(500, 505)]
        assert last["page"]["truncated"] is True and last["page"]["next_offset"] == 505
        end = ok(server, "find_symbol", {"name": "f_", "mode": "prefix", "limit": 10, "offset": 515})
        assert len(end["symbols"]) == 5 and end["page"] == {"total": 520, "total_exact": True, "offset": 515,
                                                            "truncated": False, "next_offset": None}
        narrower = ok(server, "find_symbol", {"name": "f_51", "mode": "prefix"})
        assert ids(narrower["symbols"]) == [f"many.py::f_51{n}" for n in range(10)]
    finally:
        workspace.close()


def test_cypher_rows_are_capped_at_limit_and_say_so(served: Served) -> None:
    query = "MATCH (f:Function) RETURN f.id AS id ORDER BY id"
    whole = ok(served.server, "cypher", {"query": query, "limit": 1000})
    capped = ok(served.server, "cypher", {"query": query, "limit": 3})
    assert len(whole["rows"]) > 3 and whole["page"]["truncated"] is False
    assert capped["rows"] == whole["rows"][:3] and capped["page"]["truncated"] is True


def test_repo_map_and_hierarchy_say_when_cut(served: Served) -> None:
    small = ok(served.server, "repo_map", {"budget_tokens": 64})
    large = ok(served.server, "repo_map", {"budget_tokens": 20_000})
    assert small["truncated"] is True and small["tokens"] <= 64
    assert large["truncated"] is False and set(small["files"]) < set(large["files"])
    cut = ok(served.server, "class_hierarchy", {"symbol": "Base", "direction": "down", "limit": 1})
    whole = ok(served.server, "class_hierarchy", {"symbol": "Base", "direction": "down"})
    assert ids(whole["subclasses"]) == ["pkg/core.py::Engine", "pkg/sub/worker.py::Turbo"]
    assert cut["subclasses"] == whole["subclasses"][:1] and cut["truncated"] is True


# -- the Cypher guard -----------------------------------------------------------------------
WRITES = [
    ("MATCH (n) DETACH DELETE n", "DETACH DELETE"),
    ("match (n:File) set n.doc = 'x' return n", "SET"),
    ("MaTcH (n:File) ReMoVe n.doc", "REMOVE"),
    ("CREATE (:File {id: 'x'})", "CREATE"),
    ("MERGE (f:File {id: 'pkg/core.py'}) RETURN f", "MERGE"),
    ("MATCH (n) /* only reads */ dElEtE n", "DELETE"),
    ("// a comment first\nCREATE (n:File {id: 'y'})", "CREATE"),
    ("MATCH (n) RETURN n.id // trailing\n; DROP TABLE File", "DROP TABLE"),
    ("MATCH (n) WITH n CALL { WITH n RETURN n.id AS i } IN TRANSACTIONS OF 10 ROWS RETURN i",
     "CALL ... IN TRANSACTIONS"),
    ("CALL {\n MATCH (n) RETURN n\n} in\ttransactions", "CALL ... IN TRANSACTIONS"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", "LOAD CSV"),
    ("load csv with headers from 'http://example.com/x.csv' as r return r", "LOAD CSV"),
    ("LOAD FROM '/etc/passwd' RETURN *", "LOAD FROM"),
    ("COPY File FROM '/tmp/x.csv'", "COPY"),
    ("CALL db.createLabel('X')", "CALL db.createLabel"),
    ("call apoc.periodic.iterate('MATCH (n) RETURN n', 'DETACH DELETE n', {})", "CALL apoc.periodic.iterate"),
    ("CALL threads = 1", "CALL threads"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD EXTENSION httpfs", "LOAD EXTENSION"),
    ("ATTACH '/tmp/other.kuzu' AS other (dbtype kuzu)", "ATTACH"),
    ("EXPORT DATABASE '/tmp/out'", "EXPORT DATABASE"),
    ("BEGIN TRANSACTION", "BEGIN TRANSACTION"),
    ("MATCH (n:File) FOREACH (x IN [1] | SET n.doc = 'x')", "FOREACH"),
]


def node_and_edge_counts(server: Any) -> list[tuple[str, str, int]]:
    return sorted((r["element"], r["type"], r["count"]) for r in ok(server, "named_query", {"name": "stats"})["rows"])


@pytest.mark.parametrize(("query", "clause"), WRITES, ids=[w[1] + f"-{i}" for i, w in enumerate(WRITES)])
def test_the_cypher_guard_refuses_writes_in_every_spelling(served: Served, query: str, clause: str) -> None:
    before = node_and_edge_counts(served.server)
    message = error(served.server, "cypher", {"query": query})
    assert "Query refused" in message and clause in message and "only read queries" in message
    assert node_and_edge_counts(served.server) == before


@pytest.mark.parametrize("query", [
    "MATCH (f:Function) WHERE f.name = 'set' RETURN count(*) AS n",
    "RETURN 'CREATE (n) DELETE n' AS text",
    "MATCH (n:File) RETURN n.id AS `delete` ORDER BY `delete` LIMIT 1",
    "MATCH (n:File) // DETACH DELETE n\nRETURN count(*) AS n",
    "CALL show_tables() RETURN *",
])
def test_the_cypher_guard_lets_reads_through(served: Served, query: str) -> None:
    data = ok(served.server, "cypher", {"query": query})
    assert data["rows"], query


def test_cypher_takes_parameters(served: Served) -> None:
    data = ok(served.server, "cypher", {"query": "MATCH (f:Function) WHERE f.name = $name RETURN f.id AS id "
                                                 "ORDER BY id", "params": {"name": "join"}})
    assert data["rows"] == [{"id": "pkg/paths.py::join"}, {"id": "pkg/util.py::join"}]


# -- paths out of the repository ------------------------------------------------------------
ESCAPES = ["../secret.py", "pkg/../../secret.py", "pkg\\..\\..\\secret.py", "outside/secret.py", "escape.py",
           "/etc/passwd", "OUTSIDE_ABSOLUTE"]


@pytest.mark.parametrize("path", ESCAPES)
@pytest.mark.parametrize(("tool", "key"), [("read_file", "path"), ("file_schematic", "path"), ("imports", "path"),
                                           ("impact", "target")])
def test_paths_that_leave_the_repository_are_refused(served: Served, tool: str, key: str, path: str) -> None:
    given = str(served.outside) if path == "OUTSIDE_ABSOLUTE" else path
    message = error(served.server, tool, {key: given})
    assert "outside the repository" in message and "relative to the repository root" in message
    assert SECRET not in message


def test_a_nul_byte_in_a_path_is_refused(served: Served) -> None:
    message = error(served.server, "read_file", {"path": "pkg/util.py\x00.txt"})
    assert "empty or invalid" in message


def test_links_inside_the_repository_still_read_and_links_out_are_not_indexed(served: Served) -> None:
    data = ok(served.server, "read_file", {"path": "readme_link.md", "max_lines": 1})
    assert data["text"] == "1\t" + source_lines(served.root, "README.md")[0]
    assert ok(served.server, "find_symbol", {"name": "leaked_secret"})["symbols"] == []
    assert error(served.server, "read_symbol", {"symbol": "leaked_secret"}).count("no symbol") == 1


# -- resources and the prompt ---------------------------------------------------------------
def test_the_schema_resource_names_labels_and_named_queries(served: Served) -> None:
    async def read(client: Client) -> tuple[list[str], Any]:
        listed = [str(r.uri) for r in (await client.list_resources()).resources]
        return listed, await client.read_resource("repolens://schema")

    listed, result = session(served.server, read)
    assert sorted(listed) == ["repolens://repositories", "repolens://schema"]
    content = result.contents[0]
    assert isinstance(content, TextResourceContents) and content.mime_type == "text/markdown"
    for label in Label:
        assert f"- {label.value}" in content.text
    for name in load_queries():
        assert f"### {name}(" in content.text


def test_the_schema_examples_run(served: Served) -> None:
    result = session(served.server, lambda c: c.read_resource("repolens://schema"))
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    examples = re.findall(r"^(MATCH .*)$", content.text.split("## Named queries")[0], flags=re.MULTILINE)
    assert len(examples) >= 3
    values = {"base": "pkg/base.py::Base", "name": "run", "path": "app.py"}
    for query in examples:
        params = {name: values[name] for name in re.findall(r"\$(\w+)", query)}
        assert ok(served.server, "cypher", {"query": query, "params": params})["rows"], query


def test_the_repositories_resource_lists_roots_and_freshness(served: Served) -> None:
    result = session(served.server, lambda c: c.read_resource("repolens://repositories"))
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    repos = json.loads(content.text)
    assert list(repos) == ["pyrepo"]
    assert repos["pyrepo"]["root"] == str(served.root) and repos["pyrepo"]["indexed_at"]


def test_an_unknown_resource_is_refused(served: Served) -> None:
    async def read(client: Client) -> str:
        try:
            await client.read_resource("repolens://nothing")
        except MCPError as exc:
            return str(exc)
        return "no error"

    message = session(served.server, read)
    assert "Unknown resource" in message and "repolens://nothing" in message


def test_the_prompt_names_real_tools_and_carries_the_issue(served: Served) -> None:
    issue = "Engine.stop raises EngineError when the worker is idle"
    result = session(served.server, lambda c: c.get_prompt("localize_then_read", {"issue": issue,
                                                                                   "repo": "pyrepo"}))
    content = result.messages[0].content
    assert isinstance(content, TextContent)
    assert content.text.rstrip().endswith(issue) and "'pyrepo'" in content.text
    mentioned = set(re.findall(r"`([a-z_]+)`", content.text))
    assert {"localize", "read_symbol"} <= mentioned <= set(TOOLS)


# -- several repositories -------------------------------------------------------------------
@pytest.fixture(scope="module")
def several(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Path], Any]]:
    """pyrepo, tsrepo and a second copy of pyrepo (same directory name), all served."""
    base = tmp_path_factory.mktemp("mcp_several")
    roots = [copy_fixture("pyrepo", base / "a" / "pyrepo"), copy_fixture("tsrepo", base / "tsrepo"),
             copy_fixture("pyrepo", base / "b" / "pyrepo")]
    (roots[2] / "pkg" / "core.py").unlink()
    workspace = indexed_workspace(*roots)
    yield {name: repo.root for name, repo in workspace.repos.items()}, build_server(workspace)
    workspace.close()


def test_several_repositories_get_distinct_names(several: tuple[dict[str, Path], Any]) -> None:
    roots, server = several
    assert list(roots) == ["pyrepo", "tsrepo", "pyrepo-2"]
    assert ok(server, "index_status", {"repo": "tsrepo"})["served"] == ["pyrepo", "tsrepo", "pyrepo-2"]
    result = session(server, lambda c: c.read_resource("repolens://repositories"))
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    assert {name: entry["root"] for name, entry in json.loads(content.text).items()} == {
        name: str(root) for name, root in roots.items()}


def test_without_repo_the_error_lists_the_served_names(several: tuple[dict[str, Path], Any]) -> None:
    _, server = several
    message = error(server, "find_symbol", {"name": "Engine"})
    assert "pyrepo, tsrepo, pyrepo-2" in message and "pass `repo`" in message
    message = error(server, "find_symbol", {"name": "Engine", "repo": "jsrepo"})
    assert "no repository 'jsrepo'" in message and "pyrepo, tsrepo, pyrepo-2" in message


def test_each_repository_answers_for_itself(several: tuple[dict[str, Path], Any]) -> None:
    roots, server = several
    assert ids(ok(server, "find_symbol", {"name": "Engine", "repo": "pyrepo"})["symbols"]) == ["pkg/core.py::Engine"]
    assert ids(ok(server, "find_symbol", {"name": "Engine", "repo": "tsrepo"})["symbols"]) == \
        ["src/lib/engine.ts::Engine"]
    other = ok(server, "find_symbol", {"name": "Engine", "repo": "pyrepo-2"})["symbols"]
    assert [(s["id"], s["kind"]) for s in other] == [("unresolved::Engine", "unresolved")], "its core.py is gone"
    by_path = ok(server, "find_symbol", {"name": "Engine", "repo": str(roots["tsrepo"])})
    assert ids(by_path["symbols"]) == ["src/lib/engine.ts::Engine"] and by_path["index"]["repo"] == "tsrepo"
    assert ok(server, "read_file", {"path": "src/lib/engine.ts", "max_lines": 1, "repo": "tsrepo"})["text"] == \
        "1\t" + (roots["tsrepo"] / "src/lib/engine.ts").read_text(encoding="utf-8").splitlines()[0]


# -- parallel clients -----------------------------------------------------------------------
PARALLEL_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("find_symbol", {"name": "run"}),
    ("callers", {"symbol": "pkg/util.py::join", "depth": 2}),
    ("read_symbol", {"symbol": "pkg/base.py::Base.create"}),
    ("cypher", {"query": "MATCH (f:File) RETURN f.id AS id ORDER BY id"}),
    ("impact", {"target": "pkg/base.py", "depth": 2}),
    ("references", {"symbol": "pkg/core.py::Engine"}),
    ("file_schematic", {"path": "pkg/sub/worker.py"}),
    ("search_code", {"query": "schedule a job"}),
    ("localize", {"text": "Turbo.boost logs the wrong message"}),
    ("class_hierarchy", {"symbol": "Turbo"}),
]


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """An answer without the timings that differ from call to call."""
    return {k: v for k, v in data.items() if k != "seconds"}


def test_eight_parallel_clients_all_get_right_answers(served: Served) -> None:
    expected = [comparable(ok(served.server, tool, args)) for tool, args in PARALLEL_CALLS]
    answers: dict[int, list[tuple[int, dict[str, Any]]]] = {}

    async def client_run(number: int) -> None:
        async with Client(served.server) as client:
            order = PARALLEL_CALLS[number:] + PARALLEL_CALLS[:number]  # each client in its own order
            got = []
            for _ in range(2):
                for tool, args in order:
                    result = await client.call_tool(tool, args)
                    assert not result.is_error, text_of(result)
                    assert result.structured_content is not None
                    got.append((PARALLEL_CALLS.index((tool, args)), comparable(result.structured_content)))
            answers[number] = got

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for number in range(8):
                group.start_soon(client_run, number)

    anyio.run(main)
    assert sorted(answers) == list(range(8))
    for got in answers.values():
        assert len(got) == 2 * len(PARALLEL_CALLS)
        for position, data in got:
            assert data == expected[position], PARALLEL_CALLS[position]


# -- reindex through the server -------------------------------------------------------------
def test_reindex_picks_up_added_and_deleted_files(tmp_path: Path) -> None:
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    workspace = indexed_workspace(root)
    server = build_server(workspace)
    try:
        (root / "pkg" / "extra.py").write_text("from .util import join\n\n\ndef brand_new_function():\n"
                                                "    return join(['x'])\n", encoding="utf-8")
        status = ok(server, "index_status", {})
        assert status["fresh"] is False and status["pending"]["added"] == ["pkg/extra.py"]
        assert ok(server, "find_symbol", {"name": "brand_new_function"})["symbols"] == []

        report = ok(server, "reindex", {})
        assert (report["mode"], report["added"], report["parsed"]) == ("incremental", 1, 1)
        found = ok(server, "find_symbol", {"name": "brand_new_function"})["symbols"]
        assert ids(found) == ["pkg/extra.py::brand_new_function"] and found[0]["start_line"] == 4
        callers = ok(server, "callers", {"symbol": "pkg/util.py::join"})
        assert "pkg/extra.py::brand_new_function" in ids(callers["items"])
        assert ok(server, "index_status", {})["fresh"] is True

        (root / "pkg" / "extra.py").unlink()
        report = ok(server, "reindex", {})
        assert (report["mode"], report["deleted"]) == ("incremental", 1)
        assert ok(server, "find_symbol", {"name": "brand_new_function"})["symbols"] == []
        rebuilt = ok(server, "reindex", {"rebuild": True})
        assert rebuilt["mode"] == "full" and rebuilt["files"] == report["files"]
    finally:
        workspace.close()
