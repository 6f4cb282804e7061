"""Shared fixtures: copies of the sample repositories, a one-call index-and-dump, and a Bolt
server for the Neo4j store."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from neo4j_server import ArcadeDBProcess, BoltTarget, ServerUnavailable, target_from_environment

from indexer.dump import dump_text
from indexer.pipeline import GRAPH_FILE, IndexOptions, IndexReport, index_repository
from indexer.store.kuzu_store import KuzuStore
from server.workspace import Repo, Workspace

FIXTURES = Path(__file__).parent / "fixtures"

# What the sample repository's .gitignore ignores cannot be checked in (git honours the same
# .gitignore), so the copy gets it here. Were it indexed, this ``join`` would show in the dump.
IGNORED_FILES = {
    "generated/schema.py": 'def join(parts):\n    raise AssertionError("ignored by .gitignore")\n',
}

IndexDump = Callable[..., tuple[IndexReport, str]]


def copy_fixture(name: str, dest: Path) -> Path:
    """A working copy of ``tests/fixtures/<name>`` at ``dest``, ignored files included, so
    indexing never writes into the source tree."""
    shutil.copytree(FIXTURES / name, dest)
    if name == "pyrepo":
        for rel, text in IGNORED_FILES.items():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_text(text, encoding="utf-8")
    return dest


def indexed_workspace(*roots: Path) -> Workspace:
    """``roots`` indexed as ``repolens index --no-embed`` indexes them (graph and lexical search)
    and served together; the caller closes the workspace."""
    repos = [Repo.open(root, embed=False) for root in roots]
    for repo in repos:
        repo.reindex()
    return Workspace.of(repos)


def index_without_embeddings(root: Path) -> Path:
    """``root`` indexed as ``repolens index --no-embed`` indexes it; returns ``root``."""
    indexed_workspace(root).close()
    return root


@pytest.fixture
def pyrepo(tmp_path: Path) -> Path:
    """A fresh copy of the Python sample repository."""
    return copy_fixture("pyrepo", tmp_path / "pyrepo")


def index_and_dump(root: Path, db_dir: Path, **options: object) -> tuple[IndexReport, str]:
    """Index ``root`` into ``db_dir`` and return the report and the stored graph's text dump."""
    report = index_repository(root, IndexOptions(db_dir=db_dir, **options))  # type: ignore[arg-type]
    store = KuzuStore(db_dir / GRAPH_FILE, read_only=True)
    try:
        return report, dump_text(store.dump())
    finally:
        store.close()


@pytest.fixture
def index_dump() -> IndexDump:
    """``index_dump(root, db_dir, **IndexOptions fields) -> (report, dump text)``."""
    return index_and_dump


@pytest.fixture(scope="session")
def pyrepo_indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[IndexReport, str]:
    """The Python sample repository indexed once per session: ``(report, dump text)``."""
    base = tmp_path_factory.mktemp("pyrepo_indexed")
    return index_and_dump(copy_fixture("pyrepo", base / "pyrepo"), base / "db")


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltTarget]:
    """A Bolt server for the Neo4j store's tests, shared by the session: the Neo4j named by
    ``REPOLENS_TEST_NEO4J_URI`` (``_USER``, ``_PASSWORD``, ``_DATABASE``) if set, otherwise
    ArcadeDB started from ``arcadedb-embedded`` and stopped at the end. Tests using it are
    skipped, with the reason, when neither can be had."""
    try:
        import neo4j  # noqa: F401  (only to know the driver is there)
    except ImportError:
        pytest.skip("the neo4j driver is not installed (pip install 'repolens[neo4j]')")
    target = target_from_environment()
    if target is not None:
        yield target
        return
    try:
        server = ArcadeDBProcess(tmp_path_factory.mktemp("arcadedb"))
    except ServerUnavailable as exc:
        pytest.skip(f"no Bolt server for the Neo4j tests: {exc}")
    try:
        yield server.target
    finally:
        server.stop()


def check_case(text: str) -> None:
    """Resolve an annotated case (``bench.resolution.split_case``) and fail listing every
    annotation it breaks."""
    from bench.resolution import case_failures

    broken = case_failures(text)
    if broken:
        pytest.fail("\n".join(broken), pytrace=False)
