"""JavaScript, TypeScript and TSX: the sample repository ``tests/fixtures/tsrepo`` indexed end to
end, one test per hard case, plus a reviewed golden dump of its whole graph.

Regenerate the golden file after an intended change, and review its diff like code::

    REPOLENS_UPDATE_GOLDEN=1 pytest tests/test_typescript.py

The extraction tests at the end pin constructs the sample repository does not use.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from golden import check_golden

from indexer.dump import dump_text
from indexer.extract import Extractor
from indexer.facts import FileFacts
from indexer.languages import get_language, languages_by_extension
from indexer.model import Edge, EdgeKind, FileStatus, Graph, NodeKind, Resolution
from indexer.pipeline import GRAPH_FILE, IndexOptions, index_repository
from indexer.resolve import Resolver
from indexer.store.kuzu_store import KuzuStore

FIXTURE = Path(__file__).parent / "fixtures" / "tsrepo"

APP, ENGINE, FACTORY = "src/app.tsx", "src/lib/engine.ts", "src/factory.ts"
HELPERS, INDEX, UTIL, LEGACY = "src/lib/helpers.js", "src/lib/index.ts", "src/util.js", "src/legacy.cjs"
EXACT, INFERRED, EXTERNAL, UNRESOLVED = (Resolution.EXACT, Resolution.INFERRED,
                                         Resolution.EXTERNAL, Resolution.UNRESOLVED)


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    """The sample repository, copied (indexing never writes into the source tree) and indexed."""
    base = tmp_path_factory.mktemp("tsrepo")
    root = base / "tsrepo"
    shutil.copytree(FIXTURE, root)
    index_repository(root, IndexOptions(db_dir=base / "db"))
    store = KuzuStore(base / "db" / GRAPH_FILE, read_only=True)
    try:
        return store.dump()
    finally:
        store.close()


def edge(graph: Graph, kind: EdgeKind, source: str, target: str) -> Edge:
    """The one edge of ``kind`` from ``source`` to ``target``; fails saying what ``source`` has."""
    for e in graph.edges:
        if e.kind == kind and e.source == source and e.target == target:
            return e
    have = sorted(e.target for e in graph.edges if e.kind == kind and e.source == source)
    raise AssertionError(f"no {kind} {source} -> {target}; {source} has {kind} to {have}")


def targets(graph: Graph, kind: EdgeKind, source: str) -> set[str]:
    return {e.target for e in graph.edges if e.kind == kind and e.source == source}


def test_graph_matches_golden(graph: Graph) -> None:
    text = dump_text(graph)
    check_golden(text, "tsrepo.graph.txt")


# -- files ------------------------------------------------------------------------------------------

def test_every_dialect_is_indexed_and_node_modules_is_not(graph: Graph) -> None:
    files = {n.id: n.language for n in graph.nodes if n.kind == NodeKind.FILE}
    assert files == {
        APP: "tsx", ENGINE: "typescript", FACTORY: "typescript", INDEX: "typescript",
        "src/broken.ts": "typescript", HELPERS: "javascript", UTIL: "javascript",
        LEGACY: "javascript",
    }
    assert not [n.id for n in graph.nodes if "node_modules" in n.id]


def test_syntax_error_file_is_partial_with_recovered_definitions(graph: Graph) -> None:
    (broken,) = [n for n in graph.nodes if n.id == "src/broken.ts"]
    assert broken.status == FileStatus.PARTIAL
    assert broken.error == "1 syntax error(s), first at line 5"
    assert edge(graph, EdgeKind.CALLS, "src/broken.ts::broken", "src/broken.ts::ok").resolution == EXACT


# -- imports ----------------------------------------------------------------------------------------

def test_default_import_binds_the_default_export(graph: Graph) -> None:
    # import createEngine from "./factory"  (export default function createEngine)
    e = edge(graph, EdgeKind.IMPORTS, APP, f"{FACTORY}::createEngine")
    assert (e.resolution, e.name) == (EXACT, "createEngine")
    assert edge(graph, EdgeKind.CALLS, f"{APP}::App", f"{FACTORY}::createEngine").resolution == EXACT
    # import helpAll from "./lib/helpers.js"  (export default helper;)
    assert edge(graph, EdgeKind.CALLS, f"{APP}::App", f"{HELPERS}::helper").resolution == EXACT


def test_aliased_named_import_through_a_wildcard_reexport(graph: Graph) -> None:
    # import {format as formatItem} from "./lib"; lib/index.ts: export * from "./helpers"
    e = edge(graph, EdgeKind.CALLS, f"{APP}::App", f"{HELPERS}::format")
    assert (e.resolution, e.name) == (EXACT, "formatItem")


def test_namespace_import(graph: Graph) -> None:
    # import * as util from "./util"  (CommonJS: module.exports = { format, pad })
    e = edge(graph, EdgeKind.CALLS, f"{APP}::App", f"{UTIL}::format")
    assert (e.resolution, e.name) == (EXACT, "util.format")


def test_named_reexport_through_index(graph: Graph) -> None:
    # import {Engine} from "./lib"; lib/index.ts: export {Engine, TurboEngine} from "./engine"
    assert edge(graph, EdgeKind.IMPORTS, APP, f"{ENGINE}::Engine").resolution == EXACT
    assert edge(graph, EdgeKind.IMPORTS, INDEX, f"{ENGINE}::Engine").resolution == EXACT
    assert edge(graph, EdgeKind.CALLS, f"{APP}::App", f"{ENGINE}::Engine").name == "Engine"
    # export {default as makeEngine} from "../factory"
    assert edge(graph, EdgeKind.IMPORTS, INDEX, f"{FACTORY}::createEngine").name == "makeEngine"
    assert f"{FACTORY}::createEngine" in targets(graph, EdgeKind.CALLS, f"{APP}::App")


def test_typescript_imports_javascript_by_its_compiled_name(graph: Graph) -> None:
    # factory.ts: import {format} from "./util.js"; app.tsx: import type ... from "./lib/engine.js"
    assert edge(graph, EdgeKind.CALLS, f"{FACTORY}::createEngine", f"{UTIL}::format").resolution == EXACT
    assert edge(graph, EdgeKind.IMPORTS, APP, ENGINE).name == "./lib/engine.js"


def test_commonjs_require(graph: Graph) -> None:
    # const {helper} = require("./lib/helpers"); const util = require("./util")
    assert edge(graph, EdgeKind.IMPORTS, LEGACY, f"{HELPERS}::helper").resolution == EXACT
    assert edge(graph, EdgeKind.CALLS, f"{LEGACY}::main", f"{HELPERS}::helper").resolution == EXACT
    assert edge(graph, EdgeKind.CALLS, f"{LEGACY}::main", f"{UTIL}::pad").name == "util.pad"
    # require(...) is an import, never a call
    assert not [e for e in graph.edges if e.target == "extern::require"]
    # an ES default import of module.exports = main
    assert edge(graph, EdgeKind.CALLS, f"{APP}::App", f"{LEGACY}::main").name == "legacyMain"


def test_same_named_functions_resolve_to_their_own_module(graph: Graph) -> None:
    formats = {e.name: e.target for e in graph.edges
               if e.kind == EdgeKind.CALLS and e.target.endswith("::format")
               and e.source == f"{APP}::App"}
    assert formats == {"format": f"{APP}::format", "formatItem": f"{HELPERS}::format",
                       "util.format": f"{UTIL}::format"}
    assert edge(graph, EdgeKind.CALLS, f"{UTIL}::pad", f"{UTIL}::format").resolution == EXACT
    assert edge(graph, EdgeKind.CALLS, f"{HELPERS}::helper", f"{HELPERS}::format").resolution == EXACT


def test_external_package(graph: Graph) -> None:
    # import React, {useState} from "react"
    assert edge(graph, EdgeKind.IMPORTS, APP, "extern::react").name == "react"
    assert edge(graph, EdgeKind.CALLS, f"{APP}::Panel", "extern::react.useState").resolution == EXTERNAL
    assert edge(graph, EdgeKind.CALLS, APP, "extern::react.memo").name == "React.memo"
    assert edge(graph, EdgeKind.CALLS, f"{FACTORY}::createEngine", "extern::console.log").resolution == EXTERNAL


# -- classes ----------------------------------------------------------------------------------------

def test_inheritance_extends_and_implements(graph: Graph) -> None:
    assert edge(graph, EdgeKind.INHERITS, f"{ENGINE}::Engine", f"{ENGINE}::Base").resolution == EXACT
    assert edge(graph, EdgeKind.INHERITS, f"{ENGINE}::TurboEngine", f"{ENGINE}::Engine").resolution == EXACT
    assert edge(graph, EdgeKind.INHERITS, f"{ENGINE}::Base", f"{ENGINE}::Startable").resolution == EXACT
    kinds = {n.id: n.kind for n in graph.nodes}
    assert kinds[f"{ENGINE}::Startable"] == NodeKind.CLASS  # an interface
    assert kinds[f"{ENGINE}::Base.spin"] == NodeKind.METHOD  # an abstract method
    assert kinds[f"{ENGINE}::TurboEngine.boost"] == NodeKind.METHOD  # an arrow-function field


def test_super_calls(graph: Graph) -> None:
    # super() in a constructor calls the parent class; super.m() the parent's method
    assert edge(graph, EdgeKind.CALLS, f"{ENGINE}::Engine.constructor", f"{ENGINE}::Base").name == "super"
    assert edge(graph, EdgeKind.CALLS, f"{ENGINE}::Engine.start", f"{ENGINE}::Base.start").name == "super.start"
    assert edge(graph, EdgeKind.CALLS, f"{ENGINE}::TurboEngine.spin", f"{ENGINE}::Engine.spin").name == "super.spin"


def test_this_calls_follow_inheritance(graph: Graph) -> None:
    boost = f"{ENGINE}::TurboEngine.boost"
    assert edge(graph, EdgeKind.CALLS, boost, f"{ENGINE}::Engine.start").resolution == EXACT
    assert edge(graph, EdgeKind.CALLS, boost, f"{ENGINE}::Base.log").resolution == EXACT  # two up
    assert edge(graph, EdgeKind.CALLS, f"{ENGINE}::Engine.start", f"{ENGINE}::Engine.spin").name == "this.spin"


def test_new_calls_the_class_and_binds_an_instance(graph: Graph) -> None:
    # const direct = new Engine("direct"); direct.start()
    assert edge(graph, EdgeKind.CALLS, f"{APP}::App", f"{ENGINE}::Engine.start").resolution == INFERRED
    assert edge(graph, EdgeKind.CALLS, f"{FACTORY}::createEngine", f"{ENGINE}::TurboEngine").resolution == EXACT


def test_annotated_parameters_and_attributes_infer_instances(graph: Graph) -> None:
    # const run = (e: Engine): number => e.spin()
    e = edge(graph, EdgeKind.CALLS, f"{APP}::run", f"{ENGINE}::Engine.spin")
    assert (e.resolution, e.name) == (INFERRED, "e.spin")
    # this.main = main (main: Engine); spare = new TurboEngine("spare")
    service = f"{FACTORY}::Garage.service"
    assert edge(graph, EdgeKind.CALLS, service, f"{ENGINE}::Engine.start").resolution == INFERRED
    assert edge(graph, EdgeKind.CALLS, service, f"{ENGINE}::TurboEngine.boost").resolution == INFERRED


def test_calls_in_anonymous_functions_belong_to_the_enclosing_function(graph: Graph) -> None:
    # items.map((item) => format(item)); onClick={() => setCount(count + 1)}
    assert f"{HELPERS}::format" in targets(graph, EdgeKind.CALLS, f"{HELPERS}::helper")
    assert "unresolved::setCount" in targets(graph, EdgeKind.CALLS, f"{APP}::Panel")


def test_jsx_elements_call_components(graph: Graph) -> None:
    assert edge(graph, EdgeKind.CALLS, f"{APP}::App", f"{APP}::Panel").resolution == EXACT
    assert not [e for e in graph.edges if e.target.endswith("::div")]  # HTML tags are no calls


def test_signatures_and_jsdoc(graph: Graph) -> None:
    nodes = {n.id: n for n in graph.nodes}
    start = nodes[f"{ENGINE}::Engine.start"]
    assert (start.signature, start.doc) == ("start(): void", "Starts, then spins once.")
    run = nodes[f"{APP}::run"]
    assert (run.signature, run.doc) == ("run = (e: Engine): number =>", "Spins any engine it is given.")
    assert nodes[f"{HELPERS}::format"].doc == "Formats one value for the log."
    assert nodes[f"{FACTORY}::createEngine"].signature == (
        "function createEngine(name: string, turbo: boolean): Engine")


# -- extraction of constructs the sample does not use --------------------------------------------

def extract(language: str, source: str, path: str = "m.ts") -> FileFacts:
    return Extractor(get_language(language)).extract(path, source.encode())


def defs(facts: FileFacts) -> dict[str, str]:
    return {d.qualname: d.kind for d in facts.defs}


def test_registry_maps_every_extension() -> None:
    by_extension = languages_by_extension()
    for ext in (".js", ".jsx", ".mjs", ".cjs"):
        assert by_extension[ext] == "javascript"
    for ext in (".ts", ".mts", ".cts"):
        assert by_extension[ext] == "typescript"
    assert by_extension[".tsx"] == "tsx"


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_definitions_of_every_dialect(language: str) -> None:
    facts = extract(language, """
