"""The repositories one server (or one CLI call) answers for, and their indexes.

A :class:`Repo` owns a read-only graph store and the retrieval context of one indexed
repository, opened lazily and shared by all requests. Requests run on worker threads, so
access goes through a lock: graph queries are serialised per repository (an embedded
database connection is not shared between threads), and a re-index holds the lock while it
closes the readers, writes the new index in one transaction and reopens them, so no request
ever sees a half-written index.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.gitinfo import git_commit
from indexer.index import IndexNotReady, open_store
from indexer.index import status as index_status
from indexer.pipeline import IndexOptions, IndexReport, index_dir, index_repository
from indexer.state import IndexState
from indexer.store.base import GraphStore, QueryResult
from indexer.store.config import StoreConfig, load_config
from indexer.store.sandbox import QuerySandbox
from indexer.workers import WorkerPool
from queries.retrieval.context import RETRIEVAL_DIR, RetrievalContext, build_context, load_context

log = logging.getLogger(__name__)

WAIT_SECONDS = 60.0
"""How long a request waits for a re-index in progress before it is told to retry."""


class UnknownRepositoryError(ValueError):
    """A ``repo`` argument names no served repository; the message lists those served."""


@dataclass(frozen=True, slots=True)
class Freshness:
    """How current the index is: when it was made, from which commit, and (when the server
    watches the repository) how many files changed since."""

    indexed_at: str | None
    commit: str | None
    head: str | None
    """The commit checked out now; differs from ``commit`` after a checkout or a pull."""
    watching: bool
    pending_files: int | None
    """Files changed since the index was made, when known (watch mode); None otherwise."""

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
    _pool: WorkerPool | None = field(default=None, repr=False)
    """Extracts changed files out of process, kept warm between re-indexes."""
    _indexed_at: float | None = field(default=None, repr=False)
    _commit: str | None = field(default=None, repr=False)
    watching: bool = False
    pending_files: int | None = None
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
                self._read_state()
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
        with self._context_lock:
            context = self._context
            if context is not None:
                return context
            try:
                context = load_context(self.root, self.db_dir, dense=self.embed)
            except FileNotFoundError:
                # Embedding a whole repository takes minutes on a CPU: no request waits for
                # it. `repolens index` (or reindex) builds the semantic index.
                with self.store() as store:
                    graph = store.dump()
                context = build_context(self.root, self.db_dir, graph, dense=False)
                context.notes.append(f"semantic search is not built for this index; run `repolens index "
                                     f"{self.root}` to add it")
            self._context = context
            return context

    def freshness(self) -> Freshness:
        with self._lock:
            if self._indexed_at is None:
                self._read_state()
            at = self._indexed_at
            return Freshness(
                time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(at)) if at else None,
                self._commit, git_commit(self.root), self.watching, self.pending_files)

    def status(self) -> Any:
        return index_status(self.root, self.db_dir, self.config)

    # -- writers -------------------------------------------------------------------------
    def reindex(self, progress: Callable[[str, int, int], None] | None = None,
                rebuild: bool = False) -> IndexReport:
        """Bring the index up to date (incrementally unless ``rebuild``), then the search
        indexes; readers wait meanwhile and then see the new index whole."""
        with self._context_lock, self._lock:
            self.activity = "full rebuild" if rebuild else "incremental re-index"
            self._close_readers()
            try:
                if self._pool is None:
                    self._pool = WorkerPool(min(os.cpu_count() or 1, 8))
                report = index_repository(self.root, IndexOptions(db_dir=self.db_dir, store=self.config,
                                                                  rebuild=rebuild, pool=self._pool), progress)
                if report.mode != "unchanged" or not (self.db_dir / RETRIEVAL_DIR).exists():
                    with self.store() as store:
                        graph = store.dump()
                    self._context = build_context(self.root, self.db_dir, graph, dense=self.embed,
                                                  progress=progress)
            finally:
                self._close_readers(keep_context=True)
                self._read_state()
                self.activity = ""
            self.pending_files = 0 if self.watching else None
            return report

    def close(self) -> None:
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

    def _read_state(self) -> None:
        path = self.db_dir / self.config.state_name()
        if not path.exists():
            return
        state = IndexState(path)
        try:
            self._indexed_at = float(state.get_meta("indexed_at", 0.0)) or None
            self._commit = state.get_meta("commit")
        finally:
            state.close()


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
                                         "pass repo= with one of these names")
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
