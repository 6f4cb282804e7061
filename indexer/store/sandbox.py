"""Running untrusted Cypher where it cannot take the server with it: :class:`QuerySandbox`.

A user's query (the ``cypher`` tool, ``repolens cypher``) runs in a separate worker process
with its own read-only store. The embedded database runs inside whatever process opens it,
so in-process a query that crashes it (Kùzu 0.11 segfaults on some table functions) kills
the server, and one that builds a huge intermediate result (``UNWIND range(1, 2e8)``,
``collect``) grows until the kernel kills the machine's largest process; the database's own
timeout is checked only between steps and its buffer pool does not cover such results. Here
the supervisor watches the worker: past the deadline, or past the memory ceiling (its
resident set, read from ``/proc`` every 50 ms, because Kùzu reserves terabytes of address
space and an address-space limit stops it from opening at all), the worker is killed, the
caller gets a clear error, and the next query starts a fresh worker. Answers are bounded too
(:data:`MAX_ANSWER_BYTES`), so the rows that do come back cannot exhaust the server.

Named queries and the tools keep their fast, in-process path: their text is ours.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from indexer.store.base import GraphStore, QueryResult, QueryTimeout, ReadOnlyViolation, StoreError
from indexer.store.config import StoreConfig, open_graph_store

log = logging.getLogger(__name__)

MEMORY_BYTES = 1 << 30
"""A worker whose resident memory passes this is killed (the graph of a 2,000-file repository
takes about 100 MB)."""
GRACE_SECONDS = 3.0
"""How long past its own timeout a query may take to stop by itself before it is killed."""
MAX_ANSWER_BYTES = 32 << 20
"""The largest answer a worker sends back, serialised."""
POLL_SECONDS = 0.05

_ERRORS: dict[str, type[StoreError]] = {
    "QueryTimeout": QueryTimeout, "ReadOnlyViolation": ReadOnlyViolation, "StoreError": StoreError,
}


class QueryKilled(StoreError):
    """The worker running a query was killed (deadline, memory) or died (a crash)."""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    memory_bytes: int = MEMORY_BYTES
    grace_seconds: float = GRACE_SECONDS
    max_answer_bytes: int = MAX_ANSWER_BYTES


def _main() -> None:
    """The worker process: read its settings, then answer queries until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    inbox, outbox = (int(fd) for fd in sys.argv[1:3])
    requests, answers = Connection(inbox, writable=False), Connection(outbox, readable=False)
    config, db_dir, max_answer_bytes = requests.recv()
    _serve(requests, answers, config, db_dir, max_answer_bytes)


def _serve(requests: Connection, answers: Connection, config: StoreConfig, db_dir: str,
           max_answer_bytes: int) -> None:
    """Open the store read-only on first use, then answer queries until told to stop."""
    store: GraphStore | None = None
    try:
        while True:
            try:
                request = requests.recv()
            except EOFError:
                return
            if request is None:
                return
            cypher, params, max_rows, timeout_ms = request
            try:
                if store is None:
                    store = open_graph_store(config, Path(db_dir), read_only=True)
                answer = pickle.dumps(("ok", store.query(cypher, params, max_rows=max_rows, timeout_ms=timeout_ms)))
                if len(answer) > max_answer_bytes:
                    answer = pickle.dumps(("error", "StoreError", (
                        f"the answer is {len(answer) >> 20} MB, more than the {max_answer_bytes >> 20} MB allowed; "
                        "return fewer rows or smaller values (a LIMIT, count() instead of collect())")))
            except StoreError as exc:
                answer = pickle.dumps(("error", type(exc).__name__, str(exc)))
            except Exception as exc:  # boundary: report, keep serving
                answer = pickle.dumps(("error", "StoreError", f"the query failed: {type(exc).__name__}: {exc}"))
            answers.send_bytes(answer)
    finally:
        if store is not None:
            store.close()