function plain() {}
function* gen() {}
const arrow = () => 1, expr = function () {};
const Klass = class { method() {} };
class Widget { handler = () => this.method(); method() {} }
exports.helper = function () {};
export default function () {}
const obj = { inner() {} };
""")
    assert defs(facts) == {
        "plain": "function", "gen": "function", "arrow": "function", "expr": "function",
        "Klass": "class", "Klass.method": "method", "Widget": "class",
        "Widget.handler": "method", "Widget.method": "method", "helper": "function",
        "default": "function",
    }
    # a function's own name is bound by its definition only, so recursion resolves
    assert not [b for b in facts.binds if b.target in (("arrow",), ("expr",))]


def test_typescript_types_are_classes() -> None:
    facts = extract("typescript", """
interface Shape extends Base { area(): number; }
type Id = string;
enum Color { Red }
namespace Geometry { export function origin() {} }
@Component({}) class View {}
""")
    assert defs(facts) == {"Shape": "class", "Shape.area": "method", "Id": "class",
                           "Color": "class", "Geometry": "class", "Geometry.origin": "method",
                           "View": "class"}
    assert facts.defs[0].bases == (("Base",),)
    assert facts.defs[-1].decorators == ("Component",)


def test_export_forms_bind_default() -> None:
    binds = {(b.target, b.value) for b in extract("javascript", """
