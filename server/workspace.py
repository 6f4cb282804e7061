"""The repositories one server (or one CLI call) answers for, and their indexes.

A :class:`Repo` owns a read-only graph store and the retrieval context of one indexed
repository, opened lazily and shared by all requests. Requests run on worker threads, so
access goes through a lock: graph queries are serialised per repository (an embedded
database connection is not shared between threads), and a re-index holds the lock while it
closes the readers, writes the new index in one transaction and reopens them, so no request
ever sees a half-written index.

Every answer says how fresh the index is (:meth:`Repo.freshness`), in every mode: a stat pass
over the files compared with what the index recorded (``indexer.freshness``), bounded by a time
budget and reused for ``FRESHNESS_MAX_AGE`` seconds, so a burst of calls walks the tree once. A
watcher shares the same scans (:meth:`Repo.snapshot`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.freshness import Changes, Checker, Recorded, Scan, load_recorded, scan
from indexer.gitinfo import git_commit
from indexer.index import IndexNotReady, open_store
from indexer.index import status as index_status
from indexer.pipeline import IndexOptions, index_dir
from indexer.resolve import FileIndexCache
from indexer.store.base import GraphStore, QueryResult
from indexer.store.config import StoreConfig, load_config
from indexer.store.sandbox import QuerySandbox
from indexer.walk import WalkError, WalkOptions
from indexer.workers import WorkerPool

if TYPE_CHECKING:  # numpy and scipy load when search is first used, not for a graph query
    from indexer.search.context import RetrievalContext
    from indexer.update import UpdateReport

log = logging.getLogger(__name__)

WAIT_SECONDS = 60.0
"""How long a request waits for a re-index in progress before it is told to retry."""
FRESHNESS_MAX_AGE = 1.0
"""Seconds a freshness check (or a watcher's scan) is reused by the answers that follow."""
FRESHNESS_BUDGET = 0.25
"""Seconds a freshness check may take; past them the count is reported unknown (None)."""
UNKNOWN_RETRY = 30.0
"""Seconds before a check that ran out of time is tried again, so that on a tree too large to
check in time answers do not each pay the budget."""


class UnknownRepositoryError(ValueError):
    """A ``repo`` argument names no served repository; the message lists those served."""


@dataclass(frozen=True, slots=True)
class Freshness:
    """How current the index is: when it was made, from which commit, and how many files
    changed since."""

    indexed_at: str | None
    commit: str | None
    head: str | None
    """The commit checked out now; differs from ``commit`` after a checkout or a pull."""
    watching: bool
    watch_mode: str | None
    """How changes are seen: ``events`` (the OS reports them), ``polling``, or None."""
    pending_files: int | None
    """Files added, modified (in content) or deleted since the index was made, as of at most
    ``FRESHNESS_MAX_AGE`` seconds ago; None when unknown: there is no index, or the check ran
    past ``FRESHNESS_BUDGET`` (a very large tree, not watched)."""

    @property
    def stale(self) -> bool | None:
        if self.pending_files is not None:
            return self.pending_files > 0
        if self.commit and self.head and self.commit != self.head:
            return True
        return None


@dataclass(slots=True)
class Repo:
    """One served repository."""

    name: str
    root: Path
    db_dir: Path
    config: StoreConfig
    embed: bool = True
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    """Held by graph queries and by writers."""
    _context_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    """Held while the search indexes load and by writers; taken before ``_lock``, never after."""
    _store: GraphStore | None = field(default=None, repr=False)
    _context: RetrievalContext | None = field(default=None, repr=False)
    _sandbox: QuerySandbox | None = field(default=None, repr=False)
    """Runs user-supplied Cypher out of process; holds the index open while it lives."""
    _embedder: Any = field(default=None, repr=False)
    """The embedding model of re-indexes, loaded once (a ``dense.Embedder``)."""
    _pool: WorkerPool | None = field(default=None, repr=False)
    """Extracts changed files out of process, kept warm between re-indexes."""
    _saver: ContextSaver = field(default_factory=lambda: ContextSaver(), repr=False)
    _resolve_cache: FileIndexCache = field(default_factory=lambda: FileIndexCache(), repr=False)
    """What resolution indexed of each file, kept between re-indexes."""
    freshness_budget: float = FRESHNESS_BUDGET
    _scan_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    """Held while the files are scanned and compared with the record; taken after ``_lock``, never before."""
    _scan: Scan | None = field(default=None, repr=False)
    _recorded: Recorded | None = field(default=None, repr=False)
    _recorded_at: float = field(default=0.0, repr=False)
    """``time.monotonic()`` when the state was last looked at."""
    _checker: Checker = field(default_factory=Checker, repr=False)
    _compared: tuple[Scan, Recorded, Changes] | None = field(default=None, repr=False)
    _unknown_until: float = field(default=0.0, repr=False)
    watch_interval: float | None = None
    """Seconds between a watcher's scans; None when no watcher runs."""
    watch_mode: str | None = None
    """How the watcher learns of changes: "events" (the OS's file notifications) or "polling"
    (a scan every ``watch_interval`` seconds); None when no watcher runs."""
    activity: str = ""
    """What a writer is doing right now (for the message readers get while they wait)."""

    @classmethod
    def open(cls, root: Path, db_dir: Path | None = None, *, name: str | None = None,
             backend: str | None = None, repo_id: str | None = None, embed: bool = True) -> Repo:
        resolved = root.resolve()
        if not resolved.is_dir():
            raise IndexNotReady(f"{root} is not a directory; serve a repository directory")
        config = load_config(resolved, backend=backend, repo_id=repo_id)
        return cls(name or resolved.name, resolved, index_dir(resolved, db_dir), config, embed)

    @property
    def watching(self) -> bool:
        return self.watch_interval is not None

    # -- readers -------------------------------------------------------------------------
    @contextmanager
    def store(self) -> Iterator[GraphStore]:
        """The read-only graph store, held for the duration of the ``with`` block. Waits up to
        ``WAIT_SECONDS`` for a re-index in progress, then says so instead of hanging."""
        if not self._lock.acquire(timeout=WAIT_SECONDS):
            raise IndexNotReady(f"the index of {self.name} is being updated ({self.activity or 'busy'}); "
                                "try again in a few seconds")
        try:
            if self._store is None:
                self._store = open_store(self.root, self.db_dir, self.config)
            yield self._store
        finally:
            self._lock.release()

    def query(self, cypher: str, params: dict[str, Any] | None = None, *, max_rows: int | None = None,
              timeout_ms: int) -> QueryResult:
        """Run a user's read-only Cypher in the query sandbox (a separate process with a
        memory ceiling and a deadline), so that no query can crash or exhaust the server."""
        with self.store():  # a clear IndexNotReady when there is no index; readers wait out a writer
            if self._sandbox is None:
                self._sandbox = QuerySandbox(self.config, self.db_dir)
            return self._sandbox.query(cypher, params, max_rows=max_rows, timeout_ms=timeout_ms)

    def context(self) -> RetrievalContext:
        """The retrieval context (search indexes); the lexical part is built on first use when
        the index has none. Loading takes seconds on a large repository, so it holds its own
        lock, not the store's: graph queries go on meanwhile."""
        from indexer.update import open_context

        with self._context_lock:
            context = self._context
            if context is None:
                try:
                    context = open_context(self.root, self.db_dir, self.config, dense=self.embed)
                except FileNotFoundError as exc:
                    raise IndexNotReady(str(exc)) from exc
                self._context = context
            return context

    def freshness(self) -> Freshness:
        """When and from which commit the index was made, and how many files changed since:
        a stat pass over the repository (see the module docstring), at most ``freshness_budget``
        seconds, reused for ``FRESHNESS_MAX_AGE``."""
        with self._scan_lock:
            recorded = self._load_recorded()
            pending = self._pending(recorded) if recorded is not None else None
        at = recorded.indexed_at if recorded is not None else None
        return Freshness(time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(at)) if at else None,
                         recorded.commit if recorded is not None else None, git_commit(self.root),
                         self.watching, self.watch_mode, pending)

    def snapshot(self, max_age: float = 0.0) -> Scan:
        """The files the indexer would read, with their stats, walked at most ``max_age``
        seconds ago (now, by default), without a time budget: what a watcher polls. Its walk
        then serves the freshness of the answers that follow."""
        with self._scan_lock:
            current = self._scan
            if current is not None and time.monotonic() - current.taken_at <= max_age:
                return current
            recorded = self._load_recorded()
            self._scan = scan(self.root, self.db_dir, recorded.walk if recorded else WalkOptions())
            return self._scan

    def _load_recorded(self) -> Recorded | None:
        """The index's record of its files. The state is looked at once per ``FRESHNESS_MAX_AGE``
        and re-read only when an index run (this server's or another process's) has written it
        since; a scan made before that run is then dropped."""
        now = time.monotonic()
        if self._recorded is not None and now - self._recorded_at <= FRESHNESS_MAX_AGE:
            return self._recorded
        recorded = load_recorded(self.db_dir / self.config.state_name(), self._recorded)
        if recorded is not self._recorded:
            self._recorded, self._scan, self._compared = recorded, None, None
        self._recorded_at = now
        return recorded

    def _pending(self, recorded: Recorded) -> int | None:
        """How many files differ from ``recorded``; None when that cannot be told within the
        budget, and for ``UNKNOWN_RETRY`` seconds after. Called holding ``_scan_lock``."""
        now = time.monotonic()
        if now < self._unknown_until:
            return None
        # A watcher renews the scan every interval: use its scan rather than walk again.
        max_age = FRESHNESS_MAX_AGE + 2 * (self.watch_interval or 0.0)
        current = self._scan
        try:
            if current is None or now - current.taken_at > max_age:
                current = self._scan = scan(self.root, self.db_dir, recorded.walk,
                                            deadline=now + self.freshness_budget)
            compared = self._compared
            if compared is not None and compared[0] is current and compared[1] is recorded:
                return compared[2].count
            changes = self._checker.changes(recorded, current, deadline=now + self.freshness_budget)
        except (TimeoutError, WalkError) as exc:  # too large to check in time, or the root is gone
            log.info("freshness of %s unknown for %.0f s: %s", self.name, UNKNOWN_RETRY, exc)
            self._unknown_until = now + UNKNOWN_RETRY
            return None
        self._compared = (current, recorded, changes)
        return changes.count

    def status(self) -> Any:
        """The index status; its search part describes the context this server holds when it
        holds one (saving it to disk may still be under way)."""
        status = index_status(self.root, self.db_dir, self.config)
        context = self._context
        with self._scan_lock:
            recorded = self._load_recorded()
        if context is not None and recorded is not None:
            status.search.update(built=True, fresh=context.generation == recorded.generation,
                                 units=len(context.meta.ids),
                                 semantic=context.dense.model_id if context.dense is not None else None)
        return status

    # -- writers -------------------------------------------------------------------------
    def reindex(self, progress: Callable[[str, int, int], None] | None = None, rebuild: bool = False,
                paths: Iterable[str] | None = None) -> UpdateReport:
        """Bring the index up to date (incrementally unless ``rebuild``): the graph and the
        search indexes together (``indexer.update``), updating the context held in memory.
        Searches wait until the new search context is made and use it from then on, while the
        graph store is written; graph queries wait for the write and then see the new graph
        whole. ``paths`` (what a watcher saw change): only these files are looked at, not the
        whole tree, unless one of them needs a walk to judge (``IndexOptions.changed``); the
        watcher follows such runs with a full one (``Watcher``)."""
        from indexer.update import SearchOptions, update_index

        self._context_lock.acquire()
        holding = True

        def publish(context: RetrievalContext) -> None:
            # searches see the update now; the graph store is written after, under _lock
            nonlocal holding
            self._context = context
            if holding:
                holding = False
                self._context_lock.release()

        try:
            with self._lock:
                self.activity = "full rebuild" if rebuild else "incremental re-index"
                self._close_readers(keep_context=True)
                before = self._context
                try:
                    if self._pool is None:
                        self._pool = WorkerPool(min(os.cpu_count() or 1, 8))
                        self._pool.warm()
                    if self.embed and self._embedder is None:
                        from indexer.search.dense import Embedder, dense_available

                        if dense_available()[0]:
                            self._embedder = Embedder()  # kept, so the model loads once per server
                    report, context = update_index(
                        self.root,
                        IndexOptions(db_dir=self.db_dir, store=self.config, rebuild=rebuild, pool=self._pool,
                                     resolve_cache=self._resolve_cache,
                                     changed=None if paths is None else tuple(paths)),
                        SearchOptions(dense=self.embed, embedder=self._embedder),
                        context=None if rebuild else before, progress=progress, save=False, publish=publish)
                    self._context = context
                    if context is not None and report.search is not None:
                        self._saver.save(context, self.db_dir, report.costs,
                                         changed=report.search["mode"] != "unchanged")
                except BaseException:
                    self._context = before  # the graph was not written: searches go back with it
                    raise
                finally:
                    self._close_readers(keep_context=True)
                    self.activity = ""
                    with self._scan_lock:  # the files are checked against the new record from now on
                        self._scan = self._compared = None
                        self._recorded_at = self._unknown_until = 0.0
                return report
        finally:
            if holding:
                self._context_lock.release()

    def close(self) -> None:
        self._saver.flush()
        with self._context_lock, self._lock:
            self._close_readers()
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def _close_readers(self, keep_context: bool = False) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
        if self._store is not None:
            self._store.close()
            self._store = None
        if not keep_context:
            self._context = None


