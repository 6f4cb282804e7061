"""The CLI's text rendering of tool answers, and its wording of what they suggest.

Every answer model of :mod:`server.models` has a renderer here that shows everything its JSON
holds that a reader needs: lists as aligned tables, notes, what was left out and how to go
on, and a warning when the index lags the files. Answers and errors name tools and
arguments the way the MCP surface reads them (`` `find_symbol` with `mode=contains` ``);
:func:`cli_wording` turns those into the CLI's commands and options
(`` `repolens find-symbol` with `--mode contains` ``), so each surface speaks its own language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from server import models as m
from server.tools import RepolensTools

TOOL_NAMES = frozenset(RepolensTools.all_names())
"""The tools by their MCP names."""

_SPAN = re.compile(r"`([^`\n]+)`")
_ARGUMENT = re.compile(r"^([a-z][a-z_]*)=(.*)$")
_FLAG_WORD = re.compile(r"^[a-z]+(?:_[a-z]+)+$")


def cli_wording(text: str) -> str:
    """``text`` with each back-quoted tool name or argument in CLI terms: `` `search_code` `` →
    `` `repolens search-code` ``, `` `mode=contains` `` → `` `--mode contains` ``,
    `` `include=docs,tests` `` → `` `--include docs --include tests` ``, `` `rebuild=true` `` →
    `` `--rebuild` ``, `` `budget_tokens` `` → `` `--budget-tokens` ``. Other spans stay as written."""
    def word(match: re.Match[str]) -> str:
        span = match.group(1)
        if span in TOOL_NAMES:
            return f"`repolens {span.replace('_', '-')}`"
        argument = _ARGUMENT.match(span)
        if argument:
            name, value = argument.group(1), argument.group(2)
            flag = "--" + name.replace("_", "-")
            if value in ("true", "false"):
                return f"`{flag}`" if value == "true" else f"`--no-{name.replace('_', '-')}`"
            values = value.split(",") if "," in value and " " not in value else [value]
            return "`" + " ".join(f"{flag} {v}" for v in values) + "`"
        if _FLAG_WORD.match(span):
            return f"`--{span.replace('_', '-')}`"
        return match.group(0)

    return _SPAN.sub(word, text)


# -- building blocks -----------------------------------------------------------------------
def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "  ") -> list[str]:
    """Rows as left-aligned columns under ``headers`` (the last column is not padded)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[k]) for r in cells]) for k, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        padded = [v.ljust(widths[k]) if k < len(values) - 1 else v for k, v in enumerate(values)]
        return (indent + "  ".join(padded)).rstrip()

    return [line(list(headers))] + [line(r) for r in cells]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value).replace("\n", " ")


def _where(path: str | None, start: int | None, end: int | None = None) -> str:
    if not path:
        return ""
    if start and end and end != start:
        return f"{path}:{start}-{end}"
    return f"{path}:{start}" if start else path


def _name(item: Any) -> str:
    return getattr(item, "qualname", None) or item.name or item.id


def _notes(notes: Sequence[str]) -> list[str]:
    return [f"note: {cli_wording(n)}" for n in notes]


def _page(page: m.Page, shown: int, noun: str) -> list[str]:
    """``showing 1-10 of 15 symbols; next: --offset 10`` when a list is cut or paged."""
    total = f"{page.total}" if page.total_exact else f"at least {page.total}"
    if not page.truncated and not page.offset:
        return [f"{total} {noun}"] if shown > 1 else []
    first, last = page.offset + 1, page.offset + shown
    where = f"showing {first}-{last} of {total} {noun}" if shown else f"none shown of {total} {noun}"
    if page.next_offset is not None:
        where += f"; next page: --offset {page.next_offset}"
    elif page.truncated:
        where += "; more exist than can be counted: narrow the question"
    return [where]


def _freshness(info: m.IndexInfo | None) -> list[str]:
    """A warning when the index is known to lag the files."""
    if info is None or not info.stale:
        return []
    changed = f"{info.pending_files} file{'s' if info.pending_files != 1 else ''}" if info.pending_files else "files"
    return [f"warning: the index of {info.repo} is stale ({changed} changed since it was built); "
            "run `repolens index` to update it"]


# -- one renderer per answer ---------------------------------------------------------------
def _hits(title: str, hits: Sequence[m.Hit], with_kind: bool, total: int | None = None) -> list[str]:
    if not hits:
        return []
    headers = ["#", "score", *(["kind"] if with_kind else []), "where", "why"]
    rows = []
    for rank, h in enumerate(hits, 1):
        where = f"{h.path}:{h.name}" if h.name else h.path
        where += f" [{h.start_line}-{h.end_line}]" if h.name else ""
        rows.append([rank, h.score, *([h.kind] if with_kind else []), where, "; ".join(h.evidence[:4])])
    count = f" the best {len(hits)} of {total}" if total is not None and total > len(hits) else ""
    return [f"{title}:{count}", *table(headers, rows)]