class QuerySandbox:
    """One supervised worker process answering read-only queries on one index. Thread-safe:
    queries are answered one at a time."""

    def __init__(self, config: StoreConfig, db_dir: Path, limits: SandboxLimits = SandboxLimits()) -> None:
        self.config = config
        self.db_dir = db_dir
        self.limits = limits
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._conn: Connection | None = None

    def query(self, cypher: str, params: dict[str, Any] | None = None, *, max_rows: int | None = None,
              timeout_ms: int) -> QueryResult:
        """Run ``cypher`` in the worker and return its rows; :class:`QueryTimeout` past
        ``timeout_ms``, :class:`QueryKilled` when the worker had to be killed or died, and the
        store's own errors as they are."""
        with self._lock:
            conn = self._worker()
            assert self._process is not None and self._requests is not None
            try:
                self._requests.send((cypher, dict(params or {}), max_rows, timeout_ms))
            except OSError:
                return self._lost(self._died())
            deadline = time.monotonic() + timeout_ms / 1000 + self.limits.grace_seconds
            while not conn.poll(POLL_SECONDS):
                if self._process.poll() is not None:
                    return self._lost(self._died())
                if time.monotonic() > deadline:
                    self._stop(kill=True)
                    raise QueryTimeout.after(timeout_ms)
                rss = _resident_bytes(self._process.pid)
                if rss > self.limits.memory_bytes:
                    self._stop(kill=True)
                    raise QueryKilled(f"the query needed more than {self.limits.memory_bytes >> 20} MB of memory "
                                      "and was stopped; narrow it (a LIMIT, fewer rows before collect() or "
                                      "ORDER BY, a shorter range or path bound) and try again")
            try:
                status, *rest = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                return self._lost(self._died())
            if status == "ok":
                result: QueryResult = rest[0]
                return result
            kind, message = rest
            raise _ERRORS.get(kind, StoreError)(message)

    def close(self) -> None:
        """Stop the worker (it holds the index open: a writer needs it closed)."""
        with self._lock:
            self._stop()

    # -- the worker --------------------------------------------------------------------------
    def _worker(self) -> Connection:
        """The connection answers come on, starting a worker if none is alive."""
        if self._process is not None and self._process.poll() is None and self._conn is not None:
            return self._conn
        self._stop(kill=True)
        # A fresh interpreter rather than a fork: the server has threads, and a fork copies
        # their locks mid-use. stdout is closed to it: under stdio it carries the protocol.
        inbox, to_worker = os.pipe()
        from_worker, outbox = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", "from indexer.store.sandbox import _main; _main()", str(inbox), str(outbox)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(inbox, outbox))
        finally:
            os.close(inbox)
            os.close(outbox)
        self._requests = Connection(to_worker, readable=False)
        self._conn = Connection(from_worker, writable=False)
        self._requests.send((self.config, str(self.db_dir), self.limits.max_answer_bytes))
        return self._conn

    def _died(self) -> str:
        assert self._process is not None
        try:
            code = self._process.wait(1)
        except subprocess.TimeoutExpired:
            return "the database worker stopped answering"
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        return f"the query crashed the database worker ({how}); the server is unaffected"

    def _lost(self, why: str) -> QueryResult:
        log.warning("query worker lost: %s", why)
        self._stop(kill=True)
        raise QueryKilled(f"{why}. The query probably uses something the database cannot do safely "
                          "(a table function, a file reader); rewrite it, or use named_query")

    def _stop(self, kill: bool = False) -> None:
        process, requests, answers = self._process, self._requests, self._conn
        self._process = self._requests = self._conn = None
        if process is None:
            return
        if not kill and requests is not None:
            with contextlib.suppress(OSError):
                requests.send(None)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
        if process.poll() is None:
            process.kill()
            process.wait()
        for conn in (requests, answers):
            if conn is not None:
                conn.close()


def _resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0  # not Linux, or the process is gone: the deadline still holds
