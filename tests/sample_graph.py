"""The hand-built graphs the store and query tests share, so every backend is tested on the
same data.

``small_graph``: two files, every node field and edge kind, for store behaviour.
``sample_graph``: three modules and an app with inheritance chains, nested and recursive
functions and calls of every resolution, for the named queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from indexer.model import Edge, EdgeKind, FileStatus, Graph, Node, NodeKind, Resolution
from indexer.store.base import GraphChange

A, B = "pkg/a.py", "pkg/b.py"


def described_code(path: str, qualname: str, kind: NodeKind, start: int, end: int) -> Node:
    """A class or function node of the small graph: every optional field filled."""
    return Node(id=f"{path}::{qualname}", kind=kind, name=qualname.rsplit(".", 1)[-1],
                path=path, qualname=qualname, start_line=start, end_line=end,
                signature=f"{kind} {qualname}", doc=f"About {qualname}.")


def small_graph() -> Graph:
    """Two files, Shape <- Circle, methods calling each other, an external symbol, every
    node field and edge kind used at least once."""
    nodes = (
        Node(".", NodeKind.REPOSITORY, ".", ""),
        Node("pkg", NodeKind.DIRECTORY, "pkg", "pkg"),
        Node(A, NodeKind.FILE, "a.py", A, language="python", status=FileStatus.OK),
        Node(B, NodeKind.FILE, "b.py", B, language="python", status=FileStatus.PARTIAL,
             error="syntax error at 9:1"),
        described_code(A, "Shape", NodeKind.CLASS, 1, 8),
        described_code(A, "Shape.area", NodeKind.METHOD, 2, 4),
        described_code(A, "Shape.describe", NodeKind.METHOD, 5, 8),
        described_code(B, "Circle", NodeKind.CLASS, 3, 12),
        described_code(B, "Circle.area", NodeKind.METHOD, 4, 6),
        described_code(B, "Circle.area.square", NodeKind.FUNCTION, 5, 5),
        described_code(B, "make", NodeKind.FUNCTION, 14, 16),
        Node("extern::math.pi", NodeKind.EXTERNAL, "pi", "", "math.pi"),
    )
    contains = [(".", "pkg"), ("pkg", A), ("pkg", B), (A, f"{A}::Shape"),
                (f"{A}::Shape", f"{A}::Shape.area"), (f"{A}::Shape", f"{A}::Shape.describe"),
                (B, f"{B}::Circle"), (f"{B}::Circle", f"{B}::Circle.area"),
                (f"{B}::Circle.area", f"{B}::Circle.area.square"), (B, f"{B}::make")]
    edges = [Edge(EdgeKind.CONTAINS, s, t) for s, t in contains]
    edges += [
        Edge(EdgeKind.INHERITS, f"{B}::Circle", f"{A}::Shape", 3, Resolution.EXACT, "Shape"),
        Edge(EdgeKind.IMPORTS, B, f"{A}::Shape", 1, Resolution.EXACT, "Shape"),
        Edge(EdgeKind.IMPORTS, B, "extern::math.pi", 2, Resolution.EXTERNAL, "math.pi"),
        Edge(EdgeKind.CALLS, f"{A}::Shape.describe", f"{A}::Shape.area", 6, Resolution.EXACT,
             "self.area"),
        Edge(EdgeKind.CALLS, f"{B}::Circle.area", f"{B}::Circle.area.square", 6,
             Resolution.EXACT, "square"),
        Edge(EdgeKind.CALLS, f"{B}::make", f"{B}::Circle", 15, Resolution.EXACT, "Circle"),
        Edge(EdgeKind.CALLS, f"{B}::make", f"{A}::Shape.describe", 16, Resolution.INFERRED,
             "c.describe"),
        Edge(EdgeKind.REFERENCES, f"{B}::make", f"{A}::Shape", 14, Resolution.EXACT, "Shape"),
    ]
    return Graph(nodes=nodes, edges=tuple(edges))


def sorted_graph(nodes: Iterable[Node], edges: Iterable[Edge]) -> Graph:
    return Graph(nodes=tuple(sorted(nodes, key=lambda n: n.id)),
                 edges=tuple(sorted(edges, key=lambda e: e.key)))


def apply_in_memory(graph: Graph, change: GraphChange) -> Graph:
    """What the store should hold after ``change``, computed without a database."""
    nodes = {n.id: n for n in graph.nodes}
    edges = {e.key: e for e in graph.edges}
    for key in change.remove_edges:
        edges.pop(key, None)
    for node_id in change.remove_nodes:
        nodes.pop(node_id, None)
        edges = {k: e for k, e in edges.items() if node_id not in (e.source, e.target)}
    nodes.update((n.id, n) for n in (*change.update_nodes, *change.add_nodes))
    edges.update((e.key, e) for e in change.add_edges)
    return sorted_graph(nodes.values(), edges.values())


def file_b_edited() -> GraphChange:
    """b.py edited: make() renamed build(), Circle.area changed, a new helper calling pi."""
    make, circle_area = f"{B}::make", f"{B}::Circle.area"
    build = described_code(B, "build", NodeKind.FUNCTION, 14, 17)
    helper = described_code(B, "helper", NodeKind.FUNCTION, 20, 21)
    return GraphChange(
        remove_edges=[(EdgeKind.CALLS, circle_area, f"{B}::Circle.area.square"),
                      ("IMPORTS", B, "extern::math.pi")],
        remove_nodes=[make],
        update_nodes=[replace(small_graph().nodes[8], end_line=9, doc=None, signature=None),
                      replace(small_graph().nodes[3], status=FileStatus.OK, error=None)],
        add_nodes=[build, helper, Node("extern::math.tau", NodeKind.EXTERNAL, "tau", "",
                                       "math.tau")],
        add_edges=[
            Edge(EdgeKind.CONTAINS, B, build.id), Edge(EdgeKind.CONTAINS, B, helper.id),
            Edge(EdgeKind.CALLS, build.id, f"{B}::Circle", 15, Resolution.EXACT, "Circle"),
            Edge(EdgeKind.CALLS, build.id, f"{A}::Shape.area", 16, Resolution.INFERRED,
                 "c.area"),
            Edge(EdgeKind.CALLS, helper.id, "extern::math.tau", 21, Resolution.EXTERNAL,
                 "math.tau"),
            Edge(EdgeKind.CALLS, circle_area, helper.id, 5, Resolution.EXACT, "helper"),
            Edge(EdgeKind.IMPORTS, B, "extern::math.tau", 2, Resolution.EXTERNAL, "math.tau"),
        ],
    )


# -- the named-query sample --------------------------------------------------------------

F, C, M, X, U = NodeKind.FUNCTION, NodeKind.CLASS, NodeKind.METHOD, NodeKind.EXTERNAL, \
    NodeKind.UNRESOLVED
EXACT, INFERRED, EXTERNAL, UNRESOLVED = (Resolution.EXACT, Resolution.INFERRED,
                                         Resolution.EXTERNAL, Resolution.UNRESOLVED)
BASE, CORE, UTIL, APP = "pkg/base.py", "pkg/core.py", "pkg/util.py", "app.py"


def _sample_code(path: str, qualname: str, kind: NodeKind, start: int, end: int,
                 signature: str | None = None, doc: str | None = None) -> Node:
    return Node(id=f"{path}::{qualname}", kind=kind, name=qualname.rsplit(".", 1)[-1],
                path=path, qualname=qualname, start_line=start, end_line=end,
                signature=signature, doc=doc)


def _file(path: str) -> Node:
    return Node(id=path, kind=NodeKind.FILE, name=path.rsplit("/", 1)[-1], path=path,
                language="python", status=FileStatus.OK)


def sample_graph() -> Graph:
    """Three modules and an app: Base <- Engine <- TurboEngine, a nested function, a
    recursive function, calls of every resolution, an external base class."""
    nodes = [
        Node(".", NodeKind.REPOSITORY, ".", ""),
        Node("pkg", NodeKind.DIRECTORY, "pkg", "pkg"),
        _file(BASE), _file(CORE), _file(UTIL), _file(APP),
        _sample_code(BASE, "Base", C, 1, 10, "class Base", "The base."),
        _sample_code(BASE, "Base.run", M, 3, 5, "def run(self)"),
        _sample_code(BASE, "Base._log", M, 7, 9, "def _log(self, msg)"),
        _sample_code(BASE, "helper", F, 12, 16, "def helper(n)", "Help."),
        _sample_code(CORE, "Engine", C, 3, 18, "class Engine(Base)"),
        _sample_code(CORE, "Engine.__init__", M, 4, 5, "def __init__(self)"),
        _sample_code(CORE, "Engine.run", M, 6, 14, "def run(self)"),
        _sample_code(CORE, "Engine.run.inner", F, 7, 8, "def inner()"),
        _sample_code(CORE, "TurboEngine", C, 20, 26, "class TurboEngine(Engine)"),
        _sample_code(CORE, "TurboEngine.run", M, 21, 26, "def run(self)"),
        _sample_code(CORE, "CustomError", C, 30, 31, "class CustomError(Exception)"),
        _sample_code(UTIL, "helper2", F, 1, 3, "def helper2()"),
        _sample_code(APP, "main", F, 4, 12, "def main()", "Entry point."),
        Node("extern::os.path.join", X, "join", "", "os.path.join"),
        Node("extern::os.path", X, "path", "", "os.path"),
        Node("extern::Exception", X, "Exception", "", "Exception"),
        Node("unresolved::frobnicate", U, "frobnicate", "", "frobnicate"),
    ]
    contains = [
        (".", "pkg"), (".", APP), ("pkg", BASE), ("pkg", CORE), ("pkg", UTIL),
        (BASE, f"{BASE}::Base"), (f"{BASE}::Base", f"{BASE}::Base.run"),
        (f"{BASE}::Base", f"{BASE}::Base._log"), (BASE, f"{BASE}::helper"),
        (CORE, f"{CORE}::Engine"), (f"{CORE}::Engine", f"{CORE}::Engine.__init__"),
        (f"{CORE}::Engine", f"{CORE}::Engine.run"),
        (f"{CORE}::Engine.run", f"{CORE}::Engine.run.inner"),
        (CORE, f"{CORE}::TurboEngine"), (f"{CORE}::TurboEngine", f"{CORE}::TurboEngine.run"),
        (CORE, f"{CORE}::CustomError"), (UTIL, f"{UTIL}::helper2"), (APP, f"{APP}::main"),
    ]
    edges = [Edge(EdgeKind.CONTAINS, s, t) for s, t in contains]
    edges += [
        Edge(EdgeKind.CALLS, f"{APP}::main", f"{CORE}::TurboEngine", 5, EXACT, "TurboEngine"),
        Edge(EdgeKind.CALLS, f"{APP}::main", f"{CORE}::TurboEngine.run", 6, INFERRED, "e.run"),
        Edge(EdgeKind.CALLS, f"{CORE}::TurboEngine.run", f"{CORE}::Engine.run", 22, EXACT,
             "super().run"),
        Edge(EdgeKind.CALLS, f"{CORE}::Engine.run", f"{BASE}::Base._log", 9, EXACT,
             "self._log"),
        Edge(EdgeKind.CALLS, f"{CORE}::Engine.run", f"{BASE}::helper", 10, EXACT, "helper"),
        Edge(EdgeKind.CALLS, f"{CORE}::Engine.run", "extern::os.path.join", 11, EXTERNAL,
             "os.path.join"),
        Edge(EdgeKind.CALLS, f"{BASE}::Base.run", f"{BASE}::Base._log", 4, EXACT, "self._log"),
        Edge(EdgeKind.CALLS, f"{BASE}::helper", f"{BASE}::helper", 14, EXACT, "helper"),
        Edge(EdgeKind.CALLS, f"{BASE}::helper", "unresolved::frobnicate", 15, UNRESOLVED,
             "frobnicate"),
        Edge(EdgeKind.INHERITS, f"{CORE}::Engine", f"{BASE}::Base", 3, EXACT, "Base"),
        Edge(EdgeKind.INHERITS, f"{CORE}::TurboEngine", f"{CORE}::Engine", 20, EXACT, "Engine"),
        Edge(EdgeKind.INHERITS, f"{CORE}::CustomError", "extern::Exception", 30, EXTERNAL,
             "Exception"),
        Edge(EdgeKind.IMPORTS, CORE, f"{BASE}::Base", 1, EXACT, "Base"),
        Edge(EdgeKind.IMPORTS, CORE, f"{BASE}::helper", 1, EXACT, "helper"),
        Edge(EdgeKind.IMPORTS, CORE, "extern::os.path", 2, EXTERNAL, "os.path"),
        Edge(EdgeKind.IMPORTS, APP, f"{CORE}::TurboEngine", 1, EXACT, "TurboEngine"),
        Edge(EdgeKind.IMPORTS, APP, UTIL, 2, EXACT, "pkg.util"),
        Edge(EdgeKind.REFERENCES, f"{APP}::main", f"{CORE}::CustomError", 9, EXACT,
             "CustomError"),
    ]
    return Graph(nodes=tuple(nodes), edges=tuple(edges))


# Parameters for each named query that find something in the sample graph.
EXAMPLE_PARAMS: dict[str, dict[str, Any]] = {
    "file_outline": {"path": CORE},
    "find_symbol": {"name": "run"},
    "callers": {"id": f"{BASE}::helper", "depth": 5},
    "callees": {"id": f"{APP}::main", "depth": 5},
    "call_path": {"source": f"{APP}::main", "target": f"{BASE}::Base._log"},
    "imports": {"path": CORE},
    "importers": {"path": BASE},
    "subclasses": {"id": f"{BASE}::Base"},
    "superclasses": {"id": f"{CORE}::TurboEngine"},
    "neighbours": {"id": f"{CORE}::Engine.run"},
    "stats": {},
    "dependents": {"ids": [f"{BASE}::helper", f"{CORE}::CustomError"]},
    "dependencies": {"ids": [f"{APP}::main", f"{CORE}::Engine.run"]},
    "nodes": {"ids": [CORE, f"{CORE}::Engine.run", "no/such.py::thing"]},
}
