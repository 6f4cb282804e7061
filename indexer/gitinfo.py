"""The commit checked out in a repository: the ``head`` of every answer's freshness.

git answers (``rev-parse``), run so that an untrusted repository's config cannot make it run
anything. When git is missing or fails for another reason than "not a repository" or "no
commit yet" (a repository owned by another user, a timeout), a reader of the ``.git`` files
answers instead: it follows ``gitdir:`` files (linked worktrees, submodules), ``commondir``,
loose refs, ``packed-refs`` and symbolic refs as git does.

A git process costs about 2.5 ms and this is asked on every answer, so the reader also names
every file the answer depends on (HEAD, the refs it leads to, ``packed-refs``, the ``.git``
entries on the way up), and the answer is reused while their stats are unchanged: git writes
a ref or HEAD by renaming a new file over it, so a checkout, commit or reset changes a stat
and is seen at once, and a reused answer costs a few stats.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import stat
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.state import RACY_NS

log = logging.getLogger(__name__)

GIT_TIMEOUT = 2.0
"""Seconds git may take before the file reader answers instead."""

_SAFE_CONFIG = (
    # An untrusted repository's config must not run anything. rev-parse of a plain ref reads no
    # object, so no lazy fetch from a promisor remote (which runs a transport: ``ext::`` commands,
    # remote helpers, core.sshCommand) and no index (whose core.fsmonitor hook is a command); these
    # hold should that change. Command-line config overrides the repository's own.
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "protocol.allow=never",  # not enough alone: protocol.<name>.allow overrides it
    # A bare repository planted inside a checkout is not taken up with its config.
    "-c", "safe.bareRepository=explicit",
)
_SAFE_ENVIRONMENT = {
    "GIT_ALLOW_PROTOCOL": "",  # allows no transport whatever the config says
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",  # English messages: "not a git repository" is told from other failures
}

SYMREF_MAX_DEPTH = 5
"""Refs read to resolve HEAD, HEAD included, before giving up (git's ``SYMREF_MAXDEPTH``)."""

_SMALL_FILE = 64 * 1024
_PACKED_REFS_LIMIT = 64 * 1024 * 1024
_CACHE_LIMIT = 64
_OBJECT_ID = re.compile(rb"[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?")  # SHA-1 or SHA-256
_REF_NAME = re.compile(rb"refs/[^\x00-\x20\x7f~^:?*\[\\]+|[A-Z_-]+")
_PER_WORKTREE = (b"refs/bisect/", b"refs/worktree/", b"refs/rewritten/")

_Stamp = tuple[int, ...]
"""What a path's stat must keep for an answer to be reused: (device, inode, size, mtime_ns,
ctime_ns) for a file, (device, inode) for a directory (``.git`` changes whenever git writes its
index or a lock); None for a path that is not there."""
_Dependency = tuple[str, _Stamp | None]


class GitUnavailable(Exception):
    """git is not installed, or failed for another reason than "not a repository" or "no commit"."""


def git_commit(root: Path) -> str | None:
    """The commit checked out in ``root`` (or in the repository enclosing it), as lowercase hex;
    None outside a repository, on a branch with no commit yet, or when nothing can be read.
    Microseconds while HEAD and its refs are unchanged since a previous call."""
    key = os.fspath(root)
    entry = _cache.get(key)
    if entry is not None and all(_stamp_at(path) == saved for path, saved in entry.dependencies):
        return entry.commit
    reading = _read_files(root)  # before git: a change in between leaves stale stats, not a stale answer
    try:
        commit = commit_from_git(root)
    except GitUnavailable as error:
        log.debug("reading the commit of %s from .git files: %s", root, error)
        commit = reading.commit
    if time.time_ns() - reading.newest_mtime_ns >= RACY_NS:  # else it may change again under the same stats
        with _cache_lock:
            _cache.pop(key, None)
            while len(_cache) >= _CACHE_LIMIT:
                _cache.pop(next(iter(_cache)))
            _cache[key] = _Answer(commit, reading.dependencies)
    return commit


def commit_from_git(root: Path) -> str | None:
    """``git rev-parse --verify HEAD`` in ``root``: the commit, or None outside a repository or
    before the first commit. Raises :class:`GitUnavailable` when git is missing or fails otherwise."""
    git = _git_binary()
    if git is None:
        raise GitUnavailable("git is not installed")
    environment = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    environment.update(_SAFE_ENVIRONMENT)  # the server's own GIT_DIR or GIT_CONFIG_* must not leak in
    try:
        done = subprocess.run([git, *_SAFE_CONFIG, "-C", os.fspath(root), "rev-parse", "--verify", "--quiet",
                               "HEAD"], stdin=subprocess.DEVNULL, capture_output=True, env=environment,
                              timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        raise GitUnavailable(str(error)) from error
    answer = done.stdout.strip()
    if done.returncode == 0 and _OBJECT_ID.fullmatch(answer):
        return answer.decode("ascii").lower()
    if done.returncode == 1 and not answer:  # --quiet: HEAD leads to no commit (none yet, a bad ref)
        return None
    if done.returncode == 128 and b"not a git repository" in done.stderr:
        return None
    message = done.stderr.decode(errors="replace").strip().splitlines()
    raise GitUnavailable(f"git rev-parse exited {done.returncode}: {message[-1] if message else answer!r}")


def commit_from_files(root: Path) -> str | None:
    """The commit checked out in ``root`` read from the ``.git`` files, as git would find it;
    None where it cannot be read. The fallback of :func:`git_commit`."""
    return _read_files(root).commit


@dataclass(frozen=True, slots=True)
class _Answer:
    """A commit, and the paths whose stats must stay as they were for it to hold."""

    commit: str | None
    dependencies: tuple[_Dependency, ...]

    @property
    def newest_mtime_ns(self) -> int:
        return max((stamp[3] for _, stamp in self.dependencies if stamp is not None and len(stamp) == 5), default=0)


_cache: dict[str, _Answer] = {}
_cache_lock = threading.Lock()


@functools.cache
def _git_binary() -> str | None:
    return shutil.which("git")


def _stamp(st: os.stat_result) -> _Stamp:
    if stat.S_ISDIR(st.st_mode):
        return (st.st_dev, st.st_ino)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _stamp_at(path: str) -> _Stamp | None:
    try:
        return _stamp(os.stat(path))
    except (OSError, ValueError):
        return None


class _Reader:
    """One resolution of HEAD from files, noting the stat of every path it looked at."""

    def __init__(self) -> None:
        self.dependencies: list[_Dependency] = []

    def stat(self, path: str) -> os.stat_result | None:
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            self.dependencies.append((path, None))
            return None
        self.dependencies.append((path, _stamp(st)))
        return st

    def is_dir(self, path: str) -> bool:
        st = self.stat(path)
        return st is not None and stat.S_ISDIR(st.st_mode)

    def read(self, path: str, limit: int = _SMALL_FILE) -> bytes | None:
        """A regular file's bytes; None if absent, not a regular file or over ``limit``."""
        try:
            # O_NONBLOCK: a FIFO planted as a ref must not block the server
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        except (OSError, ValueError):
            self.stat(path)  # absent, or present but unreadable: either is a state to watch
            return None
        try:
            st = os.fstat(fd)
            self.dependencies.append((path, _stamp(st)))
            if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
                return None
            chunks = []
            while chunk := os.read(fd, limit + 1):
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError:
            return None
        finally:
            os.close(fd)

    def commit(self, root: Path) -> str | None:
        found = self.discover(root)
        if found is None:
            return None
        gitdir, commondir, head = found
        return self.resolve(gitdir, commondir, head)

    def discover(self, root: Path) -> tuple[str, str, bytes] | None:
        """(git dir, common dir, HEAD's bytes) of the repository git would find from ``root``:
        the nearest ``.git`` up the physical path, not across a file system boundary."""
        top = self.stat(os.fspath(root))  # the path as given: a cwd or symlink change shows here
        if top is None or not stat.S_ISDIR(top.st_mode):
            return None
        directory = os.path.realpath(root)
        while True:
            dotgit = os.path.join(directory, ".git")
            st = self.stat(dotgit)
            if st is not None and stat.S_ISREG(st.st_mode):
                return self.gitfile(dotgit)  # git stops at a .git file, valid or not
            if st is not None and stat.S_ISDIR(st.st_mode):
                found = self.git_directory(dotgit)
                if found is not None:
                    return found
            parent = os.path.dirname(directory)
            if parent == directory:
                return None
            up = self.stat(parent)
            if up is None or up.st_dev != top.st_dev:
                return None
            directory = parent

    def gitfile(self, dotgit: str) -> tuple[str, str, bytes] | None:
        content = self.read(dotgit)
        if content is None or not content.startswith(b"gitdir: "):
            return None
        target = os.fsdecode(content[len(b"gitdir: "):].rstrip(b"\r\n"))
        if not target or "\0" in target:
            return None
        return self.git_directory(os.path.join(os.path.dirname(dotgit), target))

    def git_directory(self, gitdir: str) -> tuple[str, str, bytes] | None:
        """As git's ``is_git_directory``: a valid HEAD, and ``objects`` and ``refs`` in the common
        dir (``commondir`` names it for a linked worktree)."""
        head = self.read(os.path.join(gitdir, "HEAD"))
        if head is None or not _valid_head(head):
            return None
        commondir = gitdir
        named = self.read(os.path.join(gitdir, "commondir"))
        if named is not None:
            named = named.rstrip(b"\r\n")
            if not named or b"\0" in named:
                return None
            commondir = os.path.join(gitdir, os.fsdecode(named))
        if not (self.is_dir(os.path.join(commondir, "objects")) and self.is_dir(os.path.join(commondir, "refs"))):
            return None
        return gitdir, commondir, head

    def resolve(self, gitdir: str, commondir: str, head: bytes) -> str | None:
        content: bytes | None = head
        for depth in range(SYMREF_MAX_DEPTH):
            if content is None:
                return None  # an unborn branch
            text = content.rstrip()
            if not text.startswith(b"ref:"):
                token = text.split(maxsplit=1)[0] if text else b""
                return token.decode("ascii").lower() if _OBJECT_ID.fullmatch(token) else None
            name = text[4:].lstrip()
            if depth == SYMREF_MAX_DEPTH - 1 or not _valid_ref_name(name):
                return None
            content = self.ref(gitdir, commondir, name)
        return None

    def ref(self, gitdir: str, commondir: str, name: bytes) -> bytes | None:
        """A ref's loose file, else its line of ``packed-refs``; per-worktree refs (HEAD-like
        names, ``refs/bisect/`` …) live in the worktree's git dir, the others in the common dir."""
        shared = name.startswith(b"refs/") and not name.startswith(_PER_WORKTREE)
        loose = self.read(os.path.join(commondir if shared else gitdir, os.fsdecode(name)))
        if loose is not None or not shared:
            return loose
        packed = self.read(os.path.join(commondir, "packed-refs"), _PACKED_REFS_LIMIT)
        for line in (packed or b"").splitlines():
            object_id, _, refname = line.partition(b" ")
            if refname == name and not line.startswith((b"#", b"^")):
                return object_id
        return None


def _read_files(root: Path) -> _Answer:
    reader = _Reader()
    commit = reader.commit(root)
    return _Answer(commit, tuple(reader.dependencies))


def _valid_head(head: bytes) -> bool:
    """As git's ``validate_headref``: ``ref: refs/…`` or an object id."""
    text = head.rstrip()
    if text.startswith(b"ref:"):
        return text[4:].lstrip().startswith(b"refs/")
    return _OBJECT_ID.match(text) is not None


def _valid_ref_name(name: bytes) -> bool:
    """A name git accepts for a ref (``refs/…`` or a one-level ``HEAD``-like name), which also keeps
    the reader inside the git dir: no ``..`` nor component starting with a dot."""
    if not _REF_NAME.fullmatch(name) or b".." in name or b"@{" in name or name.endswith((b".", b"/")):
        return False
    return all(part and not part.startswith(b".") and not part.endswith(b".lock") for part in name.split(b"/"))
