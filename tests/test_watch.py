"""Watch mode: ``repolens serve --watch`` re-indexes edited files while it serves, so that an
agent's next question sees the edit, and readers asking meanwhile never get an error."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import anyio
from conftest import copy_fixture, indexed_workspace
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types import CallToolResult, TextContent

from server.mcp_app import build_server
from server.watch import Watcher
from server.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_SECONDS = 20.0
"""How long an edit may take to show; it takes about a second (two polls and a re-index)."""


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
