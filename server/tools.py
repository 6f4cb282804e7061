"""The tools: one typed method per capability, shared by the MCP server and the CLI.

Each method checks its input, calls the library (``queries``), and returns a pydantic model
from :mod:`server.models`. Parameters are ``Annotated`` with a description and bounds: the MCP
SDK turns them into the schema a model reads, and :mod:`server.cli` into command options, so
both surfaces take the same parameters. Docstrings are read by models: they say what comes
back, when to use the tool, and what it costs. Errors are ValueError (or IndexNotReady, a
StoreError) with a message that says what exists and what to try.
"""

import fnmatch
import re
from dataclasses import replace
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field

from indexer.index import IndexNotReady
from indexer.search.units import CodeRole, is_test_path
from indexer.store.base import QueryResult, ReadOnlyViolation, StoreError
from queries import navigation as nav
from queries.readonly import check_read_only, strip_literals_and_comments
from queries.registry import load_queries, run_named
from server.models import (
    CallPathResult,
    HierarchyResult,
    Hit,
    IndexInfo,
    LocalizeResult,
    Page,
    QueryCatalogue,
    QueryInfo,
    ReindexResult,
    Related,
    RelatedList,
    RepoMapResult,
    Rows,
    SchematicResult,
    SearchResult,
    SourceResult,
    StatusResult,
    SymbolInfo,
    SymbolList,
    Unresolved,
)
from server.workspace import Repo, Workspace

EXPECTED_ERRORS = (ValueError, IndexNotReady, StoreError, ReadOnlyViolation, FileNotFoundError, PermissionError)
"""What a tool may raise on bad input or a missing index: reported to the caller as an error
with its message. Anything else is a bug."""

CYPHER_TIMEOUT_MS = 10_000
MAX_LIMIT = 500
MAX_COUNT = 5000
"""Name lookups count matches up to this many; beyond it the total is a lower bound."""

Repository = Annotated[str | None, Field(
    description="Which served repository: its name (see index_status) or path. Optional when one is served.")]
SymbolRef = Annotated[str, Field(
    min_length=1, max_length=500,
    description="A symbol: an id such as pkg/core.py::Engine.run (as other tools return), pkg/core.py:Engine.run, "
                "a qualified name Engine.run, a dotted path pkg.core.Engine.run, or a bare name if unique.")]
FilePath = Annotated[str, Field(min_length=1, max_length=1000,
                                description="A file path relative to the repository root, e.g. src/pkg/core.py.")]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="At most this many items in the answer.")]
Offset = Annotated[int, Field(ge=0, description="Skip this many items (from a previous answer's next_offset).")]
Depth = Annotated[int, Field(ge=1, le=5, description="How many steps to follow (1 = direct only).")]
LanguageName = Annotated[str | None, Field(
    max_length=40, description="Only code of this language: python, javascript, typescript, tsx, java, kotlin, go, "
                               "rust, c, cpp, csharp, ruby or php.")]


def known_language(name: str | None) -> str | None:
    """``name`` when it is an indexed language (any case), None for none; ValueError naming the
    languages otherwise."""
    if not name:
        return None
    from indexer.languages import LANGUAGES

    if name.lower() not in LANGUAGES:
        raise ValueError(f"unknown language {name!r}; the indexed languages are {', '.join(sorted(LANGUAGES))}")
    return name.lower()

T = TypeVar("T")


def page(items: list[T], offset: int, limit: int, exact: bool = True) -> tuple[list[T], Page]:
    """Items ``offset``..``offset+limit`` and where they stand; ``exact`` is False when
    ``items`` stopped at a cap, so that their number is a lower bound."""
    chosen = items[offset: offset + limit]
    end = offset + len(chosen)
    more = end < len(items) or not exact
    return chosen, Page(total=len(items), total_exact=exact, offset=offset, truncated=more,
                        next_offset=end if end < len(items) else None)


def _past_end(where: Page, shown: int) -> list[str]:
    """A note when ``offset`` is past the last item, so that an empty page is not read as
    "nothing found"."""
    if shown or not where.offset or where.offset < where.total:
        return []
    return [f"offset {where.offset} is past the end: there are {where.total} items; start again with `offset=0`"]


