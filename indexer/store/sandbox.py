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

import logging
import pickle
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from indexer import childproc
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


def worker_main() -> None:
    """The worker process (see :mod:`indexer.childproc`): read its settings, then answer
    queries until told to stop."""
    requests, answers = childproc.pipes()
    config, db_dir, max_answer_bytes = requests.recv()
    store: GraphStore | None = None
    try:
        for cypher, params, max_rows, timeout_ms in childproc.requests_until_stop(requests):
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
        self._child: childproc.Child | None = None

    def query(self, cypher: str, params: dict[str, Any] | None = None, *, max_rows: int | None = None,
              timeout_ms: int) -> QueryResult:
        """Run ``cypher`` in the worker and return its rows; :class:`QueryTimeout` past
        ``timeout_ms``, :class:`QueryKilled` when the worker had to be killed or died, and the
        store's own errors as they are."""
        with self._lock:
            child = self._worker()
            try:
                child.requests.send((cypher, dict(params or {}), max_rows, timeout_ms))
            except OSError:
                self._lost(child)
            deadline = time.monotonic() + timeout_ms / 1000 + self.limits.grace_seconds
            while not child.answers.poll(POLL_SECONDS):
                if not child.alive():
                    self._lost(child)
                if time.monotonic() > deadline:
                    self._stop(kill=True)
                    raise QueryTimeout.after(timeout_ms)
                if child.resident_bytes() > self.limits.memory_bytes:
                    self._stop(kill=True)
                    raise QueryKilled(f"the query needed more than {self.limits.memory_bytes >> 20} MB of memory "
                                      "and was stopped; narrow it (a LIMIT, fewer rows before collect() or "
                                      "ORDER BY, a shorter range or path bound) and try again")
            try:
                status, *rest = pickle.loads(child.answers.recv_bytes())
            except (EOFError, OSError):
                self._lost(child)
            if status == "ok":
                result: QueryResult = rest[0]
                return result
            kind, message = rest
            raise _ERRORS.get(kind, StoreError)(message)

    def close(self) -> None:
        """Stop the worker (it holds the index open: a writer needs it closed)."""
        with self._lock:
            self._stop()

    def _worker(self) -> childproc.Child:
        """The live worker, started (with its settings) when there is none."""
        if self._child is not None and self._child.alive():
            return self._child
        self._stop(kill=True)
        self._child = childproc.start("indexer.store.sandbox:worker_main")
        self._child.requests.send((self.config, str(self.db_dir), self.limits.max_answer_bytes))
        return self._child

    def _lost(self, child: childproc.Child) -> NoReturn:
        why = f"the query crashed the database worker ({child.death()}); the server is unaffected"
        log.warning("query worker lost: %s", why)
        self._stop(kill=True)
        raise QueryKilled(f"{why}. The query probably uses something the database cannot do safely "
                          "(a table function, a file reader); rewrite it, or use `named_query`")

    def _stop(self, kill: bool = False) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.stop(kill=kill)
