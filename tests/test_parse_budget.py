"""No source file, however crafted, hangs or exhausts the indexer: nesting-heavy files are
indexed in part within budget and say what was left out, a file that kills its parser process
is skipped with the reason, and the rest of the repository is indexed normally. Real
tree-sitter, real worker processes, the real pipeline and status."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from indexer.extract import ExtractLimits, Extractor
from indexer.facts import FileFacts
from indexer.index import status
from indexer.languages import get_language
from indexer.pipeline import IndexOptions, index_repository
from indexer.workers import PoolLimits, extract_in_workers, extract_one

NORMAL_PY = "def helper(x):\n    return x + 1\n"


def nested_calls(n: int) -> str:
    return "x = " + "f(" * n + "1" + ")" * n + "\n"


def nested_lists(n: int) -> str:
    return "const x = " + "[" * n + "1" + "]" * n + ";\n"


def nested_functions_js(n: int) -> str:
    return "".join(f"function h{i}(){{\n" for i in range(n)) + "}\n" * n


def nested_defs_py(n: int) -> str:
    return "".join(" " * i + f"def d{i}():\n" for i in range(n)) + " " * n + "return 1\n"


# The shapes of the report: each took seconds to forever, or 22 GB, before the budgets.
PATHOLOGICAL = {
    "calls.py": NORMAL_PY + nested_calls(100_000),
    "calls_15kb.py": nested_calls(5_000),  # 3.9 s before the budgets
    "calls_60kb.py": nested_calls(20_000),  # 56 s before
    "lists.ts": "export function ok(): number { return 1; }\n" + nested_lists(100_000),
    "calls.ts": nested_calls(100_000).replace("x =", "const x ="),
    "funcs.js": "export function ok() { return 1; }\n" + nested_functions_js(3000),
    "chain.py": "y = a" + ".b" * 50_000 + ".c()\n",
    "sum.js": "const s = " + " + ".join(["1"] * 60_000) + ";\n",
    "defs.py": nested_defs_py(80),
    "decorators.py": "@d\n" * 100_000 + "def f():\n    pass\n",
    "brackets.py": "([{" * 300_000,
    "brackets.js": "([{" * 100_000,
    "imports.py": "import a\n" * 110_000,
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_files_are_extracted_in_part_within_budget(name: str) -> None:
    language = {"py": "python", "js": "javascript", "ts": "typescript"}[name.rsplit(".", 1)[1]]
    started = time.perf_counter()
    _, wire, error = extract_one(name, language, PATHOLOGICAL[name].encode())
    assert error is None and wire is not None
    facts = FileFacts.from_wire(wire)
    assert facts.limited, "what was left out is said"
    assert time.perf_counter() - started < 20  # seconds to forever before; well under 1 s alone
    if name in ("calls.py", "lists.ts", "funcs.js"):  # code outside the deep part is still indexed
        assert {"helper", "ok"} & {d.name for d in facts.defs}


def test_definitions_nest_only_to_the_limit_and_their_code_stays_with_the_enclosing_one() -> None:
    extractor = Extractor(get_language("python"), ExtractLimits(max_def_depth=3))
    source = nested_defs_py(6).replace("return 1", "return target()")
    facts = extractor.extract("deep.py", source.encode())
    assert [d.qualname for d in facts.defs] == ["d0", "d0.d1", "d0.d1.d2"]
    assert facts.limited and "3 definition(s) nested deeper than 3 levels" in facts.limited
    call = next(u for u in facts.uses if u.chain == ("target",))
    assert facts.defs[call.scope].qualname == "d0.d1.d2"


def test_an_ordinary_file_is_not_limited() -> None:
    facts = Extractor(get_language("python")).extract("ok.py", (NORMAL_PY * 50).encode())
    assert facts.limited is None and facts.defs


def test_a_file_over_the_parse_deadline_is_skipped_with_the_reason() -> None:
    extractor = Extractor(get_language("python"), ExtractLimits(parse_seconds=0.000_001))
    from indexer.tsshim import ParseBudgetExceeded
    with pytest.raises(ParseBudgetExceeded, match="parsing took longer than"):
        extractor.extract("big.py", (NORMAL_PY * 20_000).encode())


def test_a_worker_that_dies_or_overruns_loses_only_its_file() -> None:
    big = ("big.py", "python", (NORMAL_PY * 20_000).encode())
    small = [(f"s{i}.py", "python", NORMAL_PY.encode()) for i in range(6)]
    # a ceiling far too low for the big file: its parser process dies, is replaced, and is reported
    results = {p: (w, e) for p, w, e in extract_in_workers([big, *small], 2, None, PoolLimits(memory_bytes=8 << 20))}
    assert results["big.py"][0] is None and "the parser process died" in (results["big.py"][1] or "")
    assert all(results[p][0] is not None for p, _, _ in small)
    # a deadline nothing meets: every file is reported, none hangs the run
    results = {p: (w, e) for p, w, e in extract_in_workers([big, *small], 2, None, PoolLimits(file_seconds=0.0))}
    assert set(results) == {"big.py", *(p for p, _, _ in small)}
    assert all(w is not None or "per-file deadline" in (e or "") for w, e in results.values())


def test_a_repository_of_pathological_files_indexes_the_rest_and_reports_them(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in PATHOLOGICAL.items():
        (root / name).write_text(text, encoding="utf-8")
    for i in range(60):  # enough files for the worker processes to be used
        (root / f"ok{i}.py").write_text(NORMAL_PY.replace("helper", f"helper{i}"), encoding="utf-8")
    report = index_repository(root, IndexOptions(workers=2))
    assert report.files == len(PATHOLOGICAL) + 60
    partial = {item["path"]: item["error"] for item in report.partial}
    assert set(partial) == set(PATHOLOGICAL)
    assert all("nested deeper than" in why or "definition(s)" in why or "patterns were open at once" in why
               or "spans" in why or "only the first" in why for why in partial.values())
    assert report.nodes.get("function", 0) >= 60
    st = status(root)
    assert {item["path"] for item in st.partial} == set(PATHOLOGICAL) and not st.skipped
    # incremental: an edit to an ordinary file parses that file only
    (root / "ok0.py").write_text(NORMAL_PY.replace("helper", "renamed"), encoding="utf-8")
    again = index_repository(root, IndexOptions(workers=2))
    assert again.parsed == 1 and {item["path"] for item in status(root).partial} == set(PATHOLOGICAL)


def test_a_server_extracts_every_change_in_warm_workers_and_reports_what_it_left_out(tmp_path: Path) -> None:
    from server.tools import RepolensTools
    from server.workspace import Repo, Workspace

    root = tmp_path / "served"
    root.mkdir()
    (root / "ok.py").write_text(NORMAL_PY, encoding="utf-8")
    repo = Repo.open(root, embed=False)
    tools = RepolensTools(Workspace.of([repo]))
    try:
        repo.reindex()
        assert repo._pool is not None
        first = [w.child.process.pid for w in repo._pool._workers]
        # an agent (or a prompt injection) saves a hostile file: one file, still out of process
        (root / "calls.py").write_text(PATHOLOGICAL["calls.py"], encoding="utf-8")
        report = repo.reindex()
        assert report.graph.parsed == 1 and [p["path"] for p in report.graph.partial] == ["calls.py"]
        assert [w.child.process.pid for w in repo._pool._workers] == first, "the same worker, kept warm"
        status = tools.index_status()
        assert [p["path"] for p in status.partial] == ["calls.py"] and status.problem_counts["partial"] == 1
        assert "nested deeper than 512" in status.partial[0]["error"]
        assert [s.name for s in tools.find_symbol("helper").symbols] == ["helper", "helper"]
    finally:
        repo.close()
    assert repo._pool is None
