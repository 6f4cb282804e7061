"""Go facts and the Go module system, through the real extractor and resolver.

Call resolution is scored on the annotated project (tests/fixtures/langs/go, see
tests/test_languages.py); these tests pin what the graph says about Go declarations, what
``go.mod`` says, and how import paths map to directories with and without it.
"""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import pytest

from bench.resolution import FIXTURES, annotated, definitions, extract, failures, project_files, resolve_files
from indexer.extract import Extractor
from indexer.facts import FileFacts
from indexer.languages import get_language
from indexer.languages.go import GoModules, is_standard, read_go_mod

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


# -- go.mod -----------------------------------------------------------------------------------

def test_go_mod_says_its_module_go_version_and_local_replacements() -> None:
    data = read_go_mod(b"""// The shop.
module example.com/shop // the module path

go 1.22

require (
	github.com/spf13/pflag v1.0.9 // indirect
	example.com/lib v1.2.0
)

replace (
	example.com/lib => ./third_party/lib
	example.com/old v1.0.0 => ../old // one version
	example.com/old => ../old-all
	example.com/fork => github.com/acme/fork v1.1.0
)
replace example.com/one => "../one"
retract [v1.0.0, v1.0.5] // a broken release
toolchain go1.22.1
""")
    assert data == {"module": "example.com/shop", "go": "1.22",
                    "replace": {"example.com/lib": "./third_party/lib", "example.com/old": "../old-all",
                                "example.com/one": "../one"}}
    # stored with marshal and as JSON: plain data that comes back equal
    assert json.loads(json.dumps(data)) == data and marshal.loads(marshal.dumps(data)) == data


def test_go_mod_module_may_be_quoted_or_a_block() -> None:
    assert read_go_mod(b'module "example.com/q"\n')["module"] == "example.com/q"
    assert read_go_mod(b"module `example.com/raw`\n")["module"] == "example.com/raw"
    assert read_go_mod(b"module (\n\texample.com/block // c\n)\n") == {
        "module": "example.com/block", "go": None, "replace": {}}


