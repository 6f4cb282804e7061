"""Navigation over the code graph: which node a name means, what uses it, what it would
break, its class hierarchy, and its source.

Built on the named queries (no Cypher here), so it runs on every backend. Paths are
repository-relative with ``/``; lines are 1-based and inclusive, as everywhere in repolens.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.files import NotRegularFileError, open_regular
from indexer.model import unresolved_id
from indexer.store.base import GraphStore
from indexer.walk import BINARY_SNIFF_BYTES
from queries.registry import run_named

SYMBOL_KINDS = ("class", "function", "method")
USE_EDGES = ("CALLS", "REFERENCES", "INHERITS", "IMPORTS")
MAX_IMPACT_DEPTH = 5
MAX_FRONTIER = 5000
"""Impact analysis stops widening a level beyond this many nodes (and says so)."""


class NotFoundError(ValueError):
    """A path or symbol names nothing in the graph; the message says what exists instead."""


class AmbiguousSymbolError(ValueError):
    """A name means several symbols; the message lists their ids to choose from."""


class PathOutsideRepositoryError(ValueError):
    """A path resolves outside the repository (``..``, an absolute path, a symlink)."""


# -- paths ---------------------------------------------------------------------------------
def safe_path(root: Path, path: str) -> tuple[Path, str]:
    """``path`` (relative to ``root``, or absolute inside it) as an absolute path and as the
    repository-relative form the graph uses. Refuses anything that resolves outside ``root``,
    following symlinks, so ``../x``, ``/etc/passwd`` and a link out of the tree all fail."""
    root = root.resolve()
    text = path.strip().replace("\\", "/")
    if not text or "\x00" in text:
        raise PathOutsideRepositoryError(f"path {path!r} is empty or invalid; give a path relative to the "
                                         "repository root, e.g. src/pkg/module.py")
    candidate = Path(text)
    try:
        absolute = (candidate if candidate.is_absolute() else root / candidate).resolve()
    except RuntimeError:  # Python 3.11's resolve() raises it for a loop of links
        raise ValueError(f"path {path!r} is a loop of symbolic links; give a path relative to the repository "
                         "root that names a file") from None
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        raise PathOutsideRepositoryError(
            f"path {path!r} is outside the repository {root}; give a path relative to the repository "
            "root, without '..' and not through a symlink that leaves it") from None
    return absolute, relative.as_posix() if relative.parts else "."


# -- symbols -------------------------------------------------------------------------------
def nodes_by_id(store: GraphStore, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    return {row["id"]: row for row in run_named(store, "nodes", {"ids": list(ids)}).records()}


def _module_path(path: str) -> str:
    """``src/pkg/mod.py`` → ``src.pkg.mod``; a package's ``__init__`` is the package."""
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", path)
    stem = re.sub(r"/(__init__|index)$", "", stem)
    return stem.replace("/", ".")


