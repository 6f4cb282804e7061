"""The learned fusion: two linear models over ``queries.retrieval.features``, one scoring
candidate units (functions, methods, classes), one scoring candidate files (which also sees the
unit model's score of each file's best unit).

A model is a small JSON file shipped with the package (``fusion.json`` beside this module),
written by ``bench/learn_fusion.py`` from the localization dev set; it says what it was trained
on and the figures it reached under grouped cross-validation (trained on the other
repositories, scored on each). ``localize`` falls back to the hand-set fusion, and says so,
when the file is missing, unreadable, or lists other features than this version computes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from queries.retrieval.features import FILE_FEATURES, UNIT_FEATURES

MODEL_FILE = Path(__file__).with_name("fusion.json")
FORMAT = 1
STACKED_FILE_FEATURES = (*FILE_FEATURES, "best_unit_score")
"""The file model also sees the unit model's score of the file's best candidate unit."""


@dataclass(frozen=True, slots=True)
class LinearModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def score(self, rows: np.ndarray) -> np.ndarray:
        """The model's logit for each row of features."""
        if rows.size == 0:
            return np.zeros(rows.shape[0])
        return ((rows - self.mean) / self.scale) @ self.weights + self.bias

    def to_json(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...]) -> LinearModel:
        features = tuple(data["features"])
        if features != expected:
            raise ValueError(f"it was trained on other features ({len(features)}, this version computes "
                             f"{len(expected)})")
        arrays = [np.asarray(data[key], dtype=np.float64) for key in ("mean", "scale", "weights")]
        if any(a.shape != (len(features),) for a in arrays) or not all(np.isfinite(a).all() for a in arrays):
            raise ValueError("its arrays do not match its features")
        if (arrays[1] <= 0).any():
            raise ValueError("a feature scale is not positive")
        return cls(features, arrays[0], arrays[1], arrays[2], float(data["bias"]))


@dataclass(frozen=True, slots=True)
class FusionModel:
    units: LinearModel
    files: LinearModel
    trained_on: str
    """What data chose it, in words (``bench/learn_fusion.py`` writes it)."""

    def score(self, unit_rows: np.ndarray, unit_paths: list[str], file_rows: np.ndarray,
              file_paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unit and file scores (logits) of one issue's candidates."""
        unit_scores = self.units.score(unit_rows)
        return unit_scores, self.files.score(stack(file_rows, file_paths, unit_paths, unit_scores))

    def save(self, path: Path, extra: dict[str, Any] | None = None) -> None:
        data = {"format": FORMAT, "trained_on": self.trained_on, "units": self.units.to_json(),
                "files": self.files.to_json(), **(extra or {})}
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def stack(file_rows: np.ndarray, file_paths: list[str], unit_paths: list[str], unit_scores: np.ndarray) -> np.ndarray:
    """``file_rows`` with ``best_unit_score``: the best unit score among each file's candidate
    units (the lowest of all when it has none)."""
    floor = float(unit_scores.min()) if unit_scores.size else 0.0
    best = dict.fromkeys(file_paths, floor)
    for path, score in zip(unit_paths, unit_scores.tolist(), strict=True):
        if path in best and score > best[path]:
            best[path] = score
    column = np.array([best[p] for p in file_paths], dtype=np.float64).reshape(-1, 1)
    return np.hstack([file_rows, column])


def read_model(path: Path) -> FusionModel:
    """The model in ``path``; raises ``ValueError`` (or ``OSError``) saying what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"it is not JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"it is not a format-{FORMAT} fusion model")
    try:
        return FusionModel(LinearModel.from_json(data["units"], UNIT_FEATURES),
                           LinearModel.from_json(data["files"], STACKED_FILE_FEATURES), str(data.get("trained_on", "")))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"a part is missing or malformed ({exc})") from exc


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> tuple[FusionModel | None, str | None]:
    """The shipped model, or None and why not (read once per path)."""
    try:
        return read_model(path), None
    except FileNotFoundError:
        return None, f"no ranking model at {path}"
    except (OSError, ValueError) as exc:
        return None, f"the ranking model {path} cannot be used: {exc}"
