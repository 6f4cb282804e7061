"""Scoping Cypher to one repository of a shared database: :func:`scope_patterns`.

Several repositories share one Neo4j database, but queries (the named ``.cypher`` files and
whatever a user types) are written as if the database held one graph. Rather than make every
query author remember a ``$repo`` filter, the store adds it: every node pattern of every
``MATCH``/``OPTIONAL MATCH`` (subqueries included, and the pattern of ``EXISTS {}``/
``COUNT {}``/``COLLECT {}``) gets the shared label and a ``repo`` property::

    MATCH (a {id: $id})-[:CALLS]->(b:Function)
    MATCH (a:RepolensNode {id: $id, repo: $repolens_repo})-[:CALLS]->
          (b:Function:RepolensNode {repo: $repolens_repo})

The label also lets Neo4j seek the ``(repo, id)`` index where the query named no label.

Why that is enough: relationships are only ever created between nodes of one repository, so
a pattern anchored in it stays in it; relationships need no filter, and patterns inside
expressions (``WHERE (a)-->(b)``, ``[(a)-->(b) | b.id]``), which are not rewritten, stay in
the repository as long as they touch a variable bound by a rewritten ``MATCH``. A pattern
expression that touches none is the one way out of the scope. Scoping is for correctness,
not access control: the read-only guard and the database's own users are the security.

The rewrite is lexical: comments, strings and back-quoted names are tokens of their own,
so text inside them is never touched, and offsets are kept so edits are plain insertions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that end the pattern part of a MATCH clause when met outside any bracket.
_PATTERN_END = frozenset({
    "WHERE", "RETURN", "WITH", "MATCH", "OPTIONAL", "UNWIND", "CALL", "UNION", "ORDER",
    "SKIP", "OFFSET", "LIMIT", "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE",
    "FOREACH", "USING", "YIELD", "FINISH", "FILTER", "LET", "INSERT", "NEXT", "LOAD", "ON",
    "USE", "SHOW", "TERMINATE", "WHEN", "THEN", "ELSE", "END",
})
# Functions whose argument is a path pattern in a MATCH clause.
_PATH_FUNCTIONS = frozenset({"SHORTESTPATH", "ALLSHORTESTPATHS"})
# Subquery expressions whose body may be a bare pattern.
_PATTERN_SUBQUERIES = frozenset({"EXISTS", "COUNT", "COLLECT"})
_OPEN = {"(": ")", "[": "]", "{": "}"}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>'(?:[^'\\]|\\.)*(?:'|\Z)|"(?:[^"\\]|\\.)*(?:"|\Z))
  | (?P<quoted>`(?:[^`]|``)*(?:`|\Z))
  | (?P<param>\$(?:[A-Za-z_]\w*|\d+|`(?:[^`]|``)*`))
  | (?P<word>[A-Za-z_]\w*)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<punct>.)
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    """``word``, ``quoted``, ``string``, ``param``, ``number`` or ``punct``."""
    text: str
    start: int
    end: int


def _tokens(cypher: str) -> list[_Token]:
    found: list[_Token] = []
    for match in _TOKEN.finditer(cypher):
        kind = match.lastgroup or "punct"
        if kind not in ("space", "comment"):
            found.append(_Token(kind, match.group(), match.start(), match.end()))
    return found


def scope_patterns(cypher: str, *, label: str, prop: str, param: str) -> str:
    """``cypher`` with ``:label`` and ``{prop: $param}`` added to every node pattern of its
    MATCH clauses (see the module docstring). Text the rewrite does not understand is left
    as it is; the database reports any syntax error in it."""
    return _Scoper(cypher, label, f"{prop}: ${param}").rewrite()


class _Scoper:
    def __init__(self, cypher: str, label: str, entry: str) -> None:
        self.text = cypher
        self.tokens = _tokens(cypher)
        self.label = label
        self.entry = entry
        self.inserts: list[tuple[int, str]] = []

    def rewrite(self) -> str:
        i = 0
        while i < len(self.tokens):
            if self._keyword(i, "MATCH"):
                i = self._pattern(i + 1)
            elif (self._keyword_in(i, _PATTERN_SUBQUERIES) and self._punct(i + 1, "{")
                  and self._punct(i + 2, "(")):
                i = self._pattern(i + 2)
            else:
                i += 1
        out: list[str] = []
        last = 0
        for position, text in sorted(self.inserts, key=lambda item: item[0]):
            out.append(self.text[last:position])
            out.append(text)
            last = position
        out.append(self.text[last:])
        return "".join(out)

    # -- token tests ---------------------------------------------------------------------

    def _punct(self, i: int, char: str) -> bool:
        return i < len(self.tokens) and self.tokens[i].kind == "punct" \
            and self.tokens[i].text == char

    def _keyword_in(self, i: int, words: frozenset[str]) -> bool:
        """Whether token ``i`` is one of ``words`` used as a keyword, not as a name
        (``n.match``, ``$match``, ``:Match``, ``{match: 1}``)."""
        if i >= len(self.tokens) or self.tokens[i].kind != "word" \
                or self.tokens[i].text.upper() not in words:
            return False
        if i > 0 and self.tokens[i - 1].kind == "punct" and self.tokens[i - 1].text in ".:":
            return False
        return not self._punct(i + 1, ":")

    def _keyword(self, i: int, word: str) -> bool:
        return self._keyword_in(i, frozenset({word}))

    def _closing(self, i: int) -> int:
        """Index of the bracket closing the one opened at token ``i`` (or the last token)."""
        stack = [_OPEN[self.tokens[i].text]]
        j = i + 1
        while j < len(self.tokens):
            token = self.tokens[j]
            if token.kind == "punct":
                if token.text in _OPEN:
                    stack.append(_OPEN[token.text])
                elif token.text in ")]}":
                    stack.pop()
                    if not stack:
                        return j
            j += 1
        return len(self.tokens) - 1

    # -- patterns ------------------------------------------------------------------------

    def _pattern(self, i: int) -> int:
        """Scope the node patterns of the pattern starting at token ``i``; return the index
        of the first token after it."""
        while i < len(self.tokens):
            token = self.tokens[i]
            if token.kind == "punct" and token.text in ")]};":
                return i
            if self._keyword_in(i, _PATTERN_END):
                return i
            if token.kind == "punct" and token.text == "(":
                end = self._closing(i)
                grouped = self._punct(i + 1, "(") or (
                    i > 0 and self.tokens[i - 1].kind == "word"
                    and self.tokens[i - 1].text.upper() in _PATH_FUNCTIONS)
                if grouped:
                    self._pattern(i + 1)
                else:
                    self._node(i, end)
                i = end + 1
            elif token.kind == "punct" and token.text in "[{":
                i = self._closing(i) + 1
            else:
                i += 1
        return i

    def _node(self, start: int, end: int) -> None:
        """Scope the node pattern from ``(`` at ``start`` to ``)`` at ``end``:
        ``( [variable] [label expression] [{map}] [WHERE ...] )``."""
        i = start + 1
        if i < end and self.tokens[i].kind in ("word", "quoted") and not self._keyword(i, "IS") \
                and not self._keyword(i, "WHERE"):
            i += 1
        label_start = i
        if self._punct(i, ":") or self._keyword(i, "IS"):
            while i < end and not self._punct(i, "{") and not self._keyword(i, "WHERE"):
                i = self._closing(i) + 1 if self._punct(i, "(") else i + 1
        self._scope_labels(label_start, i)
        if self._punct(i, "{"):
            close = self._closing(i)
            empty = close == i + 1
            self.inserts.append((self.tokens[close].start,
                                 ("" if empty else ", ") + self.entry))
        else:
            at = self.tokens[i - 1].end
            self.inserts.append((at, f" {{{self.entry}}}"))

    def _scope_labels(self, start: int, end: int) -> None:
        if start == end:  # no label expression
            self.inserts.append((self.tokens[start - 1].end, f":{self.label}"))
            return
        plain = all(t.kind in ("word", "quoted") or (t.kind == "punct" and t.text == ":")
                    for t in self.tokens[start:end])
        if plain and self.tokens[start].text == ":":
            self.inserts.append((self.tokens[end - 1].end, f":{self.label}"))
            return
        # A GQL label expression (A|B, !A, %, IS A): conjoin it, as ':' cannot be mixed in.
        self.inserts.append((self.tokens[start + 1].start, "("))
        self.inserts.append((self.tokens[end - 1].end, f")&{self.label}"))
