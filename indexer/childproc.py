"""Worker processes that untrusted input runs in: started, talked to and measured one way.

A worker is a fresh interpreter (``python -c``), not a fork: the server has threads, and a
fork copies their locks mid-use; nor a ``multiprocessing`` spawn, which re-runs the parent's
main script. It talks over two pipes of its own (requests in, answers out, pickled by
``multiprocessing.connection``), so its stdout stays closed: under stdio that is the MCP
protocol's. Used by the supervised extraction workers (:mod:`indexer.workers`) and the query
sandbox (:mod:`indexer.store.sandbox`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any


@dataclass(slots=True)
class Child:
    process: subprocess.Popen[bytes]
    requests: Connection
    """Where the parent sends."""
    answers: Connection
    """Where the parent receives."""

    def alive(self) -> bool:
        return self.process.poll() is None

    def resident_bytes(self) -> int:
        """The worker's resident memory; 0 when unknown (not Linux, or gone)."""
        try:
            with open(f"/proc/{self.process.pid}/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            return 0

    def death(self) -> str:
        """How the worker ended, in words (``signal 11``, ``exit code 1``)."""
        try:
            code = self.process.wait(1)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        return f"signal {-code}" if code < 0 else f"exit code {code}"

    def stop(self, kill: bool = False) -> None:
        """Ask the worker to finish (a ``None`` request), or kill it; then release the pipes."""
        if not kill:
            with contextlib.suppress(OSError):
                self.requests.send(None)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.requests.close()
        self.answers.close()


def start(entry: str) -> Child:
    """Start a worker running ``entry`` (``module:function``), which calls :func:`pipes`."""
    module, _, function = entry.partition(":")
    inbox, to_child = os.pipe()
    from_child, outbox = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", f"from {module} import {function}; {function}()", str(inbox), str(outbox)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(inbox, outbox))
    except BaseException:
        for fd in (to_child, from_child):
            os.close(fd)
        raise
    finally:
        os.close(inbox)
        os.close(outbox)
    return Child(process, Connection(to_child, readable=False), Connection(from_child, writable=False))


def pipes() -> tuple[Connection, Connection]:
    """In the worker: (requests in, answers out), from the descriptors :func:`start` passed.
    Ctrl-C is ignored from here on: the supervisor decides when its workers stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inbox, outbox = (int(fd) for fd in sys.argv[1:3])
    return Connection(inbox, writable=False), Connection(outbox, readable=False)


def requests_until_stop(requests: Connection) -> Iterator[Any]:
    """In the worker: each request, until the supervisor sends ``None`` or goes away."""
    while True:
        try:
            request = requests.recv()
        except EOFError:
            return
        if request is None:
            return
        yield request
