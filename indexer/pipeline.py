"""Indexing a repository: walk, extract in parallel, resolve, store; incrementally by content hash.

``index_repository`` is the one entry point. A first run (or one against an index made by
another schema version, or a damaged one) builds everything and bulk-loads the store. Later
runs re-extract only files whose content hash changed, re-resolve those files plus the files
whose resolution looked at a file that appeared, disappeared or changed its interface, and
apply the difference to the store, so the stored graph always equals a fresh index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from indexer.facts import DefKind, FileFacts
from indexer.gitinfo import git_commit
from indexer.languages import build_outputs, languages_by_extension
from indexer.model import (
    REPOSITORY_ID,
    SCHEMA_VERSION,
    Edge,
    EdgeKind,
    FileStatus,
    Node,
    NodeKind,
    external_id,
    unresolved_id,
)
from indexer.modules import LINKAGE_PROBE, PACKAGE_PROBE
from indexer.resolve import FileGraph, FileIndexCache, Resolver
from indexer.state import RACY_NS, FileRecord, IndexState, decode_graph, encode_graph, problem_lists
from indexer.store.base import GraphChange, GraphStore, StoreError
from indexer.store.config import GRAPH_FILE, StoreConfig, load_config, open_graph_store
from indexer.walk import (
    DEFAULT_MAX_FILE_BYTES,
    WalkedFile,
    WalkOptions,
    content_hash,
    read_source,
    walk_changed,
    walk_repository,
)
from indexer.workers import WorkerPool, extract_in_workers, extract_one

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as work advances (stages: read, parse, resolve, store)."""

INDEX_DIRNAME = ".repolens"
STATE_FILE = StoreConfig().state_name()
"""The state file of the default (embedded) store."""
PARALLEL_THRESHOLD = 48
"""Fewer changed files than this are parsed in-process: a pool costs more than it saves."""


@dataclass(frozen=True, slots=True)
class IndexOptions:
    db_dir: Path | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    extra_ignores: tuple[str, ...] = ()
    workers: int | None = None
    rebuild: bool = False
    store: StoreConfig | None = None
    """Where the graph goes; None reads the repository's configuration (``load_config``)."""
    pool: WorkerPool | None = None
    """Worker processes that outlive this run (a server's): every changed file is extracted
    in them, however few. Without one, a run starts its own for many files and extracts a
    few in-process, within the per-file budgets."""
    resolve_cache: FileIndexCache | None = None
    """Files' facts as resolution indexes them, kept between runs (a server's): a one-file
    edit then does not re-read the facts of every file it imports."""
    changed: tuple[str, ...] | None = None
    """The only files that can have changed since the last run, repository-relative, as a
    watcher's file events name them: the run then looks at these alone instead of walking the
    tree (``walk_changed``), unless they include one it cannot judge so (a new file, a
    directory, an ignore file), when it walks as usual. None: anything may have changed."""


