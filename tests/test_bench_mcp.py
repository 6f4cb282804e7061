"""The MCP server bench end to end on the sample repository: a real ``repolens serve``
subprocess over stdio, every tool called with arguments picked from the graph, no errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import index_without_embeddings

from bench.mcp_bench import main
from server.tools import RepolensTools

COLD_START = ("initialize_ms", "tools_list_ms", "first_answer_ms", "find_symbol_call_ms", "first_localize_ms",
              "localize_call_ms")


def test_every_tool_is_timed_without_errors(pyrepo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index_without_embeddings(pyrepo)
    main([str(pyrepo), "--runs", "2", "--no-embed", "--json"])
    result = json.loads(capsys.readouterr().out)

    cold = result["cold_start"]
    assert cold["errors"] == []
    assert all(isinstance(cold[k], float) and cold[k] > 0 for k in COLD_START)
    assert cold["initialize_ms"] <= cold["tools_list_ms"] <= cold["first_answer_ms"] <= cold["first_localize_ms"]

    assert result["tools_listed"] == len(RepolensTools.READ_ONLY + RepolensTools.WRITING)
    assert result["skipped"] == {}
    assert sorted(result["tools"]) == sorted(RepolensTools.READ_ONLY)
    for tool, stats in result["tools"].items():
        assert stats["calls"] == 2, tool
        assert stats["errors"] == 0, (tool, stats["error_messages"])
        assert 0 < stats["p50_ms"] <= stats["p95_ms"] <= stats["max_ms"], tool
    assert result["reindex"]["error"] is None
    assert result["reindex"]["mode"] == "unchanged"


def test_tools_option_limits_the_table(pyrepo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index_without_embeddings(pyrepo)
    main([str(pyrepo), "--runs", "1", "--no-embed", "--tools", "callers,cypher"])
    out = capsys.readouterr().out
    assert "cold start (ms since launch): initialised" in out
    rows = [line.split()[0] for line in out.splitlines() if line.split()[:2] in (["callers", "1"], ["cypher", "1"])]
    assert rows == ["callers", "cypher"]
    assert "localize " not in out.split("tool ")[1] and "reindex" not in out


def test_unknown_tool_is_refused(pyrepo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index_without_embeddings(pyrepo)
    with pytest.raises(SystemExit) as exit_info:
        main([str(pyrepo), "--runs", "1", "--no-embed", "--tools", "callers,no_such_tool"])
    assert exit_info.value.code == 1
    assert "unknown tools ['no_such_tool']" in capsys.readouterr().err
