"""What held before the hostile-input work keeps holding: an index killed with SIGKILL
mid-run recovers with nothing lost, and a watching server that sees a burst of edits,
hostile files among them, converges to exactly the index a fresh run makes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import copy_fixture, index_and_dump
from test_parse_budget import PATHOLOGICAL

from indexer.dump import dump_text
from server.watch import Watcher
from server.workspace import Repo

SETTLE_SECONDS = 30.0


def repolens(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "repolens"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "server.cli", *args]


def grow(root: Path, files: int) -> None:
    """Enough ordinary files that indexing takes a few seconds, so a kill lands mid-run."""
    for n in range(files):
        (root / "pkg" / f"gen{n}.py").write_text(
            f"from .util import join\n\n\nclass Gen{n}:\n    def run(self):\n        return join(['{n}'])\n"
            * 20, encoding="utf-8")


def test_an_index_killed_mid_run_recovers_to_the_fresh_index(tmp_path: Path) -> None:
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    grow(root, 300)
    fresh = index_and_dump(root, tmp_path / "fresh")[1]
    for trial, delay in enumerate((0.6, 1.2, 2.0)):
        if trial:  # later trials kill an incremental run
            (root / "pkg" / f"gen{trial}.py").write_text(f"def changed_{trial}():\n    return {trial}\n")
        process = subprocess.Popen(repolens("index", str(root), "--no-embed", "--json"), start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)  # the CLI and its extraction workers
        process.wait()
        done = subprocess.run(repolens("index", str(root), "--no-embed", "--json"), capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        fresh = index_and_dump(root, tmp_path / f"fresh{trial}")[1]
        with Repo.open(root, embed=False).store() as store:
            assert dump_text(store.dump()) == fresh, f"trial {trial}: killed after {delay} s"


def test_a_watching_server_converges_to_the_fresh_index_after_a_burst_of_hostile_edits(tmp_path: Path) -> None:
    root = copy_fixture("pyrepo", tmp_path / "pyrepo")
    repo = Repo.open(root, embed=False)
    repo.reindex()
    watcher = Watcher(repo, 0.05)
    watcher.start()
    try:
        for n, (name, text) in enumerate(sorted(PATHOLOGICAL.items())):
            (root / "pkg" / f"edit{n}.py").write_text(f"def edit_{n}():\n    return {n}\n", encoding="utf-8")
            (root / name).write_text(text, encoding="utf-8")
            (root / "pkg" / "blob.bin.py").write_bytes(b"\x00" * 100 + bytes([n]))
            time.sleep(0.02)
        os.mkfifo(root / "pkg" / "pipe.py")
        (root / "pkg" / "edit0.py").unlink()
        deadline = time.monotonic() + SETTLE_SECONDS
        fresh = ""
        while time.monotonic() < deadline:
            time.sleep(0.5)
            fresh = index_and_dump(root, tmp_path / f"fresh{time.monotonic_ns()}")[1]
            with repo.store() as store:
                if dump_text(store.dump()) == fresh:
                    break
        else:
            raise AssertionError("the watched index never converged to the fresh one")
        assert {p["path"] for p in repo.status().partial} >= set(PATHOLOGICAL)
    finally:
        watcher.stop()
        repo.close()
