"""Everything retrieval needs about one indexed repository, kept up to date file by file:
the code units, their containment (file, top-level definition), a unit-to-unit adjacency for
graph propagation, the symbol table for explicit mentions, and the lexical and dense indexes.

Each file's share (its units, the edges that start in it, its symbols) is derived from that
file's share of the graph alone, so a change re-derives only the files whose graph changed
(``RetrievalContext.apply``): it tokenizes and embeds only their units, and the unit arrays,
the adjacency and the indexes are reassembled from the kept shares by vectorised steps. The
result equals a context built from scratch (``RetrievalContext.build``).

Files live in ``<index dir>/retrieval/``: ``context.pkl`` (shares, adjacency), ``symbols.pkl``
(the symbol table, rewritten only when its content changed), the lexical index, the dense index
when there is one, and ``context.json``, written last, which names the graph generation they
match. ``indexer.update`` is what calls this; readers ``load_context``.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from indexer.model import Edge, EdgeKind, Node, NodeKind
from indexer.search import lexical
from indexer.search.mark import CONTEXT_VERSION, RETRIEVAL_DIR, remove_mark, saved_generation, write_atomic, write_mark
from indexer.search.symbols import SymbolTable
from indexer.search.units import (
    ROLE_CODES,
    UNIT_KINDS,
    CodeUnit,
    classify_paths,
    embedded_unit,
    file_units,
    role_reads,
)

log = logging.getLogger(__name__)

CONTEXT_FILE = "context.pkl"
TABLE_FILE = "symbols.pkl"
TABLE_TOKEN_FILE = "symbols.token"
"""The token of the table in ``TABLE_FILE``, written after it: a save whose table has the same
token leaves both as they are."""

EDGE_WEIGHTS: dict[EdgeKind, float] = {
    EdgeKind.CALLS: 1.0,
    EdgeKind.INHERITS: 1.0,
    EdgeKind.REFERENCES: 0.5,
    EdgeKind.CONTAINS: 1.0,
    EdgeKind.IMPORTS: 0.3,
}
"""Edge weights for propagation: a call or a base class ties two units more than a mention
in an annotation or an import does."""

Progress = Callable[[str, int, int], None]
FileGraphs = Mapping[str, tuple[list[Node], list[Edge]] | None]
"""A share of the graph per file (nodes, edges starting in it); None for a file gone."""


@dataclass(slots=True)
class UnitMeta:
    """Unit-aligned arrays (positions follow the units sorted by id)."""

    ids: list[str]
    kinds: list[NodeKind]
    paths: list[str]
    qualnames: list[str]
    starts: list[int]
    ends: list[int]
    signatures: list[str]
    docs: list[str]
    file_of: np.ndarray
    """Position of each unit's file unit."""
    top_of: np.ndarray
    """Position of each unit's top-level definition (a module in the bench's terms); a file
    unit is its own."""


class UnitRow(NamedTuple):
    """What the context keeps of one unit (its text only as a digest). A named tuple: tens of
    thousands of them are pickled with the context, and tuples pickle ten times faster than
    dataclasses with slots."""

    id: str
    kind: NodeKind
    path: str
    qualname: str
    start: int
    end: int
    signature: str
    doc: str
    digest: str
    top: str
    """Id of its top-level definition in the file (its own id for a file or a top-level one)."""


class FileShare(NamedTuple):
    """One file's part of the context: its units, and the edges starting in it that may join
    two units (as interned ids, with their weights)."""

    rows: list[UnitRow]
    sources: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    names: str
    """``SymbolTable.file_key`` of the file: the table changes only where it does."""


@dataclass(frozen=True, slots=True)
class SearchStats:
    """What bringing the search indexes up to date did and cost."""

    mode: str
    """``full`` (built from every file), ``incremental`` or ``unchanged``."""
    files: int
    """Files whose share was re-derived."""
    units: int
    units_changed: int
    """Units added, removed or whose text changed."""
    embedded: int
    """Texts that went through the embedding model (the others came from the index or cache)."""
    dense: bool
    seconds: dict[str, float]
    """Per part: units, lexical, dense, graph (adjacency and symbols), save."""


