"""The one place that touches the tree-sitter binding API, so a binding change is one edit.

Written against py-tree-sitter >= 0.25 (``Query`` + ``QueryCursor``).

Every file is parsed and matched within a budget, because a small hostile file can otherwise
take the indexer down: query matching is quadratic in the nesting depth of the tree (5,000
nested calls, 15 KB, took seconds; 100,000 never finished) and in long runs of siblings a
pattern must skip (100,000 stacked decorators took minutes). Parsing takes a deadline (the
parser's progress callback cancels it), matches may only start at most ``max_depth`` levels
deep (``QueryCursor.set_max_start_depth``), and at most ``match_limit`` matches may be in
progress at once, which keeps matching linear in the file's size. The binding's
``progress_callback`` of ``QueryCursor.matches`` is not used: in py-tree-sitter 0.26.1 it
crashes the process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tree_sitter as ts

Node = ts.Node
Captures = dict[str, list[ts.Node]]


class CompiledQuery:
    """A language plus a compiled query, ready to run on many files in one process."""

    def __init__(self, language_capsule: Callable[[], Any], query_source: str) -> None:
        self.language = ts.Language(language_capsule())
        self.parser = ts.Parser(self.language)
        self.query = ts.Query(self.language, query_source)
        self.settings: tuple[dict[str, str | None], ...] = tuple(
            self.query.pattern_settings(i) for i in range(self.query.pattern_count))
        """Per pattern index, the ``(#set! key value)`` properties the query gives it."""

    def parse(self, source: bytes, seconds: float | None = None) -> ts.Tree:
        """The syntax tree of ``source``; :class:`ParseBudgetExceeded` when parsing takes longer
        than ``seconds`` (None: no limit)."""
        if seconds is None:
            return self.parser.parse(source)
        deadline = time.monotonic() + seconds

        def read(offset: int, _point: Any) -> bytes:
            return source[offset:offset + _CHUNK]

        def over(_offset: int, _has_error: bool) -> bool:
            return time.monotonic() > deadline

        try:
            tree = self.parser.parse(read, progress_callback=over)
        except ValueError as exc:  # the binding's word for a cancelled parse
            self.parser.reset()
            raise ParseBudgetExceeded(f"parsing took longer than {seconds:g} s") from exc
        # A tree read through a callback fetches every node's text through it again, 30 times
        # slower; parsing the bytes once more with that tree as the old one reuses all of it
        # (a tenth of a parse) and gives a tree that holds its source.
        return self.parser.parse(source, old_tree=tree)

    def matches(self, node: ts.Node, max_depth: int | None = None,
                match_limit: int | None = None) -> tuple[list[tuple[int, Captures]], bool]:
        """The query's matches under ``node``, in document order, and whether some were
        dropped. With ``max_depth``, only matches that start at most that many levels below
        ``node``; with ``match_limit``, at most that many matches are in progress at once
        (more are dropped, oldest first), which bounds the work on long runs of siblings."""
        cursor = ts.QueryCursor(self.query, match_limit=match_limit or _NO_MATCH_LIMIT)
        if max_depth is not None:
            cursor.set_max_start_depth(max_depth)
        found = cursor.matches(node)
        return found, cursor.did_exceed_match_limit


_CHUNK = 1 << 16
_NO_MATCH_LIMIT = 0xFFFFFFFF


class ParseBudgetExceeded(Exception):
    """A file took longer to parse than its budget."""


def deeper_than(root: ts.Node, limit: int) -> bool:
    """Whether any node lies more than ``limit`` levels below ``root``. Cheap: a subtree with
    fewer descendants than the levels still missing cannot reach the limit, so only the few
    large subtrees are entered (3% of parse time over 3,000 large Python files)."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth >= limit:
            return True
        missing = limit - depth - 1
        stack.extend((child, depth + 1) for child in node.children if child.descendant_count >= missing)
    return False


@dataclass(frozen=True, slots=True)
class SyntaxErrors:
    count: int = 0
    """ERROR and MISSING nodes."""
    first_line: int | None = None
    """1-based line of the first."""
    widest: int = 0
    """Tokens directly inside the widest ERROR node: query matching is quadratic in them."""
    widest_line: int | None = None


def count_errors(root: ts.Node) -> SyntaxErrors:
    """The syntax errors tree-sitter recovered from, walking only subtrees that contain an
    error (cheap on clean files)."""
    if not root.has_error:
        return SyntaxErrors()
    count, widest = 0, 0
    first: int | None = None
    widest_line: int | None = None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
            line = node.start_point[0] + 1
            first = line if first is None else min(first, line)
            tokens = sum(1 for child in node.children if child.child_count == 0)
            if tokens > widest:
                widest, widest_line = tokens, line
            continue
        stack.extend(c for c in node.children if c.has_error or c.is_missing)
    return SyntaxErrors(count, first, widest, widest_line)
