"""Every answer says whether the index lags the files, in every mode (not only under watch):
a stat pass compared with the stats the index recorded, content hashes where a stat differs."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from conftest import copy_fixture, index_without_embeddings, indexed_workspace
from mcp import Client

from indexer.freshness import RACY_NS, Checker, Recorded, load_recorded, scan
from indexer.walk import WalkOptions
from server import workspace as workspace_module
from server.cli import main
from server.mcp_app import build_server
from server.tools import RepolensTools
from server.workspace import Workspace

HOUR_NS = 3600 * 10**9


def aged(root: Path) -> Path:
    """``root`` with every file's mtime an hour back, so the recorded stats are trusted (a file
    written within RACY_NS of indexing is always hashed) and these tests check the stat path."""
    past = time.time_ns() - HOUR_NS
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(past, past))
    return root


def edit(root: Path) -> None:
    """Modify one indexed file, add one, delete one, and touch one without changing it."""
    util = root / "pkg" / "util.py"
    util.write_text(util.read_text(encoding="utf-8") + "\n\ndef added_later():\n    return 1\n", encoding="utf-8")
    (root / "pkg" / "fresh.py").write_text("def brand_new():\n    return 2\n", encoding="utf-8")
    (root / "app.py").unlink()
    os.utime(root / "pkg" / "core.py")


def cli_json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.output)
    return answer


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return aged(copy_fixture("pyrepo", tmp_path / "pyrepo"))


def test_a_tool_answer_counts_changes_without_watch_mode(root: Path) -> None:
    workspace = indexed_workspace(root)
    try:
        index = RepolensTools(workspace).find_symbol("Engine").index
        assert (index.pending_files, index.stale, index.watching) == (0, False, False)
    finally:
        workspace.close()
    edit(root)
    workspace = Workspace.of([workspace_module.Repo.open(root, embed=False)])
    try:
        tools = RepolensTools(workspace)
        index = tools.find_symbol("Engine").index
        assert (index.pending_files, index.stale, index.watching) == (3, True, False)
        status = tools.index_status()
        assert status.pending == {"added": ["pkg/fresh.py"], "modified": ["pkg/util.py"], "deleted": ["app.py"]}
        assert status.fresh is False and status.index.pending_files == 3
        tools.reindex()
        index = tools.find_symbol("brand_new").index
        assert (index.pending_files, index.stale) == (0, False)
    finally:
        workspace.close()


def test_the_cli_answer_is_stale_until_repolens_index(root: Path) -> None:
    index_without_embeddings(root)
    edit(root)
    answer = cli_json("find-symbol", "Engine", "--repo", str(root), "--no-embed", "--json")
    assert (answer["index"]["pending_files"], answer["index"]["stale"]) == (3, True)
    assert answer["index"]["watching"] is False
    report = cli_json("index", str(root), "--no-embed", "--json")
    assert (report["added"], report["modified"], report["deleted"]) == (1, 1, 1)
    answer = cli_json("find-symbol", "Engine", "--repo", str(root), "--no-embed", "--json")
    assert (answer["index"]["pending_files"], answer["index"]["stale"]) == (0, False)


def test_the_cli_text_output_differs_only_by_the_stale_warning(root: Path) -> None:
    index_without_embeddings(root)

    def text() -> list[str]:
        result = CliRunner().invoke(main, ["find-symbol", "Engine", "--repo", str(root), "--no-embed"])
        assert result.exit_code == 0, result.output
        return result.output.splitlines()

    fresh = text()
    assert any("pkg/core.py" in line for line in fresh) and not any("stale" in line for line in fresh)
    edit(root)
    stale = text()
    assert stale[:len(fresh)] == fresh
    assert len(stale) == len(fresh) + 1 and stale[-1].startswith("warning:") and "3 files" in stale[-1]


def test_an_mcp_answer_reports_the_lag(root: Path) -> None:
    workspace = indexed_workspace(root)
    (root / "pkg" / "fresh.py").write_text("def brand_new():\n    return 2\n", encoding="utf-8")

    async def run() -> dict[str, Any]:
        async with Client(build_server(workspace)) as client:
            result = await client.call_tool("find_symbol", {"name": "Engine"})
            assert not result.is_error and result.structured_content is not None
            return result.structured_content

    try:
        answer = anyio.run(run)
    finally:
        workspace.close()
    assert (answer["index"]["pending_files"], answer["index"]["stale"]) == (1, True)


def test_touching_files_without_changing_them_is_not_a_change(root: Path) -> None:
    index_without_embeddings(root)
    for path in ("pkg/core.py", "pkg/util.py", "app.py"):
        os.utime(root / path)
    (root / "pkg" / "base.py").chmod(0o600)
    (root / "pkg" / "paths.py").write_bytes((root / "pkg" / "paths.py").read_bytes())  # same bytes rewritten
    answer = cli_json("find-symbol", "Engine", "--repo", str(root), "--no-embed", "--json")
    assert (answer["index"]["pending_files"], answer["index"]["stale"]) == (0, False)


def test_a_burst_of_answers_reuses_one_check(root: Path) -> None:
    workspace = indexed_workspace(root)
    try:
        tools = RepolensTools(workspace)
        assert tools.find_symbol("Engine").index.pending_files == 0
        (root / "pkg" / "fresh.py").write_text("def brand_new():\n    return 2\n", encoding="utf-8")
        assert tools.find_symbol("Engine").index.pending_files == 0, "checked less than a second ago"
        time.sleep(workspace_module.FRESHNESS_MAX_AGE + 0.05)
        assert tools.find_symbol("Engine").index.pending_files == 1
    finally:
        workspace.close()


def test_past_the_budget_the_count_is_unknown_and_not_retried_at_once(root: Path) -> None:
    workspace = indexed_workspace(root)
    repo = workspace.get()
    try:
        tools = RepolensTools(workspace)
        repo.freshness_budget = 0.0
        index = tools.find_symbol("Engine").index
        assert (index.pending_files, index.stale) == (None, None)  # no git checkout: nothing else tells
        repo.freshness_budget = workspace_module.FRESHNESS_BUDGET
        assert tools.find_symbol("Engine").index.pending_files is None, "retried only after UNKNOWN_RETRY"
        repo.reindex()
        assert tools.find_symbol("Engine").index.pending_files == 0
    finally:
        workspace.close()


def test_files_the_index_ignored_are_not_counted_as_added(root: Path) -> None:
    cli_json("index", str(root), "--no-embed", "--no-retrieval", "--ignore", "pkg/sub/", "--json")
    recorded = load_recorded(root / ".repolens" / "state.sqlite")
    assert recorded is not None and "pkg/util.py" in recorded.hashes and "pkg/sub/worker.py" not in recorded.hashes
    answer = cli_json("find-symbol", "Engine", "--repo", str(root), "--no-embed", "--json")
    assert (answer["index"]["pending_files"], answer["index"]["stale"]) == (0, False)
    (root / "pkg" / "sub" / "worker.py").write_text("def changed():\n    return 3\n", encoding="utf-8")
    (root / "generated" / "schema.py").write_text("def also_ignored():\n    return 4\n", encoding="utf-8")
    answer = cli_json("find-symbol", "Engine", "--repo", str(root), "--no-embed", "--json")
    assert answer["index"]["pending_files"] == 0


def test_an_index_without_recorded_stats_is_checked_by_content(root: Path) -> None:
    """An index made by a repolens that recorded no stats: every file is hashed instead."""
    index_without_embeddings(root)
    state = sqlite3.connect(root / ".repolens" / "state.sqlite")
    with state:
        state.execute("DROP TABLE stats")
        state.execute("DELETE FROM meta WHERE key IN ('stats_generation', 'stats_at_ns', 'walk')")
    state.close()
    recorded = load_recorded(root / ".repolens" / "state.sqlite")
    assert recorded is not None and recorded.stats == {} and recorded.hashes
    os.utime(root / "pkg" / "core.py")
    answer = cli_json("find-symbol", "Engine", "--repo", str(root), "--no-embed", "--json")
    assert answer["index"]["pending_files"] == 0
    util = root / "pkg" / "util.py"
    util.write_text(util.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    answer = cli_json("find-symbol", "Engine", "--repo", str(root), "--no-embed", "--json")
    assert answer["index"]["pending_files"] == 1


def test_an_equal_stat_is_trusted_only_outside_the_racy_window(tmp_path: Path) -> None:
    """A file whose stat equals the recorded one is unchanged, unless its mtime is so close to
    the moment the stat was taken that it may have changed again within the same tick."""
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    current = scan(tmp_path, tmp_path / ".repolens", WalkOptions())
    stat = current.files["a.py"].stat_key
    # the recorded hash is not the file's: only a read can tell
    recorded = Recorded(generation=1, indexed_at=None, commit=None, hashes={"a.py": "0" * 32},
                        stats={"a.py": stat}, stats_at_ns=stat[1] + RACY_NS + 1, walk=WalkOptions())
    assert Checker().changes(recorded, current).count == 0, "stat taken long after the mtime: trusted"
    racy = Recorded(generation=1, indexed_at=None, commit=None, hashes={"a.py": "0" * 32},
                    stats={"a.py": stat}, stats_at_ns=stat[1] + 1, walk=WalkOptions())
    assert Checker().changes(racy, current).modified == ("a.py",)
