"""The repolens localizer for the bench: ``--localizer bench.repolens_localizer:localize``.

The bench indexes each tree with the search indexes (``index_search``: what ``repolens index``
does); ``prepare`` loads them, timed apart from localizing. Options (``--opt``):
``dense=0`` skips embeddings; ``ablate=SIGNAL`` drops one signal; ``dump=DIR`` writes each issue's
candidates and their features there (``bench/learn_fusion.py``); everything else goes to
``queries.localize.options_from`` (``w.lexical=2``, ``file_share=0.3``, ...).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bm25_baseline import Localization, UnitTable

from indexer.search.context import RetrievalContext
from indexer.search.units import build_units
from indexer.store.config import GRAPH_FILE, StoreConfig
from indexer.store.kuzu_store import KuzuStore
from indexer.update import SearchOptions, open_context
from queries.localize import Ranking, options_from
from queries.localize import localize as run_localize

LIMIT = 50


class RepolensLocalizer:
    def __init__(self) -> None:
        self._db_dir: Path | None = None
        self._ctx: RetrievalContext | None = None
        self._table: UnitTable | None = None

    @staticmethod
    def index_search(options: Mapping[str, str]) -> SearchOptions:
        return SearchOptions(dense=options.get("dense", "1") != "0")

    def prepare(self, root: Path, db_dir: Path, options: Mapping[str, str]) -> None:
        if self._db_dir == db_dir:
            return
        self._ctx = open_context(root, db_dir, StoreConfig(), dense=options.get("dense", "1") != "0")
        with KuzuStore(db_dir / GRAPH_FILE, read_only=True) as store:
            graph = store.dump()
        self._table = UnitTable(build_units(root, graph))
        self._db_dir = db_dir

    def __call__(self, root: Path, db_dir: Path, issue_text: str, options: Mapping[str, str]) -> Localization:
        self.prepare(root, db_dir, options)
        assert self._ctx is not None and self._table is not None
        passed = {k: v for k, v in options.items() if k not in ("dense", "ablate", "dump")}
        if options.get("ablate"):
            passed["no"] = options["ablate"]
        passed.update(files=str(LIMIT), modules=str(LIMIT), functions=str(LIMIT))
        chosen = options_from(passed)
        if options.get("dump"):
            chosen = replace(chosen, keep_features=True)
        result = run_localize(self._ctx, issue_text, chosen)
        if options.get("dump") and result.ranking is not None:
            self._dump(Path(options["dump"]), issue_text, result.ranking)
        entities: list[str] = []
        for hit in result.functions:
            entity = self._table.entity(hit.id) if hit.id in self._table.by_id else None
            if entity is not None and entity not in entities:
                entities.append(entity)
        return Localization(found_files=result.found_files, found_modules=result.found_modules,
                            found_entities=entities)


    def _dump(self, directory: Path, issue_text: str, ranking: Ranking) -> None:
        """The candidates of one issue and their features, for ``bench/learn_fusion.py``: a file
        named by the digest of the issue text (the bench joins it with the gold by that)."""
        assert self._ctx is not None and self._table is not None
        meta = self._ctx.meta
        directory.mkdir(parents=True, exist_ok=True)
        entities = [self._table.entity(meta.ids[i]) if meta.ids[i] in self._table.by_id else None
                    for i in ranking.units.tolist()]
        np.savez_compressed(
            directory / f"{text_digest(issue_text)}.npz",
            unit_entities=np.array([e or "" for e in entities], dtype=object),
            unit_features=ranking.unit_features, file_paths=np.array([meta.paths[i] for i in ranking.files.tolist()],
                                                                     dtype=object),
            file_features=ranking.file_features)


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


localize = RepolensLocalizer()
