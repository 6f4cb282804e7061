"""Rust: the facts the extractor reads (items, impl blocks, signatures, doc comments, return
types, imports) and the module tree of crates (``RustModules``), with the real extractor and
resolver. The annotated project ``tests/fixtures/langs/rust`` scores call resolution."""

from __future__ import annotations

import pytest

from bench import resolution
from indexer.facts import TYPE_PART, DefFact, DefKind, FileFacts
from indexer.languages.rust import RustModules
from indexer.model import EdgeKind
from indexer.modules import ModuleRef


def facts_of(source: str, path: str = "src/lib.rs") -> FileFacts:
    return resolution.extract(path, source)


def defs_by_qualname(facts: FileFacts) -> dict[str, DefFact]:
    """The definitions that are nodes (an impl block is none: its functions are its type's)."""
    return {d.qualname: d for d in facts.defs if d.kind != DefKind.EXTENSION}


SOURCE = '''\
//! The engine crate.
//! Second line.

use std::fmt;

/// Runs things.
/// More about it.
#[derive(Debug)]
pub struct Engine<T> {
    items: Vec<T>,
}

/// Something that runs.
pub trait Run: fmt::Debug {
    /// Runs once.
    fn run(&self) -> u8;
    fn twice(&self) -> u8 {
        self.run() + self.run()
    }
}

impl<T> Engine<T> {
    /// A new engine.
    pub fn new() -> Self {
        Engine { items: Vec::new() }
    }

    pub fn open(path: &str) -> Result<Engine<T>, String> {
        Ok(Self::new())
    }
}

impl<T: fmt::Debug> Run for Engine<T> {
    fn run(&self) -> u8 {
        1
    }
}

pub mod inline {
    pub fn helper() {}
}
'''


def test_items_are_classes_and_impl_functions_are_methods_of_their_type() -> None:
    facts = facts_of(SOURCE)
    defs = defs_by_qualname(facts)
    assert {q: d.kind for q, d in defs.items()} == {
        "Engine": "class", "Run": "class", "Run.run": "method", "Run.twice": "method",
        "Engine.new": "method", "Engine.open": "method", "Engine.run": "method",
        "inline": "class", "inline.helper": "method",
    }
    extensions = [d for d in facts.defs if d.kind == DefKind.EXTENSION]
    assert [(d.owner, d.bases) for d in extensions] == [(("Engine",), ()), (("Engine",), (("Run",),))]


def test_a_trait_method_without_a_body_is_a_declaration() -> None:
    defs = defs_by_qualname(facts_of(SOURCE))
    assert defs["Run.run"].declaration
    assert not defs["Run.twice"].declaration
    assert not defs["Engine.run"].declaration


def test_signatures_doc_comments_and_bases() -> None:
    facts = facts_of(SOURCE)
    defs = defs_by_qualname(facts)
    assert facts.doc == "The engine crate."
    assert defs["Engine"].signature == "pub struct Engine<T>"
    assert defs["Engine"].doc == "Runs things."  # the first `///` line, past the attribute
    assert defs["Run"].doc == "Something that runs."
    assert defs["Run"].bases == (("fmt", "Debug"),)
    assert defs["Run.run"].doc == "Runs once."
    assert defs["Engine.new"].signature == "pub fn new() -> Self"
    assert defs["Engine.new"].doc == "A new engine."


def test_return_types_self_and_what_a_result_holds() -> None:
    defs = defs_by_qualname(facts_of(SOURCE))
    assert defs["Engine.new"].returns == ("Self", TYPE_PART)
    assert defs["Engine.open"].returns == ("Engine", TYPE_PART)  # `f()?` is an Engine
    assert defs["Run.run"].returns == ("u8", TYPE_PART)


