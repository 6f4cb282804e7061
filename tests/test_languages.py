"""Call resolution per language, on annotated projects (``tests/fixtures/langs/<language>/``).

Each project is real code with traps (same-named methods on unrelated types, overloads,
package visibility, header declarations, same-named static functions); every call of the
project's own functions is annotated (see ``bench/resolution.py``). The figures the README
publishes come from the same scoring: ``python bench/resolution.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.resolution import FIXTURES, score_project

PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []
MIN_RECALL = 0.9
MIN_PRECISION = 0.95


@pytest.mark.parametrize("language", PROJECTS)
def test_calls_resolve_with_high_recall_and_no_trap_taken(language: str) -> None:
    score, broken = score_project(FIXTURES / language)
    assert score.annotated >= 20, f"{language}: only {score.annotated} annotated calls"
    assert score.traps >= 3, f"{language}: only {score.traps} traps"
    traps = [b for b in broken if "unexpected" in b]
    assert not traps, "\n".join(traps)
    assert score.recall >= MIN_RECALL, f"{language}: recall {score.recall:.2f}; missed:\n" + "\n".join(score.missed)
    assert score.precision >= MIN_PRECISION, (
        f"{language}: precision {score.precision:.2f}; edges not annotated:\n" + "\n".join(score.wrong))
    others = [b for b in broken if "expected CALLS" not in b and "unexpected" not in b]
    assert not others, "\n".join(others)


def test_every_project_is_in_an_indexed_language() -> None:
    from bench.resolution import project_files

    for language in PROJECTS:
        assert project_files(Path(FIXTURES / language)), f"{language}: no source file of an indexed language"


def test_a_language_whose_grammar_is_missing_is_reported_not_dropped(tmp_path: Path, monkeypatch) -> None:
    from dataclasses import replace

    from indexer import languages, workers
    from indexer.pipeline import IndexOptions, index_repository

    broken = replace(languages.get_language("python"), name="zlang", extensions=(".zz",),
                     grammar="tree_sitter_zlang_not_installed:language")
    monkeypatch.setitem(languages.LANGUAGES, "zlang", broken)
    languages.languages_by_extension.cache_clear()
    monkeypatch.setattr(workers, "_MISSING", {})
    try:
        repo = tmp_path / "repo"
        repo.mkdir()
        (repo / "ok.py").write_text("def f():\n    return 1\n")
        (repo / "a.zz").write_text("x\n")
        (repo / "b.zz").write_text("y\n")
        report = index_repository(repo, IndexOptions(db_dir=tmp_path / "db"))
    finally:
        monkeypatch.undo()
        languages.languages_by_extension.cache_clear()
    skipped = {s["path"]: s["reason"] for s in report.skipped}
    assert set(skipped) == {"a.zz", "b.zz"}
    assert "zlang grammar (tree-sitter-zlang-not-installed) could not be loaded" in skipped["a.zz"]
    assert "pip install tree-sitter-zlang-not-installed" in skipped["b.zz"]
    assert report.nodes.get("function") == 1


def test_a_mixed_repository_is_one_graph_and_tools_filter_by_language(tmp_path: Path) -> None:
    from conftest import indexed_workspace

    from server.tools import RepolensTools

    root = tmp_path / "mixed"
    (root / "web").mkdir(parents=True)
    (root / "engine.py").write_text("class Engine:\n    def start_engine(self):\n        return 1\n")
    (root / "web" / "engine.ts").write_text(
        "export class Engine {\n  start_engine(): number {\n    return 2;\n  }\n}\n")
    workspace = indexed_workspace(root)
    try:
        tools = RepolensTools(workspace)
        both = tools.find_symbol("start_engine")
        assert {s.path for s in both.symbols} == {"engine.py", "web/engine.ts"}
        only_ts = tools.find_symbol("start_engine", language="typescript")
        assert [s.path for s in only_ts.symbols] == ["web/engine.ts"]
        found = tools.search_code("start engine", language="python")
        assert found.results and {h.path for h in found.results} == {"engine.py"}
        with pytest.raises(ValueError, match=r"unknown language 'cobol'; the indexed languages are .*java"):
            tools.find_symbol("start_engine", language="cobol")
    finally:
        workspace.close()


def _most_called_file(folder: Path) -> str:
    """The file of ``folder``'s project that other files call into most."""
    from collections import Counter

    from bench.resolution import project_files, resolve_files

    _, edges = resolve_files(project_files(folder))
    calls = Counter(e.target.split("::")[0] for e in edges
                    if e.kind.value == "CALLS" and e.resolution is not None
                    and e.resolution.value in ("exact", "inferred")
                    and e.target.split("::")[0] != e.source.split("::")[0])
    return calls.most_common(1)[0][0]


def test_every_language_stays_equal_to_a_fresh_index_when_files_come_and_go(tmp_path: Path, index_dump) -> None:
    """All the annotated projects as one repository: deleting the file most called into,
    bringing it back, and adding a copy beside it (a new member of its package or directory)
    each leave the incremental index equal to a fresh one."""
    import shutil

    from test_incremental import assert_same_graph

    root = tmp_path / "poly"
    hubs: list[Path] = []
    for language in PROJECTS:
        shutil.copytree(FIXTURES / language, root / language)
        hubs.append(root / language / _most_called_file(FIXTURES / language))
    saved = {hub: hub.read_bytes() for hub in hubs}
    first, _ = index_dump(root, tmp_path / "db")
    assert first.mode == "full"

    def step(what: str) -> None:
        report, incremental = index_dump(root, tmp_path / "db")
        assert report.mode == "incremental", what
        _, fresh = index_dump(root, tmp_path / f"fresh-{what}")
        assert_same_graph(incremental, fresh, what)

    for hub in hubs:
        hub.unlink()
    step("deleted")
    for hub, data in saved.items():
        hub.write_bytes(data)
    step("restored")
    for hub, data in saved.items():
        hub.with_name("Copy" + hub.name).write_bytes(data)
    step("copied")


def test_map_schematic_and_navigation_work_for_every_language(tmp_path: Path) -> None:
    """The tools are language-agnostic: the repository map, a file's schematic, find_symbol and
    callers answer for a Go, a Java and a C file as for Python."""
    import shutil

    from conftest import indexed_workspace

    from server.tools import RepolensTools

    root = tmp_path / "poly"
    for language in ("go", "java", "c"):
        shutil.copytree(FIXTURES / language, root / language)
    workspace = indexed_workspace(root)
    try:
        tools = RepolensTools(workspace)
        repo_map = tools.repo_map(budget_tokens=4000)
        assert "go/cart/" in repo_map.text and "java/core/" in repo_map.text and ".c" in repo_map.text
        schematic = tools.file_schematic("go/cart/total.go")
        assert "Cart.Total" in {s.qualname for s in schematic.symbols}
        total = next(s for s in schematic.symbols if s.qualname == "Cart.Total")
        assert total.kind == "method" and total.signature.startswith("func (c *Cart) Total()")
        found = tools.find_symbol("Total", language="go")
        assert found.symbols and {s.path.split("/")[0] for s in found.symbols} == {"go"}
        callers = tools.callers(total.id)
        assert callers.items, "Cart.Total has annotated callers in the Go project"
    finally:
        workspace.close()
