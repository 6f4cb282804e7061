"""Embedding runtimes side by side: torch (sentence-transformers, float32), ONNX float32 and
ONNX int8, on the same code units in one run.

    python bench/embed_bench.py [REPO] [--sample 256] [--rounds 3] [--seq 256,128] [--threads N]
                                [--queries FILE] [--query-count 50] [--cache DIR] [--json]

REPO (default /work/repos/flask) must be indexed (``.repolens/graph.kuzu``); its code units are
built from the graph and ``--sample`` of them (seeded) are embedded by every runtime at every
``--seq`` length, in interleaved rounds, so a busy machine slows them alike. Reported:

* the one-time ONNX export of each ONNX runtime, into ``--cache`` (default: a new temporary
  cache, so the export really runs);
* a cold process per runtime: importing it, loading the model and embedding one query;
* throughput in texts/s (best and median round) at each sequence length;
* agreement with torch at the first ``--seq``: cosine of the unit vectors (mean, min) and
  the top-10 neighbours of the queries among the sampled units (mean overlap, same top 1);
* query latency on ``QUERY_THREADS`` thread as ``DenseIndex.search`` embeds a query: p50/p95
  over ``--query-count`` issue-like texts of about 1000 characters (issue texts from
  ``--queries``, a dev-set JSON-lines file with ``problem_statement``; else other units).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REPO = Path("/work/repos/flask")
DEFAULT_QUERIES = Path("/work/shared/bench/dev.jsonl")
RUNTIMES = ("torch", "onnx", "onnx-int8")
QUERY_CHARS = 1000

COLD = """
import json, sys, time
started = time.perf_counter()
from indexer.search.dense import Embedder, _backend
embedder = Embedder(runtime=sys.argv[1])
_backend(runtime=embedder.runtime)
imported = time.perf_counter()
embedder.dimension  # loads the model
loaded = time.perf_counter()
embedder.embed_query(sys.argv[2])
done = time.perf_counter()
print(json.dumps({"runtime": embedder.runtime, "import_s": imported - started, "load_s": loaded - imported,
                  "first_query_s": done - loaded, "total_s": done - started,
                  "torch_imported": "torch" in sys.modules, "transformers_imported": "transformers" in sys.modules}))
