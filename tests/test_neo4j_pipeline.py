"""The whole pipeline on the Neo4j backend, against the real Bolt server of the test session:
indexing, incremental re-indexing, CLI queries and moving a graph between backends."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_fixture
from neo4j_server import BoltTarget

from indexer.dump import dump_text
from indexer.pipeline import IndexOptions, index_repository
from indexer.store.config import GRAPH_FILE, StoreConfig, open_graph_store
from indexer.store.kuzu_store import KuzuStore
from server.cli import main


def config_for(server: BoltTarget, repo_id: str) -> StoreConfig:
    return StoreConfig(backend="neo4j", repo_id=repo_id, neo4j_uri=server.uri, neo4j_user=server.user,
                       neo4j_password=server.password, neo4j_database=server.database)


def neo4j_dump(config: StoreConfig, tmp_path: Path) -> str:
    store = open_graph_store(config, tmp_path, read_only=True)
    try:
        return dump_text(store.dump())
    finally:
        store.close()


def kuzu_dump(db: Path) -> str:
    with KuzuStore(db / GRAPH_FILE, read_only=True) as store:
        return dump_text(store.dump())


def test_index_and_reindex_on_neo4j_equals_the_embedded_graph(bolt_server: BoltTarget, tmp_path: Path) -> None:
    repo = copy_fixture("pyrepo", tmp_path / "pyrepo")
    config = config_for(bolt_server, "pipeline-a")
    first = index_repository(repo, IndexOptions(db_dir=tmp_path / "state", store=config))
    assert first.mode == "full" and first.backend.startswith("neo4j")
    index_repository(repo, IndexOptions(db_dir=tmp_path / "kuzu"))
    assert neo4j_dump(config, tmp_path) == kuzu_dump(tmp_path / "kuzu")

    # edit, add and delete files: the incremental Neo4j graph equals a fresh embedded index
    core = repo / "pkg" / "core.py"
    core.write_text(core.read_text().replace("def run(self", "def run_all(self"))
    (repo / "pkg" / "extra.py").write_text("from .core import Engine\n\n\ndef spin():\n    Engine().stop()\n")
    (repo / "pkg" / "paths.py").unlink()
    again = index_repository(repo, IndexOptions(db_dir=tmp_path / "state", store=config))
    assert again.mode == "incremental" and again.parsed == 2
    index_repository(repo, IndexOptions(db_dir=tmp_path / "fresh"))
    assert neo4j_dump(config, tmp_path) == kuzu_dump(tmp_path / "fresh")


def test_two_repositories_share_one_database(bolt_server: BoltTarget, tmp_path: Path) -> None:
    one = copy_fixture("pyrepo", tmp_path / "one")
    two = copy_fixture("tsrepo", tmp_path / "two")
    index_repository(one, IndexOptions(db_dir=tmp_path / "s1", store=config_for(bolt_server, "team/one")))
    index_repository(two, IndexOptions(db_dir=tmp_path / "s2", store=config_for(bolt_server, "team/two")))
    before = neo4j_dump(config_for(bolt_server, "team/one"), tmp_path)
    (two / "src" / "late.ts").write_text("export function late(): number { return 1; }\n")
    index_repository(two, IndexOptions(db_dir=tmp_path / "s2", store=config_for(bolt_server, "team/two")))
    assert neo4j_dump(config_for(bolt_server, "team/one"), tmp_path) == before
    assert "src/late.ts::late" in neo4j_dump(config_for(bolt_server, "team/two"), tmp_path)


@pytest.fixture()
def neo4j_env(bolt_server: BoltTarget) -> dict[str, str]:
    return {"REPOLENS_NEO4J_URI": bolt_server.uri, "REPOLENS_NEO4J_USER": bolt_server.user,
            "REPOLENS_NEO4J_PASSWORD": bolt_server.password, "REPOLENS_NEO4J_DATABASE": bolt_server.database or ""}


def test_cli_on_neo4j_and_moving_a_graph_from_laptop_to_server(neo4j_env: dict[str, str], tmp_path: Path) -> None:
    repo = copy_fixture("pyrepo", tmp_path / "pyrepo")
    runner = CliRunner(env=neo4j_env)
    # laptop: embedded index, exported
    assert runner.invoke(main, ["index", str(repo), "--json"]).exit_code == 0
    export = tmp_path / "graph.jsonl"
    assert runner.invoke(main, ["export", "--repo", str(repo), "-o", str(export)]).exit_code == 0
    # server: one command
    done = runner.invoke(main, ["import", str(export), "--repo", str(repo), "--backend", "neo4j",
                                "--repo-id", "moved", "--json"])
    assert done.exit_code == 0, done.output
    again = tmp_path / "again.jsonl"
    assert runner.invoke(main, ["export", "--repo", str(repo), "--backend", "neo4j", "--repo-id", "moved",
                                "-o", str(again)]).exit_code == 0
    assert again.read_text() == export.read_text()
    # the same named query gives the same rows on both backends
    args = ["query", "callers", "-p", "id=pkg/core.py::Engine.run", "-p", "depth=2", "--repo", str(repo), "--json"]
    on_kuzu = json.loads(runner.invoke(main, args).output)
    on_neo4j = json.loads(runner.invoke(main, [*args, "--backend", "neo4j", "--repo-id", "moved"]).output)
    assert on_kuzu["rows"] == on_neo4j["rows"] and on_kuzu["rows"]
    # and writes are refused there too
    refused = runner.invoke(main, ["cypher", "--repo", str(repo), "--backend", "neo4j", "--repo-id", "moved",
                                   "--json", "MATCH (n) DETACH DELETE n"])
    assert refused.exit_code == 1 and json.loads(refused.output)["type"] == "ReadOnlyViolation"
    # user Cypher runs in the query worker on this backend too, with the same answer
    read = ["cypher", "--repo", str(repo), "--json", "MATCH (c:Class) RETURN c.id AS id ORDER BY id"]
    kuzu_rows = json.loads(runner.invoke(main, read).output)["rows"]
    neo4j_rows = json.loads(runner.invoke(main, [*read, "--backend", "neo4j", "--repo-id", "moved"]).output)["rows"]
    assert kuzu_rows == neo4j_rows and kuzu_rows
    shutil.rmtree(tmp_path / "pyrepo" / ".repolens")


def test_every_language_on_neo4j_equals_the_embedded_graph(bolt_server: BoltTarget, tmp_path: Path) -> None:
    """The annotated projects of every language, as one repository, stored in Neo4j and in the
    embedded store: the same graph."""
    from bench.resolution import FIXTURES

    repo = tmp_path / "poly"
    for project in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        shutil.copytree(project, repo / project.name)
    config = config_for(bolt_server, "pipeline-languages")
    index_repository(repo, IndexOptions(db_dir=tmp_path / "state", store=config))
    index_repository(repo, IndexOptions(db_dir=tmp_path / "kuzu"))
    embedded = kuzu_dump(tmp_path / "kuzu")
    assert "lang=go" in embedded and "lang=rust" in embedded and "CALLS" in embedded
    assert neo4j_dump(config, tmp_path) == embedded
