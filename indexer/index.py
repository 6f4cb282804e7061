"""Opening an existing index for reading, with clear errors instead of crashes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.freshness import Checker, load_recorded, scan
from indexer.model import SCHEMA_VERSION
from indexer.pipeline import index_dir
from indexer.search.mark import saved_mark
from indexer.state import IndexState, problem_lists
from indexer.store.base import GraphStore, StoreError
from indexer.store.config import GRAPH_FILE, StoreConfig, load_config, open_graph_store


class IndexNotReady(Exception):
    """There is no usable index; the message says which command makes one."""


def locate(repo: Path, db_dir: Path | None = None) -> tuple[Path, Path]:
    root = repo.resolve()
    return root, index_dir(root, db_dir)


def _hint(root: Path, db_dir: Path | None, config: StoreConfig, rebuild: bool = False) -> str:
    command = f"repolens index {root}"
    if db_dir:
        command += f" --db {db_dir}"
    if config.backend != "kuzu":
        command += f" --backend {config.backend}"
    if rebuild:
        command += " --rebuild"
    return f"run `{command}`"


def open_store(repo: Path, db_dir: Path | None = None, config: StoreConfig | None = None) -> GraphStore:
    """A read-only store on ``repo``'s graph; IndexNotReady when there is none, or one made by
    an incompatible version."""
    root, directory = locate(repo, db_dir)
    config = config or load_config(root)
    if config.backend == "kuzu" and not (directory / GRAPH_FILE).exists():
        raise IndexNotReady(f"no index at {directory}; {_hint(root, db_dir, config)} to build one")
    try:
        store = open_graph_store(config, directory, read_only=True)
    except StoreError as exc:
        if config.backend == "kuzu":
            raise IndexNotReady(f"the index at {directory} cannot be opened ({exc}); "
                                f"{_hint(root, db_dir, config, rebuild=True)}") from exc
        raise
    stored = store.get_meta("schema_version")
    if stored != str(SCHEMA_VERSION):
        store.close()
        where = config.describe()
        if stored is None:
            raise IndexNotReady(f"no graph of {config.repo_id!r} in {where}; {_hint(root, db_dir, config)}")
        raise IndexNotReady(f"the graph in {where} has schema version {stored}, this repolens reads "
                            f"version {SCHEMA_VERSION}; {_hint(root, db_dir, config)} to rebuild it")
    return store


@dataclass(slots=True)
class IndexStatus:
    root: str
    db_dir: str
    schema_version: int
    indexed_at: str
    commit: str | None
    files: int
    pending: dict[str, list[str]] = field(default_factory=dict)
    """Files ``added``, ``modified`` and ``deleted`` since the index was made."""
    skipped: list[dict[str, str]] = field(default_factory=list)
    """Files walked but not indexed, with the reason (binary, too large, over a budget)."""
    partial: list[dict[str, str]] = field(default_factory=list)
    """Files indexed in part, with what was left out (syntax errors, over a budget)."""
    search: dict[str, Any] = field(default_factory=dict)
    """The search indexes (see ``search_status``)."""

    @property
    def fresh(self) -> bool:
        return not any(self.pending.values())


def status(repo: Path, db_dir: Path | None = None, config: StoreConfig | None = None) -> IndexStatus:
    """When and from which commit the index was made, and which files changed since (by stat,
    then content hash: see ``indexer.freshness``); needs the local index state (IndexNotReady
    without it)."""
    root, directory = locate(repo, db_dir)
    config = config or load_config(root)
    state_path = directory / config.state_name()
    recorded = load_recorded(state_path)
    if recorded is None:
        raise IndexNotReady(f"no index state at {directory} for {config.describe()}; "
                            f"{_hint(root, db_dir, config)} to build one")
    state = IndexState(state_path, read_only=True)
    try:
        problems = state.problems()
    finally:
        state.close()
    changes = Checker().changes(recorded, scan(root, directory, recorded.walk))
    pending = {"added": list(changes.added), "modified": list(changes.modified), "deleted": list(changes.deleted)}
    return IndexStatus(str(root), str(directory), SCHEMA_VERSION,
                       time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(recorded.indexed_at or 0.0)),
                       recorded.commit, len(recorded.hashes), pending, *problem_lists(problems),
                       search=search_status(directory, recorded.generation))


def search_status(directory: Path, generation: int) -> dict[str, Any]:
    """The saved search indexes: ``built``, ``fresh`` (they match graph ``generation``),
    ``units``, ``semantic`` (the embedding model, None without a dense index), ``updated_at``
    and ``costs`` (seconds per part of the update that made them: graph, units, graph
    adjacency, lexical, dense, save)."""
    mark = saved_mark(directory)
    if mark is None:
        return {"built": False, "fresh": False, "units": 0, "semantic": None, "updated_at": None, "costs": {}}
    at = mark.get("updated_at")
    return {"built": True, "fresh": mark.get("generation") == generation, "units": mark.get("units", 0),
            "semantic": mark.get("dense"), "costs": mark.get("costs", {}),
            "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(at)) if at else None}
