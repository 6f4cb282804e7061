"""Typed answers of the tools: the structured output an MCP client receives and the JSON the
CLI prints. Lines are 1-based and inclusive; paths are repository-relative."""

from typing import Any

from pydantic import BaseModel, Field


class IndexInfo(BaseModel):
    """How fresh the index behind an answer is."""

    repo: str = Field(description="The served repository's name.")
    indexed_at: str | None = Field(description="When the index was last updated (local time, ISO 8601).")
    commit: str | None = Field(description="The commit the index was built from (git checkouts only).")
    head: str | None = Field(description="The commit checked out now.")
    watching: bool = Field(description="True when the server re-indexes changed files as they change.")
    watch_mode: str | None = Field(default=None, description="How a watching server sees changes: events (the OS "
                                   "reports them; re-indexed about 0.1 s after the last one) or polling (a scan "
                                   "every --interval seconds); null when not watching.")
    pending_files: int | None = Field(description="Files added, modified (in content) or deleted since the index "
                                                  "was made, as of at most a second ago; None when unknown: no "
                                                  "index, or the check ran past its 0.25 s budget on a very large "
                                                  "tree (retried after 30 s).")
    stale: bool | None = Field(description="True when the index lags the files (then reindex); None when unknown.")


class Page(BaseModel):
    """Where a list stands: lists are cut to ``limit`` and continue at ``next_offset``."""

    total: int = Field(description="How many items there are in all; a lower bound when total_exact is false.")
    total_exact: bool = Field(default=True, description="False when the server stopped counting at a cap, so "
                                                        "there are at least total items.")
    offset: int = Field(description="The position of the first item returned.")
    truncated: bool = Field(description="True when more items exist than this answer lists.")
    next_offset: int | None = Field(description="Pass as offset to get the next page; None when there is no "
                                                "further page to ask for.")


class Hit(BaseModel):
    id: str = Field(description="Graph node id: path::Qualified.name (a file's id is its path).")
    path: str
    name: str = Field(description="Qualified name; empty for a file.")
    kind: str = Field(description="file, class, function or method.")
    score: float
    start_line: int
    end_line: int
    evidence: list[str] = Field(description="Why it was ranked: matched names, stack frames, lexical or "
                                            "semantic hits, graph neighbours.")


class LocalizeResult(BaseModel):
    files: list[Hit]
    modules: list[Hit] = Field(description="Top-level classes and functions.")
    functions: list[Hit] = Field(description="Functions, methods and classes with line spans; read them with "
                                             "read_symbol.")
    notes: list[str] = Field(description="Caveats, e.g. a signal that is unavailable.")
    totals: dict[str, int] = Field(default_factory=dict, description=(
        "How many distinct files, modules and functions the ranking holds: the length of each list if "
        "it were not cut at limit."))
    fusion: str = Field("hand", description=(
        "How the signals were combined: 'learned' (the shipped ranking model) or 'hand' (weighted "
        "reciprocal ranks, when no model is usable)."))
    seconds: float
    index: IndexInfo


class SearchResult(BaseModel):
    results: list[Hit]
    page: Page
    notes: list[str]
    index: IndexInfo


class RepoMapResult(BaseModel):
    text: str = Field(description="One line per file, then its key symbols with signature and [start-end] lines.")
    files: list[str]
    tokens: int = Field(description="Estimated size of text in tokens (at most the budget).")
    truncated: bool = Field(description="True when less important files or symbols were left out; raise "
                                        "budget_tokens or set focus.")
    notes: list[str] = Field(default_factory=list,
                             description="Caveats, e.g. that nothing matched focus, so the map is unfocused.")
    index: IndexInfo


class SymbolInfo(BaseModel):
    id: str
    kind: str
    name: str
    qualname: str | None = None
    path: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    signature: str | None = None
    doc: str | None = None


class SchematicResult(BaseModel):
    path: str
    symbols: list[SymbolInfo]
    notes: list[str] = Field(default_factory=list, description="What the answer leaves out or could not "
                                                               "know, and what was searched when it is empty.")
    index: IndexInfo


class SymbolList(BaseModel):
    symbols: list[SymbolInfo]
    page: Page
    notes: list[str] = Field(default_factory=list, description="What the answer leaves out or could not "
                                                               "know, and what was searched when it is empty.")
    index: IndexInfo


class SourceResult(BaseModel):
    path: str
    start_line: int
    end_line: int
    total_lines: int = Field(description="Lines in the whole file.")
    text: str = Field(description="The lines, each prefixed by its number and a tab.")
    next_start_line: int | None = Field(description="Pass as start_line to read on; None when the range is done.")
    symbol: SymbolInfo | None = Field(default=None, description="The symbol read (read_symbol only).")
    index: IndexInfo | None = None