def resolve_symbol(store: GraphStore, ref: str, kinds: Iterable[str] = ()) -> dict[str, Any]:
    """The node ``ref`` means, as a ``nodes`` row. ``ref`` may be a node id
    (``pkg/core.py::Engine.run``), the bench form ``pkg/core.py:Engine.run``, a file path,
    a qualified name (``Engine.run``), a dotted module path (``pkg.core.Engine.run``) or a
    bare name when only one symbol has it.

    Raises NotFoundError (with similar names) or AmbiguousSymbolError (with candidate ids).
    """
    text = ref.strip()
    if not text:
        raise NotFoundError("empty symbol; give a name such as Engine.run or an id such as pkg/core.py::Engine.run")
    wanted = set(kinds)
    direct = [text]
    if "::" not in text and ":" in text:
        direct.append(text.replace(":", "::", 1))
    found = [row for row in nodes_by_id(store, direct).values() if not wanted or row["kind"] in wanted]
    if found:
        return found[0]
    name = re.split(r"[.:/]", text)[-1]
    rows = run_named(store, "find_symbol", {"name": name, "mode": "exact", "limit": 500}).records()
    rows = [r for r in rows if r["kind"] in SYMBOL_KINDS and (not wanted or r["kind"] in wanted)]
    matches = [r for r in rows if text in (r["name"], r["qualname"])]
    if not matches and "." in text:
        dotted = "." + text
        matches = [r for r in rows if f".{_module_path(r['path'])}.{r['qualname']}".endswith(dotted)]
    if len(matches) == 1:
        return nodes_by_id(store, [matches[0]["id"]])[matches[0]["id"]]
    if len(matches) > 1:
        listed = ", ".join(r["id"] for r in matches[:12])
        more = f" and {len(matches) - 12} more" if len(matches) > 12 else ""
        raise AmbiguousSymbolError(f"{text!r} names {len(matches)} symbols: {listed}{more}; "
                                   "pass one of these ids instead")
    if wanted:
        try:
            other = resolve_symbol(store, ref)
        except ValueError:
            other = None
        if other is not None:
            raise NotFoundError(f"{text!r} is {other['kind']} {other['id']}, not a {' or '.join(sorted(wanted))}; "
                                f"find one with `find_symbol` and `kind={sorted(wanted)[0]}`")
    similar = run_named(store, "find_symbol", {"name": name, "mode": "contains", "limit": 8}).records()
    hint = ", ".join(f"{r['qualname'] or r['name']} ({r['id']})" for r in similar
                     if r["kind"] in SYMBOL_KINDS)
    what = " or ".join(sorted(wanted)) if wanted else "symbol"
    raise NotFoundError(f"no {what} {text!r} in the graph" + (f"; similar: {hint}" if hint else "")
                        + "; try `find_symbol` with `mode=contains`, or `search_code` for a description")


# -- references and impact -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Use:
    edge: str
    target: str
    id: str
    kind: str
    name: str
    path: str
    line: int | None
    resolution: str | None
    written: str = ""
    """The expression as written at the use (``state.add_url_rule``)."""


def uses_of(store: GraphStore, ids: Sequence[str], edges: Iterable[str] = USE_EDGES) -> list[Use]:
    """Every direct use of the nodes ``ids`` (by the given edge kinds), sorted by
    (path, line, id, edge) so that pages are stable."""
    allowed = set(edges)
    rows = run_named(store, "dependents", {"ids": list(ids)}).records() if ids else []
    uses = {(r["edge"], r["target"], r["id"]): Use(r["edge"], r["target"], r["id"], r["kind"], r["name"] or "",
                                                   r["path"] or "", r["line"], r["resolution"], r["written"] or "")
            for r in rows if r["edge"] in allowed}
    return sorted(uses.values(), key=lambda u: (u.path, u.line or 0, u.id, u.edge, u.target))


def unresolved_uses(store: GraphStore, names: Iterable[str], edges: Iterable[str] = USE_EDGES) -> list[Use]:
    """The uses of ``names`` that resolution could not tie to a definition (edges to the
    ``unresolved::name`` symbols): each may be a use of any definition of that name, so an
    answer listing the resolved uses of one is incomplete by at most these."""
    return uses_of(store, sorted({unresolved_id(n) for n in names if n}), edges)


RESOLUTIONS = ("exact", "inferred", "external", "unresolved")
"""Best first: a chain of calls is as sure as its weakest link."""


@dataclass(frozen=True, slots=True)
class CallStep:
    """A function reached by following calls from (callees) or to (callers) a symbol."""

    id: str
    kind: str
    name: str
    path: str
    start_line: int | None
    depth: int
    resolution: str
    """The weakest link on the chain that reached it (see RESOLUTIONS)."""
    via: str
    """The node next to it on that chain: for callers the node it calls, for callees the node
    that calls it (at depth 1, the symbol asked about)."""
    site: str
    """Where the call on that link is written, ``path:line``."""
    line: int | None
    """The line of that call (callers: in ``path``; callees: in the file of ``via``)."""
    written: str
    """The call as written there (``state.add_url_rule``)."""


