"""Keeping served indexes fresh: a watcher per repository, and a warm-up.

A :class:`Watcher` learns of changes from the operating system's file events (``watchfiles``:
inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows), so an idle repository
costs no walk of its tree. Only events on paths the indexer could read count
(:class:`RelevantChanges`): the index's own directory, ``.git``, the walk's default-ignored
directories, virtualenvs, editors' temporary and backup files and files of no indexed language
are left out. Events are debounced: once they have been quiet for ``QUIET_MS`` (or at the latest
``MAX_WAIT_MS`` after the first of a never-ending stream), one incremental re-index takes them
all, so an editor's atomic save, a ``git checkout`` or a formatter run costs one re-index.
Watching starts before the catch-up re-index that follows the start, so no edit made meanwhile
is lost.

Where events are unavailable the watcher polls: the stat of every file the
indexer would read (:meth:`Repo.snapshot`, whose scans the freshness of answers then reuses),
every ``interval`` seconds, re-indexing once the changed files have been still for one more
poll. It polls when ``REPOLENS_WATCH=poll``, when ``watchfiles`` cannot be imported, when the
repository is on a network or host-shared filesystem (changes made on the other side raise no
events here), and when watching fails, e.g. with the inotify watch limit reached.
``Repo.watch_mode`` says which ("events" or "polling"), and the log says why.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path

from indexer.languages import build_outputs, languages_by_extension
from indexer.state import StatKey
from indexer.walk import (
    ALWAYS_IGNORED_DIRS,
    DEFAULT_IGNORED_DIR_SUFFIXES,
    DEFAULT_IGNORED_DIRS,
    ROOT_IGNORED_DIRS,
    VIRTUALENV_MARKER,
)
from server.workspace import WAIT_SECONDS, Repo

try:
    from watchfiles import Change, watch

    EVENTS_IMPORT_ERROR: str | None = None
except ImportError as exc:  # a watcher then polls
    EVENTS_IMPORT_ERROR = str(exc)

log = logging.getLogger(__name__)

Snapshot = dict[str, StatKey]

QUIET_MS = 50
"""Events quiet this long end a burst (``watchfiles`` looks every ``QUIET_MS``, so a re-index
starts 50 to 100 ms after the last event). An atomic save takes well under a millisecond and a
checkout writes its files back to back; formatters and code generators that write file after
file leave gaps of a few to tens of milliseconds (watchman settles after 20 ms). A burst split
in two costs a second, incremental re-index; waiting longer delays every answer after a save."""
VERIFY_SECONDS = 5.0
"""After a re-index that looked only at the files events named, the tree is walked once this
long after the last one (a burst of edits costs one walk): an event the operating system lost
(an overflowing inotify queue) is caught then."""
MAX_WAIT_MS = 2_000
"""A stream of events that never pauses for ``QUIET_MS`` is indexed this long after it began
(then again, while it lasts): longer than a large checkout takes, short enough to stay fresh."""
RETRY_SECONDS = 5.0
"""A re-index that failed is tried again after this long, or on the next change."""
RESTARTS = 3
"""File watching that fails this many times within ``RESTART_WINDOW`` seconds while running gives
way to polling; after a failure it starts again (a file name it cannot decode fails it once)."""
RESTART_WINDOW = 60.0
WATCH_ENV = "REPOLENS_WATCH"
"""``poll`` forces polling; ``events`` uses file events even on a filesystem that looks remote;
``auto`` (or unset) decides."""
NO_EVENT_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "v9fs", "drvfs", "vboxsf", "prl_fs", "vmhgfs",
    "fuse.vmhgfs-fuse", "fuse.sshfs",
})
"""Linux filesystem types whose files are also changed from another machine or from the host
of a VM or WSL, changes that raise no inotify event here."""

_EDITOR_TEMP = re.compile(
    r"^\.#"  # emacs lock (a dangling symlink named like the file)
    r"|^#.*#$"  # emacs auto-save
    r"|~$"  # vim and emacs backups
    r"|^4913$"  # vim's check that the directory is writable
    r"|\.(sw[a-px]|tmp|temp|bak|orig|rej|crswap)$"  # vim swap files; temporary and leftover files
    r"|___jb_(tmp|old)___$"  # JetBrains' safe write
    r"|^\.goutputstream-",  # GNOME's
    re.IGNORECASE)


def snapshot(repo: Repo) -> Snapshot:
    """The stat of every file the indexer would read, by path, walked now."""
    return {path: f.stat_key for path, f in repo.snapshot().files.items()}


class RelevantChanges:
    """Which file events can change ``repo``'s index, by the walk's rules that a path alone
    tells (``watchfiles``' ``watch_filter``): a file of an indexed language outside ignored
    directories, a ``.gitignore`` or ``.git/info/exclude``, a directory moved in (non-empty),
    and an extensionless path deleted or moved away (it may have been a directory). Patterns
    of ``.gitignore`` files are not applied (``indexer.walk`` does not expose them per path): an
    event on a git-ignored source file costs a re-index that finds nothing changed, and sources
    in a default-ignored directory that a ``.gitignore`` re-includes (``!build/``) are only
    seen with the next re-index or by polling."""

    def __init__(self, repo: Repo) -> None:
        self.root = str(repo.root)
        self._prefix = os.path.join(self.root, "")
        self._index = os.path.join(os.path.realpath(repo.db_dir), "")
        self._extensions = frozenset(languages_by_extension())
        self._build_outputs = frozenset(build_outputs())  # read where ignored (a root build/)

    def relative(self, path: str) -> str | None:
        """``path`` relative to the root, ``/``-separated; None outside the root or in the index."""
        if not path.startswith(self._prefix) or os.path.join(path, "").startswith(self._index):
            return None
        return path[len(self._prefix):].replace(os.sep, "/")

    def __call__(self, change: Change, path: str) -> bool:
        rel = self.relative(path)
        if rel is None:
            return False
        *dirs, name = rel.split("/")
        if (dirs == [".git", "info"] and name == "exclude") or rel in self._build_outputs:
            return True
        if any(_ignored_dir(part, at_root=depth == 0) for depth, part in enumerate([*dirs, name])):
            return False
        if _EDITOR_TEMP.search(name) or self._in_virtualenv(dirs):
            return False
        extension = os.path.splitext(name)[1].lower()
        if name == ".gitignore" or extension in self._extensions or name.lower() in self._extensions:
            return True
        # A directory moved in or out raises one event, for itself, not for the files it holds.
        if change == Change.added:
            return _nonempty_dir(path)
        return change == Change.deleted and not extension

    def _in_virtualenv(self, dirs: list[str]) -> bool:
        return any(os.path.exists(os.path.join(self.root, *dirs[:depth], VIRTUALENV_MARKER))
                   for depth in range(1, len(dirs) + 1))


def _ignored_dir(name: str, *, at_root: bool) -> bool:
    return (name in ALWAYS_IGNORED_DIRS or name in DEFAULT_IGNORED_DIRS or name.endswith(DEFAULT_IGNORED_DIR_SUFFIXES)
            or (at_root and name in ROOT_IGNORED_DIRS))


def _nonempty_dir(path: str) -> bool:
    try:
        with os.scandir(path) as entries:
            return any(True for _ in entries)
    except OSError:  # a file, or gone again
        return False


def events_unavailable(root: Path) -> str | None:
    """Why file events cannot keep ``root``'s index fresh (a watcher then polls), or None."""
    choice = os.environ.get(WATCH_ENV, "auto").strip().lower() or "auto"
    if choice in ("poll", "polling"):
        return f"{WATCH_ENV}={choice}"
    if choice not in ("auto", "events"):
        log.warning("%s=%s is neither poll, events nor auto; deciding as for auto", WATCH_ENV, choice)
    if EVENTS_IMPORT_ERROR is not None:
        return f"watchfiles cannot be imported ({EVENTS_IMPORT_ERROR})"
    filesystem = filesystem_type(root) if choice != "events" else None
    if filesystem in NO_EVENT_FILESYSTEMS:
        return (f"{root} is on a {filesystem} filesystem, where changes made elsewhere raise no events "
                f"({WATCH_ENV}=events watches by events anyway)")
    return None


def filesystem_type(path: Path) -> str | None:
    """The type of the filesystem holding ``path`` (``ext4``, ``nfs``, ...), from the mount table
    of Linux; None elsewhere."""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as mounts:
            table = [line.split() for line in mounts]
    except OSError:
        return None
    target, best, kind = str(path), -1, None
    for fields in table:
        if len(fields) < 3:
            continue
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])  # \040 is a space
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= best:  # the deepest; of equal ones the last, mounted on top
            best, kind = len(point), fields[2]
    return kind


