"""Dense-index benchmark: embedding throughput, cold and warm build time, and query latency.

    python bench/dense_bench.py PATH [--db DIR] [--sample N] [--max-seq-length 256]
                                [--skip-tests] [--json]

Indexes PATH (graph only, incrementally, into ``--db``), builds its code units (less tests with
``--skip-tests``, as ``include_tests=False`` builds the index), then embeds ``--sample`` of
them (a seeded random sample, so the length mix is the repository's; all of them when 0) into a
fresh cache in a temporary directory: that is the cold build. The warm build is the same build
again (all cache hits). The full cold time is extrapolated from the sample's throughput when it
is a sample. Query latency is measured on the saved index: loading it, the first query (which
loads the model) and the median of later ones; faiss search alone is also timed over as many
random unit vectors as the repository has units.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERIES = (
    "simplify returns a wrong result for trigonometric expressions with rational arguments",
    "solve fails on a system of polynomial equations",
    "latex printer puts parentheses around negative exponents",
    "matrix determinant is slow for large symbolic matrices",
    "integrate raises an exception for a piecewise function",
    "series expansion around infinity gives the wrong order term",
)


def measure(repo: Path, db: Path, sample: int, max_seq_length: int, skip_tests: bool) -> dict[str, object]:
    import numpy as np

    from indexer.pipeline import GRAPH_FILE, IndexOptions, index_repository
    from indexer.search.dense import (
        QUERY_THREADS,
        DenseIndex,
        Embedder,
        EmbeddingCache,
        compute_threads,
        dense_available,
        is_test_path,
    )
    from indexer.search.units import build_units
    from indexer.store.kuzu_store import KuzuStore

    ok, why = dense_available()
    if not ok:
        raise SystemExit(f"dense retrieval unavailable: {why}")
    index_repository(repo, IndexOptions(db_dir=db))
    with KuzuStore(db / GRAPH_FILE, read_only=True) as store:
        graph = store.dump()
    every = build_units(repo, graph)
    units = [u for u in every if not (skip_tests and is_test_path(u.path))]
    chosen = random.Random(0).sample(units, sample) if 0 < sample < len(units) else units
    embedder = Embedder(max_seq_length=max_seq_length)
    started = time.perf_counter()
    dimension = embedder.dimension
    load_model = time.perf_counter() - started

    out: dict[str, object] = {"repo": str(repo), "all_units": len(every), "units": len(units),
                              "measured_units": len(chosen),
                              "max_seq_length": max_seq_length, "threads": os.cpu_count(),
                              "model_load_s": round(load_model, 2), "load_average": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="repolens-dense-") as tmp:
        with EmbeddingCache(Path(tmp) / "cache.sqlite") as cache:
            cold_index, cold = DenseIndex.build(chosen, embedder=embedder, cache=cache)
            _, warm = DenseIndex.build(chosen, embedder=embedder, cache=cache)
        rate = cold.embedded / cold.seconds
        out.update(cold_s=cold.seconds, embedded=cold.embedded, units_per_s=round(rate, 1),
                   warm_s=warm.seconds, warm_cached=warm.cached)
        if len(chosen) < len(units):
            out["full_cold_s_extrapolated"] = round(len(units) / rate)
            out["full_warm_s_extrapolated"] = round(warm.seconds * len(units) / len(chosen), 2)
        started = time.perf_counter()
        cold_index.save(Path(tmp) / "index")
        out["save_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        loaded = DenseIndex.load(Path(tmp) / "index")
        out["load_index_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        loaded.search(QUERIES[0], k=10)
        out["first_query_s"] = round(time.perf_counter() - started, 3)
        times = []
        for text in QUERIES[1:]:
            started = time.perf_counter()
            loaded.search(text, k=10)
            times.append(time.perf_counter() - started)
        out["query_ms_median"] = round(statistics.median(times) * 1000, 1)

    import faiss

    vectors = np.random.default_rng(0).standard_normal((len(units), dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(dimension)
    flat.add(vectors)
    query = vectors[:1].copy()
    times = []
    with compute_threads(QUERY_THREADS):  # as DenseIndex.search runs
        for _ in range(20):
            started = time.perf_counter()
            flat.search(query, 10)
            times.append(time.perf_counter() - started)
    out["faiss_search_ms_full_size"] = round(statistics.median(times) * 1000, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path)
    parser.add_argument("--db", type=Path, help="index directory (default: a temporary one)")
    parser.add_argument("--sample", type=int, default=2000, help="units to embed; 0 for all")
    parser.add_argument("--max-seq-length", type=int, default=256)
    parser.add_argument("--skip-tests", action="store_true", help="leave test code out, as include_tests=False")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="repolens-dense-db-") as tmp:
        result = measure(args.repo.resolve(), args.db or Path(tmp), args.sample, args.max_seq_length,
                         args.skip_tests)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
