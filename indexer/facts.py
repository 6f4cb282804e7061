"""What one file says, before anything is resolved across files.

Extraction turns a file's bytes into ``FileFacts`` with no knowledge of any other file, so
facts are cached by content hash and re-extracted only when a file changes. Resolution
(``indexer.resolve``) reads the facts of many files to produce edges.

A *chain* is a dotted expression split into parts, e.g. ``self.engine.run`` →
``("self", "engine", "run")``; ``"()"`` marks a call (``Engine().run`` →
``("Engine", "()", "run")``). Special heads: ``"super()"``/``"super"`` (the parent class),
``"?"`` (an expression that is not a name, e.g. ``a[0].run`` → ``("?", "run")``),
``"<str>"`` and the like (a literal of that builtin type, e.g. ``", ".join`` →
``("<str>", "join")``).
Scopes are indices into ``FileFacts.defs``; ``-1`` is the module.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

Chain = tuple[str, ...]
CALL_PART = "()"
"""A chain part meaning "call what comes before": ``make().run`` → ``("make", "()", "run")``."""
ITEM_PART = "[]"
"""A chain part meaning "an item of what comes before": a loop variable over ``repos`` is
``("repos", "[]")``."""
SEQUENCE_PART = "[*]"
"""In a type: a sequence of what comes before (``list[Repo]`` → ``("Repo", "[*]")``)."""
TYPE_PART = ":"
"""A chain part meaning "an instance of the type before": a declared type (``Engine e``,
``-> Engine``) is ``("Engine", ":")``."""
MAPPING_PART = "{*}"
"""In a type: a mapping whose values are what comes before (``dict[str, Repo]`` → ``("Repo", "{*}")``)."""


def chain_text(chain: Chain) -> str:
    """A chain as written: ``("make", "()", "run")`` → ``make().run``."""
    return ".".join(chain).replace(".()", "()")


def chain_name(chain: Chain) -> str:
    """The last real name of a chain (what an unresolved reference is kept as)."""
    for part in reversed(chain):
        if part != CALL_PART:
            return part
    return "?"
MODULE_SCOPE = -1
WIRE_VERSION = 4
"""Of ``FileFacts.to_wire``: facts of another version are re-extracted (the schema version of
the index changes with it)."""


class DefKind(StrEnum):
    CLASS = "class"
    FUNCTION = "function"
    METHOD = "method"
    EXTENSION = "extension"
    """A block adding members to a type defined elsewhere (Rust ``impl Engine``): not a node
    of the graph; its functions are methods of that type."""


class UseKind(StrEnum):
    CALL = "call"
    REFERENCE = "reference"


class DefFact(NamedTuple):
    qualname: str
    name: str
    kind: str
    """A ``DefKind`` value, kept a plain ``str`` so facts marshal."""
    start_line: int
    end_line: int
    parent: int
    signature: str
    doc: str | None
    bases: tuple[Chain, ...]
    decorators: tuple[str, ...]
    owner: Chain = ()
    """For a method defined outside its type (Go ``func (c *Cart) Total()``, C++ ``void
    Engine::run()``), the type as written; for an extension, the type it extends."""
    returns: Chain | None = None
    """What a call of this function returns, as a chain evaluated in its scope: its declared
    type (``-> Engine``, ``Engine make()``: ``("Engine", ":")``) or a call of the callee all its
    returns call (``return Engine(...)``: ``("Engine", "()")``); None when unknown."""
    declaration: bool = False
    """Declared without a body (a C prototype, an interface or abstract method)."""
    receiver: Chain = ()
    """The type a method extends while it stays a member of its own class (C# ``static string
    Shout(this string s)``): a call ``s.Shout()`` on a value of that type calls it."""


class ImportFact(NamedTuple):
    """``module`` as written (``.core``, ``os.path``, ``./util``); ``name`` the imported member
    (None for a whole-module import, ``*`` for a wildcard); ``alias`` the local name when renamed.
    """

    scope: int
    line: int
    module: str
    name: str | None = None
    alias: str | None = None


class UseFact(NamedTuple):
    scope: int
    line: int
    chain: Chain
    kind: str
    """A ``UseKind`` value."""
    arity: int = -1
    """For a call, how many arguments it passes (which overload it calls); -1 when unknown."""


class BindFact(NamedTuple):
    """A local name bound in ``scope``: ``value`` is the chain it is bound to (an alias,
    ``x = pkg.Engine``), ``called`` says the chain was called (``x = Engine()``: an instance).
    ``target`` is ``("x",)`` or ``("self", "x")`` for an attribute of the instance.
    A bind with no value only shadows outer names (loop variables, ``x = 3``)."""

    scope: int
    line: int
    target: Chain
    value: Chain | None = None
    called: bool = False


class ParamFact(NamedTuple):
    scope: int
    position: int
    name: str
    annotation: Chain | None = None


@dataclass(slots=True)
class FileFacts:
    path: str
    language: str
    line_count: int = 0
    error_count: int = 0
    """Syntax errors tree-sitter recovered from (ERROR and MISSING nodes)."""
    first_error_line: int | None = None
    doc: str | None = None
    defs: list[DefFact] = field(default_factory=list)
    imports: list[ImportFact] = field(default_factory=list)
    uses: list[UseFact] = field(default_factory=list)
    binds: list[BindFact] = field(default_factory=list)
    params: list[ParamFact] = field(default_factory=list)
    limited: str | None = None
    """Why part of the file was left out (a budget it exceeded); None when all of it was read."""
    package: str | None = None
    """The package or namespace the file declares (Java ``package a.b;``, C# ``namespace A.B``)."""
    manifest: Any = None
    """What a manifest of the language's module system says (``LanguageSpec.manifests``); None
    for a source file."""

    def interface(self) -> tuple[object, ...]:
        """What other files may see of this one: every name it defines or binds at any level
        that resolution can reach from outside, without line numbers. When it is unchanged,
        no other file's edges can change."""
        return (
            self.package,
            tuple((d.qualname, d.kind, d.parent, d.bases, d.decorators, d.owner, d.returns, d.declaration,
                   d.receiver) for d in self.defs),
            tuple((i.scope, i.module, i.name, i.alias) for i in self.imports if i.scope == MODULE_SCOPE),
            tuple(
                (b.scope, b.target, b.value, b.called) for b in self.binds
                if b.scope == MODULE_SCOPE or (b.target and b.target[0] in ("self", "this"))
                or (0 <= b.scope < len(self.defs) and self.defs[b.scope].kind == DefKind.CLASS)
            ),
            tuple((p.scope, p.position, p.name) for p in self.params if p.position == 0),
            self._binding_order(),
            self._instance_attribute_sources(),
        )

    def _binding_order(self) -> tuple[object, ...]:
        """The source order of the module- and class-level bindings, without lines: when a
        name is bound twice (``from .base import Engine`` then ``class Engine(Engine)``), which
        comes last decides what other files see."""
        defs = self.defs

        def visible(scope: int) -> bool:
            return scope == MODULE_SCOPE or (0 <= scope < len(defs) and defs[scope].kind == DefKind.CLASS)

        items: list[tuple[int, int, int, object]] = [
            (d.start_line, 0, d.parent, d.name) for d in defs if visible(d.parent)]
        items += [(i.line, 1, i.scope, (i.alias, i.name, i.module)) for i in self.imports
                  if i.scope == MODULE_SCOPE]
        items += [(b.line, 2, b.scope, b.target) for b in self.binds if visible(b.scope)]
        items.sort(key=lambda item: (item[0], item[1]))
        return tuple(item[1:] for item in items)

    def _instance_attribute_sources(self) -> tuple[object, ...]:
        """The function-local names an instance attribute is assigned from (``r = Registry()``
        then ``self.registry = r``): other files resolve ``obj.registry`` through them."""
        heads = {(b.scope, b.value[0]) for b in self.binds
                 if len(b.target) == 2 and b.value and b.scope != MODULE_SCOPE}
        if not heads:
            return ()
        return (
            tuple((b.scope, b.target, b.value, b.called) for b in self.binds
                  if len(b.target) == 1 and (b.scope, b.target[0]) in heads),
            tuple((i.scope, i.module, i.name, i.alias) for i in self.imports
                  if (i.scope, i.alias or (i.name or i.module).split(".")[0]) in heads),
            tuple((p.scope, p.name, p.annotation) for p in self.params if (p.scope, p.name) in heads),
        )

    def to_wire(self) -> bytes:
        """A compact, fast serialisation (``marshal`` of plain tuples) for process pools
        and the index state; read back with ``FileFacts.from_wire``."""
        return marshal.dumps((
            WIRE_VERSION, self.path, self.language, self.line_count, self.error_count,
            self.first_error_line, self.doc,
            [tuple(d) for d in self.defs], [tuple(i) for i in self.imports],
            [tuple(u) for u in self.uses], [tuple(b) for b in self.binds],
            [tuple(p) for p in self.params], self.limited, self.package, self.manifest,
        ))

    @classmethod
    def from_wire(cls, data: bytes) -> FileFacts:
        (version, path, language, line_count, error_count, first_error_line, doc,
         defs, imports, uses, binds, params, limited, package, manifest) = marshal.loads(data)
        if version != WIRE_VERSION:
            raise ValueError(f"facts of wire version {version}, this repolens reads {WIRE_VERSION}")
        return cls(
            path, language, line_count, error_count, first_error_line, doc,
            [DefFact._make(d) for d in defs], [ImportFact._make(i) for i in imports],
            [UseFact._make(u) for u in uses], [BindFact._make(b) for b in binds],
            [ParamFact._make(p) for p in params], limited, package, manifest,
        )
