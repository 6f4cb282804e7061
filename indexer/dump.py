"""A canonical text rendering of a graph: one sorted line per node and per edge.

Use it wherever two graphs must be compared or reviewed as a diff: golden files, the
incremental-equals-fresh tests, the store contract tests and the CLI's export. Two graphs
are equal exactly when their dumps are equal, whatever order the store returned them in.

Node lines::

    node <id> <kind> [lines=<start>-<end>] [lang=<language>] [status=<status>]
         [error=<json>] [sig=<json>] [doc=<json>]

Edge lines::

    <KIND> <source> -> <target> [<resolution>, line <n>, <json name>]

Only fields that are set appear; strings that may hold spaces are JSON-quoted so every line
stays one line. The repository node's ``name`` (the checkout's directory name) is left out,
as are ``name``, ``path`` and ``qualname`` of every node (the id already says them), so a
dump does not depend on where the repository was checked out.
"""

from __future__ import annotations

import json

from indexer.model import Edge, Graph, Node


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def node_line(node: Node) -> str:
    """One node as a single line (see the module docstring for the format)."""
    parts = ["node", node.id, node.kind.value]
    if node.start_line is not None or node.end_line is not None:
        parts.append(f"lines={node.start_line}-{node.end_line}")
    if node.language:
        parts.append(f"lang={node.language}")
    if node.status is not None:
        parts.append(f"status={node.status.value}")
    if node.error:
        parts.append(f"error={_quoted(node.error)}")
    if node.signature:
        parts.append(f"sig={_quoted(node.signature)}")
    if node.doc:
        parts.append(f"doc={_quoted(node.doc)}")
    return " ".join(parts)


def edge_line(edge: Edge) -> str:
    """One edge as a single line (see the module docstring for the format)."""
    line = f"{edge.kind.value} {edge.source} -> {edge.target}"
    details: list[str] = []
    if edge.resolution is not None:
        details.append(edge.resolution.value)
    if edge.line is not None:
        details.append(f"line {edge.line}")
    if edge.name is not None:
        details.append(_quoted(edge.name))
    return f"{line} [{', '.join(details)}]" if details else line


def dump_text(graph: Graph) -> str:
    """The whole graph as text: node lines sorted by id, then edge lines sorted by
    (kind, source, target); ends with a newline. Equal graphs give equal text."""
    nodes = sorted(graph.nodes, key=lambda n: n.id)
    edges = sorted(graph.edges, key=lambda e: (e.kind.value, e.source, e.target))
    lines = [node_line(n) for n in nodes] + [edge_line(e) for e in edges]
    return "\n".join(lines) + "\n"
