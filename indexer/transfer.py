"""Moving a graph between stores: JSON lines that any backend can write and load.

The first line is a header (``format``, ``schema_version``, counts); then one
``{"node": {...}}`` per node and one ``{"edge": {...}}`` per edge, sorted, with the model's
fields only. Loading replaces the repository's graph in the target store, so
``repolens export`` on a laptop and ``repolens import`` into the team's Neo4j moves it whole.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from indexer.model import (
    EDGE_COLUMNS,
    NODE_COLUMNS,
    SCHEMA_VERSION,
    Edge,
    EdgeKind,
    FileStatus,
    Node,
    NodeKind,
    Resolution,
)
from indexer.store.base import GraphStore

FORMAT = "repolens-graph"


@dataclass(frozen=True, slots=True)
class TransferReport:
    nodes: int
    edges: int


def node_record(node: Node) -> dict[str, Any]:
    return {c: getattr(node, c) for c in NODE_COLUMNS if getattr(node, c) is not None}


def edge_record(edge: Edge) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": edge.kind.value, "source": edge.source, "target": edge.target}
    out.update({c: getattr(edge, c) for c in EDGE_COLUMNS if getattr(edge, c) is not None})
    return out


def export_graph(store: GraphStore, out: IO[str]) -> TransferReport:
    """Write the store's whole graph (of its repository) as JSON lines."""
    graph = store.dump()
    header = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "nodes": len(graph.nodes),
              "edges": len(graph.edges)}
    out.write(json.dumps(header) + "\n")
    for node in graph.nodes:
        out.write(json.dumps({"node": node_record(node)}, ensure_ascii=False) + "\n")
    for edge in graph.edges:
        out.write(json.dumps({"edge": edge_record(edge)}, ensure_ascii=False) + "\n")
    return TransferReport(len(graph.nodes), len(graph.edges))


def read_graph(lines: Iterable[str]) -> tuple[list[Node], list[Edge]]:
    """Parse an export; ValueError naming the line when it is not one."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    it: Iterator[tuple[int, str]] = enumerate(lines, 1)
    header: dict[str, Any] | None = None
    for number, line in it:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not JSON ({exc.msg})") from None
        if header is None:
            if not isinstance(record, dict) or record.get("format") != FORMAT:
                raise ValueError(f"line {number}: not a repolens graph export (no {FORMAT!r} header)")
            if record.get("schema_version") != SCHEMA_VERSION:
                raise ValueError(f"the export has schema version {record.get('schema_version')}; this "
                                 f"repolens reads version {SCHEMA_VERSION}: export it again with this version")
            header = record
            continue
        try:
            if "node" in record:
                n = record["node"]
                nodes.append(Node(**{**n, "kind": NodeKind(n["kind"]),
                                     "status": FileStatus(n["status"]) if n.get("status") else None}))
            elif "edge" in record:
                e = record["edge"]
                edges.append(Edge(EdgeKind(e["kind"]), e["source"], e["target"], e.get("line"),
                                  Resolution(e["resolution"]) if e.get("resolution") else None, e.get("name")))
            else:
                raise ValueError("neither a node nor an edge")
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"line {number}: bad record: {exc}") from None
    if header is None:
        raise ValueError("empty export: no header line")
    if (header.get("nodes"), header.get("edges")) != (len(nodes), len(edges)):
        raise ValueError(f"the export is truncated: header says {header.get('nodes')} nodes and "
                         f"{header.get('edges')} edges, found {len(nodes)} and {len(edges)}")
    return nodes, edges


def import_graph(store: GraphStore, lines: Iterable[str]) -> TransferReport:
    """Replace the store's graph with an export. A new generation is recorded, so an index
    state made against the old graph is rebuilt, not trusted, by the next ``repolens index``."""
    nodes, edges = read_graph(lines)
    store.replace_all(nodes, edges)
    store.set_meta("schema_version", str(SCHEMA_VERSION))
    store.set_meta("generation", str(int(time.time() * 1000)))
    return TransferReport(len(nodes), len(edges))
