"""Hostile input to the MCP server, through real in-memory client sessions: paths that are not
regular files (a named pipe, a socket, a loop of links), a repo_map focus that leaves the
repository or matches nothing, arguments of the wrong JSON type and arguments a tool does not
have. Each is refused at once with a message that says what was wrong, and the server goes on
answering. (The HTTP Authorization header is tested with the HTTP server, in
test_mcp_transports.py.)
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import copy_fixture, indexed_workspace
from test_mcp_server import error, ok, session

from server.cli import main
from server.mcp_app import build_server

FIFO_REFUSAL = "is a named pipe (FIFO), not a regular file; only regular files are read"
QUICK = pytest.mark.timeout(10, func_only=True)
"""A read of a named pipe blocks forever: a refusal must come at once."""


@dataclass(frozen=True)
class Hostile:
    root: Path
    server: Any


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """The sample repository with a named pipe, a link to it, a Unix socket and a loop of links
    in it, indexed (the walk passes them by) and served."""
    root = copy_fixture("pyrepo", tmp_path_factory.mktemp("hostile") / "pyrepo")
    os.mkfifo(root / "pkg" / "pipe.py")
    (root / "pipe_link.py").symlink_to(root / "pkg" / "pipe.py")
    (root / "loop_a.py").symlink_to(root / "loop_b.py")
    (root / "loop_b.py").symlink_to(root / "loop_a.py")
    listener = socket.socket(socket.AF_UNIX)
    if len(str(root / "server.sock")) < 100:  # the limit of a socket's path
        listener.bind(str(root / "server.sock"))
    workspace = indexed_workspace(root)
    try:
        yield Hostile(root, build_server(workspace))
    finally:
        workspace.close()
        listener.close()


# -- only regular files are read -------------------------------------------------------------
@QUICK
def test_reading_a_named_pipe_is_refused_at_once_and_the_server_goes_on(hostile: Hostile) -> None:
    assert error(hostile.server, "read_file", {"path": "pkg/pipe.py"}) == \
        f"Error executing tool read_file: 'pkg/pipe.py' {FIFO_REFUSAL}"
    absolute = str(hostile.root / "pkg" / "pipe.py")
    assert f"'pkg/pipe.py' {FIFO_REFUSAL}" in error(hostile.server, "read_file", {"path": absolute})
    assert f"'pkg/pipe.py' {FIFO_REFUSAL}" in error(hostile.server, "read_file", {"path": "pipe_link.py"})
    data = ok(hostile.server, "read_file", {"path": "pkg/util.py", "max_lines": 1})
    assert data["path"] == "pkg/util.py" and data["start_line"] == 1


@QUICK
def test_a_socket_is_refused_naming_what_it_is(hostile: Hostile) -> None:
    if not (hostile.root / "server.sock").exists():
        pytest.skip("the temporary directory's path is too long for a Unix socket")
    message = error(hostile.server, "read_file", {"path": "server.sock"})
    assert "'server.sock' is a socket, not a regular file; only regular files are read" in message


@QUICK
def test_a_loop_of_links_is_refused(hostile: Hostile) -> None:
    message = error(hostile.server, "read_file", {"path": "loop_a.py"})
    assert "'loop_a.py' is a loop of symbolic links" in message


@QUICK
def test_directories_are_still_refused_with_their_hint(hostile: Hostile) -> None:
    assert "'pkg' is a directory; give a file path" in error(hostile.server, "read_file", {"path": "pkg"})


@pytest.fixture
def piped(tmp_path: Path) -> Iterator[Any]:
    """The sample repository indexed and served, then its pkg/util.py replaced by a named pipe."""
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    workspace = indexed_workspace(root)
    (root / "pkg" / "util.py").unlink()
    os.mkfifo(root / "pkg" / "util.py")
    try:
        yield build_server(workspace)
    finally:
        workspace.close()


@QUICK
def test_a_file_replaced_by_a_named_pipe_is_refused_by_read_symbol_and_reindex_goes_on(piped: Any) -> None:
    assert f"'pkg/util.py' {FIFO_REFUSAL}" in error(piped, "read_symbol", {"symbol": "pkg/util.py::join"})
    assert ok(piped, "read_symbol", {"symbol": "Engine.run"})["path"] == "pkg/core.py"
    report = ok(piped, "reindex", {})
    assert (report["mode"], report["deleted"]) == ("incremental", 1)
    assert [s["kind"] for s in ok(piped, "find_symbol", {"name": "helper"})["symbols"]] == ["unresolved"]


# -- repo_map's focus ------------------------------------------------------------------------
@pytest.mark.parametrize("focus", ["../../etc/passwd", "/etc/passwd", "..", "pkg/../../secret.py", "..\\..\\x"])
def test_a_focus_path_outside_the_repository_is_refused(hostile: Hostile, focus: str) -> None:
    message = error(hostile.server, "repo_map", {"focus": focus})
    assert f"focus {focus!r} is a path outside the repository" in message
    assert "relative to the repository root" in message


def test_a_focus_that_matches_nothing_says_so(hostile: Hostile) -> None:
    whole = ok(hostile.server, "repo_map", {})
    unmatched = ok(hostile.server, "repo_map", {"focus": "qqzx_wibble_frotz"})
    assert whole["notes"] == []
    assert unmatched["notes"] == ["nothing in the index matches focus 'qqzx_wibble_frotz' (no file or directory, "
                                  "symbol or word of it), so this is the map of the whole repository"]
    assert unmatched["files"] == whole["files"]


@pytest.mark.parametrize("spelling", ["./pkg/sub", "pkg\\sub\\", "pkg/./sub", "ABSOLUTE"])
def test_a_focus_path_centres_the_map_on_it_however_it_is_spelt(hostile: Hostile, spelling: str) -> None:
    plain = ok(hostile.server, "repo_map", {"focus": "pkg/sub/"})
    inside = [path.startswith("pkg/sub/") for path in plain["files"]]
    assert inside[:2] == [True, True] and inside == sorted(inside, reverse=True)  # the focus's own files first
    focus = str(hostile.root / "pkg" / "sub") if spelling == "ABSOLUTE" else spelling
    data = ok(hostile.server, "repo_map", {"focus": focus})
    assert data["notes"] == [] and data["files"] == plain["files"]


def test_a_focus_on_one_file_puts_it_first(hostile: Hostile) -> None:
    data = ok(hostile.server, "repo_map", {"focus": "pkg/base.py"})
    assert data["files"][0] == "pkg/base.py" and data["notes"] == []


def test_a_focus_path_that_names_no_file_says_so(hostile: Hostile) -> None:
    data = ok(hostile.server, "repo_map", {"focus": "pkg/engines/"})
    assert data["notes"] == ["no indexed file or directory is 'pkg/engines', so the map is centred on what its "
                             "words match"]


@pytest.mark.parametrize("focus", ["HTTP/2 retries for the engine", "pkg/core.py::Engine", "Engine.run"])
def test_words_and_symbols_with_slashes_are_not_paths(hostile: Hostile, focus: str) -> None:
    data = ok(hostile.server, "repo_map", {"focus": focus})
    assert data["notes"] == [] and data["files"]


# -- arguments: strict JSON types, known names, readable refusals -----------------------------
@pytest.mark.parametrize("value", ["yes", "true", "false", 1, 0, "1", None])
@pytest.mark.parametrize(("tool", "args", "name"), [("reindex", {}, "rebuild"),
                                                    ("search_code", {"query": "join"}, "include_tests")])
def test_booleans_take_only_json_true_or_false(hostile: Hostile, tool: str, args: dict[str, Any], name: str,
                                               value: Any) -> None:
    message = error(hostile.server, tool, {**args, name: value})
    assert message == (f"Error executing tool {tool}: {name}: must be a JSON boolean, true or false "
                       f"(got {json.dumps(value)})")


@pytest.mark.parametrize("value", ["10", 10.5, 10.0, True, "ten", None])
def test_integers_take_only_json_integers(hostile: Hostile, value: Any) -> None:
    message = error(hostile.server, "find_symbol", {"name": "join", "limit": value})
    assert message == ("Error executing tool find_symbol: limit: must be a JSON integer, without quotes or a "
                       f"fraction (got {json.dumps(value)})")


def test_json_booleans_and_integers_still_work(hostile: Hostile) -> None:
    assert ok(hostile.server, "reindex", {"rebuild": False})["mode"] in ("unchanged", "incremental")
    assert ok(hostile.server, "search_code", {"query": "join", "include_tests": False, "limit": 2})["results"]
    assert len(ok(hostile.server, "find_symbol", {"name": "join", "limit": 1})["symbols"]) == 1


def test_arrays_sent_as_json_text_are_still_read(hostile: Hostile) -> None:
    """Some clients send a list as its JSON text; the SDK reads it, and strictness keeps that."""
    data = ok(hostile.server, "references", {"symbol": "pkg/core.py::Engine", "edges": '["INHERITS"]'})
    assert [item["edge"] for item in data["items"]] == ["INHERITS"]


def test_an_unknown_argument_is_refused_naming_the_valid_ones(hostile: Hostile) -> None:
    assert error(hostile.server, "find_symbol", {"name": "join", "nmae": "join"}) == (
        "Error executing tool find_symbol: unknown argument 'nmae' (did you mean 'name'?): find_symbol takes "
        "name, mode, kind, language, limit, offset, repo")
    assert error(hostile.server, "index_status", {"verbose": True, "colour": "red"}) == (
        "Error executing tool index_status: unknown arguments 'verbose', 'colour': index_status takes repo")


def test_every_tool_schema_says_no_other_arguments(hostile: Hostile) -> None:
    listed = session(hostile.server, lambda c: c.list_tools()).tools
    assert listed and all(tool.input_schema.get("additionalProperties") is False for tool in listed)


def test_validation_errors_are_one_sentence_per_argument(hostile: Hostile) -> None:
    message = error(hostile.server, "find_symbol", {"name": "", "mode": "fuzzy", "limit": 900, "lmit": 3})
    assert message == (
        "Error executing tool find_symbol: unknown argument 'lmit' (did you mean 'limit'?): find_symbol takes "
        "name, mode, kind, language, limit, offset, repo; name: must not be empty; "
        "mode: must be one of 'exact', 'prefix' or 'contains' (got \"fuzzy\"); limit: must be at most 500 (got 900)")
    long = error(hostile.server, "localize", {"text": "x" * 100_001})
    assert long == "Error executing tool localize: text: must be at most 100000 characters long (got 100001)"
    for text in (message, long, error(hostile.server, "read_symbol", {})):
        assert "pydantic" not in text and "http" not in text and "input_value" not in text


def test_the_cli_still_reads_its_options_from_strings(hostile: Hostile) -> None:
    result = CliRunner().invoke(main, ["find-symbol", "join", "--limit", "1", "--repo", str(hostile.root), "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["symbols"]) == 1
    result = CliRunner().invoke(main, ["search-code", "join", "--no-include-tests", "--limit", "2",
                                       "--repo", str(hostile.root), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["results"], result.output
