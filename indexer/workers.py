"""Extracting many files in worker processes that no single file can take down.

Each file goes to a worker on its own, and the supervisor (the indexing process) watches
every worker: one that outlives the per-file deadline is killed, one that dies (a crash in a
grammar, or the address-space ceiling it runs under) is replaced, and either way only that
file is recorded as skipped, with the reason, while the rest of the repository is indexed
normally. The in-file budgets of :class:`indexer.extract.ExtractLimits` keep ordinary bad
files cheap; this is the backstop for what they do not foresee.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from indexer.extract import Extractor
from indexer.languages import get_language
from indexer.tsshim import ParseBudgetExceeded

log = logging.getLogger(__name__)

Task = tuple[str, str, bytes]
"""(path, language, source)."""
Result = tuple[str, bytes | None, str | None]
"""(path, the facts on the wire or None, why not)."""

WORKER_MEMORY_BYTES = 2 << 30
"""Address space a worker may add to what it starts with: parsing a 1 MB file takes tens of MB."""
FILE_SECONDS = 60.0
"""A worker still busy with one file after this long is killed (the parse budget is 10 s)."""

_EXTRACTORS: dict[str, Extractor] = {}


def extract_one(path: str, language: str, data: bytes) -> Result:
    """The facts of one file, or why there are none; never raises."""
    try:
        extractor = _EXTRACTORS.get(language)
        if extractor is None:
            extractor = _EXTRACTORS[language] = Extractor(get_language(language))
        return path, extractor.extract(path, data).to_wire(), None
    except ParseBudgetExceeded as exc:
        return path, None, f"skipped: {exc} (the per-file budget)"
    except MemoryError:
        return path, None, f"skipped: extraction needed more than {WORKER_MEMORY_BYTES >> 20} MB"
    except Exception as exc:  # boundary: one bad file never stops an index
        log.warning("extraction failed for %s: %s", path, exc)
        return path, None, f"extraction failed: {type(exc).__name__}: {exc}"


@dataclass(frozen=True, slots=True)
class PoolLimits:
    memory_bytes: int = WORKER_MEMORY_BYTES
    file_seconds: float = FILE_SECONDS


def _worker_main(conn: Connection, memory_bytes: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when workers stop
    _limit_address_space(memory_bytes)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(extract_one(*task))


def _limit_address_space(extra: int) -> None:
    """Cap this process's address space at what it maps now plus ``extra`` bytes, so a
    runaway allocation fails here (MemoryError, or the process dies) instead of exhausting
    the machine."""
    try:
        with open("/proc/self/statm") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return  # not Linux: the deadline still bounds the worker
    limit = mapped + extra
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class _Worker:
    def __init__(self, context: Any, limits: PoolLimits) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, limits.memory_bytes), daemon=True)
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.since = 0.0

    def give(self, task: Task) -> None:
        self.task, self.since = task, time.monotonic()
        self.conn.send(task)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _death(process: Any, limits: PoolLimits) -> str:
    code = process.exitcode
    how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    return (f"skipped: the parser process died ({how}) on this file; it may need more than "
            f"{limits.memory_bytes >> 20} MB")


def extract_in_workers(tasks: list[Task], workers: int, progress: Callable[[int], None] | None = None,
                       limits: PoolLimits = PoolLimits()) -> list[Result]:
    """Extract ``tasks`` in ``workers`` supervised processes (see the module docstring);
    ``progress(done)`` is called as files finish. Results come in no particular order."""
    method = "fork" if threading.active_count() == 1 else "forkserver"
    context = multiprocessing.get_context(method)
    queue = deque(sorted(tasks, key=lambda t: -len(t[2])))  # biggest first: the tail stays short
    results: list[Result] = []
    pool = [_Worker(context, limits) for _ in range(min(workers, len(tasks)))]
    try:
        for worker in pool:
            if queue:
                worker.give(queue.popleft())
        while any(w.task is not None for w in pool):
            busy = {w.conn: w for w in pool if w.task is not None}
            ready = wait(list(busy), timeout=0.5)
            now = time.monotonic()
            for index, worker in enumerate(pool):
                if worker.task is None:
                    continue
                path = worker.task[0]
                if worker.conn in ready:
                    try:
                        result: Result = worker.conn.recv()
                        lost = False
                    except (EOFError, OSError):
                        worker.process.join(1)
                        result, lost = (path, None, _death(worker.process, limits)), True
                elif now - worker.since > limits.file_seconds:
                    result, lost = (path, None, f"skipped: parsing took longer than {limits.file_seconds:g} s "
                                                "(the per-file deadline)"), True
                else:
                    continue
                if lost:  # a dead or stuck worker is replaced; the file is reported, not retried
                    log.warning("%s: %s", path, result[2])
                    worker.stop(kill=True)
                    worker = pool[index] = _Worker(context, limits)
                worker.task = None
                results.append(result)
                if progress:
                    progress(len(results))
                if queue:
                    worker.give(queue.popleft())
    finally:
        for worker in pool:
            worker.stop(kill=worker.task is not None)
    return results
