"""Index freshness benchmark: how long until an edit, a checkout or a new repository is
searchable, measured the way a user meets it.

    python bench/update_bench.py edit REPO [--runs 5] [--json]      # CLI and watching server
    python bench/update_bench.py switch REPO [--commits 50] [--json]
    python bench/update_bench.py cold REPO [--json] [--no-embed] [--exported]

``edit`` puts a new, unique word into the body of a function (a different one each run,
picked from the graph: non-test functions of 8+ lines, evenly spread over the sorted ids), then

* **cli**: runs ``repolens index REPO --json`` as a new process and times it, process start
  included, and checks that ``search_code`` for the word then returns that function with the
  word in its evidence (its rank is reported);
* **watch**: with ``repolens serve --repo REPO --watch`` running as a real subprocess driven
  by the MCP client, times from the file write to the first ``search_code`` answer that returns
  the function with the word in its evidence (polling every 100 ms, so that the polls do not
  starve the re-index they wait for), and reads the server's resident memory. Each edit is
  made on an idle server: after the previous edit's undo is searchable and written.

Every edit is undone at the end and the index brought back. ``switch`` checks out the commit
``--commits`` first-parent steps back (detached), times ``repolens index``, then returns to
the original branch and times it again (the embedding cache is warm for the way back).
``cold`` times a first index of REPO into a new index directory with an empty embedding cache
(its own ``REPOLENS_CACHE_DIR``), as a new user's first run; with ``--exported`` the model
this machine has exported is kept, so the one-time export is left out. REPO must be a git checkout with a
clean work tree for ``edit`` and ``switch``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mcp_bench import READ_TIMEOUT_SECONDS, timed_call  # noqa: E402
from indexer.search.units import is_test_path  # noqa: E402
from indexer.store.config import GRAPH_FILE  # noqa: E402
from indexer.store.kuzu_store import KuzuStore  # noqa: E402

MIN_LINES = 8
POLL_SECONDS = 0.1
WATCH_TIMEOUT = 60.0


def repolens() -> list[str]:
    script = Path(sys.executable).parent / "repolens"
    return [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]


EXTRA: list[str] = []
"""Options for every ``repolens`` command run (``--no-embed``)."""


def index_cli(repo: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[float, dict[str, Any]]:
    """Seconds of one ``repolens index`` process, and its JSON report."""
    started = time.perf_counter()
    done = subprocess.run([*repolens(), "index", str(repo), "--json", *extra, *EXTRA], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"repolens index failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    return seconds, json.loads(done.stdout)


def pick_functions(repo: Path, db: Path, count: int) -> list[tuple[str, str, int]]:
    """(id, path, first body line) of ``count`` functions to edit, spread over the sorted ids."""
    with KuzuStore(db / GRAPH_FILE, read_only=True) as store:
        graph = store.dump()
    found = sorted((n.id, n.path, n.start_line or 0, n.end_line or 0) for n in graph.nodes
                   if n.kind.value in ("function", "method") and not is_test_path(n.path)
                   and (n.end_line or 0) - (n.start_line or 0) >= MIN_LINES and n.path.endswith(".py"))
    step = max(1, len(found) // (count + 1))
    picked: list[tuple[str, str, int]] = []
    for node_id, path, start, _ in found[step::step]:
        lines = (repo / path).read_text(encoding="utf-8").splitlines()
        body = _body_line(lines, start)
        if body is not None and all(p != path for _, p, _ in picked):
            picked.append((node_id, path, body))
        if len(picked) == count:
            break
    return picked


def _body_line(lines: list[str], start: int) -> int | None:
    """The 1-based line of the first statement after the signature (and docstring) of the
    function starting at ``start``; None when it cannot be told simply."""
    i = start - 1
    while i < len(lines) and not lines[i].rstrip().endswith(":"):
        i += 1
    i += 1
    if i >= len(lines):
        return None
    if lines[i].strip().startswith(('"""', "'''", 'r"""')):
        quote = lines[i].strip()[:3] if not lines[i].strip().startswith("r") else '"""'
        if lines[i].strip().count(quote) < 2:
            i += 1
            while i < len(lines) and quote not in lines[i]:
                i += 1
        i += 1
    if i >= len(lines) or not lines[i].strip():
        return None
    return i + 1


def marker(kind: str, n: int) -> str:
    """A word no repository has, of letters only, so that it is one search term (digits and
    underscores would split it into common parts)."""
    value, letters = os.getpid() * 100 + n, ""
    while value:
        value, digit = divmod(value, 26)
        letters += chr(ord("a") + digit)
    return f"qzx{kind}{letters}"


