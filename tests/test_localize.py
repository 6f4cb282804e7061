"""Localization, search, the repository map and the file schematic on a real indexed fixture,
with hand-written issues whose answers are known. Runs on lexical, name and graph signals
(dense retrieval is covered in test_dense.py), which is also the without-torch behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_fixture

from indexer.pipeline import IndexOptions
from indexer.search.context import RetrievalContext, load_context
from indexer.update import SearchOptions, update_index
from queries.localize import LocalizeOptions, localize, options_from
from queries.repomap import file_schematic, repo_map


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> RetrievalContext:
    base = tmp_path_factory.mktemp("localize")
    root = copy_fixture("pyrepo", base / "pyrepo")
    db = base / "db"
    update_index(root, IndexOptions(db_dir=db), SearchOptions(dense=False))
    return load_context(root, db, dense=False)


def test_a_stack_trace_names_the_function(ctx: RetrievalContext) -> None:
    issue = """Stopping an engine crashes

Traceback (most recent call last):
  File "/home/me/proj/app.py", line 20, in main
  File "/site-packages/pkg/core.py", line 39, in stop
    raise EngineError(self.name)
pkg.core.EngineError: e1
"""
    result = localize(ctx, issue)
    assert result.found_files[0] == "pkg/core.py"
    assert result.found_entities[0] == "pkg/core.py:Engine.stop"
    assert "pkg/core.py:Engine" in result.found_modules[:2]
    top = result.functions[0]
    assert any("stack frame" in e for e in top.evidence)
    assert (top.start_line, top.end_line) == (38, 39)


def test_an_issue_naming_a_class_and_method(ctx: RetrievalContext) -> None:
    result = localize(ctx, "`Turbo.boost` should not log twice when the engine is already started")
    assert result.found_entities[0] == "pkg/sub/worker.py:Turbo.boost"
    assert result.found_files[0] == "pkg/sub/worker.py"


def test_a_purely_descriptive_issue(ctx: RetrievalContext) -> None:
    result = localize(ctx, "scheduling a job should return the list of scheduled jobs, not a single job")
    assert "pkg/sub/jobs.py:schedule" in result.found_entities[:3]
    assert "pkg/sub/jobs.py" in result.found_files[:3]


def test_same_text_same_answer_and_ablation_changes_signals(ctx: RetrievalContext) -> None:
    text = "normalize paths when joining them"
    first, second = localize(ctx, text), localize(ctx, text)
    assert (first.files, first.modules, first.functions) == (second.files, second.modules, second.functions)
    lexical_only = localize(ctx, text, options_from({"signals": "lexical"}))
    assert all("graph neighbour" not in e for h in lexical_only.functions for e in h.evidence)
    with pytest.raises(ValueError, match="unknown signals"):
        options_from({"signals": "telepathy"})


def test_test_files_are_down_weighted(ctx: RetrievalContext) -> None:
    plain = localize(ctx, "shout text", LocalizeOptions(test_penalty=1.0))
    assert plain.found_entities[0] == "src/mylib/text.py:shout"


def test_repo_map_respects_its_budget_and_focus(ctx: RetrievalContext) -> None:
    small = repo_map(ctx, budget_tokens=64)
    assert small.tokens <= 64 and small.truncated
    big = repo_map(ctx, budget_tokens=5000)
    assert not big.truncated and "pkg/core.py" in big.files
    assert "def run(self)" in big.text
    focused = repo_map(ctx, budget_tokens=64, focus="pkg/sub/")
    assert focused.files and focused.files[0].startswith("pkg/sub/")


def test_file_schematic_lists_every_definition(ctx: RetrievalContext) -> None:
    schematic = file_schematic(ctx, "pkg/core.py")
    names = [s.qualname for s in schematic.symbols]
    assert names[:3] == ["EngineError", "Engine", "Engine.__init__"]
    assert "Engine._log.fmt" in names
    run = next(s for s in schematic.symbols if s.qualname == "Engine.run")
    assert run.signature == "def run(self)" and run.doc == "Run once."
    with pytest.raises(ValueError, match=r"did you mean: pkg/core\.py"):
        file_schematic(ctx, "core.py")


def test_without_dense_index_it_says_so_once(tmp_path: Path) -> None:
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    update_index(root, IndexOptions(db_dir=tmp_path / "db"), SearchOptions(dense=False))
    loaded = load_context(root, tmp_path / "db", dense=True)
    assert loaded.dense is None and len(loaded.notes) == 1
    assert localize(loaded, "engine run").notes == loaded.notes


def test_a_javascript_stack_trace_names_the_method(tmp_path: Path) -> None:
    root = copy_fixture("tsrepo", tmp_path / "tsrepo")
    update_index(root, IndexOptions(db_dir=tmp_path / "db"), SearchOptions(dense=False))
    ts = load_context(root, tmp_path / "db", dense=False)
    issue = """Crash when an engine spins

TypeError: Cannot read properties of undefined (reading 'rpm')
    at Engine.spin (/srv/app/src/lib/engine.ts:34:12)
    at Engine.start (/srv/app/src/lib/engine.ts:30:10)
    at node:internal/main/run_main_module:28:49
"""
    result = localize(ts, issue)
    assert result.found_files[0] == "src/lib/engine.ts"
    assert set(result.found_entities[:2]) == {"src/lib/engine.ts:Engine.spin", "src/lib/engine.ts:Engine.start"}
    assert any("stack frame in Engine.spin" in e for e in result.functions[0].evidence + result.functions[1].evidence)
