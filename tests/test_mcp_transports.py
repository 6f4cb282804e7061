"""The MCP server as agents start it: ``repolens serve`` as a subprocess, over stdio and over
streamable HTTP on a loopback port, driven by the mcp SDK client (and, where the wire itself
is the point, by hand): stdout carries nothing but protocol, a token-protected server refuses
calls without the token, foreign Host/Origin headers and oversized bodies are refused, binding
beyond loopback needs a token, and eight clients in parallel all get right answers.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO, TypeVar

import anyio
import httpx2
import pytest
from click.testing import CliRunner
from conftest import copy_fixture, index_without_embeddings
from http_server import START_SECONDS, free_port, running
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent, TextResourceContents

from server.cli import main
from server.http import TOKEN_ENV
from server.tools import RepolensTools

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
TOOLS = sorted((*RepolensTools.READ_ONLY, *RepolensTools.WRITING))
TOKEN = "test-token-0123456789abcdef"
MAX_BODY = 65_536



def repolens(*args: str) -> list[str]:
    """The command line that runs ``repolens ARGS``: the console script next to this Python."""
    script = Path(sys.executable).parent / "repolens"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "server.cli", *args]


def text_of(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_without_embeddings(copy_fixture("pyrepo", tmp_path_factory.mktemp("transports") / "pyrepo"))


# -- stdio ----------------------------------------------------------------------------------
def stdio_session(params: StdioServerParameters, errlog: TextIO, work: Callable[[Client], Awaitable[T]],
                  problems: list[Exception]) -> T:
    """``work`` in an SDK client session with the server process; anything on its stdout that
    is not a protocol message ends up in ``problems``."""

    async def handle(message: Any) -> None:
        if isinstance(message, Exception):
            problems.append(message)

    async def run() -> T:
        async with Client(stdio_client(params, errlog=errlog), message_handler=handle,
                          read_timeout_seconds=START_SECONDS) as client:
            return await work(client)

    return anyio.run(run)


def test_a_stdio_session_lists_and_calls_tools(indexed: Path, tmp_path: Path) -> None:
    params = StdioServerParameters(command=repolens()[0], args=[*repolens()[1:], "serve", "--repo", str(indexed),
                                                                "--no-embed", "--no-index"], cwd=str(ROOT))

    async def work(client: Client) -> dict[str, Any]:
        tools = await client.list_tools()
        found = await client.call_tool("find_symbol", {"name": "join", "kind": "function"})
        escape = await client.call_tool("read_file", {"path": "../../etc/passwd"})
        write = await client.call_tool("cypher", {"query": "MATCH (n) DETACH DELETE n"})
        schema = await client.read_resource("repolens://schema")
        return {"tools": sorted(t.name for t in tools.tools), "found": found, "escape": escape, "write": write,
                "schema": schema.contents[0]}

    problems: list[Exception] = []
    with (tmp_path / "stderr.log").open("w") as errlog:
        got = stdio_session(params, errlog, work, problems)
    assert problems == []
    assert got["tools"] == TOOLS
    assert not got["found"].is_error
    assert [s["id"] for s in got["found"].structured_content["symbols"]] == ["pkg/paths.py::join",
                                                                             "pkg/util.py::join"]
    assert got["escape"].is_error and "outside the repository" in text_of(got["escape"])
    assert got["write"].is_error and "Query refused: DETACH DELETE" in text_of(got["write"])
    assert isinstance(got["schema"], TextResourceContents) and "CALLS" in got["schema"].text


class LineReader:
    """A subprocess's output, line by line, with a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def next(self, timeout: float = START_SECONDS) -> str | None:
        return self.lines.get(timeout=timeout)

    def rest(self) -> list[str]:
        self.thread.join(timeout=START_SECONDS)
        out = []
        while not self.lines.empty():
            line = self.lines.get()
            if line is not None:
                out.append(line)
        return out


