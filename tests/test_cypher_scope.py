"""The repository scope the Neo4j store adds to Cypher: every node pattern of every MATCH gets
the shared label and the repo property; nothing else changes."""

from __future__ import annotations

import re

import pytest

from indexer.store.cypher_scope import scope_patterns
from queries.registry import load_queries


def scoped(cypher: str) -> str:
    return scope_patterns(cypher, label="R", prop="repo", param="r")


@pytest.mark.parametrize(("cypher", "expected"), [
    ("MATCH (n) RETURN n", "MATCH (n:R {repo: $r}) RETURN n"),
    ("MATCH () RETURN 1", "MATCH (:R {repo: $r}) RETURN 1"),
    ("MATCH (n:File) RETURN n", "MATCH (n:File:R {repo: $r}) RETURN n"),
    ("MATCH (n:File:Class) RETURN n", "MATCH (n:File:Class:R {repo: $r}) RETURN n"),
    ("MATCH (n {id: $id}) RETURN n", "MATCH (n:R {id: $id, repo: $r}) RETURN n"),
    ("MATCH (n:File {id: $id}) RETURN n", "MATCH (n:File:R {id: $id, repo: $r}) RETURN n"),
    ("MATCH (n { }) RETURN n", "MATCH (n:R { repo: $r}) RETURN n"),
    ("MATCH (n:File WHERE n.x > 1) RETURN n",
     "MATCH (n:File:R {repo: $r} WHERE n.x > 1) RETURN n"),
    ("MATCH (n {id: 1} WHERE n.x > 1) RETURN n",
     "MATCH (n:R {id: 1, repo: $r} WHERE n.x > 1) RETURN n"),
    ("MATCH (n:File|Class) RETURN n", "MATCH (n:(File|Class)&R {repo: $r}) RETURN n"),
    ("MATCH (n:!File) RETURN n", "MATCH (n:(!File)&R {repo: $r}) RETURN n"),
    ("MATCH (n IS File) RETURN n", "MATCH (n IS (File)&R {repo: $r}) RETURN n"),
    ("MATCH (`my node`:`A B`) RETURN 1", "MATCH (`my node`:`A B`:R {repo: $r}) RETURN 1"),
    ("match (n) return n", "match (n:R {repo: $r}) return n"),
])
def test_node_patterns_get_the_label_and_the_property(cypher: str, expected: str) -> None:
    assert scoped(cypher) == expected


def test_every_node_of_a_path_and_of_every_match_is_scoped() -> None:
    cypher = ("MATCH p = (a {id: $id})-[:CALLS*1..5 {x: 1}]->(b), (c)<-[r]-(:File)\n"
              "WHERE length(p) < 3\nOPTIONAL MATCH (b)-[:CONTAINS]->(d)\nRETURN a, b, c, d")
    assert scoped(cypher) == (
        "MATCH p = (a:R {id: $id, repo: $r})-[:CALLS*1..5 {x: 1}]->(b:R {repo: $r}), "
        "(c:R {repo: $r})<-[r]-(:File:R {repo: $r})\nWHERE length(p) < 3\n"
        "OPTIONAL MATCH (b:R {repo: $r})-[:CONTAINS]->(d:R {repo: $r})\nRETURN a, b, c, d")