function a() {}
export { a as default };
module.exports = a;
exports.b = a;
""", "m.js").binds}
    assert {(("default",), ("a",)), (("b",), ("a",))} <= binds
    ts_binds = {(b.target, b.value) for b in extract("typescript", "class K {}\nexport = K;\n").binds}
    assert (("default",), ("K",)) in ts_binds


def test_import_forms() -> None:
    imports = {(i.module, i.name, i.alias) for i in extract("typescript", """
import d, {a, b as c} from "./x";
import * as ns from "./y";
import "./side";
import fs = require("fs");
export {e as f} from "./z";
export * from "./w";
export * as all from "./v";
const {g, h: k} = require("./u");
async function lazy() { await import("./lazy"); }
""").imports}
    assert imports == {
        ("./x", "default", "d"), ("./x", "a", None), ("./x", "b", "c"), ("./y", None, "ns"),
        ("./side", None, None), ("fs", None, "fs"), ("./z", "e", "f"), ("./w", "*", None),
        ("./v", None, "all"), ("./u", "g", None), ("./u", "h", "k"), ("./lazy", None, None),
    }


def test_parameters_of_signatures_and_function_types_bind_nothing() -> None:
    facts = extract("typescript", """
function over(a: string): void;
function over(a: any) {}
type Callback = (err: Error) => void;
""")
    assert [(p.scope, p.name) for p in facts.params] == [(0, "a")]  # of the implementation


def test_jsdoc_first_line_is_the_doc() -> None:
    facts = extract("javascript", "/**\n * Adds.\n * @param a\n */\nfunction add(a) {}\n"
                                  "// not a doc\nfunction sub(a) {}\n", "m.js")
    assert [d.doc for d in facts.defs] == ["Adds.", None]


def test_javascript_and_typescript_share_one_module_system() -> None:
    files = {
        "src/util.js": "export function f() {}\n",
        "src/main.ts": 'import { f } from "./util.js";\nexport function g() { f(); }\n',
        "src/view.tsx": 'import { g } from "./main";\nexport function V() { g(); }\n',
    }
    facts = {p: Extractor(get_language(languages_by_extension()["." + p.rsplit(".", 1)[1]]))
             .extract(p, s.encode()) for p, s in files.items()}
    by_language: dict[str, list[str]] = {}
    for p, f in facts.items():
        by_language.setdefault(f.language, []).append(p)
    resolver = Resolver(by_language, facts.get)
    calls = {(e.source, e.target) for p in files for e in resolver.resolve_file(p).edges
             if e.kind == EdgeKind.CALLS}
    assert calls == {("src/main.ts::g", "src/util.js::f"), ("src/view.tsx::V", "src/main.ts::g")}


def test_incremental_reindex_across_dialects_equals_a_fresh_index(tmp_path: Path) -> None:
    """Renaming a method in a .ts file re-resolves the .tsx and .ts files that call it."""
    root = tmp_path / "tsrepo"
    shutil.copytree(FIXTURE, root)
    index_repository(root, IndexOptions(db_dir=tmp_path / "db"))
    engine = root / ENGINE
    engine.write_text(engine.read_text().replace("spin(): number {\n    return 1;",
                                                 "spinner(): number {\n    return 1;"))
    report = index_repository(root, IndexOptions(db_dir=tmp_path / "db"))
    assert report.mode == "incremental"
    assert report.resolved < report.files
    index_repository(root, IndexOptions(db_dir=tmp_path / "fresh"))
    dumps = []
    for db in ("db", "fresh"):
        store = KuzuStore(tmp_path / db / GRAPH_FILE, read_only=True)
        try:
            dumps.append(dump_text(store.dump()))
        finally:
            store.close()
    assert dumps[0] == dumps[1]
    assert f"{ENGINE}::Engine.spinner" in dumps[0]
    assert f"CALLS {APP}::run -> {ENGINE}::Base.spin [inferred" in dumps[0]  # now the abstract one
