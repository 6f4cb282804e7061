"""A guard for user-supplied Cypher that must only read: :func:`check_read_only`.

It is a lexical check made before a query reaches any backend, so it has to be conservative:
comments, string literals and back-quoted names are blanked out first (``RETURN 'CREATE'``
passes), then any clause that writes, changes the schema, moves data in or out of the
database, controls transactions or reaches outside the graph is refused, in any letter case.
``CALL`` must open a subquery (``CALL {``, ``CALL (x) {``) or name a procedure on
:data:`READ_PROCEDURES`, however its name is spelt (back-quoted, in parts, with comments
between), and never assign to it (``CALL threads=1`` changes a setting). Anything else after
``CALL`` is refused: the guard refuses what it cannot read rather than guess.

This is the first of three lines of defence, not the only one: user queries run on a
read-only connection, in a separate process with a memory ceiling and a deadline
(:mod:`indexer.store.sandbox`), so a query that slips past this guard and crashes or
exhausts the database cannot take the server with it.
"""

from __future__ import annotations

import re

from indexer.store.base import ReadOnlyViolation

READ_PROCEDURES: frozenset[str] = frozenset({
    # Kùzu
    "show_tables", "table_info", "show_connection", "show_functions", "show_indexes",
    "show_sequences", "show_attached_databases", "show_loaded_extensions",
    "show_official_extensions", "show_projected_graphs", "show_warnings", "current_setting",
    "db_version", "storage_info", "query_fts_index", "query_vector_index",
    # Neo4j
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties", "db.indexes",
    "db.constraints", "db.info", "db.ping", "dbms.components",
    "db.index.fulltext.querynodes", "db.index.fulltext.queryrelationships",
    "db.index.vector.querynodes",
})
"""Procedures that only read, lower-cased (Kùzu's names are case-insensitive)."""

_REFUSED: dict[str, str] = {
    "CREATE": "writes to the graph or schema",
    "MERGE": "writes to the graph",
    "SET": "writes to the graph or settings",
    "DELETE": "writes to the graph",
    "DETACH": "writes to the graph or detaches a database",
    "REMOVE": "writes to the graph",
    "FOREACH": "exists only to write",
    "DROP": "changes the schema",
    "ALTER": "changes the schema",
    "RENAME": "changes the schema",
    "COPY": "moves data into or out of the database",
    "LOAD": "reads files or loads extensions",
    "IMPORT": "moves data into the database",
    "EXPORT": "moves data out of the database",
    "INSTALL": "installs an extension",
    "UNINSTALL": "removes an extension",
    "ATTACH": "attaches another database",
    "USE": "switches database",
    "BEGIN": "controls transactions",
    "COMMIT": "controls transactions",
    "ROLLBACK": "controls transactions",
    "CHECKPOINT": "writes the database to disk",
    "GRANT": "administers the database",
    "DENY": "administers the database",
    "REVOKE": "administers the database",
    "TERMINATE": "administers the database",
    "START": "administers the database",
    "STOP": "administers the database",
    "ENABLE": "administers the database",
    "COMMENT": "changes the schema's comments",
}
_SCHEMA_OBJECTS = frozenset({"TABLE", "NODE", "REL", "MACRO", "SEQUENCE", "INDEX",
                             "CONSTRAINT", "DATABASE", "USER", "ROLE", "GRAPH", "ALIAS"})
# Clause heads named together with the word that follows them ("DETACH DELETE", "LOAD CSV").
_SECOND_WORDS: dict[str, frozenset[str]] = {
    "DETACH": frozenset({"DELETE"}),
    "LOAD": frozenset({"CSV", "FROM", "EXTENSION", "WITH"}),
    "IMPORT": frozenset({"DATABASE"}),
    "EXPORT": frozenset({"DATABASE"}),
    "BEGIN": frozenset({"TRANSACTION"}),
    "START": frozenset({"DATABASE"}),
    "STOP": frozenset({"DATABASE"}),
    "ENABLE": frozenset({"SERVER"}),
    "CREATE": _SCHEMA_OBJECTS,
    "DROP": _SCHEMA_OBJECTS,
    "ALTER": _SCHEMA_OBJECTS,
}

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_PART = re.compile(r"\s*(?:([A-Za-z_]\w*)|`((?:[^`]|``)*)`)")
_DOT = re.compile(r"\s*\.")
_SUBQUERY_SCOPE = re.compile(r"\s*\(\s*(?:\*|[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)?\s*\)\s*\{")


