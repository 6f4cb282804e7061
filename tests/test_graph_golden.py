"""The whole graph of the Python sample repository, compared with a reviewed golden dump.

When a change to the indexer changes the graph on purpose, regenerate the golden file and
review its diff like code::

    REPOLENS_UPDATE_GOLDEN=1 pytest tests/test_graph_golden.py

The other tests here pin the file-level hard cases by name, so a failure says which broke.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from golden import check_golden

from indexer.dump import dump_text, edge_line, node_line
from indexer.model import Edge, EdgeKind, FileStatus, Graph, Node, NodeKind, Resolution
from indexer.pipeline import IndexReport
from indexer.store.kuzu_store import KuzuStore


@pytest.fixture
def pyrepo_graph(pyrepo_indexed: tuple[IndexReport, str]) -> str:
    return pyrepo_indexed[1]


def test_pyrepo_graph_matches_golden(pyrepo_graph: str) -> None:
    check_golden(pyrepo_graph, "pyrepo.graph.txt")


def test_indexing_leaves_the_source_tree_alone(pyrepo_graph: str) -> None:
    fixture = Path(__file__).parent / "fixtures" / "pyrepo"
    assert not (fixture / ".repolens").exists()
    assert not (fixture / "generated").exists()


def _lines(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def test_ignored_folders_are_not_indexed(pyrepo_graph: str) -> None:
    for folder in ("generated", "node_modules", "env"):  # .gitignore, by name, by pyvenv.cfg
        assert not [line for line in pyrepo_graph.splitlines() if f" {folder}/" in line
                    or line.startswith(f"node {folder}")], folder


def test_binary_file_with_py_extension_is_skipped_with_reason(pyrepo_graph: str) -> None:
    assert _lines(pyrepo_graph, "node blob.py") == [
        'node blob.py file lang=python status=skipped error="binary: NUL byte in the first 8192 bytes"']


def test_syntax_error_file_is_partial_with_recovered_definitions(pyrepo_graph: str) -> None:
    (file_line,) = _lines(pyrepo_graph, "node broken.py ")
    assert "status=partial" in file_line
    assert 'error="1 syntax error(s), first at line 9"' in file_line
    assert [line.split()[1] for line in _lines(pyrepo_graph, "node broken.py::")] == [
        "broken.py::after", "broken.py::before", "broken.py::broken"]
    assert 'sig="def broken(x)"' in _lines(pyrepo_graph, "node broken.py::broken")[0]
    assert "CALLS broken.py::after -> broken.py::before [exact, line 13, \"before\"]" in pyrepo_graph


def test_latin1_file_is_transcoded_and_noted(pyrepo_graph: str) -> None:
    (file_line,) = _lines(pyrepo_graph, "node legacy_latin1.py ")
    assert "status=ok" in file_line
    assert 'error="not valid UTF-8; decoded as latin-1 per its coding cookie"' in file_line
    assert 'doc="Café helpers, saved in Latin-1."' in file_line  # after the coding comment
    assert "node legacy_latin1.py::greet function" in pyrepo_graph


def test_fixture_bytes_are_kept_exact_by_git() -> None:
    fixture = Path(__file__).parent / "fixtures" / "pyrepo"
    assert b"\0" in (fixture / "blob.py").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        (fixture / "legacy_latin1.py").read_bytes().decode("utf-8")


def test_unresolvable_call_is_kept_by_name(pyrepo_graph: str) -> None:
    assert "node unresolved::frobnicate unresolved" in pyrepo_graph
    assert ('CALLS pkg/sub/worker.py::work -> unresolved::frobnicate [unresolved, line 17, '
            '"obj.frobnicate"]') in pyrepo_graph


def test_stdlib_join_never_reaches_our_joins(pyrepo_graph: str) -> None:
    calls_to_join = {line.split(" [")[0] for line in _lines(pyrepo_graph, "CALLS ")
                     if line.split(" -> ")[1].split(" [")[0].endswith("join")}
    assert calls_to_join == {
        "CALLS app.py::main -> extern::os.path.join",
        "CALLS app.py::main -> pkg/paths.py::join",          # paths_mod.join and pjoin
        "CALLS pkg/paths.py::join -> extern::builtins.str.join",  # "/".join
        "CALLS pkg/paths.py::normalize -> pkg/paths.py::join",
        "CALLS pkg/sub/worker.py::work -> pkg/util.py::join",
        "CALLS pkg/util.py::helper -> pkg/util.py::join",
        "CALLS pkg/util.py::join -> extern::os.path.join",
    }


# -- the dump format itself ------------------------------------------------------------------------

def test_dump_text_is_canonical_whatever_the_order() -> None:
    nodes = [
        Node("a.py", NodeKind.FILE, "a.py", "a.py", start_line=1, end_line=3, language="python",
             status=FileStatus.OK),
        Node("a.py::f", NodeKind.FUNCTION, "f", "a.py", "f", 1, 2, "def f()", 'Say "hi".'),
        Node("extern::os", NodeKind.EXTERNAL, "os", "", "os"),
    ]
    edges = [
        Edge(EdgeKind.CONTAINS, "a.py", "a.py::f"),
        Edge(EdgeKind.CALLS, "a.py::f", "extern::os", 2, Resolution.EXTERNAL, "os"),
        Edge(EdgeKind.CALLS, "a.py", "a.py::f", 3, Resolution.EXACT, "f"),
    ]
    text = dump_text(Graph(tuple(nodes), tuple(edges)))
    random.seed(7)
    random.shuffle(nodes)
    random.shuffle(edges)
    assert dump_text(Graph(tuple(nodes), tuple(edges))) == text
    assert text.splitlines() == [
        "node a.py file lines=1-3 lang=python status=ok",
        'node a.py::f function lines=1-2 sig="def f()" doc="Say \\"hi\\"."',
        "node extern::os external",
        'CALLS a.py -> a.py::f [exact, line 3, "f"]',
        'CALLS a.py::f -> extern::os [external, line 2, "os"]',
        "CONTAINS a.py -> a.py::f",
    ]


def test_dump_lines_are_single_lines() -> None:
    node = Node("a.py", NodeKind.FILE, "a.py", "a.py", error="two\nlines")
    assert "\n" not in node_line(node)
    assert "\n" not in edge_line(Edge(EdgeKind.CALLS, "a", "b", 1, Resolution.EXACT, "x\ny"))


def test_store_dump_is_what_was_stored(tmp_path: Path) -> None:
    nodes = (Node(".", NodeKind.REPOSITORY, "r", "."), Node("a.py", NodeKind.FILE, "a.py", "a.py"))
    edges = (Edge(EdgeKind.CONTAINS, ".", "a.py"),)
    store = KuzuStore(tmp_path / "g.kuzu")
    try:
        store.replace_all(nodes, edges)
        assert dump_text(store.dump()) == dump_text(Graph(nodes, edges))
    finally:
        store.close()
