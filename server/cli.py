"""The ``repolens`` command line: a thin click layer over the library.

Every command takes ``--json`` and then prints one JSON document on stdout and nothing else
(progress and logs go to stderr). Errors exit with status 1 and a message that says what to
do; under ``--json`` the message is also printed as ``{"error": ...}``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from indexer.index import IndexNotReady, open_store
from indexer.index import status as index_status
from indexer.pipeline import IndexOptions, index_dir, index_repository
from indexer.store.base import QueryResult, ReadOnlyViolation, StoreError
from indexer.store.config import BACKENDS, StoreConfig, load_config, open_graph_store
from indexer.transfer import export_graph, import_graph
from indexer.walk import DEFAULT_MAX_FILE_BYTES, WalkError
from queries.localize import localize as run_localize
from queries.localize import options_from
from queries.readonly import check_read_only
from queries.registry import load_queries, run_named
from queries.repomap import file_schematic, repo_map
from queries.retrieval.context import RetrievalContext, build_context, load_context

log = logging.getLogger("repolens")

EXPECTED_ERRORS = (IndexNotReady, WalkError, StoreError, ReadOnlyViolation, ValueError, OSError)
"""OSError covers FileNotFoundError, which says a search index is missing and how to build it."""

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON only.")
repo_option = click.option("--repo", type=click.Path(path_type=Path), default=Path("."), show_default=True,
                           help="The indexed repository.")
db_option = click.option("--db", "db_dir", type=click.Path(path_type=Path), default=None,
                         help="Index directory (default: REPO/.repolens).")


def store_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--backend`` and ``--repo-id``: which graph store (see indexer.store.config)."""
    command = click.option("--repo-id", default=None,
                           help="Repository id in a shared Neo4j database (default: git origin or "
                                "directory name).")(command)
    return click.option("--backend", type=click.Choice(BACKENDS), default=None,
                        help="Graph store: kuzu (embedded, default) or neo4j (REPOLENS_NEO4J_URI, _USER, "
                             "_PASSWORD, _DATABASE).")(command)


def _config(repo: Path, backend: str | None, repo_id: str | None) -> StoreConfig:
    return load_config(repo.resolve(), backend=backend, repo_id=repo_id)


def _emit(as_json: bool, payload: Any, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(payload, indent=2, default=str))
    else:
        human()


@contextmanager
def _errors(as_json: bool) -> Iterator[None]:
    """Turn expected domain errors into a clean exit 1 (and a JSON error object)."""
    try:
        yield
    except EXPECTED_ERRORS as exc:
        message = str(exc)
        if as_json:
            click.echo(json.dumps({"error": message, "type": type(exc).__name__}))
            sys.exit(1)
        raise click.ClickException(message) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(package_name="repolens")
