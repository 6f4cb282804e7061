"""MCP server benchmark: cold start of ``repolens serve`` over stdio, and the p50/p95/max latency
of every tool as an agent sees it (request sent to answer received, client validation included).

    python bench/mcp_bench.py REPO [--db DIR] [--runs 20] [--json] [--no-embed] [--tools a,b]

REPO must be indexed already (the server runs with --no-index, so a missing index is an error,
not a silent build). The server is a real subprocess (the ``repolens`` script next to this
Python, else ``python -m server.cli``) driven by the MCP SDK client over stdin/stdout.

Cold start is measured from launching the process to: the session initialised, the first
tools/list answer, the first find_symbol answer, and the first localize answer (which needs the
search indexes and, unless --no-embed, the embedding model; the server warms them up in the
background from launch). Then each tool is called --runs times in a row. Arguments come from the
repository's own graph, picked the same way for every repository through the cypher tool (the
most called functions, the busiest callers, the classes with most subclasses, the most imported
files, issue-like texts from their docstrings), test code left out, and vary from run to run so
that caches do not answer every call. reindex gets no percentiles: one call, with nothing
changed, is timed last and shown on its own line. Calls that fail are counted and their
messages reported.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.search.units import is_test_path  # noqa: E402

READ_TIMEOUT_SECONDS = 300.0
CANDIDATES = 200
"""Rows asked for when picking arguments; test code is dropped from them afterwards."""
KINDS = ("file", "class", "function", "method")

SETUP = {
    "hot": "MATCH (c)-[:CALLS]->(f:Function) RETURN f.id AS id, f.name AS name, f.path AS path, "
           "count(*) AS n ORDER BY n DESC, id LIMIT $limit",
    "busy": "MATCH (f:Function)-[:CALLS]->(g:Function) RETURN f.id AS id, f.path AS path, count(*) AS n "
            "ORDER BY n DESC, id LIMIT $limit",
    "bases": "MATCH (s:Class)-[:INHERITS]->(b:Class) RETURN b.id AS id, b.path AS path, count(*) AS n "
             "ORDER BY n DESC, id LIMIT $limit",
    "imported": "MATCH (f:File)-[:IMPORTS]->(t:File) RETURN t.id AS id, t.id AS path, count(*) AS n "
                "ORDER BY n DESC, id LIMIT $limit",
    "pairs": "MATCH (a:Function)-[:CALLS]->(b:Function)-[:CALLS]->(c:Function) "
             "WHERE a.id IN $ids AND c.id <> a.id AND c.id <> b.id RETURN a.id AS source, min(c.id) AS target",
    "docs": "MATCH (f:Function) WHERE f.id IN $ids AND f.doc IS NOT NULL "
            "RETURN f.id AS id, f.name AS name, f.path AS path, f.doc AS doc",
}


class BenchError(RuntimeError):
    """The benchmark cannot go on (no server, no graph to pick arguments from)."""


def server_parameters(repo: Path, db: Path | None, embed: bool) -> StdioServerParameters:
    """``repolens serve`` for REPO over stdio, without building a missing index."""
    script = Path(sys.executable).parent / "repolens"
    command, args = (str(script), []) if script.exists() else (sys.executable, ["-m", "server.cli"])
    args += ["serve", "--repo", str(repo), "--no-index"]
    if db is not None:
        args += ["--db", str(db)]
    if not embed:
        args.append("--no-embed")
    return StdioServerParameters(command=command, args=args, cwd=str(ROOT))


def _message(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content).strip()[:300]


def _data(result: Any) -> Any:
    """The structured answer; union return types come wrapped in ``{"result": ...}``."""
    data = result.structured_content
    if isinstance(data, dict) and set(data) == {"result"}:
        return data["result"]
    return data


async def timed_call(client: Client, tool: str, args: dict[str, Any]) -> tuple[float, Any, str | None]:
    """(milliseconds, structured answer, error message or None) of one tools/call."""
    started = time.perf_counter()
    try:
        result = await client.call_tool(tool, args)
    except Exception as exc:  # a protocol error or a dead server: reported, not raised
        return (time.perf_counter() - started) * 1000, None, f"{type(exc).__name__}: {exc}"[:300]
    ms = (time.perf_counter() - started) * 1000
    return ms, _data(result), _message(result) if result.is_error else None


async def rows(client: Client, name: str, **params: Any) -> list[dict[str, Any]]:
    _, data, error = await timed_call(client, "cypher", {"query": SETUP[name], "params": params, "limit": 1000})
    if error:
        raise BenchError(f"picking arguments ({name}) failed: {error}")
    return list(data["rows"])


def _non_test(found: list[dict[str, Any]], runs: int) -> list[dict[str, Any]]:
    kept = [r for r in found if r.get("path") and not is_test_path(r["path"])]
    return (kept or found)[:runs]


def issue_texts(docs: list[dict[str, Any]], hot: list[dict[str, Any]], runs: int) -> tuple[list[str], list[str]]:
    """Issue-like texts for localize (every other one names the function) and free-text
    questions for search_code, from the first docstring lines of the picked functions."""
    issues, questions = [], []
    for i, d in enumerate(docs[:runs]):
        line = d["doc"].strip().rstrip(".")
        if i % 2 == 0:
            issues.append(f"{d['name']}() does not do what its documentation says\n\nThe docs say: \"{line}.\" "
                          f"but calling {d['name']} with ordinary arguments gives a wrong result.")
        else:
            issues.append(f"Wrong result: {line[:1].lower()}{line[1:]}\n\nThis used to work; the output no longer "
                          "matches the documented behaviour and no error is raised.")
        questions.append(f"where is the code that does this: {line}")
    for h in hot[:max(0, runs - len(issues))]:  # a repository without docstrings: names only
        issues.append(f"{h['name']} in {h['path']} returns a wrong value")
        questions.append(f"{h['name'].replace('_', ' ')} implementation")
    return issues or ["the program fails with an error"], questions or ["main entry point"]


async def pick_arguments(client: Client, runs: int) -> dict[str, list[dict[str, Any]]]:
    """Per tool, the arguments of each run, chosen from the graph's shape (never by name)."""
    hot = _non_test(await rows(client, "hot", limit=CANDIDATES), runs)
    if not hot:
        raise BenchError("the graph has no calls between functions to pick arguments from")
    busy = _non_test(await rows(client, "busy", limit=CANDIDATES), runs) or hot
    bases = _non_test(await rows(client, "bases", limit=CANDIDATES), runs)
    files = _non_test(await rows(client, "imported", limit=CANDIDATES), runs) or [{"path": hot[0]["path"]}]
    pairs = sorted((r["source"], r["target"]) for r in await rows(client, "pairs", ids=[b["id"] for b in busy]))
    pairs = pairs or [(busy[0]["id"], hot[0]["id"])]
    docs_by_id = {d["id"]: d for d in await rows(client, "docs", ids=[h["id"] for h in hot + busy])
                  if len(d["doc"] or "") >= 20}
    docs = [docs_by_id[i] for i in dict.fromkeys(h["id"] for h in hot + busy) if i in docs_by_id]
    issues, questions = issue_texts(docs, hot, runs)

    def cycle(items: Sequence[Any], make: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
        return [make(items[i % len(items)]) for i in range(runs)]

    plan = {
        "localize": cycle(issues, lambda t: {"text": t}),
        "search_code": cycle(questions, lambda q: {"query": q}),
        "repo_map": cycle([1024], lambda b: {"budget_tokens": b}),
        "file_schematic": cycle(files, lambda f: {"path": f["path"]}),
        "find_symbol": cycle(hot, lambda h: {"name": h["name"]}),
        "read_symbol": cycle(hot, lambda h: {"symbol": h["id"]}),
        "read_file": cycle(files, lambda f: {"path": f["path"]}),
        "callers": cycle(hot, lambda h: {"symbol": h["id"]}),
        "callees": cycle(busy, lambda b: {"symbol": b["id"]}),
        "call_path": cycle(pairs, lambda p: {"source": p[0], "target": p[1]}),
        "references": cycle(hot, lambda h: {"symbol": h["id"]}),
        "impact": cycle(hot, lambda h: {"target": h["id"]}),
        "imports": cycle(files, lambda f: {"path": f["path"]}),
        "cypher": cycle(KINDS, lambda k: {"query": "MATCH (n) WHERE n.kind = $kind RETURN count(*) AS n",
                                          "params": {"kind": k}}),
        "named_query": cycle(["stats"], lambda n: {"name": n}),
        "index_status": cycle([{}], dict),
    }
    if bases:
        plan["class_hierarchy"] = cycle(bases, lambda b: {"symbol": b["id"]})
    return plan


def summarise(samples: list[float], errors: list[str], args: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]  # nearest rank
    return {"calls": len(samples), "p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1),
            "max_ms": round(ordered[-1], 1), "errors": len(errors),
            "error_messages": sorted(set(errors))[:5], "first_args": args[0], "distinct_args": len(
                {json.dumps(a, sort_keys=True) for a in args})}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def run(repo: Path, db: Path | None, runs: int, embed: bool, only: list[str] | None) -> dict[str, Any]:
    params = server_parameters(repo, db, embed)
    result: dict[str, Any] = {"repo": str(repo), "db": str(db) if db else None, "runs": runs, "embed": embed,
                              "server": [params.command, *params.args]}
    cold: dict[str, Any] = {"errors": []}
    notes: set[str] = set()
    progress(f"launching {' '.join(result['server'])}")
    launched = time.perf_counter()

    def since_launch() -> float:
        return round((time.perf_counter() - launched) * 1000, 1)

    async with Client(params, read_timeout_seconds=READ_TIMEOUT_SECONDS, cache=None) as client:
        cold["initialize_ms"] = since_launch()
        listed = await client.list_tools()
        cold["tools_list_ms"] = since_launch()
        names = sorted(t.name for t in listed.tools)
        result["tools_listed"] = len(names)
        unknown = sorted(set(only or ()) - set(names))
        if unknown:
            raise BenchError(f"unknown tools {unknown}; the server has {', '.join(names)}")
        wanted = [n for n in names if n != "reindex" and (only is None or n in only)]
        ms, found, error = await timed_call(client, "find_symbol", {"name": "__init__"})
        cold["first_answer_ms"], cold["find_symbol_call_ms"] = since_launch(), round(ms, 1)
        if error:
            cold["errors"].append(f"find_symbol: {error}")
        first = (found or {}).get("symbols") or [{}]
        text = (f"{first[0].get('qualname') or 'the constructor'} in {first[0].get('path') or 'the package'} "
                "raises an error on valid input")
        ms, answer, error = await timed_call(client, "localize", {"text": text})
        cold["first_localize_ms"], cold["localize_call_ms"] = since_launch(), round(ms, 1)
        if error:
            cold["errors"].append(f"localize: {error}")
        notes.update((answer or {}).get("notes") or [])
        result["cold_start"] = cold
        progress("cold start: " + ", ".join(f"{k} {v}" for k, v in cold.items() if k != "errors"))

        started = time.perf_counter()
        plan = await pick_arguments(client, runs)
        result["setup_seconds"] = round(time.perf_counter() - started, 2)
        result["tools"], result["skipped"] = {}, {}
        for tool in wanted:
            if tool not in plan:
                result["skipped"][tool] = "no arguments could be picked from this graph"
                progress(f"{tool}: skipped ({result['skipped'][tool]})")
                continue
            samples, errors = [], []
            for args in plan[tool]:
                ms, data, error = await timed_call(client, tool, args)
                samples.append(ms)
                if error:
                    errors.append(f"{json.dumps(args)[:200]}: {error}")
                elif isinstance(data, dict):
                    notes.update(data.get("notes") or [])
            result["tools"][tool] = stats = summarise(samples, errors, plan[tool])
            progress(f"{tool}: p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms, {stats['errors']} errors")
        if only is None or "reindex" in only:
            ms, data, error = await timed_call(client, "reindex", {})
            result["reindex"] = {"ms": round(ms, 1), "error": error, "mode": (data or {}).get("mode"),
                                 "server_seconds": (data or {}).get("seconds")}
            progress(f"reindex (no change): {result['reindex']['ms']} ms, mode {result['reindex']['mode']}")
    result["notes"] = sorted(notes)
    return result


def render(result: dict[str, Any]) -> str:
    cold = result["cold_start"]
    lines = [f"{result['repo']} (runs {result['runs']}, embed {result['embed']}, {result['tools_listed']} tools)",
             "cold start (ms since launch): "
             f"initialised {cold['initialize_ms']:.0f}, tools/list {cold['tools_list_ms']:.0f}, "
             f"first find_symbol {cold['first_answer_ms']:.0f} (call {cold['find_symbol_call_ms']:.0f}), "
             f"first localize {cold['first_localize_ms']:.0f} (call {cold['localize_call_ms']:.0f})",
             f"argument picking: {result['setup_seconds']:.2f} s", "",
             f"{'tool':<16} {'calls':>5} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9} {'errors':>6}"]
    for tool, s in result["tools"].items():
        lines.append(f"{tool:<16} {s['calls']:>5} {s['p50_ms']:>9.1f} {s['p95_ms']:>9.1f} {s['max_ms']:>9.1f} "
                     f"{s['errors']:>6}")
    if "reindex" in result:
        r = result["reindex"]
        lines.append(f"{'reindex (none)':<16} {1:>5} {r['ms']:>9.1f} {'':>9} {'':>9} {int(bool(r['error'])):>6}"
                     f"  mode {r['mode']}")
    problems = [f"cold start: {e}" for e in cold["errors"]]
    problems += [f"{t}: {m}" for t, s in result["tools"].items() for m in s["error_messages"]]
    problems += [f"reindex: {result['reindex']['error']}"] if result.get("reindex", {}).get("error") else []
    problems += [f"{t}: skipped, {why}" for t, why in result["skipped"].items()]
    lines += [""] + [f"error  {p}" for p in problems] + [f"note   {n}" for n in result["notes"]]
    return "\n".join(lines).rstrip()


def _first_leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path)
    parser.add_argument("--db", type=Path, default=None, help="Index directory (default: REPO/.repolens).")
    parser.add_argument("--runs", type=int, default=20, help="Calls per tool.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object instead of the table.")
    parser.add_argument("--no-embed", dest="embed", action="store_false", help="Serve without semantic search.")
    parser.add_argument("--tools", default=None, help="Only these tools, comma-separated (reindex included).")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    only = [t.strip() for t in args.tools.split(",") if t.strip()] if args.tools else None
    db = args.db.resolve() if args.db else None
    try:
        result = anyio.run(run, args.repo.resolve(), db, args.runs, args.embed, only)
    except Exception as exc:  # the client's task groups wrap what went wrong; say it plainly
        cause = _first_leaf(exc)
        if isinstance(cause, BenchError):
            parser.exit(1, f"error: {cause}\n")
        if isinstance(cause, MCPError) and cause.code == CONNECTION_CLOSED:
            parser.exit(1, "error: the server closed the connection (its message is on stderr above)\n")
        raise
    print(json.dumps(result, indent=2) if args.json else render(result))


if __name__ == "__main__":
    main()