def _localize(r: m.LocalizeResult) -> list[str]:
    out = []
    for title, hits, with_kind, key in (("files", r.files, False, "files"),
                                        ("modules (top-level classes and functions)", r.modules, True, "modules"),
                                        ("functions, methods and classes", r.functions, True, "functions")):
        out += _hits(title, hits, with_kind, r.totals.get(key))
    if not (r.files or r.functions):
        out.append("nothing found")
    ranked = "a learned ranking model" if r.fusion == "learned" else "hand-set weights"
    return out + _notes(r.notes) + [f"({r.seconds:.2f} s; signals combined by {ranked})"]


def _search(r: m.SearchResult) -> list[str]:
    out = _hits("results", r.results, True) if r.results else ["nothing found"]
    return out + _page(r.page, len(r.results), "results") + _notes(r.notes)


def _repo_map(r: m.RepoMapResult) -> list[str]:
    out = [r.text] if r.text else ["(empty map)"]
    size = f"about {r.tokens} tokens, {len(r.files)} files"
    if r.truncated:
        size += "; less important files and symbols were left out: raise `budget_tokens` or set `focus`"
    return [*out, cli_wording(f"({size})"), *_notes(r.notes)]


def _symbol_header(s: m.SymbolInfo) -> list[str]:
    out = [f"{s.kind} {_name(s)}  {_where(s.path, s.start_line, s.end_line)}".rstrip()]
    if s.signature:
        out.append(f"  {s.signature}")
    if s.doc:
        out.append(f"  \"{s.doc}\"")
    return out


def _schematic(r: m.SchematicResult) -> list[str]:
    out = [f"{r.path}: {len(r.symbols)} classes and functions" if r.symbols else f"{r.path}: no classes or "
           "functions"]
    for s in r.symbols:
        depth = (s.qualname or s.name).count(".")
        pad = "  " * (depth + 1)
        out.append(f"{pad}{s.signature or f'{s.kind} {s.name}'}  [{s.start_line}-{s.end_line}]")
        if s.doc:
            out.append(f"{pad}    {s.doc}")
    return out + _notes(r.notes)


def _symbols(r: m.SymbolList) -> list[str]:
    rows = [[s.kind, _name(s), _where(s.path, s.start_line, s.end_line), s.signature or ""] for s in r.symbols]
    out = table(["kind", "name", "where", "signature"], rows, indent="") if rows else []
    return out + _page(r.page, len(r.symbols), "symbols") + _notes(r.notes)


def _source(r: m.SourceResult) -> list[str]:
    out = _symbol_header(r.symbol) if r.symbol else []
    out += [f"{r.path}: lines {r.start_line}-{r.end_line} of {r.total_lines}", r.text]
    if r.next_start_line is not None:
        what = f"repolens read-symbol {r.symbol.id}" if r.symbol else f"repolens read-file {r.path}"
        out.append(f"… more: `{what} --start-line {r.next_start_line}`")
    return out


def _related(r: m.RelatedList) -> list[str]:
    out = _symbol_header(r.symbol) if r.symbol else []
    if r.items:
        show_depth = any((i.depth or 1) > 1 for i in r.items)
        rows = [[*([i.depth] if show_depth else []), i.edge or "", i.resolution or "", i.kind or "",
                 _where(i.path, i.line), i.name if i.kind != "file" else "",
                 i.written or (i.via if show_depth or i.edge != "CALLS" else "") or ""]
                for i in r.items]
        out += table([*(["depth"] if show_depth else []), "edge", "resolution", "kind", "where", "name", "via"],
                     rows)
    out += _page(r.page, len(r.items), "items")
    if r.files and len(r.files) > 1:
        out.append(f"in {len(r.files)} files: " + ", ".join(r.files[:20]) + (" …" if len(r.files) > 20 else ""))
    if r.unresolved:
        u = r.unresolved
        out.append(f"unresolved uses of {u.name} ({u.total}; may be uses of this symbol):")
        out += table(["where", "in", "as written"], [[_where(s.path, s.line), s.name or s.id, s.written or ""]
                                                     for s in u.sites])
        if u.total > len(u.sites):
            out.append(f"  … {u.total - len(u.sites)} more (--json lists the first {len(u.sites)} too)")
    return out + _notes(r.notes)


def _hierarchy(r: m.HierarchyResult) -> list[str]:
    out = _symbol_header(r.symbol)
    for title, items in (("superclasses", r.superclasses), ("subclasses", r.subclasses)):
        out.append(f"{title}:" if items else f"{title}: none")
        out += [f"{'  ' * (i.depth or 1)}{i.name}  {_where(i.path, i.line) or i.id}" for i in items]
    if r.truncated:
        out.append("… more classes than the limit: raise `limit`")
    return out + _notes(r.notes)


