"""The adversarial bench end to end at a small scale: a few hostile queries of every category
through a real MCP session, and ~20 pathological and ordinary files through ``repolens index``.
Nothing gets past the guard, nothing crashes, every file is accounted for."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest

from bench.hostile import GUARDED, cypher_text, files_text, main
from indexer.languages import LANGUAGES

SCALE = "0.03"
OUTCOMES = ("refused", "stopped", "error", "answered", "lost")


@pytest.fixture(scope="module")
def result() -> tuple[int, dict[str, Any]]:
    """Exit status and JSON report of one run of both parts."""
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["--json", "--scale", SCALE])
    return code, json.loads(out.getvalue())


def test_the_run_passes(result: tuple[int, dict[str, Any]]) -> None:
    code, report = result
    assert code == 0 and report["passed"] is True and report["scale"] == float(SCALE)


def test_hostile_queries_are_refused_or_stopped_and_the_server_lives(result: tuple[int, dict[str, Any]]) -> None:
    cypher = result[1]["cypher"]
    assert set(cypher["categories"]) == {*GUARDED, "memory", "time", "parser", "control"}
    assert cypher["queries"] == sum(c["queries"] for c in cypher["categories"].values()) == len(cypher["outcomes"])
    for name, counts in cypher["categories"].items():
        assert counts["queries"] == sum(counts[o] for o in OUTCOMES), name
        assert 0 <= counts["max_seconds"] <= cypher["max_seconds"]
    for name in GUARDED:
        assert cypher["categories"][name]["answered"] == 0
    assert cypher["categories"]["control"]["answered"] == cypher["categories"]["control"]["queries"]
    assert cypher["bypasses"] == [] and cypher["crashes"] == [] and cypher["control_not_answered"] == []
    assert "threads" in cypher["settings_watched"]
    assert cypher["baseline"]["functions"] > 0
    assert cypher["peak_server_rss_mb"] > 0 and cypher["peak_worker_rss_mb"] > 0
    assert all({"category", "query", "outcome", "seconds", "message", "bypass", "crash"} <= set(o)
               for o in cypher["outcomes"])


def test_pathological_files_are_all_accounted_for(result: tuple[int, dict[str, Any]]) -> None:
    files = result[1]["files"]
    assert files["failures"] == []
    assert 15 <= files["files"] <= 100
    assert set(files["by_language"]) == set(LANGUAGES)  # every indexed language gets files
    assert files["report_files"] == files["files"] == sum(files["counts"].values())
    assert files["counts"]["missing"] == 0 and files["missing"] == [] and files["disagree"] == []
    assert files["ordinary"]["ok"] == files["ordinary"]["files"] >= 4
    assert len(files["skipped"]) == files["counts"]["skipped"]
    assert all(set(item) == {"path", "reason"} and item["reason"] for item in files["skipped"])
    assert all(set(item) == {"path", "error"} and item["error"] for item in files["partial"])
    assert files["index_status"]["ok"] is True
    assert files["wall_seconds"] > 0 and files["peak_rss_mb"] > 0 and not files["timed_out"]


def test_the_text_summary_has_a_table_per_part(result: tuple[int, dict[str, Any]]) -> None:
    cypher, files = cypher_text(result[1]["cypher"]), files_text(result[1]["files"])
    assert cypher[0].startswith("hostile Cypher:") and "bypasses: 0" in cypher and "crashes: 0" in cypher
    assert files[0].startswith("pathological files:")
    assert any(line.startswith("ordinary files ok:") for line in files)
    assert any(line.startswith("every file accounted for: yes") for line in files)
