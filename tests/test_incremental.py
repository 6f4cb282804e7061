"""Incremental re-indexing equals indexing from scratch, edit by edit.

Each scenario indexes a copy of the Python sample repository, edits the copy, re-indexes it
into the same index directory and compares the stored graph with a fresh index of the
edited tree in a new directory. A check per scenario then pins what the edit should have done,
so an edit that silently changes nothing cannot pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer.pipeline import IndexReport

IndexDump = Callable[..., tuple[IndexReport, str]]


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{rel} no longer contains {old!r}: update the scenario"
    path.write_text(text.replace(old, new), encoding="utf-8")


@dataclass(frozen=True)
class Scenario:
    edit: Callable[[Path], None]
    check: Callable[[str], None]
    prepare: Callable[[Path], None] | None = None
    """Applied before the first index (to set up what the edit changes)."""


def _no_prepare(root: Path) -> None:
    return None


SCENARIOS: dict[str, Scenario] = {}

SCENARIOS["change_a_function_body"] = Scenario(
    edit=lambda root: _replace(root, "pkg/util.py", 'return join([str(value), "x"])',
                               'return join([repr(value), "y"])'),
    check=lambda dump: (
        _has(dump, "CALLS pkg/util.py::helper -> extern::builtins.repr"),
        _lacks(dump, "CALLS pkg/util.py::helper -> extern::builtins.str ")),
)

SCENARIOS["rename_a_function"] = Scenario(
    edit=lambda root: _replace(root, "pkg/util.py", "def helper(value):", "def assist_value(value):"),
    check=lambda dump: (
        _has(dump, "node pkg/util.py::assist_value function"),
        _lacks(dump, "node pkg/util.py::helper "),
        _has(dump, 'CALLS app.py::main -> unresolved::helper [unresolved, line 18, "u.helper"]'),
        _has(dump, 'CALLS pkg/sub/worker.py::work -> unresolved::assist [unresolved, line 12, "assist"]'),
        _lacks(dump, "IMPORTS pkg/sub/worker.py -> pkg/util.py::helper")),
)

SCENARIOS["delete_a_file"] = Scenario(
    edit=lambda root: (root / "pkg" / "paths.py").unlink(),
    check=lambda dump: (
        _lacks(dump, "pkg/paths.py"),
        _has(dump, 'CALLS app.py::main -> unresolved::join [unresolved, line 19, "paths_mod.join"]'),
        _has(dump, 'IMPORTS app.py -> unresolved::paths [unresolved, line 6, "pkg.paths"]')),
)

SCENARIOS["add_a_file_that_resolves_an_import"] = Scenario(
    prepare=lambda root: _write(root, "boot.py", "from pkg.plugins import load\n\n\ndef boot():\n"
                                                  "    return load()\n"),
    edit=lambda root: _write(root, "pkg/plugins.py", "def load():\n    return []\n"),
    check=lambda dump: (
        _has(dump, 'CALLS boot.py::boot -> pkg/plugins.py::load [exact, line 5, "load"]'),
        _has(dump, 'IMPORTS boot.py -> pkg/plugins.py::load [exact, line 1, "load"]'),
        _lacks(dump, "unresolved::load")),
)

SCENARIOS["move_a_file"] = Scenario(
    edit=lambda root: (root / "pkg" / "paths.py").rename(root / "pkg" / "sub" / "paths.py"),
    check=lambda dump: (
        _has(dump, "node pkg/sub/paths.py::join function"),
        _lacks(dump, "node pkg/paths.py"),
        _has(dump, 'CALLS app.py::main -> unresolved::join [unresolved, line 19, "paths_mod.join"]')),
)

SCENARIOS["turn_a_file_binary"] = Scenario(
    edit=lambda root: (root / "pkg" / "base.py").write_bytes(b"\x00\x01\x02 not python any more\n"),
    check=lambda dump: (
        _has(dump, 'node pkg/base.py file lang=python status=skipped error="binary: NUL byte'),
        _lacks(dump, "node pkg/base.py::"),
        _has(dump, 'INHERITS pkg/core.py::Engine -> unresolved::Base [unresolved, line 15, "Base"]')),
)

SCENARIOS["add_an_init_py_to_a_source_root"] = Scenario(
    # src/ stops being a source root: ``mylib`` is now ``src.mylib``, so ``import mylib`` is external
    edit=lambda root: _write(root, "src/__init__.py", ""),
    check=lambda dump: (
        _has(dump, "node src/__init__.py file"),
        _has(dump, 'CALLS app.py::main -> extern::mylib.text.shout [external, line 24, "shout"]')),
)

SCENARIOS["add_an_init_py_to_a_script_folder"] = Scenario(
    # a script's sibling import works until its folder becomes a package
    prepare=lambda root: (
        _write(root, "tools/helpers.py", "def assist():\n    return 1\n"),
        _write(root, "tools/run.py", "import helpers\n\nhelpers.assist()\n")),
    edit=lambda root: _write(root, "tools/__init__.py", ""),
    check=lambda dump: (
        _has(dump, 'CALLS tools/run.py -> extern::helpers.assist [external, line 3, "helpers.assist"]'),
        _lacks(dump, "CALLS tools/run.py -> tools/helpers.py::assist")),
)

SCENARIOS["edit_a_base_class_interface"] = Scenario(
    # a change in one file's definitions re-resolves the files that looked into it
    edit=lambda root: _replace(root, "pkg/base.py", "    def start(self):", "    def begin(self):"),
    check=lambda dump: (
        _has(dump, 'CALLS pkg/core.py::Engine.run -> unresolved::start [unresolved, line 30, "self.start"]'),
        _has(dump, 'CALLS app.py::main -> unresolved::start [unresolved, line 17, "engine.start"]')),
)


def assert_same_graph(incremental: str, fresh: str, what: str) -> None:
    if incremental != fresh:
        diff = "".join(difflib.unified_diff(fresh.splitlines(keepends=True),
                                            incremental.splitlines(keepends=True),
                                            fromfile="fresh index", tofile="incremental index"))
        pytest.fail(f"{what}: the incremental index differs from a fresh one:\n{diff}", pytrace=False)


def _has(dump: str, text: str) -> None:
    assert text in dump, f"missing: {text}"


def _lacks(dump: str, text: str) -> None:
    assert text not in dump, f"unexpected: {text}"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_incremental_equals_fresh(name: str, pyrepo: Path, tmp_path: Path,
                                  index_dump: IndexDump) -> None:
    scenario = SCENARIOS[name]
    (scenario.prepare or _no_prepare)(pyrepo)
    first, before = index_dump(pyrepo, tmp_path / "db")
    assert first.mode == "full"
    scenario.edit(pyrepo)
    report, incremental = index_dump(pyrepo, tmp_path / "db")
    assert report.mode == "incremental"
    assert report.rebuild_reason is None
    _, fresh = index_dump(pyrepo, tmp_path / "fresh")
    assert_same_graph(incremental, fresh, name)
    assert incremental != before
    scenario.check(incremental)


def test_all_edits_in_sequence_stay_equal_to_fresh(pyrepo: Path, tmp_path: Path,
                                                  index_dump: IndexDump) -> None:
    names = [name for name in sorted(SCENARIOS) if name != "delete_a_file"]  # moved instead
    for name in names:
        (SCENARIOS[name].prepare or _no_prepare)(pyrepo)
    index_dump(pyrepo, tmp_path / "db")
    for n, name in enumerate(names):
        SCENARIOS[name].edit(pyrepo)
        _, incremental = index_dump(pyrepo, tmp_path / "db")
        _, fresh = index_dump(pyrepo, tmp_path / f"fresh{n}")
        assert_same_graph(incremental, fresh, f"after {name}")


def test_no_change_reindex_is_unchanged(pyrepo: Path, tmp_path: Path, index_dump: IndexDump) -> None:
    _, before = index_dump(pyrepo, tmp_path / "db")
    report, after = index_dump(pyrepo, tmp_path / "db")
    assert (report.mode, report.parsed, report.resolved) == ("unchanged", 0, 0)
    assert (report.added, report.modified, report.deleted) == (0, 0, 0)
    assert after == before


def test_body_only_edit_reresolves_only_that_file(pyrepo: Path, tmp_path: Path,
                                                 index_dump: IndexDump) -> None:
    index_dump(pyrepo, tmp_path / "db")
    SCENARIOS["change_a_function_body"].edit(pyrepo)
    report, _ = index_dump(pyrepo, tmp_path / "db")
    assert (report.parsed, report.modified, report.resolved) == (1, 1, 1)


def test_touch_without_change_parses_nothing(pyrepo: Path, tmp_path: Path,
                                            index_dump: IndexDump) -> None:
    index_dump(pyrepo, tmp_path / "db")
    path = pyrepo / "pkg" / "core.py"
    path.write_bytes(path.read_bytes())  # new mtime, same content
    report, _ = index_dump(pyrepo, tmp_path / "db")
    assert (report.mode, report.parsed) == ("unchanged", 0)
