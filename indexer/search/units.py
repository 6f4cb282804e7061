"""Code units: the pieces of a repository that retrieval ranks.

A unit is a class, a function or method, or a file summary (its path, module docstring and
the names it defines). Units are built from the stored graph plus the source lines their
spans cover, so every retriever (BM25, embeddings, graph) ranks the same ids as the graph.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from indexer.files import NotRegularFileError, open_regular
from indexer.model import Graph, Node, NodeKind

_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs"})
"""Not ``testing``: numpy.testing and friends are public library code (a ``testing`` folder of
test files is found by ``classify_paths``)."""
_VENDOR_DIRS = frozenset({"extern", "externals", "vendor", "vendored", "_vendor", "third_party", "thirdparty",
                          "node_modules", "bower_components"})
_DOTTED_TEST = re.compile(r"\.(?:test|spec)(?:-d)?\.")
"""``app.test.ts``, ``app.spec.js``, and TypeScript's type tests ``app.test-d.ts``."""
_TEST_SUFFIX = re.compile(r"(?:.(?:Tests?|Spec)|[a-z0-9]IT)$")
_TEST_SUFFIX_LANGUAGES = frozenset({"java", "kt", "kts", "scala", "groovy", "cs", "php", "swift"})


def is_test_name(name: str) -> bool:
    """Whether a file name is a test by its ecosystem's convention: ``test_*.py``,
    ``*_test.py``/``*_test.go``/``*_test.rb``/``*_test.cc``, ``*_spec.rb``, ``*.test.*``/``*.spec.*``/
    ``*.test-d.ts`` (JavaScript, TypeScript), ``conftest.py``, and ``FooTest``/``FooTests``/``FooIT``/``FooSpec``
    in Java, Kotlin, Scala, C#, PHP and Swift."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return False
    lower = name.lower()
    return (lower == "conftest.py" or (lower.startswith("test_") and ext == "py")
            or stem.lower().endswith(("_test", "_spec", "_tests")) or _DOTTED_TEST.search(lower) is not None
            or (ext in _TEST_SUFFIX_LANGUAGES and _TEST_SUFFIX.search(stem) is not None))


def is_test_path(path: str) -> bool:
    """Whether ``path`` is test code by the usual conventions: inside a ``test``, ``tests``,
    ``__tests__`` or ``spec`` directory (Maven's ``src/test/java`` too), or a test by its name
    (``is_test_name``)."""
    *folders, name = path.split("/")
    return any(f.lower() in _TEST_DIRS for f in folders) or is_test_name(name)


def embedded_unit(path: str) -> bool:
    """Whether the units of ``path`` get a vector in the dense index: all but test code.
    Issues are fixed in the code under test, test code keeps its lexical, name and graph
    signals, and it is a third of a repository's units (sympy: 14,976 of 41,973), so leaving
    it out makes a first index that much faster."""
    return not is_test_path(path)


_RELEASE = re.compile(r"[-_.]v?\d+\.\d+(?:\.\d+)*(?:[-.](?:min|slim|esm|umd))*\.m?js$")
"""A script named after its release (``jquery-3.4.1.js``, ``underscore-1.13.1.min.js``): a copy."""


def is_vendored_path(path: str) -> bool:
    """Whether ``path`` is third-party code copied into the repository (``extern/``,
    ``vendor/``, ``third_party/``, ...), a minified bundle (``*.min.js``) or a script named
    after its release (``jquery-3.4.1.js``)."""
    *folders, name = path.lower().split("/")
    return any(f in _VENDOR_DIRS for f in folders) or ".min." in name or _RELEASE.search(name) is not None


_EXAMPLE_DIRS = frozenset({"example", "examples", "sample", "samples", "demo", "demos", "tutorial", "tutorials",
                           "cookbook"})
_DOC_DIRS = frozenset({"doc", "docs", "documentation"})


class CodeRole(StrEnum):
    """What a file is to the project, by the conventions of its path: the project's own code,
    or code that is not where an issue is fixed or what a map of the project is about."""

    CODE = "code"
    TESTS = "tests"
    EXAMPLES = "examples"
    DOCS = "docs"
    VENDORED = "vendored"


ROLES = tuple(CodeRole)
"""Every role, in code order: ``ROLES[code]`` is the role of a per-unit role array's code."""
ROLE_CODES = {role: code for code, role in enumerate(ROLES)}
"""A small number per role, for per-unit arrays."""
ROLE_WORDS = {CodeRole.CODE: "project", CodeRole.TESTS: "test", CodeRole.EXAMPLES: "example",
              CodeRole.DOCS: "documentation", CodeRole.VENDORED: "vendored"}
"""How answers name each role (``3 test files``, ``test code``)."""


def path_role(path: str) -> CodeRole:
    """The role of ``path`` by its own path: vendored (see is_vendored_path) before tests
    (is_test_path) before examples (under ``examples/``, ``samples/``, ``demo/``, ``tutorial/``,
    ...) before docs (under ``doc/``, ``docs/``, ``documentation/``); else code. See
    ``classify_paths`` for the rules that look at a whole repository."""
    if is_vendored_path(path):
        return CodeRole.VENDORED
    if is_test_path(path):
        return CodeRole.TESTS
    folders = path.lower().split("/")[:-1]
    if any(f in _EXAMPLE_DIRS for f in folders):
        return CodeRole.EXAMPLES
    if any(f in _DOC_DIRS for f in folders):
        return CodeRole.DOCS
    return CodeRole.CODE


MIN_TEST_FOLDER_FILES = 3
TEST_FOLDER_SHARE = 0.8
_NOT_COUNTED = frozenset({"__init__.py", "conftest.py", "index.js", "index.ts", "mod.rs"})
_VERSION = re.compile(rb"^__version__\s*(?::[^=\n]*)?=", re.M)
VERSION_PROBE_BYTES = 65536


def classify_paths(root: Path, paths: Iterable[str]) -> dict[str, CodeRole]:
    """The role of each of ``paths`` (files of one repository), by ``path_role`` and two rules
    that need the whole repository:

    - a folder whose own files are nearly all tests by name (at least three, 80%, not counting
      ``__init__.py`` and the like) holds tests, with everything under it: pytest's ``testing/``
      and its helpers, where the folder name says nothing;
    - a Python package inside another package whose ``__init__.py`` sets ``__version__`` is a
      copied third-party package (``requests/packages/urllib3``, ``sympy/multipledispatch``):
      vendored, with everything under it. A licence file alone is not taken as a sign:
      ``sympy/parsing/latex`` carries one for its grammar and is sympy's own code.

    Reads at most VERSION_PROBE_BYTES of the ``__init__.py`` of nested packages, nothing else."""
    paths = sorted(set(paths))
    roles = {p: path_role(p) for p in paths}
    own: dict[str, list[int]] = {}
    for p in paths:
        folder, _, name = p.rpartition("/")
        if folder and name not in _NOT_COUNTED:
            counts = own.setdefault(folder, [0, 0])
            counts[0] += 1
            counts[1] += is_test_name(name)
    tests = [f for f, (n, t) in own.items() if t >= MIN_TEST_FOLDER_FILES and t >= TEST_FOLDER_SHARE * n]
    present = set(paths)
    vendored = [p.rpartition("/")[0] for p in paths
                if p.endswith("/__init__.py") and roles[p] == CodeRole.CODE
                and p.rpartition("/")[0].rpartition("/")[0] + "/__init__.py" in present and _sets_version(root / p)]
    for folders, role in ((tests, CodeRole.TESTS), (vendored, CodeRole.VENDORED)):
        for folder in folders:
            prefix = folder + "/"
            for p in paths[bisect.bisect_left(paths, prefix):]:
                if not p.startswith(prefix):
                    break
                if roles[p] in (CodeRole.CODE, CodeRole.EXAMPLES, CodeRole.DOCS):
                    roles[p] = role
    return roles


def role_reads(path: str) -> bool:
    """Whether ``classify_paths`` reads the content of ``path`` (so a change to it can change
    roles, not only an added or removed file)."""
    return path.endswith("/__init__.py")


def _sets_version(path: Path) -> bool:
    try:
        with open_regular(path) as handle:
            return bool(_VERSION.search(handle.read(VERSION_PROBE_BYTES)))
    except (OSError, NotRegularFileError):
        return False


MAX_UNIT_CHARS = 4000
"""Source beyond this is cut from a unit's text: signatures and the start of a body carry the
meaning, and embedding models truncate long inputs anyway."""

UNIT_KINDS = (NodeKind.FILE, NodeKind.CLASS, NodeKind.FUNCTION, NodeKind.METHOD)


@dataclass(frozen=True, slots=True)
class CodeUnit:
    id: str
    """The graph node id (a file's id is its path)."""
    kind: NodeKind
    path: str
    qualname: str
    start_line: int
    end_line: int
    text: str
    """Header (path, qualified name, signature, doc) and then the source."""
    digest: str = field(init=False, repr=False, compare=False)
    """Content address of the text: equal texts share cached embeddings across indexes and
    checkouts (computed once: an update asks for it several times per unit)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", hashlib.blake2b(self.text.encode("utf-8"), digest_size=16).hexdigest())


def build_units(root: Path, graph: Graph) -> list[CodeUnit]:
    """Every file, class and function of ``graph`` as a unit, sorted by id. Files that cannot
    be read contribute their header only."""
    by_file: dict[str, list[Node]] = {}
    for node in graph.nodes:
        if node.kind in UNIT_KINDS:
            by_file.setdefault(node.path, []).append(node)
    units = [u for path in sorted(by_file) for u in file_units(root, path, by_file[path])]
    units.sort(key=lambda u: u.id)
    return units


def file_units(root: Path, path: str, nodes: Iterable[Node]) -> list[CodeUnit]:
    """The units of one file from its nodes (those of other kinds are ignored): its summary
    unit and one per class and function, in the file's order; none without a file node."""
    file_node: Node | None = None
    members: list[Node] = []
    for node in nodes:
        if node.kind == NodeKind.FILE:
            file_node = node
        elif node.kind in UNIT_KINDS:
            members.append(node)
    if file_node is None:
        return []
    lines = source_lines(root / path)
    members.sort(key=lambda n: (n.start_line or 0, n.id))
    summary = [f"file {path}"]
    if file_node.doc:
        summary.append(file_node.doc)
    summary.extend(f"{m.kind.value} {m.qualname}" + (f": {m.doc}" if m.doc else "") for m in members
                   if m.kind == NodeKind.CLASS or "." not in m.qualname)
    units = [CodeUnit(path, NodeKind.FILE, path, "", 1, file_node.end_line or 1, "\n".join(summary)[:MAX_UNIT_CHARS])]
    for m in members:
        start, end = m.start_line or 1, m.end_line or m.start_line or 1
        header = [f"{m.kind.value} {m.qualname} in {path}"]
        if m.signature:
            header.append(m.signature)
        if m.doc:
            header.append(m.doc)
        body = "".join(lines[start - 1:end]) if lines else ""
        units.append(CodeUnit(m.id, m.kind, path, m.qualname, start, end,
                              ("\n".join(header) + "\n" + body)[:MAX_UNIT_CHARS]))
    return units


def source_lines(path: Path, limit: int = -1) -> list[str]:
    """The lines of a source file (with their ends), of its first ``limit`` bytes when given;
    none when it cannot be read."""
    # A regular file only: the file indexed there may have become a FIFO, whose read would never end.
    try:
        with open_regular(path) as handle:
            return handle.read(limit).decode("utf-8", "replace").splitlines(keepends=True)
    except (OSError, NotRegularFileError):
        return []


def unit_ids(units: Iterable[CodeUnit]) -> list[str]:
    return [u.id for u in units]
