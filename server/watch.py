"""Keeping served indexes fresh: a polling watcher per repository and a warm-up.

Polling (the stat of the files the indexer would read, every ``interval`` seconds) needs no
platform file-notification API and sees edits made by any tool, including editors that replace
files. A change is indexed once the files have been still for one more poll, so a burst of
saves costs one incremental re-index. The polls are the repository's own scans
(:meth:`Repo.snapshot`), which the freshness of answers reuses rather than walk again.
"""

from __future__ import annotations

import logging
import threading

from indexer.state import StatKey
from server.workspace import Repo

log = logging.getLogger(__name__)

Snapshot = dict[str, StatKey]


def snapshot(repo: Repo) -> Snapshot:
    """The stat of every file the indexer would read, by path, walked now."""
    return {path: f.stat_key for path, f in repo.snapshot().files.items()}


class Watcher:
    """Re-indexes ``repo`` incrementally whenever its files change, until stopped."""

    def __init__(self, repo: Repo, interval: float = 1.0) -> None:
        self.repo = repo
        self.interval = interval
        self.reindexes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch-{repo.name}", daemon=True)

    def start(self) -> None:
        self.repo.watch_interval = self.interval
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.repo.watch_interval = None

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
                if now == seen:
                    continue
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
