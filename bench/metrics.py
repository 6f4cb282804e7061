"""Localization metrics, exactly as the dev set's README defines them (LocAgent / SweRank).

Per level (file, module, function) and cut-off k, over the ranked prediction list after
normalisation and de-duplication (first occurrence wins):

* Acc@k: 1 when every gold item is in the top k; when there are more than k gold items, 1
  when the top k are all gold. Else 0.
* Recall@k: the fraction of gold items in the top k.
* MRR: 1 / rank of the first gold item, 0 when none is predicted.

Each is averaged over the instances whose gold for that level is non-empty; an instance
with empty gold at a level does not count there.

Entities are ``path.py:func`` or ``path.py:Class.method``; an edit inside ``__init__``
counts as the class, so ``path.py:Class.__init__`` is read as ``path.py:Class`` on both
sides before comparing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

LEVELS: dict[str, tuple[str, str]] = {
    "file": ("found_files", "gold_files"),
    "module": ("found_modules", "gold_modules"),
    "function": ("found_entities", "gold_functions"),
}
"""Level name -> (prediction field, gold field)."""

CUTOFFS = (1, 3, 5, 10)


@dataclass(frozen=True, slots=True)
class Column:
    level: str
    metric: str
    """``acc``, ``recall`` or ``mrr``."""
    k: int | None = None

    @property
    def name(self) -> str:
        return f"{self.level}_{self.metric}" + (f"@{self.k}" if self.k is not None else "")

    @property
    def short(self) -> str:
        """A table heading: ``F@5``, ``M@10``, ``Fn@5``, ``F-MRR``, ``Fn-R@10``."""
        level = {"file": "F", "module": "M", "function": "Fn"}[self.level]
        if self.metric == "mrr":
            return f"{level}-MRR"
        return f"{level}{'-R' if self.metric == 'recall' else ''}@{self.k}"


REPORTED: tuple[Column, ...] = (
    Column("file", "acc", 1), Column("file", "acc", 3), Column("file", "acc", 5), Column("file", "acc", 10),
    Column("module", "acc", 5), Column("module", "acc", 10),
    Column("function", "acc", 5), Column("function", "acc", 10),
    Column("file", "mrr"), Column("function", "mrr"),
)
"""The headline figures: file Acc@1/3/5/10, module Acc@5/10, function Acc@5/10, file- and
function-level MRR."""

ALL_COLUMNS: tuple[Column, ...] = tuple(
    Column(level, metric, k)
    for level in LEVELS
    for metric, k in [*(("acc", k) for k in CUTOFFS), *(("recall", k) for k in CUTOFFS), ("mrr", None)]
)


def normalize_entity(entity: str) -> str:
    """``path.py:Class.__init__`` -> ``path.py:Class``; anything else unchanged."""
    path, sep, qualname = entity.partition(":")
    if sep and qualname.endswith(".__init__") and qualname.count(".") == 1:
        return f"{path}:{qualname[: -len('.__init__')]}"
    return entity


def ranked_unique(items: Iterable[str], level: str = "file") -> list[str]:
    """``items`` normalised for ``level`` with repeats removed, first occurrence kept."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = normalize_entity(item) if level == "function" else item
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def acc_at_k(predicted: Sequence[str], gold: set[str], k: int) -> float:
    top = predicted[:k]
    if len(gold) > k:
        return float(len(top) == k and all(p in gold for p in top))
    return float(gold.issubset(top))


def recall_at_k(predicted: Sequence[str], gold: set[str], k: int) -> float:
    return len(gold.intersection(predicted[:k])) / len(gold)


def reciprocal_rank(predicted: Sequence[str], gold: set[str]) -> float:
    for rank, item in enumerate(predicted, 1):
        if item in gold:
            return 1.0 / rank
    return 0.0


def score_instance(prediction: Mapping[str, Sequence[str]],
                   gold: Mapping[str, Sequence[str]]) -> dict[str, float | None]:
    """Every metric of ``ALL_COLUMNS`` for one instance, by column name; None for the
    levels whose gold is empty (they are left out of averages)."""
    scores: dict[str, float | None] = {}
    for level, (found_field, gold_field) in LEVELS.items():
        gold_set = set(ranked_unique(gold.get(gold_field) or [], level))
        predicted = ranked_unique(prediction.get(found_field) or [], level)
        for column in ALL_COLUMNS:
            if column.level != level:
                continue
            if not gold_set:
                scores[column.name] = None
            elif column.metric == "acc":
                assert column.k is not None
                scores[column.name] = acc_at_k(predicted, gold_set, column.k)
            elif column.metric == "recall":
                assert column.k is not None
                scores[column.name] = recall_at_k(predicted, gold_set, column.k)
            else:
                scores[column.name] = reciprocal_rank(predicted, gold_set)
    return scores


def average(rows: Iterable[Mapping[str, float | None]]) -> dict[str, float | None]:
    """The mean of each column over the rows where it is not None (None when it never is)."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for row in rows:
        for name, value in row.items():
            if value is not None:
                sums[name] = sums.get(name, 0.0) + value
                counts[name] = counts.get(name, 0) + 1
    return {c.name: (sums[c.name] / counts[c.name] if counts.get(c.name) else None) for c in ALL_COLUMNS}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
