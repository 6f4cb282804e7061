"""Find the files of a repository to index, and read them as UTF-8 bytes.

``walk_repository`` lists the files whose extension has a language, honouring ``.gitignore``
files at every level, ``.git/info/exclude``, caller-supplied patterns and a set of default
ignores (VCS metadata, virtualenvs, caches, root ``build/``/``dist/``). It never follows a
symlinked directory, so it cannot loop.

Which rule decides, strongest first (the order ``git`` uses, plus our defaults at the bottom):

1. always skipped, whatever the patterns say: ``.git``, ``.hg``, ``.svn`` and any directory
   holding a ``pyvenv.cfg`` (a virtualenv, whatever it is called);
2. ``WalkOptions.extra_ignores`` (relative to the root, like a root ``.gitignore``);
3. ``.gitignore`` files, the deepest one first; within one file the last matching line wins;
4. ``.git/info/exclude``;
5. the default ignores in ``DEFAULT_IGNORED_DIRS`` (any depth) and ``ROOT_IGNORED_DIRS`` (root
   only), so a repository whose real sources live in ``build/`` can say ``!build/``.

As in git, nothing below an ignored directory can be re-included. The user's global
``core.excludesFile`` is deliberately not read: the index must not depend on who builds it.

``read_source`` is kept apart from the walk so the indexer can record a file it could not read
(oversized, binary, unreadable) instead of losing it silently; ``content_hash`` is the one hash
of what it read, by which the index tells a changed file from an unchanged one.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pathspec import GitIgnoreSpec

from indexer.files import NotRegularFileError, open_regular

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILE_BYTES = 1_000_000
BINARY_SNIFF_BYTES = 8192
"""A NUL byte within this many leading bytes marks a file as binary (git's own heuristic)."""

ALWAYS_IGNORED_DIRS: frozenset[str] = frozenset({".git", ".hg", ".svn"})
VIRTUALENV_MARKER = "pyvenv.cfg"
DEFAULT_IGNORED_DIRS: frozenset[str] = frozenset({
    "node_modules", "__pycache__", ".repolens", ".tox", ".nox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".eggs", "site-packages", ".venv", "venv",
})
DEFAULT_IGNORED_DIR_SUFFIXES: tuple[str, ...] = (".egg-info",)
ROOT_IGNORED_DIRS: frozenset[str] = frozenset({"build", "dist"})
MANIFEST_MAX_BYTES = 64_000_000
"""A manifest (a file found by its name: ``compile_commands.json``) is read up to this size
whatever ``max_file_bytes`` says: a compilation database of a few thousand files is megabytes."""


class WalkError(ValueError):
    """The repository root cannot be walked; the message names the path and the problem."""


class MissingPathError(WalkError):
    """The repository root does not exist."""


class NotADirectoryPathError(WalkError):
    """The repository root exists but is not a directory."""


class WalkDeadlineExceeded(TimeoutError):
    """The walk ran past the deadline it was given; nothing is returned."""


@dataclass(frozen=True, slots=True)
class WalkedFile:
    path: str
    """Repository-relative, ``/``-separated (``pkg/core.py``); for a symlink, the link's path."""
    abspath: str
    """Absolute, under the root with symlinks in the root's own path resolved."""
    size: int
    """Bytes, as seen during the walk (of the target, for a symlink)."""
    language: str | None
    """From the extension map given to ``walk_repository``."""
    mtime_ns: int = 0
    """Modification time in nanoseconds, as seen during the walk (of the target, for a symlink)."""
    ctime_ns: int = 0
    """Status change time in nanoseconds: also moves on a rename, chmod or ``touch``."""
    inode: int = 0
    """A file replaced by another (an editor saving through a rename) gets a new one."""
    manifest: bool = False
    """Found by its name (``go.mod``), not its extension: read up to ``MANIFEST_MAX_BYTES``."""

    @property
    def stat_key(self) -> tuple[int, int, int, int]:
        """(size, mtime_ns, ctime_ns, inode): equal keys mean, as for git, an unchanged file
        (unless it changed within the filesystem's timestamp granularity of the stat)."""
        return (self.size, self.mtime_ns, self.ctime_ns, self.inode)


@dataclass(frozen=True, slots=True)
class WalkOptions:
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    """Larger files are still walked, but ``read_source`` skips them with a reason to record."""
    extra_ignores: tuple[str, ...] = ()
    """Gitignore-style patterns relative to the root; they beat every ``.gitignore``."""
    use_gitignore: bool = True
    """False ignores ``.gitignore`` files and ``.git/info/exclude``; defaults still apply."""

    def __post_init__(self) -> None:
        if self.max_file_bytes < 0:
            raise ValueError(f"max_file_bytes must be >= 0, got {self.max_file_bytes}")


@dataclass(frozen=True, slots=True)
class SourceRead:
    """What ``read_source`` got: UTF-8 ``data``, or ``None`` and a ``skip_reason``."""

    data: bytes | None
    skip_reason: str | None = None
    note: str | None = None
    """Set when the bytes were transcoded to UTF-8, e.g. ``decoded as cp1252``."""


@dataclass(frozen=True, slots=True)
class _IgnoreLayer:
    base: str
    """Directory holding the patterns, relative to the root, ``''`` or ending in ``/``."""
    spec: GitIgnoreSpec
    any_match: re.Pattern[str] | None
    """All of ``spec``'s regexes as one alternation: pathspec tries them one by one in
    Python, which costs ~0.2 us per pattern per path; most paths match none, and this
    tells so in one C-level search. ``None`` when the patterns could not be combined."""

    @classmethod
    def of(cls, base: str, spec: GitIgnoreSpec) -> _IgnoreLayer:
        sources = []
        for pattern in spec.patterns:
            regex = pattern.regex
            if pattern.include is None:
                continue  # comments and blank lines
            if not isinstance(regex, re.Pattern) or regex.flags != re.UNICODE:
                return cls(base, spec, None)
            # Named groups would clash once joined; in pathspec's output, text matching
            # "(?P<" is always a real group, since a literal '(' is escaped and '?' becomes [^/].
            sources.append("(?:" + _NAMED_GROUP.sub("(?:", regex.pattern) + ")")
        try:
            any_match = re.compile("|".join(sources) or "(?!)")
        except re.error:
            any_match = None
        return cls(base, spec, any_match)


_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_]\w*>")


