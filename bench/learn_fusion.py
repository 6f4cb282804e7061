"""Learn the fusion of ``localize`` and report it honestly: grouped cross-validation by
repository, beside the hand-set fusion and the strong BM25 on the same folds.

    python bench/localize.py --localizer bench.repolens_localizer:localize \\
        --opt fusion=hand --opt dump=DUMP --out PRED.jsonl          # candidates and features
    python bench/learn_fusion.py --dump DUMP [--strong PRED.strong-bm25.jsonl] [--write] [--json]

Each dumped issue holds the candidates ``localize`` ranked (the best units of its hand-set
fusion and their files) with their features (``queries.retrieval.features``). Two logistic
models are fitted (L2-regularised, positives weighted to balance each issue's few gold items):
one over units (is this the gold function/class), one over files. For each repository the
models are trained on the issues of the *other* repositories and score this one's candidates;
the predictions are then scored like the bench scores any localizer. The table shows, per
repository and overall: the hand-set fusion, the learned fusion (cross-validated), and the
strong BM25 when its predictions are given (same issues, so the same folds). ``--write`` fits
on every issue and writes ``queries/retrieval/fusion.json`` with the cross-validated figures
and what it was trained on. ``--ablate`` repeats the cross-validation with each named feature
group removed (set to 0 in training and scoring).

Candidates are only the units the hand-set fusion put in its best ``candidates`` (300): an
issue whose gold is not among them is scored as a miss by both fusions alike.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.metrics import REPORTED, average, ranked_unique, score_instance  # noqa: E402
from bench.repolens_localizer import text_digest  # noqa: E402
from queries.retrieval.features import FILE_FEATURES, UNIT_FEATURES  # noqa: E402
from queries.retrieval.ranker import MODEL_FILE, STACKED_FILE_FEATURES, FusionModel, LinearModel, stack  # noqa: E402

DEFAULT_DEV = Path("/work/shared/bench/dev.jsonl")
L2 = 1.0
"""Ridge strength on standardised features (per training set, summed loss): fixed, not tuned."""
GROUPS: dict[str, tuple[str, ...]] = {
    "hand": ("hand_score", "hand_own"),
    "parts": ("dense_part_rank",),
    "second-stage": ("rank_in_file", "identifier_cover", "literal", "name_in_text", "name_in_code",
                     "qualified_in_text", "owner_in_text", "in_frame", "best_literal", "best_cover"),
    "roles": ("test", "vendored", "docs"),
    "kinds": ("class", "method", "file", "log_lines"),
}
"""Feature groups for ``--ablate`` (a name in either model's features)."""


@dataclass(slots=True)
class Issue:
    instance: str
    repo: str
    gold: dict[str, list[str]]
    entities: list[str]
    unit_x: np.ndarray
    files: list[str]
    file_x: np.ndarray


def load(dump: Path, dev: Path) -> list[Issue]:
    out: list[Issue] = []
    for line in dev.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        path = dump / f"{text_digest(row['problem_statement'])}.npz"
        if not path.exists():
            continue
        data = np.load(path, allow_pickle=True)
        if data["unit_features"].shape[1] != len(UNIT_FEATURES) or data["file_features"].shape[1] != len(FILE_FEATURES):
            raise SystemExit(f"{path} holds other features than this version computes: dump again")
        out.append(Issue(row["instance_id"], row["repo"].split("/")[-1],
                         {k: row[k] for k in ("gold_files", "gold_modules", "gold_functions")},
                         [str(e) for e in data["unit_entities"]], data["unit_features"],
                         [str(p) for p in data["file_paths"]], data["file_features"]))
    return out


def labels(issue: Issue) -> tuple[np.ndarray, np.ndarray]:
    gold_functions = set(ranked_unique(issue.gold["gold_functions"], "function"))
    unit_y = np.array([bool(e) and ranked_unique([e], "function")[0] in gold_functions for e in issue.entities])
    file_y = np.array([p in set(issue.gold["gold_files"]) for p in issue.files])
    return unit_y, file_y


def fit(rows: Sequence[np.ndarray], ys: Sequence[np.ndarray], names: tuple[str, ...],
        dropped: Iterable[str] = ()) -> LinearModel:
    """A linear scorer on standardised features, fitted listwise: for each issue with a gold
    candidate, the softmax over its candidates puts as much probability as it can on the gold
    ones (the mean log-probability of each gold candidate), plus a ridge penalty. Issues
    without a gold candidate teach nothing and are left out."""
    x = np.vstack(rows)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    keep = np.array([name not in set(dropped) for name in names], dtype=np.float64)
    groups = [((r - mean) / scale * keep, y.astype(np.float64) / y.sum()) for r, y in zip(rows, ys, strict=True)
              if y.any()]
    if not groups:
        return LinearModel(names, mean, scale, np.zeros(len(names)), 0.0)
    z = np.vstack([g[0] for g in groups])
    target = np.concatenate([g[1] for g in groups])
    bounds = np.cumsum([0] + [g[0].shape[0] for g in groups])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        logit = z @ w
        value = 0.5 * L2 * float(w @ w)
        grad_logit = np.empty_like(logit)
        for start, end in itertools.pairwise(bounds):
            part = logit[start:end]
            top = part.max()
            log_norm = top + np.log(np.exp(part - top).sum())
            value -= float(target[start:end] @ (part - log_norm))
            grad_logit[start:end] = np.exp(part - log_norm) - target[start:end]
        return value, z.T @ grad_logit + L2 * w

    result = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return LinearModel(names, mean, scale, result.x * keep, 0.0)


def predict(issue: Issue, unit_scores: np.ndarray, file_scores: np.ndarray) -> dict[str, list[str]]:
    order = np.lexsort((np.arange(unit_scores.size), -unit_scores))
    entities = [issue.entities[i] for i in order.tolist() if issue.entities[i]]
    modules: list[str] = []
    for entity in entities:
        path, _, qualname = entity.partition(":")
        module = f"{path}:{qualname.split('.')[0]}"
        if module not in modules:
            modules.append(module)
    file_order = np.lexsort((np.arange(file_scores.size), -file_scores))
    return {"found_files": [issue.files[i] for i in file_order.tolist()], "found_modules": modules,
            "found_entities": list(dict.fromkeys(entities))}


def hand_prediction(issue: Issue) -> dict[str, list[str]]:
    return predict(issue, issue.unit_x[:, UNIT_FEATURES.index("hand_score")],
                   issue.file_x[:, FILE_FEATURES.index("hand_score")])


def fit_all(issues: Sequence[Issue], dropped: Iterable[str] = ()) -> FusionModel:
    """The unit model, then the file model on file features stacked with the unit model's
    scores of the same issues."""
    pairs = [labels(i) for i in issues]
    units = fit([i.unit_x for i in issues], [p[0] for p in pairs], UNIT_FEATURES, dropped)
    stacked = [stack(i.file_x, i.files, unit_paths(i), units.score(i.unit_x)) for i in issues]
    files = fit(stacked, [p[1] for p in pairs], STACKED_FILE_FEATURES, dropped)
    return FusionModel(units, files, "")


def unit_paths(issue: Issue) -> list[str]:
    return [e.partition(":")[0] for e in issue.entities]


def learned_prediction(model: FusionModel, issue: Issue) -> dict[str, list[str]]:
    return predict(issue, *model.score(issue.unit_x, unit_paths(issue), issue.file_x, issue.files))


def cross_validate(issues: Sequence[Issue], dropped: Iterable[str] = ()) -> dict[str, dict[str, list[str]]]:
    """Learned predictions of every issue, each from a model trained on the other repositories."""
    out: dict[str, dict[str, list[str]]] = {}
    for repo in sorted({i.repo for i in issues}):
        model = fit_all([i for i in issues if i.repo != repo], dropped)
        for issue in (i for i in issues if i.repo == repo):
            out[issue.instance] = learned_prediction(model, issue)
    return out


def table(issues: Sequence[Issue], rows: Mapping[str, Mapping[str, Mapping[str, Sequence[str]]]]) -> dict[str, Any]:
    """Per repository and overall, each row's averaged figures."""
    by_repo: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        by_repo[issue.repo].append(issue)
    out: dict[str, Any] = {}
    for name, predictions in rows.items():
        scored = {i.instance: score_instance(predictions[i.instance], i.gold) for i in issues
                  if i.instance in predictions}
        out[name] = {"all": {"n": len(scored), **average(scored.values())}}
        for repo, members in sorted(by_repo.items(), key=lambda kv: -len(kv[1])):
            chosen = [scored[i.instance] for i in members if i.instance in scored]
            out[name][repo] = {"n": len(chosen), **average(chosen)}
    return out


def render(result: Mapping[str, Any]) -> str:
    lines = []
    for name, groups in result.items():
        if name.startswith("held out"):
            lines.append(f"\n## {name}\n" + render(groups))
            continue
        lines.append(f"== {name}")
        lines.append(f"{'':<10}{'n':>4}" + "".join(f"{c.short:>7}" for c in REPORTED))
        for group, figures in groups.items():
            lines.append(f"{group:<10}{figures['n']:>4}" + "".join(
                f"{(figures.get(c.name) or 0.0) * 100:>7.1f}" for c in REPORTED))
    return "\n".join(lines)


LEARNED = "learned (grouped CV)"


def read_predictions(path: Path) -> dict[str, dict[str, Any]]:
    return {row["instance_id"]: row for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def report(issues: Sequence[Issue], strong: Path | None = None, ablate: Iterable[str] = ()) -> dict[str, Any]:
    """The table of ``table`` for the hand-set fusion, the learned one under grouped
    cross-validation, the strong BM25's predictions in ``strong`` (JSON lines) when given, and
    the learned one without each feature group of ``ablate``."""
    rows: dict[str, Mapping[str, Mapping[str, Sequence[str]]]] = {
        "hand": {i.instance: hand_prediction(i) for i in issues}, LEARNED: cross_validate(issues)}
    if strong is not None and strong.exists():
        rows["strong-bm25"] = read_predictions(strong)
    for group in ablate:
        if group not in GROUPS:
            raise SystemExit(f"unknown feature group {group!r}; known: {', '.join(GROUPS)}")
        rows[f"learned without {group}"] = cross_validate(issues, GROUPS[group])
    return table(issues, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dump", type=Path, required=True, help="directory of dumped candidates (dump=DIR)")
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--strong", type=Path, help="the strong BM25's predictions (JSON lines) on the same issues")
    parser.add_argument("--ablate", help="comma-separated feature groups: " + ", ".join(GROUPS))
    parser.add_argument("--heldout", action="append", default=[], metavar="DEV:DUMP[:STRONG]",
                        help="also score another dev set (its dump, and its strong BM25 predictions) with a "
                             "model trained on every issue of --dump: repositories and languages never seen")
    parser.add_argument("--write", action="store_true", help=f"fit on every issue and write {MODEL_FILE}")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    issues = load(args.dump, args.dev)
    if not issues:
        raise SystemExit(f"no dumped issue of {args.dev} in {args.dump}")
    result = report(issues, args.strong, args.ablate.split(",") if args.ablate else ())
    for spec in args.heldout:
        dev, dump, *strong = spec.split(":")
        others = load(Path(dump), Path(dev))
        model = fit_all(issues)
        rows: dict[str, Mapping[str, Mapping[str, Sequence[str]]]] = {
            "hand": {i.instance: hand_prediction(i) for i in others},
            "learned (trained on --dump)": {i.instance: learned_prediction(model, i) for i in others}}
        if strong:
            rows["strong-bm25"] = read_predictions(Path(strong[0]))
        result[f"held out: {Path(dev).name}"] = table(others, rows)
    if args.write:
        model = fit_all(issues)
        learned = result[LEARNED]["all"]
        trained_on = (f"the localization dev set ({len(issues)} issues of {len({i.repo for i in issues})} "
                      "repositories, SWE-bench Verified); cross-validated by repository: "
                      + ", ".join(f"{c.name} {learned.get(c.name, 0) * 100:.1f}" for c in REPORTED))
        FusionModel(model.units, model.files, trained_on).save(MODEL_FILE, {"cross_validated": learned})
    print(json.dumps(result, indent=1) if args.json else render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
