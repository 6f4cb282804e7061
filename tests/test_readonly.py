"""The read-only guard: every write spelling is refused, reads and look-alikes pass."""

from __future__ import annotations

import pytest

from indexer.store.base import ReadOnlyViolation, StoreError
from queries.readonly import READ_PROCEDURES, check_read_only, strip_literals_and_comments
from queries.registry import load_queries

REFUSED: list[tuple[str, str]] = [
    ("CREATE (n:File {id: 'x'})", "CREATE"),
    ("create (n:File {id: 'x'})", "CREATE"),
    ("MATCH (a), (b) CREATE (a)-[:CALLS]->(b)", "CREATE"),
    ("CREATE NODE TABLE X(id STRING PRIMARY KEY)", "CREATE NODE"),
    ("CREATE MACRO m(x) AS x + 1", "CREATE MACRO"),
    ("MERGE (n:File {id: 'x'})", "MERGE"),
    ("MATCH (n) SET n.doc = 'x'", "SET"),
    ("MATCH (n) sEt n:Extra", "SET"),
    ("MATCH (n) DELETE n", "DELETE"),
    ("MATCH (n) DETACH DELETE n", "DETACH DELETE"),
    ("MATCH (n) /*x*/ dEtAcH   DeLeTe n", "DETACH DELETE"),
    ("MATCH (n) detach\n\tdelete n", "DETACH DELETE"),
    ("MATCH (n) DETACH/* hidden */DELETE n", "DETACH DELETE"),
    ("MATCH (n) // a comment\nDELETE n", "DELETE"),
    ("MATCH (n) REMOVE n.doc", "REMOVE"),
    ("MATCH (n) FOREACH (x IN [1] | SET n.a = x)", "FOREACH"),
    ("DROP TABLE File", "DROP TABLE"),
    ("ALTER TABLE File ADD x STRING", "ALTER TABLE"),
    ("COPY File FROM 'nodes.csv'", "COPY"),
    ("COPY (MATCH (n) RETURN n) TO 'out.csv'", "COPY"),
    ("LOAD CSV FROM 'file:///x.csv' AS row RETURN row", "LOAD CSV"),
    ("LOAD CSV WITH HEADERS FROM 'file:///x.csv' AS row RETURN row", "LOAD CSV"),
    ("LOAD FROM 'x.csv' RETURN *", "LOAD FROM"),
    ("LOAD WITH HEADERS (a STRING) FROM 'x.csv' RETURN *", "LOAD WITH"),
    ("LOAD EXTENSION fts", "LOAD EXTENSION"),
    ("load extension 'ext.so'", "LOAD EXTENSION"),
    ("INSTALL fts", "INSTALL"),
    ("UNINSTALL fts", "UNINSTALL"),
    ("ATTACH 'other.kuzu' AS other (dbtype kuzu)", "ATTACH"),
    ("DETACH other", "DETACH"),
    ("USE other", "USE"),
    ("IMPORT DATABASE '/tmp/x'", "IMPORT DATABASE"),
    ("EXPORT DATABASE '/tmp/x'", "EXPORT DATABASE"),
    ("BEGIN TRANSACTION", "BEGIN TRANSACTION"),
    ("begin transaction read only", "BEGIN TRANSACTION"),
    ("COMMIT", "COMMIT"),
    ("ROLLBACK", "ROLLBACK"),
    ("CHECKPOINT", "CHECKPOINT"),
    ("CALL { MATCH (n) RETURN n } IN TRANSACTIONS OF 10 ROWS RETURN 1",
     "CALL ... IN TRANSACTIONS"),
    ("CALL { MATCH (n) RETURN n } in   transactions", "CALL ... IN TRANSACTIONS"),
    ("CALL db.createIndex('x', 'File', ['id'])", "CALL db.createIndex"),
    ("CALL apoc.cypher.runWrite('CREATE (n)', {})", "CALL apoc.cypher.runWrite"),
    ("CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'SET n.x = 1', {})",
     "CALL apoc.periodic.iterate"),
    ("CALL create_fts_index('File', 'idx', ['doc'])", "CALL create_fts_index"),
    ("CALL drop_fts_index('File', 'idx')", "CALL drop_fts_index"),
    ("CALL threads = 1", "CALL threads"),
    ("CALL db.labels = 1", "CALL db.labels"),
    ("CALL dbms.security.createUser('x', 'y')", "CALL dbms.security.createUser"),
    ("MATCH (n) RETURN n; CREATE (m)", "CREATE"),
    ("GRANT ROLE admin TO bob", "GRANT"),
    ("STOP DATABASE neo4j", "STOP DATABASE"),
    ("USING PERIODIC COMMIT LOAD CSV FROM 'x' AS r RETURN r", "COMMIT"),
    # a keyword is a property name only right after the dot: the guard does not guess
    ("MATCH (n) RETURN n. remove", "REMOVE"),
    ("MATCH (n) RETURN n. CALL threads=1", "CALL threads"),
    # back-quoted, split and commented procedure names are read like plain ones
    ("CALL `threads`=1", "CALL threads"),
    ("CALL `var_length_extend_max_depth`=1000", "CALL var_length_extend_max_depth"),
    ("CALL `file_search_path`='/etc'", "CALL file_search_path"),
    ("CALL `read_csv_serial`('/etc/passwd') RETURN *", "CALL read_csv_serial"),
    ("CALL `read_parquet`('/etc/passwd') RETURN *", "CALL read_parquet"),
    ("CALL `read_npy`('/etc/passwd') RETURN *", "CALL read_npy"),
    ("CALL `json_scan`('/etc/passwd') RETURN *", "CALL json_scan"),
    ("CALL `create_fts_index`('File', 'i', ['doc'])", "CALL create_fts_index"),
    ("CALL `db`.`createIndex`('x')", "CALL db.createIndex"),
    ("CALL db /* */ . `createIndex`('x')", "CALL db.createIndex"),
    ("CALL `show_tables`=1", "CALL show_tables"),
    ("CALL `a``b`()", "CALL a`b"),
    ("call/**/`threads`/**/=/**/1", "CALL threads"),
    ("CALL 1", "CALL"),
    ("CALL 'threads' = 1", "CALL"),
    ("COMMENT ON TABLE File IS 'x'", "COMMENT"),
    ("comment on table File is 'x'", "COMMENT"),
]