class UnitFlags(NamedTuple):
    """Per-unit boolean arrays that every query needs, computed once per context."""

    file: np.ndarray
    """The unit is a file summary."""
    definition: np.ndarray
    """The unit is a class, function or method."""
    name: np.ndarray
    """A number per (path, qualified name): overloads and redefinitions share theirs."""
    role: np.ndarray
    """The role of the unit's file (``ROLE_CODES`` of ``classify_paths``'s CodeRole)."""


@dataclass(slots=True)
class RetrievalContext:
    root: Path
    meta: UnitMeta
    adjacency: sp.csr_matrix
    """Row-normalised transition matrix over units."""
    _table: SymbolTable | None
    """The symbol table (``table``); None while one saved is not read yet (``_table_file``)."""
    lexical: lexical.LexicalIndex
    dense: Any = None
    notes: list[str] = field(default_factory=list)
    index_of: dict[str, int] = field(default_factory=dict)
    generation: int = 0
    """The graph generation these indexes match."""
    shares: dict[str, FileShare] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    """Interned unit ids (edge ends) -> number; numbers are never reused within a context."""
    _walk: sp.csr_matrix | None = None
    _dense_at: tuple[int, np.ndarray] | None = None
    _flags: UnitFlags | None = None
    _table_file: tuple[Path, str] | None = None
    """A saved table and its token, read when first used (an update that changes no file's
    names never reads it)."""

    @property
    def table(self) -> SymbolTable:
        if self._table is None:
            assert self._table_file is not None
            self._table = _read_table(*self._table_file)
        return self._table

    @property
    def table_token(self) -> str:
        """The token of the table, without reading a saved one."""
        if self._table is None:
            assert self._table_file is not None
            return self._table_file[1]
        return self._table.token

    def __post_init__(self) -> None:
        if not self.index_of:
            self.index_of = {unit_id: i for i, unit_id in enumerate(self.meta.ids)}

    def dense_scores(self, text: str) -> np.ndarray | None:
        """The cosine of ``text`` with every unit, aligned with ``meta.ids`` (0 for a unit the
        dense index leaves out: test code); None without a dense index."""
        many = self.dense_scores_many([text])
        return None if many is None else many[0]

    def dense_scores_many(self, texts: Sequence[str]) -> np.ndarray | None:
        """``dense_scores`` of each of ``texts`` at once (one row each)."""
        if self.dense is None:
            return None
        out = np.zeros((len(texts), len(self.meta.ids)), dtype=np.float32)
        out[:, self._dense_rows()] = self.dense.scores_many(texts)
        return out

    def _dense_rows(self) -> np.ndarray:
        # where each of the dense index's ids sits in meta.ids, once per dense index
        key = id(self.dense)
        if self._dense_at is None or self._dense_at[0] != key:
            index_of = self.index_of
            rows = np.fromiter((index_of[i] for i in self.dense.ids), dtype=np.int64, count=len(self.dense.ids))
            self._dense_at = (key, rows)
        return self._dense_at[1]

    @property
    def walk(self) -> sp.csr_matrix:
        """The transposed adjacency, for propagation steps (computed once)."""
        if self._walk is None:
            self._walk = self.adjacency.T.tocsr()
        return self._walk

    @property
    def flags(self) -> UnitFlags:
        """What kind of unit each is and the role of its file (computed once per set of files:
        a unit's path is its file's)."""
        if self._flags is None:
            meta = self.meta
            n = len(meta.ids)
            file = np.fromiter((k == NodeKind.FILE for k in meta.kinds), dtype=bool, count=n)
            definition = np.fromiter((k in _DEFINITIONS for k in meta.kinds), dtype=bool, count=n)
            files = np.flatnonzero(file)
            roles = classify_paths(self.root, (meta.paths[i] for i in files.tolist()))
            role = np.zeros(n, dtype=np.int8)
            role[files] = [ROLE_CODES[roles[meta.paths[i]]] for i in files.tolist()]
            role = role[meta.file_of]
            names: dict[tuple[str, str], int] = {}
            pairs = zip(meta.paths, meta.qualnames, strict=True)
            name = np.fromiter((names.setdefault(key, len(names)) for key in pairs), dtype=np.int64, count=n)
            self._flags = UnitFlags(file, definition, name, role)
        return self._flags

    # -- building and updating -------------------------------------------------------------
    @classmethod
    def build(cls, root: Path, files: Iterable[tuple[str, list[Node], list[Edge]]], *, generation: int,
              embedder: Any = None, progress: Progress | None = None) -> tuple[RetrievalContext, SearchStats]:
        """The context of every file's share of the graph; with a dense index when ``embedder``
        (a ``dense.Embedder``) is given."""
        empty = _assemble_meta({})
        context = cls(root, empty, sp.csr_matrix((0, 0)), SymbolTable(), lexical.LexicalIndex.build([]),
                      generation=generation)
        stats = context._update({path: (nodes, edges) for path, nodes, edges in files}, generation, embedder,
                                progress, full=True)
        return context, stats

    def apply(self, changed: FileGraphs, generation: int, *, embedder: Any = None,
              progress: Progress | None = None) -> tuple[RetrievalContext, SearchStats]:
        """A new context with ``changed`` files re-derived (this one is left as it is, so readers
        holding it are not disturbed). ``embedder`` None drops the dense index."""
        shares = dict(self.shares)
        # the table is shared until a file's names change (then copied, in _update)
        new = RetrievalContext(self.root, self.meta, self.adjacency, self._table, self.lexical, self.dense,
                               list(self.notes), self.index_of, generation=self.generation, shares=shares,
                               names=self.names, _walk=self._walk, _flags=self._flags, _table_file=self._table_file)
        stats = new._update(changed, generation, embedder, progress, full=False)
        return new, stats

    def _update(self, changed: FileGraphs, generation: int, embedder: Any, progress: Progress | None,
                full: bool) -> SearchStats:
        clock = _Clock()
        added: list[CodeUnit] = []
        removed: dict[str, tuple[str, NodeKind]] = {}
        old_shares: dict[str, FileShare] = {}
        renamed: dict[str, tuple[list[Node], list[Edge]] | None] = {}
        for path in sorted(changed):
            old = self.shares.pop(path, None)
            if old is not None:
                old_shares[path] = old
                removed.update((r.id, (r.digest, r.kind)) for r in old.rows)
            graph = changed[path]
            if graph is None:
                renamed[path] = None
                continue
            nodes, edges = graph
            units = file_units(self.root, path, nodes)
            definitions = [n for n in nodes if n.kind in UNIT_KINDS]
            share = self.shares[path] = self._share(nodes, edges, units, SymbolTable.file_key(path, definitions, edges))
            if full or old is None or old.names != share.names:
                renamed[path] = (definitions, edges)
            added.extend(units)
        if renamed:  # this context's own table from here on (the one it came from is left as it was)
            table = self._table if full and self._table is not None else self.table.copy()
            for path, definitions_edges in renamed.items():
                table.remove_file(path)
                if definitions_edges is not None:
                    table.add_file(path, *definitions_edges)
            if not full:
                table.changed()
            self._table, self._table_file = table, None
        new_ids = {u.id for u in added}
        gone = [r for r in removed if r not in new_ids]
        # units of the changed files whose text and kind are as they were keep their rows
        fresh = [u for u in added if removed.get(u.id) != (u.digest, u.kind)]
        changed_units = len(gone) + len(fresh)
        clock.lap("units")
        ids_before = self.meta.ids
        if full:
            self.meta = _assemble_meta(self.shares)
            self.index_of = {unit_id: i for i, unit_id in enumerate(self.meta.ids)}
        else:
            rows = [r for path in sorted(changed) if path in self.shares for r in self.shares[path].rows]
            self.meta, self.index_of = _patch_meta(self.meta, self.index_of, gone, rows)
        # roles depend on which files there are, and on the content of a few (role_reads)
        same_roles = self.meta.ids is ids_before and not any(map(role_reads, changed))
        self._flags = (_patch_flags(self._flags, self.index_of, rows)
                       if not full and self._flags is not None and same_roles else None)
        if full or self.meta.ids is not ids_before or not _same_edges(old_shares, self.shares, changed):
            self.adjacency = self._adjacency()
            self._walk = None
        clock.lap("graph")
        self.lexical = lexical.LexicalIndex.build(added) if full else self.lexical.replace(gone, fresh)
        clock.lap("lexical")
        embedded = 0
        had_dense = self.dense is not None
        if embedder is None:
            self.dense = None
        else:
            from indexer.search import dense

            report = (lambda done, total: progress("embed", done, total)) if progress else None
            previous = self.dense if isinstance(self.dense, dense.DenseIndex) else None
            if full or previous is None or previous.model_id != embedder.model_id:
                rows = [r for path, share in self.shares.items() if embedded_unit(path) for r in share.rows]
                self.dense, dense_stats = dense.DenseIndex.refresh(
                    previous, [(r.id, r.kind, r.digest) for r in rows],
                    {u.digest: u.text for u in added if embedded_unit(u.path)}, embedder=embedder, progress=report)
            else:
                self.dense, dense_stats = previous.replace(gone, [u for u in fresh if embedded_unit(u.path)],
                                                           embedder=embedder, progress=report)
            embedded = dense_stats.embedded
        clock.lap("dense")
        self.generation = generation
        mode = "full" if full else "incremental" if changed or had_dense != (self.dense is not None) else "unchanged"
        return SearchStats(mode, len(changed), len(self.meta.ids), changed_units, embedded, self.dense is not None,
                           clock.laps)

    def _share(self, nodes: list[Node], edges: list[Edge], units: list[CodeUnit], table_key: str) -> FileShare:
        parent = {e.target: e.source for e in edges if e.kind == EdgeKind.CONTAINS}
        by_id = {n.id: n for n in nodes}
        own = {u.id for u in units}
        rows: list[UnitRow] = []
        for u in units:
            node = by_id[u.id]
            top = u.id
            if u.kind != NodeKind.FILE:
                while parent.get(top) in own and parent[top] != u.path:
                    top = parent[top]
            rows.append(UnitRow(u.id, u.kind, u.path, u.qualname, u.start_line, u.end_line, node.signature or "",
                                node.doc or "", u.digest, top))
        linked = [(e.source, e.target, EDGE_WEIGHTS.get(e.kind, 0.0)) for e in edges
                  if e.source != e.target and EDGE_WEIGHTS.get(e.kind, 0.0) > 0
                  and not e.target.startswith(("extern::", "unresolved::"))]
        names = self.names
        sources = np.asarray([names.setdefault(s, len(names)) for s, _, _ in linked], dtype=np.int64)
        targets = np.asarray([names.setdefault(t, len(names)) for _, t, _ in linked], dtype=np.int64)
        return FileShare(rows, sources, targets, np.asarray([w for _, _, w in linked], dtype=np.float64), table_key)

    def _adjacency(self) -> sp.csr_matrix:
        """The row-normalised, symmetric transition matrix over the units, from every share's
        edges whose both ends are units."""
        n = len(self.meta.ids)
        position = np.full(len(self.names), -1, dtype=np.int64)
        for unit_id, i in self.index_of.items():
            number = self.names.get(unit_id)
            if number is not None:
                position[number] = i
        # in path order, so that duplicate edges are summed in the same order however the
        # shares were arrived at: an updated context equals a fresh one to the last bit
        shares = [self.shares[path] for path in sorted(self.shares)]
        sources = position[np.concatenate([s.sources for s in shares])] if shares else np.zeros(0, np.int64)
        targets = position[np.concatenate([s.targets for s in shares])] if shares else np.zeros(0, np.int64)
        weights = np.concatenate([s.weights for s in shares]) if shares else np.zeros(0)
        keep = (sources >= 0) & (targets >= 0) & (sources != targets)
        sources, targets, weights = sources[keep], targets[keep], weights[keep]
        matrix = sp.csr_matrix((np.concatenate([weights, weights]),
                                (np.concatenate([sources, targets]), np.concatenate([targets, sources]))),
                               shape=(n, n))
        matrix.sum_duplicates()
        degree = np.asarray(matrix.sum(axis=1)).ravel()
        degree[degree == 0] = 1.0
        return (sp.diags(1.0 / degree) @ matrix).tocsr()

    # -- persisting ------------------------------------------------------------------------
    def save(self, index_dir: Path, costs: Mapping[str, Any] | None = None) -> float:
        """Write the context into ``<index_dir>/retrieval``, the mark (with ``costs``, what the
        update that made it cost) last; seconds taken."""
        started = time.perf_counter()
        directory = index_dir / RETRIEVAL_DIR
        directory.mkdir(parents=True, exist_ok=True)
        remove_mark(index_dir)
        # rows as plain tuples and kinds as strings: pickle handles those in C, while each named
        # tuple or enum member would cost a Python call (tens of thousands of them)
        shares = {path: ([(*row[:1], row.kind.value, *row[2:]) for row in share.rows], share.sources,
                         share.targets, share.weights, share.names) for path, share in self.shares.items()}
        write_atomic(directory / CONTEXT_FILE, pickle.dumps({
            "version": CONTEXT_VERSION, "adjacency": self.adjacency, "shares": shares,
            "names": self.names}, protocol=pickle.HIGHEST_PROTOCOL))
        # the symbol table is the slowest part to write, and most edits leave it as it was
        if _saved_token(directory) != self.table_token:
            (directory / TABLE_TOKEN_FILE).unlink(missing_ok=True)
            write_atomic(directory / TABLE_FILE, pickle.dumps(self.table, protocol=pickle.HIGHEST_PROTOCOL))
            write_atomic(directory / TABLE_TOKEN_FILE, self.table.token.encode())
        self.lexical.save(directory)
        if self.dense is not None:
            self.dense.save(directory)
        seconds = round(time.perf_counter() - started, 3)
        self.mark(index_dir, {**(costs or {}), "save": seconds})
        return seconds

    def mark(self, index_dir: Path, costs: Mapping[str, Any] | None = None) -> None:
        """Record that the saved context matches ``self.generation``, and what making it cost."""
        write_mark(index_dir, self.generation, len(self.meta.ids),
                   self.dense.model_id if self.dense is not None else None, costs)


