"""The mark of a saved search context: a small JSON file written after everything else in
``<index dir>/retrieval/``, naming the graph generation the saved indexes match and what the
update that made them cost. Readable without numpy or scipy, so status answers stay light."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

RETRIEVAL_DIR = "retrieval"
MARK_FILE = "context.json"
CONTEXT_VERSION = 5
"""Bumped when the saved context changes form; a context of another version is rebuilt."""


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_mark(index_dir: Path, generation: int, units: int, dense_model: str | None,
               costs: Mapping[str, Any] | None = None) -> None:
    write_atomic(index_dir / RETRIEVAL_DIR / MARK_FILE, json.dumps({
        "version": CONTEXT_VERSION, "generation": generation, "units": units, "dense": dense_model,
        "updated_at": time.time(), "costs": dict(costs or {})}).encode())


def remove_mark(index_dir: Path) -> None:
    (index_dir / RETRIEVAL_DIR / MARK_FILE).unlink(missing_ok=True)


def saved_mark(index_dir: Path) -> dict[str, Any] | None:
    """What the saved context says of itself (``generation``, ``units``, ``dense`` model,
    ``updated_at``, ``costs`` of the update that made it); None without a complete one of this
    version."""
    try:
        mark = json.loads((index_dir / RETRIEVAL_DIR / MARK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(mark, dict) or mark.get("version") != CONTEXT_VERSION:
        return None
    return mark


def saved_generation(index_dir: Path) -> int | None:
    """The graph generation the saved context matches; None without a complete one."""
    generation = (saved_mark(index_dir) or {}).get("generation")
    return generation if isinstance(generation, int) else None
