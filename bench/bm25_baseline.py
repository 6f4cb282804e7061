"""The BM25-only baseline localizer, and the conversion every localizer can use from ranked
code units to the bench's files, modules and entities.

The baseline ranks function and method units by BM25 against the issue text, maps each to
its bench entity (``path.py:func`` or ``path.py:Class.method``; ``__init__``, nested classes
and their methods count as the class, nested functions as the function around them) and
ranks files and modules by aggregating the scores of their entities.

Options (``--opt key=value``):

* ``depth`` (300): how many units BM25 returns before aggregation;
* ``agg`` (``sum3``): file and module score from their entities' scores: ``max`` (the order
  of first appearance), ``sum``, or ``sum3``, the sum of the best three (a file with several
  matching functions ranks higher without long files winning by size);
* ``kinds`` (``function,method``): unit kinds ranked (add ``class`` for class units);
* ``tests`` (``include``): ``exclude`` drops units in test files;
* ``limit`` (50): the length of each returned list;
* ``k1``, ``b``, ``k3``: BM25 parameters (default: ``BM25Params``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.model import NodeKind
from indexer.search.lexical import BM25Params, LexicalIndex, load_or_build
from indexer.search.units import CodeUnit, build_units, is_test_path
from indexer.store.config import GRAPH_FILE
from indexer.store.kuzu_store import KuzuStore

LEXICAL_DIRNAME = "lexical"


@dataclass(slots=True)
class Localization:
    """Ranked predictions in the bench format, best first."""

    found_files: list[str] = field(default_factory=list)
    found_modules: list[str] = field(default_factory=list)
    found_entities: list[str] = field(default_factory=list)


class UnitTable:
    """Units by id, and the kind of every qualified name per file, for bench names."""

    def __init__(self, units: Sequence[CodeUnit]) -> None:
        self.by_id = {u.id: u for u in units}
        self._kinds = {(u.path, u.qualname): u.kind for u in units if u.qualname}

    def entity(self, unit_id: str) -> str | None:
        """The bench entity a unit's edits count for, or None for a file unit."""
        unit = self.by_id[unit_id]
        if not unit.qualname:
            return None
        return bench_entity(unit.path, unit.qualname, lambda q: self._kinds.get((unit.path, q)))


def bench_entity(path: str, qualname: str, kind_of: Callable[[str], NodeKind | None]) -> str:
    """The bench entity (``path:TopLevel`` or ``path:Class.method``) that edits of the
    definition ``qualname`` count for; ``kind_of`` gives the kind of a qualified name in the
    same file. A nested function counts for the function or method around it, an ``__init__``
    for its class."""
    parts = qualname.split(".")
    name = parts[0]
    if len(parts) > 1 and kind_of(parts[0]) == NodeKind.CLASS:
        member = f"{parts[0]}.{parts[1]}"
        if kind_of(member) in (NodeKind.FUNCTION, NodeKind.METHOD) and parts[1] != "__init__":
            name = member
    return f"{path}:{name}"


def rank_locations(scored: Iterable[tuple[str, float]], table: UnitTable, agg: str = "max",
                   limit: int = 50) -> Localization:
    """Bench predictions from ``(unit id, score)`` pairs, best first: entities by their best
    unit, files and modules by ``agg`` over their entities' scores; ties keep first
    appearance."""
    entity_score: dict[str, float] = {}
    for unit_id, score in scored:
        entity = table.entity(unit_id)
        if entity is not None and entity not in entity_score:
            entity_score[entity] = score  # scored is best first, so the first is the max
    entities = list(entity_score)
    files: dict[str, list[float]] = {}
    modules: dict[str, list[float]] = {}
    for entity in entities:
        path, _, qualname = entity.partition(":")
        files.setdefault(path, []).append(entity_score[entity])
        modules.setdefault(f"{path}:{qualname.split('.')[0]}", []).append(entity_score[entity])
    return Localization(found_files=_aggregate(files, agg)[:limit],
                        found_modules=_aggregate(modules, agg)[:limit],
                        found_entities=entities[:limit])


def _aggregate(groups: Mapping[str, list[float]], agg: str) -> list[str]:
    order = {name: n for n, name in enumerate(groups)}

    def value(scores: list[float]) -> float:
        if agg == "max":
            return scores[0]
        if agg == "sum":
            return sum(scores)
        if agg == "sum3":
            return sum(scores[:3])
        raise ValueError(f"unknown aggregation {agg!r}: use max, sum or sum3")

    return sorted(groups, key=lambda name: (-value(groups[name]), order[name]))


@dataclass(slots=True)
class Prepared:
    db_dir: Path
    table: UnitTable
    index: LexicalIndex
    tests: np.ndarray
    """True for the index rows in test files."""
    weighted: dict[BM25Params, LexicalIndex] = field(default_factory=dict)
    """The index under other BM25 parameters, as options asked."""


class BM25Localizer:
    """``localize(root, db_dir, issue_text, options)``; ``prepare`` loads the graph's units
    and builds (or reuses) the lexical index saved beside the graph, work an index run would
    do, so the bench times it apart from localizing."""

    def __init__(self) -> None:
        self._prepared: Prepared | None = None

    def prepare(self, root: Path, db_dir: Path, options: Mapping[str, str]) -> None:
        if self._prepared is not None and self._prepared.db_dir == db_dir:
            return
        with KuzuStore(db_dir / GRAPH_FILE, read_only=True) as store:
            graph = store.dump()
        units = build_units(root, graph)
        index = load_or_build(db_dir / LEXICAL_DIRNAME, units)
        table = UnitTable(units)
        tests = np.array([is_test_path(table.by_id[i].path) for i in index.ids], dtype=bool)
        self._prepared = Prepared(db_dir, table, index, tests)

    def __call__(self, root: Path, db_dir: Path, issue_text: str,
                 options: Mapping[str, str]) -> Localization:
        self.prepare(root, db_dir, options)
        assert self._prepared is not None
        index, table = self._prepared.index, self._prepared.table
        if {"k1", "b", "k3"} & options.keys():
            defaults = BM25Params()
            params = BM25Params(k1=float(options.get("k1", defaults.k1)), b=float(options.get("b", defaults.b)),
                                k3=float(options["k3"]) if "k3" in options else defaults.k3)
            if params not in self._prepared.weighted:
                self._prepared.weighted[params] = index.with_params(params)
            index = self._prepared.weighted[params]
        kinds = [NodeKind(k) for k in options.get("kinds", "function,method").split(",")]
        depth = int(options.get("depth", "300"))
        scores = index.scores(issue_text)
        if options.get("tests", "include") == "exclude":
            scores[self._prepared.tests] = 0.0
        scored = index.top(scores, depth, kinds)
        return rank_locations(scored, table, options.get("agg", "sum3"), int(options.get("limit", "50")))


localize = BM25Localizer()
"""The baseline: ``--localizer bench.bm25_baseline:localize`` (the default)."""
