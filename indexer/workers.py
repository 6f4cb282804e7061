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
import os
import resource
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait

from indexer import childproc
from indexer.extract import Extractor
from indexer.languages import get_language, language_of_source
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


_MISSING: dict[str, str] = {}
"""Languages whose grammar would not load in this process → why (said once in the log, and
for each of their files)."""


def _extractor(language: str) -> Extractor | None:
    extractor = _EXTRACTORS.get(language)
    if extractor is None and language not in _MISSING:
        spec = get_language(language)
        try:
            extractor = _EXTRACTORS[language] = Extractor(spec)
        except (ImportError, AttributeError, OSError, ValueError) as exc:
            wheel = spec.grammar.partition(":")[0].replace("_", "-")
            _MISSING[language] = (f"skipped: the {language} grammar ({wheel}) could not be loaded: "
                                  f"{type(exc).__name__}: {exc}; install it with pip install {wheel}")
            log.warning("%s", _MISSING[language])
    return extractor


def extract_one(path: str, language: str, data: bytes) -> Result:
    """The facts of one file, or why there are none; never raises."""
    try:
        language = language_of_source(language, data)
        extractor = _extractor(language)
        if extractor is None:
            return path, None, _MISSING[language]
        return path, extractor.extract(path, data).to_wire(), None
    except ParseBudgetExceeded as exc:
        return path, None, f"skipped: {exc} (the per-file budget)"
    except MemoryError:
        return path, None, "skipped: extraction ran out of memory"
    except Exception as exc:  # boundary: one bad file never stops an index
        log.warning("extraction failed for %s: %s", path, exc)
        return path, None, f"extraction failed: {type(exc).__name__}: {exc}"


@dataclass(frozen=True, slots=True)
class PoolLimits:
    memory_bytes: int = WORKER_MEMORY_BYTES
    file_seconds: float = FILE_SECONDS


def worker_main() -> None:
    """A worker process (see :mod:`indexer.childproc`): load every grammar, cap the address
    space, then extract files until told to stop."""
    requests, answers = childproc.pipes()
    memory_bytes = requests.recv()
    # a language's grammar and query are loaded when its first file comes (compiling every
    # language's query would cost a new worker more than a second); the cap leaves room for them
    _limit_address_space(memory_bytes)
    for task in childproc.requests_until_stop(requests):
        answers.send(extract_one(*task))


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
    def __init__(self, limits: PoolLimits) -> None:
        self.child = childproc.start("indexer.workers:worker_main")
        self.child.requests.send(limits.memory_bytes)
        self.task: Task | None = None
        self.since = 0.0

    def give(self, task: Task) -> None:
        self.task, self.since = task, time.monotonic()
        with contextlib.suppress(OSError):  # a worker that died already is noticed when read
            self.child.requests.send(task)


class WorkerPool:
    """Supervised extraction processes, kept alive between calls: a server that re-indexes on
    every save pays the start of a worker (about 0.4 s) once, not per save. Not thread-safe:
    one indexing run at a time (the server's writer lock sees to it)."""

    def __init__(self, workers: int, limits: PoolLimits = PoolLimits()) -> None:
        self.size = max(1, workers)
        self.limits = limits
        self._workers: list[_Worker] = []

    def warm(self) -> None:
        """Start a worker now, if none runs, so that the first file to extract does not wait
        for a process to start (a server calls this when it makes its pool)."""
        if not self._workers:
            self._workers.append(_Worker(self.limits))

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def extract(self, tasks: list[Task], progress: Callable[[int], None] | None = None) -> list[Result]:
        """Extract ``tasks`` (see the module docstring); ``progress(done)`` is called as files
        finish. Results come in no particular order; every task has one."""
        queue = deque(sorted(tasks, key=lambda t: -len(t[2])))  # biggest first: the tail stays short
        results: list[Result] = []
        pool = self._workers
        while len(pool) < min(self.size, len(tasks)):
            pool.append(_Worker(self.limits))
        try:
            for worker in pool:
                if queue:
                    worker.give(queue.popleft())
            while any(w.task is not None for w in pool):
                ready = wait([w.child.answers for w in pool if w.task is not None], timeout=0.5)
                for index, worker in enumerate(pool):
                    result = self._collect(index, worker, ready)
                    if result is None:
                        continue
                    results.append(result)
                    if progress:
                        progress(len(results))
                    if queue:
                        pool[index].give(queue.popleft())
        except BaseException:
            self.close()  # workers mid-file cannot be reused
            raise
        return results

    def _collect(self, index: int, worker: _Worker, ready: Sequence[object]) -> Result | None:
        """The result of ``worker``'s file if there is one now (replacing a worker that died or
        overran), else None."""
        if worker.task is None:
            return None
        path = worker.task[0]
        if worker.child.answers in ready:
            try:
                result: Result = worker.child.answers.recv()
                worker.task = None
                return result
            except (EOFError, OSError):
                why = (f"skipped: the parser process died ({worker.child.death()}) on this file; it may "
                       f"need more than {self.limits.memory_bytes >> 20} MB")
        elif time.monotonic() - worker.since > self.limits.file_seconds:
            why = f"skipped: extraction took longer than {self.limits.file_seconds:g} s (the per-file deadline)"
        else:
            return None
        # a dead or stuck worker is replaced; its file is reported, not retried
        log.warning("%s: %s", path, why)
        worker.child.stop(kill=True)
        self._workers[index] = _Worker(self.limits)
        return path, None, why

    def close(self) -> None:
        """Stop the workers."""
        for worker in self._workers:
            worker.child.stop(kill=worker.task is not None)
        self._workers = []


def extract_in_workers(tasks: list[Task], workers: int, progress: Callable[[int], None] | None = None,
                       limits: PoolLimits = PoolLimits()) -> list[Result]:
    """Extract ``tasks`` in a pool of ``workers`` processes that lives for this call only."""
    with WorkerPool(workers, limits) as pool:
        return pool.extract(tasks, progress)
