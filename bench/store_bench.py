"""Store benchmark: load time of a repository's graph into each reachable backend, and the
p50/p95 latency of every named query on each.

    python bench/store_bench.py PATH [PATH ...] [--runs 20] [--json]

The graph comes from indexing PATH with the embedded store. Backends: Kùzu (always); Neo4j at
REPOLENS_BENCH_NEO4J_URI (+ _USER, _PASSWORD, _DATABASE) when set, otherwise an ArcadeDB Bolt
server started from the arcadedb-embedded wheel (skipped with a note when it cannot start).
Query parameters are picked from the graph the same way for every repository (the most
called function, the most imported file, ...), never by name.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from indexer.model import EdgeKind, Graph, NodeKind  # noqa: E402
from indexer.pipeline import GRAPH_FILE, IndexOptions, index_repository  # noqa: E402
from indexer.store.base import GraphStore  # noqa: E402
from indexer.store.kuzu_store import KuzuStore  # noqa: E402
from queries.registry import load_queries, run_named  # noqa: E402


def pick_params(graph: Graph) -> dict[str, list[dict[str, Any]]]:
    """Parameters for each named query, chosen from the graph's shape."""
    kinds = {n.id: n.kind for n in graph.nodes}
    names = {n.id: n.name for n in graph.nodes}
    functions = {i for i, k in kinds.items() if k in (NodeKind.FUNCTION, NodeKind.METHOD)}
    calls_in: Counter[str] = Counter()
    calls_out: Counter[str] = Counter()
    callees: dict[str, list[str]] = {}
    imports_in: Counter[str] = Counter()
    imports_out: Counter[str] = Counter()
    subclasses: Counter[str] = Counter()
    defs_in_file: Counter[str] = Counter()
    for e in graph.edges:
        if e.kind == EdgeKind.CALLS and e.target in functions:
            calls_in[e.target] += 1
            if e.source in functions:
                calls_out[e.source] += 1
                callees.setdefault(e.source, []).append(e.target)
        elif e.kind == EdgeKind.IMPORTS and kinds.get(e.target) == NodeKind.FILE:
            imports_in[e.target] += 1
            imports_out[e.source] += 1
        elif e.kind == EdgeKind.INHERITS and kinds.get(e.target) == NodeKind.CLASS:
            subclasses[e.target] += 1
    for n in graph.nodes:
        if n.kind in (NodeKind.CLASS, NodeKind.FUNCTION, NodeKind.METHOD):
            defs_in_file[n.path] += 1

    def top(counter: Counter[str]) -> str:
        return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]

    hot = top(calls_in)
    busy = top(calls_out)
    # a two-call path from the busiest caller, for call_path
    target = next((c2 for c1 in sorted(callees.get(busy, [])) for c2 in sorted(callees.get(c1, []))
                   if c2 != busy), callees.get(busy, [hot])[0])
    base = top(subclasses) if subclasses else hot
    sub = sorted(e.source for e in graph.edges if e.kind == EdgeKind.INHERITS and e.target == base)
    return {
        "file_outline": [{"path": top(defs_in_file)}],
        "find_symbol": [{"name": names[hot]}, {"name": names[hot][:3], "mode": "prefix"}],
        "callers": [{"id": hot, "depth": 1}, {"id": hot, "depth": 3}],
        "callees": [{"id": busy, "depth": 1}, {"id": busy, "depth": 3}],
        "call_path": [{"source": busy, "target": target}],
        "imports": [{"path": top(imports_out)}],
        "importers": [{"path": top(imports_in)}],
        "subclasses": [{"id": base}],
        "superclasses": [{"id": sub[0] if sub else base}],
        "neighbours": [{"id": hot}],
        "stats": [{}],
    }


def time_queries(store: GraphStore, params: dict[str, list[dict[str, Any]]], runs: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name in sorted(load_queries()):
        for p in params.get(name, [{}]):
            label = name + "".join(f" {k}={v}" for k, v in p.items() if k in ("depth", "mode"))
            run_named(store, name, p)  # warm-up
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                rows = run_named(store, name, p).rows
                samples.append((time.perf_counter() - started) * 1000)
            samples.sort()
            out[label] = {"p50_ms": round(statistics.median(samples), 2),
                          "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 2),
                          "rows": len(rows)}
    return out


@contextmanager
def neo4j_target(tmp: Path) -> Iterator[tuple[str, str, str, str | None, str] | None]:
    uri = os.environ.get("REPOLENS_BENCH_NEO4J_URI")
    if uri:
        yield (uri, os.environ.get("REPOLENS_BENCH_NEO4J_USER", "neo4j"),
               os.environ.get("REPOLENS_BENCH_NEO4J_PASSWORD", ""),
               os.environ.get("REPOLENS_BENCH_NEO4J_DATABASE") or None, "neo4j")
        return
    from neo4j_server import ArcadeDBProcess, ServerUnavailable

    try:
        server = ArcadeDBProcess(tmp / "arcadedb")
    except ServerUnavailable as exc:
        print(f"note: no Bolt server: {exc}", file=sys.stderr)
        yield None
        return
    try:
        t = server.target
        yield (t.uri, t.user, t.password, t.database, f"arcadedb (start {t.start_seconds:.1f}s)")
    finally:
        server.stop()


def measure(repo: Path, runs: int, tmp: Path, bolt: tuple[str, str, str, str | None, str] | None) -> dict[str, Any]:
    db = tmp / repo.name
    index_repository(repo, IndexOptions(db_dir=db))
    with KuzuStore(db / GRAPH_FILE, read_only=True) as source:
        graph = source.dump()
    params = pick_params(graph)
    result: dict[str, Any] = {"repo": repo.name, "nodes": len(graph.nodes), "edges": len(graph.edges),
                              "backends": {}}
    backends: list[tuple[str, Callable[[], Any]]] = [("kuzu", lambda: KuzuStore(tmp / f"{repo.name}-bench.kuzu"))]
    if bolt is not None:
        from indexer.store.neo4j_store import Neo4jStore

        uri, user, password, database, label = bolt
        backends.append((label, lambda: Neo4jStore(uri, user, password, repo=repo.name, database=database)))
    for label, opener in backends:
        store = opener()
        try:
            started = time.perf_counter()
            store.replace_all(graph.nodes, graph.edges)
            load = time.perf_counter() - started
            result["backends"][label] = {"load_seconds": round(load, 2),
                                         "queries": time_queries(store, params, runs)}
        finally:
            store.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="repolens-store-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        with neo4j_target(tmp) as bolt:
            results = [measure(repo.resolve(), args.runs, tmp, bolt) for repo in args.repos]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        print(f"\n{r['repo']}: {r['nodes']} nodes, {r['edges']} edges")
        labels = list(r["backends"])
        print(f"  {'load (s)':<34}" + "".join(f"{r['backends'][b]['load_seconds']:>30}" for b in labels))
        print(f"  {'query p50 / p95 (ms)':<34}" + "".join(f"{b[:28]:>30}" for b in labels))
        for q in r["backends"][labels[0]]["queries"]:
            cells = []
            for b in labels:
                m = r["backends"][b]["queries"].get(q)
                cells.append(f"{m['p50_ms']:>8.1f} / {m['p95_ms']:<8.1f} ({m['rows']} rows)" if m else "-")
            print(f"  {q:<34}" + "".join(f"{c:>30}" for c in cells))


if __name__ == "__main__":
    main()
