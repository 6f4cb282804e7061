"""The learned fusion: its features on a real indexed fixture, its model file, and the
hand-set fusion it falls back to (saying why) when the model cannot be used."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import copy_fixture

from indexer.pipeline import IndexOptions
from indexer.search.context import RetrievalContext
from indexer.update import SearchOptions, update_index
from queries.localize import LocalizeOptions, localize
from queries.retrieval.features import FILE_FEATURES, UNIT_FEATURES, issue_cues
from queries.retrieval.issue import parse_issue
from queries.retrieval.ranker import MODEL_FILE, STACKED_FILE_FEATURES, FusionModel, LinearModel, read_model

ISSUE = """Engine.stop raises EngineError for a stopped engine

Stopping twice fails:

```
Traceback (most recent call last):
  File "/home/me/proj/pkg/core.py", line 39, in stop
    raise EngineError(self.name)
pkg.core.EngineError: e1
```
"""


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> RetrievalContext:
    base = tmp_path_factory.mktemp("fusion")
    root = copy_fixture("pyrepo", base / "pyrepo")
    _, context = update_index(root, IndexOptions(db_dir=base / "db"), SearchOptions(dense=False))
    assert context is not None
    return context


def model_file(tmp_path: Path, unit_weights: dict[str, float], file_weights: dict[str, float]) -> Path:
    units = LinearModel(UNIT_FEATURES, np.zeros(len(UNIT_FEATURES)), np.ones(len(UNIT_FEATURES)),
                        np.array([unit_weights.get(f, 0.0) for f in UNIT_FEATURES]), 0.0)
    files = LinearModel(STACKED_FILE_FEATURES, np.zeros(len(STACKED_FILE_FEATURES)),
                        np.ones(len(STACKED_FILE_FEATURES)),
                        np.array([file_weights.get(f, 0.0) for f in STACKED_FILE_FEATURES]), 0.0)
    path = tmp_path / "fusion.json"
    FusionModel(units, files, "a test").save(path)
    return path


def test_cues_of_an_issue() -> None:
    cues = issue_cues(parse_issue(ISSUE + '\nThe message "engine e1 is already stopped" is wrong.\n'))
    assert ("core.py", "stop") in cues.frames
    assert "Engine.stop" in cues.qualified and "EngineError" in cues.code_names
    assert "engine e1 is already stopped" in cues.literals
    assert "engineerror" in cues.code_terms


def test_features_describe_each_candidate(ctx: RetrievalContext) -> None:
    result = localize(ctx, ISSUE, LocalizeOptions(fusion="hand", keep_features=True))
    ranking = result.ranking
    assert ranking is not None and result.fusion == "hand"
    assert ranking.unit_features.shape == (ranking.units.size, len(UNIT_FEATURES))
    assert ranking.file_features.shape == (ranking.files.size, len(FILE_FEATURES))
    assert np.isfinite(ranking.unit_features).all() and np.isfinite(ranking.file_features).all()
    row = {ctx.meta.ids[i]: r for r, i in enumerate(ranking.units.tolist())}
    stop = ranking.unit_features[row[next(i for i in row if i.endswith("Engine.stop"))]]
    col = {name: k for k, name in enumerate(UNIT_FEATURES)}
    assert stop[col["in_frame"]] == 1 and stop[col["qualified_in_text"]] == 1 and stop[col["method"]] == 1
    assert stop[col["name_in_title"]] == 1 and stop[col["lexical_once_rank"]] > 0
    # what calls Engine.stop, or what it calls, is a graph neighbour of a unit the issue names
    neighbours = {ctx.meta.ids[j] for j in ctx.adjacency[ctx.index_of[next(i for i in row if i.endswith(
        "Engine.stop"))]].indices.tolist()}
    near = {i for i, r in row.items() if ranking.unit_features[r, col["near_mention"]] == 1}
    assert neighbours & set(row) and neighbours & set(row) <= near
    assert stop[col["hand_score"]] == ranking.unit_features[:, col["hand_score"]].max() == 1.0
    # the file's units, its features, and the candidates' order follow the hand-set fusion
    hand = ranking.unit_features[:, col["hand_score"]]
    assert (np.diff(hand) <= 1e-12).all()
    assert {ctx.meta.paths[f] for f in ranking.files} >= {ctx.meta.paths[i] for i in ranking.units}


def test_a_model_reorders_and_says_so(ctx: RetrievalContext, tmp_path: Path) -> None:
    # a model that trusts only the lexical rank gives the lexical order; hand-set differs
    path = model_file(tmp_path, {"lexical_rank": 5.0}, {"best_lexical_rank": 5.0})
    learned = localize(ctx, ISSUE, LocalizeOptions(model=path))
    assert learned.fusion == "learned" and not any("ranking model" in n for n in learned.notes)
    lexical = ctx.lexical.search(ISSUE, 50)
    order = [i for i, _ in lexical if ctx.meta.kinds[ctx.index_of[i]].value in ("class", "function", "method")]
    assert [h.id for h in learned.functions[:3]] == order[:3]
    # the totals are what the signals found, whichever fusion ranks them
    assert learned.totals == localize(ctx, ISSUE, LocalizeOptions(fusion="hand")).totals


@pytest.mark.parametrize(("content", "reason"), [
    (None, "no ranking model at"),
    ("{not json", "it is not JSON"),
    (json.dumps({"format": 99}), "it is not a format-1 fusion model"),
    (json.dumps({"format": 1, "units": {"features": ["x"], "mean": [0], "scale": [1], "weights": [1], "bias": 0},
                 "files": {}}), "it was trained on other features"),
])
def test_an_unusable_model_falls_back_to_the_hand_set_fusion(ctx: RetrievalContext, tmp_path: Path,
                                                             content: str | None, reason: str) -> None:
    path = tmp_path / "fusion.json"
    if content is not None:
        path.write_text(content)
    result = localize(ctx, ISSUE, LocalizeOptions(model=path))
    hand = localize(ctx, ISSUE, LocalizeOptions(fusion="hand"))
    assert result.fusion == "hand"
    assert [h.id for h in result.functions] == [h.id for h in hand.functions]
    assert [h.id for h in result.files] == [h.id for h in hand.files]
    assert any(reason in note and "hand-set fusion" in note for note in result.notes)


def test_the_shipped_model_is_readable_and_says_what_it_was_trained_on() -> None:
    model = read_model(MODEL_FILE)
    assert "cross-validated by repository" in model.trained_on
    assert model.units.features == UNIT_FEATURES and model.files.features == STACKED_FILE_FEATURES