@pytest.mark.parametrize(("text", "message"), [
    (b"", "go.mod: no module directive"),
    (b"go 1.22\nrequire x v1\n", "go.mod: no module directive"),
    (b'{"name": "not a go.mod"}', r"go.mod:1: expected a directive, found '\{'"),
    (b"module a\nmodule b\n", "go.mod:2: a second module directive"),
    (b"module a b\n", "go.mod:1: invalid module path 'a b'"),
    (b'module "example.com/q\n', "go.mod:1: unexpected '\"'"),
    (b"module a\nreplace (\n\tx => ./x\n", "go.mod:2: the replace block is not closed"),
    (b"module a\nreplace x => y\n", "go.mod:2: a replacement module without a version must be a directory"),
    (b"module a\nreplace x ./y\n", "go.mod:2: expected 'replace path"),
    (b"module a\nreplace x => ./y v1.0.0\n", "go.mod:2: a replacement directory has no version"),
    (b"module a\nrequire ( x v1 )\n", "go.mod:2: unexpected '\\('"),
    (b"module \xff\n", r"go.mod: not UTF-8 \(byte 7\)"),
])
def test_a_go_mod_that_cannot_be_read_raises_value_error_saying_why(text: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_go_mod(text)


def test_a_go_mod_is_a_file_of_the_language_read_not_parsed() -> None:
    facts = Extractor(get_language("go")).extract("tools/go.mod", b"module example.com/tools\n")
    assert facts.manifest == {"module": "example.com/tools", "go": None, "replace": {}}
    assert facts.defs == [] and facts.line_count == 1


# -- import paths with go.mod -----------------------------------------------------------------

def _go_modules(paths: list[str], go_mods: dict[str, str]) -> GoModules:
    """The module system of ``paths`` (``.go`` files, each in the package of its directory)
    and ``go_mods`` (path → text, read by the real reader)."""
    packages = {p: p.split("/")[-2] if "/" in p else "main" for p in paths}
    return GoModules(paths, packages, {p: read_go_mod(text.encode()) for p, text in go_mods.items()})


def test_with_go_mod_a_module_path_maps_to_its_directory_exactly() -> None:
    paths = ["main.go", "cart/cart.go", "internal/util/text.go", "shop/cart/cart.go", "docs/doc.go"]
    modules = _go_modules(paths, {"go.mod": "module example.com/shop\n"})
    assert _package(modules, "main.go", "example.com/shop/cart") == "cart"  # not shop/cart: no guessing
    assert _package(modules, "main.go", "example.com/shop/internal/util") == "internal/util"
    assert _package(modules, "docs/doc.go", "example.com/shop") == ""
    assert _package(modules, "main.go", "example.com/shop/shop/cart") == "shop/cart"
    assert modules.roots == ("",)


def test_with_go_mod_another_modules_path_is_external_whatever_its_last_segments() -> None:
    """The trap: ``github.com/other/cart`` ends like the repository's ``cart/``; go.mod says the
    repository is ``example.com/shop``, so it is someone else's cart."""
    paths = ["main.go", "cart/cart.go", "log/log.go"]
    modules = _go_modules(paths, {"go.mod": "module example.com/shop\n"})
    for other in ("github.com/other/cart", "example.com/shopping/cart", "example.com/cart"):
        assert _package(modules, "main.go", other) is None
        assert not modules.is_internal(other, _no_probe)
    assert _package(modules, "main.go", "log") is None and not modules.is_internal("log", _no_probe)
    # without go.mod the trailing segments still decide (the fallback, as before)
    assert _package(_go_modules(paths, {}), "main.go", "github.com/other/cart") == "cart"


def test_a_path_under_the_module_without_go_files_is_unresolved_not_external() -> None:
    modules = _go_modules(["main.go", "cart/cart.go"], {"go.mod": "module example.com/shop\n"})
    assert _package(modules, "main.go", "example.com/shop/missing") is None
    assert modules.is_internal("example.com/shop/missing", _no_probe)
    source = 'package main\n\nimport "example.com/shop/missing"\n\nfunc main() {\n\tmissing.Run()\n}\n'
    _, edges = resolve_files({"go.mod": "module example.com/shop\n", "main.go": source})
    assert [e.target for e in edges if e.kind.value == "CALLS"] == ["unresolved::Run"]
    # without go.mod nothing says the path is the repository's
    _, edges = resolve_files({"main.go": source})
    assert [e.target for e in edges if e.kind.value == "CALLS"] == ["extern::example.com/shop/missing.Run"]


def test_nested_modules_longest_path_wins_and_a_directory_belongs_to_the_innermost_go_mod() -> None:
    paths = ["main.go", "api/store/store.go", "services/api/store/store.go", "tools/gen/gen.go",
             "services/api/main.go"]
    modules = _go_modules(paths, {"go.mod": "module example.com/shop\n",
                                  "services/api/go.mod": "module example.com/shop/api\n",
                                  "tools/go.mod": "module example.com/tools\n"})
    assert modules.roots == ("", "tools", "services/api")
    # the nested module's path is longer than the root's + "/api": its directory wins
    assert _package(modules, "main.go", "example.com/shop/api/store") == "services/api/store"
    assert _package(modules, "main.go", "example.com/tools/gen") == "tools/gen"
    # tools/gen is the tools module's: the root module has no package tools/gen
    assert _package(modules, "main.go", "example.com/shop/tools/gen") is None
    assert modules.is_internal("example.com/shop/tools/gen", _no_probe)
    assert _package(modules, "services/api/main.go", "example.com/shop") == ""


def test_local_replacements_inside_the_repository_map_and_vendor_resolves() -> None:
    paths = ["main.go", "third_party/lib/x/x.go", "vendor/github.com/pkg/errors/errors.go",
             "vendor/github.com/pkg/errors/go.mod.go"]
    modules = _go_modules(paths, {
        "go.mod": "module example.com/shop\nreplace (\n\texample.com/lib => ./third_party/lib\n"
                  "\texample.com/far => ../far\n)\n",
        "vendor/github.com/pkg/errors/go.mod": "module github.com/pkg/errors\n",  # a copy, not a module
    })
    assert [m.directory for m in modules.go_mods] == [""]
    assert modules.roots == ("", "third_party/lib")
    assert _package(modules, "main.go", "example.com/lib/x") == "third_party/lib/x"
    assert modules.is_internal("example.com/lib/y", _no_probe)
    # a replacement outside the repository is someone else's code
    assert _package(modules, "main.go", "example.com/far/x") is None
    assert not modules.is_internal("example.com/far/x", _no_probe)
    assert _package(modules, "main.go", "github.com/pkg/errors") == "vendor/github.com/pkg/errors"
    assert _package(modules, "third_party/lib/x/x.go", "github.com/pkg/errors") == "vendor/github.com/pkg/errors"
    assert _package(modules, "main.go", "github.com/pkg/other") is None


def test_a_module_resolution_probes_the_directory_it_maps_to() -> None:
    modules = _go_modules(["main.go"], {"go.mod": "module example.com/shop\n"})
    probed: list[str] = []
    modules.resolve("main.go", "example.com/shop/cart", probed.append)
    assert "package:cart" in probed
    probed.clear()
    modules.resolve("main.go", "github.com/pkg/errors", probed.append)
    assert "package:vendor/github.com/pkg/errors" in probed


# -- resolution with go.mod -------------------------------------------------------------------

def test_the_annotated_project_resolves_every_call_through_its_go_mod() -> None:
    files = project_files(PROJECT)
    assert "go.mod" in files
    nodes, edges = resolve_files(files)
    assert failures(annotated(files), nodes, edges) == []


def test_a_call_into_another_modules_package_of_a_repository_name_is_external() -> None:
    files = {
        "go.mod": "module example.com/shop\n",
        "cart/cart.go": "package cart\n\nfunc New() int { return 1 }\n",
        "main.go": 'package main\n\nimport "github.com/other/cart"\n\nfunc main() {\n\tcart.New()\n'
                   "\t//   ^ no calls: cart/cart.go::New\n}\n",
    }
    nodes, edges = resolve_files(files)
    assert failures(annotated(files), nodes, edges) == []
    assert [e.target for e in edges if e.kind.value == "CALLS"] == ["extern::github.com/other/cart.New"]


def test_editing_the_module_line_re_resolves_and_equals_a_fresh_index(tmp_path: Path, index_dump) -> None:
    from test_incremental import assert_same_graph

    root = tmp_path / "shop"
    files = {
        "go.mod": "module example.com/shop\n\ngo 1.22\n",
        "main.go": 'package main\n\nimport "example.com/shop/cart"\n\nfunc main() {\n\tcart.New()\n}\n',
        "cart/cart.go": "package cart\n\nfunc New() int { return 1 }\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    internal = 'CALLS main.go::main -> cart/cart.go::New [exact'
    first, dump = index_dump(root, tmp_path / "db")
    assert first.mode == "full" and internal in dump

    def step(what: str, module: str) -> str:
        (root / "go.mod").write_text(f"module {module}\n\ngo 1.22\n", encoding="utf-8")
        report, incremental = index_dump(root, tmp_path / "db")
        assert report.mode == "incremental", what
        assert report.resolved == 3, what  # main.go did not change, it is resolved again all the same
        _, fresh = index_dump(root, tmp_path / f"fresh-{what}")
        assert_same_graph(incremental, fresh, what)
        return incremental

    moved = step("renamed", "example.com/store")
    assert internal not in moved and "CALLS main.go::main -> extern::example.com/shop/cart.New" in moved
    assert internal in step("restored", "example.com/shop")