def test_stdout_carries_only_protocol_messages_while_logs_go_to_stderr(tmp_path: Path) -> None:
    """By hand, on the wire: a server that must first build its index, with debug logging on,
    still writes nothing but JSON-RPC messages on stdout, one per line."""
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    process = subprocess.Popen(repolens("-vv", "serve", "--repo", str(root), "--no-embed"), cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdin and process.stdout and process.stderr
    stdout, stderr = LineReader(process.stdout), LineReader(process.stderr)
    requests = [
        ("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "test", "version": "1"}}),
        ("tools/list", {}),
        ("tools/call", {"name": "find_symbol", "arguments": {"name": "Engine", "kind": "class"}}),
        ("tools/call", {"name": "read_symbol", "arguments": {"symbol": "nowhere"}}),
        ("tools/call", {"name": "localize", "arguments": {"text": "Turbo.boost fails"}}),
        # the query worker (and its database) writes nothing to the protocol's stdout either
        ("tools/call", {"name": "cypher", "arguments": {"query": "MATCH (c:Class) RETURN count(c) AS n"}}),
    ]
    answers: dict[int, dict[str, Any]] = {}
    try:
        for number, (method, params) in enumerate(requests, start=1):
            process.stdin.write(json.dumps({"jsonrpc": "2.0", "id": number, "method": method, "params": params}) + "\n")
            if method == "initialize":
                process.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
            process.stdin.flush()
            line = stdout.next()
            assert line is not None, "the server closed stdout"
            message = json.loads(line)
            answers[message["id"]] = message
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    leftover = stdout.rest()
    assert leftover == [], f"stdout after the last answer: {leftover}"
    assert sorted(answers) == [1, 2, 3, 4, 5, 6] and all(a["jsonrpc"] == "2.0" for a in answers.values())
    assert answers[1]["result"]["serverInfo"]["name"] == "repolens"
    assert sorted(t["name"] for t in answers[2]["result"]["tools"]) == TOOLS
    assert answers[3]["result"]["structuredContent"]["symbols"][0]["id"] == "pkg/core.py::Engine"
    assert answers[4]["result"]["isError"] is True and "no symbol 'nowhere'" in answers[4]["result"]["content"][0][
        "text"]
    assert answers[5]["result"]["isError"] is False
    assert answers[6]["result"]["structuredContent"]["rows"][0]["n"] > 0
    logs = "".join(stderr.rest())
    assert "indexing" in logs and "before serving" in logs and "DEBUG" in logs


# -- streamable HTTP ------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpServer:
    url: str
    port: int
    root: Path


@pytest.fixture(scope="module")
def http_server(indexed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """``repolens serve --http 127.0.0.1:PORT`` with the token from the environment."""
    port = free_port()
    command = repolens("serve", "--repo", str(indexed), "--no-embed", "--no-index", "--http", f"127.0.0.1:{port}",
                       "--max-body-bytes", str(MAX_BODY))
    with running(command, port, {**os.environ, TOKEN_ENV: TOKEN}, tmp_path_factory.mktemp("http") / "server.log",
                 cwd=ROOT):
        yield HttpServer(f"http://127.0.0.1:{port}/mcp", port, indexed)


def http_session(url: str, work: Callable[[Client], Awaitable[T]], token: str | None = TOKEN) -> T:
    async def run() -> T:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0)) as http, \
                Client(streamable_http_client(url, http_client=http)) as client:
            return await work(client)

    return anyio.run(run)


INITIALIZE: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "test", "version": "1"}}}
JSON_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def post(server: HttpServer, body: Any, **headers: str) -> httpx2.Response:
    return httpx2.post(server.url, content=json.dumps(body).encode(), headers={**JSON_HEADERS, **headers},
                       timeout=30.0)


def test_http_with_the_token_serves_every_tool(http_server: HttpServer) -> None:
    async def work(client: Client) -> tuple[list[str], CallToolResult, CallToolResult]:
        tools = sorted(t.name for t in (await client.list_tools()).tools)
        good = await client.call_tool("callers", {"symbol": "pkg/util.py::join"})
        bad = await client.call_tool("callers", {"symbol": "Engin"})
        return tools, good, bad

    tools, good, bad = http_session(http_server.url, work)
    assert tools == TOOLS
    assert not good.is_error and good.structured_content is not None
    assert [i["id"] for i in good.structured_content["items"]] == ["pkg/sub/worker.py::work", "pkg/util.py::helper"]
    assert bad.is_error and "Engine (pkg/core.py::Engine)" in text_of(bad)


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", TOKEN,
                                           "bearer wrong-token-0123456789", f"Bearer{TOKEN}", f"Bearers {TOKEN}",
                                           f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer"])