class Related(BaseModel):
    """A node reached from the one asked about."""

    id: str
    kind: str | None = None
    name: str | None = None
    path: str | None = None
    line: int | None = Field(default=None, description="Line in path of the use (callers, references, "
                                                       "impact) or of the definition (callees, hierarchy).")
    depth: int | None = Field(default=None, description="Steps from the node asked about.")
    edge: str | None = Field(default=None, description="CALLS, REFERENCES, INHERITS or IMPORTS.")
    resolution: str | None = Field(default=None, description="exact, inferred, external or unresolved: how "
                                                             "sure the graph is of the link.")
    via: str | None = Field(default=None, description="The node next to it on the way from the symbol asked "
                                                      "about: what it calls or uses (callers, impact), or what "
                                                      "calls it (callees).")
    site: str | None = Field(default=None, description="Where the call or use is written, path:line.")
    written: str | None = Field(default=None, description="The expression as written at the use, e.g. "
                                                          "state.add_url_rule.")


class Unresolved(BaseModel):
    """Uses of the symbol's name that the graph could not tie to any definition: each may be a
    use of this symbol, so the resolved list can miss up to this many."""

    name: str = Field(description="The name as used.")
    total: int = Field(description="How many such uses there are.")
    sites: list[Related] = Field(description="Where they are (the first 20 by path and line).")


class RelatedList(BaseModel):
    symbol: SymbolInfo | None = Field(description="The node asked about.")
    items: list[Related]
    files: list[str] = Field(default_factory=list, description="Distinct files of all items (impact).")
    page: Page
    unresolved: Unresolved | None = Field(default=None, description="Uses of the same name that stayed "
                                          "unresolved, when there are any: the list above may miss these.")
    notes: list[str] = Field(default_factory=list, description="What the answer leaves out or could not "
                                                               "know, and what was searched when it is empty.")
    index: IndexInfo


class HierarchyResult(BaseModel):
    symbol: SymbolInfo
    superclasses: list[Related]
    subclasses: list[Related]
    truncated: bool
    notes: list[str] = Field(default_factory=list, description="What the answer leaves out or could not "
                                                               "know, and what was searched when it is empty.")
    index: IndexInfo


class CallPathResult(BaseModel):
    found: bool
    path: list[SymbolInfo] = Field(description="The chain from source to target, when found.")
    notes: list[str] = Field(default_factory=list, description="What the answer leaves out or could not "
                                                               "know, and what was searched when it is empty.")
    index: IndexInfo


class Rows(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    page: Page
    notes: list[str] = Field(default_factory=list, description="What the answer leaves out or could not "
                                                               "know, and what was searched when it is empty.")
    index: IndexInfo


class QueryInfo(BaseModel):
    name: str
    purpose: str
    params: list[dict[str, Any]]
    returns: list[str]


class QueryCatalogue(BaseModel):
    queries: list[QueryInfo]


class StatusResult(BaseModel):
    served: list[str] = Field(description="Names of all repositories this server answers for.")
    root: str
    db_dir: str
    backend: str
    files: int
    fresh: bool
    pending: dict[str, list[str]] = Field(description="added, modified and deleted files since the index was made "
                                                      "(at most 50 each).")
    pending_counts: dict[str, int]
    counts: list[dict[str, Any]] = Field(description="Nodes per kind and edges per type.")
    skipped: list[dict[str, str]] = Field(default_factory=list, description="Files not indexed, with the reason "
                                          "(binary, too large, over the per-file parse budget); at most 50.")
    partial: list[dict[str, str]] = Field(default_factory=list, description="Files indexed in part, with what was "
                                          "left out (syntax errors, code nested too deep); at most 50.")
    problem_counts: dict[str, int] = Field(default_factory=dict, description="How many files are skipped and "
                                           "partial in all.")
    search: dict[str, Any] = Field(default_factory=dict, description=(
        "The search indexes behind localize, search_code and repo_map: built, fresh (they match the graph), units, "
        "semantic (the embedding model; null without semantic search), updated_at, and costs: seconds per part of "
        "the update that made them (graph, units, graph adjacency, lexical, dense, save)."))
    index: IndexInfo


class ReindexResult(BaseModel):
    mode: str = Field(description="What happened to the graph: full, incremental or unchanged.")
    seconds: float = Field(description="The whole update: graph and search indexes.")
    files: int
    parsed: int
    added: int
    modified: int
    deleted: int
    skipped: int
    graph_seconds: float = 0.0
    search: dict[str, Any] | None = Field(default=None, description=(
        "The search indexes: mode (full, incremental, unchanged), units, units_changed, embedded (texts that "
        "went through the model), dense, seconds per part (units, graph, lexical, dense, save), fresh."))
    notes: list[str] = Field(default_factory=list)
    index: IndexInfo