def test_use_declarations_are_imports_of_a_module_and_a_name() -> None:
    facts = facts_of('''\
mod engine;
use crate::a::b::C;
use self::engine::{Engine, Config as Settings, self};
use super::*;
pub use std::fmt;
use {grep::matcher::Matcher, termcolor::WriteColor as Color};
extern crate serde;
mod tests {
    use super::Hidden;
    use crate::Visible;
}
''')
    imports = {(i.module, i.name, i.alias) for i in facts.imports}
    assert imports >= {
        ("engine", None, None), ("crate::a::b", "C", None), ("self::engine", "Engine", None),
        ("self::engine", "Config", "Settings"), ("self::engine", None, None), ("super", "*", None),
        ("std", "fmt", None), ("grep::matcher", "Matcher", None), ("termcolor", "WriteColor", "Color"),
        ("serde", None, None), ("crate", "Visible", None),
    }
    # in an inline module `super` is the file's own module: not what it is for the file
    assert ("super", "Hidden", None) not in imports


def test_calls_in_macro_arguments_are_the_bare_ones() -> None:
    facts = facts_of('''\
fn f() {
    assert_eq!(count(x), checked(3));
    println!("{} {}", engine.run(), a::build(), helper(y));
}
''')
    assert sorted(u.chain for u in facts.uses if u.kind == "call") == [("checked",), ("count",), ("helper",)]


PATHS = [
    "Cargo.toml.rs",  # not a crate file: only paths ending in .rs matter, and this one is no root
    "shapes/src/lib.rs", "shapes/src/engine.rs", "shapes/src/engine/config.rs",
    "shapes/src/render/mod.rs", "shapes/src/render/svg.rs", "shapes/src/bin/tool.rs",
    "crates/grep/src/lib.rs", "crates/searcher/src/lib.rs", "crates/searcher/src/sink.rs",
    "crates/core/main.rs", "crates/core/flags/mod.rs", "crates/core/flags/defs.rs",
    "tests/tests.rs", "tests/util.rs", "tests/index/mod.rs", "tests/index/basic.rs",
]


@pytest.fixture(scope="module")
def modules() -> RustModules:
    return RustModules(PATHS)


def resolve(modules: RustModules, importer: str, specifier: str) -> str | None:
    found = modules.resolve(importer, specifier, lambda _: None)
    return found.path if found is not None else None


@pytest.mark.parametrize(("importer", "specifier", "expected"), [
    ("shapes/src/lib.rs", "engine", "shapes/src/engine.rs"),  # `mod engine;`
    ("shapes/src/engine.rs", "config", "shapes/src/engine/config.rs"),  # Rust 2018: src/engine/
    ("shapes/src/engine.rs", "self::config", "shapes/src/engine/config.rs"),
    ("shapes/src/engine/config.rs", "super", "shapes/src/engine.rs"),
    ("shapes/src/render/svg.rs", "super", "shapes/src/render/mod.rs"),
    ("shapes/src/render/mod.rs", "super", "shapes/src/lib.rs"),
    ("shapes/src/render/svg.rs", "super::super::engine::config", "shapes/src/engine/config.rs"),
    ("shapes/src/render/svg.rs", "crate::engine", "shapes/src/engine.rs"),
    ("shapes/src/render/svg.rs", "crate", "shapes/src/lib.rs"),
    ("shapes/src/bin/tool.rs", "shapes::render::svg", "shapes/src/render/svg.rs"),  # its package's library
    ("crates/core/flags/defs.rs", "crate::flags", "crates/core/flags/mod.rs"),  # a main.rs outside src/
    ("crates/core/main.rs", "grep_searcher::sink", "crates/searcher/src/sink.rs"),  # beside crates/grep
    ("crates/core/main.rs", "grep", "crates/grep/src/lib.rs"),
    ("tests/index/basic.rs", "crate::util", "tests/util.rs"),
    ("shapes/src/lib.rs", "std::fmt", None),
    ("shapes/src/lib.rs", "serde", None),
    ("crates/searcher/src/sink.rs", "searcher", None),  # a crate does not name itself
    ("shapes/src/lib.rs", "super", None),  # a crate root has no parent
])
def test_paths_resolve_through_the_module_tree(modules: RustModules, importer: str, specifier: str,
                                               expected: str | None) -> None:
    assert resolve(modules, importer, specifier) == expected


