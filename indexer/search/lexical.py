"""Lexical retrieval: a BM25 index over code units with code-aware tokenization.

``tokenize`` turns issue text and source alike into search terms: identifiers are kept whole
and split at ``snake_case`` and ``camelCase`` boundaries, dotted names (``os.path.join``) and
file paths (``requests/models.py``) are kept and split into their parts, everything is
lower-cased, and a short list of English and Python stop words is dropped.

``LexicalIndex.build(units)`` makes the index; ``search`` ranks units for a query and
``scores`` gives every unit's score for fusion with other retrievers. The index is a sparse
matrix of term counts; a query weighs the postings of its own terms (BM25), so
``save``/``load`` keep only counts, ids and the vocabulary. ``load_or_build`` reuses a saved
index while the units it was built from are unchanged (checked by a fingerprint of their ids
and text digests).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import operator
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from indexer.model import NodeKind
from indexer.search.units import UNIT_KINDS, CodeUnit

FORMAT_VERSION = 2
"""Bumped when the saved files or the tokenizer change; an index saved by another version is
rebuilt, never read."""
INDEX_NAME = "lexical"
"""Saved as ``lexical.npz`` (counts) and ``lexical.json`` (ids, vocabulary, parameters)."""

# A word, optionally followed by dotted or slashed continuations: ``join``, ``os.path.join``,
# ``requests/models.py``. A word starts with a letter or underscore, so bare numbers never match.
_TOKEN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[./][A-Za-z_][A-Za-z0-9_]*)*")
# The parts of one identifier piece between underscores: ``HTTPAdapter`` -> HTTP, Adapter;
# ``Float64Index`` -> Float64, Index; digits stay with the letters before them.
_CAMEL_RE = re.compile(r"[A-Z]+[0-9]*(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+")

STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do",
    "does", "for", "from", "had", "has", "have", "he", "her", "his", "how", "i", "ie", "eg", "etc",
    "if", "in", "into", "is", "it", "its", "may", "me", "might", "must", "my", "no", "not", "of",
    "on", "or", "our", "she", "should", "so", "such", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "to", "too", "us", "very", "was", "we",
    "were", "what", "when", "where", "which", "while", "who", "why", "will", "with", "would", "you",
    "your",
    "assert", "async", "await", "break", "class", "cls", "continue", "def", "del", "elif", "else",
    "except", "false", "finally", "global", "import", "lambda", "none", "nonlocal", "pass", "py",
    "raise", "return", "self", "true", "try", "yield",
})
"""Dropped terms: common English words, Python keywords and ``self``/``cls``, and ``py``
(every file name ends with it)."""

_MIN_LENGTH = 2
_CACHE_LIMIT = 1 << 21
_expansions: dict[str, tuple[str, ...]] = {}


def _word_parts(word: str) -> list[str]:
    """The lower-cased pieces of one identifier: snake_case and camelCase split, pure digits
    dropped."""
    parts: list[str] = []
    for piece in word.split("_"):
        if piece:
            parts.extend(p.lower() for p in _CAMEL_RE.findall(piece) if not p.isdigit())
    return parts


def _keep(term: str) -> bool:
    return len(term) >= _MIN_LENGTH and term not in STOP_WORDS


def _expand(raw: str) -> tuple[str, ...]:
    """The terms of one raw token (cached: source repeats the same tokens endlessly)."""
    cached = _expansions.get(raw)
    if cached is not None:
        return cached
    terms: list[str] = []
    for segment in raw.split("/"):
        if not segment:
            continue
        words = [w for w in segment.split(".") if w]
        if len(words) > 1:
            dotted = ".".join(w.strip("_") for w in words).lower()
            if _keep(dotted):
                terms.append(dotted)
        for word in words:
            whole = word.strip("_").lower()
            parts = _word_parts(word)
            if _keep(whole):
                terms.append(whole)
            if parts != [whole]:
                terms.extend(p for p in parts if _keep(p))
    result = tuple(terms)
    if len(_expansions) >= _CACHE_LIMIT:
        _expansions.clear()
    _expansions[raw] = result
    return result


def tokenize(text: str) -> list[str]:
    """The search terms of ``text``, in order, with repeats.

    ``get_redirect_target`` gives get_redirect_target, get, redirect, target;
    ``os.path.join`` gives os.path.join, os, path, join; ``requests/models.py`` gives requests,
    models.py, models. Terms are lower-case; stop words, one-letter terms and bare numbers are
    dropped.
    """
    return [t for raw in _TOKEN_RE.findall(text) for t in _expand(raw)]


def term_counts(text: str) -> Counter[str]:
    """``Counter(tokenize(text))``, counting each distinct raw token once (faster)."""
    counts: Counter[str] = Counter()
    for raw, n in Counter(_TOKEN_RE.findall(text)).items():
        for term in _expand(raw):
            counts[term] += n
    return counts


@dataclass(frozen=True, slots=True)
class BM25Params:
    k1: float = 1.2
    """Term-frequency saturation in a unit."""
    b: float = 0.75
    """Length normalisation: 0 ignores unit length, 1 normalises fully."""
    k3: float | None = None
    """Query term-frequency saturation; None counts every repeat of a query term (long issue
    texts then weigh the names they repeat)."""


class LexicalIndex:
    """BM25 over code units. Rows are units sorted by id, so ties in score are broken by id."""

    def __init__(self, ids: Sequence[str], kinds: Sequence[NodeKind], vocabulary: Sequence[str],
                 counts: sp.csr_matrix, fingerprint: str, params: BM25Params = BM25Params()) -> None:
        self.ids: list[str] = list(ids)
        if not all(map(operator.lt, self.ids, islice(self.ids, 1, None))):
            raise ValueError("unit ids must be unique and sorted")
        self.kinds: list[NodeKind] = list(kinds)
        self.vocabulary: list[str] = list(vocabulary)
        self.fingerprint = fingerprint
        self.params = params
        self._counts = counts
        code = {kind: i for i, kind in enumerate(UNIT_KINDS)}
        self._kind_codes = np.array([code[k] for k in self.kinds], dtype=np.int8)
        self._postings_cache: _Postings | None = None

    def _column(self, term: str) -> int | None:
        """The column of ``term``, found by bisection in the sorted vocabulary (a dictionary of
        a hundred thousand terms would cost a query after every update more than the query)."""
        i = bisect.bisect_left(self.vocabulary, term)
        return i if i < len(self.vocabulary) and self.vocabulary[i] == term else None

    @property
    def _postings(self) -> _Postings:
        """Each term's units and counts, with what BM25 needs to weigh them (made on first
        use: an index loaded only to be updated never needs it)."""
        if self._postings_cache is None:
            self._postings_cache = _Postings.of(self._counts, self.params)
        return self._postings_cache

    # -- building and persisting -----------------------------------------------------------
    @classmethod
    def build(cls, units: Iterable[CodeUnit], params: BM25Params = BM25Params()) -> LexicalIndex:
        """The index of ``units`` (any order; duplicates by id are an error). Its vocabulary is
        sorted, so equal units give equal indexes however they were arrived at."""
        ordered = sorted(units, key=lambda u: u.id)
        ids = [u.id for u in ordered]
        if len(set(ids)) != len(ids):
            raise ValueError("unit ids must be unique")
        counts, terms = _count_rows(ordered)
        vocabulary = sorted(terms)
        rank = {t: i for i, t in enumerate(vocabulary)}
        counts.indices = np.asarray([rank[t] for t in terms], dtype=np.int32)[counts.indices]
        counts.has_sorted_indices = False
        counts.sort_indices()
        return cls(ids, [u.kind for u in ordered], vocabulary, counts, fingerprint(ordered), params)

    def replace(self, remove: Iterable[str], add: Sequence[CodeUnit]) -> LexicalIndex:
        """A new index without the units ``remove`` names and with ``add`` (replacing units of
        the same ids): only ``add`` is tokenized. Equal to ``build`` of the resulting units, but
        its ``fingerprint`` is empty (it would need every unit's text)."""
        added = sorted(add, key=lambda u: u.id)
        if len({u.id for u in added}) != len(added):
            raise ValueError("unit ids must be unique")
        drop = sorted({i for unit_id in [*remove, *(u.id for u in added)]
                       if (i := bisect.bisect_left(self.ids, unit_id)) < len(self.ids) and self.ids[i] == unit_id})
        keep = np.delete(np.arange(len(self.ids), dtype=np.int64), np.asarray(drop, dtype=np.int64))
        new_counts, new_terms = _count_rows(added)
        vocabulary = self.vocabulary
        size = len(vocabulary)
        # where each new unit's term sits in the old (sorted) vocabulary, found by bisection:
        # a dictionary of a hundred thousand terms would cost more than the whole update
        slot = [bisect.bisect_left(vocabulary, t) for t in new_terms]
        missing = sorted({t for t, i in zip(new_terms, slot, strict=True) if i == size or vocabulary[i] != t})
        inserted = np.asarray([bisect.bisect_left(vocabulary, t) for t in missing], dtype=np.int64)
        # an old term moves right by the number of new terms sorted before it
        old_to_new = np.arange(size, dtype=np.int64) + np.searchsorted(inserted, np.arange(size), side="right")
        place = {t: int(inserted[i]) + i for i, t in enumerate(missing)}
        position = np.asarray([place[t] if t in place else old_to_new[i] for t, i in zip(new_terms, slot, strict=True)],
                              dtype=np.int64)
        if missing:
            vocabulary = sorted(vocabulary + missing)  # two sorted runs: a linear merge
        width = len(vocabulary)
        # the new rows' columns sorted within each row; the old rows' stay sorted, as old_to_new
        # keeps the order of the old terms
        fresh = sp.csr_matrix((new_counts.data, position[new_counts.indices].astype(np.int32), new_counts.indptr),
                              shape=(len(added), width))
        fresh.sort_indices()
        stacked = sp.csr_matrix(
            (np.concatenate([self._counts.data, fresh.data]),
             np.concatenate([old_to_new[self._counts.indices], fresh.indices]).astype(np.int32),
             np.concatenate([self._counts.indptr, fresh.indptr[1:] + self._counts.indptr[-1]])),
            shape=(len(self.ids) + len(added), width))
        # the added units go between the kept ones in id order
        kept_ids = np.asarray(self.ids, dtype=object)[keep]
        new_ids = np.asarray([u.id for u in added], dtype=object)
        at = np.searchsorted(kept_ids, new_ids) if added else keep[:0]
        rows = np.insert(keep, at, np.arange(len(self.ids), len(self.ids) + len(added), dtype=np.int64))
        ids = np.insert(kept_ids, at, new_ids).tolist()
        kinds = np.insert(np.asarray(self.kinds, dtype=object)[keep], at,
                          np.asarray([u.kind for u in added], dtype=object)).tolist()
        counts = stacked[rows]
        # terms no unit uses any more leave the vocabulary, as a fresh build never has them
        used = np.bincount(counts.indices, minlength=len(vocabulary)) > 0
        if not used.all():
            remap = np.cumsum(used, dtype=np.int64) - 1
            counts.indices = remap[counts.indices].astype(np.int32)
            vocabulary = [t for t, u in zip(vocabulary, used.tolist(), strict=True) if u]
        counts = sp.csr_matrix((counts.data, counts.indices, counts.indptr), shape=(len(ids), len(vocabulary)))
        counts.has_sorted_indices = True
        return LexicalIndex(ids, kinds, vocabulary, counts, "", self.params)

    def save(self, directory: Path) -> None:
        """Write ``lexical.npz`` and ``lexical.json`` into ``directory`` (each replaced
        atomically)."""
        directory.mkdir(parents=True, exist_ok=True)
        npz, meta = _paths(directory)
        tmp_npz = npz.with_name(f".{npz.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp_npz, data=self._counts.data, indices=self._counts.indices,
                 indptr=self._counts.indptr, kinds=self._kind_codes)
        tmp_meta = meta.with_name(f".{meta.name}.{os.getpid()}.tmp")
        tmp_meta.write_text(json.dumps({
            "format_version": FORMAT_VERSION, "fingerprint": self.fingerprint,
            "params": asdict(self.params), "ids": self.ids, "vocabulary": self.vocabulary,
        }), encoding="utf-8")
        os.replace(tmp_npz, npz)
        os.replace(tmp_meta, meta)

    @classmethod
    def load(cls, directory: Path, params: BM25Params | None = None) -> LexicalIndex:
        """The index saved in ``directory``, with its saved parameters unless ``params`` is
        given. Raises ``FileNotFoundError`` when there is none and ``ValueError`` when it was
        saved by another format version or is damaged."""
        npz, meta_path = _paths(directory)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{meta_path} is damaged: {exc}") from exc
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{meta_path} has format version {meta.get('format_version')}, "
                             f"expected {FORMAT_VERSION}")
        with np.load(npz) as arrays:
            ids, vocabulary = meta["ids"], meta["vocabulary"]
            counts = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]),
                                   shape=(len(ids), len(vocabulary)))
            kinds = [UNIT_KINDS[c] for c in arrays["kinds"].tolist()]
        if len(kinds) != len(ids):
            raise ValueError(f"{npz} does not match {meta_path}")
        return cls(ids, kinds, vocabulary, counts, meta["fingerprint"],
                   params if params is not None else BM25Params(**meta["params"]))

    def with_params(self, params: BM25Params) -> LexicalIndex:
        """The same index weighted with other BM25 parameters (no re-tokenizing)."""
        if params == self.params:
            return self
        return LexicalIndex(self.ids, self.kinds, self.vocabulary, self._counts, self.fingerprint, params)

    # -- querying --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query_text: str, k3: float | str | None = "index") -> np.ndarray:
        """The BM25 score of every unit (aligned with ``ids``) for ``query_text``; ``k3`` (the
        query term saturation) is the index's own unless given (0 counts each term once)."""
        found = term_counts(query_text)
        cols: list[int] = []
        weights: list[float] = []
        k3 = self.params.k3 if k3 == "index" else k3
        assert k3 is None or isinstance(k3, float | int)
        for term, n in sorted(found.items()):
            col = self._column(term)
            if col is not None:
                cols.append(col)
                weights.append(float(n) if k3 is None else n * (k3 + 1) / (k3 + n))
        out = np.zeros(len(self.ids))
        postings = self._postings
        for col, weight in zip(cols, weights, strict=True):  # in column order, so sums are reproducible
            units, term_weights = postings.weights(col)
            out[units] += weight * term_weights
        return out

    def matched_terms(self, query_terms: Iterable[str], row: int, k: int = 5) -> list[str]:
        """Which of ``query_terms`` (see :func:`term_counts`) unit ``row`` (aligned with
        ``ids``) contains, those that add most to its score first: the words that made it match."""
        start, end = self._counts.indptr[row], self._counts.indptr[row + 1]
        present = dict(zip(self._counts.indices[start:end].tolist(), self._counts.data[start:end].tolist(),
                           strict=True))
        postings = self._postings
        found = [(-postings.weight(col, present[col], row), term) for term in query_terms
                 if (col := self._column(term)) is not None and col in present]
        return [term for _, term in sorted(found)][:k]

    def term_presence(self, terms: Sequence[str], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For units ``rows`` (positions aligned with ``ids``) and ``terms``: a boolean matrix
        (rows x the terms the index knows) of which unit holds which term, and those terms' idf."""
        cols = [col for term in terms if (col := self._column(term)) is not None]
        if not cols or rows.size == 0:
            return np.zeros((rows.size, 0), dtype=bool), np.zeros(0)
        present = self._counts[rows][:, cols].toarray() > 0
        return present, self._postings.idf[cols]

    def search(self, query_text: str, k: int = 10,
               kinds: Iterable[NodeKind] | None = None) -> list[tuple[str, float]]:
        """The ``k`` best units for ``query_text`` as ``(unit id, score)``, best first, ties
        broken by id; only units sharing a term with the query, and only of ``kinds`` when
        given."""
        return self.top(self.scores(query_text), k, kinds)

    def top(self, scores: np.ndarray, k: int,
            kinds: Iterable[NodeKind] | None = None) -> list[tuple[str, float]]:
        """The ``k`` best positive entries of ``scores`` (aligned with ``ids``), ties by id."""
        candidates = np.flatnonzero(scores > 0)
        if kinds is not None:
            codes = [UNIT_KINDS.index(NodeKind(kind)) for kind in kinds]
            candidates = candidates[np.isin(self._kind_codes[candidates], codes)]
        if k <= 0 or candidates.size == 0:
            return []
        values = scores[candidates]
        if candidates.size > k:
            threshold = np.partition(values, candidates.size - k)[candidates.size - k]
            keep = values >= threshold
            candidates, values = candidates[keep], values[keep]
        order = np.lexsort((candidates, -values))[:k]
        return [(self.ids[i], float(values[j])) for j, i in zip(order.tolist(), candidates[order].tolist(),
                                                                strict=True)]


def _count_rows(units: Sequence[CodeUnit]) -> tuple[sp.csr_matrix, list[str]]:
    """The term counts of ``units`` (a row each, in order) and the terms of the columns, in
    the order they were first seen."""
    raw_index: dict[str, int] = {}
    raw_ids: list[int] = []
    raw_counts: list[int] = []
    indptr = [0]
    for unit in units:
        found = Counter(_TOKEN_RE.findall(unit.text))
        raw_ids.extend([raw_index.setdefault(r, len(raw_index)) for r in found])
        raw_counts.extend(found.values())
        indptr.append(len(raw_ids))
    unit_raw = sp.csr_matrix(
        (np.asarray(raw_counts, dtype=np.int32), np.asarray(raw_ids, dtype=np.int32),
         np.asarray(indptr, dtype=np.int64)), shape=(len(units), len(raw_index)))
    # Each distinct raw token is expanded once; a sparse product then sums term counts.
    terms: dict[str, int] = {}
    e_cols: list[int] = []
    e_ptr = [0]
    for raw in raw_index:  # insertion order == raw id order
        e_cols.extend([terms.setdefault(t, len(terms)) for t in _expand(raw)])
        e_ptr.append(len(e_cols))
    expansion = sp.csr_matrix(
        (np.ones(len(e_cols), dtype=np.int32), np.asarray(e_cols, dtype=np.int32),
         np.asarray(e_ptr, dtype=np.int64)), shape=(len(raw_index), len(terms)))
    counts = (unit_raw @ expansion).tocsr()
    counts.eliminate_zeros()
    return counts, list(terms)


class _Postings(NamedTuple):
    """The counts by term, and the parts of BM25 that depend on the whole index:
    weight(t, d) = idf(t) * tf (k1 + 1) / (tf + k1 (1 - b + b |d| / avgdl)), with Lucene's
    always-positive idf ln(1 + (N - df + 0.5) / (df + 0.5)). A query weighs only its own
    terms' postings, so an updated index needs no weight matrix made before it answers."""

    by_term: sp.csr_matrix
    """Term x unit counts."""
    idf: np.ndarray
    norm: np.ndarray
    """Per unit: k1 (1 - b + b |d| / avgdl)."""
    k1: float

    @classmethod
    def of(cls, counts: sp.csr_matrix, params: BM25Params) -> _Postings:
        n_units = counts.shape[0]
        lengths = np.asarray(counts.sum(axis=1)).ravel().astype(np.float64)
        average = float(lengths.mean()) if n_units and lengths.sum() > 0 else 1.0
        by_term = counts.T.tocsr()
        df = np.diff(by_term.indptr).astype(np.float64)
        idf = np.log1p((n_units - df + 0.5) / (df + 0.5))
        norm = params.k1 * (1.0 - params.b + params.b * lengths / average)
        return cls(by_term, idf, norm, params.k1)

    def weights(self, col: int) -> tuple[np.ndarray, np.ndarray]:
        """The units holding term ``col`` and its BM25 weight in each."""
        start, end = self.by_term.indptr[col], self.by_term.indptr[col + 1]
        units = self.by_term.indices[start:end]
        tf = self.by_term.data[start:end].astype(np.float64)
        return units, self.idf[col] * tf * (self.k1 + 1.0) / (tf + self.norm[units])

    def weight(self, col: int, tf: float, unit: int) -> float:
        """The BM25 weight of term ``col`` occurring ``tf`` times in ``unit``."""
        return float(self.idf[col] * tf * (self.k1 + 1.0) / (tf + self.norm[unit]))


def fingerprint(units: Iterable[CodeUnit]) -> str:
    """A digest of the units' ids and texts, in id order: equal units give equal
    fingerprints."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"v{FORMAT_VERSION}".encode())
    for unit in sorted(units, key=lambda u: u.id):
        h.update(unit.id.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
        h.update(unit.text.encode("utf-8", "surrogatepass"))
        h.update(b"\1")
    return h.hexdigest()


def load_or_build(directory: Path, units: Sequence[CodeUnit],
                  params: BM25Params = BM25Params()) -> LexicalIndex:
    """The index saved in ``directory`` when it was built from exactly ``units``; otherwise a
    new one, built and saved there."""
    try:
        saved = LexicalIndex.load(directory, params)
    except (FileNotFoundError, ValueError, KeyError):
        saved = None
    if saved is not None and saved.fingerprint == fingerprint(units):
        return saved
    index = LexicalIndex.build(units, params)
    index.save(directory)
    return index


def _paths(directory: Path) -> tuple[Path, Path]:
    return directory / f"{INDEX_NAME}.npz", directory / f"{INDEX_NAME}.json"

