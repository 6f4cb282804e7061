"""User Cypher runs in a supervised worker: a query that crashes the database, outgrows the
memory ceiling or outlives its deadline is stopped with a clear error, the server lives on, and
the next query works. Real Kùzu, real worker processes, real MCP sessions; the findings of the
hostile-input report are reproduced exactly, the ceilings are lowered only to keep tests light."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from conftest import copy_fixture, indexed_workspace
from mcp import Client

from indexer.store.base import QueryTimeout, StoreError
from indexer.store.config import StoreConfig
from indexer.store.sandbox import QueryKilled, QuerySandbox, SandboxLimits
from server.mcp_app import build_server
from server.workspace import Repo, Workspace

COUNT = "MATCH (n:Function) RETURN count(n) AS n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = copy_fixture("pyrepo", tmp_path_factory.mktemp("sandbox") / "pyrepo")
    served = indexed_workspace(root)
    yield served
    served.close()


@pytest.fixture
def repo(workspace: Workspace) -> Repo:
    return workspace.get()


def sandbox(repo: Repo, **limits: object) -> QuerySandbox:
    return QuerySandbox(StoreConfig(), repo.db_dir, SandboxLimits(**limits))  # type: ignore[arg-type]


def functions(box: QuerySandbox) -> int:
    return int(box.query(COUNT, timeout_ms=10_000).rows[0][0])


def test_a_query_that_crashes_the_database_kills_only_its_worker(repo: Repo) -> None:
    # Past the guard (which refuses it), this call segfaults Kùzu 0.11 in whatever process runs it.
    box = sandbox(repo)
    try:
        before = functions(box)
        for query in ("CALL read_csv_serial('/etc/passwd') RETURN *", "CALL read_npy('/etc/passwd') RETURN *"):
            with pytest.raises(StoreError) as caught:
                box.query(query, timeout_ms=10_000)
            if isinstance(caught.value, QueryKilled):
                assert "crashed the database worker (signal" in str(caught.value)
        assert functions(box) == before > 0
    finally:
        box.close()


def test_a_memory_bomb_is_killed_at_the_ceiling_and_the_next_query_works(repo: Repo) -> None:
    box = sandbox(repo, memory_bytes=400 << 20)
    try:
        before = functions(box)
        for query in ("UNWIND range(1, 200000000) AS x RETURN count(x)",  # 23.4 GB and an OOM kill before
                      "UNWIND range(1, 200000000) AS x RETURN collect(x)",
                      "UNWIND range(1, 20000000) AS x RETURN count(x)"):  # 47 s and 8.4 GB kept before
            with pytest.raises(QueryKilled, match="needed more than 400 MB of memory"):
                box.query(query, timeout_ms=60_000)
        assert functions(box) == before
    finally:
        box.close()


def test_a_slow_query_is_stopped_at_its_deadline(repo: Repo) -> None:
    box = sandbox(repo, grace_seconds=0.5)
    try:
        with pytest.raises(QueryTimeout, match="longer than 300 ms"):
            box.query("MATCH (a)-[*1..10]-(b) RETURN count(*)", timeout_ms=300)
        assert functions(box) > 0
    finally:
        box.close()


def test_an_answer_too_large_to_send_is_refused_with_what_to_do(repo: Repo) -> None:
    box = sandbox(repo, max_answer_bytes=1000)
    try:
        with pytest.raises(StoreError, match=r"more than the 0 MB allowed; return fewer rows"):
            box.query("MATCH (n) RETURN n.id AS id, n.doc AS doc", timeout_ms=10_000)
        assert functions(box) > 0
    finally:
        box.close()


def test_a_reindex_stops_the_worker_and_queries_work_after_it(repo: Repo) -> None:
    before = repo.query(COUNT, timeout_ms=10_000).rows
    assert repo._sandbox is not None
    worker = repo._sandbox._child
    assert worker is not None and worker.alive()
    repo.reindex(rebuild=True)  # the writer needs the database to itself
    assert not worker.alive()
    assert repo.query(COUNT, timeout_ms=10_000).rows == before


def test_over_mcp_hostile_queries_get_errors_and_the_server_keeps_answering(workspace: Workspace) -> None:
    server = build_server(workspace)
    hostile = [
        "CALL `read_csv_serial`('/etc/passwd') RETURN *",
        "CALL `threads`=1",
        "CALL `var_length_extend_max_depth`=1000",
        "CALL `file_search_path`='/etc'",
        "CALL `create_fts_index`('File', 'i', ['doc'])",
        "COMMENT ON TABLE File IS 'x'",
    ]

    async def main() -> list[tuple[bool, str]]:
        async with Client(server) as client:
            answers = []
            for query in [*hostile, COUNT]:
                result = await client.call_tool("cypher", {"query": query})
                text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
                answers.append((bool(result.is_error), text))
            return answers

    repo = workspace.get()
    settings = "CALL current_setting('threads') RETURN *"
    before = repo.query(settings, timeout_ms=10_000).rows
    answers = anyio.run(main)
    for query, (is_error, text) in zip(hostile, answers, strict=False):
        assert is_error and "Query refused" in text, (query, text)
    assert answers[-1][0] is False and '"n"' in answers[-1][1]
    # the settings the bypass used to change are untouched
    assert repo.query(settings, timeout_ms=10_000).rows == before


def test_the_server_process_does_not_grow_with_a_memory_bomb(repo: Repo) -> None:
    def resident_mb() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20

    box = sandbox(repo, memory_bytes=400 << 20)
    try:
        before = resident_mb()
        with pytest.raises(QueryKilled):
            box.query("UNWIND range(1, 200000000) AS x RETURN collect(x)", timeout_ms=60_000)
        assert resident_mb() - before < 100
    finally:
        box.close()


def test_a_missing_index_is_reported_not_crashed(tmp_path: Path) -> None:
    box = QuerySandbox(StoreConfig(), tmp_path / "nothing")
    try:
        with pytest.raises(StoreError, match="No index at"):
            box.query(COUNT, timeout_ms=5_000)
    finally:
        box.close()
