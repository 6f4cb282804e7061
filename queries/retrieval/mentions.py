"""What an issue text names explicitly, resolved against the graph.

Issue texts name code in a handful of ways, most specific first: stack-trace frames of any
language (``File ".../sympy/core/basic.py", line 12, in sort_key``, ``at shop.Cart.total(Cart.java:42)``,
read by ``queries.retrieval.issue``), file paths (``xarray/core/variable.py``),
dotted names (``sympy.core.basic.Basic``, ``Variable.__setitem__``, ``xr.Dataset.to_netcdf``),
and bare identifiers in code spans or prose (``prepare_content_length``, ``LogNormal``).
Each found name is resolved to graph nodes by exact name, qualified-name suffix, module path or
path suffix, never by fuzzy matching, and scored by how specific it is: a frame or full path
beats a qualified name, which beats a bare identifier, whose weight falls with the number of
definitions sharing it (``run`` names dozens of things, ``sort_key`` a few).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from indexer.search.symbols import SymbolTable
from queries.retrieval.issue import Frame, parse_frames

_PATH = re.compile(r"(?<![\w/.-])(?P<path>(?:[\w.-]+/)*[\w.-]+\.(?:py|pyi|js|jsx|ts|tsx|mjs|cjs|java|kt|kts|go|rs|c|h|"
                   r"cc|cpp|cxx|hh|hpp|hxx|cs|rb|php|scala|swift))\b")
_DOTTED = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)")
_IDENT = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*)(?![\w])")
_CODE_SPAN = re.compile(r"`{1,3}([^`]+)`{1,3}")

WEIGHT_FRAME = 8.0
WEIGHT_PATH = 6.0
WEIGHT_QUALIFIED = 5.0
WEIGHT_MODULE = 4.0
WEIGHT_IDENT_CODE = 3.0
WEIGHT_IDENT_PROSE = 1.5


@dataclass(slots=True)
class Mention:
    node_id: str
    score: float
    evidence: list[str] = field(default_factory=list)


def find_mentions(text: str, table: SymbolTable, frames: Sequence[Frame] | None = None) -> dict[str, Mention]:
    """Graph nodes the text names, with a score and the evidence, keyed by node id; ``frames``
    are the text's stack frames when the caller has read them already."""
    found: dict[str, Mention] = {}

    def add(node_id: str, score: float, why: str) -> None:
        m = found.get(node_id)
        if m is None:
            found[node_id] = Mention(node_id, score, [why])
        else:
            m.score += score * 0.5 if why not in m.evidence else 0.0
            if why not in m.evidence:
                m.evidence.append(why)

    # stack-trace frames (every language's format): the file, and the function named in it
    for frame in parse_frames(text) if frames is None else frames:
        _frame(frame, table, add)
    # file paths
    for m in _PATH.finditer(text):
        file_id = _resolve_path(m.group("path"), table)
        if file_id is not None:
            add(file_id, WEIGHT_PATH, f"path {m.group('path')}")
    code = " ".join(_CODE_SPAN.findall(text)) + "\n" + _code_blocks(text)
    # dotted names: module paths, then Class.member suffixes
    for m in _DOTTED.finditer(text):
        _dotted(m.group("name"), table, add)
    # bare identifiers: in code, then in prose; rarer names count more
    code_names = set(_IDENT.findall(code))
    prose_names = set(_IDENT.findall(text)) - code_names
    for names, weight, where in ((code_names, WEIGHT_IDENT_CODE, "code"),
                                 (prose_names, WEIGHT_IDENT_PROSE, "text")):
        for name in sorted(names):
            ids = table.by_name.get(name)
            if not ids or len(name) < 3 or not _identifier_like(name, where):
                continue
            score = weight * table.rarity(len(ids))
            for node_id in ids:
                add(node_id, score, f"name {name} in {where}")
    return found


