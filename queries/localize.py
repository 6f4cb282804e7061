"""Hierarchical localization: given an issue text, where in the repository must the change go?

No language model inside: ranked files, then top-level definitions (modules), then functions
and methods with line spans, each with the evidence that put it there. Signals, each a
ranking of code units:

- ``mention``: what the text names explicitly (stack frames, paths, dotted and bare names),
  resolved against the graph (``queries.retrieval.mentions``);
- ``lexical``: BM25 over unit text with code-aware tokens;
- ``dense``: cosine similarity of embeddings (when available);
- ``graph``: personalised PageRank from the best units of the other signals over calls,
  containment, inheritance and imports.

They are fused by weighted reciprocal rank (robust to their different scales). A file's score
adds its best units to its own; a unit's final score adds a share of its file's, so functions
in the right file rise together. Test files are down-weighted: issues are fixed in the code
under test. Deterministic: ties are broken by id.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.languages import languages_by_extension
from indexer.model import NodeKind
from indexer.search.context import RetrievalContext
from indexer.search.lexical import term_counts
from indexer.search.units import ROLE_WORDS, ROLES, CodeRole
from indexer.walk import language_of
from queries.retrieval.features import Cues, Signals, file_features, issue_cues, unit_features
from queries.retrieval.issue import parse_issue
from queries.retrieval.mentions import find_mentions
from queries.retrieval.ranker import MODEL_FILE, FusionModel, load_model

SIGNALS = ("mention", "lexical", "dense", "graph")
MENTION_FULL = 5.0
"""A mention this strong (a qualified name, a path, a frame) counts as a first-rank hit."""


@dataclass(frozen=True, slots=True)
class LocalizeOptions:
    signals: tuple[str, ...] = SIGNALS
    weights: Mapping[str, float] = field(default_factory=lambda: {
        "mention": 1.5, "lexical": 1.5, "dense": 1.5, "graph": 0.5})
    """Tuned on the localization dev set (bench/localize.py), never on anything else."""
    rrf_k: float = 60.0
    depth: int = 200
    """How many of each signal's best units take part in fusion."""
    file_share: float = 0.5
    """How much of its file's score a unit inherits."""
    languages: tuple[str, ...] = ()
    """Only code of these languages (names of ``indexer.languages``); empty: every language."""
    test_penalty: float = 0.3
    """Test code is scaled by this: issues are fixed in the code under test."""
    vendor_penalty: float = 0.1
    """Third-party code copied into the repository (extern/, vendor/, *.min.js, a nested
    package with its own ``__version__``) is scaled by this: a fix goes into the project's own
    code."""
    docs_penalty: float = 0.3
    """Code under documentation and example folders is scaled by this (set equal to
    ``test_penalty``, not tuned: the same reasoning holds)."""
    ppr_alpha: float = 0.25
    ppr_iterations: int = 20
    seeds: int = 20
    files: int = 10
    modules: int = 10
    functions: int = 10
    fusion: str = "learned"
    """``learned``: the shipped ranking model (``queries.retrieval.ranker``) orders the best
    ``candidates`` units and their files, falling back to ``hand`` (the weighted reciprocal-rank
    fusion above, which also picks the candidates) when there is no usable model."""
    candidates: int = 300
    parts: int = 4
    """The dense signal also matches up to this many parts of a long issue (title, code,
    traceback, output) one by one; a feature of the learned fusion."""
    model: Path | None = None
    """Another ranking model file (None: the shipped one)."""
    keep_features: bool = False
    """Keep the candidates and their features on the result (``Localization.ranking``)."""


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    path: str
    name: str
    """Qualified name (empty for a file)."""
    kind: str
    score: float
    start_line: int
    end_line: int
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ranking:
    units: np.ndarray
    """Positions of the candidate units (definitions), best by the hand-set fusion first."""
    unit_features: np.ndarray
    files: np.ndarray
    """Positions of the candidate files."""
    file_features: np.ndarray


@dataclass(frozen=True, slots=True)
class Localization:
    files: list[Hit]
    modules: list[Hit]
    functions: list[Hit]
    notes: list[str]
    seconds: float
    totals: dict[str, int] = field(default_factory=dict)
    """How many distinct files, modules and functions the ranking holds (a positive score): the
    length of each list if it were not cut."""
    fusion: str = "hand"
    """Which fusion ranked: ``learned`` or ``hand``."""
    ranking: Ranking | None = None
    """The candidates and their features (with ``keep_features``)."""

    @property
    def found_files(self) -> list[str]:
        return [h.path for h in self.files]

    @property
    def found_modules(self) -> list[str]:
        return [f"{h.path}:{h.name}" for h in self.modules]

    @property
    def found_entities(self) -> list[str]:
        return [f"{h.path}:{h.name}" for h in self.functions]


