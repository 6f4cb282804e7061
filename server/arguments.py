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
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp_types import ToolAnnotations
from pydantic import ConfigDict, ValidationError

from server.validation import sentence


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
    sentences = [sentence(d) for d in details if d["type"] != "extra_forbidden"]
    if unknown:
        sentences.insert(0, _unknown(unknown, tool, names))
    return "; ".join(sentences)


def _unknown(unknown: list[str], tool: str, names: list[str]) -> str:
    quoted = ", ".join(f"'{name}'" for name in unknown)
    guesses = [match for name in unknown for match in difflib.get_close_matches(name, names, n=1)]
    hint = f" (did you mean {' or '.join(repr(g) for g in dict.fromkeys(guesses))}?)" if guesses else ""
    noun = "argument" if len(unknown) == 1 else "arguments"
    return f"unknown {noun} {quoted}{hint}: {tool} takes {', '.join(names) or 'no arguments'}"
