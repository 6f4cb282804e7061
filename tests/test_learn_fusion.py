"""The learned fusion's training: a logistic model over standardised features, grouped by
repository in cross-validation."""

from __future__ import annotations

import numpy as np

from bench.learn_fusion import Issue, cross_validate, fit, fit_all, learned_prediction
from queries.retrieval.features import FILE_FEATURES, UNIT_FEATURES


def make_issue(repo: str, n: int, rng: np.random.Generator, informative: str) -> Issue:
    """An issue whose gold unit (and file) is the one highest on ``informative``."""
    unit_x = rng.random((n, len(UNIT_FEATURES)))
    file_x = rng.random((n, len(FILE_FEATURES)))
    gold = int(rng.integers(n))
    unit_x[gold, UNIT_FEATURES.index(informative)] = 2.0
    file_x[gold, FILE_FEATURES.index("best_literal")] = 2.0
    entities = [f"{repo}/m{i}.py:f{i}" for i in range(n)]
    files = [f"{repo}/m{i}.py" for i in range(n)]
    return Issue(f"{repo}-{gold}-{rng.integers(1 << 30)}", repo,
                 {"gold_files": [files[gold]], "gold_modules": [f"{files[gold]}:f{gold}"],
                  "gold_functions": [entities[gold]]}, entities, unit_x, files, file_x)


def test_fit_finds_the_feature_that_separates_gold() -> None:
    rng = np.random.default_rng(7)
    issues = [make_issue("a", 30, rng, "literal") for _ in range(20)]
    pos = np.array([[e == i.gold["gold_functions"][0] for e in i.entities] for i in issues])
    model = fit([i.unit_x for i in issues], list(pos), UNIT_FEATURES)
    assert int(np.argmax(model.weights)) == UNIT_FEATURES.index("literal")
    # a dropped feature gets no weight, whatever it would have explained
    without = fit([i.unit_x for i in issues], list(pos), UNIT_FEATURES, dropped=["literal"])
    assert without.weights[UNIT_FEATURES.index("literal")] == 0.0


def test_grouped_cross_validation_never_trains_on_the_scored_repository() -> None:
    # in repository a the gold is highest on one feature, in b on another: a model trained on
    # the other repository cannot know, so the cross-validated ranking misses where an
    # in-sample one would not
    rng = np.random.default_rng(3)
    issues = ([make_issue("a", 40, rng, "literal") for _ in range(15)]
              + [make_issue("b", 40, rng, "in_frame") for _ in range(15)])
    predictions = cross_validate(issues)
    hits = {repo: np.mean([predictions[i.instance]["found_entities"][0] == i.gold["gold_functions"][0]
                           for i in issues if i.repo == repo]) for repo in "ab"}
    assert max(hits.values()) < 0.5
    # trained on both (in-sample), it knows each repository's cue
    model = fit_all(issues)
    in_sample = np.mean([learned_prediction(model, i)["found_entities"][0] == i.gold["gold_functions"][0]
                         for i in issues])
    assert in_sample > 0.9
