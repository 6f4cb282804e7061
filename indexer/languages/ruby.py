"""Ruby: classes and modules (``module Shop; class Cart`` is ``Shop.Cart``), ``def`` and ``def
self.x`` (methods of the class), ``require_relative`` and ``require`` (wildcard imports: Ruby
constants are global once loaded), ``<`` as a base.

A file's package is the top-level module or class it opens first (``module Shop``): the files
of a package see each other's top-level names, and a class or module reopened in several of
them is one (the partial classes of the resolver), so ``Cart`` inside ``module Shop`` in
order.rb is the ``Shop::Cart`` of cart.rb.

``Cart.new`` calls the class: each class binds ``new`` to itself in its own scope (ruby.scm), so
``Cart.new``, ``Special.new`` of a subclass and a bare ``new`` in ``def self.build`` are calls of
the class, and ``x = Cart.new`` makes ``x`` an instance of it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping

from indexer.languages import LanguageSpec
from indexer.modules import BaseModules, Manifests, ModuleRef, Probe, ancestors, join_path

_QUOTES = "'\""

# Kernel and Module methods called bare, and the core classes and modules: external, not
# unresolved. Only names a program uses without defining or requiring them.
_BUILTINS = frozenset({
    # Kernel
    "Array", "Float", "Hash", "Integer", "Rational", "String", "abort", "at_exit", "autoload",
    "binding", "block_given?", "caller", "catch", "exit", "exit!", "fail", "format", "freeze",
    "frozen?", "gets", "instance_variable_get", "instance_variable_set", "instance_variables",
    "is_a?", "kind_of?", "lambda", "load", "loop", "method", "nil?", "p", "pp", "print", "printf",
    "proc", "public_send", "putc", "puts", "raise", "rand", "require", "require_relative",
    "respond_to?", "send", "sleep", "sprintf", "srand", "system", "tap", "then", "throw", "warn",
    "define_method", "instance_variable_defined?", "__method__", "__dir__", "object_id", "dup",
    "clone", "instance_of?", "equal?", "eql?", "hash", "inspect", "to_s", "class", "singleton_class",
    "instance_eval", "instance_exec", "extend", "display", "itself", "respond_to_missing?",
    "method_missing",
    # Module
    "alias_method", "attr", "attr_accessor", "attr_reader", "attr_writer", "class_eval",
    "class_exec", "const_get", "const_set", "const_defined?", "include", "included_modules",
    "include?", "instance_method", "instance_methods", "method_defined?", "module_eval",
    "module_function", "prepend", "private", "private_class_method", "private_constant",
    "protected", "public", "public_class_method", "remove_method", "undef_method", "name",
    "ancestors", "superclass", "using", "refine",
    # core classes and modules
    "ArgumentError", "BasicObject", "Class", "Comparable", "Data", "Dir", "Encoding",
    "Enumerable", "Enumerator", "Errno", "Exception", "FalseClass", "Fiber", "File",
    "FileTest", "FrozenError", "GC", "IO", "IOError", "IndexError", "KeyError", "Kernel",
    "LoadError", "Marshal", "MatchData", "Math", "Method", "Module", "Mutex", "NameError",
    "NilClass", "NoMethodError", "NotImplementedError", "Numeric", "Object", "ObjectSpace",
    "Proc", "Process", "Queue", "Random", "Range", "RangeError", "Regexp", "RuntimeError",
    "ScriptError", "Signal", "SignalException", "StandardError", "StopIteration", "Struct",
    "Symbol", "SystemExit", "Thread", "Time", "TrueClass", "TypeError", "UnboundMethod",
    "ZeroDivisionError", "ENV", "ARGV", "STDIN", "STDOUT", "STDERR", "RUBY_VERSION",
    "RUBY_PLATFORM", "RUBY_ENGINE", "__FILE__", "__LINE__",
})


class RubyModules(BaseModules):
    """``require_relative 'x'`` (its specifier kept quoted by ruby.scm, so it is told apart) is
    ``x.rb`` beside the importer; ``require 'shop/cart'`` is ``shop/cart.rb`` under a ``lib/``
    folder (the repository's, or a gem's inside it: ``rack-protection/lib``) or the repository
    root, else a gem outside it. A file's package is the top-level module or class it opens
    first (``module Shop``): the files reopening it, where its members may be defined."""

    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        super().__init__(paths, packages, manifests)
        libs = {d for p in self.files for d in ancestors(p) if posixpath.basename(d) == "lib"}
        self.roots = (*sorted(libs, key=lambda r: (r.count("/"), r)), "")
        by_package: dict[str, list[str]] = {}
        for path, package in self.packages.items():
            by_package.setdefault(package, []).append(path)
        self._by_package = {k: tuple(sorted(v)) for k, v in by_package.items()}

    @staticmethod
    def _is_relative(specifier: str) -> bool:
        return specifier[:1] in _QUOTES

    def _lookup(self, stem: str, probe: Probe) -> ModuleRef | None:
        for candidate in (stem, f"{stem}.rb") if stem.endswith(".rb") else (f"{stem}.rb",):
            probe(candidate)
            if candidate in self.files:
                return ModuleRef(candidate)
        return None

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None:
        if self._is_relative(specifier):
            target = specifier.strip(_QUOTES)
            if not target:
                return None
            return self._lookup(join_path(posixpath.dirname(importer), target), probe)
        if not specifier or specifier.startswith((".", "/")):
            return None
        for root in self.roots:
            found = self._lookup(join_path(root, specifier), probe)
            if found is not None:
                return found
        return None

    def is_internal(self, specifier: str, probe: Probe) -> bool:
        return self._is_relative(specifier)

    def external_name(self, specifier: str) -> str:
        return specifier.strip(_QUOTES)

    def package_of(self, path: str) -> str | None:
        return self.packages.get(path)

    def package_files(self, package: str, probe: Probe) -> tuple[str, ...]:
        return self._by_package.get(package, ())


RUBY = LanguageSpec(
    name="ruby",
    extensions=(".rb",),
    grammar="tree_sitter_ruby:language",
    module_system="ruby",
    identifier_types=frozenset({"identifier", "constant", "instance_variable", "class_variable",
                                "global_variable"}),
    member_types={"scope_resolution": ("scope", "name")},
    call_types={},
    call_member_types={"call": ("receiver", "method")},
    self_names=frozenset({"self"}),
    super_names=frozenset({"super"}),
    members_in_scope=True,
    package_scope=True,
    self_attribute_types=frozenset({"instance_variable", "class_variable"}),
    implicit_calls=True,
    external_wildcards=False,
    builtins=_BUILTINS,
    literal_types={"string": "String", "array": "Array", "hash": "Hash", "integer": "Integer",
                   "float": "Float", "simple_symbol": "Symbol", "regex": "Regexp"},
    assignment_types={"assignment": "right"},
)

SPECS = (RUBY,)
MODULE_SYSTEMS = {"ruby": RubyModules}
