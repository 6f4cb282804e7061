"""The one place that touches the tree-sitter binding API, so a binding change is one edit.

Written against py-tree-sitter >= 0.25 (``Query`` + ``QueryCursor``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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

    def parse(self, source: bytes) -> ts.Tree:
        return self.parser.parse(source)

    def matches(self, node: ts.Node) -> Iterator[tuple[int, Captures]]:
        cursor = ts.QueryCursor(self.query)
        yield from cursor.matches(node)


def count_errors(root: ts.Node) -> tuple[int, int | None]:
    """Number of ERROR/MISSING nodes and the 1-based line of the first, walking only
    subtrees that contain an error (cheap on clean files)."""
    if not root.has_error:
        return 0, None
    count = 0
    first: int | None = None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
            line = node.start_point[0] + 1
            first = line if first is None else min(first, line)
            continue
        stack.extend(c for c in node.children if c.has_error or c.is_missing)
    return count, first
