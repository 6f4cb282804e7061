"""The repository map and the file schematic: what an agent reads before it reads code.

``repo_map`` lists the files and key symbols of a repository with their signatures, ranked
by graph importance (PageRank over calls, containment, inheritance and imports), personalised
by ``focus`` (a path, a symbol, or free text) when given, and trimmed to a token budget by
dropping the least important entries, never by cutting a line. ``file_schematic`` lists every
class and function of one file with signature, line span and first docstring line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from indexer.model import NodeKind
from queries.retrieval.context import RetrievalContext
from queries.retrieval.mentions import find_mentions

CHARS_PER_TOKEN = 4
"""A conservative estimate for code; the budget is an upper bound, not a target."""


@dataclass(frozen=True, slots=True)
class Symbol:
    id: str
    kind: str
    qualname: str
    signature: str
    start_line: int
    end_line: int
    doc: str


@dataclass(frozen=True, slots=True)
class RepoMap:
    text: str
    files: list[str]
    tokens: int
    truncated: bool
    notes: list[str] = field(default_factory=list)
    """Caveats, e.g. that nothing matched the focus."""


@dataclass(frozen=True, slots=True)
class Schematic:
    path: str
    symbols: list[Symbol]


def _pagerank(ctx: RetrievalContext, personal: np.ndarray, alpha: float = 0.15, iterations: int = 30) -> np.ndarray:
    walk = ctx.adjacency.T.tocsr()
    rank = personal.copy()
    for _ in range(iterations):
        rank = alpha * personal + (1 - alpha) * (walk @ rank)
    return rank


def looks_like_path(focus: str) -> bool:
    """Whether a focus is meant as a path: one word with a ``/`` or ``\\`` in it, or starting
    with ``.``. Text with spaces is words, even with a slash in it ("HTTP/2 retries"), and a
    symbol id (``pkg/core.py::Engine``) is a symbol."""
    text = focus.strip()
    return bool(text) and "::" not in text and not any(c.isspace() for c in text) and (
        "/" in text or "\\" in text or text.startswith("."))


def _focus_vector(ctx: RetrievalContext, focus: str) -> tuple[np.ndarray, bool]:
    """The PageRank personalisation for ``focus``: the nodes it names, everything in a file or
    below a directory it names, else the units its words match (all zeros when nothing
    matches); and whether it named a file or directory."""
    n = len(ctx.meta.ids)
    personal = np.zeros(n)
    for node_id, mention in find_mentions(focus, ctx.table).items():
        i = ctx.index_of.get(node_id)
        if i is not None:
            personal[i] += mention.score
    # a path ("src/pkg/", "src/pkg/core.py") focuses on everything in or below it
    prefix = focus.strip().rstrip("/")
    below = [i for i, path in enumerate(ctx.meta.paths) if prefix and (path == prefix or path.startswith(prefix + "/"))]
    personal[below] += 1.0
    if not personal.any():
        lexical = ctx.lexical.scores(focus)
        top = np.argsort(-lexical, kind="stable")[:50]
        personal[top] = np.clip(lexical[top], 0.0, None)
    return personal, bool(below)


def _focus(ctx: RetrievalContext, focus: str | None) -> tuple[np.ndarray, list[str]]:
    """The personalisation for ``focus`` (uniform without one) and notes on what it matched."""
    uniform = np.ones(len(ctx.meta.ids))
    if not focus:
        return uniform, []
    focused, named_a_path = _focus_vector(ctx, focus)
    quoted = repr(focus if len(focus) <= 80 else focus[:80] + "…")
    if not focused.any():
        return uniform, [f"nothing in the index matches focus {quoted} (no file or directory, symbol or word of "
                         "it), so this is the map of the whole repository"]
    if looks_like_path(focus) and not named_a_path:
        return focused, [f"no indexed file or directory is {quoted}, so the map is centred on what its words match"]
    return focused, []


def repo_map(ctx: RetrievalContext, budget_tokens: int = 1024, focus: str | None = None) -> RepoMap:
    """The most important files and their symbols, within ``budget_tokens``, centred on
    ``focus`` (a path, symbol or words) when given. ``notes`` says when the focus names no
    file or directory, or matches nothing at all (then the map is the whole repository's)."""
    meta = ctx.meta
    n = len(meta.ids)
    personal, notes = _focus(ctx, focus)
    personal = personal / personal.sum()
    rank = _pagerank(ctx, personal)
    file_rank = np.zeros(n)
    np.add.at(file_rank, meta.file_of, rank)
    files = [i for i in np.lexsort((np.arange(n), -file_rank)).tolist() if meta.kinds[i] == NodeKind.FILE]
    members: dict[int, list[int]] = {}
    for i in range(n):
        if meta.kinds[i] != NodeKind.FILE:
            members.setdefault(int(meta.file_of[i]), []).append(i)
    budget = budget_tokens * CHARS_PER_TOKEN
    lines: list[str] = []
    used = 0  # characters, newlines included
    shown: list[str] = []
    truncated = False
    reserve = len("  … 99999 more") + 1
    for f in files:
        header = meta.paths[f]
        if used + len(header) + 1 + reserve > budget:
            truncated = True
            break
        size = len(header) + 1
        ranked = sorted(members.get(f, []), key=lambda i: (-rank[i], meta.starts[i], meta.ids[i]))
        chosen = []
        for i in ranked:
            line = _symbol_line(ctx, i)
            if used + size + len(line) + 1 + reserve > budget:
                truncated = True
                break
            chosen.append(i)
            size += len(line) + 1
        block = [header] + [_symbol_line(ctx, i) for i in sorted(chosen, key=lambda i: (meta.starts[i], meta.ids[i]))]
        if len(chosen) < len(ranked):
            more = f"  … {len(ranked) - len(chosen)} more"
            block.append(more)
            size += len(more) + 1
        lines += block
        used += size
        shown.append(meta.paths[f])
        if truncated:
            break
    if len(shown) < len(files):
        truncated = True
    text = "\n".join(lines)
    return RepoMap(text, shown, (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN, truncated, notes)


def _symbol_line(ctx: RetrievalContext, i: int) -> str:
    meta = ctx.meta
    depth = meta.qualnames[i].count(".")
    signature = meta.signatures[i] or f"{meta.kinds[i].value} {meta.qualnames[i]}"
    return f"{'  ' * (depth + 1)}{signature}  [{meta.starts[i]}-{meta.ends[i]}]"


def file_schematic(ctx: RetrievalContext, path: str) -> Schematic:
    """Every class and function of ``path``; ValueError naming similar paths when it is not an
    indexed file."""
    meta = ctx.meta
    file_index = ctx.index_of.get(path)
    if file_index is None or meta.kinds[file_index] != NodeKind.FILE:
        name = path.rsplit("/", 1)[-1]
        similar = sorted(p for p, k in zip(meta.paths, meta.kinds, strict=True)
                         if k == NodeKind.FILE and p.endswith(name))[:5]
        hint = f"; did you mean: {', '.join(similar)}" if similar else ""
        raise ValueError(f"{path!r} is not an indexed file of this repository{hint}")
    symbols = [Symbol(meta.ids[i], meta.kinds[i].value, meta.qualnames[i], meta.signatures[i], meta.starts[i],
                      meta.ends[i], meta.docs[i])
               for i in range(len(meta.ids)) if meta.paths[i] == path and i != file_index]
    symbols.sort(key=lambda s: (s.start_line, s.id))
    return Schematic(path, symbols)
