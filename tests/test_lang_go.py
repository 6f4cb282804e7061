"""Go facts and the Go module system, through the real extractor and resolver.

Call resolution is scored on the annotated project (tests/fixtures/langs/go, see
tests/test_languages.py); these tests pin what the graph says about Go declarations and how
import paths map to directories.
"""

from __future__ import annotations

from bench.resolution import FIXTURES, definitions, extract, resolve_files
from indexer.facts import FileFacts
from indexer.languages.go import GoModules, is_standard

PROJECT = FIXTURES / "go"


def _facts(path: str, source: str | None = None) -> FileFacts:
    return extract(path, source if source is not None else (PROJECT / path).read_text("utf-8"))


def _no_probe(_: str) -> None:
    pass


def _package(modules: GoModules, importer: str, specifier: str) -> str | None:
    """The package (directory) ``specifier`` names from ``importer``; None when outside."""
    ref = modules.resolve(importer, specifier, _no_probe)
    assert ref is None or ref.package
    return None if ref is None else ref.path


def test_types_methods_and_their_signatures() -> None:
    facts = _facts("cart/cart.go")
    defs = definitions(facts)
    assert facts.package == "cart"
    assert defs["Cart"].kind == "class" and defs["Cart"].signature == "type Cart struct"
    assert defs["Cart.Add"].kind == "method" and defs["Cart.Add"].owner == ("Cart",)
    assert defs["Cart.Add"].signature == "func (c *Cart) Add(item Item)"
    assert defs["Cart.Len"].signature == "func (c Cart) Len() int"  # a value receiver
    assert defs["New"].kind == "function" and defs["New"].returns == ("Cart", ":")
    # the type's methods in another file of the package are its methods too
    assert definitions(_facts("cart/total.go"))["Cart.Total"].owner == ("Cart",)


def test_doc_comments_and_the_package_doc() -> None:
    facts = _facts("cart/cart.go")
    defs = definitions(facts)
    assert facts.doc is not None
    assert facts.doc.endswith("Package cart holds a shopping cart and the store that prices it.")
    assert defs["Cart"].doc is not None and defs["Cart"].doc.endswith("Cart is a list of items priced by a store.")
    assert defs["Cart.Add"].doc is not None and defs["Cart.Add"].doc.endswith("Add puts an item in the cart.")
    # a file without a `// Package` comment has no module doc
    assert _facts("cart/total.go").doc is None


def test_interfaces_declare_methods_and_embed_interfaces() -> None:
    defs = definitions(_facts("shapes/shape.go"))
    assert defs["Shape"].signature == "type Shape interface"
    assert defs["Shape"].bases == (("Namer",),)
    assert defs["Shape.Area"].declaration and defs["Shape.Area"].returns == ("float64", ":")
    assert not defs["Show"].declaration


def test_struct_embedding_is_a_base_and_fields_are_typed() -> None:
    facts = _facts("order/order.go")
    order = definitions(facts)["Order"]
    assert order.bases == (("Base",),)
    scope = facts.defs.index(order)
    fields = {b.target: b.value for b in facts.binds if b.scope == scope}
    assert fields[("cart",)] == ("cart", "Cart", ":") and fields[("status",)] == ("Status", ":")


def test_grouped_declarations_aliases_and_generics() -> None:
    source = """package p

import "example.com/m/cart"

type (
	// Celsius is a temperature.
	Celsius float64
	Handler func(int) error
)

// Basket is a cart by another name.
type Basket = cart.Cart

type Stack[T any] struct{ items []T }

func (s *Stack[T]) Push(v T) { s.items = append(s.items, v) }

func Pair() (*Stack[int], error) { return nil, nil }
"""
    defs = definitions(_facts("p/p.go", source))
    assert defs["Celsius"].kind == "class" and defs["Celsius"].signature == "Celsius float64"
    assert defs["Celsius"].doc is not None and defs["Celsius"].doc.endswith("Celsius is a temperature.")
    assert defs["Handler"].kind == "class"
    assert defs["Basket"].bases == (("Basket",), ("cart", "Cart"))  # its members are the cart's
    assert defs["Stack.Push"].owner == ("Stack",)
    assert defs["Pair"].returns == ("Stack", ":")  # the first of several results


def test_imports_aliases_dot_and_blank() -> None:
    facts = _facts("report/report.go", """package report

import (
	"fmt"
	u "example.com/shop/internal/util"
	. "example.com/shop/order"
	_ "example.com/shop/shapes"
)
""")
    imports = {(i.module, i.name, i.alias) for i in facts.imports}
    assert imports == {("fmt", None, None), ("example.com/shop/internal/util", None, "u"),
                       ("example.com/shop/order", "*", None), ("example.com/shop/shapes", None, "_")}