def test_http_without_the_token_is_refused(http_server: HttpServer, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = post(http_server, INITIALIZE, **headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <token>" in response.json()["error"]
    assert TOKEN not in response.text


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr", "Bearer  "])
def test_the_bearer_scheme_is_read_in_any_case(http_server: HttpServer, scheme: str) -> None:
    """RFC 9110 makes the scheme case-insensitive and allows more than one space after it."""
    response = post(http_server, INITIALIZE, Authorization=f"{scheme} {TOKEN}")
    assert response.status_code == 200, response.text


def test_an_sdk_client_without_the_token_cannot_call(http_server: HttpServer) -> None:
    async def work(client: Client) -> Any:
        return await client.call_tool("find_symbol", {"name": "join"})

    with pytest.raises(ExceptionGroup) as info:
        http_session(http_server.url, work, token=None)
    assert info.group_contains(MCPError, match="error response")


def test_http_refuses_a_foreign_host_or_origin(http_server: HttpServer) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    rebinding = post(http_server, INITIALIZE, Host=f"attacker.example:{http_server.port}", **auth)
    assert rebinding.status_code == 421 and "Host" in rebinding.text
    foreign = post(http_server, INITIALIZE, Origin="http://attacker.example", **auth)
    assert foreign.status_code == 403 and "Origin" in foreign.text
    local = post(http_server, INITIALIZE, Host=f"localhost:{http_server.port}",
                 Origin=f"http://127.0.0.1:{http_server.port}", **auth)
    assert local.status_code == 200, local.text


def test_http_refuses_an_oversized_body(http_server: HttpServer) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    huge = {**INITIALIZE, "params": {**INITIALIZE["params"], "padding": "x" * (MAX_BODY + 1)}}
    refused = post(http_server, huge, **auth)
    assert refused.status_code == 413

    async def work(client: Client) -> CallToolResult:  # a long issue text under the limit still goes through
        return await client.call_tool("localize", {"text": "Engine.stop raises EngineError. " * 1500})

    result = http_session(http_server.url, work)
    assert not result.is_error, text_of(result)


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("find_symbol", {"name": "run"}),
    ("callees", {"symbol": "app.py::main"}),
    ("read_symbol", {"symbol": "pkg/sub/worker.py::Turbo.boost"}),
    ("class_hierarchy", {"symbol": "pkg/base.py::Base"}),
    ("cypher", {"query": "MATCH (a)-[:CALLS]->(b:Function {name: 'join'}) RETURN a.id AS caller, b.id AS callee "
                         "ORDER BY caller, callee"}),
    ("impact", {"target": "pkg/util.py", "depth": 2}),
    ("search_code", {"query": "register an item"}),
]


def test_eight_parallel_http_clients_all_get_right_answers(http_server: HttpServer) -> None:
    async def sequential(client: Client) -> list[Any]:
        results = [await client.call_tool(tool, args) for tool, args in CALLS]
        assert not any(r.is_error for r in results), [text_of(r) for r in results if r.is_error]
        return [r.structured_content for r in results]

    expected = http_session(http_server.url, sequential)
    answers: dict[int, list[Any]] = {}

    async def one_client(number: int) -> None:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30.0) as http, \
                Client(streamable_http_client(http_server.url, http_client=http)) as client:
            got: list[Any] = [None] * len(CALLS)
            for position in [*range(number % len(CALLS), len(CALLS)), *range(number % len(CALLS))]:
                result = await client.call_tool(*CALLS[position])
                assert not result.is_error, text_of(result)
                got[position] = result.structured_content
            answers[number] = got

    async def run() -> None:
        async with anyio.create_task_group() as group:
            for number in range(8):
                group.start_soon(one_client, number)

    anyio.run(run)
    assert sorted(answers) == list(range(8))
    assert all(got == expected for got in answers.values())


def without_freshness(answer: Any) -> Any:
    """An answer without its ``index`` freshness block, which a rebuild changes."""
    return {k: v for k, v in answer.items() if k != "index"} if isinstance(answer, dict) else answer


def test_parallel_http_clients_get_right_answers_while_the_index_is_rebuilt(http_server: HttpServer) -> None:
    async def sequential(client: Client) -> list[Any]:
        return [without_freshness((await client.call_tool(tool, args)).structured_content) for tool, args in CALLS]

    expected = http_session(http_server.url, sequential)
    wrong: list[str] = []
    rebuilt: list[str] = []

    async def connect() -> Any:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120.0)
        return http, Client(streamable_http_client(http_server.url, http_client=http))

    async def reader(number: int) -> None:
        http, session = await connect()
        async with http, session as client:
            for position in [*range(number % len(CALLS), len(CALLS)), *range(number % len(CALLS))] * 2:
                result = await client.call_tool(*CALLS[position])
                if result.is_error or without_freshness(result.structured_content) != expected[position]:
                    wrong.append(f"{CALLS[position][0]}: {text_of(result)[:200]}")

    async def rebuilder() -> None:
        http, session = await connect()
        async with http, session as client:
            for _ in range(2):
                result = await client.call_tool("reindex", {"rebuild": True})
                assert not result.is_error, text_of(result)
                rebuilt.append(result.structured_content["mode"])  # type: ignore[index]

    async def run() -> None:
        async with anyio.create_task_group() as group:
            for number in range(8):
                group.start_soon(reader, number)
            group.start_soon(rebuilder)

    anyio.run(run)
    assert rebuilt == ["full", "full"] and not wrong, wrong[:5]


# -- unsafe options are refused before anything is served -----------------------------------
def serve_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["serve", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_binding_beyond_loopback_without_a_token_is_refused(indexed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    port = str(free_port())
    code, out = serve_cli("--repo", str(indexed), "--no-embed", "--http", f"0.0.0.0:{port}", "--json")
    assert code == 1
    message = json.loads(out)["error"]
    assert "0.0.0.0" in message and "--token" in message and TOKEN_ENV in message
    code, out = serve_cli("--repo", str(indexed), "--no-embed", "--http", f"0.0.0.0:{port}")
    assert code == 1 and "Error: binding 0.0.0.0" in out
    with socket.socket() as sock:  # nothing was left listening
        sock.bind(("127.0.0.1", int(port)))


@pytest.mark.parametrize(("args", "expected"), [
    (["--http", "127.0.0.1:8765", "--token", "short"], "at least 16 characters"),
    (["--http", "localhost:not-a-port"], "--http expects HOST:PORT"),
    (["--http", "127.0.0.1:70000"], "out of range"),
])
def test_unsafe_or_malformed_http_options_are_refused(indexed: Path, monkeypatch: pytest.MonkeyPatch,
                                                      args: list[str], expected: str) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    code, out = serve_cli("--repo", str(indexed), "--no-embed", *args, "--json")
    assert code == 1 and expected in json.loads(out)["error"]