def walk_repository(
    root: Path,
    languages_by_extension: Mapping[str, str],
    options: WalkOptions = WalkOptions(),
    *,
    deadline: float | None = None,
    build_outputs: Sequence[str] = (),
) -> Iterator[WalkedFile]:
    """Return the files under ``root`` to index, sorted by ``path``.

    Only files whose lower-cased last extension (``.py``; ``x.d.ts`` counts as ``.ts``) or
    whose name (``go.mod``) is a key of ``languages_by_extension`` are returned. The walk
    happens before this returns, so errors surface at the call: ``MissingPathError`` or
    ``NotADirectoryPathError`` for a bad root, ``WalkError`` for an unlistable root, a key that
    is neither an extension nor a file name or an invalid pattern in ``options.extra_ignores``.
    Subdirectories that cannot be listed are logged and skipped. With a ``deadline`` (a
    ``time.monotonic()`` value), a walk still going then raises ``WalkDeadlineExceeded``.
    The first of ``build_outputs`` (repository-relative paths of manifests a build writes:
    ``build/compile_commands.json``) that exists is returned even when ignore rules or default
    ignores leave it out (projects ignore generated files, not files no tool should read),
    unless ``options.extra_ignores`` (the user's own) name it.
    """
    start = time.perf_counter()
    root_path = Path(root)
    if not root_path.exists():
        raise MissingPathError(f"repository root {str(root_path)!r} does not exist")
    if not root_path.is_dir():
        raise NotADirectoryPathError(f"repository root {str(root_path)!r} is not a directory")
    real_root = os.path.realpath(root_path)
    not_keys = sorted(k for k in languages_by_extension if k in ("", ".") or "/" in k or os.sep in k)
    if not_keys:
        raise WalkError(f"languages_by_extension keys must be an extension ('.py') or a file name ('go.mod'), "
                        f"got {not_keys}")

    layers: list[_IgnoreLayer] = []
    if options.use_gitignore:
        exclude = _load_ignore_file(os.path.join(real_root, ".git", "info", "exclude"), "")
        if exclude is not None:
            layers.append(exclude)
    extra = _compile_extra_ignores(options.extra_ignores)

    languages = {k.lower(): v for k, v in languages_by_extension.items()}
    files = _walk(real_root, languages, tuple(layers), extra, options.use_gitignore, deadline)
    files += _build_outputs(real_root, build_outputs, languages, extra, {f.path for f in files})
    files.sort(key=lambda f: f.path)
    logger.debug("walked %s: %d files in %.3f s", real_root, len(files),
                 time.perf_counter() - start)
    return iter(files)


