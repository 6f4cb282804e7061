"""Every node label a freshly indexed database holds is documented in the schema an agent reads
(``repolens://schema``), bookkeeping included, and the counts repolens shows are of code only.

On Kùzu the index's bookkeeping is a ``Meta`` node table that user Cypher sees (``MATCH (n)``);
on Neo4j it is ``RepolensMeta``, outside the repository scope every query gets, and code nodes
carry the shared label ``RepolensNode`` besides their own.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import copy_fixture
from neo4j_server import BoltTarget

from indexer.model import Label
from indexer.pipeline import GRAPH_FILE, IndexOptions, index_repository
from indexer.store.config import StoreConfig, open_graph_store
from indexer.store.kuzu_store import KuzuStore
from queries.registry import run_named
from server.mcp_app import schema_text

CODE_ONLY = "MATCH (n) WHERE n.kind IS NOT NULL RETURN count(n)"
"""The exclusion the schema documents for both backends."""


def documented_labels() -> set[str]:
    """The labels the schema lists, one ``- Label`` bullet each."""
    return set(re.findall(r"^- ([A-Z][A-Za-z]*)\b", schema_text(), flags=re.MULTILINE))


def test_every_label_of_a_kuzu_index_is_documented_and_counts_are_of_code(tmp_path: Path) -> None:
    repo = copy_fixture("pyrepo", tmp_path / "pyrepo")
    report = index_repository(repo, IndexOptions(db_dir=tmp_path / "db"))
    with KuzuStore(tmp_path / "db" / GRAPH_FILE, read_only=True) as store:
        per_label = dict(store.query("MATCH (n) RETURN label(n), count(*)").rows)
        assert set(per_label) == {label.value for label in Label} | {"Meta"}
        assert set(per_label) <= documented_labels()

        meta = dict(store.query("MATCH (m:Meta) RETURN m.key, m.value").rows)  # as the schema says
        assert set(meta) == {"schema_version", "generation", "compact_base_bytes"}
        assert per_label["Meta"] == len(meta)

        code = sum(per_label.values()) - per_label["Meta"]
        assert store.query(CODE_ONLY).rows == [[code]]
        stats = run_named(store, "stats", {}).records()
        assert sum(r["count"] for r in stats if r["element"] == "node") == code
        assert "Meta" not in {r["type"] for r in stats}
    assert sum(report.nodes.values()) == code


def test_every_label_of_a_neo4j_index_is_documented(bolt_server: BoltTarget, tmp_path: Path) -> None:
    import neo4j

    repo = copy_fixture("pyrepo", tmp_path / "pyrepo")
    config = StoreConfig(backend="neo4j", repo_id="schema-labels", neo4j_uri=bolt_server.uri,
                         neo4j_user=bolt_server.user, neo4j_password=bolt_server.password,
                         neo4j_database=bolt_server.database)
    report = index_repository(repo, IndexOptions(db_dir=tmp_path / "state", store=config))
    store = open_graph_store(config, tmp_path / "state", read_only=True)
    try:  # what queries run through repolens see: the repository's code nodes only
        seen = {row[0] for row in store.query("MATCH (n) UNWIND labels(n) AS l RETURN DISTINCT l").rows}
        total = store.query("MATCH (n) RETURN count(n)").rows[0][0]
        assert store.query(CODE_ONLY).rows == [[total]]
        assert store.query("MATCH (m:RepolensMeta) RETURN count(m)").rows == [[0]]
    finally:
        store.close()
    assert seen == {label.value for label in Label} | {"RepolensNode"}
    assert total == sum(report.nodes.values())

    # what a client connected to the database directly sees of this repository
    with neo4j.GraphDatabase.driver(bolt_server.uri, auth=(bolt_server.user, bolt_server.password)) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (n) WHERE n.repo = $repo UNWIND labels(n) AS l RETURN DISTINCT l",
            repo="schema-labels", database_=bolt_server.database)
    stored = {record[0] for record in records}
    assert stored == seen | {"RepolensMeta"}
    assert stored <= documented_labels()
