"""Everything retrieval needs about one indexed repository, built once after the graph and
loaded in a fraction of a second: the code units, their containment (file, top-level
definition), a unit-to-unit adjacency for graph propagation, the symbol table for explicit
mentions, and the lexical and dense indexes.

Files live in ``<index dir>/retrieval/``. The dense index is optional: without torch (or
before embeddings finish) retrieval runs on lexical, mention and graph signals and says so.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from indexer.model import Edge, EdgeKind, Graph, Node, NodeKind
from indexer.search import lexical
from indexer.search.symbols import SymbolTable
from indexer.search.units import CodeUnit, build_units

log = logging.getLogger(__name__)

RETRIEVAL_DIR = "retrieval"
CONTEXT_FILE = "context.pkl"
CONTEXT_VERSION = 2

EDGE_WEIGHTS: dict[EdgeKind, float] = {
    EdgeKind.CALLS: 1.0,
    EdgeKind.INHERITS: 1.0,
    EdgeKind.REFERENCES: 0.5,
    EdgeKind.CONTAINS: 1.0,
    EdgeKind.IMPORTS: 0.3,
}
"""Edge weights for propagation: a call or a base class ties two units more than a mention
in an annotation or an import does."""


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


@dataclass(slots=True)
class RetrievalContext:
    root: Path
    meta: UnitMeta
    adjacency: sp.csr_matrix
    """Row-normalised transition matrix over units."""
    table: SymbolTable
    lexical: lexical.LexicalIndex
    dense: Any = None
    notes: list[str] = field(default_factory=list)
    index_of: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index_of = {unit_id: i for i, unit_id in enumerate(self.meta.ids)}


def _meta_and_adjacency(graph: Graph, units: list[CodeUnit]) -> tuple[UnitMeta, sp.csr_matrix]:
    ids = [u.id for u in units]
    index = {u: i for i, u in enumerate(ids)}
    parent: dict[str, str] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for e in graph.edges:
        if e.kind == EdgeKind.CONTAINS:
            parent[e.target] = e.source
        i, j = index.get(e.source), index.get(e.target)
        if i is None or j is None or i == j:
            continue
        w = EDGE_WEIGHTS.get(e.kind, 0.0)
        rows += [i, j]
        cols += [j, i]
        vals += [w, w]
    n = len(ids)
    matrix = sp.csr_matrix((np.asarray(vals, dtype=np.float64), (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    degree = np.asarray(matrix.sum(axis=1)).ravel()
    degree[degree == 0] = 1.0
    transition = sp.diags(1.0 / degree) @ matrix

    file_of = np.zeros(n, dtype=np.int64)
    top_of = np.zeros(n, dtype=np.int64)
    for i, u in enumerate(units):
        file_of[i] = index.get(u.path, i)
        node, top = u.id, u.id
        while node in parent and parent[node] in index and index[parent[node]] != file_of[i]:
            node = parent[node]
            top = node
        top_of[i] = index.get(top, i)
    nodes = {n.id: n for n in graph.nodes}
    meta = UnitMeta(ids, [u.kind for u in units], [u.path for u in units], [u.qualname for u in units],
                    [u.start_line for u in units], [u.end_line for u in units],
                    [nodes[u.id].signature or "" if u.id in nodes else "" for u in units],
                    [nodes[u.id].doc or "" if u.id in nodes else "" for u in units], file_of, top_of)
    return meta, transition.tocsr()


def build_context(root: Path, index_dir: Path, graph: Graph, *, dense: bool = True,
                  progress: Callable[[str, int, int], None] | None = None) -> RetrievalContext:
    """Build (or refresh, reusing whatever is unchanged) the retrieval files for ``graph``."""
    started = time.perf_counter()
    directory = index_dir / RETRIEVAL_DIR
    directory.mkdir(parents=True, exist_ok=True)
    units = build_units(root, graph)
    meta, adjacency = _meta_and_adjacency(graph, units)
    nodes_by_file: dict[str, list[Node]] = {}
    edges_by_file: dict[str, list[Edge]] = {}
    for node in graph.nodes:
        if node.path and node.kind != NodeKind.DIRECTORY:
            nodes_by_file.setdefault(node.path, []).append(node)
    for edge in graph.edges:
        edges_by_file.setdefault(edge.source.split("::", 1)[0], []).append(edge)
    table = SymbolTable.build((p, nodes_by_file[p], edges_by_file.get(p, [])) for p in sorted(nodes_by_file))
    with (directory / CONTEXT_FILE).open("wb") as out:
        pickle.dump({"version": CONTEXT_VERSION, "meta": meta, "adjacency": adjacency, "table": table}, out,
                    protocol=pickle.HIGHEST_PROTOCOL)
    lex = lexical.load_or_build(directory, units)
    context = RetrievalContext(root, meta, adjacency, table, lex)
    if dense:
        _attach_dense(context, directory, units, progress)
    log.info("retrieval context for %s built in %.2fs", root, time.perf_counter() - started)
    return context


def _attach_dense(context: RetrievalContext, directory: Path, units: list[CodeUnit] | None,
                  progress: Callable[[str, int, int], None] | None) -> None:
    from indexer.search import dense

    ok, why = dense.dense_available()
    if not ok:
        context.notes.append(f"semantic search unavailable ({why}); using lexical, name and graph signals")
        return
    try:
        if units is None:
            context.dense = dense.DenseIndex.load(directory)
        else:
            report = (lambda done, total: progress("embed", done, total)) if progress else None
            context.dense, _ = dense.load_or_build(directory, units, progress=report)
    except (dense.DenseIndexError, dense.DenseUnavailable, FileNotFoundError) as exc:
        context.notes.append(f"semantic index not ready ({exc}); using lexical, name and graph signals")


def load_context(root: Path, index_dir: Path, *, dense: bool = True) -> RetrievalContext:
    """The saved context; FileNotFoundError when ``build_context`` has not run for this index."""
    directory = index_dir / RETRIEVAL_DIR
    path = directory / CONTEXT_FILE
    if not path.exists():
        raise FileNotFoundError(f"no retrieval index in {directory}; run `repolens index {root}`")
    with path.open("rb") as f:
        saved = pickle.load(f)
    if saved.get("version") != CONTEXT_VERSION:
        raise FileNotFoundError(f"the retrieval index in {directory} is from another version; "
                                f"run `repolens index {root}`")
    lex = lexical.LexicalIndex.load(directory)
    context = RetrievalContext(root, saved["meta"], saved["adjacency"], saved["table"], lex)
    if lex.ids != context.meta.ids:
        raise FileNotFoundError(f"the retrieval index in {directory} is inconsistent; run `repolens index {root}`")
    if dense:
        _attach_dense(context, directory, None, None)
        if context.dense is not None and context.dense.ids != context.meta.ids:
            context.dense = None
            context.notes.append("semantic index is out of date; using lexical, name and graph signals")
    return context
