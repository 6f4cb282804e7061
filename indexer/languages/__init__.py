r"""The language registry: what each supported language needs, and nothing else.

A language is a tree-sitter grammar wheel, declarative ``.scm`` queries beside this file (its
own, or a family's shared part plus its own: ``ecmascript.scm`` + ``typescript.scm``),
a few syntax facts for the generic extractor (which node types are names, member accesses and
calls) and the name of its module system for the resolver.

Python and the ECMAScript family are described here; every other language lives in its own
module beside this one (``java.py``, ``go.py``, ...), listed in ``LANGUAGE_MODULES``, which
defines ``SPECS`` (its ``LanguageSpec``\ s) and, when it brings one, ``MODULE_SYSTEMS`` (name →
factory, see ``indexer.modules``). Adding a language is adding such a module and its query.
"""

from __future__ import annotations

import builtins
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

QUERY_DIR = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    name: str
    extensions: tuple[str, ...]
    grammar: str
    """``module:function`` returning the tree-sitter language capsule."""
    module_system: str
    """``python`` or ``ecmascript``: how import specifiers map to files (indexer.modules)."""
    identifier_types: frozenset[str]
    member_types: Mapping[str, tuple[str, str]]
    """Member-access node type → (object field, member field); ``""`` for a grammar without
    fields there: the first named child is the object, the last the member."""
    call_types: Mapping[str, str]
    """Call node type → field holding the callee; ``""``: its first named child."""
    call_member_types: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Node types that call a member with no callee node of their own (Java's
    ``method_invocation``) → (object field, member name field); captured as ``@call`` itself."""
    self_names: frozenset[str] = frozenset()
    """Names that always mean the enclosing instance (``this``)."""
    first_param_is_self: bool = False
    """Methods receive the instance (or class) as their first parameter (Python)."""
    super_names: frozenset[str] = frozenset()
    builtins: frozenset[str] = frozenset()
    queries: tuple[str, ...] = ()
    """Query files beside this module (without ``.scm``), joined in order into one query, so
    grammars of one family share their common part; default: ``(name,)``."""
    alias_value_types: frozenset[str] = field(default_factory=frozenset)
    literal_types: Mapping[str, str] = field(default_factory=dict)
    """Literal node type → the builtin type of its value (``string`` → ``str``), so a method
    called on a literal (``", ".join(parts)``) resolves to that type's method."""
    assignment_types: Mapping[str, str] = field(default_factory=dict)
    """Assignment node type → field holding its value, so in a chained assignment
    (``FF = GF = FiniteField``) every name is bound to the final value."""
    package_scope: bool = False
    """The module-level names of the other files of a file's package (``ModuleSystem.package_of``)
    are visible in it without an import (Java, Kotlin, C#, Go)."""
    transparent_types: Mapping[str, str] = field(default_factory=dict)
    """Expressions whose value is their operand's, for chains: node type → the operand's field
    (``""``: the first named child): Rust ``e?``, ``&e``, ``(e)``, Kotlin ``e!!``."""
    generic_types: frozenset[str] = frozenset({"generic_type"})
    """Node types of a generic type (``list[Repo]``, ``List<Repo>``): the base, then its arguments."""
    sequence_types: frozenset[str] = frozenset()
    """Generic bases whose (first) argument is the type of their items: a loop over a
    ``list[Repo]`` binds a ``Repo``."""
    mapping_types: frozenset[str] = frozenset()
    """Generic bases whose last argument is the type of their values (``.values()``)."""
    optional_types: frozenset[str] = frozenset()
    """Generic bases that stand for their argument (``Optional[Repo]`` is a ``Repo`` or None)."""
    import_local: Callable[[str], str] | None = None
    """The name a whole-module import without an alias binds, when it is not the specifier's
    last part (Go: ``gopkg.in/yaml.v3`` binds ``yaml``)."""
    global_linkage: frozenset[str] | None = None
    """Module-level functions are one namespace across the language's files (C, C++), except
    those with one of these decorators (``static``): a call that lands on a prototype whose
    companion files do not define it goes to the one definition of that name anywhere."""
    class_scopes_visible: bool = False
    """The code nested in a class-like definition sees its names bare (Rust's inline ``mod x {
    }``, whose functions call each other); not Python's classes, whose bodies nested functions
    do not see, nor impls (``@definition.extension``)."""
    members_in_scope: bool = False
    """Inside a class's methods, its members and inherited members are visible by their bare
    names (Java, C++, C#, Kotlin; not Python, JavaScript, Go)."""
    overloads: bool = False
    """Functions of one name in one scope are overloads, told apart by their parameters (Java,
    Kotlin, C#, C++): a call goes to the one taking as many arguments as it passes, where the
    last definition of the name would hide the others (Python)."""
    methods_apart: bool = False
    """Methods and variables have separate names (Java): a call never means a local, a field or
    a parameter of that name (``reader("{}")`` beside ``JsonReader reader = ...``)."""
    external_extensions: bool = False
    """Code adds methods to types it does not define (Kotlin ``fun String.shout()``, Rust ``impl
    Shout for str``): a call on a library type's value that the library does not answer goes to
    the repository's method of that name for that type."""
    fields_apart: bool = False
    """A member call never names a field (Rust ``x.f()`` is the method ``f``; a field is called
    as ``(x.f)()``), though a bare call may name a local (a closure): ``methods_apart`` for
    fields alone."""
    reopened_classes: bool = False
    """A class defined again under its qualified name continues the one of that name earlier in
    its file or in the files it imports with wildcards (C++ ``namespace app {}`` in
    ``engine.cpp`` continues the one ``#include "engine.hpp"`` declares): the members of both
    are visible in it."""
    type_self_names: frozenset[str] = frozenset()
    """Names that mean the enclosing type itself, not an instance (Rust and PHP ``Self``/``self``/``static``)."""
    self_attribute_types: frozenset[str] = frozenset()
    """Node types naming an attribute of the instance by themselves (Ruby's ``@cart``): read as
    the chain ``(self, "@cart")``, so ``@cart = Cart.new`` in ``initialize`` types ``@cart.total``
    in every other method of the class."""
    implicit_calls: bool = False
    """A function named without parentheses is called (Ruby ``invoice.render`` calls ``invoice``
    first): a member of a function is a member of what it returns."""
    dialect: Callable[[bytes], str | None] | None = None
    """For a file of this language by its extension, another language its content shows it is
    written in (a ``.h`` header declaring classes or namespaces is C++), or None."""
    manifests: Mapping[str, Callable[[bytes], object]] = field(default_factory=dict)
    """Files the language's module system reads, by exact name (Go's ``go.mod``, Rust's
    ``Cargo.toml``) → a reader of their bytes giving plain data (lists, dicts, strings: what
    ``marshal`` takes). Such a file is indexed as a file of the language without symbols; what
    its reader says reaches the module system (``BaseModules.manifests``)."""
    build_outputs: tuple[str, ...] = ()
    """Repository-relative paths where builds write one of its manifests
    (``build/compile_commands.json``): the first there is read even when ignored."""
    external_wildcards: bool = True
    """A wildcard import of a module outside the repository may name what nothing else names (Java
    ``import org.junit.*``). False where such an import is a file whose names are unknown (Ruby
    ``require 'json'`` defines ``JSON``, not every name a file does not find)."""

    @property
    def query_paths(self) -> tuple[Path, ...]:
        return tuple(QUERY_DIR / f"{q}.scm" for q in self.queries or (self.name,))

    def query_source(self) -> str:
        """The language's whole extraction query: its query files, joined."""
        return "\n".join(p.read_text("utf-8") for p in self.query_paths)

    def load_grammar(self) -> Any:
        module, _, func = self.grammar.partition(":")
        return getattr(importlib.import_module(module), func)


