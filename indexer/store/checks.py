"""Checks every store makes before writing, so backends refuse the same bad input with the
same :class:`StoreError` message."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from indexer.model import EDGE_ENDPOINTS, Edge, EdgeKind, Label, Node
from indexer.store.base import GraphChange, StoreError

EdgeGroup = tuple[EdgeKind, Label, Label]
_ENDPOINTS = {kind: frozenset(pairs) for kind, pairs in EDGE_ENDPOINTS.items()}


def node_labels(nodes: Sequence[Node]) -> dict[str, Label]:
    """The label of each node by id; StoreError when an id is given twice."""
    labels = {node.id: node.label for node in nodes}
    if len(labels) != len(nodes):
        raise StoreError(f"replace_all: duplicate node ids ({len(nodes) - len(labels)}).")
    return labels


def group_edges(edges: Sequence[Edge], labels: Mapping[str, Label]) -> dict[EdgeGroup, list[Edge]]:
    """Edges grouped by (kind, source label, target label), in input order within a group.

    Raises StoreError when an edge refers to a node not in ``labels``, connects labels its
    kind may not connect (``EDGE_ENDPOINTS``), or has the key of an earlier edge.
    """
    groups: dict[EdgeGroup, list[Edge]] = defaultdict(list)
    seen: set[tuple[str, str, str]] = set()
    for edge in edges:  # a hundred thousand edges in a large repository: one key, two lookups each
        kind, source, target = key = edge.kind, edge.source, edge.target
        source_label, target_label = labels.get(source), labels.get(target)
        if source_label is None or target_label is None:
            unknown = source if source_label is None else target
            raise StoreError(f"edge {key} refers to unknown node {unknown!r}")
        if (source_label, target_label) not in _ENDPOINTS[kind]:
            raise StoreError(f"edge {key}: {kind} cannot go from {source_label} to {target_label}")
        if key in seen:
            raise StoreError(f"edge {key} given twice")
        seen.add(key)
        groups[(kind, source_label, target_label)].append(edge)
    return groups


def ids_referenced(change: GraphChange) -> set[str]:
    """Every node id ``change`` names, as removed, updated, added or edge end."""
    ids = {end for _, source, target in change.remove_edges for end in (source, target)}
    ids.update(change.remove_nodes)
    ids.update(node.id for node in change.update_nodes)
    ids.update(node.id for node in change.add_nodes)
    ids.update(end for edge in change.add_edges for end in (edge.source, edge.target))
    return ids


def check_updates(nodes: Sequence[Node], known: Mapping[str, Label]) -> None:
    """StoreError unless every node is stored (``known``) under the label it keeps."""
    for node in nodes:
        if known.get(node.id) is None:
            raise StoreError(f"cannot update node {node.id!r}: it is not stored")
        if known[node.id] != node.label:
            raise StoreError(f"cannot update node {node.id!r} from {known[node.id]} to "
                             f"{node.label}: remove it and add it instead")


def check_additions(nodes: Sequence[Node], known: dict[str, Label]) -> None:
    """StoreError when a node's id is stored already; records the new ids in ``known``."""
    for node in nodes:
        if node.id in known:
            raise StoreError(f"cannot add node {node.id!r}: it exists")
        known[node.id] = node.label
