"""The repository map and the file schematic: what an agent reads before it reads code.

``repo_map`` lists the files and key symbols of a repository with their signatures, ranked
by graph importance (PageRank over calls, containment, inheritance and imports), personalised
by ``focus`` (a path, a symbol, or free text) when given, and trimmed to a token budget by
dropping the least important entries, never by cutting a line. ``file_schematic`` lists every
class and function of one file with signature, line span and first docstring line.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from indexer.model import NodeKind
from indexer.search.context import RetrievalContext
from indexer.search.units import ROLE_WORDS, ROLES, CodeRole
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
    walk = ctx.walk
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


def _focus_vector(ctx: RetrievalContext, focus: str, inside: np.ndarray) -> tuple[np.ndarray, bool]:
    """The PageRank personalisation for ``focus``: the nodes it names, everything in a file or
    below a directory it names, else the units its words match (all zeros when nothing
    matches); and whether it named a file or directory."""
    n = len(ctx.meta.ids)
    personal = np.zeros(n)
    for node_id, mention in find_mentions(focus, ctx.table).items():
        i = ctx.index_of.get(node_id)
        if i is not None:
            personal[i] += mention.score
    # a path ("src/pkg/", "src/pkg/core.py") focuses on everything in or below it (``inside``)
    personal[inside] += 1.0
    if not personal.any():
        lexical = ctx.lexical.scores(focus)
        top = np.argsort(-lexical, kind="stable")[:50]
        personal[top] = np.clip(lexical[top], 0.0, None)
    return personal, bool(inside.any())


def _inside(paths: list[str], focus: str | None) -> np.ndarray:
    """Which of ``paths`` are the file or lie below the directory that ``focus`` names."""
    prefix = (focus or "").strip().rstrip("/")
    return np.array([bool(prefix) and (p == prefix or p.startswith(prefix + "/")) for p in paths], dtype=bool)


def _focus(ctx: RetrievalContext, focus: str | None, inside: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The personalisation for ``focus`` (uniform without one) and notes on what it matched."""
    uniform = np.ones(len(ctx.meta.ids))
    if not focus:
        return uniform, []
    focused, named_a_path = _focus_vector(ctx, focus, inside)
    quoted = repr(focus if len(focus) <= 80 else focus[:80] + "…")
    if not focused.any():
        return uniform, [f"nothing in the index matches focus {quoted} (no file or directory, symbol or word of "
                         "it), so this is the map of the whole repository"]
    if looks_like_path(focus) and not named_a_path:
        return focused, [f"no indexed file or directory is {quoted}, so the map is centred on what its words match"]
    return focused, []


DEFAULT_ROLES = frozenset({CodeRole.CODE})
"""What a map shows unless asked: the project's own code, not its tests, examples, docs or
vendored copies (which often outnumber it and would fill the budget)."""