def load_context(root: Path, index_dir: Path, *, dense: bool = True, lazy_table: bool = False) -> RetrievalContext:
    """The saved context; FileNotFoundError when there is none of this version (run
    ``repolens index``). With ``lazy_table`` the symbol table is read when first used (an
    update that changes no file's names never reads it)."""
    directory = index_dir / RETRIEVAL_DIR
    generation = saved_generation(index_dir)
    if generation is None:
        raise FileNotFoundError(f"no retrieval index of this version in {directory}; run `repolens index {root}`")
    with (directory / CONTEXT_FILE).open("rb") as f:
        saved = pickle.load(f)
    if saved.get("version") != CONTEXT_VERSION:
        raise FileNotFoundError(f"the retrieval index in {directory} is from another version; "
                                f"run `repolens index {root}`")
    try:
        lex = lexical.LexicalIndex.load(directory)
    except ValueError as exc:
        raise FileNotFoundError(f"the lexical index in {directory} is unusable ({exc}); "
                                f"run `repolens index {root}`") from exc
    token = _saved_token(directory)
    if token is None:
        raise FileNotFoundError(f"the symbol table in {directory} is missing; run `repolens index {root}`")
    table = None if lazy_table else _read_table(directory / TABLE_FILE, token)
    kinds = {k.value: k for k in NodeKind}
    shares = {path: FileShare([UnitRow(row[0], kinds[row[1]], *row[2:]) for row in rows], sources, targets, weights,
                              names)
              for path, (rows, sources, targets, weights, names) in saved["shares"].items()}
    context = RetrievalContext(root, _assemble_meta(shares), saved["adjacency"], table, lex,
                               generation=generation, shares=shares, names=saved["names"],
                               _table_file=(directory / TABLE_FILE, token))
    if lex.ids != context.meta.ids:
        raise FileNotFoundError(f"the retrieval index in {directory} is inconsistent; run `repolens index {root}`")
    if dense:
        attach_dense(context, index_dir)
    return context


