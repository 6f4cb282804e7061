"""The ``repolens`` command line: a thin click layer over the library.

Every command takes ``--json`` and then prints one JSON document on stdout and nothing else
(progress and logs go to stderr). Errors exit with status 1 and a message that says what to
do; under ``--json`` the message is also printed as ``{"error": ...}``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from indexer.store.config import BACKENDS, StoreConfig, load_config
from indexer.walk import DEFAULT_MAX_FILE_BYTES
from server.http import DEFAULT_MAX_BODY_BYTES, MCP_PATH, TOKEN_ENV
from server.mcp_config import CLIENTS, DEFAULT_NAME

if TYPE_CHECKING:
    from pydantic import BaseModel

    from server.tools import RepolensTools

# The library (tree-sitter, numpy, the store, the MCP SDK) loads inside the commands that use
# it, and the tool commands are made when one is asked for (RepolensGroup): `repolens --version`
# and a graph query then do not pay for what they do not use.

log = logging.getLogger("repolens")



def expected_errors() -> tuple[type[BaseException], ...]:
    """What a command reports as a message rather than a traceback: the tools' expected errors,
    a walk that cannot start, and OSError (FileNotFoundError says a search index is missing and
    how to build it)."""
    from indexer.walk import WalkError
    from server.tools import EXPECTED_ERRORS

    return (*EXPECTED_ERRORS, WalkError, OSError)

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
    except Exception as exc:
        if not isinstance(exc, expected_errors()):
            raise
        from server.cli_render import cli_wording

        message = cli_wording(str(exc))
        if as_json:
            click.echo(json.dumps({"error": message, "type": type(exc).__name__}))
            sys.exit(1)
        raise click.ClickException(message) from exc


class RepolensGroup(click.Group):
    """The commands: those defined here, and one per tool (server.cli_tools), made when asked
    for; short names (server.cli_tools.ALIASES) answer as the full ones."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from server.cli_tools import tool_commands

        return sorted({*super().list_commands(ctx), *tool_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        from server.cli_tools import ALIASES, tool_command, tool_commands

        name = ALIASES.get(cmd_name, cmd_name)
        tool = tool_commands().get(name)
        if tool is None:
            return super().get_command(ctx, name)
        command = tool_command(tool, _run_tool)
        self.add_command(command)
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        return (command.name if command else name), command, rest


@click.group(cls=RepolensGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(package_name="repolens")
def main(verbose: int) -> None:
    """repolens: a code graph of your repository, for agents and developers.

    Each command is a new process. Graph commands (find-symbol, callers, impact, ...) answer in
    about a second; localize, search-code and repo-map first load the search indexes and the
    embedding model (about 10 s on a laptop CPU; 1-2 s with --no-embed, without semantic
    search). For many questions, serve the repository once (`repolens serve`, or an MCP client
    set up by `repolens mcp-config`): it keeps everything loaded and answers in 10-300 ms.
    """
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
              help="Include semantic (embedding) search when its runtime (the embeddings extra) is installed.")
@store_options
@json_option
def index(path: Path, db_dir: Path | None, max_file_bytes: int, ignores: tuple[str, ...],
          workers: int | None, rebuild: bool, retrieval: bool, embed: bool, backend: str | None,
          repo_id: str | None, as_json: bool) -> None:
    """Index PATH (default: current directory) into its code graph; later runs are incremental."""
    from indexer.pipeline import IndexOptions
    from indexer.update import SearchOptions, update_index

    with _errors(as_json), _progress(enabled=not as_json) as progress:
        config = _config(path, backend, repo_id) if path.is_dir() else None
        options = IndexOptions(db_dir=db_dir, max_file_bytes=max_file_bytes, extra_ignores=ignores,
                               workers=workers, rebuild=rebuild, store=config)
        updated, _ = update_index(path, options, SearchOptions(enabled=retrieval and config is not None, dense=embed),
                                  progress=progress)
    report, search = updated.graph, updated.search
    payload = updated.as_dict()

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
        if search is not None:
            parts = ", ".join(f"{part} {seconds:.2f}s" for part, seconds in search["seconds"].items())
            click.echo(f"search indexes ({search['mode']}): {search['units']} units, {search['units_changed']} "
                       f"changed, {search['embedded']} embedded; {parts}"
                       + ("" if search["dense"] else "; no semantic index"))
        for note in updated.notes + (search["notes"] if search else []):
            click.echo(f"note: {note}")
        click.echo(f"total {updated.seconds:.2f}s")

    _emit(as_json, payload, human)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """Progress bars on stderr, one per stage, each with its count, rate, elapsed time and
    estimated time left (rate and estimate over rich's last 30 s of updates); nothing unless
    ``enabled`` and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            # rich measures a rate from two updates on; before that, and for a stage done in one
            # step, the average since the stage began
            speed = task.finished_speed or task.speed
            elapsed = task.finished_time if task.finished_time is not None else task.elapsed
            if speed is None and task.completed and elapsed:
                speed = task.completed / elapsed
            rate = "?" if speed is None else f"{speed:,.1f}" if speed < 10 else f"{speed:,.0f}"
            return Text(f"{rate}/s", style="progress.data.speed")

    # stderr, as the bars are only shown when it is a terminal: stdout may be a file or a pipe
    with Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), transient=True,
                  console=Console(stderr=True)) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


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
    from indexer.index import open_store
    from indexer.transfer import export_graph

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
    from indexer.pipeline import index_dir
    from indexer.store.config import open_graph_store
    from indexer.transfer import import_graph

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


# -- the tools (the same as the MCP server's) ----------------------------------------------
def _run_tool(call: Callable[[RepolensTools], BaseModel], repo_options: dict[str, Any], as_json: bool) -> None:
    from server.cli_render import render
    from server.cli_tools import workspace_for
    from server.tools import RepolensTools

    with _errors(as_json):
        workspace = workspace_for(**repo_options)
        try:
            result = call(RepolensTools(workspace))
        finally:
            workspace.close()
    _emit(as_json, result.model_dump(mode="json"), lambda: click.echo(render(result)))



# -- the MCP server --------------------------------------------------------------------------
@main.command()
@click.option("--repo", "repos", type=click.Path(path_type=Path, file_okay=False), multiple=True,
              help="A repository to serve (repeatable; default: the current directory).")
@db_option
@click.option("--http", "address", default=None, metavar="HOST:PORT",
              help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (host defaults to 127.0.0.1).")
@click.option("--token", envvar=TOKEN_ENV, default=None,
              help=f"Bearer token HTTP clients must send (or {TOKEN_ENV}); required to bind beyond loopback.")
@click.option("--allow-origin", "origins", multiple=True,
              help="An extra Origin allowed to call over HTTP, e.g. https://ide.example (repeatable).")
@click.option("--max-body-bytes", type=click.IntRange(1024), default=DEFAULT_MAX_BODY_BYTES, show_default=True,
              help="Largest HTTP request body accepted.")
@click.option("--watch", is_flag=True,
              help="Re-index changed files incrementally while serving, on the operating system's file events.")
@click.option("--interval", type=click.FloatRange(0.1, 60), default=1.0, show_default=True,
              help="Seconds between polls, where file events are unavailable (with --watch).")
@click.option("--index/--no-index", "build", default=True, show_default=True,
              help="Build a missing index before serving.")
@click.option("--embed/--no-embed", default=True, show_default=True,
              help="Use semantic search when its runtime (the embeddings extra) is installed.")
@store_options
@json_option
def serve(repos: tuple[Path, ...], db_dir: Path | None, address: str | None, token: str | None,
          origins: tuple[str, ...], max_body_bytes: int, watch: bool, interval: float, build: bool, embed: bool,
          backend: str | None, repo_id: str | None, as_json: bool) -> None:
    """Serve the repositories to agents over MCP: stdio by default (for Claude Code, VS Code,
    Cursor, ...), or streamable HTTP with --http. Logs go to stderr; under stdio, stdout carries
    only protocol messages. --json only changes the startup errors to JSON."""
    from indexer.index import IndexNotReady
    from server.http import HttpOptions, check_options, parse_address, serve_http
    from server.mcp_app import build_server
    from server.watch import Watcher, warm_up
    from server.workspace import Repo, Workspace

    with _errors(as_json):
        if db_dir is not None and len(repos) > 1:
            raise ValueError("--db names one index directory; serve several repositories with their default "
                             "indexes (REPO/.repolens)")
        workspace = Workspace.of([Repo.open(r, db_dir, backend=backend, repo_id=repo_id, embed=embed)
                                  for r in repos or (Path("."),)])
        options = None
        if address:
            host, port = parse_address(address)
            options = HttpOptions(host=host, port=port, token=token, allowed_origins=origins,
                                  max_body_bytes=max_body_bytes)
            check_options(options)
        for repo in workspace.repos.values():
            if not (repo.db_dir / repo.config.state_name()).exists():
                if not build:
                    raise IndexNotReady(f"{repo.root} has no index; run `repolens index {repo.root}` or drop "
                                        "--no-index")
                log.warning("indexing %s before serving", repo.root)
                repo.reindex()
    watchers = [Watcher(repo, interval) for repo in workspace.repos.values()] if watch else []
    for watcher in watchers:
        watcher.start()
    warm_up(list(workspace.repos.values()))
    server = build_server(workspace)
    try:
        if options is None:
            server.run("stdio")
        else:
            log.warning("serving %s at http://%s:%d%s", ", ".join(workspace.repos), options.host, options.port,
                        MCP_PATH)
            serve_http(server, options)
    finally:
        for watcher in watchers:
            watcher.stop()
        workspace.close()


@main.command("mcp-config")
@click.option("--client", type=click.Choice(CLIENTS), required=True,
              help="The MCP client to configure (generic: the common mcpServers form, for any other client).")
@click.option("--repo", "repos", type=click.Path(path_type=Path, file_okay=False, exists=True), multiple=True,
              help="A repository the server serves (repeatable; default: the current directory). Project "
                   "configurations (.mcp.json, .vscode/, .cursor/) go into the first.")
@db_option
@click.option("--name", default=DEFAULT_NAME, show_default=True,
              help="The server's name in the client's configuration.")
@click.option("--watch/--no-watch", default=True, show_default=True,
              help="Start the server with --watch, re-indexing changed files while it serves.")
@click.option("--embed/--no-embed", default=True, show_default=True,
              help="Let the server use semantic search when its runtime (the embeddings extra) is installed.")
@click.option("--http", "address", default=None, metavar="HOST:PORT",
              help="Point the client at a server you run with `repolens serve --http HOST:PORT` instead of letting "
                   "it start one over stdio.")
@click.option("--auth/--no-auth", default=None,
              help=f"With --http: send the bearer token from ${TOKEN_ENV} (default: when {TOKEN_ENV} is set or HOST "
                   "is beyond loopback). The configuration names the variable; the token is never written.")
@click.option("--write", is_flag=True,
              help="Install: merge the entry into the configuration file, keeping its other servers and keys.")
@click.option("--path", "target", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The configuration file to write (default: the client's usual one, shown without --write).")
@json_option
def mcp_config(client: str, repos: tuple[Path, ...], db_dir: Path | None, name: str, watch: bool, embed: bool,
               address: str | None, auth: bool | None, write: bool, target: Path | None, as_json: bool) -> None:
    """Print the configuration that lets CLIENT start (or reach) the repolens MCP server, or
    install it with --write. The command is absolute, so it works from any directory: the
    `repolens` next to this Python, serving the repository with --watch. Without --write the
    configuration goes to stdout and where it belongs to stderr."""
    from indexer.pipeline import index_dir
    from server.mcp_config import client_config, http_spec, install, stdio_spec

    roots = [r.resolve() for r in repos or (Path("."),)]
    with _errors(as_json):
        spec = (http_spec(address, roots, db_dir, name=name, auth=auth, watch=watch, embed=embed) if address
                else stdio_spec(roots, db_dir, name=name, watch=watch, embed=embed))
        config = client_config(client, spec, roots[0])
        if target is not None:
            config = replace(config, path=target.absolute())
        written = install(config) if write else None
        notes = list(config.notes)
        if not address:
            notes += [f"{root} has no index yet: the server builds it on first start, which can outlast the "
                      f"client's start-up timeout; run `repolens index {root}` first"
                      for root in roots if not (index_dir(root, db_dir) / load_config(root).state_name()).exists()]
    path = written[0] if written else config.path
    payload: dict[str, Any] = {"client": client, "path": str(path) if path else None, "format": config.format,
                               "config": config.document, "notes": notes}
    if written:
        payload["action"] = written[1]

    def human() -> None:
        if written:
            click.echo(f"{written[1]} server {config.name!r} in {written[0]}" if written[1] != "unchanged"
                       else f"server {config.name!r} in {written[0]} is already up to date")
        else:
            click.echo(config.text, nl=False)
            where = f"goes in {config.path} (install it there with --write)" if config.path else \
                "goes in your client's MCP configuration (--write --path FILE writes it)"
            click.echo(f"# this {config.format.upper()} {where}", err=True)
        for note in notes:
            click.echo(f"# {note}", err=True)

    _emit(as_json, payload, human)


if __name__ == "__main__":
    main()