class Watcher:
    """Re-indexes ``repo`` incrementally whenever its files change, until stopped: on file
    events, else by polling every ``interval`` seconds (see the module docstring). ``reindexes``
    counts the re-indexes run, the catch-up at the start included."""

    def __init__(self, repo: Repo, interval: float = 1.0) -> None:
        self.repo = repo
        self.interval = interval
        self.reindexes = 0
        self.verifications = 0
        """Walks of the whole tree made after event-led re-indexes (not counted in ``reindexes``)."""
        self.relevant = RelevantChanges(repo)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch-{repo.name}", daemon=True)

    def start(self) -> None:
        self.repo.watch_interval = self.interval
        self._thread.start()

    def stop(self) -> None:
        """Stop watching: at once when idle (within ``QUIET_MS``); a re-index under way is let
        finish, so the repository can be closed right after."""
        self._stop.set()
        self._thread.join(timeout=WAIT_SECONDS)
        self.repo.watch_interval = self.repo.watch_mode = None

    def _run(self) -> None:
        reason = events_unavailable(self.repo.root)
        if reason is None:
            reason = self._watch_events()
            if reason is None:
                return
            log.warning("watching %s by polling every %.1f s, file events failed: %s", self.repo.root,
                        self.interval, reason)
        else:
            log.info("watching %s by polling every %.1f s: %s", self.repo.root, self.interval, reason)
        self._poll()

    # -- file events ----------------------------------------------------------------------
    def _watch_events(self) -> str | None:
        """Re-index on file events until stopped (None), or until they fail (why)."""
        failures, failed_at = 0, float("-inf")
        while not self._stop.is_set():
            # rust_timeout=1 ms with yield_on_timeout: an empty batch after every quiet step,
            # the first of which says that watching has begun.
            batches = watch(self.repo.root, watch_filter=self.relevant, debounce=MAX_WAIT_MS, step=QUIET_MS,
                            stop_event=self._stop, rust_timeout=1, yield_on_timeout=True, raise_interrupt=False,
                            force_polling=False, ignore_permission_denied=True)
            try:
                try:
                    first = next(batches, None)
                except (OSError, RuntimeError) as exc:  # the watch limit reached, no inotify instance left
                    return str(exc)
                if first is None:
                    return None
                if not failures:
                    log.info("watching %s by file events (quiet %d ms, at most %d ms)", self.repo.root, QUIET_MS,
                             MAX_WAIT_MS)
                # The watcher makes no scans for the freshness of answers to reuse (see Repo._pending).
                self.repo.watch_mode, self.repo.watch_interval = "events", 0.0
                self._follow(chain([first], batches))
                return None
            except RuntimeError as exc:  # watchfiles failed: a path it cannot decode, a directory over the limit
                now = time.monotonic()
                failures, failed_at = (failures + 1 if now - failed_at < RESTART_WINDOW else 1), now
                if failures >= RESTARTS:
                    return f"{failures} failures within {RESTART_WINDOW:.0f} s, the last: {exc}"
                log.warning("file events for %s failed (%s); watching again", self.repo.root, exc)
            finally:
                batches.close()
        return None

    def _follow(self, batches: Iterator[set[tuple[Change, str]]]) -> None:
        """Re-index after every batch of relevant changes, looking only at the files the events
        name; the first batch is answered by a catch-up re-index of everything (anything may
        have changed before watching began), and ``VERIFY_SECONDS`` after the last event-led
        re-index a walk of the whole tree makes sure that no event was missed."""
        pending: set[str] | None = None  # None: anything may have changed
        retry_at = verify_at = 0.0
        for changes in batches:
            if self._stop.is_set():  # the repository is about to be closed
                return
            if pending is not None:
                pending.update(rel for _, path in changes if (rel := self.relevant.relative(path)) is not None)
                if not pending and not (verify_at and time.monotonic() >= verify_at):
                    continue
            if not changes and time.monotonic() < retry_at:
                continue
            try:
                if pending is None:
                    self._reindex()
                elif pending:
                    self._reindex(pending)
                else:
                    self._verify()
            except Exception:  # a watcher must outlive one bad round (the disk full, a file vanishing)
                log.exception("re-indexing %s failed; will retry", self.repo.root)
                retry_at = time.monotonic() + RETRY_SECONDS
            else:
                verify_at = time.monotonic() + VERIFY_SECONDS if pending else 0.0
                pending, retry_at = set(), 0.0

    # -- polling --------------------------------------------------------------------------
    def _poll(self) -> None:
        self.repo.watch_mode, self.repo.watch_interval = "polling", self.interval
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
                self._reindex(_differing(seen, settled))
                seen = settled
            except Exception:  # a watcher must outlive one bad round (a file vanishing mid-walk)
                log.exception("re-indexing %s failed; will retry", self.repo.root)

    def _verify(self) -> None:
        """Walk the whole tree after event-led re-indexes, to catch what events missed; then,
        the repository being quiet, settle the heap."""
        report = self.repo.reindex()
        self.verifications += 1
        if report.graph.mode != "unchanged":
            log.warning("%s: file events missed %d changed and %d deleted files; indexed now", self.repo.name,
                        report.graph.added + report.graph.modified, report.graph.deleted)
        settle_heap()

    def _reindex(self, paths: Iterable[str] | None = None) -> None:
        """Re-index incrementally. ``paths`` is what changed, repository-relative and
        ``/``-separated (a directory stands for what it held or holds, a ``.gitignore`` for the
        files it governs); None when anything may have changed."""
        report = self.repo.reindex(paths=None if paths is None else sorted(paths))
        self.reindexes += 1
        graph = report.graph
        if graph.mode != "unchanged":
            log.info("re-indexed %s: %s, %d parsed, %d deleted in %.2fs", self.repo.name, graph.mode, graph.parsed,
                     graph.deleted, report.seconds)


def _differing(before: Snapshot, after: Snapshot) -> set[str]:
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


def settle_heap() -> None:
    """Collect garbage, then exempt what survives from later collections (``gc.freeze``). A
    served repository's search indexes are hundreds of thousands of long-lived objects, and
    every full collection walks them all: 0.1-0.2 s on sympy, a pause that lands in whatever
    runs then, such as the re-index after a save. Objects frozen are still freed when nothing
    refers to them; only cycles among them wait for the next settling, which unfreezes first.
    Called when a server has loaded its indexes and when a watcher has been quiet a while."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


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
        settle_heap()

    thread = threading.Thread(target=work, name="warm-up", daemon=True)
    thread.start()
    return thread