def test_crates_know_their_roots_and_files(modules: RustModules) -> None:
    assert modules.package_of("shapes/src/render/svg.rs") == "shapes/src/lib.rs"
    assert modules.package_of("shapes/src/bin/tool.rs") == "shapes/src/bin/tool.rs"
    assert modules.package_of("crates/core/flags/defs.rs") == "crates/core/main.rs"
    assert modules.package_files("crates/core/main.rs", lambda _: None) == (
        "crates/core/flags/defs.rs", "crates/core/flags/mod.rs", "crates/core/main.rs")
    assert "shapes/src/lib.rs" in modules.roots


def test_existence_checks_are_probed_and_other_crates_are_external(modules: RustModules) -> None:
    probed: list[str] = []
    modules.resolve("shapes/src/engine.rs", "self::missing", probed.append)
    assert probed == ["shapes/src/engine/missing.rs", "shapes/src/engine/missing/mod.rs"]
    assert modules.is_internal("super::x", lambda _: None)
    assert not modules.is_internal("serde::Serialize", lambda _: None)
    assert modules.external_name("std::collections") == "std.collections"
    assert modules.submodule(ModuleRef("shapes/src/lib.rs"), "engine", lambda _: None) == ModuleRef(
        "shapes/src/engine.rs")


def check_case(text: str) -> None:
    files = resolution.split_case(text)
    nodes, edges = resolution.resolve_files(files)
    broken = resolution.failures(resolution.annotations(files), nodes, edges)
    if broken:
        pytest.fail("\n".join(broken), pytrace=False)


def test_crate_and_super_paths_in_calls() -> None:
    check_case('''
# --- path: src/lib.rs ---
pub mod a;
pub mod b;
pub fn top() -> u8 { 1 }
# --- path: src/a.rs ---
pub fn build() -> u8 {
    crate::b::build() + super::top()
    //        ^ calls: src/b.rs::build [exact]
    //                  ^ calls: src/lib.rs::top [exact]
    //        ^ no calls: src/a.rs::build
}
# --- path: src/b.rs ---
pub fn build() -> u8 { 2 }
''')


def test_an_impl_of_a_trait_is_inheritance_and_reaches_its_default_methods() -> None:
    files = resolution.split_case('''
# --- path: src/lib.rs ---
pub trait Run {
    fn run(&self) -> u8;
    fn twice(&self) -> u8 { self.run() * 2 }
}
pub struct Engine;
impl Run for Engine {
    fn run(&self) -> u8 { 1 }
}
impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { Ok(()) }
}
pub fn go(engine: &Engine) -> u8 {
    engine.twice() + engine.run()
    //     ^ calls: src/lib.rs::Run.twice [inferred]
    //                      ^ calls: src/lib.rs::Engine.run [inferred]
}
''')
    nodes, edges = resolution.resolve_files(files)
    assert not resolution.failures(resolution.annotations(files), nodes, edges)
    inherits = sorted((e.source, e.target) for e in edges if e.kind == EdgeKind.INHERITS)
    assert inherits == [("src/lib.rs::Engine", "extern::std.fmt.Display"), ("src/lib.rs::Engine", "src/lib.rs::Run")]


def test_loops_over_sequences_and_paths_into_inline_modules() -> None:
    check_case('''
# --- path: src/lib.rs ---
pub mod fleet;
pub struct Engine;
impl Engine {
    pub fn run(&self) -> u8 { 1 }
}
pub mod testing {
    pub struct Probe;
    impl Probe {
        pub fn new() -> Self { Probe }
    }
}
# --- path: src/fleet.rs ---
use crate::testing::Probe;
use crate::Engine;
pub struct Fleet {
    engines: Vec<Engine>,
}
impl Fleet {
    pub fn run_all(&self) -> u8 {
        let _probe = Probe::new();
        //                 ^ calls: src/lib.rs::testing.Probe.new [exact]
        let mut total = 0;
        for engine in &self.engines {
            total += engine.run();
            //              ^ calls: src/lib.rs::Engine.run [inferred]
        }
        total
    }
}
''')
