"""Per-candidate features for ranking units and files: each signal's score and rank, the
evidence that separates siblings inside one file, and what a unit is.

``localize`` computes its signals over every unit, keeps the best candidates of its hand-set
fusion, and describes each by ``UNIT_FEATURES`` (and each candidate file by ``FILE_FEATURES``);
a ranking model (``queries.retrieval.ranker``) scores them. The bench dumps the same features
to train that model, so what is learned is what runs.

Evidence used beyond the four signals, all language-agnostic:

- where the issue's identifiers occur: a unit's own name, its class's name, ``Class.method``
  written out, names of stack frames, and the share of the issue's rarer code identifiers
  (weighted by idf) that the unit's text holds, not only its name;
- literals the issue quotes (error messages, quoted strings, expected output lines) found in a
  unit's source: the function that produces what the issue shows;
- the unit's rank among its file's units by its own signals (a second stage inside the file)
  and its file's rank;
- what it is: class, method, function or file summary; its size; test, vendored or
  documentation code.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from indexer.model import NodeKind
from indexer.search.context import RetrievalContext
from indexer.search.lexical import tokenize
from indexer.search.units import ROLE_CODES, CodeRole, source_lines
from queries.retrieval.issue import Issue, PartKind

UNIT_FEATURES = (
    "hand_score", "hand_own", "mention", "lexical_rank", "lexical_score", "dense_rank", "dense_cosine",
    "dense_part_rank", "graph_rank", "file_rank", "rank_in_file", "test", "vendored", "docs", "class", "method",
    "file", "log_lines", "name_in_text", "name_in_code", "qualified_in_text", "owner_in_text", "in_frame",
    "identifier_cover", "literal", "name_in_title", "near_mention", "lexical_once_rank",
)
FILE_FEATURES = (
    "hand_score", "own", "mention", "best_lexical_rank", "best_dense_cosine", "best_graph_rank", "best_mention",
    "log_candidates", "test", "vendored", "docs", "stem_in_text", "in_frame", "best_literal", "best_cover",
    "package_entry", "depth", "stem_in_title",
)
PACKAGE_ENTRIES = frozenset({"__init__.py", "index.js", "index.ts", "index.tsx", "index.mjs", "mod.rs", "lib.rs",
                             "package-info.java", "doc.go"})
"""Files that stand for their folder: an issue naming the package (often the project itself)
names them in passing."""
NEAR_MENTION = 3.0
"""A mention at least this strong (a bare identifier in code, or better) makes its unit's
neighbours in the graph ``near_mention``."""
MAX_LITERALS = 20
MAX_LITERAL_FILES = 30
"""Literals are looked for in the units of the best files only (their source is read)."""
READ_LIMIT = 1 << 21

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_QUOTED = re.compile(r"""(?P<q>["'])(?P<s>[^"'\n]{8,120})(?P=q)""")
_MESSAGE = re.compile(r"^\s*[\w.]*(?:Error|Exception|Warning|panic|error)\b[:!]\s*(?P<s>.{8,160})$", re.M)
_BACKTICK = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True, slots=True)
class Cues:
    """What an issue says that features look for, computed once per query."""

    names: frozenset[str]
    """Identifiers anywhere in the text."""
    title_names: frozenset[str]
    """Identifiers in the title (the first line)."""
    code_names: frozenset[str]
    """Identifiers in code, traceback and output parts and in backticks."""
    qualified: frozenset[str]
    """``Owner.member`` pairs written out (last two parts of dotted names)."""
    frames: frozenset[tuple[str, str]]
    """(file name, function's last name) of each stack frame."""
    code_terms: tuple[str, ...]
    """Search terms of the code identifiers (for ``identifier_cover``)."""
    literals: tuple[str, ...]
    """Quoted strings, error messages and output lines, lower-cased."""


def issue_cues(issue: Issue) -> Cues:
    text = issue.text
    code_parts = issue.of(PartKind.CODE, PartKind.TRACEBACK, PartKind.OUTPUT) + _BACKTICK.findall(text)
    code_text = "\n".join(code_parts)
    code_names = frozenset(n for n in _IDENT.findall(code_text) if len(n) >= 3)
    qualified = frozenset(".".join(d.split(".")[-2:]) for d in _DOTTED.findall(text))
    frames = frozenset((f.path.replace("\\", "/").rsplit("/", 1)[-1], f.function.rsplit(".", 1)[-1])
                       for f in issue.frames if f.function)
    literals: list[str] = []
    for m in _QUOTED.finditer(text):
        literals.append(m.group("s"))
    for m in _MESSAGE.finditer(text):
        literals.append(m.group("s"))
    for part in issue.of(PartKind.OUTPUT):
        literals.extend(line.strip() for line in part.splitlines() if 12 <= len(line.strip()) <= 160)
    cleaned = [lit.strip().lower() for lit in literals if sum(c.isalpha() for c in lit) >= 6]
    title = issue.of(PartKind.TITLE)
    return Cues(frozenset(_IDENT.findall(text)), frozenset(_IDENT.findall(title[0] if title else "")),
                code_names, qualified, frames,
                tuple(dict.fromkeys(tokenize(" ".join(sorted(code_names))))),
                tuple(dict.fromkeys(cleaned))[:MAX_LITERALS])


@dataclass(slots=True)
class Signals:
    """Per-unit arrays (aligned with ``meta.ids``) of one query."""

    mention: np.ndarray
    lexical: np.ndarray
    lexical_rank: np.ndarray
    """1-based rank among the lexical signal's best (0: not among them); likewise below."""
    dense: np.ndarray
    dense_rank: np.ndarray
    dense_part_rank: np.ndarray
    """Rank by the best cosine of any part of the issue (title, code, traceback, ...)."""
    graph_rank: np.ndarray
    lexical_once_rank: np.ndarray
    """Rank by BM25 counting each query term once (a long issue repeating a word weighs it once)."""
    fused: np.ndarray
    """The hand-set fusion of the unit's own signals (role factor applied)."""
    unit_score: np.ndarray
    file_score: np.ndarray


def _recip(rank: np.ndarray, scale: float = 10.0) -> np.ndarray:
    """A rank as a feature in [0, 1]: 1 for the first, falling slowly; 0 when absent."""
    return np.where(rank > 0, scale / (scale + rank - 1), 0.0)


def unit_features(ctx: RetrievalContext, cues: Cues, signals: Signals, units: np.ndarray) -> np.ndarray:
    """The ``UNIT_FEATURES`` of ``units`` (positions), one row each."""
    meta, flags = ctx.meta, ctx.flags
    n_rows = units.size
    out = np.zeros((n_rows, len(UNIT_FEATURES)))
    if n_rows == 0:
        return out
    col = {name: i for i, name in enumerate(UNIT_FEATURES)}
    top_unit = max(float(signals.unit_score.max()), 1e-12)
    out[:, col["hand_score"]] = signals.unit_score[units] / top_unit
    out[:, col["hand_own"]] = signals.fused[units] / max(float(signals.fused.max()), 1e-12)
    out[:, col["mention"]] = np.minimum(signals.mention[units] / 5.0, 1.0)
    out[:, col["lexical_rank"]] = _recip(signals.lexical_rank[units])
    out[:, col["lexical_score"]] = signals.lexical[units] / max(float(signals.lexical.max()), 1e-12)
    out[:, col["dense_rank"]] = _recip(signals.dense_rank[units])
    best_cos = float(signals.dense.max()) if signals.dense.size else 0.0
    out[:, col["dense_cosine"]] = np.where(signals.dense[units] > 0, signals.dense[units] - best_cos + 1.0, 0.0)
    out[:, col["dense_part_rank"]] = _recip(signals.dense_part_rank[units])
    out[:, col["graph_rank"]] = _recip(signals.graph_rank[units])
    out[:, col["lexical_once_rank"]] = _recip(signals.lexical_once_rank[units])
    # the file's rank, and the unit's rank among the candidates of its file
    files = meta.file_of[units]
    file_order = np.unique(files)
    file_rank = {int(f): r for r, f in enumerate(file_order[np.argsort(-signals.file_score[file_order],
                                                                       kind="stable")].tolist(), 1)}
    out[:, col["file_rank"]] = [10.0 / (9.0 + file_rank[int(f)]) for f in files.tolist()]
    own = signals.fused[units]
    order = np.lexsort((units, -own, files))
    rank_in_file = np.zeros(n_rows)
    previous, place = -1, 0
    for i in order.tolist():
        place = place + 1 if files[i] == previous else 1
        previous = int(files[i])
        rank_in_file[i] = place
    out[:, col["rank_in_file"]] = _recip(rank_in_file, 3.0)
    role = flags.role[units]
    out[:, col["test"]] = role == ROLE_CODES[CodeRole.TESTS]
    out[:, col["vendored"]] = role == ROLE_CODES[CodeRole.VENDORED]
    out[:, col["docs"]] = (role == ROLE_CODES[CodeRole.DOCS]) | (role == ROLE_CODES[CodeRole.EXAMPLES])
    kinds = [meta.kinds[i] for i in units.tolist()]
    out[:, col["class"]] = [k == NodeKind.CLASS for k in kinds]
    out[:, col["method"]] = [k == NodeKind.METHOD for k in kinds]
    out[:, col["file"]] = [k == NodeKind.FILE for k in kinds]
    out[:, col["log_lines"]] = [math.log1p(max(meta.ends[i] - meta.starts[i] + 1, 1)) / 8.0 for i in units.tolist()]
    for row, i in enumerate(units.tolist()):
        qualname = meta.qualnames[i]
        if not qualname:
            continue
        parts = qualname.split(".")
        name = parts[-1]
        out[row, col["name_in_text"]] = name in cues.names
        out[row, col["name_in_code"]] = name in cues.code_names
        out[row, col["qualified_in_text"]] = len(parts) > 1 and ".".join(parts[-2:]) in cues.qualified
        out[row, col["owner_in_text"]] = len(parts) > 1 and parts[-2] in cues.names
        out[row, col["in_frame"]] = (meta.paths[i].rsplit("/", 1)[-1], name) in cues.frames
        out[row, col["name_in_title"]] = name in cues.title_names
    mentioned = np.flatnonzero(signals.mention >= NEAR_MENTION)
    if mentioned.size:
        # a call, base class or import away from a unit the issue names, either way
        block = ctx.adjacency[units][:, mentioned]
        near = np.asarray(block.getnnz(axis=1)).ravel() > 0
        back = np.asarray(ctx.walk[units][:, mentioned].getnnz(axis=1)).ravel() > 0
        out[:, col["near_mention"]] = near | back
    if cues.code_terms:
        present, idf = ctx.lexical.term_presence(cues.code_terms, units)
        if idf.size:
            out[:, col["identifier_cover"]] = (present * idf).sum(axis=1) / idf.sum()
    if cues.literals:
        out[:, col["literal"]] = _literal_hits(ctx, cues.literals, units, signals)
    return out


def _literal_hits(ctx: RetrievalContext, literals: tuple[str, ...], units: np.ndarray,
                  signals: Signals) -> np.ndarray:
    """1 for a unit whose source holds one of ``literals`` (in the best files only)."""
    meta = ctx.meta
    files = np.unique(meta.file_of[units])
    best = files[np.argsort(-signals.file_score[files], kind="stable")][:MAX_LITERAL_FILES]
    wanted = set(best.tolist())
    lines_of: dict[int, list[str]] = {}
    hits = np.zeros(units.size)
    for row, i in enumerate(units.tolist()):
        f = int(meta.file_of[i])
        if f not in wanted:
            continue
        if f not in lines_of:
            lines_of[f] = source_lines(ctx.root / meta.paths[f], READ_LIMIT)
        body = "".join(lines_of[f][meta.starts[i] - 1:meta.ends[i]]).lower()
        hits[row] = any(lit in body for lit in literals)
    return hits


def file_features(ctx: RetrievalContext, cues: Cues, signals: Signals, files: np.ndarray, units: np.ndarray,
                  features: np.ndarray) -> np.ndarray:
    """The ``FILE_FEATURES`` of ``files`` (positions of file units), from the candidate
    ``units`` in them and those units' ``features``."""
    meta, flags = ctx.meta, ctx.flags
    out = np.zeros((files.size, len(FILE_FEATURES)))
    if files.size == 0:
        return out
    col = {name: i for i, name in enumerate(FILE_FEATURES)}
    ucol = {name: i for i, name in enumerate(UNIT_FEATURES)}
    out[:, col["hand_score"]] = signals.file_score[files] / max(float(signals.file_score.max()), 1e-12)
    out[:, col["own"]] = signals.fused[files] / max(float(signals.fused.max()), 1e-12)
    out[:, col["mention"]] = np.minimum(signals.mention[files] / 5.0, 1.0)
    where = {int(f): row for row, f in enumerate(files.tolist())}
    rows = np.array([where.get(int(f), -1) for f in meta.file_of[units].tolist()], dtype=np.int64)
    inside = rows >= 0
    for name, unit_name in (("best_lexical_rank", "lexical_rank"), ("best_dense_cosine", "dense_cosine"),
                            ("best_graph_rank", "graph_rank"), ("best_mention", "mention"),
                            ("best_literal", "literal"), ("best_cover", "identifier_cover"),
                            ("in_frame", "in_frame")):
        np.maximum.at(out[:, col[name]], rows[inside], features[inside, ucol[unit_name]])
    counts = np.bincount(rows[inside], minlength=files.size)
    out[:, col["log_candidates"]] = np.log1p(counts) / 5.0
    role = flags.role[files]
    out[:, col["test"]] = role == ROLE_CODES[CodeRole.TESTS]
    out[:, col["vendored"]] = role == ROLE_CODES[CodeRole.VENDORED]
    out[:, col["docs"]] = (role == ROLE_CODES[CodeRole.DOCS]) | (role == ROLE_CODES[CodeRole.EXAMPLES])
    for row, f in enumerate(files.tolist()):
        name = meta.paths[f].rsplit("/", 1)[-1]
        stem = name.rsplit(".", 1)[0]
        entry = name in PACKAGE_ENTRIES
        out[row, col["package_entry"]] = entry
        out[row, col["depth"]] = min(meta.paths[f].count("/"), 8) / 8.0
        out[row, col["stem_in_text"]] = not entry and stem in cues.names
        out[row, col["stem_in_title"]] = not entry and stem in cues.title_names
        out[row, col["in_frame"]] = max(out[row, col["in_frame"]], float(
            any(name == meta.paths[f].rsplit("/", 1)[-1] for name, _ in cues.frames)))
    return out