@pytest.mark.parametrize(("cypher", "clause"), REFUSED)
def test_writes_are_refused_naming_the_clause(cypher: str, clause: str) -> None:
    with pytest.raises(ReadOnlyViolation) as caught:
        check_read_only(cypher)
    assert f"Query refused: {clause} (line " in str(caught.value)


def test_violation_is_a_store_error_and_gives_the_line() -> None:
    with pytest.raises(StoreError, match=r"DELETE \(line 3\)"):
        check_read_only("MATCH (n)\n/* two\nlines */ DELETE n")


ALLOWED = [
    "MATCH (n:Function {id: $id}) RETURN n.name",
    "RETURN 'CREATE'",
    'RETURN "DETACH DELETE n"',
    "RETURN 'it\\'s CREATE (n) time' AS s",
    'RETURN "a \\" SET x = 1" AS s',
    "MATCH (n) RETURN n // DELETE n",
    "MATCH (n) /* SET n.x = 1 */ RETURN n",
    "MATCH (n) RETURN n.set, n.delete, n.create AS c",
    "MATCH (n) WHERE n.name = $merge RETURN n",
    "MATCH (n:Create)-[:DELETE]->(m:`SET x`) RETURN m",
    "RETURN {set: 1, delete: 2} AS m",
    "MATCH (n) RETURN n.`drop table`",
    "MATCH (n) WHERE n.name STARTS WITH 'a' RETURN n.created_at, n.settings, n.offset",
    "CALL show_tables() RETURN *",
    "CALL table_info('File') RETURN *",
    "CALL SHOW_TABLES() RETURN name",
    "CALL db.labels() YIELD label RETURN label",
    "CALL db.labels",
    "CALL db . relationshipTypes()",
    "CALL { MATCH (n) RETURN n } RETURN n",
    "CALL `show_tables`() RETURN *",
    "CALL `db`.`labels`()",
    "CALL (n) { RETURN n } RETURN 1",
    "MATCH (n) CALL (n) { RETURN n.id AS i } RETURN i",
    "UNWIND [1, 2] AS x RETURN x",
    "",
]


@pytest.mark.parametrize("cypher", ALLOWED)
def test_reads_and_look_alikes_pass(cypher: str) -> None:
    check_read_only(cypher)


@pytest.mark.parametrize("cypher", [
    "RETURN 'unterminated",
    'RETURN "a\\"',
    "MATCH (n) /* never closed DELETE n",
    "MATCH (n) RETURN n.`open",
])
def test_unterminated_literals_cannot_hide_anything(cypher: str) -> None:
    with pytest.raises(ReadOnlyViolation, match="unterminated"):
        check_read_only(cypher)


def test_an_escaped_backslash_does_not_escape_the_closing_quote() -> None:
    with pytest.raises(ReadOnlyViolation, match="CREATE"):
        check_read_only("RETURN 'a\\\\' CREATE (n) RETURN 'b'")


def test_stripping_keeps_offsets_and_lines() -> None:
    text = "MATCH (n) // CREATE\nRETURN 'SET', n.`DELETE` /* MERGE\n */"
    stripped = strip_literals_and_comments(text)
    assert len(stripped) == len(text)
    assert stripped.count("\n") == text.count("\n")
    assert "CREATE" not in stripped and "SET" not in stripped
    assert "DELETE" not in stripped and "MERGE" not in stripped
    assert stripped.startswith("MATCH (n)") and "RETURN '   ', n.`      `" in stripped


def test_allow_list_is_lower_case() -> None:
    assert all(name == name.lower() for name in READ_PROCEDURES)


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_every_named_query_passes_the_guard(name: str) -> None:
    check_read_only(load_queries()[name].text)