def _ranks(scores: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the ``depth`` best positive scores, best first (ties by position = by id),
    and their ranks (1-based)."""
    candidates = np.flatnonzero(scores > 0)
    if candidates.size == 0:
        return candidates, candidates
    order = np.lexsort((candidates, -scores[candidates]))[:depth]
    top = candidates[order]
    return top, np.arange(1, top.size + 1)


def localize(ctx: RetrievalContext, text: str, options: LocalizeOptions = LocalizeOptions()) -> Localization:
    """Rank files, modules and functions of ``ctx``'s repository for the issue ``text``."""
    started = time.perf_counter()
    meta = ctx.meta
    n = len(meta.ids)
    notes = list(ctx.notes)
    evidence: dict[int, list[str]] = {}
    fused = np.zeros(n)
    signal_scores: dict[str, np.ndarray] = {}

    model: FusionModel | None = None
    if options.fusion == "learned" or options.keep_features:
        model, why_not = load_model(options.model or MODEL_FILE)
        if model is None and options.fusion == "learned" and why_not is not None:
            notes.append(why_not + "; ranked by the hand-set fusion")
    # the issue's parts feed the features only
    issue = parse_issue(text) if model is not None or options.keep_features else None
    mention = np.zeros(n)
    dense_part = np.zeros(n)
    if "mention" in options.signals:
        for node_id, m in find_mentions(text, ctx.table, issue.frames if issue is not None else None).items():
            i = ctx.index_of.get(node_id)
            if i is not None:
                mention[i] = m.score
                evidence.setdefault(i, []).extend(m.evidence)
        signal_scores["mention"] = mention
    if "lexical" in options.signals:
        signal_scores["lexical"] = ctx.lexical.scores(text)
    if "dense" in options.signals and ctx.dense is not None:
        parts = [p.text for p in issue.parts] if issue is not None else []
        parts = sorted(parts, key=len, reverse=True)[:options.parts] if len(parts) > 1 else []
        rows = np.asarray(ctx.dense_scores_many([text, *parts]), dtype=np.float64)
        signal_scores["dense"] = np.clip(rows[0], 0.0, None)
        dense_part = np.clip(rows[1:].max(axis=0), 0.0, None) if parts else signal_scores["dense"]

    if "mention" in signal_scores:
        # explicit names count by strength, not rank: twenty definitions of a common name
        # mentioned in passing must not outrank one qualified name
        signal_scores.pop("mention")
        fused += options.weights.get("mention", 1.0) * np.minimum(mention / MENTION_FULL, 1.0) / (options.rrf_k + 1)
    signal_rank: dict[str, dict[int, int]] = {}
    for name, scores in signal_scores.items():
        top, ranks = _ranks(scores, options.depth)
        fused[top] += options.weights.get(name, 1.0) / (options.rrf_k + ranks)
        signal_rank[name] = dict(zip(top.tolist(), ranks.tolist(), strict=True))

    if "graph" in options.signals and fused.any():
        seeds, _ = _ranks(fused, options.seeds)
        personal = np.zeros(n)
        personal[seeds] = fused[seeds]
        personal /= personal.sum()
        rank = personal.copy()
        walk = ctx.walk
        for _ in range(options.ppr_iterations):
            rank = options.ppr_alpha * personal + (1 - options.ppr_alpha) * (walk @ rank)
        rank[seeds] = 0.0  # a seed's own weight is already counted; keep what spread to others
        top, ranks = _ranks(rank, options.depth)
        fused[top] += options.weights.get("graph", 0.5) / (options.rrf_k + ranks)
        signal_rank["graph"] = dict(zip(top.tolist(), ranks.tolist(), strict=True))

    flags = ctx.flags
    scale = _role_scale(options)[flags.role]
    if options.languages:
        scale = scale * _language_mask(ctx, options.languages)
    fused *= scale

    # files: their own unit plus their best member
    file_score = np.zeros(n)
    np.maximum.at(file_score, meta.file_of, fused)
    file_score += fused * (meta.file_of == np.arange(n))
    # units inherit a share of their file's score
    unit_score = fused + options.file_share * file_score[meta.file_of]
    # modules: a top-level definition is as good as its best member
    module_score = np.zeros(n)
    np.maximum.at(module_score, meta.top_of, unit_score)

    kinds = meta.kinds
    is_file, is_function = flags.file, flags.definition
    is_module = is_function & (meta.top_of == np.arange(n))
    ranking = None
    if issue is not None:
        signals = Signals(mention, signal_scores.get("lexical", np.zeros(n)),
                          _rank_array(signal_rank.get("lexical"), n), signal_scores.get("dense", np.zeros(n)),
                          _rank_array(signal_rank.get("dense"), n), _rank_array(_rank_of(dense_part, options.depth), n),
                          _rank_array(signal_rank.get("graph"), n),
                          _rank_array(_rank_of(ctx.lexical.scores(text, k3=0.0), options.depth)
                                      if "lexical" in options.signals else None, n),
                          fused, unit_score, file_score)
        ranking = _candidates(ctx, issue_cues(issue), signals, is_function, is_file, options.candidates)
        if model is not None and options.fusion == "learned":
            unit_score, file_score = _learned(ctx, model, ranking, unit_score, file_score)
            module_score = np.zeros(n)
            np.maximum.at(module_score, meta.top_of, unit_score)

    file_order, _ = _ranks(np.where(is_file, file_score, 0.0), n)
    file_place = {int(f): place for place, f in enumerate(file_order.tolist(), 1)}
    terms = list(term_counts(text)) if "lexical" in signal_scores else []
    totals: dict[str, int] = {}

    def ranked(i: int) -> list[str]:
        return [f"{label} {signal_rank[name][i]}" for name, label in
                (("lexical", "keyword rank"), ("dense", "semantic rank"), ("graph", "graph rank"))
                if i in signal_rank.get(name, {})]

    def why(i: int, best: int) -> tuple[str, ...]:
        """The evidence for unit ``i``: what named it, the words it shares with the text,
        each signal that ranked it, and (for a file or module) its best unit."""
        out = list(evidence.get(i, ()))
        words = ctx.lexical.matched_terms(terms, i, 5) if terms else []
        if words:
            out.append("words: " + ", ".join(words))
        out += ranked(i)
        if best != i:
            out.append(f"best part: {meta.qualnames[best]}" + (f" ({', '.join(ranked(best))})" if ranked(best) else ""))
        if kinds[i] != NodeKind.FILE and int(meta.file_of[i]) in file_place:
            out.append(f"in the file ranked {file_place[int(meta.file_of[i])]}")
        if scale[i] < 1.0:
            out.append(f"{ROLE_WORDS[ROLES[flags.role[i]]]} code, ranked lower")
        return tuple(dict.fromkeys(out))

    def hits(name: str, scores: np.ndarray, mask: np.ndarray, k: int,
             parts: tuple[np.ndarray, np.ndarray] | None) -> list[Hit]:
        masked = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(masked > 0)
        # overloads and redefinitions share a name: they count, and are listed, once
        totals[name] = int(np.unique(flags.name[candidates]).size)
        top, _ = _ranks(masked, k * 3 + 10)
        out: list[Hit] = []
        seen: set[tuple[str, str]] = set()
        for i in top.tolist():
            key = (meta.paths[i], meta.qualnames[i])
            if key in seen:
                continue
            seen.add(key)
            best = _best_member(i, *parts) if parts is not None else i
            out.append(Hit(meta.ids[i], meta.paths[i], meta.qualnames[i], kinds[i].value, round(float(masked[i]), 6),
                           meta.starts[i], meta.ends[i], why(i, best)))
            if len(out) == k:
                break
        return out

    files = hits("files", file_score, is_file, options.files, (fused, meta.file_of))
    modules = hits("modules", module_score, is_module, options.modules, (unit_score, meta.top_of))
    functions = hits("functions", unit_score, is_function, options.functions, None)
    if not any(totals.values()):
        notes.append(_nothing_matched(text, signal_scores, n))
    fusion = "learned" if model is not None and options.fusion == "learned" else "hand"
    return Localization(files, modules, functions, notes, round(time.perf_counter() - started, 4), totals, fusion,
                        ranking if options.keep_features else None)


def _rank_of(scores: np.ndarray, depth: int) -> dict[int, int]:
    top, ranks = _ranks(scores, depth)
    return dict(zip(top.tolist(), ranks.tolist(), strict=True))


def _rank_array(ranks: Mapping[int, int] | None, n: int) -> np.ndarray:
    out = np.zeros(n)
    if ranks:
        out[list(ranks)] = list(ranks.values())
    return out


FILE_CANDIDATES = 100


def _candidates(ctx: RetrievalContext, cues: Cues, signals: Signals, is_function: np.ndarray, is_file: np.ndarray,
                count: int) -> Ranking:
    """The ``count`` best definitions by the hand-set fusion and the files they are in (with the
    FILE_CANDIDATES best files by it), with their features."""
    units, _ = _ranks(np.where(is_function, signals.unit_score, 0.0), count)
    best_files, _ = _ranks(np.where(is_file, signals.file_score, 0.0), FILE_CANDIDATES)
    files = np.unique(np.concatenate([ctx.meta.file_of[units], best_files])).astype(np.int64)
    features = unit_features(ctx, cues, signals, units)
    return Ranking(units, features, files, file_features(ctx, cues, signals, files, units, features))


def _learned(ctx: RetrievalContext, model: FusionModel, ranking: Ranking, unit_score: np.ndarray,
             file_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit and file scores from the model: candidates by its probability, every other unit
    or file below them in the hand-set order (so totals stay what the signals found)."""
    paths = ctx.meta.paths
    logits = model.score(ranking.unit_features, [paths[i] for i in ranking.units.tolist()], ranking.file_features,
                         [paths[i] for i in ranking.files.tolist()])
    out = []
    for rows, logit, hand in ((ranking.units, logits[0], unit_score), (ranking.files, logits[1], file_score)):
        scored = np.zeros_like(hand)
        if rows.size:
            probability = 1.0 / (1.0 + np.exp(-logit))
            floor = float(probability.min()) * 0.5
            scored = np.where(hand > 0, floor * hand / max(float(hand.max()), 1e-12), 0.0)
            scored[rows] = np.maximum(probability, 1e-12)
        out.append(scored)
    return out[0], out[1]


def _role_scale(options: LocalizeOptions) -> np.ndarray:
    """The factor of each role code (``ROLE_CODES``)."""
    factor = {CodeRole.CODE: 1.0, CodeRole.TESTS: options.test_penalty, CodeRole.VENDORED: options.vendor_penalty,
              CodeRole.DOCS: options.docs_penalty, CodeRole.EXAMPLES: options.docs_penalty}
    return np.array([factor[role] for role in ROLES])


def _language_mask(ctx: RetrievalContext, languages: tuple[str, ...]) -> np.ndarray:
    """1 for the units in files of ``languages`` (by name, as the walk found them), else 0."""
    by_name = languages_by_extension()
    wanted = set(languages)
    files = np.unique(ctx.meta.file_of)
    keep = np.zeros(len(ctx.meta.ids))
    for f in files.tolist():
        if language_of(ctx.meta.paths[f].rpartition("/")[2], by_name) in wanted:
            keep[f] = 1.0
    return keep[ctx.meta.file_of]


def _best_member(head: int, scores: np.ndarray, group_of: np.ndarray) -> int:
    """The member of ``head``'s group (a file's units, a top-level definition's members) with
    the highest positive score, ties by position; ``head`` itself when none has one."""
    members = np.flatnonzero((group_of == head) & (np.arange(len(scores)) != head) & (scores > 0))
    if members.size == 0:
        return head
    return int(members[np.lexsort((members, -scores[members]))[0]])


def _nothing_matched(text: str, signal_scores: Mapping[str, np.ndarray], units: int) -> str:
    """What an empty localization searched, and what to try."""
    searched = ["names and paths"] + [{"lexical": "keywords", "dense": "meaning (embeddings)"}[s]
                                      for s in signal_scores if s in ("lexical", "dense")]
    if not text.strip():
        return "the text is empty: give the issue's title and description, error messages or stack traces"
    return (f"nothing in the {units} indexed files, classes and functions matches the text (searched "
            f"{', '.join(searched)}); use the identifiers, error messages or file names of the code you look for")


def options_from(pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> LocalizeOptions:
    """Options from ``key=value`` strings (the bench's ``--opt``): ``signals=mention,lexical``,
    ``w.dense=1.5``, ``file_share=0.3``, ``no=graph`` (drop one signal)."""
    items = dict(pairs)
    base = LocalizeOptions()
    weights = dict(base.weights)
    signals = list(base.signals)
    kwargs: dict[str, object] = {}
    for key, value in items.items():
        if key == "signals":
            signals = [s for s in value.split(",") if s]
        elif key == "no":
            signals = [s for s in signals if s not in value.split(",")]
        elif key.startswith("w."):
            weights[key[2:]] = float(value)
        elif key in ("rrf_k", "file_share", "test_penalty", "vendor_penalty", "docs_penalty", "ppr_alpha"):
            kwargs[key] = float(value)
        elif key in ("depth", "ppr_iterations", "seeds", "files", "modules", "functions", "candidates", "parts"):
            kwargs[key] = int(value)
        elif key == "fusion":
            if value not in ("learned", "hand"):
                raise ValueError(f"fusion is learned or hand, not {value!r}")
            kwargs[key] = value
        elif key == "model":
            kwargs[key] = Path(value)
        else:
            raise ValueError(f"unknown localize option {key!r}")
    unknown = set(signals) - set(SIGNALS)
    if unknown:
        raise ValueError(f"unknown signals {sorted(unknown)}; known: {', '.join(SIGNALS)}")
    return LocalizeOptions(signals=tuple(signals), weights=weights, **kwargs)  # type: ignore[arg-type]
