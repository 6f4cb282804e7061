"""Ruby facts and the Ruby module system, through the real extractor and resolver.

Call resolution is scored on the annotated project (tests/fixtures/langs/ruby, see
tests/test_languages.py); these tests pin what the graph says about Ruby definitions and how
``require`` / ``require_relative`` map to files.
"""

from __future__ import annotations

from bench.resolution import FIXTURES, definitions, extract, resolve_files
from indexer.facts import FileFacts
from indexer.languages.ruby import RubyModules
from indexer.model import EdgeKind

PROJECT = FIXTURES / "ruby"


def _facts(path: str, source: str | None = None) -> FileFacts:
    return extract(path, source if source is not None else (PROJECT / path).read_text("utf-8"))


def _no_probe(_: str) -> None:
    pass


def test_modules_classes_and_methods_nest() -> None:
    facts = _facts("lib/shop/cart.rb")
    defs = definitions(facts)
    assert facts.package == "Shop"  # the top-level module it opens: the files reopening it
    assert defs["Shop"].kind == "class" and defs["Shop"].signature == "module Shop"
    assert defs["Shop.Cart"].kind == "class" and defs["Shop.Cart"].doc == "What a customer is about to buy."
    # `def self.build` is a method of the class, like `def add`
    assert defs["Shop.Cart.build"].kind == "method" and defs["Shop.Cart.build"].signature == "def self.build(*names)"
    assert defs["Shop.Cart.add"].signature == "def add(item)"
    assert definitions(_facts("lib/shop/invoice.rb"))["Shop.Invoice"].bases == (("Document",),)


def test_class_names_and_returns() -> None:
    facts = _facts("x.rb", "class Shop::Cart < Base\n  def self.make\n    cart = new\n    cart\n  end\n"
                           "  def order\n    Order.new(self)\n  end\nend\n")
    defs = definitions(facts)
    assert "Cart" in defs  # `class Shop::Cart` is Cart
    assert facts.package == "Shop"
    # what a method returns: its last call, or the call its last local was assigned
    assert defs["Cart.order"].returns == ("Order", "new", "()")


def test_requires_are_wildcard_imports() -> None:
    imports = _facts("lib/shop/order.rb").imports
    assert [(i.module, i.name) for i in imports] == [("'cart'", "*"), ("'report'", "*"), ("'invoice'", "*")]
    imports = _facts("lib/shop.rb").imports
    assert ("shop/cart", "*") in [(i.module, i.name) for i in imports]


def test_require_and_require_relative_resolve() -> None:
    paths = ["lib/shop.rb", "lib/shop/cart.rb", "lib/util.rb", "gems/extra/lib/extra/tool.rb", "bin/run.rb"]
    modules = RubyModules(paths, {"lib/shop.rb": "Shop", "lib/shop/cart.rb": "Shop"})
    assert modules.resolve("lib/shop.rb", "shop/cart", _no_probe).path == "lib/shop/cart.rb"
    assert modules.resolve("bin/run.rb", "extra/tool", _no_probe).path == "gems/extra/lib/extra/tool.rb"
    assert modules.resolve("lib/shop/cart.rb", "'../util'", _no_probe).path == "lib/util.rb"
    assert modules.resolve("bin/run.rb", "'../lib/shop'", _no_probe).path == "lib/shop.rb"
    assert modules.resolve("bin/run.rb", "json", _no_probe) is None
    assert not modules.is_internal("json", _no_probe) and modules.external_name("json") == "json"
    assert modules.is_internal("'missing'", _no_probe)  # a relative require: unresolved, not external
    assert modules.package_files("Shop", _no_probe) == ("lib/shop.rb", "lib/shop/cart.rb")


def test_new_calls_the_class_and_types_the_variable() -> None:
    files = {
        "lib/cart.rb": "class Cart\n  def total\n    0\n  end\nend\n",
        "lib/report.rb": "class Report\n  def total\n    1\n  end\nend\n",
        "app.rb": "require_relative 'lib/cart'\nrequire_relative 'lib/report'\n\n"
                  "def run\n  cart = Cart.new\n  cart.total\nend\n",
    }
    _, edges = resolve_files(files)
    calls = {(e.source, e.target) for e in edges if e.kind == EdgeKind.CALLS}
    assert ("app.rb::run", "lib/cart.rb::Cart") in calls
    assert ("app.rb::run", "lib/cart.rb::Cart.total") in calls
    assert ("app.rb::run", "lib/report.rb::Report.total") not in calls
