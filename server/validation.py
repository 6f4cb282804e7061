"""One readable sentence per rejected argument, for both surfaces: the MCP server's strict
argument check (:mod:`server.arguments`) and the CLI's check of the same bounds
(:mod:`server.cli_tools`). Light on imports, so that the CLI starts fast."""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import ErrorDetails

MAX_SHOWN_CHARS = 60
"""A rejected value longer than this (as JSON) is shown cut, with an ellipsis."""


# What a value of each JSON type must look like, for the type errors of strict mode.
_TYPE_NAMES = {
    "bool_type": "a JSON boolean, true or false",
    "int_type": "a JSON integer, without quotes or a fraction",
    "float_type": "a JSON number",
    "string_type": "a JSON string",
    "list_type": "a JSON array",
    "dict_type": "a JSON object",
}


def sentence(detail: ErrorDetails) -> str:
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
