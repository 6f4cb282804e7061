"""How long a one-off ``repolens`` command takes, process start included, side by side for
several source trees (this checkout and, say, a worktree of an older commit) in one run, as
the machine is noisy: the runs alternate between trees and the median is reported.

    python bench/cli_latency.py --repo ../repos/flask --tree before=/work/before --tree after=. --runs 5

Each tree is put first on PYTHONPATH and run with this interpreter, so they share the
installed dependencies and the index of ``--repo`` (build it first with ``repolens index``).
"cold" is the first run of a command, "warm" the median of the others (the OS file cache
then holds the libraries and the index).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "version": ["--version"],
    "graph query (callers)": ["callers", "{symbol}"],
    "localize --no-embed": ["localize", "{issue}", "--no-embed"],
    "localize": ["localize", "{issue}"],
}


def run_once(tree: Path, args: list[str], repo: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=repo, env=env, capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {tree}: {done.stderr.strip()[-500:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, required=True, help="An indexed repository to ask about.")
    parser.add_argument("--tree", action="append", required=True, metavar="NAME=PATH",
                        help="A source tree of repolens to time (repeatable).")
    parser.add_argument("--symbol", default="Flask.dispatch_request")
    parser.add_argument("--issue", default="Blueprint url_prefix is ignored when registering a nested blueprint")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    trees = dict(t.split("=", 1) for t in args.tree)
    results: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    for label, template in COMMANDS.items():
        command = [a.format(symbol=args.symbol, issue=args.issue) for a in template]
        for _ in range(args.runs):
            for name, tree in trees.items():
                results[name].setdefault(label, []).append(run_once(Path(tree), command, args.repo))
    table = {name: {label: {"cold": round(times[0], 2), "warm": round(statistics.median(times[1:] or times), 2)}
                    for label, times in by_label.items()} for name, by_label in results.items()}
    if args.json:
        print(json.dumps(table, indent=2))
        return
    names = list(trees)
    print(f"{'command':<24}" + "".join(f"{n + ' cold':>14}{n + ' warm':>14}" for n in names))
    for label in COMMANDS:
        print(f"{label:<24}" + "".join(f"{table[n][label]['cold']:>13.2f}s{table[n][label]['warm']:>13.2f}s"
                                         for n in names))


if __name__ == "__main__":
    main()
