"""Progress while indexing: embedding reports after every model batch (not once per hundreds
of texts), and ``repolens index`` on a terminal shows each stage's count, rate and time left.

The real packaged model embeds; the CLI runs in a child process whose stderr is a real
pseudo-terminal, since the bars are only drawn on a terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from indexer.model import NodeKind
from indexer.search.dense import DenseIndex, Embedder, EmbeddingCache, dense_available
from indexer.search.units import CodeUnit

AVAILABLE, WHY = dense_available()
needs_model = pytest.mark.skipif(not AVAILABLE, reason=f"dense retrieval unavailable: {WHY}")
ROOT = Path(__file__).resolve().parent.parent

TEXTS = [f"function handler_{i}(request, retries={i}):\n    " + "validate and forward the payload; " * (i % 9 + 1)
         for i in range(100)]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@needs_model
def test_embedding_reports_after_every_batch(embedder: Embedder) -> None:
    reported: list[tuple[int, int]] = []
    vectors = embedder.embed(TEXTS, lambda done, total: reported.append((done, total)))
    assert vectors.shape == (100, 384)
    assert embedder.batch_size == 32
    assert reported == [(32, 100), (64, 100), (96, 100), (100, 100)]


@needs_model
def test_building_an_index_reports_from_zero_in_batches(embedder: Embedder, tmp_path: Path) -> None:
    units = [CodeUnit(f"m.py::handler_{i}", NodeKind.FUNCTION, "m.py", f"handler_{i}", 3 * i + 1, 3 * i + 2, text)
             for i, text in enumerate(TEXTS)]
    reported: list[int] = []
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
        _, stats = DenseIndex.build(units, embedder=embedder, cache=cache,
                                    progress=lambda done, total: reported.append(done))
    assert stats.embedded == 100
    assert reported == [0, 32, 64, 96, 100]


def _run_on_a_terminal(args: list[str], env: dict[str, str], timeout: float = 240.0) -> str:
    """What the command writes to its stderr, a 200-column pseudo-terminal, ANSI codes removed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                               env=env, cwd=ROOT)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 1 << 16)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
        assert process.wait(timeout=max(1.0, deadline - time.monotonic())) == 0, b"".join(chunks)[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
        assert process.stdout is not None
        process.stdout.close()
        os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]", "", text)


BAR = re.compile(r"(?P<stage>\w+) \S* +(?P<done>\d+)/(?P<total>\d+) +(?P<rate>[\d,.]+|\?)/s +"
                 r"(?P<elapsed>\d+:\d\d:\d\d) +ETA +(?P<left>\d+:\d\d:\d\d|-:--:--)")


@needs_model
def test_index_on_a_terminal_shows_rate_and_time_left(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    for n in range(4):  # 100 functions: the embed stage takes a few model batches
        (repo / "pkg" / f"mod{n}.py").write_text("".join(
            f"def handler_{n}_{i}(request, retries={i}):\n    return forward(request, {i} * retries)\n\n\n"
            for i in range(25)), encoding="utf-8")
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8",
           "REPOLENS_CACHE_DIR": str(tmp_path / "cache")}  # an empty cache: every text is embedded
    env.pop("NO_COLOR", None)
    shown = _run_on_a_terminal([sys.executable, "-m", "server.cli", "index", str(repo)], env)

    bars = [m.groupdict() for m in BAR.finditer(shown)]
    assert {"parse", "embed"} <= {b["stage"] for b in bars}, shown[-2000:]
    embedding = [b for b in bars if b["stage"] == "embed" and b["total"] != "0"]
    # while texts are still being embedded, the bar shows a measured rate and a time left
    midway = [b for b in embedding if 0 < int(b["done"]) < int(b["total"])
              and b["rate"] != "?" and b["left"] != "-:--:--"]
    assert midway, shown[-2000:]
    assert all(float(b["rate"].replace(",", "")) > 0 for b in midway)
    assert {int(b["done"]) for b in midway} <= {32, 64, 96}
