"""What both parts of the adversarial bench (``hostile.py``) share: the repository's root, peak
resident memory of a process and its descendants read from /proc, and how ``--scale`` turns into
counts of queries and files."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
"""The repository: the cypher part serves a copy of its tests/fixtures/pyrepo, the files part runs
the CLI in it."""
T = TypeVar("T")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MB = 1 << 20


def resident_bytes(pid: int) -> int:
    """The resident set of ``pid`` (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                parent = int(f.read().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class RssSampler:
    """Samples, in a daemon thread, the resident set of one process and the total of its
    descendants, keeping the peaks (bytes)."""

    def __init__(self, pid: int, interval: float) -> None:
        self.pid, self.interval = pid, interval
        self.peak_self = self.peak_children = self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def sample(self) -> None:
        own = resident_bytes(self.pid)
        children = sum(resident_bytes(p) for p in descendants(self.pid))
        self.peak_self = max(self.peak_self, own)
        self.peak_children = max(self.peak_children, children)
        self.peak_total = max(self.peak_total, own + children)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()


def take(items: Sequence[T], count: int) -> list[T]:
    """``count`` items spread evenly over ``items``, first one included."""
    if count >= len(items):
        return list(items)
    return [items[i * len(items) // count] for i in range(count)]


def scaled(count: int, scale: float) -> int:
    """``count`` times ``scale``, rounded, and at least 1."""
    return max(1, round(count * scale))

