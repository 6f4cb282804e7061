"""Incremental re-indexing equals indexing from scratch, edit by edit.

Each scenario indexes a copy of the Python sample repository (plus any files it prepares),
edits the copy, re-indexes it into the same index directory and compares the stored graph
with a fresh index of the edited tree in a new directory. Lines the edited graph must and
must not contain then pin what the edit did, so an edit that silently changes nothing fails.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from indexer.dump import dump_text
from indexer.pipeline import GRAPH_FILE, IndexOptions, IndexReport, index_repository
from indexer.store.kuzu_store import KuzuStore

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
    edit: Callable[[Path], object]
    has: tuple[str, ...] = ()
    """Text the edited graph's dump must contain."""
    lacks: tuple[str, ...] = ()
    """Text it must not contain."""
    prepare: Mapping[str, str] = field(default_factory=dict)
    """Files written before the first index, to set up what the edit changes."""


SCENARIOS: dict[str, Scenario] = {}

SCENARIOS["change_a_function_body"] = Scenario(
    edit=lambda root: _replace(root, "pkg/util.py", 'return join([str(value), "x"])',
                               'return join([repr(value), "y"])'),
    has=("CALLS pkg/util.py::helper -> extern::builtins.repr",),
    lacks=("CALLS pkg/util.py::helper -> extern::builtins.str ",),
)

SCENARIOS["rename_a_function"] = Scenario(
    edit=lambda root: _replace(root, "pkg/util.py", "def helper(value):", "def assist_value(value):"),
    has=("node pkg/util.py::assist_value function",
         'CALLS app.py::main -> unresolved::helper [unresolved, line 18, "u.helper"]',
         'CALLS pkg/sub/worker.py::work -> unresolved::assist [unresolved, line 12, "assist"]'),
    lacks=("node pkg/util.py::helper ", "IMPORTS pkg/sub/worker.py -> pkg/util.py::helper"),
)

SCENARIOS["delete_a_file"] = Scenario(
    edit=lambda root: (root / "pkg" / "paths.py").unlink(),
    has=('CALLS app.py::main -> unresolved::join [unresolved, line 19, "paths_mod.join"]',
         'IMPORTS app.py -> unresolved::paths [unresolved, line 6, "pkg.paths"]'),
    lacks=("pkg/paths.py",),
)

SCENARIOS["add_a_file_that_resolves_an_import"] = Scenario(
    prepare={"boot.py": "from pkg.plugins import load\n\n\ndef boot():\n    return load()\n"},
    edit=lambda root: _write(root, "pkg/plugins.py", "def load():\n    return []\n"),
    has=('CALLS boot.py::boot -> pkg/plugins.py::load [exact, line 5, "load"]',
         'IMPORTS boot.py -> pkg/plugins.py::load [exact, line 1, "load"]'),
    lacks=("unresolved::load",),
)

SCENARIOS["move_a_file"] = Scenario(
    edit=lambda root: (root / "pkg" / "paths.py").rename(root / "pkg" / "sub" / "paths.py"),
    has=("node pkg/sub/paths.py::join function",
         'CALLS app.py::main -> unresolved::join [unresolved, line 19, "paths_mod.join"]'),
    lacks=("node pkg/paths.py",),
)

SCENARIOS["turn_a_file_binary"] = Scenario(
    edit=lambda root: (root / "pkg" / "base.py").write_bytes(b"\x00\x01\x02 not python any more\n"),
    has=('node pkg/base.py file lang=python status=skipped error="binary: NUL byte',
         'INHERITS pkg/core.py::Engine -> unresolved::Base [unresolved, line 15, "Base"]'),
    lacks=("node pkg/base.py::",),
)

SCENARIOS["add_an_init_py_to_a_source_root"] = Scenario(
    # src/ stops being a source root: ``mylib`` is now ``src.mylib``, so ``import mylib`` is external
    edit=lambda root: _write(root, "src/__init__.py", ""),
    has=("node src/__init__.py file",
         'CALLS app.py::main -> extern::mylib.text.shout [external, line 24, "shout"]'),
)

SCENARIOS["add_an_init_py_to_a_script_folder"] = Scenario(
    # a script's sibling import works until its folder becomes a package
    prepare={"tools/helpers.py": "def assist():\n    return 1\n",
             "tools/run.py": "import helpers\n\nhelpers.assist()\n"},
    edit=lambda root: _write(root, "tools/__init__.py", ""),
    has=('CALLS tools/run.py -> extern::helpers.assist [external, line 3, "helpers.assist"]',),
    lacks=("CALLS tools/run.py -> tools/helpers.py::assist",),
)