def _read_table(path: Path, token: str) -> SymbolTable:
    """The symbol table saved at ``path``; FileNotFoundError unless it is the one of ``token``
    (written since, or damaged)."""
    try:
        with path.open("rb") as f:
            table = pickle.load(f)
    except (FileNotFoundError, EOFError, pickle.UnpicklingError) as exc:
        raise FileNotFoundError(f"the symbol table {path} is missing or damaged; run `repolens index`") from exc
    if not isinstance(table, SymbolTable) or table.token != token:
        raise FileNotFoundError(f"the symbol table {path} was written again since its index was opened; "
                                "open the index again")
    return table


def _saved_token(directory: Path) -> str | None:
    try:
        return (directory / TABLE_TOKEN_FILE).read_text(encoding="ascii")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def attach_dense(context: RetrievalContext, index_dir: Path) -> None:
    """Load the saved dense index into ``context``, or say in its notes why there is none."""
    from indexer.search import dense

    ok, why = dense.dense_available()
    if not ok:
        context.notes.append(f"semantic search unavailable ({why}); using lexical, name and graph signals")
        return
    try:
        found = dense.DenseIndex.load(index_dir / RETRIEVAL_DIR)
    except (dense.DenseIndexError, dense.DenseUnavailable, FileNotFoundError) as exc:
        context.notes.append(f"semantic index not ready ({exc}); using lexical, name and graph signals")
        return
    embedded = {path: embedded_unit(path) for path in context.shares}
    if found.ids != [i for i, path in zip(context.meta.ids, context.meta.paths, strict=True) if embedded[path]]:
        context.notes.append("semantic index is out of date; using lexical, name and graph signals")
        return
    context.dense = found


