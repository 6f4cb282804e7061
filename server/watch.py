"""Keeping served indexes fresh: a polling watcher per repository and a warm-up.

Polling (size and modification time of the files the indexer would read, every
``interval`` seconds) needs no platform file-notification API and sees edits made by any
tool, including editors that replace files. A change is indexed once the files have been
still for one more poll, so a burst of saves costs one incremental re-index.
"""

from __future__ import annotations

import logging
import os
import threading

from indexer.pipeline import source_files
from server.workspace import Repo

log = logging.getLogger(__name__)

Snapshot = dict[str, tuple[int, int]]


def snapshot(repo: Repo) -> Snapshot:
    """(size, mtime_ns) of every file the indexer would read."""
    state: Snapshot = {}
    for f in source_files(repo.root, repo.db_dir):
        try:
            st = os.stat(f.abspath)
        except OSError:
            continue
        state[f.path] = (st.st_size, st.st_mtime_ns)
    return state


def changed(old: Snapshot, new: Snapshot) -> int:
    return len(set(old) ^ set(new)) + sum(1 for p in old.keys() & new.keys() if old[p] != new[p])


class Watcher:
    """Re-indexes ``repo`` incrementally whenever its files change, until stopped."""

    def __init__(self, repo: Repo, interval: float = 1.0) -> None:
        self.repo = repo
        self.interval = interval
        self.reindexes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch-{repo.name}", daemon=True)

    def start(self) -> None:
        self.repo.watching = True
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.repo.watching = False

    def _run(self) -> None:
        try:
            seen = snapshot(self.repo)
            self._reindex()  # catch up with edits made while nobody was watching
        except Exception:
            log.exception("watching %s failed to start", self.repo.root)
            return
        while not self._stop.wait(self.interval):
            try:
                now = snapshot(self.repo)
                count = changed(seen, now)
                if not count:
                    continue
                self.repo.pending_files = count
                if self._stop.wait(self.interval):
                    break
                settled = snapshot(self.repo)
                if settled != now:  # still being written: look again next round
                    continue
                self._reindex()
                seen = settled
            except Exception:  # a watcher must outlive one bad round (a file vanishing mid-walk)
                log.exception("re-indexing %s failed; will retry", self.repo.root)

    def _reindex(self) -> None:
        report = self.repo.reindex()
        self.reindexes += 1
        if report.mode != "unchanged":
            log.info("re-indexed %s: %s, %d parsed, %d deleted in %.2fs", self.repo.name, report.mode,
                     report.parsed, report.deleted, report.seconds)


def warm_up(repos: list[Repo]) -> threading.Thread:
    """Load every repository's store, search indexes and embedding model in the background,
    so the first real request does not pay for them."""

    def work() -> None:
        for repo in repos:
            try:
                with repo.store():
                    pass
                context = repo.context()
                if context.dense is not None:
                    context.dense.scores("warm up")
            except Exception as exc:  # the request that needs it will report the problem
                log.info("warm-up of %s skipped: %s", repo.name, exc)

    thread = threading.Thread(target=work, name="warm-up", daemon=True)
    thread.start()
    return thread