def check_read_only(cypher: str) -> None:
    """Return None when ``cypher`` only reads; raise :class:`ReadOnlyViolation` naming the
    first offending clause and its line otherwise (also for an unterminated string or
    comment, which cannot be checked)."""
    text, unterminated = _blank(cypher)
    if unterminated:
        raise ReadOnlyViolation(f"Query refused: unterminated {unterminated}, so it cannot be "
                                "checked for writes.")
    # comments blanked, literals and back-quoted names kept: procedure names are read here
    names = _blank(cypher, keep_literals=True)[0]
    words = [(m.group().upper(), m.start(), m.end()) for m in _WORD.finditer(text)]
    for index, (word, start, end) in enumerate(words):
        if _is_name(text, start, end):
            continue
        following = ""
        if index + 1 < len(words) and not text[end:words[index + 1][1]].strip():
            following = words[index + 1][0]  # the next word, with only blanks between
        if word == "CALL":
            _check_call(names, end)
        elif word == "IN" and following == "TRANSACTIONS":
            _refuse("CALL ... IN TRANSACTIONS", "writes in batches of transactions", text, start)
        elif word in _REFUSED:
            two_words = following in _SECOND_WORDS.get(word, ())
            clause = f"{word} {following}" if two_words else word
            _refuse(clause, _REFUSED[word], text, start)


def strip_literals_and_comments(cypher: str) -> str:
    """``cypher`` with the insides of string literals and back-quoted names, and whole
    comments, replaced by spaces (newlines kept), so offsets and line numbers still match."""
    return _blank(cypher)[0]


def _blank(cypher: str, keep_literals: bool = False) -> tuple[str, str | None]:
    """The blanked text, and what was left unterminated (None when everything closed).
    With ``keep_literals``, only comments are blanked."""
    out: list[str] = []
    i, n = 0, len(cypher)
    while i < n:
        char, pair = cypher[i], cypher[i:i + 2]
        if pair == "//":
            end = cypher.find("\n", i)
            end = n if end == -1 else end
            out.append(" " * (end - i))
            i = end
        elif pair == "/*":
            end = cypher.find("*/", i + 2)
            if end == -1:
                return "".join(out), "block comment"
            out.append(_spaces(cypher[i:end + 2]))
            i = end + 2
        elif char in "'\"`":
            end = _literal_end(cypher, i)
            if end == -1:
                return "".join(out), "back-quoted name" if char == "`" else "string literal"
            out.append(cypher[i:end] if keep_literals else char + _spaces(cypher[i + 1:end - 1]) + char)
            i = end
        else:
            out.append(char)
            i += 1
    return "".join(out), None


def _literal_end(text: str, start: int) -> int:
    """Index just past the literal opened at ``start``, or -1 when it never closes.
    Strings escape with a backslash; back-quoted names by doubling the back-quote."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        if quote != "`" and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if quote == "`" and text[i + 1:i + 2] == "`":
                i += 2
                continue
            return i + 1
        i += 1
    return -1


def _spaces(text: str) -> str:
    return "".join("\n" if c == "\n" else " " for c in text)


def _is_name(text: str, start: int, end: int) -> bool:
    """Whether the word at ``text[start:end]`` is a property, parameter, label or map key
    (``n.set``, ``$delete``, ``:Create``, ``{merge: 1}``) rather than a keyword. Only a mark
    right next to the word counts: ``n. CALL threads=1`` must not slip through as a property."""
    return (start > 0 and text[start - 1] in ".$:") or text[end:end + 1] == ":"


def _check_call(text: str, after_call: int) -> None:
    """Refuse the ``CALL`` ending at ``after_call`` unless it opens a subquery or calls a
    read-only procedure; ``text`` has comments blanked but names and literals intact."""
    if text[after_call:].lstrip().startswith("{") or _SUBQUERY_SCOPE.match(text, after_call):
        return  # CALL { subquery } / CALL (x) { subquery }: its clauses are checked like the rest
    parts: list[str] = []
    position = after_call
    while (part := _NAME_PART.match(text, position)) is not None:
        parts.append(part.group(1) if part.group(1) is not None else part.group(2).replace("``", "`"))
        position = part.end()
        dot = _DOT.match(text, position)
        if dot is None:
            break
        position = dot.end()
    name = ".".join(parts)
    assigns = text[position:].lstrip().startswith("=")
    if not parts:
        _refuse("CALL", "is followed by neither a subquery nor a procedure name", text, after_call)
    if assigns:
        _refuse(f"CALL {name}", "changes a database setting", text, after_call)
    if name.lower() not in READ_PROCEDURES:
        _refuse(f"CALL {name}", "calls a procedure that is not on the read-only allow-list "
                "(e.g. show_tables, table_info, db.labels)", text, after_call)


def _refuse(clause: str, why: str, text: str, position: int) -> None:
    line = text.count("\n", 0, position) + 1
    raise ReadOnlyViolation(f"Query refused: {clause} (line {line}) {why}; only read queries "
                            "are allowed here.")
