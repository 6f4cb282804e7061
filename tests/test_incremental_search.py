"""The search indexes updated by delta equal the ones a fresh index builds: after editing a
function, adding, deleting and renaming files and changing an interface other files use, the
units, the lexical index, the dense vectors, the adjacency (graph signal), the symbol table
and localize's answers are the same as those of a new index of the same tree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import copy_fixture

from indexer.pipeline import IndexOptions
from indexer.search.context import RetrievalContext, load_context
from indexer.search.mark import saved_generation
from indexer.search.units import ROLE_CODES, CodeRole, is_test_path
from indexer.update import SearchOptions, open_context, update_index
from queries.localize import localize

QUERIES = ("engine run fails with a stack trace in stop", "join paths of a worker",
           "zebra counting helper returns the wrong total", "Engine.version")
TABLE_PARTS = ("by_name", "by_qual_suffix", "by_path_suffix", "files", "kind", "path_of", "_modules", "_imports",
               "definitions")


def assert_same(got: RetrievalContext, fresh: RetrievalContext) -> None:
    a, b = got.meta, fresh.meta
    assert a.ids == b.ids and a.kinds == b.kinds and a.paths == b.paths and a.qualnames == b.qualnames
    assert a.starts == b.starts and a.ends == b.ends and a.signatures == b.signatures and a.docs == b.docs
    assert np.array_equal(a.file_of, b.file_of) and np.array_equal(a.top_of, b.top_of)
    assert got.adjacency.shape == fresh.adjacency.shape and (got.adjacency != fresh.adjacency).nnz == 0
    assert (got.walk != fresh.walk).nnz == 0
    assert all(np.array_equal(x, y) for x, y in zip(got.flags, fresh.flags, strict=True))
    assert got.lexical.ids == fresh.lexical.ids and got.lexical.vocabulary == fresh.lexical.vocabulary
    assert (got.lexical._counts != fresh.lexical._counts).nnz == 0
    for part in TABLE_PARTS:
        assert getattr(got.table, part) == getattr(fresh.table, part), part
    assert (got.dense is None) == (fresh.dense is None)
    if got.dense is not None:
        assert got.dense.ids == fresh.dense.ids and got.dense.digests == fresh.dense.digests
        assert np.array_equal(got.dense.matrix(), fresh.dense.matrix())
        # test code is left out of the dense index, and its dense score is 0
        assert got.dense.ids == [i for i, p in zip(a.ids, a.paths, strict=True) if not is_test_path(p)] != a.ids
        scores = got.dense_scores(QUERIES[0])
        assert scores is not None and scores.shape == (len(a.ids),)
        assert all(scores[n] == 0 for n, p in enumerate(a.paths) if is_test_path(p))
        assert np.array_equal(scores[[a.ids.index(i) for i in got.dense.ids]], got.dense.scores(QUERIES[0]))
    for query in QUERIES:
        mine, theirs = localize(got, query), localize(fresh, query)
        for level in ("files", "modules", "functions"):
            assert ([(h.id, h.score, h.evidence) for h in getattr(mine, level)]
                    == [(h.id, h.score, h.evidence) for h in getattr(theirs, level)]), (query, level)
        assert np.array_equal(got.lexical.scores(query), fresh.lexical.scores(query))


def fresh_context(root: Path, tmp: Path, dense: bool) -> RetrievalContext:
    """A new index of ``root`` in a directory of its own."""
    db = tmp / f"fresh{len(list(tmp.glob('fresh*')))}"
    _, context = update_index(root, IndexOptions(db_dir=db), SearchOptions(dense=dense))
    assert context is not None
    return context


def edits(root: Path) -> list[tuple[str, object]]:
    """The changes applied in turn: (what, a function making it)."""
    core = root / "pkg" / "core.py"
    paths = root / "pkg" / "paths.py"

    def body() -> None:
        core.write_text(core.read_text().replace('return "1.0"', 'return "1.0" + "-zebra"'))

    def insert() -> None:  # a new method: the units below it move down, ids come and stay
        pause = "    def pause(self):\n        return self.stop()\n\n"
        core.write_text(core.read_text().replace("    def stop(self):", pause + "    def stop(self):"))

    def calls() -> None:  # the same units with another call: the edges change, not the ids
        run = '        self._log("run")'
        core.write_text(core.read_text().replace(run, run + "\n        self.pause()"))

    def add() -> None:
        (root / "pkg" / "zebra.py").write_text(
            '"""Zebra counting."""\n\nfrom pkg.core import Engine\n\n\n'
            "def count_zebras(herd):\n    \"\"\"The total.\"\"\"\n    return sum(1 for z in herd) + Engine.version()\n")

    def interface() -> None:  # a name other files import and call goes away
        paths.write_text(paths.read_text().replace("def join(", "def join_parts("))

    def delete() -> None:
        (root / "blob.py").unlink()

    def rename() -> None:
        (root / "pkg" / "zebra.py").rename(root / "pkg" / "stripes.py")

    def vendor() -> None:  # a package copied in: a nested package with its own version
        (root / "pkg" / "copied").mkdir()
        (root / "pkg" / "copied" / "__init__.py").write_text('"""A copy."""\n')
        (root / "pkg" / "copied" / "six.py").write_text("def add_metaclass(meta):\n    return meta\n")

    def version() -> None:  # only a file's content changes, and with it the role of its folder
        (root / "pkg" / "copied" / "__init__.py").write_text('"""A copy."""\n__version__ = "1.16"\n')

    return [("edit a function body", body), ("add a file", add), ("rename a called function", interface),
            ("delete a file", delete), ("rename a file", rename), ("add a method", insert), ("add a call", calls),
            ("add a package", vendor), ("give the package a version", version)]


@pytest.mark.parametrize("dense", [False, True], ids=["lexical", "dense"])
def test_every_update_equals_a_fresh_index(tmp_path: Path, dense: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPOLENS_CACHE_DIR", str(tmp_path / "cache"))
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    (root / "tests").mkdir()
    (root / "tests" / "test_core.py").write_text(
        "from pkg.core import Engine\n\n\ndef test_engine_runs():\n    assert Engine().run() is not None\n",
        encoding="utf-8")
    db = tmp_path / "db"
    options = IndexOptions(db_dir=db)
    report, context = update_index(root, options, SearchOptions(dense=dense))
    assert context is not None and report.search is not None and report.search["mode"] == "full"
    for what, change in edits(root):
        change()  # type: ignore[operator]
        report, updated = update_index(root, options, SearchOptions(dense=dense), context=context)
        assert updated is not None and report.search is not None
        assert report.search["mode"] == "incremental", what
        # a version line is in no unit's text, but it changes the role of its folder
        assert (0 if what == "give the package a version" else 1) <= report.search["units_changed"] < len(
            updated.meta.ids), what
        fresh = fresh_context(root, tmp_path, dense)
        assert_same(updated, fresh)
        assert_same(load_context(root, db, dense=dense), fresh)  # and as saved
        assert context is not updated and context.generation < updated.generation  # the old one is untouched
        if what == "give the package a version":
            assert updated.flags.role[updated.index_of["pkg/copied/six.py"]] == ROLE_CODES[CodeRole.VENDORED]
        context = updated


def test_an_edit_embeds_only_the_changed_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPOLENS_CACHE_DIR", str(tmp_path / "cache"))
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    options = IndexOptions(db_dir=tmp_path / "db")
    first, context = update_index(root, options)
    assert first.search is not None and first.search["embedded"] == first.search["units"] > 20  # no test code
    edits(root)[0][1]()  # type: ignore[operator]
    report, _ = update_index(root, options, context=context)
    assert report.search is not None
    # the function, its class (whose text holds the method) and the file summary are unchanged
    # but for the function and the class around it
    assert report.search["embedded"] == report.search["units_changed"] == 2
    again, _ = update_index(root, options)  # nothing changed: nothing to do, and from the saved context
    assert again.search is not None and again.search["mode"] == "unchanged" and again.search["embedded"] == 0


def test_a_context_behind_the_graph_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    db = tmp_path / "db"
    update_index(root, IndexOptions(db_dir=db), SearchOptions(dense=False))
    edits(root)[1][1]()  # type: ignore[operator]
    update_index(root, IndexOptions(db_dir=db), SearchOptions(enabled=False))  # the graph only
    behind = saved_generation(db)
    opened = open_context(root, db, IndexOptions().store or _kuzu(), dense=False)
    assert opened.generation == (behind or 0) + 1 and "pkg/zebra.py" in opened.meta.paths
    assert_same(opened, fresh_context(root, tmp_path, False))
    report, _ = update_index(root, IndexOptions(db_dir=db), SearchOptions(dense=False))
    assert report.search is not None and report.search["mode"] == "unchanged"


def _kuzu():  # type: ignore[no-untyped-def]
    from indexer.store.config import StoreConfig

    return StoreConfig()


def test_an_update_publishes_the_search_context_before_the_graph_is_written(tmp_path: Path) -> None:
    from indexer.state import IndexState

    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    db = tmp_path / "db"
    options = IndexOptions(db_dir=db)
    _, context = update_index(root, options, SearchOptions(dense=False))
    assert context is not None
    edits(root)[0][1]()  # type: ignore[operator]
    seen: list[tuple[int, int, int]] = []

    def publish(new: RetrievalContext) -> None:
        state = IndexState(db / "state.sqlite", read_only=True)
        try:
            recorded = int(state.get_meta("generation", 0))
        finally:
            state.close()
        seen.append((new.generation, recorded, int(saved_generation(db) or 0)))

    report, updated = update_index(root, options, SearchOptions(dense=False), context=context, publish=publish)
    assert updated is not None and report.search is not None and report.search["mode"] == "incremental"
    # published once, a generation ahead of the graph and of the saved context, which follow
    assert seen == [(context.generation + 1, context.generation, context.generation)]
    assert updated.generation == context.generation + 1 == saved_generation(db)
    assert_same(updated, fresh_context(root, tmp_path, dense=False))
    # nothing to publish when nothing is in memory, or for a full rebuild
    edits(root)[1][1]()  # type: ignore[operator]
    update_index(root, options, SearchOptions(dense=False), publish=publish)
    update_index(root, IndexOptions(db_dir=db, rebuild=True), SearchOptions(dense=False), context=updated,
                 publish=publish)
    assert len(seen) == 1


def test_a_server_saves_its_newest_context_once_quiet(tmp_path: Path) -> None:
    """A server saves its context in the background once re-indexes have been quiet for a
    while; a re-index that changes nothing after one that did must not lose the latter's
    content, only move the saved context to the newer generation."""
    from server.workspace import Repo

    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    repo = Repo.open(root, embed=False)
    repo._saver.delay = 0.5
    try:
        repo.reindex()
        repo.context()
        edits(root)[0][1]()  # type: ignore[operator]
        first = repo.reindex()
        second = repo.reindex()  # nothing changed since
        assert first.search is not None and second.search is not None
        assert (first.search["mode"], second.search["mode"]) == ("incremental", "unchanged")
        held = repo.context()
        assert saved_generation(repo.db_dir) != held.generation  # not yet: the saver waits for quiet
        repo._saver.flush()
        assert saved_generation(repo.db_dir) == held.generation
        assert_same(load_context(root, repo.db_dir, dense=False), fresh_context(root, tmp_path, dense=False))
    finally:
        repo.close()


def test_a_save_writes_the_symbol_table_only_when_it_changed(tmp_path: Path) -> None:
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    db = tmp_path / "db"
    table = db / "retrieval" / "symbols.pkl"
    update_index(root, IndexOptions(db_dir=db), SearchOptions(dense=False))

    def written() -> tuple[int, int]:
        return table.stat().st_ino, table.stat().st_mtime_ns

    first = written()
    changes = edits(root)
    changes[0][1]()  # type: ignore[operator]  # a function body: the same names
    update_index(root, IndexOptions(db_dir=db), SearchOptions(dense=False))
    assert written() == first
    changes[2][1]()  # type: ignore[operator]  # a function renamed
    update_index(root, IndexOptions(db_dir=db), SearchOptions(dense=False))
    assert written() != first
    assert_same(load_context(root, db, dense=False), fresh_context(root, tmp_path, dense=False))


def test_an_update_that_renames_nothing_never_reads_the_symbol_table(tmp_path: Path) -> None:
    """From the saved context (a new process, as `repolens index`), an edit inside a function
    leaves every file's names as they were: the table is neither read nor written. One that
    renames a function reads it; a table that cannot be read then means a fresh build."""
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    db = tmp_path / "db"
    update_index(root, IndexOptions(db_dir=db), SearchOptions(dense=False))
    table = db / "retrieval" / "symbols.pkl"
    table.write_bytes(b"not a pickle: reading it would fail")
    changes = edits(root)
    changes[0][1]()  # type: ignore[operator]  # a function body
    report, _ = update_index(root, IndexOptions(db_dir=db), SearchOptions(dense=False))
    assert report.search is not None and report.search["mode"] == "incremental"
    assert table.read_bytes() == b"not a pickle: reading it would fail"
    changes[2][1]()  # type: ignore[operator]  # a function renamed: the table is needed, and unreadable
    report, _ = update_index(root, IndexOptions(db_dir=db), SearchOptions(dense=False))
    assert report.search is not None and report.search["mode"] == "full"
    assert_same(load_context(root, db, dense=False), fresh_context(root, tmp_path, dense=False))