def test_import_paths_name_directories_by_their_trailing_segments() -> None:
    paths = ["main.go", "cart/cart.go", "shop/cart/cart.go", "internal/util/text.go", "log/log.go"]
    modules = GoModules(paths, {p: p.split("/")[-2] if "/" in p else "main" for p in paths})
    assert _package(modules, "main.go", "example.com/shop/internal/util") == "internal/util"
    assert _package(modules, "main.go", "example.com/shop/cart") == "shop/cart"  # the longest
    assert _package(modules, "main.go", "example.com/cart") == "cart"
    # the standard library, unknown paths and a package's own directory are outside
    assert _package(modules, "main.go", "log") is None and is_standard("net/http")
    assert _package(modules, "main.go", "github.com/acme/missing") is None
    assert _package(modules, "log/log.go", "github.com/acme/log") is None
    assert modules.package_of("cart/cart.go") == "cart"
    assert modules.package_of("main.go") == ""


def test_the_go_root_and_its_package_name() -> None:
    # all the Go code under backend/: import paths are read from there; the root's package
    # name names the root (cobra's `github.com/spf13/cobra` is its `package cobra`)
    paths = ["backend/api.go", "backend/store/store.go", "backend/store/store_test.go", "backend/doc/doc.go"]
    packages = {"backend/api.go": "api", "backend/store/store.go": "store",
                "backend/store/store_test.go": "store_test", "backend/doc/doc.go": "doc"}
    modules = GoModules(paths, packages)
    assert modules.roots == ("backend",)
    assert _package(modules, "backend/api.go", "github.com/acme/api/store") == "backend/store"
    assert _package(modules, "backend/doc/doc.go", "github.com/acme/api") == "backend"
    # an external test package imports the package of its own directory
    assert _package(modules, "backend/store/store_test.go", "github.com/acme/api/store") == "backend/store"


def test_a_package_lists_its_own_files_before_its_tests() -> None:
    paths = ["cart/a_test.go", "cart/cart.go", "cart/b_test.go", "cart/total.go"]
    packages = {"cart/a_test.go": "cart_test", "cart/cart.go": "cart", "cart/b_test.go": "cart",
                "cart/total.go": "cart"}
    modules = GoModules(paths, packages)
    assert modules.package_files("cart", _no_probe) == ("cart/cart.go", "cart/total.go", "cart/b_test.go",
                                                         "cart/a_test.go")


def test_every_resolution_probes_the_directories_it_looked_for() -> None:
    modules = GoModules(["main.go", "cart/cart.go"], {})
    probed: list[str] = []
    modules.resolve("main.go", "example.com/shop/cart", probed.append)
    assert "package:shop/cart" in probed and "package:cart" in probed


def test_calls_in_a_nested_module_resolve() -> None:
    files = {
        "services/api/main.go": 'package main\n\nimport "github.com/acme/api/store"\n\n'
                                "func main() {\n\ts := store.Open()\n\ts.Get()\n}\n",
        "services/api/store/store.go": "package store\n\ntype Store struct{}\n\n"
                                       "func Open() *Store { return &Store{} }\n\n"
                                       "func (s *Store) Get() int { return 1 }\n",
    }
    _, edges = resolve_files(files)
    calls = {(e.source, e.target, e.resolution and e.resolution.value) for e in edges if e.kind.value == "CALLS"}
    assert ("services/api/main.go::main", "services/api/store/store.go::Open", "exact") in calls
    assert ("services/api/main.go::main", "services/api/store/store.go::Store.Get", "inferred") in calls


def test_an_import_binds_its_package_name_not_its_last_path_segment() -> None:
    """``gopkg.in/yaml.v3`` binds ``yaml``, ``github.com/x/y/v2`` binds ``y``,
    ``github.com/mattn/go-sqlite3`` binds ``sqlite3``: their calls are external, not unresolved."""
    from bench.resolution import resolve_files

    source = ('package main\n\nimport (\n\t"gopkg.in/yaml.v3"\n\t"github.com/mattn/go-sqlite3"\n'
              '\t"github.com/x/y/v2"\n)\n\nfunc main() {\n\tyaml.Marshal(1)\n\tsqlite3.Open()\n\ty.Run()\n}\n')
    _, edges = resolve_files({"main.go": source})
    calls = {e.target: e.resolution.value for e in edges if e.kind.value == "CALLS" and e.resolution is not None}
    assert calls == {"extern::gopkg.in/yaml.v3.Marshal": "external",
                     "extern::github.com/mattn/go-sqlite3.Open": "external",
                     "extern::github.com/x/y/v2.Run": "external"}
