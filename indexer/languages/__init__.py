"""The language registry: what each supported language needs, and nothing else.

A language is a tree-sitter grammar wheel, a declarative ``<name>.scm`` query beside this file,
a few syntax facts for the generic extractor (which node types are names, member accesses and
calls) and the name of its module system for the resolver.
"""

from __future__ import annotations

import builtins
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    """Member-access node type → (object field, member field)."""
    call_types: Mapping[str, str]
    """Call node type → field holding the callee."""
    self_names: frozenset[str] = frozenset()
    """Names that always mean the enclosing instance (``this``)."""
    first_param_is_self: bool = False
    """Methods receive the instance (or class) as their first parameter (Python)."""
    super_names: frozenset[str] = frozenset()
    builtins: frozenset[str] = frozenset()
    query_name: str = ""
    alias_value_types: frozenset[str] = field(default_factory=frozenset)
    literal_types: Mapping[str, str] = field(default_factory=dict)
    """Literal node type → the builtin type of its value (``string`` → ``str``), so a method
    called on a literal (``", ".join(parts)``) resolves to that type's method."""

    @property
    def query_path(self) -> Path:
        return QUERY_DIR / f"{self.query_name or self.name}.scm"

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
)

LANGUAGES: dict[str, LanguageSpec] = {spec.name: spec for spec in (PYTHON,)}


def register(spec: LanguageSpec) -> None:
    LANGUAGES[spec.name] = spec
    languages_by_extension.cache_clear()


@cache
def languages_by_extension() -> dict[str, str]:
    return {ext: spec.name for spec in LANGUAGES.values() for ext in spec.extensions}


def get_language(name: str) -> LanguageSpec:
    try:
        return LANGUAGES[name]
    except KeyError:
        raise KeyError(f"unknown language {name!r}; known: {', '.join(sorted(LANGUAGES))}") from None