def _symbol(row: dict[str, Any]) -> SymbolInfo:
    return SymbolInfo.model_validate({k: row[k] for k in SymbolInfo.model_fields if k in row})


def _hit(h: Any) -> Hit:
    return Hit(id=h.id, path=h.path, name=h.name, kind=h.kind, score=h.score, start_line=h.start_line,
               end_line=h.end_line, evidence=list(h.evidence))


class RepolensTools:
    """The tool methods, bound to the served repositories."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def _repo(self, repo: str | None) -> Repo:
        return self.workspace.get(repo)

    def _info(self, repo: Repo) -> IndexInfo:
        f = repo.freshness()
        return IndexInfo(repo=repo.name, indexed_at=f.indexed_at, commit=f.commit, head=f.head,
                         watching=f.watching, watch_mode=f.watch_mode, pending_files=f.pending_files,
                         stale=f.stale)

    def _resolve(self, repo: Repo, symbol: str, kinds: tuple[str, ...] = ()) -> dict[str, Any]:
        with repo.store() as store:
            return nav.resolve_symbol(store, symbol, kinds)

    # -- localization ----------------------------------------------------------------------
    def localize(
        self,
        text: Annotated[str, Field(min_length=1, max_length=100_000,
                                   description="The issue: title, description, stack traces, error messages.")],
        limit: Annotated[int, Field(ge=1, le=50, description="How many files, modules and functions to return.")] = 10,
        repo: Repository = None,
    ) -> LocalizeResult:
        """Where in the repository must the change for an issue go? Start here for a bug report or a
        feature request. Ranks files, then top-level classes/functions (modules), then functions and
        methods with line spans, each with the evidence that put it there (names and stack frames found
        in the text, lexical and semantic similarity, graph neighbours). Deterministic, no LLM inside;
        10-300 ms in a running server (a fresh process first loads the search indexes and the
        embedding model: about 10 s). Then read the top functions with read_symbol."""
        from queries.localize import LocalizeOptions
        from queries.localize import localize as run_localize

        r = self._repo(repo)
        options = LocalizeOptions(files=limit, modules=limit, functions=limit)
        result = run_localize(r.context(), text, options)
        return LocalizeResult(files=[_hit(h) for h in result.files], modules=[_hit(h) for h in result.modules],
                              functions=[_hit(h) for h in result.functions], notes=result.notes,
                              totals=result.totals, fusion=result.fusion, seconds=result.seconds,
                              index=self._info(r))

    def search_code(
        self,
        query: Annotated[str, Field(min_length=1, max_length=10_000,
                                    description="What you look for, in words or identifiers, e.g. "
                                                "'where are HTTP retries configured'.")],
        limit: Limit = 10,
        offset: Offset = 0,
        include_tests: Annotated[bool, Field(description="Also rank test code as high as other code.")] = True,
        language: LanguageName = None,
        repo: Repository = None,
    ) -> SearchResult:
        """Hybrid code search for a free-text question: names, BM25 keywords, embeddings and the call
        graph fused into one ranking of functions, methods and classes with line spans. Use it when you
        know what the code does but not what it is called; use find_symbol when you know the name.
        10-300 ms in a running server (a fresh process first loads the embedding model: about 10 s)."""
        from queries.localize import LocalizeOptions
        from queries.localize import localize as run_localize

        r = self._repo(repo)
        options = LocalizeOptions(functions=offset + limit)
        if language:
            options = replace(options, languages=(str(known_language(language)),))
        if include_tests:
            options = replace(options, test_penalty=1.0)
        result = run_localize(r.context(), query, options)
        hits = [_hit(h) for h in result.functions[offset:]]
        total = result.totals["functions"]
        where = Page(total=total, offset=offset, truncated=offset + len(hits) < total,
                     next_offset=offset + len(hits) if offset + len(hits) < total else None)
        return SearchResult(results=hits, page=where, notes=result.notes + _past_end(where, len(hits)),
                            index=self._info(r))

    def repo_map(
        self,
        budget_tokens: Annotated[int, Field(ge=64, le=20_000,
                                            description="Upper bound on the map's size in tokens.")] = 1024,
        focus: Annotated[str | None, Field(max_length=10_000,
                                           description="A path prefix, a symbol or free text to centre the map "
                                                       "on; omit for the whole repository.")] = None,
        include: Annotated[list[Literal["tests", "examples", "docs", "vendored"]] | None,
                           Field(description="Also map these files, left out by default: tests, examples, "
                                             "documentation, third-party code copied into the tree.")] = None,
        repo: Repository = None,
    ) -> RepoMapResult:
        """A map of the repository: the most important files of the project's own code (by graph
        centrality, or near focus) with their key classes and functions, signatures and line spans,
        trimmed to budget_tokens. Tests, examples, docs and vendored code are left out unless included
        (or focus is a path inside them). Read it first in an unfamiliar repository. notes says what was
        left out and when focus matched nothing. Cheap (tens of ms)."""
        from queries.repomap import DEFAULT_ROLES
        from queries.repomap import repo_map as build_repo_map

        r = self._repo(repo)
        roles = DEFAULT_ROLES | {CodeRole(role) for role in include or ()}
        result = build_repo_map(r.context(), budget_tokens, _map_focus(r, focus), roles)
        return RepoMapResult(text=result.text, files=result.files, tokens=result.tokens,
                             truncated=result.truncated, notes=result.notes, index=self._info(r))

    def file_schematic(self, path: FilePath, repo: Repository = None) -> SchematicResult:
        """Every class, function and method of one file with signature, line span and first docstring
        line, in source order: the outline to read before opening a long file. Cheap."""
        from queries.repomap import file_schematic as build_schematic

        r = self._repo(repo)
        _, relative = nav.safe_path(r.root, path)
        result = build_schematic(r.context(), relative)
        notes = [] if result.symbols else [f"no class, function or method is defined in {result.path}"]
        return SchematicResult(path=result.path, index=self._info(r), notes=notes, symbols=[
            SymbolInfo(id=s.id, kind=s.kind, name=s.qualname.rsplit(".", 1)[-1], qualname=s.qualname,
                       path=result.path, start_line=s.start_line, end_line=s.end_line, signature=s.signature,
                       doc=s.doc) for s in result.symbols])

    # -- navigation ------------------------------------------------------------------------
    def find_symbol(
        self,
        name: Annotated[str, Field(min_length=1, max_length=500, description="The name, or part of it.")],
        mode: Annotated[Literal["exact", "prefix", "contains"],
                        Field(description="exact: the name or qualified name (Engine.run), case-sensitive; "
                                          "prefix / contains: part of the name, any case.")] = "exact",
        kind: Annotated[Literal["any", "class", "function", "method", "external", "unresolved"],
                        Field(description="Only symbols of this kind.")] = "any",
        language: LanguageName = None,
        limit: Limit = 20,
        offset: Offset = 0,
        repo: Repository = None,
    ) -> SymbolList:
        """Find classes, functions and methods (and external library symbols) by name, with file, line
        span and signature; shorter names first. Use the returned id with the other tools. Cheap."""
        r = self._repo(repo)
        with r.store() as store:
            rows = run_named(store, "find_symbol", {"name": name, "mode": mode, "kind": "" if kind == "any" else kind,
                                                    "language": known_language(language) or "",
                                                    "limit": MAX_COUNT}).records()
        chosen, where = page([_symbol(row) for row in rows], offset, limit, exact=len(rows) < MAX_COUNT)
        notes = [] if rows else [_no_symbol(name, mode, kind)]
        return SymbolList(symbols=chosen, page=where, notes=notes + _past_end(where, len(chosen)),
                          index=self._info(r))

    def read_symbol(
        self,
        symbol: SymbolRef,
        start_line: Annotated[int | None, Field(ge=1, description="Start reading at this file line (to page "
                                                                  "through a long symbol); default: its first "
                                                                  "line.")] = None,
        max_lines: Annotated[int, Field(ge=1, le=2000, description="At most this many lines.")] = 200,
        repo: Repository = None,
    ) -> SourceResult:
        """The source of a class, function or method, with line numbers, and its signature and
        docstring line. Long symbols come in pages: pass next_start_line as start_line. Cheap."""
        r = self._repo(repo)
        row = self._resolve(r, symbol)
        if not row.get("path") or not row.get("start_line"):
            why = ("not defined in this repository" if row["kind"] in ("external", "unresolved")
                   else "not a file, class or function")
            raise ValueError(f"{row['id']} is {row['kind']}, {why}, so it has no source")
        first = start_line or row["start_line"]
        end = row["end_line"] or row["start_line"]
        if not row["start_line"] <= first <= end and row["kind"] != "file":
            raise ValueError(f"start_line {first} is outside {row['id']} (lines {row['start_line']}-{end})")
        source = nav.read_lines(r.root, row["path"], first, None if row["kind"] == "file" else end, max_lines)
        return SourceResult(**_source_fields(source), symbol=_symbol(row), index=self._info(r))

    def read_file(
        self,
        path: FilePath,
        start_line: Annotated[int, Field(ge=1, description="First line to read.")] = 1,
        end_line: Annotated[int | None, Field(ge=1, description="Last line to read; default: the end.")] = None,
        max_lines: Annotated[int, Field(ge=1, le=2000, description="At most this many lines per answer.")] = 200,
        repo: Repository = None,
    ) -> SourceResult:
        """Lines of a file, with line numbers, at most max_lines at a time (next_start_line says where
        to go on). Any text file of the repository, indexed or not; paths outside it are refused.
        Prefer read_symbol for one function. Cheap."""
        r = self._repo(repo)
        source = nav.read_lines(r.root, path, start_line, end_line, max_lines)
        return SourceResult(**_source_fields(source), index=self._info(r))

    def callers(self, symbol: SymbolRef, depth: Depth = 1, limit: Limit = 50, offset: Offset = 0,
                repo: Repository = None) -> RelatedList:
        """Who calls this function, method or class (constructor calls), directly or through up to
        depth calls, nearest first, with how sure each link is. Use it before changing a signature.
        Depth 1 is cheap; depth 3+ on a hot function can take a second."""
        return self._walk("callers", symbol, depth, limit, offset, repo)

    def callees(self, symbol: SymbolRef, depth: Depth = 1, limit: Limit = 50, offset: Offset = 0,
                repo: Repository = None) -> RelatedList:
        """What this function or method calls, directly or through up to depth calls, including library
        functions (external) and names the graph could not resolve (unresolved). Cheap at depth 1."""
        return self._walk("callees", symbol, depth, limit, offset, repo)

    def _walk(self, direction: str, symbol: str, depth: int, limit: int, offset: int,
              repo: str | None) -> RelatedList:
        r = self._repo(repo)
        row = self._resolve(r, symbol)
        with r.store() as store:
            steps, capped = nav.call_walk(store, row["id"], direction, depth)
            unresolved = _unresolved(store, [row], ("CALLS",)) if direction == "callers" else None
        items = [Related(id=x.id, kind=x.kind, name=x.name, path=x.path,
                         line=x.line if direction == "callers" else x.start_line, depth=x.depth, edge="CALLS",
                         resolution=x.resolution, via=x.via, site=x.site or None, written=x.written or None)
                 for x in steps]
        chosen, where = page(items, offset, limit, exact=not capped)
        notes = _walk_notes(direction, row, depth, items, unresolved) + _past_end(where, len(chosen))
        return RelatedList(symbol=_symbol(row), items=chosen, page=where, unresolved=unresolved, notes=notes,
                           index=self._info(r))

    def call_path(
        self,
        source: SymbolRef,
        target: SymbolRef,
        max_depth: Annotated[int, Field(ge=1, le=6, description="The longest chain of calls to look for.")] = 6,
        repo: Repository = None,
    ) -> CallPathResult:
        """A shortest chain of calls from source to target, if there is one: how does execution get
        from an entry point to a function? Cheap to moderate."""
        r = self._repo(repo)
        start, end = self._resolve(r, source), self._resolve(r, target)
        with r.store() as store:
            rows = run_named(store, "call_path", {"source": start["id"], "target": end["id"],
                                                  "max_depth": max_depth}).records()
        chain = [_symbol(node) for node in rows[0]["path"]] if rows else []
        notes = [] if rows else [f"no chain of at most {max_depth} calls leads from {start['id']} to {end['id']}; "
                                 "see who calls the target with `callers`, or raise `max_depth`"]
        return CallPathResult(found=bool(rows), path=chain, notes=notes, index=self._info(r))

    def references(
        self,
        symbol: SymbolRef,
        edges: Annotated[list[Literal["CALLS", "REFERENCES", "INHERITS", "IMPORTS"]] | None,
                         Field(description="Only uses of these kinds; default all.")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        repo: Repository = None,
    ) -> RelatedList:
        """Every place that uses a symbol or file: calls, references (annotations, arguments,
        assignments, raise/except), subclasses (INHERITS) and imports, with the line of each use,
        sorted by file and line. Resolved through imports and scopes, not by text. Cheap."""
        r = self._repo(repo)
        row = self._resolve(r, symbol)
        kinds = tuple(edges or nav.USE_EDGES)
        with r.store() as store:
            uses = nav.uses_of(store, [row["id"]], kinds)
            unresolved = _unresolved(store, [row], kinds)
        items = [_use(u) for u in uses]
        chosen, where = page(items, offset, limit)
        notes = [] if items else [f"nothing in the graph uses {row['id']} by {_edge_words(kinds)}"]
        notes += _unresolved_note(unresolved) + _past_end(where, len(chosen))
        return RelatedList(symbol=_symbol(row), items=chosen, page=where, unresolved=unresolved, notes=notes,
                           index=self._info(r))

    def class_hierarchy(
        self,
        symbol: SymbolRef,
        direction: Annotated[Literal["up", "down", "both"],
                             Field(description="up: base classes; down: subclasses; both.")] = "both",
        depth: Depth = 5,
        limit: Limit = 100,
        repo: Repository = None,
    ) -> HierarchyResult:
        """Base classes (including library ones such as Exception) and subclasses of a class, to depth
        inheritance steps, nearest first. Cheap."""
        r = self._repo(repo)
        row = self._resolve(r, symbol, ("class",))
        with r.store() as store:
            tree = nav.class_hierarchy(store, row["id"], direction, depth)
        up = [Related(id=x["id"], kind=x.get("kind", "class"), name=x["name"], path=x["path"], line=x["start_line"],
                      depth=x["depth"]) for x in tree["superclasses"]]
        down = [Related(id=x["id"], kind="class", name=x["name"], path=x["path"], line=x["start_line"],
                        depth=x["depth"]) for x in tree["subclasses"]]
        notes = [] if up or down else [f"{row['id']} has no base classes or subclasses in the graph "
                                       f"(direction {direction}, depth {depth})"]
        return HierarchyResult(symbol=_symbol(row), superclasses=up[:limit], subclasses=down[:limit], notes=notes,
                               truncated=len(up) > limit or len(down) > limit, index=self._info(r))

    def imports(
        self,
        path: FilePath,
        direction: Annotated[Literal["of", "by"], Field(description="of: what the file imports; by: which "
                                                                    "files import it or what it defines.")] = "of",
        limit: Limit = 100,
        offset: Offset = 0,
        repo: Repository = None,
    ) -> RelatedList:
        """Imports of a file (files, classes, functions and libraries it imports) or importers of it
        (files that import it or something defined in it), with lines. Cheap."""
        r = self._repo(repo)
        _, relative = nav.safe_path(r.root, path)
        with r.store() as store:
            found = nav.nodes_by_id(store, [relative])
            kind = found[relative]["kind"] if found else None
            if kind != "file":
                what = f"a {kind}, not a file" if kind else "not an indexed file"
                raise nav.NotFoundError(f"{relative!r} is {what}; list files with `repo_map`, or search with "
                                        "`search_code`")
            if direction == "of":
                rows = run_named(store, "imports", {"path": relative}).records()
                items = [Related(id=x["id"], kind=x["kind"], name=x["imported_as"] or x["name"], path=x["path"],
                                 line=x["line"], edge="IMPORTS", resolution=x["resolution"]) for x in rows]
            else:
                rows = run_named(store, "importers", {"path": relative}).records()
                items = [Related(id=x["id"], kind="file", name=x["imported_as"], path=x["id"], line=x["line"],
                                 edge="IMPORTS", via=x["target"]) for x in rows]
        chosen, where = page(items, offset, limit)
        notes = [] if items else [f"{relative} imports nothing" if direction == "of" else
                                  f"no file imports {relative} or anything defined in it"]
        return RelatedList(symbol=_symbol(found[relative]), items=chosen, page=where,
                           notes=notes + _past_end(where, len(chosen)), index=self._info(r))

    def impact(
        self,
        target: Annotated[str, Field(min_length=1, max_length=1000,
                                     description="A symbol (as for read_symbol) or a file path.")],
        depth: Depth = 2,
        include_tests: Annotated[bool, Field(description="Also list test code that depends on it.")] = True,
        path_filter: Annotated[str | None, Field(max_length=500,
                                                 description="Only list items whose path matches this glob, "
                                                             "e.g. src/*.")] = None,
        limit: Limit = 100,
        offset: Offset = 0,
        repo: Repository = None,
    ) -> RelatedList:
        """What may break if a symbol or file changes: everything that depends on it transitively
        (calls, references, subclasses, imports), breadth first to depth, each with its distance and
        what it uses on the way, plus the distinct files. Use before a refactor. Cheap at depth 1-2;
        depth 4-5 on a core module can take seconds and thousands of items (page through them)."""
        r = self._repo(repo)
        with r.store() as store:
            start = self._impact_start(r, store, target)
            found = nav.impact(store, start["ids"], depth)
            unresolved = _unresolved(store, list(nav.nodes_by_id(store, start["ids"]).values()), nav.USE_EDGES)
        nodes = [n for n in found.nodes if (include_tests or not is_test_path(n.path))
                 and (not path_filter or fnmatch.fnmatch(n.path, path_filter))]
        items = [Related(id=n.id, kind=n.kind, name=n.name, path=n.path, line=n.line, depth=n.depth, edge=n.edge,
                         resolution=n.resolution, via=n.target, site=f"{n.path}:{n.line}" if n.line else None)
                 for n in nodes]
        chosen, where = page(items, offset, limit, exact=not found.capped)
        notes = []
        if not items:
            left_out = len(found.nodes)
            notes.append(f"nothing in the graph depends on {start['symbol'].id} within {depth} "
                         f"step{'s' if depth > 1 else ''} (calls, references, subclasses, imports)"
                         + (f"; {left_out} dependents were left out by `include_tests` and `path_filter`"
                            if left_out else ""))
        notes += _unresolved_note(unresolved) + _past_end(where, len(chosen))
        return RelatedList(symbol=start["symbol"], items=chosen, files=sorted({n.path for n in nodes}),
                           page=where, unresolved=unresolved, notes=notes, index=self._info(r))

    def _impact_start(self, repo: Repo, store: Any, target: str) -> dict[str, Any]:
        """The ids whose dependents are sought: a file and everything defined in it, or one symbol."""
        if "::" not in target and ("/" in target or "\\" in target or (repo.root / target).is_file()):
            _, relative = nav.safe_path(repo.root, target)
            rows = nav.nodes_by_id(store, [relative])
            if relative not in rows:
                raise nav.NotFoundError(f"{relative!r} is not an indexed file; list files with `repo_map`")
            return {"ids": nav.file_members(store, relative), "symbol": _symbol(rows[relative])}
        row = nav.resolve_symbol(store, target)
        ids = nav.file_members(store, row["id"]) if row["kind"] == "file" else [row["id"]]
        return {"ids": ids, "symbol": _symbol(row)}

    # -- graph -----------------------------------------------------------------------------
    def cypher(
        self,
        query: Annotated[str, Field(min_length=1, max_length=20_000,
                                    description="One read-only Cypher statement (MATCH ... RETURN ...); use "
                                                "$name parameters. See the repolens://schema resource.")],
        params: Annotated[dict[str, Any] | None, Field(description="Values for the $parameters.")] = None,
        limit: Annotated[int, Field(ge=1, le=1000, description="At most this many rows.")] = 100,
        repo: Repository = None,
    ) -> Rows:
        """Run read-only Cypher on the code graph for questions the other tools do not answer. Labels:
        File, Directory, Class, Function (kind function|method), Symbol (external|unresolved),
        Repository; edges CONTAINS, IMPORTS, CALLS, INHERITS, REFERENCES (read repolens://schema first).
        Writes and procedure calls that write are refused; 10 s time limit; rows capped at limit."""
        check_read_only(query)
        _check_parameters(query, params or {})
        r = self._repo(repo)
        result = r.query(query, params or {}, max_rows=limit, timeout_ms=CYPHER_TIMEOUT_MS)
        return self._rows(r, result, 0, limit)

    def named_query(
        self,
        name: Annotated[str | None, Field(max_length=100, description="The query to run; omit to list them "
                                                                      "with their parameters.")] = None,
        params: Annotated[dict[str, Any] | None, Field(description="The query's parameters by name.")] = None,
        limit: Limit = 100,
        offset: Offset = 0,
        repo: Repository = None,
    ) -> Rows | QueryCatalogue:
        """Run one of the named, parameterised graph queries shipped with repolens (file_outline,
        callers, importers, subclasses, neighbours, stats, ...), or list them with their parameters when
        name is omitted. Cheap."""
        catalogue = load_queries()
        if not name:
            return QueryCatalogue(queries=[QueryInfo(
                name=q.name, purpose=q.purpose, returns=list(q.returns),
                params=[{"name": p.name, "type": p.type, "required": p.required, "default": p.default,
                         "description": p.description} for p in q.params]) for q in catalogue.values()])
        r = self._repo(repo)
        with r.store() as store:
            result = run_named(store, name, params or {})
        return self._rows(r, result, offset, limit)

    def _rows(self, r: Repo, result: QueryResult, offset: int, limit: int) -> Rows:
        records = result.records()
        chosen, where = page(records, offset, limit)
        if result.truncated:
            where.truncated = True
        notes = [] if records else ["the query matched nothing"]
        return Rows(columns=result.columns, rows=chosen, page=where, notes=notes + _past_end(where, len(chosen)),
                    index=self._info(r))

    # -- index -----------------------------------------------------------------------------
    def index_status(self, repo: Repository = None) -> StatusResult:
        """Which repositories are served and how fresh each index is: when and from which commit it was
        built, and which files were added, modified or deleted since (then call reindex). Compares
        each file's stat with the one recorded at index time and hashes only those that differ:
        tens of ms on a large repository."""
        r = self._repo(repo)
        st = r.status()
        with r.store() as store:
            # The query's UNION branches come back in no fixed order.
            counts = sorted(run_named(store, "stats", {}).records(), key=lambda c: (c["element"] != "node", c["type"]))
        return StatusResult(served=list(self.workspace.repos),
                            root=st.root, db_dir=st.db_dir, backend=r.config.describe(), files=st.files,
                            fresh=st.fresh, pending={k: v[:50] for k, v in st.pending.items()},
                            pending_counts={k: len(v) for k, v in st.pending.items()}, counts=counts,
                            skipped=st.skipped[:50], partial=st.partial[:50],
                            problem_counts={"skipped": len(st.skipped), "partial": len(st.partial)},
                            search=st.search, index=self._info(r))

    def reindex(
        self,
        rebuild: Annotated[bool, Field(description="Discard the index and build it from scratch.")] = False,
        repo: Repository = None,
    ) -> ReindexResult:
        """Bring the index up to date with the files on disk: incremental (only changed files are
        parsed; well under a second for a few files), or from scratch with rebuild (minutes on a large
        repository). Other requests wait until it is done and then see the new index."""
        r = self._repo(repo)
        updated = r.reindex(rebuild=rebuild)
        report = updated.graph
        return ReindexResult(mode=report.mode, seconds=updated.seconds, files=report.files, parsed=report.parsed,
                             added=report.added, modified=report.modified, deleted=report.deleted,
                             skipped=len(report.skipped), graph_seconds=report.seconds,
                             search=updated.search, notes=updated.notes, index=self._info(r))

    # -- catalogue -------------------------------------------------------------------------
    READ_ONLY = ("localize", "search_code", "repo_map", "file_schematic", "find_symbol", "read_symbol",
                 "read_file", "callers", "callees", "call_path", "references", "class_hierarchy", "imports",
                 "impact", "cypher", "named_query", "index_status")
    WRITING = ("reindex",)

    @classmethod
    def all_names(cls) -> tuple[str, ...]:
        return (*cls.READ_ONLY, *cls.WRITING)

    def all(self) -> dict[str, Any]:
        """Every tool by name, as bound methods."""
        return {name: getattr(self, name) for name in self.all_names()}


def _check_parameters(query: str, params: dict[str, Any]) -> None:
    """Refuse a query whose ``$parameters`` are not all given: Kùzu reads a missing one in a
    comparison as no condition at all (``WHERE f.name = $name`` matches every function), a
    wrong answer that looks right."""
    used = sorted(set(re.findall(r"\$(\w+)", strip_literals_and_comments(query))))
    missing = [name for name in used if name not in params]
    if missing:
        wanted = ", ".join(f"'{name}': ..." for name in missing)
        raise ValueError(f"the query uses ${', $'.join(missing)} but params has no value for "
                         f"{'it' if len(missing) == 1 else 'them'}; pass params={{{wanted}}}")


def _map_focus(repo: Repo, focus: str | None) -> str | None:
    """``focus`` as repo_map takes it: a path (see looks_like_path) as the repository-relative
    path it resolves to (None for the root itself), refused when it leaves the repository;
    symbols and words as given."""
    from queries.repomap import looks_like_path

    if focus is None or not looks_like_path(focus):
        return focus
    try:
        _, relative = nav.safe_path(repo.root, focus)
    except nav.PathOutsideRepositoryError:
        raise nav.PathOutsideRepositoryError(
            f"focus {focus!r} is a path outside the repository; give a path relative to the repository root "
            "(e.g. src/pkg/), a symbol or words, or omit focus for the whole repository") from None
    return None if relative == "." else relative


def _source_fields(source: nav.SourcePage) -> dict[str, Any]:
    return {"path": source.path, "start_line": source.start_line, "end_line": source.end_line,
            "total_lines": source.total_lines, "text": source.text, "next_start_line": source.next_start_line}


def _no_symbol(name: str, mode: str, kind: str) -> str:
    """What an empty find_symbol searched, and what to try instead."""
    what = "class, function, method or library symbol" if kind == "any" else f"{kind} symbol"
    tries = []
    if mode != "contains":
        tries.append("`mode=contains` to match part of a name")
    if kind != "any":
        tries.append("`kind=any`")
    tries.append("`search_code` to search by what the code does")
    match = "exactly, case-sensitively" if mode == "exact" else f"by {mode}, any case"
    return f"no {what} is named {name!r} (matched {match}); try {', or '.join(tries)}"


MAX_UNRESOLVED_SITES = 20


def _use(u: nav.Use) -> Related:
    return Related(id=u.id, kind=u.kind, name=u.name, path=u.path, line=u.line, edge=u.edge, resolution=u.resolution,
                   via=u.target, site=f"{u.path}:{u.line}" if u.path and u.line else None, written=u.written or None)


def _unresolved(store: Any, rows: list[dict[str, Any]], edges: tuple[str, ...]) -> Unresolved | None:
    """The uses of the names of ``rows`` (classes, functions, methods) that stayed unresolved:
    any of them may be a use the resolved answer misses."""
    names = sorted({row["name"] for row in rows if row.get("kind") in nav.SYMBOL_KINDS and row.get("name")})
    uses = nav.unresolved_uses(store, names, edges)
    if not uses:
        return None
    return Unresolved(name=", ".join(names), total=len(uses), sites=[_use(u) for u in uses[:MAX_UNRESOLVED_SITES]])


def _unresolved_note(unresolved: Unresolved | None) -> list[str]:
    if unresolved is None:
        return []
    uses = f"{unresolved.total} use{'s' if unresolved.total > 1 else ''}"
    return [f"{uses} of the name {unresolved.name} could not be resolved to a definition and may be uses of this "
            "one, so the list may be incomplete; see unresolved for where they are"]


def _walk_notes(direction: str, row: dict[str, Any], depth: int, items: list[Related],
                unresolved: Unresolved | None) -> list[str]:
    notes = []
    if not items:
        steps = f"within {depth} calls" if depth > 1 else "directly"
        notes.append(f"nothing in the graph calls {row['id']} {steps}" if direction == "callers" else
                     f"{row['id']} calls nothing the graph knows of {steps}")
    return notes + _unresolved_note(unresolved)


def _edge_words(edges: tuple[str, ...]) -> str:
    words = {"CALLS": "calls", "REFERENCES": "references", "INHERITS": "subclassing", "IMPORTS": "imports"}
    return ", ".join(words[e] for e in edges)