def _call_path(r: m.CallPathResult) -> list[str]:
    if not r.found:
        return ["no chain of calls found", *_notes(r.notes)]
    return [f"{'  ' * k}{'→ ' if k else ''}{_name(s)}  {_where(s.path, s.start_line)}"
            for k, s in enumerate(r.path)] + _notes(r.notes)


def _rows(r: m.Rows) -> list[str]:
    if not r.rows:
        return ["(no rows)", *_notes(r.notes)]
    out = ["\t".join(r.columns)]
    out += ["\t".join(_cell(v) for v in row.values()) for row in r.rows]
    return out + _page(r.page, len(r.rows), "rows") + _notes(r.notes)


def _catalogue(r: m.QueryCatalogue) -> list[str]:
    out = []
    for q in r.queries:
        out.append(f"{q.name}: {q.purpose}")
        for p in q.params:
            default = "" if p["required"] else f" (default {p['default']!r})"
            out.append(f"    -p {p['name']}=…  {p['type']}{default}: {p['description']}")
        out.append(f"    returns {', '.join(q.returns)}")
    return out


def _search_line(search: dict[str, Any]) -> str:
    if not search.get("built"):
        return "not built (repolens index builds it)"
    costs = ", ".join(f"{part} {seconds:.2f}s" for part, seconds in search.get("costs", {}).items())
    return (f"{'fresh' if search.get('fresh') else 'behind the graph'}, {search.get('units', 0)} units, "
            + (f"semantic ({search['semantic']})" if search.get("semantic") else "no semantic index")
            + (f"; last update: {costs}" if costs else ""))


def _status(r: m.StatusResult) -> list[str]:
    i = r.index
    out = [f"repository   {i.repo} ({r.root})", f"index        {r.db_dir} on {r.backend}",
           f"indexed at   {i.indexed_at or 'unknown'}" + (f" from commit {i.commit[:12]}" if i.commit else ""),
           f"checked out  {i.head[:12] if i.head else 'no git commit'}",
           f"files        {r.files}", f"fresh        {'yes' if r.fresh else 'no'}"
           + ("" if r.fresh else " (" + ", ".join(f"{n} {k}" for k, n in r.pending_counts.items() if n) + ")")]
    out.append("search       " + _search_line(r.search))
    if len(r.served) > 1:
        out.append(f"served       {', '.join(r.served)}")
    for kind, paths in r.pending.items():
        out += [f"  {kind}: {p}" for p in paths]
        if r.pending_counts.get(kind, 0) > len(paths):
            out.append(f"  … {r.pending_counts[kind] - len(paths)} more {kind}")
    nodes = [c for c in r.counts if c.get("element") == "node"]
    edges = [c for c in r.counts if c.get("element") != "node"]
    out += ["nodes        " + ", ".join(f"{c['type']} {c['count']}" for c in nodes),
            "edges        " + ", ".join(f"{c['type']} {c['count']}" for c in edges)]
    for title, items in (("skipped", r.skipped), ("partial", r.partial)):
        count = r.problem_counts.get(title, len(items))
        if count:
            out.append(f"{title} files ({count}):")
            out += [f"  {x.get('path', '')}: {x.get('reason') or x.get('error') or ''}" for x in items]
            if count > len(items):
                out.append(f"  … {count - len(items)} more")
    if i.watching:
        out.append(f"watching     yes ({i.watch_mode or 'unknown'}): changed files are re-indexed as they change")
    return out


def _reindex(r: m.ReindexResult) -> list[str]:
    return [f"{r.mode} re-index in {r.seconds:.2f} s: {r.files} files, {r.parsed} parsed ({r.added} added, "
            f"{r.modified} modified, {r.deleted} deleted), {r.skipped} skipped"]


RENDERERS: dict[type[BaseModel], Callable[[Any], list[str]]] = {
    m.LocalizeResult: _localize, m.SearchResult: _search, m.RepoMapResult: _repo_map,
    m.SchematicResult: _schematic, m.SymbolList: _symbols, m.SourceResult: _source, m.RelatedList: _related,
    m.HierarchyResult: _hierarchy, m.CallPathResult: _call_path, m.Rows: _rows, m.QueryCatalogue: _catalogue,
    m.StatusResult: _status, m.ReindexResult: _reindex,
}


def render(model: BaseModel) -> str:
    """``model`` as text for a terminal: the renderer of its type, then a warning when the
    index behind it is stale."""
    renderer = RENDERERS.get(type(model))
    if renderer is None:
        raise TypeError(f"no text rendering for {type(model).__name__}")
    lines = renderer(model)
    if not isinstance(model, m.StatusResult):
        lines += _freshness(getattr(model, "index", None))
    return "\n".join(lines)