SCENARIOS["edit_a_base_class_interface"] = Scenario(
    # a change in one file's definitions re-resolves the files that looked into it
    edit=lambda root: _replace(root, "pkg/base.py", "    def start(self):", "    def begin(self):"),
    has=('CALLS pkg/core.py::Engine.run -> unresolved::start [unresolved, line 30, "self.start"]',
         'CALLS app.py::main -> unresolved::start [unresolved, line 17, "engine.start"]'),
)

SCENARIOS["reorder_two_bindings_of_a_name"] = Scenario(
    # same definitions, same imports: only which comes last changed, and so what importers get
    prepare={"pkg/registry.py": "from .base import Registry\n\n\ndef Registry():\n    return None\n",
             "use_registry.py": "from pkg.registry import Registry\n\nRegistry()\n"},
    edit=lambda root: _write(root, "pkg/registry.py",
                             "def Registry():\n    return None\n\n\nfrom .base import Registry\n"),
    has=('CALLS use_registry.py -> pkg/base.py::Registry [exact, line 3, "Registry"]',),
    lacks=("CALLS use_registry.py -> pkg/registry.py::Registry",),
)

SCENARIOS["change_what_an_instance_attribute_is_built_from"] = Scenario(
    # a method-local name feeding ``self.x`` is part of what other files see of the class
    prepare={"holder.py": ("from pkg.base import Registry\nfrom pkg.core import Engine\n\n\n"
                           "class Holder:\n    def __init__(self):\n        made = Registry()\n"
                           "        self.thing = made\n"),
             "app2.py": "from holder import Holder\n\n\ndef use():\n    return Holder().thing.run()\n"},
    edit=lambda root: _replace(root, "holder.py", "made = Registry()", "made = Engine('x')"),
    has=("CALLS app2.py::use -> pkg/core.py::Engine.run [inferred",),
)


def _prepare(root: Path, scenario: Scenario) -> None:
    for rel, text in scenario.prepare.items():
        _write(root, rel, text)


def assert_same_graph(incremental: str, fresh: str, what: str) -> None:
    if incremental != fresh:
        diff = "".join(difflib.unified_diff(fresh.splitlines(keepends=True),
                                            incremental.splitlines(keepends=True),
                                            fromfile="fresh index", tofile="incremental index"))
        pytest.fail(f"{what}: the incremental index differs from a fresh one:\n{diff}", pytrace=False)


def assert_edit_shows(dump: str, scenario: Scenario) -> None:
    missing = [text for text in scenario.has if text not in dump]
    unexpected = [text for text in scenario.lacks if text in dump]
    assert not missing and not unexpected, f"missing: {missing}; unexpected: {unexpected}"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_incremental_equals_fresh(name: str, pyrepo: Path, tmp_path: Path,
                                  index_dump: IndexDump) -> None:
    scenario = SCENARIOS[name]
    _prepare(pyrepo, scenario)
    first, before = index_dump(pyrepo, tmp_path / "db")
    assert first.mode == "full"
    scenario.edit(pyrepo)
    report, incremental = index_dump(pyrepo, tmp_path / "db")
    assert (report.mode, report.rebuild_reason) == ("incremental", None)
    _, fresh = index_dump(pyrepo, tmp_path / "fresh")
    assert_same_graph(incremental, fresh, name)
    assert incremental != before
    assert_edit_shows(incremental, scenario)


def test_all_edits_in_sequence_stay_equal_to_fresh(pyrepo: Path, tmp_path: Path,
                                                  index_dump: IndexDump) -> None:
    names = [name for name in sorted(SCENARIOS) if name != "delete_a_file"]  # moved instead
    for name in names:
        _prepare(pyrepo, SCENARIOS[name])
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


def test_a_function_that_becomes_a_class_is_replaced(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "special.py").write_text("def digamma(x):\n    return x\n")
    (repo / "use.py").write_text("from special import digamma\n\n\ndef f():\n    return digamma(1)\n")
    index_repository(repo, IndexOptions(db_dir=tmp_path / "db"))
    (repo / "special.py").write_text("class digamma:\n    def __init__(self, x):\n        self.x = x\n")
    report = index_repository(repo, IndexOptions(db_dir=tmp_path / "db"))
    assert report.mode == "incremental"
    index_repository(repo, IndexOptions(db_dir=tmp_path / "fresh"))
    with KuzuStore(tmp_path / "db" / GRAPH_FILE, read_only=True) as a, \
            KuzuStore(tmp_path / "fresh" / GRAPH_FILE, read_only=True) as b:
        assert dump_text(a.dump()) == dump_text(b.dump())
        assert any(e.target == "special.py::digamma" and e.source == "use.py::f" for e in a.dump().edges)