PYTHON = LanguageSpec(
    name="python",
    extensions=(".py", ".pyi"),
    grammar="tree_sitter_python:language",
    module_system="python",
    identifier_types=frozenset({"identifier"}),
    member_types={"attribute": ("object", "attribute")},
    call_types={"call": "function"},
    first_param_is_self=True,
    super_names=frozenset({"super()"}),
    builtins=frozenset(n for n in dir(builtins) if not n.startswith("_")),
    literal_types={
        "string": "str", "concatenated_string": "str", "integer": "int", "float": "float",
        "list": "list", "list_comprehension": "list", "dictionary": "dict",
        "dictionary_comprehension": "dict", "set": "set", "set_comprehension": "set",
        "tuple": "tuple",
    },
    assignment_types={"assignment": "right"},
    sequence_types=frozenset({"list", "List", "Sequence", "MutableSequence", "Iterable", "Iterator", "Collection",
                              "set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet", "deque", "Deque",
                              "Generator", "AsyncIterator", "AsyncIterable"}),
    mapping_types=frozenset({"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "defaultdict",
                             "DefaultDict"}),
    optional_types=frozenset({"Optional", "Final", "ClassVar", "Annotated"}),
)

# JavaScript, TypeScript and TSX: three grammars, one module system (files of all three import
# each other), one shared query (ecmascript.scm) plus what each grammar alone has.
_ECMA_BUILTINS = frozenset({
    "AbortController", "Array", "ArrayBuffer", "BigInt", "BigInt64Array", "BigUint64Array",
    "Blob", "Boolean", "Buffer", "DataView", "Date", "Error", "Event", "EventTarget",
    "Float32Array", "Float64Array", "FormData", "Headers", "Infinity", "Int16Array",
    "Int32Array", "Int8Array", "Intl", "JSON", "Map", "Math", "NaN", "Number", "Object",
    "Promise", "Proxy", "RangeError", "ReferenceError", "Reflect", "RegExp", "Request",
    "Response", "Set", "String", "Symbol", "SyntaxError", "TextDecoder", "TextEncoder",
    "TypeError", "URL", "URLSearchParams", "Uint16Array", "Uint32Array", "Uint8Array",
    "Uint8ClampedArray", "WeakMap", "WeakRef", "WeakSet", "__dirname", "__filename", "alert",
    "atob", "btoa", "clearImmediate", "clearInterval", "clearTimeout", "console", "crypto",
    "decodeURI", "decodeURIComponent", "document", "encodeURI", "encodeURIComponent", "eval",
    "exports", "fetch", "global", "globalThis", "isFinite", "isNaN", "localStorage", "module",
    "navigator", "parseFloat", "parseInt", "performance", "process", "queueMicrotask",
    "require", "sessionStorage", "setImmediate", "setInterval", "setTimeout",
    "structuredClone", "undefined", "window",
})
TYPESCRIPT = LanguageSpec(
    name="typescript",
    extensions=(".ts", ".mts", ".cts"),
    grammar="tree_sitter_typescript:language_typescript",
    module_system="ecmascript",
    identifier_types=frozenset({
        "identifier", "property_identifier", "type_identifier", "shorthand_property_identifier",
        "shorthand_property_identifier_pattern",
    }),
    member_types={"member_expression": ("object", "property"),
                  "nested_type_identifier": ("module", "name")},
    call_types={"call_expression": "function", "new_expression": "constructor"},
    self_names=frozenset({"this"}),
    super_names=frozenset({"super"}),
    builtins=_ECMA_BUILTINS,
    queries=("ecmascript", "typescript"),
    literal_types={"string": "String", "template_string": "String", "number": "Number",
                   "array": "Array", "regex": "RegExp"},
)
TSX = replace(TYPESCRIPT, name="tsx", extensions=(".tsx",),
              grammar="tree_sitter_typescript:language_tsx", queries=("ecmascript", "typescript", "jsx"))
