"""Watch mode: ``repolens serve --watch`` re-indexes edited files while it serves, so that an
agent's next question sees the edit, and readers asking meanwhile never get an error. A watcher
follows file events where it can (a burst of them is one re-index; temporary files are none)
and polls where it cannot."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import copy_fixture, indexed_workspace
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types import CallToolResult, TextContent
from watchfiles import Change

from indexer.model import NodeKind
from server.mcp_app import build_server
from server.watch import QUIET_MS, WATCH_ENV, RelevantChanges, Watcher
from server.workspace import Repo, Workspace

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_SECONDS = 20.0
"""How long an edit may take to show: a fraction of a second by file events (the debounce and a
re-index), about a second by polling (two polls and a re-index)."""
SETTLE_SECONDS = 5 * QUIET_MS / 1000
"""Long enough for events still to come to have started a re-index: the watcher then waits for
it, so counts taken after a sentinel edit include every re-index before it."""


def text_of(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


async def structured(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def wait_for(client: Client, name: str, present: bool = True) -> dict[str, Any]:
    """find_symbol ``name`` until it is found (or gone), failing after DEADLINE_SECONDS."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        data = await structured(client, "find_symbol", {"name": name})
        if bool(data["symbols"]) == present:
            return data
        assert time.monotonic() < deadline, f"{name} still {'missing' if present else 'there'}: {data['index']}"
        await anyio.sleep(0.1)


def append(path: Path, text: str) -> int:
    """Append ``text`` to ``path`` (which ends with a newline); the line of its first non-blank line."""
    old = path.read_text(encoding="utf-8")
    path.write_text(old + text, encoding="utf-8")
    return len(old.splitlines()) + 1 + len(text) - len(text.lstrip("\n"))


def test_serve_watch_sees_an_edited_file(tmp_path: Path) -> None:
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    script = Path(sys.executable).parent / "repolens"
    command, prefix = (str(script), []) if script.exists() else (sys.executable, ["-m", "server.cli"])
    params = StdioServerParameters(command=command, cwd=str(ROOT), args=[
        *prefix, "serve", "--repo", str(root), "--watch", "--interval", "0.2", "--no-embed"])

    async def work(client: Client) -> None:
        assert (await structured(client, "find_symbol", {"name": "freshly_added"}))["symbols"] == []
        line = append(root / "pkg" / "util.py", "\n\ndef freshly_added(parts):\n    return join(parts)\n")
        data = await wait_for(client, "freshly_added")
        assert [(s["id"], s["start_line"]) for s in data["symbols"]] == [("pkg/util.py::freshly_added", line)]
        assert data["index"]["watching"] is True
        callers = await structured(client, "callers", {"symbol": "pkg/util.py::join"})
        assert "pkg/util.py::freshly_added" in [i["id"] for i in callers["items"]]

        text = (root / "pkg" / "util.py").read_text(encoding="utf-8")
        (root / "pkg" / "util.py").write_text(text.replace("freshly_added", "renamed_later"), encoding="utf-8")
        await wait_for(client, "renamed_later")
        assert (await structured(client, "find_symbol", {"name": "freshly_added"}))["symbols"] == []
        status = await structured(client, "index_status", {})
        assert status["fresh"] is True and status["index"]["pending_files"] == 0

    async def run() -> None:
        with (tmp_path / "stderr.log").open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=60) as client:
                await work(client)

    anyio.run(run)


READS: list[tuple[str, dict[str, Any]]] = [
    ("find_symbol", {"name": "Engine"}),
    ("read_symbol", {"symbol": "pkg/core.py::Engine.run"}),
    ("callers", {"symbol": "pkg/util.py::join"}),
    ("class_hierarchy", {"symbol": "pkg/sub/worker.py::Turbo"}),
    ("cypher", {"query": "MATCH (c:Class) RETURN c.id AS id ORDER BY id"}),
    ("file_schematic", {"path": "pkg/core.py"}),
    ("search_code", {"query": "join path parts"}),
    ("localize", {"text": "Engine.stop raises EngineError"}),
    ("repo_map", {"budget_tokens": 512}),
    ("impact", {"target": "pkg/base.py"}),
]


def serve_watched(root: Path, interval: float) -> tuple[Any, Watcher, Workspace]:
    workspace = indexed_workspace(root)
    watcher = Watcher(workspace.get(), interval)
    watcher.start()
    return build_server(workspace), watcher, workspace