def test_an_index_copied_from_another_checkout_takes_the_new_name(tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    (first / "a.py").write_text("def f():\n    return 1\n")
    index_repository(first, IndexOptions(db_dir=tmp_path / "db"))
    second = tmp_path / "second"
    second.mkdir()
    (second / "a.py").write_text("def f():\n    return 2\n")
    index_repository(second, IndexOptions(db_dir=tmp_path / "db"))
    index_repository(second, IndexOptions(db_dir=tmp_path / "fresh"))
    with KuzuStore(tmp_path / "db" / GRAPH_FILE, read_only=True) as a, \
            KuzuStore(tmp_path / "fresh" / GRAPH_FILE, read_only=True) as b:
        repo = next(n for n in a.dump().nodes if n.id == ".")
        assert repo.name == "second"
        assert a.dump() == b.dump()


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
            for p in root.rglob("*") if p.is_file() and ".repolens" not in p.parts}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_run_told_what_changed_equals_fresh_without_a_walk(name: str, pyrepo: Path, tmp_path: Path,
                                                            index_dump: IndexDump) -> None:
    """As a watcher runs it: only the changed paths are named (``IndexOptions.changed``). It
    looks at them alone when they are files it indexed or that went away, and walks the tree
    when one is new (the ignore rules decide whether it counts) or an ignore file."""
    scenario = SCENARIOS[name]
    _prepare(pyrepo, scenario)
    index_dump(pyrepo, tmp_path / "db")
    before = _tree(pyrepo)
    scenario.edit(pyrepo)
    after = _tree(pyrepo)
    changed = tuple(sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p)))
    report, incremental = index_dump(pyrepo, tmp_path / "db", changed=changed)
    _, fresh = index_dump(pyrepo, tmp_path / "fresh")
    assert_same_graph(incremental, fresh, name)
    assert_edit_shows(incremental, scenario)
    needs_walk = any(p not in before or p.endswith(".gitignore") for p in changed)
    assert report.walk == ("tree" if needs_walk else "events"), (name, changed)


def test_a_run_told_what_changed_sees_nothing_else(pyrepo: Path, tmp_path: Path, index_dump: IndexDump) -> None:
    """The contract the watcher relies on and checks with a walk soon after: a change not
    named is not looked at; a file named but unchanged costs a stat."""
    index_dump(pyrepo, tmp_path / "db")
    SCENARIOS["change_a_function_body"].edit(pyrepo)
    report, _ = index_dump(pyrepo, tmp_path / "db", changed=("pkg/core.py", "pkg/.util.py.swp"))
    assert (report.walk, report.mode, report.parsed) == ("events", "unchanged", 0)
    report, dump = index_dump(pyrepo, tmp_path / "db")
    assert (report.walk, report.mode, report.parsed) == ("tree", "incremental", 1)
    assert_edit_shows(dump, SCENARIOS["change_a_function_body"])
    (pyrepo / "pkg" / "sub").rename(tmp_path / "sub")  # a directory gone: named as itself
    report, _ = index_dump(pyrepo, tmp_path / "db", changed=("pkg/sub",))
    assert (report.walk, report.deleted) == ("tree", 3)  # the three files it held


def test_a_cache_of_resolution_indexes_kept_between_runs_changes_nothing(pyrepo: Path, tmp_path: Path,
                                                                          index_dump: IndexDump) -> None:
    """As a server runs: one ``FileIndexCache`` across every edit (a file's entry is used only
    while its content hash is the same)."""
    from indexer.resolve import FileIndexCache

    cache = FileIndexCache(size=4)  # small: entries are also evicted on the way
    names = [name for name in sorted(SCENARIOS) if name != "delete_a_file"]
    for name in names:
        _prepare(pyrepo, SCENARIOS[name])
    index_dump(pyrepo, tmp_path / "db", resolve_cache=cache)
    for n, name in enumerate(names):
        SCENARIOS[name].edit(pyrepo)
        _, incremental = index_dump(pyrepo, tmp_path / "db", resolve_cache=cache)
        _, fresh = index_dump(pyrepo, tmp_path / f"fresh{n}")
        assert_same_graph(incremental, fresh, f"after {name}")
        assert_edit_shows(incremental, SCENARIOS[name])
    assert 0 < len(cache._entries) <= 4