"""


def unit_texts(repo: Path, sample: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """The sampled units' texts, and the other units' texts (for fallback queries)."""
    from indexer.search.units import build_units
    from indexer.store.kuzu_store import KuzuStore

    graph_path = repo / ".repolens" / "graph.kuzu"
    if not graph_path.exists():
        raise SystemExit(f"{repo} is not indexed: run `repolens index {repo} --no-embed` first")
    with KuzuStore(graph_path, read_only=True) as store:
        graph = store.dump()
    units = sorted(build_units(repo, graph), key=lambda u: u.id)
    random.Random(seed).shuffle(units)
    return [u.text for u in units[:sample]], [u.text for u in units[sample:]]


def query_texts(path: Path | None, fallback: Sequence[str], count: int) -> tuple[list[str], str]:
    if path is not None and path.is_file():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts = [r["problem_statement"][:QUERY_CHARS] for r in rows if r.get("problem_statement")]
        return texts[:count], f"issue texts from {path}"
    return [t[:QUERY_CHARS] for t in fallback[:count]], "texts of units outside the sample"


def export_times(runtimes: Sequence[str]) -> dict[str, Any]:
    """Resolve each ONNX runtime in a fresh cache: the wall time of the export, and the note
    when it fell back to torch."""
    from indexer.search.dense import Embedder

    out: dict[str, Any] = {}
    for runtime in runtimes:
        if runtime == "torch":
            continue
        embedder = Embedder(runtime=runtime)
        started = time.perf_counter()
        resolved = embedder.runtime
        out[runtime] = {"export_s": round(time.perf_counter() - started, 2), "runtime": resolved,
                        "note": embedder.runtime_note}
    return out


def cold_process(runtime: str, query: str) -> dict[str, Any]:
    run = subprocess.run([sys.executable, "-c", COLD, runtime, query], cwd=ROOT, capture_output=True, text=True,
                         timeout=600, check=True)
    row: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}


def throughput(embedders: dict[tuple[str, int], Any], texts: list[str], rounds: int,
               threads: int) -> tuple[dict[tuple[str, int], list[float]], dict[tuple[str, int], Any]]:
    """Seconds per round for each (runtime, seq), rounds interleaved; and the first round's
    vectors."""
    seconds: dict[tuple[str, int], list[float]] = {key: [] for key in embedders}
    vectors: dict[tuple[str, int], Any] = {}
    for embedder in embedders.values():  # warm up: load the model, make the session
        embedder.embed(texts[:4], threads=threads)
    for n in range(rounds):
        keys = list(embedders) if n % 2 == 0 else list(reversed(embedders))
        for key in keys:
            started = time.perf_counter()
            out = embedders[key].embed(texts, threads=threads)
            seconds[key].append(time.perf_counter() - started)
            vectors.setdefault(key, out)
        print(f"round {n + 1}/{rounds} done", file=sys.stderr)
    return seconds, vectors


def latency(embedders: dict[str, Any], queries: list[str]) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Milliseconds per query for each runtime (queries interleaved), and the query vectors."""
    import numpy as np

    from indexer.search.dense import QUERY_THREADS, compute_threads

    times: dict[str, list[float]] = {rt: [] for rt in embedders}
    vectors: dict[str, list[Any]] = {rt: [] for rt in embedders}
    with compute_threads(QUERY_THREADS):  # as DenseIndex.search runs
        for embedder in embedders.values():
            embedder.embed_query(queries[0])
        for text in queries:
            for runtime, embedder in embedders.items():
                started = time.perf_counter()
                vector = embedder.embed_query(text)
                times[runtime].append((time.perf_counter() - started) * 1000)
                vectors[runtime].append(vector[0])
    return times, {rt: np.stack(v) for rt, v in vectors.items()}


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def neighbours(units_a: Any, queries_a: Any, units_b: Any, queries_b: Any, k: int = 10) -> dict[str, float]:
    """How alike the top-``k`` units of each query are under two runtimes."""
    import numpy as np

    top_a = np.argsort(-(queries_a @ units_a.T), axis=1, kind="stable")[:, :k]
    top_b = np.argsort(-(queries_b @ units_b.T), axis=1, kind="stable")[:, :k]
    overlap = [len(set(a) & set(b)) / k for a, b in zip(top_a.tolist(), top_b.tolist(), strict=True)]
    return {"overlap_at_10": round(statistics.mean(overlap), 3), "min_overlap_at_10": round(min(overlap), 3),
            "same_top1": round(statistics.mean(float(a[0] == b[0]) for a, b in zip(top_a, top_b, strict=True)), 3)}


def measure(repo: Path, sample: int, rounds: int, seqs: Sequence[int], threads: int, queries_path: Path | None,
            query_count: int) -> dict[str, Any]:
    import numpy as np

    from indexer.search.dense import Embedder, dense_available

    ok, why = dense_available()
    if not ok:
        raise SystemExit(f"dense retrieval unavailable: {why}")
    texts, others = unit_texts(repo, sample)
    queries, query_source = query_texts(queries_path, others, query_count)
    out: dict[str, Any] = {
        "repo": str(repo), "units": len(texts), "mean_chars": round(statistics.mean(len(t) for t in texts)),
        "threads": threads, "cpus": os.cpu_count(), "rounds": rounds, "seqs": list(seqs),
        "queries": len(queries), "query_source": query_source, "load_average_start": round(os.getloadavg()[0], 2),
    }
    out["export"] = export_times(["onnx-int8", "onnx"])  # before anything else imports torch
    out["cold_process"] = {rt: cold_process(rt, queries[0]) for rt in RUNTIMES}

    embedders = {(rt, seq): Embedder(runtime=rt, max_seq_length=seq) for seq in seqs for rt in RUNTIMES}
    seconds, vectors = throughput(embedders, texts, rounds, threads)
    out["throughput"] = [
        {"runtime": rt, "seq": seq, "best_texts_per_s": round(len(texts) / min(seconds[rt, seq]), 1),
         "median_texts_per_s": round(len(texts) / statistics.median(seconds[rt, seq]), 1)}
        for seq in seqs for rt in RUNTIMES]
    seq = seqs[0]
    reference = vectors["torch", seq]
    agreement: dict[str, Any] = {}
    for rt in ("onnx", "onnx-int8"):
        cosine = (vectors[rt, seq] * reference).sum(axis=1)
        agreement[rt] = {"cosine_mean": round(float(cosine.mean()), 5), "cosine_min": round(float(cosine.min()), 5),
                         "cosine_p01": round(float(np.percentile(cosine, 1)), 5)}
    times, query_vectors = latency({rt: embedders[rt, seq] for rt in RUNTIMES}, queries)
    out["query_latency_ms"] = {rt: {"p50": round(percentile(t, 0.5), 1), "p95": round(percentile(t, 0.95), 1)}
                               for rt, t in times.items()}
    for rt in ("onnx", "onnx-int8"):
        cosine = (query_vectors[rt] * query_vectors["torch"]).sum(axis=1)
        agreement[rt]["query_cosine_min"] = round(float(cosine.min()), 5)
        agreement[rt].update(neighbours(vectors[rt, seq], query_vectors[rt], reference, query_vectors["torch"]))
    out["agreement_with_torch"] = agreement
    out["load_average_end"] = round(os.getloadavg()[0], 2)
    return out


