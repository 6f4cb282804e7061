"""Backend selection, repository ids, export/import, and the docker-compose set-up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from indexer.model import SCHEMA_VERSION
from indexer.store.config import StoreConfig, load_config, normalise_remote
from indexer.transfer import read_graph
from server.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_to_the_embedded_store(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={})
    assert config.backend == "kuzu"
    assert config.repo_id == tmp_path.name
    assert config.state_name() == "state.sqlite"


def test_arguments_beat_environment_beat_file(tmp_path: Path) -> None:
    (tmp_path / ".repolens.toml").write_text(
        'backend = "neo4j"\nrepo_id = "from-file"\n[neo4j]\nuri = "bolt://file:7687"\ndatabase = "code"\n')
    env = {"REPOLENS_REPO_ID": "from-env", "REPOLENS_NEO4J_PASSWORD": "s3cret"}
    config = load_config(tmp_path, environ=env)
    assert (config.backend, config.repo_id, config.neo4j_uri, config.neo4j_database) == (
        "neo4j", "from-env", "bolt://file:7687", "code")
    assert load_config(tmp_path, backend="kuzu", repo_id="arg", environ=env).repo_id == "arg"
    assert "s3cret" not in repr(config) and "s3cret" not in config.describe()
    # each Neo4j target keeps its own index state, apart from the embedded one
    other = load_config(tmp_path, repo_id="other", environ=env)
    assert config.state_name() != other.state_name() != StoreConfig().state_name()


def test_password_in_a_file_and_unknown_backend_are_refused(tmp_path: Path) -> None:
    (tmp_path / ".repolens.toml").write_text('[neo4j]\npassword = "oops"\n')
    with pytest.raises(ValueError, match="REPOLENS_NEO4J_PASSWORD"):
        load_config(tmp_path, environ={})
    (tmp_path / ".repolens.toml").write_text('backend = "oracle"\n')
    with pytest.raises(ValueError, match="kuzu, neo4j"):
        load_config(tmp_path, environ={})


@pytest.mark.parametrize(("url", "expected"), [
    ("git@github.com:psf/requests.git", "github.com/psf/requests"),
    ("https://github.com/psf/requests", "github.com/psf/requests"),
    ("ssh://git@gitlab.example.com:2222/team/app.git", "gitlab.example.com:2222/team/app"),
])
def test_repository_id_from_git_remote(url: str, expected: str, tmp_path: Path) -> None:
    assert normalise_remote(url) == expected
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(f'[core]\n\tbare = false\n[remote "origin"]\n\turl = {url}\n')
    assert load_config(tmp_path, environ={}).repo_id == expected


def test_neo4j_without_password_says_what_to_set(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    result = CliRunner(env={"REPOLENS_NEO4J_PASSWORD": ""}).invoke(
        main, ["index", str(tmp_path), "--backend", "neo4j", "--json"])
    assert result.exit_code == 1
    assert "REPOLENS_NEO4J_PASSWORD" in json.loads(result.output)["error"]


def test_export_then_import_into_a_fresh_store_gives_the_same_graph(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("from .a import f\n")
    (repo / "pkg" / "a.py").write_text("import os\n\n\ndef f():\n    return os.getcwd()\n")
    runner = CliRunner()
    assert runner.invoke(main, ["index", str(repo), "--json"]).exit_code == 0
    out = tmp_path / "graph.jsonl"
    exported = runner.invoke(main, ["export", "--repo", str(repo), "-o", str(out), "--json"])
    assert exported.exit_code == 0, exported.output
    nodes, edges = read_graph(out.read_text().splitlines())
    assert json.loads(exported.output)["nodes"] == len(nodes) > 0
    assert json.loads(exported.output)["edges"] == len(edges) > 0

    other = tmp_path / "other-db"
    imported = runner.invoke(main, ["import", str(out), "--repo", str(repo), "--db", str(other), "--json"])
    assert imported.exit_code == 0, imported.output
    again = tmp_path / "again.jsonl"
    assert runner.invoke(main, ["export", "--repo", str(repo), "--db", str(other), "-o", str(again)]).exit_code == 0
    assert again.read_text() == out.read_text()


def test_import_refuses_damaged_exports(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a repolens graph export"):
        read_graph(['{"hello": 1}'])
    header = json.dumps({"format": "repolens-graph", "schema_version": SCHEMA_VERSION, "nodes": 2, "edges": 0})
    with pytest.raises(ValueError, match="truncated"):
        read_graph([header, json.dumps({"node": {"id": "a.py", "kind": "file", "name": "a.py", "path": "a.py"}})])
    with pytest.raises(ValueError, match="line 2"):
        read_graph([header, "{not json"])


def test_compose_runs_neo4j_with_auth_from_env_volume_and_healthcheck() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    neo4j = compose["services"]["neo4j"]
    assert neo4j["image"].startswith("neo4j:5")
    assert "${NEO4J_PASSWORD" in neo4j["environment"]["NEO4J_AUTH"]
    assert "neo4j-data:/data" in neo4j["volumes"] and "neo4j-data" in compose["volumes"]
    assert "cypher-shell" in " ".join(neo4j["healthcheck"]["test"])
    assert all(port.startswith("127.0.0.1:") for port in neo4j["ports"])
    app = compose["services"]["repolens"]
    assert app["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert app["environment"]["REPOLENS_BACKEND"] == "neo4j"
    assert (ROOT / ".env.example").exists() and (ROOT / "Dockerfile").exists()
