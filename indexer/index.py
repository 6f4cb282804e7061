"""Opening an existing index for reading, with clear errors instead of crashes."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from indexer.languages import languages_by_extension
from indexer.model import SCHEMA_VERSION
from indexer.pipeline import GRAPH_FILE, STATE_FILE, index_dir
from indexer.state import IndexState
from indexer.store.base import StoreError
from indexer.store.kuzu_store import KuzuStore
from indexer.walk import WalkOptions, read_source, walk_repository


class IndexNotReady(Exception):
    """There is no usable index; the message says which command makes one."""


def locate(repo: Path, db_dir: Path | None = None) -> tuple[Path, Path]:
    root = repo.resolve()
    return root, index_dir(root, db_dir)


def check_index(repo: Path, db_dir: Path | None = None) -> Path:
    """The index directory of ``repo``, or IndexNotReady when it is missing or was made by an
    incompatible version."""
    root, directory = locate(repo, db_dir)
    state_path = directory / STATE_FILE
    hint = f"run `repolens index {root}" + (f" --db {directory}`" if db_dir else "`")
    if not state_path.exists() or not (directory / GRAPH_FILE).exists():
        raise IndexNotReady(f"no index at {directory}; {hint} to build one")
    state = IndexState(state_path)
    try:
        version = state.get_meta("schema_version")
    finally:
        state.close()
    if version != SCHEMA_VERSION:
        raise IndexNotReady(f"the index at {directory} was built with schema version {version}, "
                            f"this repolens reads version {SCHEMA_VERSION}; {hint} to rebuild it")
    return directory


def open_store(repo: Path, db_dir: Path | None = None) -> KuzuStore:
    """A read-only store on ``repo``'s index."""
    directory = check_index(repo, db_dir)
    try:
        return KuzuStore(directory / GRAPH_FILE, read_only=True)
    except StoreError as exc:
        raise IndexNotReady(f"the index at {directory} cannot be opened ({exc}); "
                            f"run `repolens index {repo} --rebuild`") from exc


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

    @property
    def fresh(self) -> bool:
        return not any(self.pending.values())


def status(repo: Path, db_dir: Path | None = None) -> IndexStatus:
    directory = check_index(repo, db_dir)
    root = repo.resolve()
    state = IndexState(directory / STATE_FILE)
    try:
        old = state.hashes()
        indexed_at = state.get_meta("indexed_at", 0.0)
        commit = state.get_meta("commit")
    finally:
        state.close()
    current: dict[str, str] = {}
    for f in walk_repository(root, languages_by_extension(), WalkOptions()):
        if f.abspath.startswith(str(directory)):
            continue
        read = read_source(f)
        current[f.path] = hashlib.blake2b(read.data or (read.skip_reason or "").encode(),
                                          digest_size=16).hexdigest()
    pending = {
        "added": sorted(set(current) - set(old)),
        "modified": sorted(p for p in current if p in old and old[p] != current[p]),
        "deleted": sorted(set(old) - set(current)),
    }
    return IndexStatus(str(root), str(directory), SCHEMA_VERSION,
                       time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(indexed_at)),
                       commit, len(old), pending)