def read_once(server: Any, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with Client(server) as client:
            return await structured(client, tool, args)

    return anyio.run(run)


def test_readers_during_reindex_never_error(tmp_path: Path) -> None:
    """Four clients read in a loop while files are added, edited (once with a syntax error)
    and deleted, each change re-indexed by the watcher: every answer is a right one."""
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    server, watcher, workspace = serve_watched(root, interval=0.05)
    unchanged = {tool: read_once(server, tool, args) for tool, args in READS
                 if tool in ("find_symbol", "read_symbol", "class_hierarchy", "cypher", "file_schematic")}
    done = anyio.Event()
    calls: list[str] = []

    async def reader(number: int) -> None:
        async with Client(server) as client:
            while not done.is_set():
                for tool, args in READS[number:] + READS[:number]:
                    data = await structured(client, tool, args)
                    calls.append(tool)
                    if tool in unchanged:  # nothing the edits touch changes
                        assert {k: v for k, v in data.items() if k != "index"} == \
                            {k: v for k, v in unchanged[tool].items() if k != "index"}, tool
                    if tool == "callers":  # only ever grows: new callers of join are added
                        assert {"pkg/sub/worker.py::work", "pkg/util.py::helper"} <= {i["id"] for i in data["items"]}

    async def writer() -> None:
        async with Client(server) as client:
            for n in range(3):
                (root / "pkg" / f"gen{n}.py").write_text(
                    f"from .util import join\n\n\ndef generated_{n}():\n    return join(['{n}'])\n", encoding="utf-8")
                await wait_for(client, f"generated_{n}")
            (root / "pkg" / "gen0.py").write_text("def half_written(:\n\n\ndef still_there():\n    return 1\n",
                                                  encoding="utf-8")
            await wait_for(client, "still_there")
            await wait_for(client, "generated_0", present=False)
            (root / "pkg" / "gen1.py").unlink()
            await wait_for(client, "generated_1", present=False)
            callers = await structured(client, "callers", {"symbol": "pkg/util.py::join"})
            assert "pkg/gen2.py::generated_2" in {i["id"] for i in callers["items"]}
        done.set()

    async def run() -> None:
        async with anyio.create_task_group() as group:
            for number in range(4):
                group.start_soon(reader, number)
            group.start_soon(writer)

    try:
        anyio.run(run)
    finally:
        watcher.stop()
        workspace.close()
    assert watcher.reindexes >= 6, "the start, three additions, one edit and one deletion"
    assert set(calls) == {tool for tool, _ in READS} and len(calls) >= 4 * len(READS)


# -- the watcher alone: file events, their filter, polling ------------------------------------

@pytest.fixture
def watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Repo, Watcher]]:
    """The Python sample repository, indexed and watched as ``repolens serve --watch`` watches
    it (with events wherever the OS has them), once the watcher has caught up."""
    monkeypatch.delenv(WATCH_ENV, raising=False)
    with start_watching(tmp_path) as started:
        yield started


@contextmanager
def start_watching(tmp_path: Path, interval: float = 0.2) -> Iterator[tuple[Path, Repo, Watcher]]:
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    repo = Repo.open(root, embed=False)
    repo.reindex()
    watcher = Watcher(repo, interval)
    watcher.start()
    try:
        wait_until(lambda: watcher.reindexes == 1, "the catch-up re-index")
        yield root, repo, watcher
    finally:
        watcher.stop()
        repo.close()