JAVASCRIPT = replace(TYPESCRIPT, name="javascript", extensions=(".js", ".jsx", ".mjs", ".cjs"),
                     grammar="tree_sitter_javascript:language", queries=("ecmascript", "javascript", "jsx"))

LANGUAGES: dict[str, LanguageSpec] = {spec.name: spec for spec in (PYTHON, JAVASCRIPT, TYPESCRIPT, TSX)}

LANGUAGE_MODULES = ("java", "kotlin", "go", "rust", "c_family", "csharp", "ruby", "php")
"""Modules beside this one, each describing one language or a family (see the module docstring)."""


def register(spec: LanguageSpec) -> None:
    LANGUAGES[spec.name] = spec
    languages_by_extension.cache_clear()
    build_outputs.cache_clear()


def _load_language_modules() -> None:
    from indexer.modules import MODULE_SYSTEMS

    for name in LANGUAGE_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        for spec in getattr(module, "SPECS", ()):
            register(spec)
        MODULE_SYSTEMS.update(getattr(module, "MODULE_SYSTEMS", {}))


@cache
def languages_by_extension() -> dict[str, str]:
    """Extension (``.py``) or file name (a manifest: ``go.mod``), lower-cased → the language
    its files are indexed as (``indexer.walk.language_of`` reads it)."""
    return {key.lower(): spec.name for spec in LANGUAGES.values() for key in (*spec.extensions, *spec.manifests)}


def language_of_source(language: str, source: bytes) -> str:
    """The language a file found as ``language`` (by its extension) is read as: the one its
    content shows when the language has dialects (``LanguageSpec.dialect``)."""
    dialect = get_language(language).dialect
    other = dialect(source) if dialect is not None else None
    return other if other is not None and other in LANGUAGES else language


@cache
def build_outputs() -> tuple[str, ...]:
    """Every language's ``build_outputs``, in the registry's order."""
    return tuple(dict.fromkeys(p for spec in LANGUAGES.values() for p in spec.build_outputs))


def manifest_reader(spec: LanguageSpec, path: str) -> Callable[[bytes], object] | None:
    """The reader of ``path`` when it is one of the language's manifests (read, not parsed;
    named as the walk matches them, whatever the case), else None."""
    name = path.rpartition("/")[2].lower()
    return next((read for key, read in spec.manifests.items() if key.lower() == name), None)


def get_language(name: str) -> LanguageSpec:
    try:
        return LANGUAGES[name]
    except KeyError:
        raise KeyError(f"unknown language {name!r}; known: {', '.join(sorted(LANGUAGES))}") from None


_load_language_modules()
