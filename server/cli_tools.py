"""One ``repolens`` subcommand per MCP tool, made from the tool's own signature, so the CLI
and the server take the same parameters with the same descriptions and bounds.

Required parameters (and a leading text parameter) are positional; the others are options
named after the parameter (``budget_tokens`` → ``--budget-tokens``). ``repo`` becomes the
CLI's ``--repo PATH`` (with ``--db``, ``--backend`` and ``--repo-id``), and every command
takes ``--json``. The answer is the tool's model: JSON with ``--json``, else readable text.
"""

from __future__ import annotations

import inspect
import json
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import annotated_types
import click
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from indexer.store.config import BACKENDS
from server.tools import RepolensTools
from server.validation import sentence
from server.workspace import Repo, Workspace

ALIASES = {"search": "search-code", "map": "repo-map", "schematic": "file-schematic", "status": "index-status",
           "query": "named-query", "queries": "named-query"}
"""Short names kept for the commands that had them before the MCP server existed."""


def command_name(tool: str) -> str:
    return tool.replace("_", "-")


def _unwrap(annotation: Any) -> tuple[Any, FieldInfo | None]:
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        info = next((e for e in extras if isinstance(e, FieldInfo)), None)
        return base, info
    return annotation, None


def _optional(base: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(base)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(base) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return base, False


def _bounds(info: FieldInfo | None) -> tuple[int | None, int | None]:
    low = high = None
    for item in info.metadata if info else ():
        if isinstance(item, annotated_types.Ge):
            low = int(item.ge)  # type: ignore[call-overload]
        elif isinstance(item, annotated_types.Le):
            high = int(item.le)  # type: ignore[call-overload]
    return low, high


def _parse_pairs(pairs: tuple[str, ...]) -> dict[str, Any] | None:
    if not pairs:
        return None
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def click_params(method: Callable[..., Any]) -> tuple[list[click.Parameter], dict[str, Callable[[Any], Any]]]:
    """Click arguments and options for a tool method's parameters (``repo`` excluded), and the
    converters from click values to tool arguments."""
    hints = typing.get_type_hints(method, include_extras=True)
    params: list[click.Parameter] = []
    convert: dict[str, Callable[[Any], Any]] = {}
    signature = inspect.signature(method)
    for position, (name, parameter) in enumerate(signature.parameters.items()):
        if name in ("self", "repo"):
            continue
        base, info = _unwrap(hints[name])
        base, optional = _optional(base)
        help_text = (info.description if info else None) or ""
        required = parameter.default is inspect.Parameter.empty
        default = None if required else parameter.default
        # click (8.2+) takes an explicit default, even None, as a value: a required parameter gets none.
        defaults: dict[str, Any] = {} if required else {"default": default}
        flag = "--" + name.replace("_", "-")
        origin = typing.get_origin(base)
        if base is str and (required or position == 1):
            params.append(click.Argument([name], required=required, **defaults))
            continue
        if base is bool:
            params.append(click.Option([f"{flag}/--no-{name.replace('_', '-')}"], default=default, help=help_text,
                                       show_default=True))
        elif base is int:
            low, high = _bounds(info)
            params.append(click.Option([flag], type=click.IntRange(low, high), required=required, help=help_text,
                                       show_default=default is not None, **defaults))
        elif origin is Literal:
            params.append(click.Option([flag], type=click.Choice([str(c) for c in typing.get_args(base)]),
                                       required=required, help=help_text, show_default=True, **defaults))
        elif origin is list:
            (item,) = typing.get_args(base)
            choices = typing.get_args(item) if typing.get_origin(item) is Literal else None
            params.append(click.Option([flag], multiple=True, type=click.Choice(choices) if choices else str,
                                       help=help_text + " (repeatable)"))
            convert[name] = lambda values: list(values) or None
        elif origin is dict:
            params.append(click.Option(["-p", flag], multiple=True, metavar="KEY=VALUE",
                                       help=help_text + " (repeatable; values are read as JSON when they parse)"))
            convert[name] = _parse_pairs
        else:
            params.append(click.Option([flag], required=required and not optional, help=help_text,
                                       show_default=default is not None, **defaults))
    return params, convert


def common_params() -> list[click.Parameter]:
    """Which repository and index, and the output form: the same on every tool command."""
    return [
        click.Option(["--repo"], type=click.Path(path_type=Path), default=Path("."), show_default=True,
                     help="The indexed repository."),
        click.Option(["--db", "db_dir"], type=click.Path(path_type=Path), default=None,
                     help="Index directory (default: REPO/.repolens)."),
        click.Option(["--backend"], type=click.Choice(BACKENDS), default=None,
                     help="Graph store: kuzu (embedded, default) or neo4j (REPOLENS_NEO4J_URI, _USER, _PASSWORD, "
                          "_DATABASE)."),
        click.Option(["--repo-id"], default=None,
                     help="Repository id in a shared Neo4j database (default: git origin or directory name)."),
        click.Option(["--embed/--no-embed"], default=True, show_default=True,
                     help="Use semantic search when its index and torch are there (--no-embed starts faster)."),
        click.Option(["--json", "as_json"], is_flag=True, help="Print machine-readable JSON only."),
    ]


def tool_command(name: str, run: Callable[[Callable[[RepolensTools], BaseModel], dict[str, Any], bool], None]
                 ) -> click.Command:
    """The click command for tool ``name``; ``run(call, repo_options, as_json)`` runs it on
    the chosen repository and prints the answer (with error handling)."""
    method = getattr(RepolensTools, name)
    params, convert = click_params(method)
    doc = inspect.getdoc(method) or ""
    hints = typing.get_type_hints(method, include_extras=True)
    described = [(p.name, _unwrap(hints[p.name or ""])[1]) for p in params if isinstance(p, click.Argument)]
    if described:
        doc += "\n\nArguments:\n\n" + "\n\n".join(
            f"{(name or '').upper()}: {info.description if info else ''}" for name, info in described)

    adapters = {p.name: TypeAdapter(hints[p.name]) for p in params if p.name}
    spelled = {p.name: (p.name.upper() if isinstance(p, click.Argument) else p.opts[0]) for p in params if p.name}

    def callback(**values: Any) -> None:
        repo_options = {k: values.pop(k) for k in ("repo", "db_dir", "backend", "repo_id", "embed")}
        as_json = values.pop("as_json")
        arguments = {k: convert[k](v) if k in convert else v for k, v in values.items()}
        _check(arguments, adapters, spelled)
        run(lambda tools: getattr(tools, name)(**arguments), repo_options, as_json)

    return click.Command(command_name(name), callback=callback, params=[*params, *common_params()], help=doc,
                         short_help=short_help(doc))


def short_help(doc: str, limit: int = 58) -> str:
    """The first sentence of ``doc``, or as much of it as fits ``limit`` ended at a word (click
    cuts longer ones anywhere to fit an 80-column listing)."""
    first = " ".join(doc.split()).split(". ")[0].rstrip(".")
    if len(first) <= limit:
        return first
    return first[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _check(arguments: dict[str, Any], adapters: dict[str, TypeAdapter[Any]], spelled: dict[str, str]) -> None:
    """Refuse what the tool's own bounds refuse (an empty text, a string too long) before any
    index is opened, with the CLI's name for each bad argument: the MCP server checks the
    same bounds (server.arguments)."""
    problems = []
    for name, value in arguments.items():
        try:
            adapters[name].validate_python(value)
        except ValidationError as exc:
            problems += [sentence({**detail, "loc": (spelled[name], *detail["loc"])})
                         for detail in exc.errors(include_url=False)]
    if problems:
        raise click.UsageError("; ".join(problems))


def workspace_for(repo: Path, db_dir: Path | None, backend: str | None, repo_id: str | None,
                  embed: bool = True) -> Workspace:
    return Workspace.of([Repo.open(repo, db_dir, backend=backend, repo_id=repo_id, embed=embed)])


def tool_commands() -> dict[str, str]:
    """The tools by command name (``find-symbol`` → ``find_symbol``)."""
    return {command_name(tool): tool for tool in RepolensTools.all_names()}
