"""What an issue text names explicitly, resolved against the graph.

Issue texts name code in a handful of ways, most specific first: stack-trace frames
(``File ".../sympy/core/basic.py", line 12, in sort_key``), file paths (``xarray/core/variable.py``),
dotted names (``sympy.core.basic.Basic``, ``Variable.__setitem__``, ``xr.Dataset.to_netcdf``),
and bare identifiers in code spans or prose (``prepare_content_length``, ``LogNormal``).
Each found name is resolved to graph nodes by exact name, qualified-name suffix, module path or
path suffix, never by fuzzy matching, and scored by how specific it is: a frame or full path
beats a qualified name, which beats a bare identifier, whose weight falls with the number of
definitions sharing it (``run`` names dozens of things, ``sort_key`` a few).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from indexer.model import Edge, EdgeKind, Node, NodeKind

CODE_KINDS = (NodeKind.CLASS, NodeKind.FUNCTION, NodeKind.METHOD)

_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>[\w<>.]+))?')
_PATH = re.compile(r"(?<![\w/.-])(?P<path>(?:[\w.-]+/)*[\w.-]+\.(?:py|pyi|js|jsx|ts|tsx|mjs|cjs))\b")
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


MAX_QUAL_SUFFIX_PARTS = 4
"""The longest qualified-name suffix looked up by name (``pkg.Outer.Inner.method``)."""


class SymbolTable:
    """Lookups from names as issues write them to graph node ids."""

    def __init__(self, nodes: Iterable[Node], edges: Iterable[Edge] = ()) -> None:
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.by_qual_suffix: dict[str, list[str]] = defaultdict(list)
        self.files: dict[str, str] = {}
        self.by_module: dict[str, str] = {}
        self.by_path_suffix: dict[str, list[str]] = defaultdict(list)
        self.kind: dict[str, NodeKind] = {}
        self.path_of: dict[str, str] = {}
        for n in nodes:
            self.kind[n.id] = n.kind
            self.path_of[n.id] = n.path
            if n.kind == NodeKind.FILE:
                self.files[n.path] = n.id
                parts = n.path.split("/")
                for i in range(len(parts)):
                    self.by_path_suffix["/".join(parts[i:])].append(n.id)
                for module in _module_names(n.path):
                    self.by_module.setdefault(module, n.id)
            elif n.kind in CODE_KINDS:
                self.by_name[n.name].append(n.id)
                q = n.qualname.split(".")
                # issues name ``Class.method`` or ``mod.Class.method``, not deeper paths; the cap
                # keeps the table linear in the code's size however deep definitions nest
                for i in range(max(0, len(q) - MAX_QUAL_SUFFIX_PARTS), len(q) - 1):
                    self.by_qual_suffix[".".join(q[i:])].append(n.id)
        self.definitions = sum(len(v) for v in self.by_name.values()) or 1
        # what a module re-exports: ``from .api import get`` in requests/__init__.py makes
        # ``requests.get`` name requests/api.py::get
        self.exports: dict[str, dict[str, str]] = defaultdict(dict)
        for e in edges:
            if e.kind == EdgeKind.IMPORTS and e.name and self.kind.get(e.target) in CODE_KINDS:
                self.exports[e.source].setdefault(e.name, e.target)

    def by_qual_name(self, node_id: str) -> str:
        return node_id.split("::", 1)[1].split("#", 1)[0] if "::" in node_id else ""

    def rarity(self, count: int) -> float:
        """1.0 for a unique name, falling towards 0 as more definitions share it."""
        return 1.0 / (1.0 + math.log(count)) if count else 0.0


def _module_names(path: str) -> list[str]:
    stem = path.rsplit(".", 1)[0]
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    parts = stem.split("/")
    names = [".".join(parts[i:]) for i in range(len(parts)) if parts[i:]]
    return names


def find_mentions(text: str, table: SymbolTable) -> dict[str, Mention]:
    """Graph nodes the text names, with a score and the evidence, keyed by node id."""
    found: dict[str, Mention] = {}

    def add(node_id: str, score: float, why: str) -> None:
        m = found.get(node_id)
        if m is None:
            found[node_id] = Mention(node_id, score, [why])
        else:
            m.score += score * 0.5 if why not in m.evidence else 0.0
            if why not in m.evidence:
                m.evidence.append(why)

    # stack-trace frames: the file, and the function named in it
    for m in _FRAME.finditer(text):
        file_id = _resolve_path(m.group("path"), table)
        if file_id is None:
            continue
        add(file_id, WEIGHT_FRAME, f"stack frame {table.path_of[file_id]}:{m.group('line')}")
        func = m.group("func")
        if func and func != "<module>":
            for node_id in table.by_name.get(func.split(".")[-1], []):
                if table.path_of[node_id] == table.path_of[file_id]:
                    add(node_id, WEIGHT_FRAME, f"stack frame in {func}")
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
        file_id = table.by_module.get(".".join(parts[:cut]))
        if file_id is None:
            continue
        rest = parts[cut:]
        # a module named on its way to a member (``requests.get``) says little about itself
        add(file_id, WEIGHT_MODULE if not rest else 1.0, f"module {'.'.join(parts[:cut])}")
        if rest:
            path = table.path_of[file_id]
            suffix = ".".join(rest)
            exported = table.exports.get(file_id, {}).get(rest[0])
            if exported is not None and len(rest) == 1:
                add(exported, WEIGHT_QUALIFIED + 1, f"qualified name {name}")
                return
            base_path = table.path_of[exported] if exported is not None else path
            suffix = ".".join([table.by_qual_name(exported), *rest[1:]]) if exported is not None else suffix
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