@pytest.mark.parametrize(("cypher", "expected"), [
    ("MATCH p = shortestPath((a {id: 1})-[*]-(b)) RETURN p",
     "MATCH p = shortestPath((a:R {id: 1, repo: $r})-[*]-(b:R {repo: $r})) RETURN p"),
    ("MATCH ((a)-[:CALLS]->(b)){1,3} RETURN 1",
     "MATCH ((a:R {repo: $r})-[:CALLS]->(b:R {repo: $r})){1,3} RETURN 1"),
    ("MATCH SHORTEST 1 (a)-[:CALLS]->+(b) RETURN 1",
     "MATCH SHORTEST 1 (a:R {repo: $r})-[:CALLS]->+(b:R {repo: $r}) RETURN 1"),
    ("CALL { MATCH (n) RETURN n } RETURN n", "CALL { MATCH (n:R {repo: $r}) RETURN n } RETURN n"),
    ("MATCH (n) WHERE EXISTS { (n)-->(:File) } RETURN n",
     "MATCH (n:R {repo: $r}) WHERE EXISTS { (n:R {repo: $r})-->(:File:R {repo: $r}) } RETURN n"),
    ("MATCH (n) RETURN COUNT { MATCH (m) } AS c",
     "MATCH (n:R {repo: $r}) RETURN COUNT { MATCH (m:R {repo: $r}) } AS c"),
    ("MATCH (n) RETURN 1 UNION MATCH (m) RETURN 1",
     "MATCH (n:R {repo: $r}) RETURN 1 UNION MATCH (m:R {repo: $r}) RETURN 1"),
])
def test_subqueries_and_path_forms_are_scoped(cypher: str, expected: str) -> None:
    assert scoped(cypher) == expected


@pytest.mark.parametrize("cypher", [
    "RETURN '(n)' AS s, \"MATCH (m)\" AS t",
    "RETURN 1 // MATCH (n)\n",
    "RETURN 1 /* MATCH (n) */",
    "WITH {match: 1} AS m RETURN m.match",
    "UNWIND [(1 + 2), 3] AS x RETURN x",
    "CREATE (n:File {id: 'x'})",
    "MERGE (n:File {id: 'x'})",
    "CALL db.labels() YIELD label RETURN label",
    "RETURN `MATCH (n)` AS x",
])
def test_text_outside_match_patterns_is_left_alone(cypher: str) -> None:
    assert scoped(cypher) == cypher


def test_expressions_inside_a_pattern_are_not_patterns() -> None:
    cypher = "MATCH (n WHERE n.x IN [(1), (2)] AND (n.y = 1 OR n.z = 2)) RETURN n"
    assert scoped(cypher) == ("MATCH (n:R {repo: $r} WHERE n.x IN [(1), (2)] AND "
                              "(n.y = 1 OR n.z = 2)) RETURN n")


def test_where_parentheses_after_a_pattern_are_not_patterns() -> None:
    cypher = "MATCH (n) WHERE ($kind = '' OR n.kind = $kind) RETURN n"
    assert scoped(cypher) == ("MATCH (n:R {repo: $r}) WHERE ($kind = '' OR n.kind = $kind) "
                              "RETURN n")


def test_pattern_expressions_in_where_are_left_to_the_bound_variables() -> None:
    # Scoped through n: no relationship crosses repositories.
    cypher = "MATCH (n) WHERE (n)-[:CALLS]->() RETURN n"
    assert scoped(cypher) == "MATCH (n:R {repo: $r}) WHERE (n)-[:CALLS]->() RETURN n"


def test_comments_and_strings_inside_patterns_survive() -> None:
    cypher = "MATCH (n /* a (node) */ {name: ')'}) // (m)\nRETURN n"
    assert scoped(cypher) == "MATCH (n:R /* a (node) */ {name: ')', repo: $r}) // (m)\nRETURN n"


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_named_queries_only_gain_the_scope(name: str) -> None:
    text = load_queries()[name].text
    result = scoped(text)
    assert re.sub(r":R(?= \{)| \{repo: \$r\}|, repo: \$r", "", result) == text
    clauses = [line for line in result.splitlines() if re.match(r"(OPTIONAL )?MATCH ", line)]
    assert clauses and all(re.search(r"(\{|, )repo: \$r\}", line) for line in clauses)


def test_incomplete_text_is_returned_not_raised_on() -> None:
    # The database reports syntax errors; the rewrite must never fail first.
    text = "MATCH p = (a:File|Class {id: $id} WHERE a.x)-[:CALLS*1..2]->(b IS File) RETURN p"
    for end in range(len(text) + 1):
        assert scoped(text[:end]).startswith(text[:end][:5])
