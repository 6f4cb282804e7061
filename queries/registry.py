"""Named queries: one ``.cypher`` file per query in this folder, read by :func:`load_queries`.

Each file starts with a header of ``//`` comment lines, ``key: value``, where a line indented
after ``//`` continues the previous key::

    // name: callers
    // purpose: Functions that call the given function, to a depth.
    // params: id (string) the callee's id; depth (int, default 1, min 1, max 5) how far
    // returns: id, kind, name, path, start_line, depth
    // note: optional free text (backend caveats, why the query looks the way it does)

``params`` is ``none`` or ``;``-separated ``name (type[, option]...) description`` with type
``string``, ``int`` or ``strings`` (a list of strings; a CLI string is split at commas) and
options ``default X`` (``default ""`` for the empty string),
``min N``, ``max N`` and ``one of a|b|c``. A parameter without a default is required.
The query text must use exactly the declared ``$parameters`` and be read-only.

Texts run unchanged on Kùzu and Neo4j, so they keep to the Cypher both accept. Kùzu 0.11
silently drops a WHERE conjunct that mentions only parameters (``WHERE $depth >= 2``); bind
the parameter first (``WITH n, $depth AS depth WHERE depth >= 2``) or combine it with a
variable, as ``($kind = '' OR n.kind = $kind)`` does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexer.store.base import GraphStore, QueryResult, ReadOnlyViolation
from queries.readonly import check_read_only, strip_literals_and_comments

QUERY_DIR = Path(__file__).parent
ParamValue = str | int | list[str]

_HEADER_LINE = re.compile(r"^//\s?(?P<key>[a-z_]+):\s*(?P<value>.*)$")
_CONTINUATION = re.compile(r"^//\s{2,}(?P<value>\S.*)$")
_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*\((?P<spec>[^)]*)\)\s*(?P<description>.*)$")
_PARAM_USE = re.compile(r"\$([A-Za-z_]\w*)")
_TYPES = frozenset({"string", "int", "strings"})
_REQUIRED_KEYS = ("name", "purpose", "params", "returns")


class QueryFileError(ValueError):
    """A ``.cypher`` file's header or text breaks the format above."""


@dataclass(frozen=True, slots=True)
class QueryParam:
    """One declared ``$parameter`` of a named query."""

    name: str
    type: str
    """``string`` or ``int``."""
    description: str
    default: ParamValue | None = None
    """None when the parameter is required."""
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    """Allowed values when given (the default is always allowed)."""

    @property
    def required(self) -> bool:
        return self.default is None

    def describe(self) -> str:
        """``name (type, ...)`` as written in the header, for error messages and help."""
        parts = [self.type]
        if self.default is not None:
            parts.append(f'default {self.default!r}' if self.default == "" else
                         f"default {self.default}")
        if self.minimum is not None:
            parts.append(f"min {self.minimum}")
        if self.maximum is not None:
            parts.append(f"max {self.maximum}")
        if self.choices:
            parts.append("one of " + "|".join(self.choices))
        return f"{self.name} ({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A parameterised read query with the documentation from its file's header."""

    name: str
    purpose: str
    params: tuple[QueryParam, ...]
    returns: tuple[str, ...]
    text: str
    """The whole file, header included (it is only comments)."""
    note: str = ""
    variants: Mapping[str, str] = field(default_factory=dict)
    """Backend name → text, from ``<name>.<backend>.cypher`` files: used where that backend
    cannot run the common text (each variant's header says why)."""

    def text_for(self, backend: str) -> str:
        return self.variants.get(backend, self.text)

    def signature(self) -> str:
        """The query's parameters as one line, e.g. ``id (string), depth (int, default 1)``."""
        return ", ".join(p.describe() for p in self.params) or "no parameters"


def load_queries(directory: Path = QUERY_DIR) -> dict[str, NamedQuery]:
    """Every ``*.cypher`` file in ``directory``, parsed and checked, keyed by query name.

    Raises :class:`QueryFileError` naming the file when a header is malformed, the text uses
    an undeclared parameter or leaves a declared one unused, or the text writes.
    """
    found: dict[str, NamedQuery] = {}
    variants: list[tuple[str, NamedQuery, str]] = []
    for file in sorted(directory.glob("*.cypher")):
        query = parse_query(file.read_text(encoding="utf-8"), source=file.name)
        stem = file.name[: -len(".cypher")]
        if "." in stem:
            variants.append((stem.split(".", 1)[1], query, file.name))
            continue
        if query.name in found:
            raise QueryFileError(f"{file.name}: query name {query.name!r} is used twice")
        found[query.name] = query
    for backend, variant, source in variants:
        base = found.get(variant.name)
        if base is None:
            raise QueryFileError(f"{source}: a variant of {variant.name!r}, which has no common file")
        if (variant.params, variant.returns) != (base.params, base.returns):
            raise QueryFileError(f"{source}: parameters and columns must equal those of {variant.name}.cypher")
        found[variant.name] = replace(base, variants={**base.variants, backend: variant.text})
    return found


@functools.cache
def _default_queries() -> dict[str, NamedQuery]:
    return load_queries()


NAMED_TIMEOUT_MS = 30_000
"""Every named query is stopped after this long: their bounds (depth <= 5) keep them fast,
but on a hub of a very large graph even a bounded walk can grow."""


