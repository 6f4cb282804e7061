"""Which files changed on disk since the index was made, found cheaply: a stat pass, as git does.

With each file's content hash, the indexer records the file's stat as its walk saw it (size,
mtime, ctime, inode; see ``indexer.state``). A check walks the repository by the indexer's own
rules (``source_files``, with the walk options the index was made with) and compares: a path the
index lacks was added, a recorded path no longer walked was deleted, and a file whose stat
differs is read and hashed, and counts as modified only when its content hash differs, so a
``touch``, a ``chmod`` or a checkout that wrote the same bytes is no change.

An equal stat proves nothing when the recorded mtime is within ``RACY_NS`` of the moment the
stat was taken: the file may have changed again within the same timestamp tick (git's "racily
clean" entries). Such files are hashed as well; they are the few written just before indexing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from indexer.pipeline import source_files
from indexer.state import RACY_NS, IndexState, StatKey
from indexer.walk import DEFAULT_MAX_FILE_BYTES, WalkedFile, WalkOptions, content_hash, read_source


@dataclass(frozen=True, slots=True)
class Changes:
    """Files added, modified (by content) and deleted since the index was made, sorted."""

    added: tuple[str, ...]
    modified: tuple[str, ...]
    deleted: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.added) + len(self.modified) + len(self.deleted)


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the last index run recorded of the files it read."""

    generation: int
    """Grows with every index run; equal generations mean the same record."""
    indexed_at: float | None
    commit: str | None
    hashes: dict[str, str]
    stats: dict[str, StatKey]
    """Empty when the run did not record stats (an index made by an older repolens)."""
    stats_at_ns: int
    """Wall-clock time (``time.time_ns``) just before the run's walk took the stats."""
    walk: WalkOptions
    """The ignore patterns and size limit the run walked and read with."""


def load_recorded(state_path: Path, known: Recorded | None = None) -> Recorded | None:
    """The record in the index state at ``state_path``, read without writing to it; ``known``
    itself when the state still holds the same generation (one small query instead of a read
    of every file's row). None when there is no state."""
    if not state_path.exists():
        return None
    state = IndexState(state_path, read_only=True)
    try:
        generation = int(state.get_meta("generation", 0))
        if known is not None and known.generation == generation:
            return known
        walk = state.get_meta("walk") or {}
        return Recorded(
            generation=generation,
            indexed_at=float(state.get_meta("indexed_at", 0.0)) or None,
            commit=state.get_meta("commit"),
            hashes=state.hashes(),
            stats=state.stats(),
            stats_at_ns=int(state.get_meta("stats_at_ns", 0)),
            walk=WalkOptions(max_file_bytes=int(walk.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)),
                             extra_ignores=tuple(walk.get("extra_ignores", ()))),
        )
    finally:
        state.close()


@dataclass(frozen=True, slots=True)
class Scan:
    """The files on disk that the indexer would read, by path, with their stats."""

    files: dict[str, WalkedFile]
    taken_at: float
    """``time.monotonic()`` when the walk began."""


def scan(root: Path, db_dir: Path, walk: WalkOptions, deadline: float | None = None) -> Scan:
    """Walk ``root`` as the indexer does (``db_dir`` left out). Raises ``WalkDeadlineExceeded``
    (a TimeoutError) past ``deadline``, a ``time.monotonic()`` value, and ``WalkError`` when the
    root is gone."""
    taken_at = time.monotonic()
    return Scan({f.path: f for f in source_files(root, db_dir, walk, deadline=deadline)}, taken_at)


class Checker:
    """Compares scans with the record. It keeps the hashes it computed with the stat each was
    computed for, so a file touched once is read once, not at every check. Not thread-safe:
    callers take turns."""

    def __init__(self) -> None:
        self._hashed: dict[str, tuple[StatKey, int, str]] = {}
        """By path: the stat and size limit a hash was computed with, and the hash."""

    def changes(self, recorded: Recorded, current: Scan, deadline: float | None = None) -> Changes:
        """What differs between ``recorded`` and ``current``. Raises TimeoutError when the
        files to hash take it past ``deadline``."""
        added = tuple(sorted(p for p in current.files if p not in recorded.hashes))
        deleted = tuple(sorted(p for p in recorded.hashes if p not in current.files))
        racy_after = recorded.stats_at_ns - RACY_NS
        modified = []
        for path, f in current.files.items():
            old_hash = recorded.hashes.get(path)
            if old_hash is None:
                continue
            key = f.stat_key
            if recorded.stats.get(path) == key and key[1] < racy_after:
                continue
            if self._hash(f, recorded.walk.max_file_bytes, deadline) != old_hash:
                modified.append(path)
        return Changes(added, tuple(sorted(modified)), deleted)

    def _hash(self, f: WalkedFile, max_file_bytes: int, deadline: float | None) -> str:
        key = f.stat_key
        known = self._hashed.get(f.path)
        if known is not None and known[:2] == (key, max_file_bytes):
            return known[2]
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError("hashing the changed files ran past the time budget")
        hashed_at_ns = time.time_ns()
        digest = content_hash(read_source(f, max_file_bytes))
        if key[1] < hashed_at_ns - RACY_NS:  # else the file may change again under the same stat
            self._hashed[f.path] = (key, max_file_bytes, digest)
        return digest
