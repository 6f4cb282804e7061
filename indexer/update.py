"""Bringing a repository's whole index up to date: the graph, then every search index built
from it (units, lexical, dense, adjacency, symbols), in one call with one progress stream.

``update_index`` is the one way an index is made or refreshed: ``repolens index``, the
server's ``reindex`` and watch mode, and the benchmarks call it and nothing else. After the
graph run it applies what the graph run changed (``GraphDelta``) to the search context the
index already has, in memory when the caller holds it, else as saved, so a one-file edit
re-derives one file's units, tokenizes and embeds only those, and reassembles the rest by
vectorised steps. When the saved context does not match the graph's previous generation (a
first index, an interrupted run, another version), the context is built from every file's
share of the graph as the index state records it, which gives the same result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.pipeline import GraphDelta, IndexOptions, IndexReport, Progress, index_dir, index_graph
from indexer.state import IndexState, decode_graph
from indexer.store.config import StoreConfig, load_config

if TYPE_CHECKING:
    from indexer.search.context import RetrievalContext, SearchStats

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SearchOptions:
    enabled: bool = True
    """Build the search indexes at all (off: the graph only)."""
    dense: bool = True
    """Add the dense (embedding) index when its runtime is installed."""
    embedder: Any = None
    """A ``dense.Embedder`` to use (a server keeps one, so the model stays loaded); None: the
    default."""


@dataclass(slots=True)
class UpdateReport:
    """What an update did and cost, part by part."""

    graph: IndexReport
    search: dict[str, Any] | None = None
    """``SearchStats`` as a mapping, with ``fresh`` and ``notes``; None when not built."""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    costs: dict[str, float] = field(default_factory=dict)
    """Seconds per part (graph, units, graph adjacency, lexical, dense), recorded with the index."""

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self.graph), "search": self.search, "total_seconds": self.seconds, "notes": self.notes}


def update_index(root: Path, options: IndexOptions | None = None, search: SearchOptions | None = None, *,
                 context: RetrievalContext | None = None, progress: Progress | None = None,
                 save: bool = True,
                 publish: Callable[[RetrievalContext], None] | None = None,
                 ) -> tuple[UpdateReport, RetrievalContext | None]:
    """Index ``root`` (incrementally unless ``options.rebuild``) and bring its search indexes
    along; returns the report and the new context (None when ``search.enabled`` is off).
    ``context`` is the caller's in-memory context, if it holds one: it is left as it is.
    Without ``save`` the caller saves the context (``context.save(db_dir, report.costs)``, or
    only ``context.mark`` when the search mode is ``unchanged``), as a server does after
    answering; until then the saved one is a generation behind and the next process to open
    it rebuilds it.

    ``publish(context)``, with an in-memory ``context``, receives the updated context as soon
    as it is made, before the graph store is written (a server answers searches from it while
    the write goes on; if the write fails, the graph and the saved context stay a generation
    behind it and the caller should go back to its old context).

    Raises what ``index_graph`` raises (``WalkError`` for a bad root, ``StoreError``)."""
    started = time.perf_counter()
    options = options if options is not None else IndexOptions()
    search = search if search is not None else SearchOptions()
    embedder, why = _embedder(search) if search.enabled else (None, None)
    early: tuple[RetrievalContext, SearchStats] | None = None
    tried = False
    building: _Build | None = None

    def before_write(delta: GraphDelta) -> None:
        nonlocal early, tried, building
        if delta.full:  # every file: embedded while the graph store is written
            building = _Build(Path(root).resolve(), delta, embedder, progress)
            return
        if context is None or context.generation != delta.generation_before:
            return
        tried = True
        early = _apply(context, delta, embedder, progress)
        if early is not None and publish is not None:
            publish(early[0])

    # without a context in memory, the saved one is read while the graph is brought up to date
    # (much of which, parsing in workers and the graph store's writes, leaves the interpreter free)
    preload = (_Preload(root, index_dir(root, options.db_dir), dense=embedder is not None)
               if search.enabled and context is None and not options.rebuild else None)
    try:
        graph, delta = index_graph(root, options, progress, before_write if search.enabled else None)
    finally:
        loaded = preload.result() if preload is not None else None
    built = building.result() if building is not None else None
    report = UpdateReport(graph)
    if not search.enabled:
        report.seconds = round(time.perf_counter() - started, 3)
        return report, None
    root = Path(graph.root)
    db_dir = index_dir(root, options.db_dir)
    if why:
        report.notes.append(why)
    if built is not None:
        new, stats = built
    elif early is not None:
        new, stats = early
    else:  # an in-memory context that could not be applied is not tried again
        new, stats = _update_search(root, db_dir, options, delta, loaded if context is None else
                                    None if tried else context, embedder, progress)
    report.costs = {"graph": graph.seconds, **stats.seconds}
    saved = 0.0
    if save and stats.mode == "unchanged":
        new.mark(db_dir, report.costs)
    elif save:
        saved = new.save(db_dir, report.costs)
    report.search = {**asdict(stats), "seconds": {**stats.seconds, "save": saved}, "fresh": True,
                     "model": new.dense.model_id if new.dense is not None else None, "notes": list(new.notes)}
    report.seconds = round(time.perf_counter() - started, 3)
    return report, new


def open_context(root: Path, db_dir: Path, config: StoreConfig, *, dense: bool = True) -> RetrievalContext:
    """The saved search context when it matches the graph; otherwise one built now from the
    index state, without a dense index (embedding a repository takes minutes: ``update_index``
    builds it), and saved. Raises ``FileNotFoundError`` when there is no index state."""
    from indexer.search.context import RetrievalContext, load_context
    from indexer.search.mark import saved_generation

    state_path = db_dir / config.state_name()
    if not state_path.exists():
        raise FileNotFoundError(f"no index in {db_dir}; run `repolens index {root}`")
    state = IndexState(state_path, read_only=True)
    try:
        generation = int(state.get_meta("generation", 0))
        if saved_generation(db_dir) == generation:
            try:
                return load_context(root, db_dir, dense=dense)
            except (FileNotFoundError, ValueError, EOFError) as exc:
                log.info("the saved search indexes cannot be read (%s); building them", exc)
        files = [(path, *decode_graph(blob)) for path, blob in state.graphs()]
    finally:
        state.close()
    context, stats = RetrievalContext.build(root, files, generation=generation)
    context.save(db_dir, stats.seconds)
    context.notes.append(f"semantic search is not built for this index; run `repolens index {root}` to add it")
    return context


def _update_search(root: Path, db_dir: Path, options: IndexOptions, delta: GraphDelta,
                   context: RetrievalContext | None, embedder: Any,
                   progress: Progress | None) -> tuple[RetrievalContext, SearchStats]:
    from indexer.search.context import RetrievalContext, load_context
    from indexer.search.mark import saved_generation

    prior = context if context is not None and context.generation == delta.generation_before else None
    if prior is None and not delta.full and saved_generation(db_dir) == delta.generation_before:
        try:
            prior = load_context(root, db_dir, dense=embedder is not None, lazy_table=True)
        except (FileNotFoundError, ValueError, EOFError, OSError) as exc:
            log.info("the saved search indexes cannot be updated (%s); building them afresh", exc)
    if prior is not None and not delta.full:
        try:
            applied = _apply(prior, delta, embedder, progress)
        except FileNotFoundError as exc:  # its symbol table, read late, is gone or another one
            log.info("the saved search indexes cannot be updated (%s); building them afresh", exc)
            applied = None
        if applied is not None:
            return applied
    config = options.store or load_config(root)
    state = IndexState(db_dir / config.state_name(), read_only=True)
    try:
        files = [(path, *decode_graph(blob)) for path, blob in state.graphs()]
    finally:
        state.close()
    return RetrievalContext.build(root, files, generation=delta.generation, embedder=embedder, progress=progress)


class _Build:
    """The search context of a whole-repository delta, built in a thread (embedding is most of a
    first index, and it can go on while the graph store is written); ``result()`` waits for it
    and raises what building raised."""

    def __init__(self, root: Path, delta: GraphDelta, embedder: Any, progress: Progress | None) -> None:
        self._args = root, delta, embedder, progress
        self._out: tuple[RetrievalContext, SearchStats] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="build-search", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from indexer.search.context import RetrievalContext

        root, delta, embedder, progress = self._args
        try:
            files = [(path, *graph) for path, graph in sorted(delta.files.items()) if graph is not None]
            self._out = RetrievalContext.build(root, files, generation=delta.generation, embedder=embedder,
                                               progress=progress)
        except BaseException as exc:  # boundary: handed to the caller by result()
            self._error = exc

    def result(self) -> tuple[RetrievalContext, SearchStats]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._out is not None
        return self._out


class _Preload:
    """The saved search context of ``db_dir``, read in a thread; ``result()`` is None when
    there is none or it cannot be read (the update then builds one)."""

    def __init__(self, root: Path, db_dir: Path, dense: bool) -> None:
        self._root, self._db_dir, self._dense = root, db_dir, dense
        self._context: RetrievalContext | None = None
        self._thread = threading.Thread(target=self._run, name="load-context", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from indexer.search.context import load_context
        from indexer.search.mark import saved_generation

        if saved_generation(self._db_dir) is None:
            return
        try:
            self._context = load_context(self._root.resolve(), self._db_dir, dense=self._dense, lazy_table=True)
        except Exception as exc:  # boundary: whatever the saved files hold, the update rebuilds them
            log.info("the saved search indexes cannot be read (%s); the update builds them", exc)

    def result(self) -> RetrievalContext | None:
        self._thread.join()
        return self._context


def _apply(prior: RetrievalContext, delta: GraphDelta, embedder: Any,
           progress: Progress | None) -> tuple[RetrievalContext, SearchStats] | None:
    """``prior`` (at ``delta.generation_before``) with ``delta`` applied; None when it cannot
    serve: a dense index is wanted and it has none, or its dense index cannot be updated."""
    if embedder is not None and prior.dense is None:
        return None
    from indexer.search.dense import DenseIndexError

    try:
        return prior.apply(delta.files, delta.generation, embedder=embedder, progress=progress)
    except DenseIndexError as exc:
        log.info("the dense index cannot be updated (%s); building the search indexes afresh", exc)
        return None


def _embedder(search: SearchOptions) -> tuple[Any, str | None]:
    """The embedder to use, or None with the reason when there is to be no dense index."""
    if not search.dense:
        return None, None
    from indexer.search import dense

    ok, why = dense.dense_available()
    if not ok:
        return None, f"semantic search unavailable ({why}); using lexical, name and graph signals"
    return (search.embedder if search.embedder is not None else dense.Embedder()), None

