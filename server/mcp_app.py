"""The MCP server: the tools of :mod:`server.tools`, the graph schema as a resource and a
localize-then-read prompt, over stdio or streamable HTTP.

Protocol code only: each tool is registered as the bound method itself (its signature and
docstring are the schema the model reads), wrapped so that a domain error becomes an
``isError`` answer carrying its message, with arguments checked strictly (:mod:`server.arguments`:
JSON types only, unknown names refused). Under stdio nothing but protocol messages reaches
stdout: logs go to stderr.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from indexer.model import EDGE_COLUMNS, NODE_COLUMNS, EdgeKind, Label, NodeKind
from queries.registry import load_queries
from server.arguments import StrictTool
from server.tools import EXPECTED_ERRORS, RepolensTools
from server.workspace import Workspace

log = logging.getLogger(__name__)

INSTRUCTIONS = """\
repolens answers questions about the code of {repos} from a code graph (files, classes,
functions, methods; calls, imports, inheritance, references resolved through scopes and
imports) plus lexical and semantic search.
- For an issue or bug report: localize, then read_symbol on the top functions.
- In an unfamiliar repository: repo_map, then file_schematic of the files that matter.
- Before changing a function: callers / references / impact.
- For anything else: cypher (read-only; read the repolens://schema resource first).
Lists are paged (offset / next_offset); every answer says how fresh the index is."""

TITLES = {
    "localize": "Localize an issue", "search_code": "Search code", "repo_map": "Repository map",
    "file_schematic": "File schematic", "find_symbol": "Find symbol", "read_symbol": "Read symbol source",
    "read_file": "Read file lines", "callers": "Callers", "callees": "Callees", "call_path": "Call path",
    "references": "References", "class_hierarchy": "Class hierarchy", "imports": "Imports",
    "impact": "Impact analysis", "cypher": "Read-only Cypher", "named_query": "Named graph query",
    "index_status": "Index status", "reindex": "Re-index",
}


def _reporting_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` with expected errors raised as ToolError, whose message the client sees."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except EXPECTED_ERRORS as exc:
            raise ToolError(str(exc)) from exc

    return call


def schema_text() -> str:
    """The graph schema as an agent needs it to write Cypher: labels, kinds, properties,
    edges and example queries (the named queries)."""
    lines = ["# repolens code graph schema", "",
             "## Node labels (every node has the properties below)"]
    lines += [f"- {label.value}" for label in Label]
    lines += ["", "Node kinds (property `kind`): " + ", ".join(k.value for k in NodeKind),
              "A method is a :Function with kind 'method'. Names from outside the repository are :Symbol nodes "
              "with kind 'external' (id extern::os.path.join) or 'unresolved' (id unresolved::name).",
              "", "Node properties: " + ", ".join(NODE_COLUMNS),
              "Ids: a file's id is its path (pkg/core.py); a definition's is path::Qualified.name "
              "(pkg/core.py::Engine.run). Lines are 1-based and inclusive.",
              "", "## Bookkeeping labels (not code)",
              "- Meta (embedded store): the index's own records, one node per key with properties key and "
              "value (schema_version, generation, compact_base_bytes), no kind, no relationships. "
              "MATCH (n) sees them too; "
              "to see code only, say WHERE n.kind IS NOT NULL (on both backends). Read them with "
              "MATCH (m:Meta) RETURN m.key, m.value. The stats named query and index_status count code only.",
              "- RepolensNode (Neo4j): a second label on every node of the graph above, with a repo property, "
              "because one Neo4j database holds many repositories. Queries run here are scoped to one "
              "repository by it, so write them as if the database held one graph; labels(n) lists it "
              "beside the node's own label.",
              "- RepolensMeta (Neo4j): the bookkeeping of each repository (repo, key, value). Queries run here "
              "never see it; a client connected to Neo4j directly does.",
              "", "## Relationships (all directed)",
              f"Types: {', '.join(k.value for k in EdgeKind)}; properties: {', '.join(EDGE_COLUMNS)}.",
              "- CONTAINS: Repository/Directory -> Directory/File, File -> Class/Function, Class -> Function",
              "- IMPORTS: File -> File | Class | Function | Symbol (the module and each imported definition)",
              "- CALLS: Function/File/Class -> Function | Class (constructor) | Symbol",
              "- INHERITS: Class -> Class | Symbol",
              "- REFERENCES: Function/File/Class -> Class | Function | Symbol (annotations, arguments, ...)",
              "resolution is exact | inferred | external | unresolved; line is where the edge's expression is.",
              "", "## Example queries",
              "MATCH (c:Class)-[:INHERITS]->(b {id: $base}) RETURN c.id, c.path",
              "MATCH (f:Function {kind: 'method'})<-[:CALLS]-(g) WHERE f.name = $name RETURN g.id, g.path LIMIT 20",
              "MATCH (f:File)-[:IMPORTS]->(t) WHERE f.id = $path RETURN t.id, t.kind",
              "MATCH (n) WHERE n.kind IS NOT NULL RETURN n.kind AS kind, count(*) AS nodes",
              "", "## Named queries (run them with named_query; texts below are valid examples)"]
    for query in load_queries().values():
        body = "\n".join(line for line in query.text.splitlines() if not line.startswith("//")).strip()
        lines += ["", f"### {query.name}({query.signature()})", query.purpose, "```cypher", body, "```"]
    return "\n".join(lines) + "\n"


LOCALIZE_PROMPT = """\
Find where the following issue must be fixed in {repo_phrase}, reading as little code as possible.

1. Call `localize` with the whole issue text. Note the top files and functions and why each was
   ranked (its evidence).
2. Call `read_symbol` on the three to five most promising functions. If one is a long class or
   file, call `file_schematic` first and read only the parts that matter.
3. Where the cause is unclear, follow the graph: `callers` / `callees` of the suspect, or
   `references` of a class or constant named in the issue.
4. Answer with the file paths and functions to change (path:Class.method) and a sentence each on
   why, before writing any fix.

Issue:
{issue}
"""


def build_server(workspace: Workspace) -> MCPServer[Any]:
    """The MCP server for ``workspace``. Starting watchers and closing the workspace is the
    caller's business: under HTTP one server outlives many sessions."""
    names = ", ".join(workspace.repos)
    tools = [StrictTool.strict(_reporting_errors(method), name=name, title=TITLES[name],
                               annotations=ToolAnnotations(title=TITLES[name],
                                                           read_only_hint=name in RepolensTools.READ_ONLY,
                                                           destructive_hint=False, idempotent_hint=True,
                                                           open_world_hint=False))
             for name, method in RepolensTools(workspace).all().items()]
    server: MCPServer[Any] = MCPServer("repolens", instructions=INSTRUCTIONS.format(repos=names),
                                       version=_version(), log_level="WARNING", tools=list(tools))

    @server.resource("repolens://schema", name="graph-schema", title="Code graph schema",
                     description="Labels, node kinds, properties, relationship types and example Cypher of the "
                                 "code graph: read before writing a cypher query.", mime_type="text/markdown")
    def graph_schema() -> str:
        return schema_text()

    @server.resource("repolens://repositories", name="repositories", title="Served repositories",
                     description="The repositories this server answers for, with index freshness.",
                     mime_type="application/json")
    def repositories() -> dict[str, Any]:
        return {name: {"root": str(r.root), **_freshness(r)} for name, r in workspace.repos.items()}

    @server.prompt(name="localize_then_read", title="Localize an issue, then read the code",
                   description="A workflow for fixing an issue: localize, read the top functions, follow the "
                               "graph, then name the places to change.")
    def localize_then_read(
        issue: Annotated[str, Field(description="The issue text: title, description, stack traces.")],
        repo: Annotated[str | None, Field(description="Which served repository, when several are.")] = None,
    ) -> str:
        phrase = f"the repository {repo!r}" if repo else "the repository"
        return LOCALIZE_PROMPT.format(repo_phrase=phrase, issue=issue)

    return server


def _freshness(repo: Any) -> dict[str, Any]:
    f = repo.freshness()
    return {"indexed_at": f.indexed_at, "commit": f.commit, "head": f.head, "watching": f.watching,
            "pending_files": f.pending_files, "stale": f.stale}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("repolens")
    except PackageNotFoundError:
        return "0"
