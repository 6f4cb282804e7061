"""CLI parity: every MCP tool is also a ``repolens <tool-name-with-dashes>`` command with the
same parameters, descriptions and bounds, its ``--json`` answer is the tool's structured
output, its errors carry the same message, and the short names kept from before the server
(search, map, schematic, status, query, queries) still work."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import click
import pytest
from click.testing import CliRunner
from conftest import copy_fixture, indexed_workspace
from mcp import Client
from mcp_types import CallToolResult, TextContent, Tool

from server.cli import main
from server.cli_render import cli_wording
from server.cli_tools import ALIASES, command_name
from server.mcp_app import build_server
from server.tools import RepolensTools

TOOLS = (*RepolensTools.READ_ONLY, *RepolensTools.WRITING)
COMMON = {"repo", "db_dir", "backend", "repo_id", "embed", "as_json"}
"""Options every tool command has that choose the repository and the output, not the question."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    root = copy_fixture("pyrepo", tmp_path_factory.mktemp("cli_tools") / "pyrepo")
    workspace = indexed_workspace(root)
    yield root, build_server(workspace)
    workspace.close()


def listed_tools(server: Any) -> dict[str, Tool]:
    async def run() -> dict[str, Tool]:
        async with Client(server) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    return anyio.run(run)


def mcp_call(server: Any, tool: str, args: dict[str, Any]) -> CallToolResult:
    async def run() -> CallToolResult:
        async with Client(server) as client:
            return await client.call_tool(tool, args)

    return anyio.run(run)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def cli_json(*args: str) -> Any:
    code, out = cli(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def command(tool: str) -> click.Command:
    found = main.get_command(click.Context(main), command_name(tool))
    assert found is not None, f"no command for the tool {tool}"
    return found


# -- the same parameters --------------------------------------------------------------------
def test_every_tool_has_a_command_with_the_same_parameter_names(served: tuple[Path, Any]) -> None:
    tools = listed_tools(served[1])
    assert sorted(tools) == sorted(TOOLS)
    for name, tool in tools.items():
        params = {p.name for p in command(name).params if p.name not in COMMON}
        assert params == set(tool.input_schema["properties"]) - {"repo"}, name
        assert {p.name for p in command(name).params} >= COMMON, name


def test_commands_describe_and_bound_their_parameters_as_the_tools_do(served: tuple[Path, Any]) -> None:
    for name, tool in listed_tools(served[1]).items():
        cmd = command(name)
        help_text = (cmd.help or "").split("\n\nArguments:\n\n")[0]
        assert " ".join(help_text.split()) == " ".join((tool.description or "").split()), name
        required = set(tool.input_schema.get("required", []))
        for param in cmd.params:
            if param.name in COMMON or param.name is None:
                continue
            schema = tool.input_schema["properties"][param.name]
            assert param.required == (param.name in required), (name, param.name)
            if isinstance(param, click.Option):
                assert param.help and param.help.startswith(schema["description"]), (name, param.name)
            else:
                assert f"{param.name.upper()}: {schema['description']}" in (cmd.help or ""), (name, param.name)
            if isinstance(param.type, click.IntRange):
                assert (param.type.min, param.type.max) == (bound(schema, "minimum"), bound(schema, "maximum")), \
                    (name, param.name)
            if isinstance(param.type, click.Choice):
                assert list(param.type.choices) == choices(schema), (name, param.name)


def bound(schema: dict[str, Any], key: str) -> Any:
    """A bound of a parameter's schema, also when it may be null (``anyOf``)."""
    return next((s[key] for s in [schema, *schema.get("anyOf", [])] if key in s), None)


def choices(schema: dict[str, Any]) -> list[Any]:
    """The allowed values of a parameter, or of the items of a list parameter, maybe null."""
    for option in [schema, *schema.get("anyOf", [])]:
        found = option.get("enum") or option.get("items", {}).get("enum")
        if found:
            return list(found)
    return []


def test_every_command_has_help() -> None:
    for tool in TOOLS:
        result = CliRunner().invoke(main, [command_name(tool), "--help"], prog_name="repolens")
        assert result.exit_code == 0, tool
        assert f"Usage: repolens {command_name(tool)} [OPTIONS]" in result.stdout and "--json" in result.stdout


# -- the same answers -----------------------------------------------------------------------
PARITY: list[tuple[str, dict[str, Any], list[str]]] = [
    ("find_symbol", {"name": "join", "kind": "function"}, ["find-symbol", "join", "--kind", "function"]),
    ("callers", {"symbol": "pkg/util.py::join", "depth": 2}, ["callers", "pkg/util.py::join", "--depth", "2"]),
    ("read_symbol", {"symbol": "Engine.run", "max_lines": 3}, ["read-symbol", "Engine.run", "--max-lines", "3"]),
    ("references", {"symbol": "pkg/core.py::Engine", "edges": ["INHERITS", "CALLS"]},
     ["references", "pkg/core.py::Engine", "--edges", "INHERITS", "--edges", "CALLS"]),
    ("cypher", {"query": "MATCH (f:Function) WHERE f.name = $name RETURN f.id AS id ORDER BY id",
                "params": {"name": "join"}},
     ["cypher", "MATCH (f:Function) WHERE f.name = $name RETURN f.id AS id ORDER BY id", "-p", "name=join"]),
    ("impact", {"target": "pkg/util.py", "include_tests": False, "limit": 3, "offset": 1},
     ["impact", "pkg/util.py", "--no-include-tests", "--limit", "3", "--offset", "1"]),
    ("class_hierarchy", {"symbol": "Base", "direction": "down"}, ["class-hierarchy", "Base", "--direction", "down"]),
    ("file_schematic", {"path": "pkg/sub/worker.py"}, ["file-schematic", "pkg/sub/worker.py"]),
]


@pytest.mark.parametrize(("tool", "args", "argv"), PARITY, ids=[p[0] for p in PARITY])
def test_json_output_is_the_tools_structured_output(served: tuple[Path, Any], tool: str, args: dict[str, Any],
                                                    argv: list[str]) -> None:
    root, server = served
    result = mcp_call(server, tool, args)
    assert not result.is_error and result.structured_content
    assert cli_json(*argv, "--repo", str(root)) == result.structured_content


def test_named_query_json_is_the_tools_answer(served: tuple[Path, Any]) -> None:
    root, server = served
    result = mcp_call(server, "named_query", {"name": "file_outline", "params": {"path": "pkg/base.py"}})
    assert result.structured_content is not None
    expected = result.structured_content["result"]  # the SDK wraps a union return type
    assert cli_json("named-query", "file_outline", "-p", "path=pkg/base.py", "--repo", str(root)) == expected
    assert [row["id"] for row in expected["rows"]][:2] == ["pkg/base.py::Registry", "pkg/base.py::Registry.__init__"]


@pytest.mark.parametrize(("tool", "args", "argv"), [
    ("read_symbol", {"symbol": "run"}, ["read-symbol", "run"]),
    ("class_hierarchy", {"symbol": "helper"}, ["class-hierarchy", "helper"]),
    ("read_file", {"path": "../outside.txt"}, ["read-file", "../outside.txt"]),
    ("cypher", {"query": "MATCH (n) DETACH DELETE n"}, ["cypher", "MATCH (n) DETACH DELETE n"]),
])
def test_errors_carry_the_same_message(served: tuple[Path, Any], tool: str, args: dict[str, Any],
                                       argv: list[str]) -> None:
    root, server = served
    result = mcp_call(server, tool, args)
    assert result.is_error
    block = result.content[0]
    assert isinstance(block, TextContent)
    code, out = cli(*argv, "--repo", str(root), "--json")
    assert code == 1
    message = json.loads(out)["error"]
    assert cli_wording(block.text) == f"Error executing tool {tool}: {message}"
    code, out = cli(*argv, "--repo", str(root))
    assert code == 1


def test_out_of_bounds_options_are_usage_errors(served: tuple[Path, Any]) -> None:
    root, _ = served
    result = CliRunner().invoke(main, ["find-symbol", "join", "--limit", "0", "--repo", str(root)])
    assert result.exit_code == 2 and "--limit" in result.output and "1<=x<=500" in result.output
    result = CliRunner().invoke(main, ["callers", "--repo", str(root)])
    assert result.exit_code == 2 and "SYMBOL" in result.output


def test_a_missing_index_says_how_to_build_it(tmp_path: Path) -> None:
    code, out = cli("find-symbol", "join", "--repo", str(tmp_path), "--json")
    assert code == 1 and "repolens index" in json.loads(out)["error"]


# -- the short names ------------------------------------------------------------------------
def test_aliases_resolve_to_the_tool_commands() -> None:
    context = click.Context(main)
    assert isinstance(main, click.Group)
    for alias, full in ALIASES.items():
        found = main.get_command(context, alias)
        assert found is not None and found.name == full, alias
        assert full.replace("-", "_") in TOOLS
    assert {"search", "map", "schematic", "status", "query"} <= set(ALIASES)


@pytest.mark.parametrize(("alias", "full", "args"), [
    ("search", "search-code", ["join path parts", "--limit", "3"]),
    ("map", "repo-map", ["--budget-tokens", "256"]),
    ("schematic", "file-schematic", ["pkg/core.py"]),
    ("status", "index-status", []),
    ("query", "named-query", ["callers", "-p", "id=pkg/util.py::join"]),
    ("queries", "named-query", []),
])
def test_aliases_answer_as_the_full_names(served: tuple[Path, Any], alias: str, full: str, args: list[str]) -> None:
    root, _ = served
    short = cli_json(alias, *args, "--repo", str(root))
    assert short == cli_json(full, *args, "--repo", str(root))
    assert short, alias


def test_alias_answers_are_the_known_ones(served: tuple[Path, Any]) -> None:
    root, _ = served
    search = cli_json("search", "join path parts", "--limit", "3", "--repo", str(root))
    assert search["results"][0]["id"] == "pkg/util.py::join" and search["page"]["truncated"] is True
    assert "class Engine(Base)" in cli_json("map", "--repo", str(root))["text"]
    schematic = cli_json("schematic", "pkg/paths.py", "--repo", str(root))
    assert [s["id"] for s in schematic["symbols"]] == ["pkg/paths.py::join", "pkg/paths.py::normalize"]
    status = cli_json("status", "--repo", str(root))
    assert status["fresh"] is True and status["root"] == str(root)
    rows = cli_json("query", "callers", "-p", "id=pkg/util.py::join", "--repo", str(root))["rows"]
    assert [r["id"] for r in rows] == ["pkg/sub/worker.py::work", "pkg/util.py::helper"]
    names = {q["name"] for q in cli_json("queries")["queries"]}
    assert {"callers", "file_outline", "stats"} <= names


def test_human_output_lists_and_says_how_to_page_on(served: tuple[Path, Any]) -> None:
    root, _ = served
    code, out = cli("find-symbol", "e", "--mode", "contains", "--limit", "2", "--repo", str(root))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["kind", "name", "where", "signature"] and len(lines) == 4
    total = cli_json("find-symbol", "e", "--mode", "contains", "--limit", "500", "--repo", str(root))["page"]["total"]
    assert lines[-1] == f"showing 1-2 of {total} symbols; next page: --offset 2"


def test_rows_print_as_a_table_and_the_catalogue_with_purposes() -> None:
    from server.cli_render import render
    from server.models import IndexInfo, Page, QueryCatalogue, QueryInfo, Rows

    info = IndexInfo(repo="r", indexed_at=None, commit=None, head=None, watching=False, pending_files=None,
                     stale=None)
    rows = Rows(columns=["id", "n"], rows=[{"id": "a.py", "n": 2}, {"id": "b.py", "n": None}],
                page=Page(total=2, offset=0, truncated=False, next_offset=None), index=info)
    assert render(rows).splitlines() == ["id\tn", "a.py\t2", "b.py\t", "2 rows"]
    empty = Rows(columns=["id"], rows=[], page=Page(total=0, offset=0, truncated=False, next_offset=None), index=info)
    assert render(empty) == "(no rows)"
    catalogue = QueryCatalogue(queries=[QueryInfo(name="stats", purpose="Counts.", params=[], returns=["n"])])
    assert render(catalogue).splitlines() == ["stats: Counts.", "    returns n"]