def wait_until(condition: Callable[[], bool], what: str) -> float:
    """Seconds until ``condition()`` holds, looked at every 20 ms; fails after DEADLINE_SECONDS."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < DEADLINE_SECONDS, f"{what}: not within {DEADLINE_SECONDS} s"
        time.sleep(0.02)
    return time.monotonic() - started


def indexed(repo: Repo) -> set[str]:
    """The ids of the indexed files, classes and functions."""
    with repo.store() as store:
        return {n.id for n in store.dump().nodes if n.kind in (NodeKind.FILE, NodeKind.CLASS, NodeKind.FUNCTION)}


def reindexed_with(watcher: Watcher, before: int, *ids: str, gone: tuple[str, ...] = ()) -> Callable[[], bool]:
    """Whether a re-index after the ``before``-th has ended, with ``ids`` indexed and ``gone`` not."""
    def done() -> bool:
        if watcher.reindexes <= before:
            return False
        now = indexed(watcher.repo)
        return set(ids) <= now and not set(gone) & now

    return done


def settled_count(watcher: Watcher) -> int:
    """The re-indexes so far, once events still in flight have had time to start one."""
    time.sleep(SETTLE_SECONDS)
    wait_until(lambda: watcher.repo.activity == "", "the re-index under way")
    return watcher.reindexes


@pytest.mark.skipif(sys.platform != "linux", reason="inotify is the events backend known to be there")
def test_file_events_are_used_on_linux(watched: tuple[Path, Repo, Watcher]) -> None:
    _, repo, _ = watched
    assert repo.watch_mode == "events"
    assert repo.freshness().watching is True


def test_an_edit_is_indexed_soon_after(watched: tuple[Path, Repo, Watcher]) -> None:
    root, repo, watcher = watched
    append(root / "pkg" / "util.py", "\n\ndef freshly_added(parts):\n    return join(parts)\n")
    wait_until(reindexed_with(watcher, 1, "pkg/util.py::freshly_added"), "the edit indexed")
    assert settled_count(watcher) == 2
    assert repo.freshness().pending_files == 0


def test_an_atomic_save_is_one_reindex(watched: tuple[Path, Repo, Watcher]) -> None:
    """As editors save: the new text goes to a temporary file, renamed over the original."""
    root, _, watcher = watched
    target = root / "pkg" / "util.py"
    temporary = target.with_name(".util.py.tmp")
    temporary.write_text(target.read_text(encoding="utf-8") + "\n\ndef saved_atomically():\n    return 1\n",
                         encoding="utf-8")
    os.replace(temporary, target)
    wait_until(reindexed_with(watcher, 1, "pkg/util.py::saved_atomically"), "the saved file indexed")
    assert settled_count(watcher) == 2


def test_a_burst_of_writes_is_few_reindexes(watched: tuple[Path, Repo, Watcher]) -> None:
    root, _, watcher = watched
    for n in range(50):
        (root / "pkg" / f"gen{n}.py").write_text(f"def generated_{n}():\n    return {n}\n", encoding="utf-8")
    wait_until(reindexed_with(watcher, 1, *(f"pkg/gen{n}.py::generated_{n}" for n in range(50))), "the burst indexed")
    assert settled_count(watcher) - 1 <= 2, "one re-index for the burst, two if a pause split it"


def test_temporary_files_and_ignored_directories_cause_no_reindex(watched: tuple[Path, Repo, Watcher]) -> None:
    root, repo, watcher = watched
    pkg = root / "pkg"
    for name in (".util.py.swp", ".util.py.swx", "util.py~", "#util.py#", "util.py___jb_tmp___",
                 "util.py___jb_old___", ".util.py.tmp", "notes.txt", "README.md"):
        (pkg / name).write_text("x = 1\n", encoding="utf-8")
    (pkg / "4913").write_text("", encoding="utf-8")  # vim: can it write here?
    (pkg / "4913").unlink()
    (pkg / ".#util.py").symlink_to("someone@host.4242:1700000000")  # emacs: who edits it
    for directory in ("__pycache__", "node_modules/left", ".git/refs", "env/lib", "build"):  # env/ is a virtualenv
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory / "mod.py").write_text("def ignored():\n    pass\n", encoding="utf-8")
    (repo.db_dir / "stray.py").write_text("x = 1\n", encoding="utf-8")
    time.sleep(SETTLE_SECONDS)
    append(pkg / "util.py", "\n\ndef sentinel():\n    return 1\n")  # the re-indexes before it are then counted
    wait_until(reindexed_with(watcher, 1, "pkg/util.py::sentinel"), "the sentinel indexed")
    assert settled_count(watcher) == 2, "the sentinel's re-index only"


def test_deleted_files_and_directories_moved_away_and_back_are_seen(tmp_path: Path,
                                                                    watched: tuple[Path, Repo, Watcher]) -> None:
    root, _, watcher = watched
    (root / "pkg" / "paths.py").unlink()
    wait_until(reindexed_with(watcher, 1, gone=("pkg/paths.py", "pkg/paths.py::join")), "the deletion indexed")
    count = settled_count(watcher)
    os.rename(root / "pkg" / "sub", tmp_path / "sub")  # one event, for the directory
    wait_until(reindexed_with(watcher, count, gone=("pkg/sub/worker.py",)), "the directory moved away")
    count = settled_count(watcher)
    os.rename(tmp_path / "sub", root / "pkg" / "sub")
    wait_until(reindexed_with(watcher, count, "pkg/sub/worker.py"), "the directory moved back")


def test_polling_when_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WATCH_ENV, "poll")
    with start_watching(tmp_path, interval=0.1) as (root, repo, watcher):
        assert repo.watch_mode == "polling" and repo.watch_interval == 0.1
        append(root / "pkg" / "util.py", "\n\ndef polled():\n    return 1\n")
        wait_until(reindexed_with(watcher, 1, "pkg/util.py::polled"), "the edit indexed by polling")
        (root / "pkg" / "paths.py").unlink()
        wait_until(reindexed_with(watcher, 2, gone=("pkg/paths.py",)), "the deletion indexed by polling")


@pytest.mark.parametrize("mode", ["events", "poll"])
def test_stop_is_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv(WATCH_ENV, mode)
    with start_watching(tmp_path, interval=30.0) as (_, repo, watcher):
        started = time.monotonic()
        watcher.stop()
        assert time.monotonic() - started < 1.0
        assert (repo.watch_mode, repo.watching) == (None, False)


def test_which_events_count(pyrepo: Path) -> None:
    relevant = RelevantChanges(Repo.open(pyrepo, embed=False))
    (pyrepo / "pkg" / "empty").mkdir()

    def counts(change: Change, rel: str) -> bool:
        return relevant(change, str(pyrepo / rel))

    for change, rel in [(Change.modified, "pkg/util.py"), (Change.added, "app.ts"), (Change.deleted, "pkg/gone.js"),
                        (Change.modified, ".gitignore"), (Change.modified, ".git/info/exclude"),
                        (Change.added, "pkg/sub"), (Change.deleted, "pkg/subdir_moved_away")]:
        assert counts(change, rel), (change, rel)
    for change, rel in [(Change.modified, "README.md"), (Change.added, ".git/index.py"),
                        (Change.modified, ".repolens/graph.py"), (Change.added, "node_modules/leftpad/index.py"),
                        (Change.added, "env/lib/stray.py"), (Change.added, "build/gen.py"),
                        (Change.added, "src/x.egg-info/a.py"), (Change.deleted, "pkg/4913"),
                        (Change.added, "pkg/.#util.py"), (Change.modified, "pkg/.util.py.swp"),
                        (Change.added, "pkg/util.py~"), (Change.added, "pkg/util.py___jb_tmp___"),
                        (Change.added, "pkg/empty"), (Change.modified, "pkg/sub"), (Change.deleted, "notes.txt")]:
        assert not counts(change, rel), (change, rel)
    assert not relevant(Change.modified, str(pyrepo.parent / "elsewhere.py"))


def test_event_led_reindexes_look_at_named_files_and_a_walk_follows(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-index after events looks only at the files they name (no walk of the tree); a
    walk soon after catches a change whose event was lost (an overflowing inotify queue)."""
    monkeypatch.setattr("server.watch.VERIFY_SECONDS", 0.3)
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    repo = Repo.open(root, embed=False)
    repo.reindex()
    watcher = Watcher(repo)
    util, paths = root / "pkg" / "util.py", root / "pkg" / "paths.py"
    seen: list[set[str]] = []

    def batches() -> Iterator[set[tuple[Change, str]]]:
        yield set()  # watching has begun: answered by a catch-up of everything
        append(util, "\n\ndef named_by_an_event():\n    return 1\n")
        append(paths, "\n\ndef event_lost():\n    return 2\n")
        yield {(Change.modified, str(util))}
        seen.append(indexed(repo))
        deadline = time.monotonic() + DEADLINE_SECONDS
        while watcher.verifications == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
            yield set()

    try:
        watcher._follow(batches())
        assert "pkg/util.py::named_by_an_event" in seen[0] and "pkg/paths.py::event_lost" not in seen[0]
        assert (watcher.reindexes, watcher.verifications) == (2, 1)
        assert "pkg/paths.py::event_lost" in indexed(repo)
    finally:
        repo.close()