def run_named(store: GraphStore, name: str, params: Mapping[str, ParamValue | None],
              *, queries: Mapping[str, NamedQuery] | None = None,
              timeout_ms: int = NAMED_TIMEOUT_MS) -> QueryResult:
    """Run the named query on ``store`` and return its rows; :class:`QueryTimeout` past
    ``timeout_ms``.

    ``params`` may hold CLI strings: they are converted to the declared types, defaults are
    filled in, and ``None`` counts as not given. Raises ValueError naming the query's
    parameters when the query is unknown or a parameter is unknown, missing, of the wrong
    type or out of range.
    """
    catalogue = _default_queries() if queries is None else queries
    query = catalogue.get(name)
    if query is None:
        raise ValueError(f"Unknown query {name!r}; known queries: {', '.join(sorted(catalogue))}")
    return store.query(query.text_for(store.backend), bind_params(query, params), timeout_ms=timeout_ms)


def bind_params(query: NamedQuery,
                params: Mapping[str, ParamValue | None]) -> dict[str, ParamValue]:
    """The parameters to send for ``query``: converted, checked, defaults filled in."""
    declared = {p.name: p for p in query.params}
    usage = f"{query.name} takes: {query.signature()}"
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise ValueError(f"Unknown parameter(s) {', '.join(unknown)} for {usage}")
    bound: dict[str, ParamValue] = {}
    for param in query.params:
        given = params.get(param.name)
        if given is None:
            if param.default is None:
                raise ValueError(f"Missing parameter {param.name} for {usage}")
            bound[param.name] = param.default
            continue
        bound[param.name] = _convert(param, given, usage)
    return bound


def _convert(param: QueryParam, value: object, usage: str) -> ParamValue:
    problem = f"Parameter {param.name} of {usage}"
    if param.type == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"{problem}: expected an integer, got {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{problem}: expected an integer, got {value!r}") from None
        if param.minimum is not None and number < param.minimum:
            raise ValueError(f"{problem}: {number} is below the minimum {param.minimum}")
        if param.maximum is not None and number > param.maximum:
            raise ValueError(f"{problem}: {number} is above the maximum {param.maximum}")
        return number
    if param.type == "strings":
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"{problem}: expected a list of strings, got {value!r}")
        return list(value)
    if not isinstance(value, str):
        raise ValueError(f"{problem}: expected a string, got {value!r}")
    if param.choices and value not in param.choices and value != param.default:
        raise ValueError(f"{problem}: {value!r} is not one of {', '.join(param.choices)}")
    return value


def parse_query(text: str, source: str = "<query>") -> NamedQuery:
    """One named query from a ``.cypher`` file's text; ``source`` names it in errors."""
    header = _parse_header(text, source)
    missing = [key for key in _REQUIRED_KEYS if not header.get(key)]
    if missing:
        raise QueryFileError(f"{source}: header lacks {', '.join(missing)}")
    params = _parse_params(header["params"], source)
    returns = tuple(c.strip() for c in header["returns"].split(","))
    used = set(_PARAM_USE.findall(strip_literals_and_comments(text)))
    declared = {p.name for p in params}
    if used != declared:
        raise QueryFileError(
            f"{source}: parameters used ({', '.join(sorted(used)) or 'none'}) differ from "
            f"those declared ({', '.join(sorted(declared)) or 'none'})")
    try:
        check_read_only(text)
    except ReadOnlyViolation as exc:
        raise QueryFileError(f"{source}: {exc}") from exc
    return NamedQuery(name=header["name"], purpose=header["purpose"], params=params,
                      returns=returns, text=text, note=header.get("note", ""))


def _parse_header(text: str, source: str) -> dict[str, str]:
    header: dict[str, str] = {}
    key: str | None = None
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        continued = _CONTINUATION.match(line)
        entry = _HEADER_LINE.match(line)
        if continued and key is not None:
            header[key] += " " + continued["value"].strip()
        elif entry:
            key = entry["key"]
            header[key] = entry["value"].strip()
        else:
            raise QueryFileError(f"{source}: header line not understood: {line!r}")
    return header


def _parse_params(spec: str, source: str) -> tuple[QueryParam, ...]:
    if spec.strip() == "none":
        return ()
    params: list[QueryParam] = []
    for item in spec.split(";"):
        match = _PARAM.match(item.strip())
        if match is None:
            raise QueryFileError(f"{source}: parameter not understood: {item.strip()!r}")
        params.append(_parse_param(match["name"], match["spec"], match["description"], source))
    return tuple(params)


def _parse_param(name: str, spec: str, description: str, source: str) -> QueryParam:
    type_name, *options = [part.strip() for part in spec.split(",")]
    if type_name not in _TYPES:
        raise QueryFileError(f"{source}: parameter {name} has unknown type {type_name!r}")
    default: ParamValue | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    try:
        for option in options:
            word, _, value = option.partition(" ")
            value = value.strip()
            if word == "default":
                default = ("" if value == '""' else value) if type_name == "string" else int(value)
            elif word == "min":
                minimum = int(value)
            elif word == "max":
                maximum = int(value)
            elif word == "one" and value.startswith("of "):
                choices = tuple(c.strip() for c in value[3:].split("|"))
            else:
                raise QueryFileError(f"{source}: parameter {name}: unknown option {option!r}")
    except ValueError as exc:
        if isinstance(exc, QueryFileError):
            raise
        raise QueryFileError(f"{source}: parameter {name}: {exc}") from exc
    return QueryParam(name=name, type=type_name, description=description.strip(),
                      default=default, minimum=minimum, maximum=maximum, choices=choices)
