"""What the indexer remembers between runs, beside the graph: per file, its content hash,
its extracted facts, its share of the graph and the paths its resolution looked at; and the
stat of every file when it was read, by which a reader tells cheaply what changed since.

Kept in SQLite (``state.sqlite`` in the index directory), keyed by path, with the schema
version and a generation number that must match the graph store's, so a half-written index
is detected and rebuilt rather than trusted.

The ``stats`` table came after the others and needs no new schema version: a state without it
(or whose ``stats_generation`` is not its ``generation``, as when a repolens that did not know
the table re-indexed) reads as having no stats, and readers compare content hashes instead.
"""

from __future__ import annotations

import json
import marshal
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.model import Edge, EdgeKind, FileStatus, Node, NodeKind, Resolution

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    language TEXT,
    status TEXT NOT NULL,
    error TEXT,
    interface TEXT,
    facts BLOB,
    graph BLOB NOT NULL,
    symbols BLOB NOT NULL,
    touched BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS stats (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL
);
"""

RACY_NS = 2_000_000_000
"""A stat taken less than this long after the file's mtime does not prove it unchanged since:
covers coarse timestamps (1 s on ext3 and HFS+, 2 s on FAT) and the kernel's coarse clock."""

StatKey = tuple[int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode) of a file, as ``WalkedFile.stat_key`` gives it."""


@dataclass(slots=True)
class FileRecord:
    path: str
    hash: str
    language: str | None
    status: FileStatus
    error: str | None
    interface: str | None
    facts: bytes | None
    graph: bytes
    symbols: bytes
    touched: bytes


def encode_graph(nodes: Iterable[Node], edges: Iterable[Edge]) -> bytes:
    return marshal.dumps((
        [(n.id, n.kind.value, n.name, n.path, n.qualname, n.start_line, n.end_line, n.signature,
          n.doc, n.language, n.status.value if n.status else None, n.error) for n in nodes],
        [(e.kind.value, e.source, e.target, e.line, e.resolution.value if e.resolution else None,
          e.name) for e in edges],
    ))


def decode_graph(data: bytes) -> tuple[list[Node], list[Edge]]:
    nodes, edges = marshal.loads(data)
    return (
        [Node(i, NodeKind(k), n, p, q, s, e, sig, d, lang, FileStatus(st) if st else None, err)
         for i, k, n, p, q, s, e, sig, d, lang, st, err in nodes],
        [Edge(EdgeKind(k), s, t, ln, Resolution(r) if r else None, nm) for k, s, t, ln, r, nm in edges],
    )


def problem_lists(problems: Iterable[tuple[str, FileStatus, str | None]]
                  ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(path, status, why) items as the index report and the status show them: the skipped
    files with their ``reason`` and the partial ones with their ``error``, in the given order."""
    items = list(problems)
    return ([{"path": p, "reason": why or ""} for p, status, why in items if status is FileStatus.SKIPPED],
            [{"path": p, "error": why or ""} for p, status, why in items if status is FileStatus.PARTIAL])


class IndexState:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        """Open (creating it unless ``read_only``) the state at ``path``. A read-only state is
        never written, not even to add a table, so readers can open it while an index is made."""
        self.path = path
        if read_only:
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        else:
            self.db = sqlite3.connect(str(path))
            self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, hash FROM files"))

    def stats(self) -> dict[str, StatKey]:
        """The stat of each file when the last index run read it; empty when that run did not
        record them (see the module's docstring)."""
        if self.get_meta("stats_generation") != self.get_meta("generation"):
            return {}
        try:
            rows = self.db.execute("SELECT path, size, mtime_ns, ctime_ns, inode FROM stats")
            return {path: (size, mtime, ctime, inode) for path, size, mtime, ctime, inode in rows}
        except sqlite3.OperationalError:  # a read-only state made before the table existed
            return {}

    def interfaces(self) -> dict[str, str | None]:
        return dict(self.db.execute("SELECT path, interface FROM files"))

    def facts(self, path: str) -> bytes | None:
        row = self.db.execute("SELECT facts FROM files WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def graph(self, path: str) -> bytes | None:
        row = self.db.execute("SELECT graph FROM files WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def graphs(self) -> Iterator[tuple[str, bytes]]:
        """Every file's share of the graph (see ``encode_graph``), by path in order."""
        yield from self.db.execute("SELECT path, graph FROM files ORDER BY path")

    def record(self, path: str) -> FileRecord | None:
        row = self.db.execute(
            "SELECT path, hash, language, status, error, interface, facts, graph, symbols, touched "
            "FROM files WHERE path = ?", (path,)).fetchone()
        if row is None:
            return None
        return FileRecord(row[0], row[1], row[2], FileStatus(row[3]), *row[4:])

    def problems(self) -> list[tuple[str, FileStatus, str | None]]:
        """The files not indexed whole, by path: (path, skipped or partial, why)."""
        rows = self.db.execute("SELECT path, status, error FROM files WHERE status != ? ORDER BY path",
                               (FileStatus.OK.value,))
        return [(path, FileStatus(status), error) for path, status, error in rows]

    def touched(self) -> Iterator[tuple[str, list[str]]]:
        for path, blob in self.db.execute("SELECT path, touched FROM files"):
            yield path, marshal.loads(blob)

    def symbols(self, paths: Iterable[str] | None = None) -> Iterator[tuple[str, list[str]]]:
        """The symbols each file points at: of every file, or of ``paths``."""
        if paths is None:
            rows: Iterable[tuple[str, bytes]] = self.db.execute("SELECT path, symbols FROM files")
        else:
            rows = (row for path in paths
                    for row in self.db.execute("SELECT path, symbols FROM files WHERE path = ?", (path,)))
        for path, blob in rows:
            yield path, marshal.loads(blob)

    def write(self, records: Iterable[FileRecord], deleted: Iterable[str], meta: dict[str, Any],
              stats: dict[str, StatKey] | None = None) -> None:
        """Store ``records``, drop ``deleted`` and set ``meta``, in one transaction. ``stats``, when
        given, replaces every file's stat and is marked as of ``meta["generation"]``."""
        with self.db:
            self.db.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in deleted))
            self.db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((r.path, r.hash, r.language, r.status.value, r.error, r.interface, r.facts, r.graph,
                  r.symbols, r.touched) for r in records))
            if stats is not None:
                self.db.execute("DELETE FROM stats")
                self.db.executemany("INSERT INTO stats VALUES (?, ?, ?, ?, ?)",
                                    ((path, *key) for path, key in stats.items()))
                self.set_meta("stats_generation", meta["generation"])
            for key, value in meta.items():
                self.set_meta(key, value)
