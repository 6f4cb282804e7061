"""The localization metrics on hand-made predictions: the |gold| > k rule, de-duplication,
the ``__init__`` rule and instances with empty gold."""

from __future__ import annotations

import pytest

from bench.metrics import (
    REPORTED,
    acc_at_k,
    average,
    normalize_entity,
    percentile,
    ranked_unique,
    recall_at_k,
    reciprocal_rank,
    score_instance,
)


def test_acc_all_gold_within_k() -> None:
    gold = {"a.py", "b.py"}
    assert acc_at_k(["a.py", "x.py", "b.py"], gold, 3) == 1.0
    assert acc_at_k(["a.py", "x.py", "b.py"], gold, 2) == 0.0
    assert acc_at_k(["a.py"], gold, 10) == 0.0
    assert acc_at_k([], gold, 5) == 0.0


def test_acc_when_gold_outnumbers_k() -> None:
    gold = {"a", "b", "c"}
    assert acc_at_k(["c", "a"], gold, 2) == 1.0  # top 2 are all gold
    assert acc_at_k(["c", "x", "a"], gold, 2) == 0.0
    assert acc_at_k(["b"], gold, 1) == 1.0
    assert acc_at_k(["x", "b"], gold, 1) == 0.0
    assert acc_at_k(["c"], gold, 2) == 0.0  # fewer than k predictions cannot fill the top k


def test_recall_and_reciprocal_rank() -> None:
    gold = {"a", "b", "c", "d"}
    assert recall_at_k(["a", "x", "b", "c"], gold, 3) == 0.5
    assert recall_at_k([], gold, 3) == 0.0
    assert reciprocal_rank(["x", "y", "c", "a"], gold) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], gold) == 0.0


def test_init_counts_as_the_class() -> None:
    assert normalize_entity("m.py:Thing.__init__") == "m.py:Thing"
    assert normalize_entity("m.py:Thing.run") == "m.py:Thing.run"
    assert normalize_entity("m.py:__init__") == "m.py:__init__"
    assert normalize_entity("pkg/__init__.py:setup") == "pkg/__init__.py:setup"
    assert ranked_unique(["m.py:T.__init__", "m.py:T", "m.py:T.run"], "function") == ["m.py:T", "m.py:T.run"]
    # only function-level entities are rewritten
    assert ranked_unique(["m.py:T.__init__"], "module") == ["m.py:T.__init__"]

    scores = score_instance({"found_entities": ["m.py:T.__init__", "m.py:f"]},
                            {"gold_functions": ["m.py:T"]})
    assert scores["function_acc@1"] == 1.0
    assert scores["function_mrr"] == 1.0


def test_duplicates_do_not_take_ranks() -> None:
    prediction = {"found_files": ["x.py", "x.py", "x.py", "a.py", "x.py", "b.py"]}
    scores = score_instance(prediction, {"gold_files": ["a.py", "b.py"]})
    assert scores["file_acc@3"] == 1.0  # de-duplicated: x.py, a.py, b.py
    assert scores["file_acc@1"] == 0.0
    assert scores["file_mrr"] == 0.5
    assert scores["file_recall@1"] == 0.0
    assert scores["file_recall@3"] == 1.0
    # duplicated gold counts once
    assert score_instance({"found_files": ["a.py"]}, {"gold_files": ["a.py", "a.py"]})["file_acc@1"] == 1.0


def test_empty_gold_is_left_out_of_averages() -> None:
    hit = score_instance(
        {"found_files": ["a.py"], "found_modules": ["a.py:T"], "found_entities": ["a.py:T.m"]},
        {"gold_files": ["a.py"], "gold_modules": ["a.py:T"], "gold_functions": ["a.py:T.m"]})
    no_functions = score_instance(
        {"found_files": ["z.py"], "found_modules": [], "found_entities": ["a.py:g"]},
        {"gold_files": ["a.py"], "gold_modules": [], "gold_functions": []})
    assert no_functions["function_acc@5"] is None
    assert no_functions["module_mrr"] is None
    assert no_functions["file_acc@1"] == 0.0
    means = average([hit, no_functions])
    assert means["file_acc@1"] == 0.5
    assert means["function_acc@5"] == 1.0
    assert means["module_acc@10"] == 1.0
    assert average([no_functions])["function_mrr"] is None


def test_missing_prediction_fields_score_zero() -> None:
    scores = score_instance({}, {"gold_files": ["a.py"], "gold_modules": ["a.py:f"], "gold_functions": ["a.py:f"]})
    assert {c.name: scores[c.name] for c in REPORTED} == {c.name: 0.0 for c in REPORTED}


def test_reported_columns_and_percentiles() -> None:
    assert [c.short for c in REPORTED] == [
        "F@1", "F@3", "F@5", "F@10", "M@5", "M@10", "Fn@5", "Fn@10", "F-MRR", "Fn-MRR"]
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(i) for i in range(1, 101)], 95) == pytest.approx(95.05)