_DEFINITIONS = frozenset({NodeKind.FUNCTION, NodeKind.METHOD, NodeKind.CLASS})


def _same_edges(old: Mapping[str, FileShare], new: Mapping[str, FileShare], paths: Iterable[str]) -> bool:
    """Whether the files ``paths`` have the same unit edges in ``new`` as in ``old``."""
    for path in paths:
        a, b = old.get(path), new.get(path)
        if a is None or b is None:
            if a is not b:
                return False
            continue
        if not (np.array_equal(a.sources, b.sources) and np.array_equal(a.targets, b.targets)
                and np.array_equal(a.weights, b.weights)):
            return False
    return True


def _patch_flags(flags: UnitFlags, index_of: Mapping[str, int], rows: list[UnitRow]) -> UnitFlags:
    """``flags`` with ``rows`` (units that kept their ids and so their positions, paths and
    names) brought up to date: only a unit's kind can have changed."""
    file, definition = flags.file.copy(), flags.definition.copy()
    for r in rows:
        i = index_of[r.id]
        file[i], definition[i] = r.kind == NodeKind.FILE, r.kind in _DEFINITIONS
    return flags._replace(file=file, definition=definition)


def _patch_meta(meta: UnitMeta, index_of: dict[str, int], gone: Iterable[str],
                rows: list[UnitRow]) -> tuple[UnitMeta, dict[str, int]]:
    """``meta`` (with its ``index_of``) without the units ``gone`` and with ``rows`` added or
    replacing the units of their ids: what ``_assemble_meta`` gives for the new shares, by
    deleting and inserting positions rather than sorting every unit again. When no unit comes
    or goes the ids (and ``index_of``) are the very same objects, so positions are unchanged."""
    fresh = sorted((r for r in rows if r.id not in index_of), key=itemgetter(0))
    drop = np.asarray(sorted(index_of[i] for i in gone), dtype=np.int64)
    columns: list[list[Any]] = [meta.ids, meta.kinds, meta.paths, meta.qualnames, meta.starts, meta.ends,
                                meta.signatures, meta.docs]
    position: dict[str, int]
    if not fresh and not drop.size:
        ids, *rest = columns
        rest = [list(c) for c in rest]
        position = index_of
        for r in rows:
            i = index_of[r.id]
            for column, value in zip(rest, r[1:8], strict=True):
                column[i] = value
        file_of, top_of = meta.file_of.copy(), meta.top_of.copy()
        columns = [ids, *rest]
    else:
        kept = np.delete(np.arange(len(meta.ids), dtype=np.int64), drop)
        kept_ids = np.asarray(meta.ids, dtype=object)[kept]
        at = np.searchsorted(kept_ids, np.asarray([r.id for r in fresh], dtype=object)) if fresh else kept[:0]
        columns = [np.insert(np.asarray(column, dtype=object)[kept], at,
                             np.asarray([r[c] for r in fresh], dtype=object)).tolist()
                   for c, column in enumerate(columns)]
        position = {unit_id: i for i, unit_id in enumerate(columns[0])}
        # a kept unit moves right by the number of new units placed before it
        moved = np.full(len(meta.ids), -1, dtype=np.int64)
        moved[kept] = np.arange(kept.size) + np.searchsorted(at, np.arange(kept.size), side="right")
        file_of = np.zeros(len(columns[0]), dtype=np.int64)
        top_of = np.zeros(len(columns[0]), dtype=np.int64)
        file_of[moved[kept]] = moved[meta.file_of[kept]]
        top_of[moved[kept]] = moved[meta.top_of[kept]]
        for r in rows:
            i = position[r.id]
            for column, value in zip(columns[1:], r[1:8], strict=True):
                column[i] = value
    for r in rows:
        i = position[r.id]
        file_of[i] = position.get(r.path, i)
        top_of[i] = position.get(r.top, i)
    ids, kinds, paths, qualnames, starts, ends, signatures, docs = columns
    return UnitMeta(ids, kinds, paths, qualnames, starts, ends, signatures, docs, file_of, top_of), position


def _assemble_meta(shares: Mapping[str, FileShare]) -> UnitMeta:
    # zip(*rows) turns rows into columns in C
    rows = sorted((r for share in shares.values() for r in share.rows), key=itemgetter(0))
    if not rows:
        return UnitMeta([], [], [], [], [], [], [], [], np.zeros(0, np.int64), np.zeros(0, np.int64))
    ids, kinds, paths, qualnames, starts, ends, signatures, docs, _, tops = map(list, zip(*rows, strict=True))
    position = {unit_id: i for i, unit_id in enumerate(ids)}
    get = position.get
    file_of = np.fromiter((get(p, i) for i, p in enumerate(paths)), dtype=np.int64, count=len(ids))
    top_of = np.fromiter((get(t, i) for i, t in enumerate(tops)), dtype=np.int64, count=len(ids))
    return UnitMeta(ids, kinds, paths, qualnames, starts, ends, signatures, docs, file_of, top_of)


class _Clock:
    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(self.laps.get(stage, 0.0) + now - self.last, 3)
        self.last = now
