"""Freshness benchmark: what the ``index`` block of every answer costs (pending_files, stale).

    python bench/freshness.py PATH [PATH ...] [--repeat N] [--json]

Each PATH must be indexed (``repolens index PATH --no-embed``). Per repository it prints, in
milliseconds (median of ``--repeat`` runs):

- ``cold``: the first check of a new ``Repo``, as a CLI call or a server's first answer makes
  it: read the record from the state, walk and stat the tree, compare;
- ``rescan``: a check once the 1 s cache has expired, on the same ``Repo`` (what a busy
  server pays once a second);
- ``warm``: a check within the cache's lifetime (what the other answers of a burst pay);
- ``hash_all``: reading and hashing every file, what telling changes by content alone costs,
  for comparison.

The checks run without the time budget, so the figures are the whole cost; ``budget`` says
whether the cold check fits in the default budget (else answers report pending_files None).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def measure(root: Path, repeat: int) -> dict[str, object]:
    from indexer.freshness import load_recorded
    from indexer.walk import content_hash, read_source
    from server import workspace
    from server.workspace import Repo

    def fresh_repo() -> Repo:
        repo = Repo.open(root, embed=False)
        repo.freshness_budget = float("inf")
        return repo

    probe = fresh_repo()
    recorded = load_recorded(probe.db_dir / probe.config.state_name())
    if recorded is None:
        raise SystemExit(f"{root} is not indexed: run `repolens index {root} --no-embed` first")

    cold, rescan, warm = [], [], []
    pending = None
    for _ in range(repeat):
        repo = fresh_repo()
        start = time.perf_counter()
        pending = repo.freshness().pending_files
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        repo.freshness()
        warm.append(time.perf_counter() - start)
        time.sleep(workspace.FRESHNESS_MAX_AGE + 0.05)
        start = time.perf_counter()
        repo.freshness()
        rescan.append(time.perf_counter() - start)
        repo.close()

    scanned = probe.snapshot().files
    start = time.perf_counter()
    for f in scanned.values():
        content_hash(read_source(f, recorded.walk.max_file_bytes))
    hash_all = time.perf_counter() - start
    cold_ms = _ms(statistics.median(cold))
    return {
        "repo": str(root), "files": len(scanned), "pending_files": pending,
        "cold_ms": cold_ms, "rescan_ms": _ms(statistics.median(rescan)), "warm_ms": _ms(statistics.median(warm)),
        "hash_all_ms": _ms(hash_all), "budget_ms": _ms(workspace.FRESHNESS_BUDGET),
        "budget": "fits" if cold_ms <= workspace.FRESHNESS_BUDGET * 1000 else "exceeded: answers say unknown",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=5, help="Runs per figure; the median is shown.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object per repository.")
    args = parser.parse_args()
    for path in args.paths:
        result = measure(path.resolve(), args.repeat)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{result['repo']}: {result['files']} files, pending {result['pending_files']}; "
                  f"cold {result['cold_ms']} ms, rescan {result['rescan_ms']} ms, warm {result['warm_ms']} ms "
                  f"per check; hash all {result['hash_all_ms']} ms; budget {result['budget_ms']} ms: "
                  f"{result['budget']}")


if __name__ == "__main__":
    main()