def insert_marker(repo: Path, path: str, line: int, word: str) -> None:
    file = repo / path
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    indent = re.match(r"\s*", lines[line - 1]).group(0)  # type: ignore[union-attr]
    lines.insert(line - 1, f"{indent}{word} = 1\n")
    file.write_text("".join(lines), encoding="utf-8")


def restore(repo: Path) -> None:
    subprocess.run(["git", "-C", str(repo), "checkout", "--", "."], check=True)


SEARCH_LIMIT = 100
"""Results asked of ``search_code`` when looking for the edited function."""


def matched_rank(items: list[dict[str, Any]], node_id: str, word: str) -> int | None:
    """The 1-based rank of ``node_id`` among ``search_code`` results when its evidence says its
    indexed text holds ``word`` (so the search indexes have the edit), else None. Ranking is not
    what this measures: a word found in one function's body is not always ranked first (the
    fused ranking favours functions of files with other evidence; issue 13)."""
    for rank, item in enumerate(items, 1):
        if item["id"] == node_id and any(word in e for e in item.get("evidence", ())):
            return rank
    return None


def search_rank(repo: Path, node_id: str, word: str) -> int | None:
    done = subprocess.run([*repolens(), "search-code", word, "--repo", str(repo), "--limit", str(SEARCH_LIMIT),
                           "--json", *EXTRA], capture_output=True, text=True, check=False)
    try:
        items = json.loads(done.stdout).get("results", [])
    except ValueError:
        return None
    return matched_rank(items, node_id, word)


def bench_cli(repo: Path, targets: list[tuple[str, str, int]]) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    for n, (node_id, path, line) in enumerate(targets):
        word = marker("cli", n)
        insert_marker(repo, path, line, word)
        seconds, report = index_cli(repo)
        search = report.get("search") or {}
        runs.append({"function": node_id, "seconds": round(seconds, 3), "graph": report.get("seconds"),
                     "search": search.get("seconds"), "embedded": search.get("embedded"),
                     "rank": search_rank(repo, node_id, word)})
        restore(repo)
        index_cli(repo)
        print(f"cli edit {n + 1}: {seconds:.2f}s ({node_id})", file=sys.stderr)
    times = [r["seconds"] for r in runs]
    return {"runs": runs, "median_seconds": statistics.median(times), "max_seconds": max(times),
            "all_reflected": all(r["rank"] is not None for r in runs)}


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _server_pid(repo: Path) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in args and str(repo).encode() in args and b"--watch" in args:
            return int(entry.name)
    return None


async def _watch(repo: Path, targets: list[tuple[str, str, int]]) -> dict[str, Any]:
    from mcp import Client, StdioServerParameters

    command = repolens()
    serve = [*command[1:], "serve", "--repo", str(repo), "--watch", *EXTRA]
    params = StdioServerParameters(command=command[0], args=serve, cwd=str(ROOT))
    runs: list[dict[str, Any]] = []
    async with Client(params, read_timeout_seconds=READ_TIMEOUT_SECONDS, cache=None) as client:
        pid = _server_pid(repo)
        # warm: the search indexes and the model loaded, the catch-up re-index done
        for _ in range(3):
            await timed_call(client, "search_code", {"query": "warm up the index", "limit": 1})
        await anyio.sleep(2.0)
        rss_before = _rss_mb(pid) if pid else None
        for n, (node_id, path, line) in enumerate(targets):
            word = marker("watch", n)
            written = time.perf_counter()
            insert_marker(repo, path, line, word)
            seconds = rank = None
            while time.perf_counter() - written < WATCH_TIMEOUT:
                _, data, error = await timed_call(client, "search_code", {"query": word, "limit": SEARCH_LIMIT})
                rank = matched_rank((data or {}).get("results", []) if not error else [], node_id, word)
                if rank is not None:
                    seconds = time.perf_counter() - written
                    break
                await anyio.sleep(POLL_SECONDS)
            runs.append({"function": node_id, "seconds": round(seconds, 3) if seconds is not None else None,
                         "rank": rank, "server_rss_mb": _rss_mb(pid) if pid else None})
            print(f"watch edit {n + 1}: {seconds if seconds is None else round(seconds, 3)}s ({node_id})",
                  file=sys.stderr)
            restore(repo)
            await _idle(client, node_id, word)
        rss_after = _rss_mb(pid) if pid else None
        _, status, _ = await timed_call(client, "index_status", {})
    times = [r["seconds"] for r in runs if r["seconds"] is not None]
    return {"runs": runs, "median_seconds": statistics.median(times) if times else None,
            "max_seconds": max(times) if times else None, "missed": sum(1 for r in runs if r["seconds"] is None),
            "server_rss_mb": {"before_edits": rss_before, "after_edits": rss_after},
            "watch_mode": ((status or {}).get("index") or {}).get("watch_mode"),
            "search_status": (status or {}).get("search")}


