"""Strict checking of MCP tool arguments, refused in one readable sentence per bad argument.

The SDK validates a tool's arguments with pydantic in lax mode: ``"yes"`` and ``1`` pass as
``true`` for a bool, ``"10"`` and ``10.0`` as 10 for an int, and an argument the tool does not
have is dropped without a word, so a model that writes ``rebuild="false"`` or misspells
``nmae`` gets an answer to a question it did not ask. :class:`StrictTool` validates in strict
mode (JSON types only, no coercion) and refuses unknown arguments, and its error names each bad
argument with what it must be and what it got, instead of pydantic's report.

Only the MCP surface comes through here: the CLI parses its command-line strings with click,
from the same signatures (:mod:`server.cli_tools`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp_types import ToolAnnotations
from pydantic import ConfigDict, ValidationError
from pydantic_core import ErrorDetails

MAX_SHOWN_CHARS = 60
"""A rejected value longer than this (as JSON) is shown cut, with an ellipsis."""


class StrictTool(Tool):
    """A tool whose arguments must have exactly their JSON types and names."""

    @classmethod
    def strict(cls, fn: Callable[..., Any], *, name: str, title: str, annotations: ToolAnnotations) -> StrictTool:
        """The tool for ``fn`` as the SDK builds it, with a strict, closed argument model (its
        input schema then says ``additionalProperties: false``)."""
        tool = cls.from_function(fn, name=name, title=title, annotations=annotations)
        assert isinstance(tool, cls)  # from_function builds an instance of the class it is called on
        model = _strict_model(tool.fn_metadata.arg_model)
        return tool.model_copy(update={"parameters": model.model_json_schema(by_alias=True),
                                       "fn_metadata": tool.fn_metadata.model_copy(update={"arg_model": model})})

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        """Refuse bad arguments with a readable ToolError, then run as the SDK does."""
        try:
            self.fn_metadata.validate_arguments(arguments)
        except ValidationError as exc:
            # Chained, so that the server logs only the names of the rejected fields, not their values.
            raise ToolError(f"Error executing tool {self.name}: {describe(exc, self.name, self._names())}") from exc
        return await super().run(arguments, context, convert_result=convert_result)

    def _names(self) -> list[str]:
        """The argument names the tool takes, in signature order."""
        return [info.alias or name for name, info in self.fn_metadata.arg_model.model_fields.items()]


def _strict_model(model: type[ArgModelBase]) -> type[ArgModelBase]:
    """``model`` with strict types and no arguments beyond its fields."""
    config = ConfigDict(strict=True, extra="forbid")
    return type(model.__name__, (model,), {"model_config": config, "__module__": model.__module__})


def describe(error: ValidationError, tool: str, names: list[str]) -> str:
    """One sentence per bad argument (unknown ones together, with the valid names), joined by
    ``; ``: e.g. ``limit: must be at most 500 (got 900)``."""
    details = error.errors(include_url=False)
    unknown = [str(d["loc"][0]) for d in details if d["type"] == "extra_forbidden"]
    sentences = [_sentence(d) for d in details if d["type"] != "extra_forbidden"]
    if unknown:
        sentences.insert(0, _unknown(unknown, tool, names))
    return "; ".join(sentences)


def _unknown(unknown: list[str], tool: str, names: list[str]) -> str:
    quoted = ", ".join(f"'{name}'" for name in unknown)
    guesses = [match for name in unknown for match in difflib.get_close_matches(name, names, n=1)]
    hint = f" (did you mean {' or '.join(repr(g) for g in dict.fromkeys(guesses))}?)" if guesses else ""
    noun = "argument" if len(unknown) == 1 else "arguments"
    return f"unknown {noun} {quoted}{hint}: {tool} takes {', '.join(names) or 'no arguments'}"


# What a value of each JSON type must look like, for the type errors of strict mode.
_TYPE_NAMES = {
    "bool_type": "a JSON boolean, true or false",
    "int_type": "a JSON integer, without quotes or a fraction",
    "float_type": "a JSON number",
    "string_type": "a JSON string",
    "list_type": "a JSON array",
    "dict_type": "a JSON object",
}


def _sentence(detail: ErrorDetails) -> str:
    """``where: must be what (got value)`` for one pydantic error."""
    where = _location(detail["loc"])
    kind, ctx, value = detail["type"], detail.get("ctx", {}), detail["input"]
    if kind == "missing":
        return f"{where}: is required"
    if kind in _TYPE_NAMES:
        return f"{where}: must be {_TYPE_NAMES[kind]} (got {_shown(value)})"
    if kind == "less_than_equal":
        return f"{where}: must be at most {ctx['le']} (got {_shown(value)})"
    if kind == "greater_than_equal":
        return f"{where}: must be at least {ctx['ge']} (got {_shown(value)})"
    if kind == "literal_error":
        return f"{where}: must be one of {ctx['expected']} (got {_shown(value)})"
    if kind == "string_too_short":
        if ctx["min_length"] == 1:
            return f"{where}: must not be empty"
        return f"{where}: must be at least {ctx['min_length']} characters long (got {len(value)})"
    if kind == "string_too_long":
        return f"{where}: must be at most {ctx['max_length']} characters long (got {len(value)})"
    message = detail["msg"]
    return f"{where}: {message[:1].lower()}{message[1:]} (got {_shown(value)})"


def _location(loc: tuple[int | str, ...]) -> str:
    """``('edges', 0)`` → ``edges[0]``; ``('params', 'name')`` → ``params.name``."""
    out = str(loc[0]) if loc else "arguments"
    for part in loc[1:]:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _shown(value: Any) -> str:
    """``value`` as the caller wrote it in JSON (``"10"`` is not ``10``), cut when long."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "…"
