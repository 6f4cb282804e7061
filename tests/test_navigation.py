"""The navigation library on the indexed sample repository: which node a name means, what
uses it, what a change would reach, and reading source safely."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_fixture

from indexer.pipeline import GRAPH_FILE, IndexOptions, index_repository
from indexer.store.kuzu_store import KuzuStore
from queries import navigation as nav


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, KuzuStore]]:
    base = tmp_path_factory.mktemp("navigation")
    root = copy_fixture("pyrepo", base / "pyrepo")
    index_repository(root, IndexOptions(db_dir=base / "db"))
    store = KuzuStore(base / "db" / GRAPH_FILE, read_only=True)
    yield root, store
    store.close()


@pytest.mark.parametrize("ref", ["pkg/core.py::Engine.run", "pkg/core.py:Engine.run", "Engine.run",
                                 "pkg.core.Engine.run"])
def test_every_spelling_of_a_symbol_resolves_to_its_node(indexed: tuple[Path, KuzuStore], ref: str) -> None:
    _, store = indexed
    node = nav.resolve_symbol(store, ref)
    assert node["id"] == "pkg/core.py::Engine.run"
    assert node["kind"] == "method" and node["start_line"] < node["end_line"]


def test_a_file_path_resolves_to_the_file(indexed: tuple[Path, KuzuStore]) -> None:
    _, store = indexed
    assert nav.resolve_symbol(store, "pkg/base.py")["kind"] == "file"


def test_a_shared_name_is_ambiguous_and_lists_the_ids(indexed: tuple[Path, KuzuStore]) -> None:
    _, store = indexed
    with pytest.raises(nav.AmbiguousSymbolError) as info:
        nav.resolve_symbol(store, "run")
    assert "pkg/base.py::Base.run" in str(info.value) and "pkg/core.py::Engine.run" in str(info.value)
    with pytest.raises(nav.NotFoundError):
        nav.resolve_symbol(store, "run", kinds=("class",))


def test_an_unknown_name_suggests_similar_ones(indexed: tuple[Path, KuzuStore]) -> None:
    _, store = indexed
    with pytest.raises(nav.NotFoundError) as info:
        nav.resolve_symbol(store, "Engin")
    message = str(info.value)
    assert "Engine" in message and "find_symbol" in message


def test_uses_list_calls_references_and_subclasses_with_lines(indexed: tuple[Path, KuzuStore]) -> None:
    _, store = indexed
    uses = nav.uses_of(store, ["pkg/core.py::Engine"])
    kinds = {(u.edge, u.id) for u in uses}
    assert ("INHERITS", "pkg/sub/worker.py::Turbo") in kinds
    assert all(u.line for u in uses)
    assert uses == sorted(uses, key=lambda u: (u.path, u.line or 0, u.id, u.edge, u.target))
    only = nav.uses_of(store, ["pkg/core.py::Engine"], edges=("INHERITS",))
    assert {u.edge for u in only} == {"INHERITS"}


def test_impact_is_transitive_breadth_first_and_each_node_once(indexed: tuple[Path, KuzuStore]) -> None:
    _, store = indexed
    direct = nav.impact(store, ["pkg/base.py::Base"], depth=1)
    deeper = nav.impact(store, ["pkg/base.py::Base"], depth=3)
    assert {n.id for n in direct.nodes} < {n.id for n in deeper.nodes}
    assert "pkg/sub/worker.py::Turbo" in {n.id for n in deeper.nodes}  # Turbo -> Engine -> Base
    turbo = next(n for n in deeper.nodes if n.id == "pkg/sub/worker.py::Turbo")
    assert (turbo.depth, turbo.edge, turbo.target) == (2, "INHERITS", "pkg/core.py::Engine")
    assert turbo.line is not None and "Engine" in (indexed[0] / turbo.path).read_text().splitlines()[turbo.line - 1]
    ids = [n.id for n in deeper.nodes]
    assert len(ids) == len(set(ids)) and "pkg/base.py::Base" not in ids
    assert deeper.files == sorted({n.path for n in deeper.nodes})
    with pytest.raises(ValueError, match="depth"):
        nav.impact(store, ["pkg/base.py::Base"], depth=9)


def test_impact_of_a_file_reaches_its_importers(indexed: tuple[Path, KuzuStore]) -> None:
    _, store = indexed
    found = nav.impact(store, nav.file_members(store, "pkg/base.py"), depth=1)
    assert "pkg/core.py" in found.files


def test_class_hierarchy_both_ways(indexed: tuple[Path, KuzuStore]) -> None:
    _, store = indexed
    tree = nav.class_hierarchy(store, "pkg/core.py::Engine")
    assert [r["id"] for r in tree["superclasses"]][:1] == ["pkg/base.py::Base"]
    assert [r["id"] for r in tree["subclasses"]] == ["pkg/sub/worker.py::Turbo"]
    assert nav.class_hierarchy(store, "pkg/core.py::Engine", "up")["subclasses"] == []


def test_read_lines_pages_numbers_and_clips(indexed: tuple[Path, KuzuStore], tmp_path: Path) -> None:
    root, _ = indexed
    first = nav.read_lines(root, "pkg/base.py", 1, None, max_lines=5)
    assert first.start_line == 1 and first.end_line == 5 and first.next_start_line == 6
    assert first.text.splitlines()[0] == '1\t"""Base classes shared by the engines."""'
    rest = nav.read_lines(root, "pkg/base.py", first.next_start_line or 0, None, max_lines=1000)
    assert rest.next_start_line is None and rest.end_line == rest.total_lines
    (root / "wide.txt").write_text("x" * 5000 + "\n")
    wide = nav.read_lines(root, "wide.txt")
    assert "[3000 more characters on this line]" in wide.text and len(wide.text) < 2100


@pytest.mark.parametrize("path", ["../outside.py", "/etc/passwd", "pkg/../../outside.py", "", "pkg/\x00.py"])
def test_paths_outside_the_repository_are_refused(indexed: tuple[Path, KuzuStore], path: str) -> None:
    root, _ = indexed
    with pytest.raises(nav.PathOutsideRepositoryError):
        nav.read_lines(root, path)


def test_a_symlink_out_of_the_repository_is_refused(indexed: tuple[Path, KuzuStore], tmp_path: Path) -> None:
    root, _ = indexed
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read\n")
    link = root / "escape.txt"
    os.symlink(secret, link)
    try:
        with pytest.raises(nav.PathOutsideRepositoryError):
            nav.read_lines(root, "escape.txt")
    finally:
        link.unlink()


def test_missing_binary_and_directory_paths_say_what_to_do(indexed: tuple[Path, KuzuStore]) -> None:
    root, _ = indexed
    with pytest.raises(nav.NotFoundError, match="no file"):
        nav.read_lines(root, "pkg/nope.py")
    with pytest.raises(nav.NotFoundError, match="directory"):
        nav.read_lines(root, "pkg")
    (root / "data.bin").write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(ValueError, match="binary"):
        nav.read_lines(root, "data.bin")
    with pytest.raises(ValueError, match="past the end"):
        nav.read_lines(root, "pkg/base.py", 10_000)