SAVE_DELAY_SECONDS = 10.0
"""A re-indexed search context is saved once no newer one has come for this long: a save takes
the interpreter for about half a second on a large repository, and an agent that edits asks
again within seconds. Until then a new process opening the index rebuilds the search indexes
from the graph (with the embedding cache, tens of seconds on a large repository)."""


class ContextSaver:
    """Saves a repository's search context after a re-index, in the background, once the
    repository has been quiet for ``delay`` seconds: the answers that follow an edit use the
    context in memory and neither wait for a write of tens of megabytes nor share the processor
    with it, and a burst of edits costs one save. One save runs at a time and only the newest
    waiting context is saved (a context that only moved to a newer graph generation, its
    content unchanged since the last one handed over, is only marked as matching it);
    ``flush`` saves it at once."""

    def __init__(self, delay: float = SAVE_DELAY_SECONDS) -> None:
        self.delay = delay
        self._changed = threading.Condition()
        self._wanted: tuple[RetrievalContext, Path, dict[str, float], bool] | None = None
        self._due = 0.0
        self._hurry = False
        self._thread: threading.Thread | None = None

    def save(self, context: RetrievalContext, db_dir: Path, costs: dict[str, float], changed: bool = True) -> None:
        """Save ``context`` soon; ``changed`` False: its content equals the one handed over
        before (a re-index that changed nothing), only its generation is newer."""
        with self._changed:
            # a content not yet written stays to be written, whatever comes after it
            changed = changed or (self._wanted is not None and self._wanted[3])
            self._wanted = (context, db_dir, costs, changed)
            self._due = time.monotonic() + self.delay
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="save-context", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def flush(self) -> None:
        """Save what waits now, and wait for the saves under way to end."""
        with self._changed:
            self._hurry = True
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
        with self._changed:
            self._hurry = False

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._wanted is not None and not self._hurry and (left := self._due - time.monotonic()) > 0:
                    self._changed.wait(left)
                wanted, self._wanted = self._wanted, None
                if wanted is None:
                    self._thread = None
                    return
            context, db_dir, costs, changed = wanted
            try:
                if changed:
                    context.save(db_dir, costs)
                else:
                    context.mark(db_dir, costs)
            except OSError as exc:  # the next index run rebuilds what could not be saved
                log.warning("saving the search indexes of %s failed: %s", db_dir, exc)


@dataclass(slots=True)
class Workspace:
    """The served repositories by name; with one, ``repo`` arguments may be left out."""

    repos: dict[str, Repo]

    @classmethod
    def of(cls, repos: Sequence[Repo]) -> Workspace:
        named: dict[str, Repo] = {}
        for repo in repos:
            name, n = repo.name, 2
            while name in named:
                name, n = f"{repo.name}-{n}", n + 1
            repo.name = name
            named[name] = repo
        return cls(named)

    def get(self, name: str | None = None) -> Repo:
        if not name:
            if len(self.repos) == 1:
                return next(iter(self.repos.values()))
            raise UnknownRepositoryError(f"several repositories are served ({', '.join(self.repos)}); "
                                         "pass `repo` with one of these names")
        repo = self.repos.get(name)
        if repo is None:
            by_path = {str(r.root): r for r in self.repos.values()}
            repo = by_path.get(os.path.realpath(name))
        if repo is None:
            raise UnknownRepositoryError(f"no repository {name!r} is served; served: {', '.join(self.repos)}")
        return repo

    def close(self) -> None:
        for repo in self.repos.values():
            repo.close()
