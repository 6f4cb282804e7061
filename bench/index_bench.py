"""Index benchmark: wall time, peak memory and graph size of a fresh index, then the time of a
no-change re-index and of a re-index after one file changed.

    python bench/index_bench.py PATH [PATH ...] [--json] [--workers N]

Each repository is measured in a child process of its own so peak memory is its own. The index
goes to a temporary directory; the changed file is restored afterwards (and re-indexed).
Peak memory is the largest resident set of the indexing process and of any parser worker.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def measure(repo: Path, workers: int | None) -> dict[str, object]:
    from indexer.pipeline import IndexOptions, index_repository

    with tempfile.TemporaryDirectory(prefix="repolens-bench-") as tmp:
        options = IndexOptions(db_dir=Path(tmp) / "index", workers=workers)
        full = index_repository(repo, options)
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        again = index_repository(repo, options)
        target = _pick_file(repo)
        original = target.read_bytes()
        try:
            target.write_bytes(original + b"\n# repolens bench edit\n")
            time.sleep(0.01)
            one = index_repository(repo, options)
        finally:
            target.write_bytes(original)
        restore = index_repository(repo, options)
    return {
        "repo": str(repo), "files": full.files, "seconds": full.seconds,
        "peak_mb": round(max(peak_self, peak_children)), "peak_mb_main": round(peak_self),
        "peak_mb_worker": round(peak_children),
        "nodes": full.nodes, "edges": full.edges,
        "skipped": len(full.skipped), "partial": len(full.partial),
        "nochange_seconds": again.seconds, "nochange_mode": again.mode,
        "onefile": str(target.relative_to(repo)), "onefile_seconds": one.seconds,
        "onefile_resolved": one.resolved, "restore_seconds": restore.seconds,
    }


def _pick_file(repo: Path) -> Path:
    """A mid-sized, widely imported Python file, chosen the same way for every repository."""
    candidates = sorted(p for p in repo.rglob("*.py")
                        if ".repolens" not in p.parts and "test" not in p.name and 20_000 < p.stat().st_size < 80_000)
    if not candidates:
        candidates = sorted(repo.rglob("*.py"))
    return candidates[len(candidates) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.repos[0].resolve(), args.workers)))
        return
    results = []
    for repo in args.repos:
        cmd = [sys.executable, __file__, "--child", str(repo)]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'repository':<12} {'files':>6} {'index s':>8} {'peak MB':>8} {'no-change s':>11} "
          f"{'1-file s':>9}  nodes / edges")
    for r in results:
        nodes = sum(r["nodes"].values())  # type: ignore[union-attr]
        edges = sum(r["edges"].values())  # type: ignore[union-attr]
        print(f"{Path(str(r['repo'])).name:<12} {r['files']:>6} {r['seconds']:>8.2f} {r['peak_mb']:>8} "
              f"{r['nochange_seconds']:>11.2f} {r['onefile_seconds']:>9.2f}  {nodes} / {edges}")
        print(f"{'':<12} nodes {r['nodes']}")
        print(f"{'':<12} edges {r['edges']}")
        print(f"{'':<12} one-file change: {r['onefile']} ({r['onefile_resolved']} file(s) re-resolved)")


if __name__ == "__main__":
    main()
