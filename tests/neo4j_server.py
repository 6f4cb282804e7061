"""A Bolt server for the Neo4j store's tests: a real Neo4j when the environment names one,
otherwise an ArcadeDB server from the ``arcadedb-embedded`` wheel, started in a child process.

``REPOLENS_TEST_NEO4J_URI`` (with ``_USER``, ``_PASSWORD`` and optionally ``_DATABASE``)
points the tests at a running Neo4j. Without it, :func:`start_arcadedb` runs this file as a
script: the child starts ArcadeDB with its Bolt plugin on 127.0.0.1 and a free port, creates
the database, prints one JSON line with the port, and serves until its stdin closes. A child
process keeps the JVM out of pytest (JPype cannot restart a JVM in a process) and dies with
the test session even when pytest is killed, because its stdin closes then too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from indexer.store.neo4j_store import Neo4jStore

START_TIMEOUT = 120.0
"""Seconds the child may take to report its port (a cold JVM start takes a few seconds)."""
STOP_TIMEOUT = 30.0
DATABASE = "repolens"
USER = "root"


@dataclass(frozen=True)
class BoltTarget:
    """Where the tests connect and how. ``password`` is not shown in the repr."""

    uri: str
    user: str
    password: str = field(repr=False)
    database: str | None
    server: str
    """``arcadedb`` or ``neo4j``."""
    start_seconds: float = 0.0


class ServerUnavailable(Exception):
    """No Bolt server could be had; the message says why (the tests skip with it)."""


def target_from_environment() -> BoltTarget | None:
    """The Neo4j named by ``REPOLENS_TEST_NEO4J_URI`` and friends, or None when unset."""
    uri = os.environ.get("REPOLENS_TEST_NEO4J_URI")
    if not uri:
        return None
    return BoltTarget(uri=uri, user=os.environ.get("REPOLENS_TEST_NEO4J_USER", "neo4j"),
                      password=os.environ.get("REPOLENS_TEST_NEO4J_PASSWORD", ""),
                      database=os.environ.get("REPOLENS_TEST_NEO4J_DATABASE") or None,
                      server="neo4j")


class ArcadeDBProcess:
    """An ArcadeDB server in a child process; :meth:`stop` shuts it down cleanly."""

    def __init__(self, root: Path, timeout: float = START_TIMEOUT) -> None:
        if importlib.util.find_spec("arcadedb_embedded") is None:
            raise ServerUnavailable("arcadedb-embedded is not installed "
                                    "(pip install arcadedb-embedded)")
        self.root = root
        self.password = secrets.token_urlsafe(16)
        root.mkdir(parents=True, exist_ok=True)
        self._stderr = (root / "server.stderr").open("w+b")
        started = time.monotonic()
        # ArcadeDB writes ./log relative to its working directory: keep it under root.
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(root)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, cwd=root,
            env={**os.environ, "REPOLENS_ARCADEDB_PASSWORD": self.password},
        )
        try:
            port = self._read_port(timeout)
        except ServerUnavailable:
            self.stop()
            raise
        self.target = BoltTarget(uri=f"bolt://127.0.0.1:{port}", user=USER,
                                 password=self.password, database=DATABASE, server="arcadedb",
                                 start_seconds=time.monotonic() - started)

    def _read_port(self, timeout: float) -> int:
        stdout = self._process.stdout
        assert stdout is not None
        lines: list[bytes] = []
        # readline() has no timeout; a daemon thread lets a hung start be abandoned.
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not lines:
            raise ServerUnavailable(f"ArcadeDB did not start in {timeout:.0f} s: "
                                    f"{self._stderr_tail()}")
        if not lines[0].strip():  # end of output: the child is exiting
            try:
                code: int | str = self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                code = "unknown"
            raise ServerUnavailable(f"ArcadeDB exited (code {code}) before serving: "
                                    f"{self._stderr_tail()}")
        try:
            return int(json.loads(lines[0])["bolt_port"])
        except (ValueError, KeyError) as exc:
            raise ServerUnavailable(f"ArcadeDB said {lines[0]!r}: {self._stderr_tail()}") from exc

    def _stderr_tail(self, lines: int = 5) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "no output"

    def stop(self) -> None:
        """Ask the child to stop (close its stdin), then terminate or kill it if it lingers."""
        process = self._process
        if process.stdin is not None:
            process.stdin.close()
        if process.poll() is None:
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._stderr.close()


def neo4j_opener(target: BoltTarget) -> tuple[Callable[..., Neo4jStore], Callable[[], None]]:
    """``(open_store, cleanup)``: ``open_store(repo="main", read_only=False, **options)``
    opens a Neo4jStore on ``target`` under a repository id unique to this call (stores opened
    with the same ``repo`` share data); ``cleanup`` closes them and drops what they stored."""
    from indexer.store.neo4j_store import Neo4jStore

    prefix = f"test-{uuid.uuid4().hex[:10]}-"
    used: set[str] = set()
    opened: list[Neo4jStore] = []

    def open_store(repo: str = "main", *, read_only: bool = False, **options: Any) -> Neo4jStore:
        used.add(prefix + repo)
        store = Neo4jStore(target.uri, target.user, target.password, repo=prefix + repo,
                           database=target.database, read_only=read_only, **options)
        opened.append(store)
        return store

    def cleanup() -> None:
        for store in opened:
            store.close()
        for repo in sorted(used):
            with Neo4jStore(target.uri, target.user, target.password, repo=repo,
                            database=target.database) as store:
                store.drop_repository()

    return open_store, cleanup


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(root: Path) -> None:
    """The child: start ArcadeDB with Bolt, report the port, serve until stdin closes."""
    import arcadedb_embedded

    bolt_port = _free_port()
    server = arcadedb_embedded.create_server(
        str(root / "databases"), root_password=os.environ["REPOLENS_ARCADEDB_PASSWORD"],
        config={"host": "127.0.0.1", "http_port": _free_port(), "bolt_port": bolt_port,
                "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"},
    )
    server.start()
    try:
        server.create_database(DATABASE)
        sys.stdout.write(json.dumps({"bolt_port": bolt_port}) + "\n")
        sys.stdout.flush()
        sys.stdin.read()
    finally:
        server.stop()


if __name__ == "__main__":
    _serve(Path(sys.argv[1]))