def call_walk(store: GraphStore, start: str, direction: str, depth: int) -> tuple[list[CallStep], bool]:
    """The callers or callees (``direction``) of the node ``start``, breadth first to
    ``depth`` calls: each node once, at its fewest calls, reached over the surest chain of that
    length (ties by the node it is reached from, then line). Returns them ordered by (depth,
    id), and whether a level was cut at MAX_FRONTIER nodes."""
    if direction not in ("callers", "callees"):
        raise ValueError(f"direction must be callers or callees, got {direction!r}")
    query, end = ("dependents", "target") if direction == "callers" else ("dependencies", "source")
    rank = {start: 0}
    paths = {start: ""}
    frontier = [start]
    steps: list[CallStep] = []
    capped = False
    for level in range(1, depth + 1):
        rows = run_named(store, query, {"ids": frontier}).records() if frontier else []
        best: dict[str, tuple[tuple[int, str, int], dict[str, Any]]] = {}
        for row in rows:
            if row["edge"] != "CALLS" or row["id"] in rank:
                continue
            link = RESOLUTIONS.index(row["resolution"]) if row["resolution"] in RESOLUTIONS else len(RESOLUTIONS) - 1
            key = (max(rank[row[end]], link), row[end], row["line"] or 0)
            if row["id"] not in best or key < best[row["id"]][0]:
                best[row["id"]] = (key, row)
        chosen = sorted(best.items())
        if len(chosen) > MAX_FRONTIER:
            chosen, capped = chosen[:MAX_FRONTIER], True
        for node, ((weakest, via, line), row) in chosen:
            site_path = row["path"] if direction == "callers" else paths[via]
            steps.append(CallStep(node, row["kind"], row["name"] or "", row["path"] or "", row["start_line"], level,
                                  RESOLUTIONS[weakest], via, f"{site_path}:{line}" if site_path and line else "",
                                  line or None, row["written"] or ""))
            rank[node] = weakest
            paths[node] = row["path"] or ""
        frontier = [node for node, _ in chosen]
    return steps, capped


def file_members(store: GraphStore, path: str) -> list[str]:
    """Ids of the file ``path`` and of everything defined in it."""
    return [path] + [r["id"] for r in run_named(store, "file_outline", {"path": path}).records()]


@dataclass(frozen=True, slots=True)
class Impacted:
    id: str
    kind: str
    name: str
    path: str
    depth: int
    edge: str
    """The edge kind that reached it (CALLS, REFERENCES, INHERITS, IMPORTS)."""
    target: str
    """The node it uses on the way (at depth 1, one of the start nodes)."""
    line: int | None
    """The line of that use, in ``path``."""
    resolution: str | None


@dataclass(slots=True)
class Impact:
    nodes: list[Impacted] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    capped: bool = False
    """True when a level had more than MAX_FRONTIER nodes and was cut."""


def impact(store: GraphStore, start: Sequence[str], depth: int = 2, edges: Iterable[str] = USE_EDGES) -> Impact:
    """What transitively depends on the nodes ``start`` (through uses by calls, references,
    inheritance and imports), breadth first to ``depth``; each node once, at its smallest
    depth. A file is reached through the definitions inside it, so its importers count."""
    if not 1 <= depth <= MAX_IMPACT_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_IMPACT_DEPTH}, got {depth}")
    edge_kinds = tuple(edges)
    seen = set(start)
    frontier = list(start)
    result = Impact()
    for level in range(1, depth + 1):
        found: dict[str, Impacted] = {}
        for use in uses_of(store, frontier, edge_kinds):
            if use.id in seen or use.id in found:
                continue
            found[use.id] = Impacted(use.id, use.kind, use.name, use.path, level, use.edge, use.target, use.line,
                                     use.resolution)
        if not found:
            break
        ordered = sorted(found.values(), key=lambda n: (n.path, n.id))
        if len(ordered) > MAX_FRONTIER:
            ordered, result.capped = ordered[:MAX_FRONTIER], True
        result.nodes.extend(ordered)
        seen.update(n.id for n in ordered)
        frontier = [n.id for n in ordered]
    result.files = sorted({n.path for n in result.nodes if n.path})
    return result