@dataclass(slots=True)
class IndexReport:
    root: str
    db_dir: str
    mode: str
    """``full`` (built from scratch), ``incremental`` or ``unchanged``."""
    seconds: float = 0.0
    files: int = 0
    parsed: int = 0
    added: int = 0
    modified: int = 0
    deleted: int = 0
    resolved: int = 0
    nodes: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    partial: list[dict[str, str]] = field(default_factory=list)
    rebuild_reason: str | None = None
    backend: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent per stage: walk, open (the state and store), read, parse, resolve, store (and
    compact, when it ran)."""
    walk: str = "tree"
    """How the files were found: ``tree`` (every directory listed) or ``events`` (only the files
    a watcher named looked at, see ``IndexOptions.changed``)."""
    compacted: bool = False
    """The embedded graph database was rewritten into a new file, having grown with updates."""


def index_dir(root: Path, db_dir: Path | None = None) -> Path:
    return (db_dir if db_dir is not None else root / INDEX_DIRNAME).resolve()


def source_files(root: Path, db_dir: Path, options: WalkOptions | None = None, *,
                 deadline: float | None = None) -> list[WalkedFile]:
    """The files of ``root`` the indexer reads (see ``walk_repository``, which raises
    ``WalkDeadlineExceeded`` past a ``deadline``), leaving out the index directory ``db_dir``
    when it lies inside the repository."""
    walked = walk_repository(root, languages_by_extension(), options or WalkOptions(), deadline=deadline,
                             build_outputs=build_outputs())
    return [f for f in walked if not _inside(f.abspath, db_dir)]


# -- extraction ----------------------------------------------------------------------------------
def _extract_all(items: list[tuple[str, str, bytes]], workers: int, pool: WorkerPool | None,
                 progress: Progress | None) -> dict[str, tuple[bytes | None, str | None]]:
    out: dict[str, tuple[bytes | None, str | None]] = {}
    total = len(items)

    def advance(done: int) -> None:
        if progress and (done % 50 == 0 or done == total):
            progress("parse", done, total)

    if pool is None and (workers <= 1 or total < PARALLEL_THRESHOLD):
        for n, item in enumerate(items, 1):
            path, wire, error = extract_one(*item)
            out[path] = (wire, error)
            advance(n)
        return out
    if pool is not None:
        results = pool.extract(items, advance) if items else []
    else:
        results = extract_in_workers(items, workers, advance)
    for path, wire, error in results:
        out[path] = (wire, error)
    return out


# -- helpers -------------------------------------------------------------------------------------
def _module_names(facts: FileFacts | None) -> set[str]:
    """The names ``facts`` defines at module level and the methods of its module-level
    extensions: C linkage and the methods added to library types are looked up by them."""
    if facts is None:
        return set()
    defs = facts.defs
    return {d.name for d in defs
            if d.parent < 0 or (defs[d.parent].kind == DefKind.EXTENSION and defs[d.parent].parent < 0)}


def _stored_facts(state: IndexState, path: str) -> FileFacts | None:
    blob = state.facts(path)
    try:
        return FileFacts.from_wire(blob) if blob is not None else None
    except ValueError:  # facts of another version: the index is rebuilt anyway
        return None


def _interface(facts: FileFacts | None) -> str | None:
    if facts is None:
        return None
    # marshal version 2 writes no back-references, so equal values give equal bytes
    blob = marshal.dumps(facts.interface(), 2)  # type: ignore[arg-type]
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def _directories(paths: Iterable[str]) -> tuple[list[Node], list[Edge]]:
    dirs: set[str] = set()
    file_edges: list[Edge] = []
    for p in paths:
        parent = p.rpartition("/")[0]
        file_edges.append(Edge(EdgeKind.CONTAINS, parent or REPOSITORY_ID, p))
        while parent and parent not in dirs:
            dirs.add(parent)
            parent = parent.rpartition("/")[0]
    nodes = [Node(d, NodeKind.DIRECTORY, d.rpartition("/")[2], d) for d in sorted(dirs)]
    edges = [Edge(EdgeKind.CONTAINS, d.rpartition("/")[0] or REPOSITORY_ID, d) for d in sorted(dirs)]
    return nodes, edges + file_edges


def _symbol_node(sid: str) -> Node:
    if sid.startswith("extern::"):
        q = sid[len("extern::"):]
        return Node(external_id(q), NodeKind.EXTERNAL, q.rsplit(".", 1)[-1], "", qualname=q)
    name = sid[len("unresolved::"):]
    return Node(unresolved_id(name), NodeKind.UNRESOLVED, name, "", qualname=name)


def _file_status(facts: FileFacts | None, note: str | None, error: str | None) -> tuple[FileStatus, str | None]:
    if facts is None:
        return FileStatus.SKIPPED, error
    problems = [p for p in (
        f"{facts.error_count} syntax error(s), first at line {facts.first_error_line}" if facts.error_count else None,
        facts.limited, note) if p]
    if facts.error_count or facts.limited:
        return FileStatus.PARTIAL, "; ".join(problems)
    return FileStatus.OK, note


# -- the entry point -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GraphDelta:
    """What one graph run changed, for the indexes derived from the graph: each re-resolved
    file's new share of the graph (nodes and the edges that start in it), None for a deleted
    file, and the generation the index went from and to."""

    files: dict[str, tuple[list[Node], list[Edge]] | None]
    generation_before: int
    generation: int
    full: bool
    """The graph was rebuilt from scratch: ``files`` holds every file."""


def index_repository(root: Path, options: IndexOptions = IndexOptions(),
                     progress: Progress | None = None) -> IndexReport:
    """Index (or re-index) the graph of ``root`` into its index directory and say what was
    done; ``indexer.update.update_index`` brings the search indexes along.

    Raises ``indexer.walk.WalkError`` for a missing root or one that is not a directory.
    """
    return index_graph(root, options, progress)[0]


def index_graph(root: Path, options: IndexOptions = IndexOptions(),
                progress: Progress | None = None,
                before_write: Callable[[GraphDelta], None] | None = None) -> tuple[IndexReport, GraphDelta]:
    """``index_repository``, and what changed in the graph. ``before_write(delta)`` is called
    with the run's delta (``delta.full`` for a first index or a rebuild: every file) once it is
    known and before the graph store and the state are written (writing them is most of a small
    update's time), so the indexes derived from the graph can be brought along meanwhile; if
    the write then fails, the graph stays at ``delta.generation_before``."""
    started = time.perf_counter()
    root = root.resolve() if root.exists() else root
    clock = _Clock()
    # Stats taken from here on may miss a change made within the filesystem's timestamp
    # granularity of them; readers hash such files rather than trust their stat (git's "racily clean").
    stats_at_ns = time.time_ns()
    walk = WalkOptions(max_file_bytes=options.max_file_bytes, extra_ignores=options.extra_ignores)
    db_dir = index_dir(root, options.db_dir)
    files = source_files(root, db_dir, walk) if options.changed is None or options.rebuild else None
    _make_index_dir(db_dir)
    report = IndexReport(root=str(root), db_dir=str(db_dir), mode="incremental", timings=clock.laps)
    clock.lap("walk")

    config = options.store or load_config(root)
    report.backend = config.describe()
    state, reason, store = _open_state(db_dir, config, options.rebuild)
    clock.lap("open")
    try:
        if reason:
            report.rebuild_reason = reason
            log.warning("rebuilding the index in %s: %s", db_dir, reason)

        # read and hash the files whose stat differs from the one recorded (all of them the first
        # time, or when the walk options changed); only those whose content changed are parsed
        old_hashes = state.hashes()
        walk_meta = {"max_file_bytes": walk.max_file_bytes, "extra_ignores": list(walk.extra_ignores)}
        trusted = state.stats() if state.get_meta("walk") == walk_meta else {}
        if files is None:
            assert options.changed is not None
            files = walk_changed(root, trusted, options.changed, languages_by_extension()) if trusted else None
            if files is None:
                files = source_files(root, db_dir, walk)
            else:
                report.walk = "events"
        report.files = len(files)
        clock.lap("walk")
        racy_after = int(state.get_meta("stats_at_ns", 0)) - RACY_NS
        current: dict[str, WalkedFile] = {f.path: f for f in files}
        hashes: dict[str, str] = {}
        todo: list[tuple[str, str, bytes]] = []
        notes: dict[str, str | None] = {}
        skips: dict[str, str] = {}
        for n, f in enumerate(files, 1):
            old_hash = old_hashes.get(f.path)
            if old_hash is not None and trusted.get(f.path) == f.stat_key and f.stat_key[1] < racy_after:
                hashes[f.path] = old_hash  # the same stat, recorded well after the file was written
                continue
            read = read_source(f, options.max_file_bytes)
            digest = content_hash(read)
            hashes[f.path] = digest
            if old_hashes.get(f.path) == digest:
                continue
            if read.data is None:
                skips[f.path] = read.skip_reason or "unreadable"
            else:
                notes[f.path] = read.note
                todo.append((f.path, f.language or "", read.data))
            if progress and n % 200 == 0:
                progress("read", n, len(files))
        deleted = sorted(set(old_hashes) - set(current))
        changed = sorted({p for p, _, _ in todo} | set(skips))
        report.added = sum(1 for p in changed if p not in old_hashes)
        report.modified = len(changed) - report.added
        report.deleted = len(deleted)
        full = not old_hashes

        clock.lap("read")
        workers = options.workers or min(os.cpu_count() or 1, 8)
        extracted = _extract_all(todo, workers, options.pool, progress)
        report.parsed = len(todo)
        clock.lap("parse")

        new_facts: dict[str, FileFacts | None] = {}
        wires: dict[str, bytes] = {}  # as the workers sent them: what the state keeps
        for path in changed:
            wire, error = extracted.get(path, (None, skips.get(path)))
            new_facts[path] = FileFacts.from_wire(wire) if wire is not None else None
            if wire is not None:
                wires[path] = wire
            if wire is None and path not in skips:
                skips[path] = error or "extraction failed"

        paths_by_language: dict[str, list[str]] = {}
        for f in files:
            paths_by_language.setdefault(f.language or "", []).append(f.path)

        def load(path: str) -> FileFacts | None:
            if path in new_facts:
                return new_facts[path]
            if path not in current:
                return None
            blob = state.facts(path)
            return FileFacts.from_wire(blob) if blob is not None else None

        # the packages files declare (Java ``package``, C# ``namespace``) and what manifests say
        # (``go.mod``): kept in the state, so an edit reads only the changed files' facts
        old_packages: dict[str, str] = {} if full else dict(state.get_meta("packages", {}))
        packages = _carried(old_packages, current, new_facts, lambda f: f.package or None)
        old_manifests: dict[str, Any] = {} if full else dict(state.get_meta("manifests", {}))
        # as the state keeps them (JSON), so that an unchanged manifest compares equal
        manifests = json.loads(json.dumps(_carried(old_manifests, current, new_facts, lambda f: f.manifest)))
        resolver = Resolver(paths_by_language, load, cache=options.resolve_cache, digest_of=hashes.get,
                            packages=packages, manifests=manifests)
        roots = {lang: list(m.roots) for lang, m in resolver.modules.items()}
        full_resolve = full or state.get_meta("roots") != roots or old_manifests != manifests

        if full_resolve:
            to_resolve = sorted(current)
        else:
            old_interfaces = state.interfaces()
            moved = set(deleted) | {p for p in changed if p not in old_hashes} | {
                p for p in changed if p in old_hashes and old_interfaces.get(p) != _interface(new_facts[p])}
            # a file that comes, goes or changes its package changes what a lookup in that
            # package (a Java package, a Go directory) finds
            arrived = set(deleted) | {p for p in changed if p not in old_hashes or
                                      old_packages.get(p) != packages.get(p)}
            moved |= {PACKAGE_PROBE + key for p in arrived
                      for key in (old_packages.get(p), packages.get(p), p.rpartition("/")[0]) if key is not None}
            # and what it defines at module level changes which definition a name links to (C)
            relinked = {p for p in moved if p in current or p in deleted}
            moved |= {LINKAGE_PROBE + name for p in relinked for name in _module_names(new_facts.get(p))}
            moved |= {LINKAGE_PROBE + name for p in relinked if p in old_hashes
                      for name in _module_names(_stored_facts(state, p))}
            dependents = ({p for p, touched in state.touched() if p in current and moved.intersection(touched)}
                          if moved else set())
            to_resolve = sorted(set(changed) | dependents)
        report.resolved = len(to_resolve)

        graphs: dict[str, FileGraph] = {}
        statuses: dict[str, tuple[FileStatus, str | None]] = {}
        for n, path in enumerate(to_resolve, 1):
            if path in new_facts:
                facts = new_facts[path]
                status = _file_status(facts, notes.get(path), skips.get(path))
            else:
                record = state.record(path)
                assert record is not None
                status = (record.status, record.error)
                facts = load(path)
            statuses[path] = status
            if facts is None:
                wf = current[path]
                graphs[path] = FileGraph(path, [Node(path, NodeKind.FILE, path.rsplit("/", 1)[-1], path,
                                                     language=wf.language, status=status[0], error=status[1])],
                                         [], [], set())
            else:
                graphs[path] = resolver.resolve_file(path, status[0], status[1])
            if progress and (n % 200 == 0 or n == len(to_resolve)):
                progress("resolve", n, len(to_resolve))

        clock.lap("resolve")
        report.skipped, report.partial = problem_lists(
            (path, file_status, error) for path, (file_status, error) in sorted(statuses.items()))

        generation_before = int(state.get_meta("generation", 0))
        generation = generation_before + 1
        dir_nodes, dir_edges = _directories(sorted(current))
        repo_node = Node(REPOSITORY_ID, NodeKind.REPOSITORY, root.name, ".")

        if progress:
            progress("store", 0, 1)
        records = [_record(graphs[p], hashes[p], new_facts.get(p), wires.get(p), statuses[p],
                           state if p not in new_facts else None) for p in to_resolve]
        if full:
            report.mode = "full"
            symbols = sorted({s.id for g in graphs.values() for s in g.symbols})
            nodes = [repo_node, *dir_nodes, *(n for p in to_resolve for n in graphs[p].nodes),
                     *(_symbol_node(s) for s in symbols)]
            edges = [*dir_edges, *(e for p in to_resolve for e in graphs[p].edges)]
            change = None
        else:
            change = _diff(state, graphs, deleted, dir_nodes, dir_edges)
            if Path(str(state.get_meta("root", root))).name != root.name:
                # the index was copied from another checkout: the repository node takes this name
                change = replace(change, update_nodes=[*change.update_nodes, repo_node])
            if change.empty and not (deleted or changed):
                report.mode = "unchanged"
        delta = GraphDelta({**{p: (graphs[p].nodes, graphs[p].edges) for p in to_resolve}, **dict.fromkeys(deleted)},
                           generation_before, generation, change is None)
        if before_write is not None:
            before_write(delta)
        if store is None:
            store = open_graph_store(config, db_dir)
        try:
            if change is None:
                store.replace_all(nodes, edges)
                store.set_meta("schema_version", str(SCHEMA_VERSION))
            elif not change.empty:
                store.apply(change)
            store.set_meta("generation", str(generation))
            clock.lap("store")
            if store.compact_if_grown():
                report.compacted = True
                clock.lap("compact")
            report.nodes, report.edges = _counts(store)
        finally:
            store.close()
            store = None
        state.write(records, deleted, {
            "schema_version": SCHEMA_VERSION, "generation": generation, "roots": roots,
            "root": str(root), "directories": [n.id for n in dir_nodes],
            "indexed_at": time.time(), "commit": git_commit(root), "stats_at_ns": stats_at_ns,
            "walk": walk_meta, "packages": packages, "manifests": manifests,
        }, stats={f.path: f.stat_key for f in files})
    finally:
        if store is not None:
            store.close()
        state.close()
    clock.lap("count")
    if progress:
        progress("store", 1, 1)
    report.seconds = round(time.perf_counter() - started, 3)
    return report, delta


def _carried(old: Mapping[str, Any], current: Collection[str], new_facts: Mapping[str, FileFacts | None],
             fact: Callable[[FileFacts], Any]) -> dict[str, Any]:
    """A per-file fact the state keeps (path → value, for the files that have one): the old
    values of the files still there, with the changed files' new ones."""
    out = {p: v for p, v in old.items() if p in current and p not in new_facts}
    for path, path_facts in new_facts.items():
        value = fact(path_facts) if path_facts is not None else None
        if value is not None:
            out[path] = value
    return out


def _make_index_dir(db_dir: Path) -> None:
    """Create the index directory, ignoring itself: a ``.gitignore`` of ``*`` inside it (as
    pytest's and mypy's caches do) keeps ``.repolens/`` out of ``git status`` without
    touching the repository's own ignore files."""
    db_dir.mkdir(parents=True, exist_ok=True)
    ignore = db_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by repolens: the index is derived data\n*\n", encoding="utf-8")


class _Clock:
    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(self.laps.get(stage, 0.0) + now - self.last, 3)
        self.last = now


def _inside(path: str, directory: Path) -> bool:
    return path == str(directory) or path.startswith(str(directory) + os.sep)


def _record(graph: FileGraph, digest: str, facts: FileFacts | None, wire: bytes | None,
            status: tuple[FileStatus, str | None], state: IndexState | None) -> FileRecord:
    if state is not None:
        old = state.record(graph.path)
        assert old is not None
        facts_blob, interface, language = old.facts, old.interface, old.language
    else:
        facts_blob = wire
        interface = _interface(facts)
        language = facts.language if facts is not None else graph.nodes[0].language
    return FileRecord(
        graph.path, digest, language, status[0], status[1], interface, facts_blob,
        encode_graph(graph.nodes, graph.edges), marshal.dumps(sorted(s.id for s in graph.symbols)),
        marshal.dumps(sorted(graph.touched)),
    )


def _diff(state: IndexState, graphs: dict[str, FileGraph], deleted: list[str],
          dir_nodes: list[Node], dir_edges: list[Edge]) -> GraphChange:
    old_nodes: dict[str, Node] = {}
    old_edges: dict[tuple[str, str, str], Edge] = {}
    stored: list[str] = []
    for path in [*graphs, *deleted]:
        blob = state.graph(path)
        if blob is None:
            continue
        stored.append(path)
        nodes, edges = decode_graph(blob)
        old_nodes.update((n.id, n) for n in nodes)
        old_edges.update((e.key, e) for e in edges)
    new_nodes = {n.id: n for g in graphs.values() for n in g.nodes}
    new_edges = {e.key: e for g in graphs.values() for e in g.edges}

    # directories and their CONTAINS edges are derived from the file list as a whole
    old_dirs = set(state.get_meta("directories", []))
    new_dirs = {n.id: n for n in dir_nodes}
    for d in old_dirs:
        old_nodes.setdefault(d, Node(d, NodeKind.DIRECTORY, d.rpartition("/")[2], d))
    for d, node in new_dirs.items():
        new_nodes[d] = node
    affected = set(graphs) | set(deleted) | old_dirs | set(new_dirs)
    for e in dir_edges:
        if e.target in affected:
            new_edges[e.key] = e
    for path in [*stored, *old_dirs]:  # a file new in this run has no stored CONTAINS edge yet
        parent = path.rpartition("/")[0] or REPOSITORY_ID
        key = (EdgeKind.CONTAINS.value, parent, path)
        old_edges.setdefault(key, Edge(EdgeKind.CONTAINS, parent, path))

    # symbols are shared: one exists while any file points at it
    touched_paths = set(graphs) | set(deleted)
    old_symbols = {s for _, symbols in state.symbols(touched_paths) for s in symbols}
    fresh = {s.id for g in graphs.values() for s in g.symbols}
    # whether another file still points at a symbol matters only for those that came or went
    keep = ({s for path, symbols in state.symbols() if path not in touched_paths for s in symbols}
            if old_symbols != fresh else set())
    for sid in old_symbols | fresh:
        if sid in keep or sid in fresh:
            new_nodes[sid] = _symbol_node(sid)
        if sid in keep or sid in old_symbols:
            old_nodes[sid] = _symbol_node(sid)

    # a definition that changed label (a function became a class) is replaced, not updated; its
    # kind is part of its file's interface, so every file with an edge to it was re-resolved
    # and all its edges are in new_edges, to be added again
    relabelled = {i for i in set(new_nodes) & set(old_nodes) if new_nodes[i].label != old_nodes[i].label}
    remove_nodes = sorted((set(old_nodes) - set(new_nodes)) | relabelled)
    add_nodes = [new_nodes[i] for i in sorted((set(new_nodes) - set(old_nodes)) | relabelled)]
    update_nodes = [new_nodes[i] for i in sorted(set(new_nodes) & set(old_nodes) - relabelled)
                    if new_nodes[i] != old_nodes[i]]
    gone = set(remove_nodes)
    remove_edges = sorted(k for k, e in old_edges.items()
                          if (k not in new_edges or new_edges[k] != e) and k[1] not in gone and k[2] not in gone)
    add_edges = [new_edges[k] for k in sorted(new_edges)
                 if old_edges.get(k) != new_edges[k] or k[1] in relabelled or k[2] in relabelled]
    return GraphChange(remove_edges=remove_edges, remove_nodes=remove_nodes, update_nodes=update_nodes,
                       add_nodes=add_nodes, add_edges=add_edges)


def _open_state(db_dir: Path, config: StoreConfig,
                rebuild: bool) -> tuple[IndexState, str | None, GraphStore | None]:
    """The index state, emptied (with the reason) when it cannot be trusted, and the graph
    store, left open when it was opened to check that it matches the state (one open less:
    opening the embedded store costs a tenth of a second or more on a large graph)."""
    state_path = db_dir / config.state_name()
    graph_path = db_dir / GRAPH_FILE
    reason: str | None = "rebuild requested" if rebuild else None
    state: IndexState | None = None
    store: GraphStore | None = None
    if reason is None and state_path.exists():
        try:
            state = IndexState(state_path)
            version = state.get_meta("schema_version")
            if version is not None and version != SCHEMA_VERSION:
                reason = (f"the index was built with schema version {version}; this repolens uses "
                          f"version {SCHEMA_VERSION}")
            elif version is not None:
                stored, store = _store_generation(config, db_dir)
                if stored != state.get_meta("generation"):
                    reason = "the graph database does not match the index state (an earlier run was interrupted)"
        except Exception as exc:  # boundary: a damaged state file is rebuilt, not fatal
            reason = f"the index state could not be read ({exc})"
    if reason is not None or state is None:
        if store is not None:
            store.close()
            store = None
        if state is not None:
            state.close()
        if state_path.is_dir():
            shutil.rmtree(state_path)
        else:
            state_path.unlink(missing_ok=True)
        if config.backend == "kuzu":  # a server-side graph is replaced by replace_all instead
            from indexer.store.kuzu_store import remove_database

            remove_database(graph_path)
        state = IndexState(state_path)
    return state, reason, store


def _store_generation(config: StoreConfig, db_dir: Path) -> tuple[int | None, GraphStore | None]:
    """The generation the graph store last recorded (None when it has none) and the store,
    open for writing; (None, None) when the embedded store cannot be opened (it is rebuilt).
    An unreachable server is an error."""
    if config.backend == "kuzu" and not (db_dir / GRAPH_FILE).exists():
        return None, None
    try:
        store = open_graph_store(config, db_dir)
    except StoreError:
        if config.backend != "kuzu":
            raise
        return None, None
    try:
        value = store.get_meta("generation")
    except BaseException:
        store.close()
        raise
    return (int(value) if value is not None else None), store


_EDGE_COUNTS = {
    "CALLS": "MATCH ()-[e:CALLS]->() RETURN count(*) AS n",
    "CONTAINS": "MATCH ()-[e:CONTAINS]->() RETURN count(*) AS n",
    "IMPORTS": "MATCH ()-[e:IMPORTS]->() RETURN count(*) AS n",
    "INHERITS": "MATCH ()-[e:INHERITS]->() RETURN count(*) AS n",
    "REFERENCES": "MATCH ()-[e:REFERENCES]->() RETURN count(*) AS n",
}


def _counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    rows = store.query("MATCH (n) WHERE n.kind IS NOT NULL RETURN n.kind AS kind, count(*) AS n").rows
    nodes = {r[0]: r[1] for r in rows}
    edges: Counter[str] = Counter()
    for kind, cypher in _EDGE_COUNTS.items():
        rows = store.query(cypher).rows
        edges[kind] = int(rows[0][0]) if rows else 0
    return dict(sorted(nodes.items())), dict(sorted(edges.items()))
