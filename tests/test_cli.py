"""The `repolens` CLI end to end: real index, real store, JSON output, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from server.cli import main

SOURCES = {
    "app/__init__.py": "from .core import Engine\n",
    "app/core.py": (
        '"""Core."""\nimport os\n\n\nclass Engine:\n    """Runs things."""\n\n'
        "    def run(self, path):\n        return self._join(path)\n\n"
        "    def _join(self, path):\n        return os.path.join('a', path)\n"
    ),
    "app/cli.py": "from app import Engine\n\n\ndef main():\n    Engine().run('x')\n",
}


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in SOURCES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def run_json(*args: str) -> object:
    code, out = run(*args)
    assert code == 0, out
    return json.loads(out)


def test_every_command_has_help_and_json() -> None:
    assert isinstance(main, click.Group)
    context = click.Context(main)
    names = main.list_commands(context)
    assert {"index", "serve", "localize", "find-symbol"} <= set(names)
    for name in names:
        command = main.get_command(context, name)
        assert command is not None, name
        assert command.help, f"{name} has no help text"
        code, out = run(name, "--help")
        assert code == 0 and "--json" in out, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts} has no help"


def test_index_then_query_json(repo: Path) -> None:
    report = run_json("index", str(repo), "--json")
    assert report["mode"] == "full"
    assert report["files"] == 3
    assert report["nodes"]["class"] == 1 and report["nodes"]["method"] == 2

    rows = run_json("query", "callers", "-p", "id=app/core.py::Engine.run", "--repo", str(repo), "--json")["rows"]
    assert rows == [{"id": "app/cli.py::main", "kind": "function", "name": "main", "path": "app/cli.py",
                     "start_line": 4, "depth": 1, "resolution": "inferred"}]

    again = run_json("index", str(repo), "--json")
    assert again["mode"] == "unchanged" and again["parsed"] == 0


def test_cypher_returns_rows_keyed_by_column(repo: Path) -> None:
    run_json("index", str(repo), "--json")
    rows = run_json("cypher", "--repo", str(repo), "--json",
                    "MATCH (f:Function)-[c:CALLS]->(s:Symbol) RETURN f.qualname AS caller, s.qualname AS callee, "
                    "c.resolution AS how")["rows"]
    assert rows == [{"caller": "Engine._join", "callee": "os.path.join", "how": "external"}]


@pytest.mark.parametrize("query", [
    "MATCH (n) DETACH DELETE n",
    "match (n) set n.name = 'x'",
    "CREATE (:File {id: 'x'})",
    "MATCH (n) /* sneaky */ dElEtE n",
])
def test_cypher_refuses_writes(repo: Path, query: str) -> None:
    run_json("index", str(repo), "--json")
    code, out = run("cypher", "--repo", str(repo), "--json", query)
    assert code == 1
    error = json.loads(out)
    assert error["type"] == "ReadOnlyViolation" and "read" in error["error"]
    count = run_json("cypher", "--repo", str(repo), "--json", "MATCH (n:File) RETURN count(*) AS n")
    assert count["rows"] == [{"n": 3}]


def test_status_reports_pending_changes(repo: Path) -> None:
    run_json("index", str(repo), "--json")
    status = run_json("status", "--repo", str(repo), "--json")
    assert status["fresh"] is True and status["files"] == 3
    (repo / "app" / "new.py").write_text("def f():\n    pass\n")
    (repo / "app" / "cli.py").write_text("def main():\n    pass\n")
    status = run_json("status", "--repo", str(repo), "--json")
    assert status["fresh"] is False
    assert status["pending"] == {"added": ["app/new.py"], "modified": ["app/cli.py"], "deleted": []}


def test_query_errors_are_specific(repo: Path) -> None:
    run_json("index", str(repo), "--json")
    code, out = run("query", "callers", "-p", "depth=2", "--repo", str(repo), "--json")
    assert code == 1 and "id" in json.loads(out)["error"]
    code, out = run("query", "no_such_query", "--repo", str(repo))
    assert code == 1 and "known queries" in out


def test_missing_index_and_missing_path(tmp_path: Path) -> None:
    code, out = run("query", "stats", "--repo", str(tmp_path), "--json")
    assert code == 1 and "repolens index" in json.loads(out)["error"]
    code, out = run("index", str(tmp_path / "nope"), "--json")
    assert code == 1 and "nope" in json.loads(out)["error"]


def test_queries_lists_parameters() -> None:
    listing = run_json("queries", "--json")
    assert isinstance(listing, dict)
    by_name = {q["name"]: q for q in listing["queries"]}
    assert {"callers", "callees", "file_outline", "find_symbol", "call_path", "stats"} <= set(by_name)
    assert any(p["name"] == "id" and p["required"] for p in by_name["callers"]["params"])


def test_console_script_prints_only_json_on_stdout(repo: Path) -> None:
    exe = Path(sys.executable).parent / "repolens"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "server.cli"]
    done = subprocess.run([*command, "index", str(repo), "--json"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["files"] == 3


def test_the_index_directory_ignores_itself_in_git(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "mod.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert CliRunner().invoke(main, ["index", str(repo), "--no-embed", "--json"]).exit_code == 0
    assert (repo / ".repolens" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    untracked = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
                               capture_output=True, text=True, check=True).stdout.split("\n")
    assert [line for line in untracked if line] == ["?? pkg/mod.py"]


def test_mcp_config_refuses_a_repository_that_does_not_exist(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["mcp-config", "--client", "generic", "--repo", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "does not exist" in result.output