async def _idle(client: Any, node_id: str, word: str) -> None:
    """Until the undo of an edit is searchable and written to the graph: each edit then meets
    an idle server, as an agent's edit, seconds after its last one, does. (A save that lands
    while the previous re-index is still writing waits for it.)"""
    started = time.perf_counter()
    while time.perf_counter() - started < WATCH_TIMEOUT:
        _, data, error = await timed_call(client, "search_code", {"query": word, "limit": SEARCH_LIMIT})
        if not error and matched_rank((data or {}).get("results", []), node_id, word) is None:
            break
        await anyio.sleep(POLL_SECONDS)
    await timed_call(client, "index_status", {})  # a graph tool: it waits for the write under way


def bench_edit(repo: Path, runs: int) -> dict[str, Any]:
    index_cli(repo)
    targets = pick_functions(repo, repo / ".repolens", runs * 2)
    try:
        cli = bench_cli(repo, targets[:runs])
        watch = anyio.run(_watch, repo, targets[runs:])
    finally:
        restore(repo)
        index_cli(repo)
    return {"repo": str(repo), "cli": cli, "watch": watch}


def bench_switch(repo: Path, commits: int) -> dict[str, Any]:
    git = ["git", "-C", str(repo)]
    branch = subprocess.run([*git, "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    index_cli(repo)
    target = subprocess.run([*git, "rev-parse", f"HEAD~{commits}"], capture_output=True, text=True,
                            check=True).stdout.strip()
    changed = subprocess.run([*git, "diff", "--name-only", head, target], capture_output=True, text=True,
                             check=True).stdout.split()
    try:
        subprocess.run([*git, "checkout", "-q", "--detach", target], check=True)
        away, away_report = index_cli(repo)
    finally:
        subprocess.run([*git, "checkout", "-q", branch if branch != "HEAD" else head], check=True)
    back, back_report = index_cli(repo)
    return {"repo": str(repo), "commits": commits, "files_changed": len(changed),
            "away": _summary(away, away_report), "back": _summary(back, back_report)}


def bench_cold(repo: Path, embed: bool, exported: bool) -> dict[str, Any]:
    from indexer.search.dense import CACHE_ENV, MODELS_DIR, default_cache_path

    with tempfile.TemporaryDirectory(prefix="repolens-cold-") as tmp:
        cache = Path(tmp) / "cache"
        if exported:  # this machine's exported models, an empty embedding cache
            cache.mkdir()
            models = default_cache_path().parent / MODELS_DIR
            if not models.is_dir():
                index_cli(repo, "--db", str(Path(tmp) / "warmup"))  # exports the model
            (cache / MODELS_DIR).symlink_to(models, target_is_directory=True)
        extra = ["--db", str(Path(tmp) / "index")]
        seconds, report = index_cli(repo, *extra, env={CACHE_ENV: str(cache)})
    return {"repo": str(repo), "embed": embed, "model_exported_before": exported, **_summary(seconds, report)}


def _summary(seconds: float, report: dict[str, Any]) -> dict[str, Any]:
    search = report.get("search") or {}
    return {"seconds": round(seconds, 2), "graph_seconds": report.get("seconds"), "files": report.get("files"),
            "parsed": report.get("parsed"), "units": search.get("units"), "units_changed": search.get("units_changed"),
            "embedded": search.get("embedded"), "search_seconds": search.get("seconds"), "model": search.get("model")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("edit", "switch", "cold"))
    parser.add_argument("repo", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--commits", type=int, default=50)
    parser.add_argument("--no-embed", action="store_true")
    parser.add_argument("--exported", action="store_true",
                        help="cold: with this machine's exported embedding model (only the embedding cache empty)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    if args.no_embed:
        EXTRA.append("--no-embed")
    if args.what == "edit":
        result = bench_edit(repo, args.runs)
    elif args.what == "switch":
        result = bench_switch(repo, args.commits)
    else:
        result = bench_cold(repo, not args.no_embed, args.exported)
    print(json.dumps(result, indent=None if args.json else 2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