def render(result: dict[str, Any]) -> str:
    lines = [f"{result['units']} code units of {result['repo']} (mean {result['mean_chars']} chars), "
             f"{result['threads']} threads, {result['rounds']} interleaved rounds; load average "
             f"{result['load_average_start']} -> {result['load_average_end']}", "",
             "throughput (texts/s)       best  median"]
    for row in result["throughput"]:
        lines.append(f"  {row['runtime']:<10} seq {row['seq']:<4}  {row['best_texts_per_s']:>7} "
                     f"{row['median_texts_per_s']:>7}")
    lines += ["", f"query latency, 1 thread, {result['queries']} queries of <= {QUERY_CHARS} chars "
              f"({result['query_source']}), seq {result['seqs'][0]}", "                 p50 ms  p95 ms"]
    for rt, row in result["query_latency_ms"].items():
        lines.append(f"  {rt:<12} {row['p50']:>8} {row['p95']:>7}")
    lines += ["", "agreement with torch     cos mean   cos min   cos p1  query cos min  top10 overlap  "
              "min overlap  same top1"]
    for rt, row in result["agreement_with_torch"].items():
        lines.append(f"  {rt:<20} {row['cosine_mean']:>9} {row['cosine_min']:>9} {row['cosine_p01']:>8} "
                     f"{row['query_cosine_min']:>14} {row['overlap_at_10']:>14} {row['min_overlap_at_10']:>12} "
                     f"{row['same_top1']:>10}")
    lines += ["", "one-time export (wall s, first includes importing torch)"]
    for rt, row in result["export"].items():
        lines.append(f"  {rt:<12} {row['export_s']:>6}  -> {row['runtime']} {row['note']}".rstrip())
    lines += ["", "cold process        import s  load s  first query s  total s  torch imported"]
    for rt, row in result["cold_process"].items():
        lines.append(f"  {rt:<16} {row['import_s']:>9} {row['load_s']:>7} {row['first_query_s']:>14} "
                     f"{row['total_s']:>8}  {row['torch_imported']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path, nargs="?", default=DEFAULT_REPO)
    parser.add_argument("--sample", type=int, default=256, help="code units to embed")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seq", default="256,128", help="max_seq_length values; agreement uses the first")
    parser.add_argument("--threads", type=int, default=None, help="default: every CPU this process may use")
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--query-count", type=int, default=50)
    parser.add_argument("--cache", type=Path, help="cache directory (default: a new temporary one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    threads = args.threads or len(os.sched_getaffinity(0))
    seqs = [int(s) for s in args.seq.split(",")]
    with tempfile.TemporaryDirectory(prefix="repolens-embed-bench-") as tmp:
        os.environ["REPOLENS_CACHE_DIR"] = str(args.cache or tmp)
        result = measure(args.repo.resolve(), args.sample, args.rounds, seqs, threads, args.queries,
                         args.query_count)
    print(json.dumps(result) if args.json else render(result))


if __name__ == "__main__":
    main()