def main(verbose: int) -> None:
    """repolens: a code graph of your repository, for agents and developers."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("."))
@db_option
@click.option("--max-file-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_FILE_BYTES,
              show_default=True, help="Larger files are skipped (and reported).")
@click.option("--ignore", "ignores", multiple=True, help="Extra gitignore-style pattern (repeatable).")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Parser processes (default: CPUs).")
@click.option("--rebuild", is_flag=True, help="Discard the existing index and build from scratch.")
@click.option("--retrieval/--no-retrieval", default=True, show_default=True,
              help="After the graph, build the search indexes used by localize, map and search.")
@click.option("--embed/--no-embed", default=True, show_default=True,
              help="Include semantic (embedding) search when torch and sentence-transformers are installed.")
@store_options
@json_option
def index(path: Path, db_dir: Path | None, max_file_bytes: int, ignores: tuple[str, ...],
          workers: int | None, rebuild: bool, retrieval: bool, embed: bool, backend: str | None,
          repo_id: str | None, as_json: bool) -> None:
    """Index PATH (default: current directory) into its code graph; later runs are incremental."""
    retrieval_info: dict[str, Any] = {}
    with _errors(as_json), _progress(enabled=not as_json) as progress:
        config = _config(path, backend, repo_id) if path.is_dir() else None
        options = IndexOptions(db_dir=db_dir, max_file_bytes=max_file_bytes, extra_ignores=ignores,
                               workers=workers, rebuild=rebuild, store=config)
        report = index_repository(path, options, progress)
        if retrieval and config is not None:
            retrieval_info = _build_retrieval(Path(report.root), Path(report.db_dir), config, embed, progress)
    payload = {**asdict(report), "retrieval": retrieval_info}

    def human() -> None:
        if report.rebuild_reason:
            click.echo(f"rebuilt: {report.rebuild_reason}")
        click.echo(f"{report.mode} index of {report.root} in {report.seconds:.2f}s -> {report.backend}, "
                   f"state in {report.db_dir}")
        click.echo(f"files: {report.files} (parsed {report.parsed}: {report.added} added, "
                   f"{report.modified} modified; {report.deleted} deleted; {report.resolved} re-resolved)")
        click.echo("nodes: " + ", ".join(f"{k} {v}" for k, v in report.nodes.items()))
        click.echo("edges: " + ", ".join(f"{k} {v}" for k, v in report.edges.items()))
        for item in report.partial:
            click.echo(f"partial: {item['path']}: {item['error']}")
        for item in report.skipped:
            click.echo(f"skipped: {item['path']}: {item['reason']}")
        if retrieval_info:
            click.echo(f"search indexes: {retrieval_info['units']} units in {retrieval_info['seconds']:.2f}s"
                       + "".join(f"; {note}" for note in retrieval_info["notes"]))

    _emit(as_json, payload, human)


def _build_retrieval(root: Path, directory: Path, config: StoreConfig, embed: bool,
                     progress: Callable[[str, int, int], None] | None) -> dict[str, Any]:
    started = time.perf_counter()
    store = open_graph_store(config, directory, read_only=True)
    try:
        graph = store.dump()
    finally:
        store.close()
    ctx = build_context(root, directory, graph, dense=embed, progress=progress)
    return {"units": len(ctx.meta.ids), "dense": ctx.dense is not None, "notes": ctx.notes,
            "seconds": round(time.perf_counter() - started, 3)}


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True, console=None) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


@main.command()
@repo_option
@db_option
@store_options
@json_option
def status(repo: Path, db_dir: Path | None, backend: str | None, repo_id: str | None, as_json: bool) -> None:
    """Where the index is, when it was made, and which files changed since."""
    with _errors(as_json):
        config = _config(repo, backend, repo_id)
        st = index_status(repo, db_dir, config)
        store = open_store(repo, db_dir, config)
        try:
            stats = run_named(store, "stats", {}).records()
        finally:
            store.close()
    payload = {**asdict(st), "fresh": st.fresh, "counts": stats}

    def human() -> None:
        click.echo(f"repository: {st.root}\nindex: {st.db_dir} (schema {st.schema_version})")
        click.echo(f"indexed at: {st.indexed_at}" + (f" (commit {st.commit[:12]})" if st.commit else ""))
        click.echo(f"files: {st.files}; " + ("up to date" if st.fresh else ", ".join(
            f"{len(v)} {k}" for k, v in st.pending.items() if v) + " since; run `repolens index`"))
        for row in stats:
            click.echo("  " + "  ".join(f"{k}={v}" for k, v in row.items()))

    _emit(as_json, payload, human)


@main.command("queries")
@json_option
def list_queries(as_json: bool) -> None:
    """List the named queries with their parameters."""
    catalogue = load_queries()
    payload = [{"name": q.name, "purpose": q.purpose, "returns": list(q.returns),
                "params": [{"name": p.name, "type": p.type, "required": p.required, "default": p.default,
                            "description": p.description} for p in q.params]}
               for q in catalogue.values()]

    def human() -> None:
        for q in catalogue.values():
            click.echo(f"{q.name}({q.signature()})\n    {q.purpose}\n    returns: {', '.join(q.returns)}")

    _emit(as_json, payload, human)


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected key=value, got {pair!r}", param_hint="-p")
        params[key.strip()] = value
    return params


def _print_result(result: QueryResult, as_json: bool) -> None:
    def human() -> None:
        if not result.rows:
            click.echo("(no rows)")
            return
        click.echo("\t".join(result.columns))
        for row in result.rows:
            click.echo("\t".join("" if v is None else json.dumps(v) if isinstance(v, (dict, list)) else str(v)
                                 for v in row))

    _emit(as_json, result.records(), human)


@main.command()
@click.argument("name")
@click.option("-p", "--param", "pairs", multiple=True, metavar="KEY=VALUE", help="A query parameter (repeatable).")
@repo_option
@db_option
@store_options
@json_option
def query(name: str, pairs: tuple[str, ...], repo: Path, db_dir: Path | None, backend: str | None,
          repo_id: str | None, as_json: bool) -> None:
    """Run the named query NAME (see `repolens queries`)."""
    params = _parse_params(pairs)
    with _errors(as_json):
        store = open_store(repo, db_dir, _config(repo, backend, repo_id))
        try:
            result = run_named(store, name, params)
        finally:
            store.close()
    _print_result(result, as_json)


@main.command()
@click.argument("cypher")
@repo_option
@db_option
@store_options
@json_option
def cypher(cypher: str, repo: Path, db_dir: Path | None, backend: str | None, repo_id: str | None,
           as_json: bool) -> None:
    """Run read-only Cypher against the graph; any write clause is refused."""
    with _errors(as_json):
        check_read_only(cypher)
        store = open_store(repo, db_dir, _config(repo, backend, repo_id))
        try:
            result = store.query(cypher)
        finally:
            store.close()
    _print_result(result, as_json)


@main.command("export")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="File to write (JSON lines).")
@repo_option
@db_option
@store_options
@json_option
def export_command(output: Path, repo: Path, db_dir: Path | None, backend: str | None, repo_id: str | None,
                   as_json: bool) -> None:
    """Write the repository's graph as JSON lines, to load into another backend with `import`."""
    with _errors(as_json):
        store = open_store(repo, db_dir, _config(repo, backend, repo_id))
        try:
            with output.open("w", encoding="utf-8") as out:
                report = export_graph(store, out)
        finally:
            store.close()
    payload = {"output": str(output), "nodes": report.nodes, "edges": report.edges}
    _emit(as_json, payload, lambda: click.echo(f"exported {report.nodes} nodes and {report.edges} edges to {output}"))