def repo_map(ctx: RetrievalContext, budget_tokens: int = 1024, focus: str | None = None,
             roles: frozenset[CodeRole] = DEFAULT_ROLES) -> RepoMap:
    """The most important files and their symbols, within ``budget_tokens``, centred on
    ``focus`` (a path, symbol or words) when given, among files of ``roles`` (see
    classify_paths; a focus path inside a folder of another role maps it anyway). ``notes`` says
    which files were left out by role, and when the focus names no file or directory, or
    matches nothing at all (then the map is the whole repository's)."""
    meta = ctx.meta
    n = len(meta.ids)
    role_of = {path: ROLES[code] for path, code in zip(meta.paths, ctx.flags.role.tolist(), strict=True)}
    inside = _inside(meta.paths, focus)
    # a focus that names a file or directory asks for what is in it, whatever it is
    roles = roles | {role_of[meta.paths[i]] for i in np.flatnonzero(inside).tolist()}
    shown_role = np.array([role_of[p] in roles for p in meta.paths], dtype=bool)
    notes = []
    if not any(shown_role[i] for i in range(n) if meta.kinds[i] == NodeKind.FILE):
        shown_role[:] = True
        notes.append("the repository has no files of the kinds asked for, so the map shows all files")
    personal, focus_notes = _focus(ctx, focus, inside)
    notes += focus_notes
    if not focus:
        personal = personal * shown_role
    personal = personal / personal.sum()
    rank = _pagerank(ctx, personal)
    file_rank = np.zeros(n)
    np.add.at(file_rank, meta.file_of, rank)
    # files inside a focus path come first, then the rest by rank
    files = [i for i in np.lexsort((np.arange(n), -file_rank, ~inside)).tolist()
             if meta.kinds[i] == NodeKind.FILE and shown_role[i]]
    left_out = Counter(role_of[meta.paths[i]] for i in range(n)
                       if meta.kinds[i] == NodeKind.FILE and not shown_role[i])
    if left_out:
        listed = ", ".join(f"{count} {ROLE_WORDS[role]} file{'s' if count > 1 else ''}"
                           for role, count in sorted(left_out.items()))
        notes.append(f"left out {listed}; map them with `include={','.join(sorted(left_out))}`")
    members: dict[int, list[int]] = {}
    for i in range(n):
        if meta.kinds[i] != NodeKind.FILE:
            members.setdefault(int(meta.file_of[i]), []).append(i)
    place = {f: k for k, f in enumerate(files)}
    chosen = _fill(ctx, rank, place, members, budget_tokens * CHARS_PER_TOKEN)
    order = sorted(chosen, key=place.__getitem__)
    lines: list[str] = []
    for f in order:
        lines.append(meta.paths[f])
        picked = [i for i in chosen[f] if i != f]
        lines += [_symbol_line(ctx, i) for i in sorted(picked, key=lambda i: (meta.starts[i], meta.ids[i]))]
        if len(picked) < len(members.get(f, [])):
            lines.append(f"  … {len(members[f]) - len(picked)} more")
    shown = [meta.paths[f] for f in order]
    truncated = len(shown) < len(files) or sum(len(v) for v in chosen.values()) < sum(
        max(len(members.get(f, [])), 1) for f in files)
    text = "\n".join(lines)
    return RepoMap(text, shown, (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN, truncated, notes)


def _fill(ctx: RetrievalContext, rank: np.ndarray, place: dict[int, int], members: dict[int, list[int]],
          budget: int) -> dict[int, list[int]]:
    """The entries that fit ``budget`` characters, best ranked first across all files (a
    file without definitions is its own entry), each file's header and "… N more" line
    counted when its first entry is taken: several files with their key symbols rather than
    one large file in full."""
    meta = ctx.meta
    entries = [i for f in place for i in (members.get(f) or [f])]
    entries.sort(key=lambda i: (-rank[i], place[int(meta.file_of[i])], meta.starts[i] or 0, meta.ids[i]))
    chosen: dict[int, list[int]] = {}
    used = 0
    for i in entries:
        f = int(meta.file_of[i])
        cost = 0 if i == f else len(_symbol_line(ctx, i)) + 1
        if f not in chosen:
            cost += len(meta.paths[f]) + 1 + len("  … 99999 more") + 1
        if used + cost > budget:
            if budget - used < 24:  # no entry is this short
                break
            continue
        chosen.setdefault(f, []).append(i)
        used += cost
    return chosen


MAX_MAP_SIGNATURE = 120
"""Longer signatures are shown with their parameter list shortened (read the symbol for all)."""


def short_signature(signature: str, limit: int = MAX_MAP_SIGNATURE) -> str:
    """``signature`` on one line without the spaces a multi-line parameter list leaves
    (``f( a, b, )`` → ``f(a, b)``), and with its parameters cut at a comma and marked ``…``
    when it is longer than ``limit`` (the return type kept)."""
    text = re.sub(r"\s+", " ", signature).strip()
    text = re.sub(r"([(\[]) ", r"\1", text)
    text = re.sub(r",? ([)\]])", r"\1", text)
    if len(text) <= limit or "(" not in text:
        return text
    head, _, rest = text.partition("(")
    depth, close = 1, len(rest)
    for k, c in enumerate(rest):
        depth += c in "([{"
        depth -= c in ")]}"
        if depth == 0:
            close = k
            break
    params, tail = rest[:close], rest[close:]
    room = max(limit - len(head) - len(tail) - 3, 0)
    cut = params.rfind(",", 0, room)
    return f"{head}({params[:cut] + ', ' if cut > 0 else ''}…{tail}"


def _symbol_line(ctx: RetrievalContext, i: int) -> str:
    meta = ctx.meta
    depth = meta.qualnames[i].count(".")
    signature = short_signature(meta.signatures[i]) or f"{meta.kinds[i].value} {meta.qualnames[i]}"
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