# -- class hierarchy -----------------------------------------------------------------------
def class_hierarchy(store: GraphStore, class_id: str, direction: str = "both", depth: int = 5
                    ) -> dict[str, list[dict[str, Any]]]:
    """``superclasses`` (bases, nearest first, including external ones such as Exception)
    and ``subclasses`` of a class, to ``depth`` inheritance steps."""
    out: dict[str, list[dict[str, Any]]] = {"superclasses": [], "subclasses": []}
    if direction in ("up", "both"):
        out["superclasses"] = run_named(store, "superclasses", {"id": class_id, "depth": depth}).records()
    if direction in ("down", "both"):
        out["subclasses"] = run_named(store, "subclasses", {"id": class_id, "depth": depth}).records()
    return out


# -- source --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SourcePage:
    path: str
    start_line: int
    end_line: int
    total_lines: int
    text: str
    """The lines, each prefixed with its number and a tab."""
    next_start_line: int | None
    """Where the next page starts, or None at the end of the range asked for."""


MAX_LINE_CHARS = 2000
"""Longer lines (minified code, data) are cut, saying how much was left out."""


def _clip(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    return f"{line[:MAX_LINE_CHARS]}… [{len(line) - MAX_LINE_CHARS} more characters on this line]"


def _read_text_file(root: Path, path: str, max_bytes: int = 2_000_000) -> tuple[str, bytes]:
    """The repository-relative path and the bytes of a text file in the repository. Refuses
    paths outside the repository, anything but a regular file (a FIFO would block the read
    forever), binary files and files larger than ``max_bytes``."""
    absolute, relative = safe_path(root, path)
    try:
        # safe_path resolved every link, so a link found at the path now was put there since: not followed.
        with open_regular(absolute, relative, follow_symlinks=False) as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(max_bytes + 1) if size <= max_bytes else b""
    except FileNotFoundError:
        raise NotFoundError(f"no file {relative!r} in the repository; find files with `repo_map` or "
                            "`search_code`, or symbols with `find_symbol`") from None
    except NotRegularFileError as exc:
        if stat.S_ISDIR(exc.mode):
            raise NotFoundError(f"{relative!r} is a directory; give a file path (`repo_map` lists files)") from None
        raise
    except OSError as exc:
        raise ValueError(f"{relative!r} cannot be read: {exc.strerror or exc}") from None
    size = max(size, len(data))  # it may have grown since fstat
    if size > max_bytes:
        raise ValueError(f"{relative!r} is {size} bytes, more than the {max_bytes} this reads; "
                         "read a symbol with `read_symbol` instead")
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise ValueError(f"{relative!r} is a binary file; only text files can be read")
    return relative, data


def read_lines(root: Path, path: str, start_line: int = 1, end_line: int | None = None,
               max_lines: int = 200, max_bytes: int = 2_000_000) -> SourcePage:
    """Lines ``start_line``..``end_line`` of a text file in the repository, numbered, at most
    ``max_lines`` of them (then ``next_start_line`` says where to go on). Refuses what
    :func:`_read_text_file` refuses."""
    relative, data = _read_text_file(root, path, max_bytes)
    lines = data.decode("utf-8", errors="replace").splitlines()
    total = len(lines)
    if start_line < 1:
        raise ValueError(f"start_line must be 1 or more, got {start_line}")
    if total and start_line > total:
        raise ValueError(f"{relative!r} has {total} lines; start_line {start_line} is past the end")
    last = total if end_line is None else min(end_line, total)
    if last < start_line and total:
        raise ValueError(f"end_line {end_line} is before start_line {start_line}")
    stop = min(last, start_line + max_lines - 1)
    width = len(str(stop))
    text = "\n".join(f"{n:>{width}}\t{_clip(lines[n - 1])}" for n in range(start_line, stop + 1))
    return SourcePage(relative, start_line, stop, total, text, stop + 1 if stop < last else None)
