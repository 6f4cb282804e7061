"""Opening repository files for reading: regular files only, and never an open that blocks.

A repository can hold paths that are not files: a named pipe (FIFO), whose ``open`` waits for
a writer forever; a socket; a device; a directory; or a path that was a file when it was
indexed and is one of these now. ``open_regular`` refuses them all with a message that says
what the path is. It looks first (``stat``), so a device is not even opened, then checks the
open descriptor again (``fstat``), because the path can be replaced between the look and the
open; ``O_NONBLOCK`` makes that open return at once even when a FIFO was swapped in meanwhile.
"""

from __future__ import annotations

import io
import os
import stat

# O_NONBLOCK and O_NOCTTY are POSIX; where they do not exist there are no FIFOs or terminals to fear.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOCTTY = getattr(os, "O_NOCTTY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISLNK, "a symbolic link"))


class NotRegularFileError(ValueError):
    """The path is a FIFO, socket, device, directory (or a link not to be followed), not a
    regular file: ``mode`` is its ``st_mode``, ``kind`` says what it is in words."""

    def __init__(self, shown: str, mode: int) -> None:
        self.shown = shown
        self.mode = mode
        self.kind = kind_of(mode)
        super().__init__(f"{shown!r} is {self.kind}, not a regular file; only regular files are read")


def kind_of(mode: int) -> str:
    """What a file with ``st_mode`` ``mode`` is, in words: ``"a regular file"``, ``"a named
    pipe (FIFO)"``, ``"a socket"``, ..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def _check(mode: int, shown: str) -> None:
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(shown, mode)


def open_regular(path: str | os.PathLike[str], shown: str | None = None, *,
                 follow_symlinks: bool = True) -> io.BufferedReader:
    """``path`` opened for reading bytes, if it is a regular file. With ``follow_symlinks``
    False a symbolic link is refused too (for a path already resolved, so that a link put in
    its place is not followed).

    Raises NotRegularFileError (a ValueError naming ``shown``, by default the path) for anything
    but a regular file, and OSError (FileNotFoundError, PermissionError, ...) when it cannot be
    opened."""
    name = os.fspath(path) if shown is None else shown
    _check(os.stat(path, follow_symlinks=follow_symlinks).st_mode, name)
    flags = os.O_RDONLY | _NONBLOCK | _NOCTTY | (0 if follow_symlinks else _NOFOLLOW)
    descriptor = os.open(path, flags)
    try:
        _check(os.fstat(descriptor).st_mode, name)
    except BaseException:
        os.close(descriptor)
        raise
    # O_NONBLOCK stays set: reads of a regular file ignore it.
    return os.fdopen(descriptor, "rb")