def walk_changed(
    root: Path,
    recorded: Mapping[str, tuple[int, int, int, int]],
    changed: Iterable[str],
    languages_by_extension: Mapping[str, str],
) -> list[WalkedFile] | None:
    """What ``walk_repository`` would return, when only the files ``changed`` (repository-
    relative and ``/``-separated, as a watcher's file events name them) can differ from
    ``recorded`` (each file of the last walk with its ``stat_key``): found by looking at those
    alone. None when that cannot be told without a walk: a changed path that exists and is no
    recorded regular file (a new file, which the ignore rules may leave out; a directory; a
    symbolic link), a directory that went away, an ignore file or a virtualenv marker."""
    real_root = os.path.realpath(root)
    files = dict(recorded)
    for rel in sorted(set(changed)):
        name = rel.rsplit("/", 1)[-1]
        if name in (".gitignore", VIRTUALENV_MARKER) or rel == ".git/info/exclude":
            return None
        try:
            st = os.lstat(os.path.join(real_root, *rel.split("/")))
        except FileNotFoundError:
            if files.pop(rel, None) is None and any(path.startswith(rel + "/") for path in files):
                return None  # a directory gone with what it held
            continue  # a file gone, or one that came and went (an editor's temporary file)
        except OSError:
            return None
        if rel not in files or not stat.S_ISREG(st.st_mode):
            return None
        files[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    languages = {k.lower(): v for k, v in languages_by_extension.items()}
    return [WalkedFile(path=path, abspath=os.path.join(real_root, *path.split("/")), size=key[0],
                       language=language_of(path.rpartition("/")[2], languages), mtime_ns=key[1], ctime_ns=key[2],
                       inode=key[3], manifest=path.rpartition("/")[2].lower() in languages)
            for path, key in sorted(files.items())]


def language_of(name: str, languages: Mapping[str, str]) -> str | None:
    """The language of a file called ``name``: by its name (a manifest), else its extension;
    ``languages`` has lower-cased keys."""
    lowered = name.lower()
    return languages.get(lowered) or languages.get(os.path.splitext(lowered)[1])


def _walk(
    real_root: str,
    languages: Mapping[str, str],
    base_layers: tuple[_IgnoreLayer, ...],
    extra: _IgnoreLayer | None,
    use_gitignore: bool,
    deadline: float | None = None,
) -> list[WalkedFile]:
    """Walk depth-first with an explicit stack; return the kept files, unsorted."""
    root_prefix = real_root.rstrip(os.sep) + os.sep
    found: list[WalkedFile] = []
    # Each item: absolute directory, its relative prefix ('' or 'a/b/'), the layers above it.
    stack: list[tuple[str, str, tuple[_IgnoreLayer, ...]]] = [(real_root, "", base_layers)]
    while stack:
        abs_dir, prefix, layers = stack.pop()
        _check_deadline(deadline, real_root)
        try:
            with os.scandir(abs_dir) as it:
                entries = list(it)
        except OSError as exc:
            if not prefix:
                raise WalkError(f"cannot list repository root {real_root!r}: "
                                f"{exc.strerror or exc}") from exc
            logger.warning("skipping directory %r: %s", prefix, exc.strerror or exc)
            continue
        if prefix and any(e.name == VIRTUALENV_MARKER for e in entries):
            logger.debug("skipping virtualenv %r", prefix)
            continue
        if use_gitignore:
            layer = _gitignore_layer(entries, prefix)
            if layer is not None:
                layers = (*layers, layer)
        checked = (*layers, extra) if extra is not None else layers

        for number, entry in enumerate(entries, 1):
            if number % 256 == 0:
                _check_deadline(deadline, real_root)
            name = entry.name
            rel = prefix + name
            try:
                is_link = entry.is_symlink()
                is_dir = not is_link and entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                logger.warning("skipping %r: %s", rel, exc.strerror or exc)
                continue
            if is_dir:
                if name in ALWAYS_IGNORED_DIRS:
                    continue
                verdict = _match(rel + "/", checked)
                if verdict is None:
                    verdict = _ignored_by_default(name, is_root_child=not prefix)
                if not verdict:
                    stack.append((entry.path, rel + "/", layers))
                continue
            language = language_of(name, languages)
            if language is None or _match(rel, checked):
                continue
            if not _encodable(rel):
                logger.warning("skipping %r: file name is not valid UTF-8", rel)
                continue
            st = _regular_stat(entry.path, is_link, root_prefix, rel, partial(entry.stat, follow_symlinks=True))
            if st is None:
                continue
            found.append(WalkedFile(path=rel, abspath=entry.path, size=st.st_size, language=language,
                                    mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns, inode=st.st_ino,
                                    manifest=name.lower() in languages))
    return found


def _build_outputs(real_root: str, build_outputs: Sequence[str], languages: Mapping[str, str],
                   extra: _IgnoreLayer | None, found: set[str]) -> list[WalkedFile]:
    """The first of ``build_outputs`` there, when the walk left it out and it has a language."""
    root_prefix = real_root.rstrip(os.sep) + os.sep
    for rel in build_outputs:
        if rel in found:
            return []
        language = language_of(rel.rpartition("/")[2], languages)
        abspath = os.path.join(real_root, *rel.split("/"))
        if language is None or not os.path.lexists(abspath) or (extra is not None and _match(rel, (extra,))):
            continue
        st = _regular_stat(abspath, os.path.islink(abspath), root_prefix, rel, partial(os.stat, abspath))
        if st is not None:
            return [WalkedFile(path=rel, abspath=abspath, size=st.st_size, language=language,
                               mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns, inode=st.st_ino, manifest=True)]
    return []


def _check_deadline(deadline: float | None, root: str) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise WalkDeadlineExceeded(f"walking {root!r} ran past its time budget")


def _regular_stat(path: str, is_link: bool, root_prefix: str, rel: str,
                  stat_of: Callable[[], os.stat_result]) -> os.stat_result | None:
    """Return the stat of a regular file (a symlink's target if it stays inside the root),
    ``stat_of()`` (a directory entry's cached one, or ``os.stat``), or ``None`` for anything
    not to be yielded."""
    if is_link:
        target = os.path.realpath(path)
        if not target.startswith(root_prefix):
            logger.info("skipping symlink %r: its target %r is outside the repository",
                        rel, target)
            return None
    try:
        st = stat_of()
    except OSError as exc:
        logger.info("skipping %r: %s", rel, exc.strerror or exc)
        return None
    if not stat.S_ISREG(st.st_mode):
        # Directories behind symlinks are never followed; FIFOs and devices would block a read.
        logger.debug("skipping %r: not a regular file", rel)
        return None
    return st


def _match(rel: str, layers: Sequence[_IgnoreLayer]) -> bool | None:
    """Return True (ignored), False (re-included by ``!``) or None (no pattern matched).

    ``layers`` run weakest first; the strongest layer with a matching pattern decides.
    """
    for layer in reversed(layers):
        local = rel[len(layer.base):]
        if layer.any_match is not None and layer.any_match.search(local) is None:
            continue
        verdict = layer.spec.check_file(local, separators=()).include
        if verdict is not None:
            return verdict
    return None


def _ignored_by_default(name: str, *, is_root_child: bool) -> bool:
    return (name in DEFAULT_IGNORED_DIRS
            or name.endswith(DEFAULT_IGNORED_DIR_SUFFIXES)
            or (is_root_child and name in ROOT_IGNORED_DIRS))


def _gitignore_layer(entries: Iterable[os.DirEntry[str]], prefix: str) -> _IgnoreLayer | None:
    for entry in entries:
        # Like git (since 2.32), a symlinked .gitignore is not read.
        if entry.name == ".gitignore" and entry.is_file(follow_symlinks=False):
            return _load_ignore_file(entry.path, prefix)
    return None


def _load_ignore_file(path: str, base: str) -> _IgnoreLayer | None:
    """Compile one ignore file; ``None`` if it is absent, unreadable or holds no patterns.

    Invalid lines are dropped with a warning, as git silently does."""
    try:
        # A regular file only: .git/info/exclude is opened without a look first, and a FIFO there would block.
        with open_regular(path) as handle:
            lines = handle.read().decode("utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    except NotRegularFileError as exc:
        logger.warning("ignoring ignore file %r: it is %s", path, exc.kind)
        return None
    except OSError as exc:
        logger.warning("ignoring unreadable ignore file %r: %s", path, exc.strerror or exc)
        return None
    try:
        spec = GitIgnoreSpec.from_lines(lines)
    except ValueError:
        valid = []
        for number, line in enumerate(lines, start=1):
            try:
                GitIgnoreSpec.from_lines([line])
            except ValueError as exc:
                logger.warning("%s:%d: skipping invalid pattern %r: %s", path, number, line, exc)
            else:
                valid.append(line)
        spec = GitIgnoreSpec.from_lines(valid)
    return _IgnoreLayer.of(base, spec) if len(spec) else None


def _compile_extra_ignores(patterns: Sequence[str]) -> _IgnoreLayer | None:
    if not patterns:
        return None
    for pattern in patterns:
        try:
            GitIgnoreSpec.from_lines([pattern])
        except ValueError as exc:
            raise WalkError(
                f"invalid pattern {pattern!r} in WalkOptions.extra_ignores: {exc}") from exc
    return _IgnoreLayer.of("", GitIgnoreSpec.from_lines(list(patterns)))


def _encodable(text: str) -> bool:
    # Names os.scandir could not decode carry lone surrogates; no store can hold them.
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# PEP 263: a comment on line 1 or 2 naming the encoding; line 2 counts only after a comment
# or blank line 1, as in CPython's tokenizer.
_CODING_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_BLANK_OR_COMMENT = re.compile(rb"^[ \t\f]*(?:[#\r\n]|$)")


def read_source(f: WalkedFile, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> SourceRead:
    """Read ``f`` and return its contents as UTF-8 bytes, or why it was skipped.

    ``skip_reason`` is set (and ``data`` is ``None``) when the file is larger than
    ``max_file_bytes`` (``MANIFEST_MAX_BYTES`` for a manifest), looks binary (a NUL byte in its
    first 8 KiB), is no longer a regular file, or cannot be read.
    Valid UTF-8 comes back unchanged except that a leading BOM is removed. Anything else is
    decoded with its PEP 263 coding cookie, else cp1252, else latin-1, re-encoded to UTF-8
    with its lines unchanged, and ``note`` says which encoding was used. A coding cookie
    stays in the text, so parse the result as UTF-8 (tree-sitter does), not with ``ast``.
    """
    if f.manifest:
        max_file_bytes = max(max_file_bytes, MANIFEST_MAX_BYTES)
    try:
        # Only a regular file: the walk saw one, but a FIFO put in its place since would block the read.
        with open_regular(f.abspath, f.path) as handle:
            size = os.fstat(handle.fileno()).st_size
            data = b"" if size > max_file_bytes else handle.read(max_file_bytes + 1)
    except NotRegularFileError as exc:
        return SourceRead(None, f"not a regular file: {exc.kind}")
    except OSError as exc:
        return SourceRead(None, f"unreadable: {exc.strerror or exc}")
    if size > max_file_bytes or len(data) > max_file_bytes:
        size = max(size, len(data))
        return SourceRead(None, (
            f"too large: {size:,} bytes is over the {max_file_bytes:,}-byte limit "
            "(raise WalkOptions.max_file_bytes to index it)"))
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return SourceRead(None, f"binary: NUL byte in the first {BINARY_SNIFF_BYTES} bytes")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _transcode(data)
    return SourceRead(data)


def content_hash(read: SourceRead) -> str:
    """The digest the index keeps of a file: of its UTF-8 bytes, or of why it was skipped (so a
    file that becomes readable, or skipped for another reason, counts as changed)."""
    return hashlib.blake2b(read.data or (read.skip_reason or "").encode(), digest_size=16).hexdigest()


def _transcode(data: bytes) -> SourceRead:
    """Decode non-UTF-8 ``data`` by the first encoding that keeps its lines; return UTF-8."""
    cookie = _coding_cookie(data)
    for encoding in ([cookie] if cookie else []) + ["cp1252", "latin-1"]:
        try:
            text = data.decode(encoding)
            encoded = text.encode("utf-8")
        except (UnicodeError, LookupError):
            continue
        if (text.count("\n"), text.count("\r")) != (data.count(b"\n"), data.count(b"\r")):
            continue  # not ASCII-compatible: line numbers would shift
        note = f"not valid UTF-8; decoded as {encoding}"
        if encoding == cookie:
            note += " per its coding cookie"
        elif cookie:
            note += f" (coding cookie {cookie!r} did not fit)"
        return SourceRead(encoded, note=note)
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _coding_cookie(data: bytes) -> str | None:
    """Return the encoding named by a PEP 263 cookie in the first two lines, if any."""
    lines = data.split(b"\n", 2)[:2]
    for index, line in enumerate(lines):
        match = _CODING_COOKIE.match(line)
        if match:
            return match.group(1).decode("ascii")
        if index == 0 and not _BLANK_OR_COMMENT.match(line):
            break
    return None