def _frame(frame: Frame, table: SymbolTable, add: Callable[[str, float, str], None]) -> None:
    """A frame names its file (when it is the project's) and its function: looked up by its
    qualified name inside that file, else by its bare name there; a frame without a file (a
    JIT frame, ``Unknown Source``) by its qualified name anywhere, if that is specific."""
    file_id = _resolve_path(frame.path, table) if frame.path else None
    where = f":{frame.line}" if frame.line else ""
    if file_id is not None:
        add(file_id, WEIGHT_FRAME, f"stack frame {table.path_of[file_id]}{where}")
    if not frame.function:
        return
    parts = frame.function.split(".")
    candidates: list[str] = []
    for i in range(len(parts) - 1):
        candidates = table.by_qual_suffix.get(".".join(parts[i:]), [])
        if candidates:
            break
    if file_id is not None:
        path = table.path_of[file_id]
        inside = [c for c in candidates if table.path_of[c] == path] or [
            c for c in table.by_name.get(parts[-1], []) if table.path_of[c] == path]
        for node_id in inside:
            add(node_id, WEIGHT_FRAME, f"stack frame in {frame.function}")
    elif candidates and len(candidates) <= 3:
        for node_id in candidates:
            add(node_id, WEIGHT_QUALIFIED, f"stack frame in {frame.function}")


def _identifier_like(name: str, where: str) -> bool:
    """In prose, only words that look like code (snake_case, CamelCase, dunder) count:
    ``the``, ``value`` or ``Returns`` name definitions too often to mean them."""
    if where == "code":
        return True
    camel = name[0].isupper() and any(c.isupper() for c in name[1:])
    return "_" in name or camel


def _code_blocks(text: str) -> str:
    blocks = re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S)
    return "\n".join(blocks)


def _resolve_path(raw: str, table: SymbolTable) -> str | None:
    parts = raw.replace("\\", "/").split("/")
    for i in range(len(parts)):
        ids = table.by_path_suffix.get("/".join(parts[i:]))
        if ids:
            return sorted(ids, key=len)[0] if len(ids) > 1 and i == len(parts) - 1 else (
                ids[0] if len(ids) == 1 else None)
    return None


def _dotted(name: str, table: SymbolTable, add: Callable[[str, float, str], None]) -> None:
    parts = name.split(".")
    # the longest prefix that is a module, then members inside it
    for cut in range(len(parts), 0, -1):
        file_id = table.module(".".join(parts[:cut]))
        if file_id is None:
            continue
        rest = parts[cut:]
        # a module named on its way to a member (``requests.get``) says little about itself
        add(file_id, WEIGHT_MODULE if not rest else 1.0, f"module {'.'.join(parts[:cut])}")
        if rest:
            path = table.path_of[file_id]
            suffix = ".".join(rest)
            exported = table.export(file_id, rest[0])
            if exported is not None and len(rest) == 1:
                add(exported, WEIGHT_QUALIFIED + 1, f"qualified name {name}")
                return
            base_path = table.path_of[exported] if exported is not None else path
            suffix = ".".join([table.qualname_of(exported), *rest[1:]]) if exported is not None else suffix
            for node_id in table.by_qual_suffix.get(suffix, []) + table.by_name.get(rest[-1], []):
                if table.path_of[node_id] == base_path:
                    add(node_id, WEIGHT_QUALIFIED + 1, f"qualified name {name}")
                    break
        return
    # Class.member written without its module: match qualified-name suffixes
    for i in range(len(parts) - 1):
        suffix = ".".join(parts[i:])
        ids = table.by_qual_suffix.get(suffix)
        if ids:
            score = WEIGHT_QUALIFIED * table.rarity(len(ids))
            for node_id in ids:
                add(node_id, score, f"qualified name {suffix}")
            return
    # an alias such as ``xr.DataArray``: its last part as a name
    ids = table.by_name.get(parts[-1])
    if ids:
        score = WEIGHT_IDENT_CODE * table.rarity(len(ids))
        for node_id in ids:
            add(node_id, score, f"name {parts[-1]} in {name}")