@main.command("import")
@click.argument("source", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@repo_option
@db_option
@store_options
@json_option
def import_command(source: Path, repo: Path, db_dir: Path | None, backend: str | None, repo_id: str | None,
                   as_json: bool) -> None:
    """Load an export into the chosen backend, replacing that repository's graph there."""
    with _errors(as_json):
        config = _config(repo, backend, repo_id)
        directory = index_dir(repo.resolve(), db_dir)
        directory.mkdir(parents=True, exist_ok=True)
        store = open_graph_store(config, directory)
        try:
            with source.open(encoding="utf-8") as lines:
                report = import_graph(store, lines)
        finally:
            store.close()
    payload = {"source": str(source), "backend": config.describe(), "nodes": report.nodes, "edges": report.edges}
    _emit(as_json, payload, lambda: click.echo(
        f"imported {report.nodes} nodes and {report.edges} edges into {config.describe()}"))


if __name__ == "__main__":
    main()


# -- localization and search ----------------------------------------------------------------
def _context(repo: Path, db_dir: Path | None) -> RetrievalContext:
    root = repo.resolve()
    return load_context(root, index_dir(root, db_dir))


def _hit(h: Any) -> dict[str, Any]:
    return {"id": h.id, "path": h.path, "name": h.name, "kind": h.kind, "score": h.score,
            "start_line": h.start_line, "end_line": h.end_line, "evidence": list(h.evidence)}


@main.command()
@click.argument("text")
@repo_option
@db_option
@click.option("-k", "--top", type=click.IntRange(1, 100), default=10, show_default=True,
              help="How many files, modules and functions to return.")
@click.option("--opt", "opts", multiple=True, metavar="KEY=VALUE",
              help="Tuning and ablation, e.g. no=dense or w.lexical=2 (see queries/localize.py).")
@json_option
def localize(text: str, repo: Path, db_dir: Path | None, top: int, opts: tuple[str, ...], as_json: bool) -> None:
    """Where must the change for an issue go? TEXT is the issue (- reads it from stdin).

    Ranks files, then top-level classes and functions (modules), then functions and methods
    with line spans, each with the evidence that put it there."""
    issue = sys.stdin.read() if text == "-" else text
    with _errors(as_json):
        ctx = _context(repo, db_dir)
        options = options_from([*_parse_params(opts).items(), ("files", str(top)), ("modules", str(top)),
                                ("functions", str(top))])
        result = run_localize(ctx, issue, options)
    payload = {"files": [_hit(h) for h in result.files], "modules": [_hit(h) for h in result.modules],
               "functions": [_hit(h) for h in result.functions], "notes": result.notes,
               "seconds": result.seconds, "found_files": result.found_files,
               "found_modules": result.found_modules, "found_entities": result.found_entities}

    def human() -> None:
        for note in result.notes:
            click.echo(f"note: {note}")
        for title, hits in (("files", result.files), ("modules", result.modules), ("functions", result.functions)):
            click.echo(f"{title}:")
            for h in hits:
                where = h.path if title == "files" else f"{h.path}:{h.name} [{h.start_line}-{h.end_line}]"
                click.echo(f"  {h.score:.4f}  {where}  ({'; '.join(h.evidence[:3])})")

    _emit(as_json, payload, human)


@main.command("search")
@click.argument("query_text", metavar="QUERY")
@repo_option
@db_option
@click.option("-k", "--top", type=click.IntRange(1, 100), default=10, show_default=True,
              help="How many results.")
@json_option
def search_command(query_text: str, repo: Path, db_dir: Path | None, top: int, as_json: bool) -> None:
    """Hybrid code search (names, BM25, embeddings, graph) for a free-text question."""
    with _errors(as_json):
        ctx = _context(repo, db_dir)
        result = run_localize(ctx, query_text, options_from([("functions", str(top)), ("test_penalty", "1")]))
    hits = [_hit(h) for h in result.functions]

    def human() -> None:
        for h in hits:
            click.echo(f"{h['score']:.4f}  {h['path']}:{h['name']} [{h['start_line']}-{h['end_line']}]")

    _emit(as_json, {"results": hits, "notes": result.notes}, human)


@main.command("map")
@repo_option
@db_option
@click.option("--budget", type=click.IntRange(64, 100_000), default=1024, show_default=True,
              help="Upper bound on the map's size in tokens.")
@click.option("--focus", default=None, help="A path, symbol or text to centre the map on.")
@json_option
def map_command(repo: Path, db_dir: Path | None, budget: int, focus: str | None, as_json: bool) -> None:
    """The repository's most important files and symbols, with signatures, within a token budget."""
    with _errors(as_json):
        result = repo_map(_context(repo, db_dir), budget, focus)
    _emit(as_json, asdict(result), lambda: click.echo(result.text))


@main.command()
@click.argument("path")
@repo_option
@db_option
@json_option
def schematic(path: str, repo: Path, db_dir: Path | None, as_json: bool) -> None:
    """Every class and function of the file PATH with signature, line span and docstring line."""
    with _errors(as_json):
        result = file_schematic(_context(repo, db_dir), path)
    def human() -> None:
        for s in result.symbols:
            click.echo(f"{s.start_line:>5}-{s.end_line:<5} {'  ' * s.qualname.count('.')}"
                       f"{s.signature or s.kind + ' ' + s.qualname}" + (f"  # {s.doc}" if s.doc else ""))

    _emit(as_json, asdict(result), human)
