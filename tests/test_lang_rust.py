"""Rust: the facts the extractor reads (items, impl blocks, signatures, doc comments, return
types, imports), what ``Cargo.toml`` says (``read_cargo_toml``) and the module tree of crates
(``RustModules``), with the real extractor, resolver and pipeline. The annotated project
``tests/fixtures/langs/rust`` scores call resolution; ``tests/fixtures/cargo/`` holds small
workspaces whose resolution needs their ``Cargo.toml`` files."""

from __future__ import annotations

import json
import marshal
import shutil
from pathlib import Path

import pytest
from conftest import check_case

from bench import resolution
from indexer.facts import TYPE_PART, DefFact, DefKind, FileFacts
from indexer.languages.rust import RustModules, read_cargo_toml
from indexer.model import EdgeKind
from indexer.modules import ModuleRef

CARGO = Path(__file__).parent / "fixtures" / "cargo"


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
    assert not resolution.failures(resolution.annotated(files), nodes, edges)
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


# -- Cargo.toml ----------------------------------------------------------------------------
MANIFEST = b"""\
[package]
name = "grep-searcher"
version = "0.1.0"
build = "build/main.rs"

[lib]
name = "searcher"
path = "lib/searcher.rs"

[[bin]]
name = "tool"
path = "cli/tool.rs"

[[bin]]
name = "other"

[[example]]
name = "demo"
path = "demos/demo.rs"

[[test]]
name = "integration"
path = "tests/tests.rs"

[[bench]]
name = "speed"
path = "benches/speed.rs"

[workspace]
members = ["crates/*", "tools/cli"]
exclude = ["crates/fuzz"]

[workspace.dependencies]
geo = { path = "libs/geometry", package = "geo-kit" }
serde = "1"

[dependencies]
grep-matcher = { version = "0.1", path = "../matcher" }
memmap = { package = "memmap2", version = "0.9" }
shapes = { path = "../geometry", package = "geo-kit" }
geo = { workspace = true }
log = "0.4"

[dev-dependencies.grep-regex]
path = "../regex"

[build-dependencies]
helper = { path = "../build-helper" }

[target.'cfg(windows)'.dependencies]
winutil = { path = "../winutil" }
"""


def test_the_reader_says_where_the_crates_are_and_what_they_depend_on_by_path() -> None:
    data = read_cargo_toml(MANIFEST)
    assert data == {
        "package": "grep-searcher",
        "lib": {"name": "searcher", "path": "lib/searcher.rs"},
        "bin": [{"name": "tool", "path": "cli/tool.rs"}, {"name": "other", "path": None}],
        "example": [{"name": "demo", "path": "demos/demo.rs"}],
        "test": [{"name": "integration", "path": "tests/tests.rs"}],
        "bench": [{"name": "speed", "path": "benches/speed.rs"}],
        "build": "build/main.rs",
        "workspace": {"members": ["crates/*", "tools/cli"], "exclude": ["crates/fuzz"],
                      "dependencies": {"geo": {"path": "libs/geometry", "package": "geo-kit", "workspace": False}}},
        "dependencies": {  # by path only: `memmap` and `log` come from a registry
            "grep-matcher": {"path": "../matcher", "package": None, "workspace": False},
            "shapes": {"path": "../geometry", "package": "geo-kit", "workspace": False},
            "geo": {"path": None, "package": None, "workspace": True},
            "grep-regex": {"path": "../regex", "package": None, "workspace": False},
            "helper": {"path": "../build-helper", "package": None, "workspace": False},
            "winutil": {"path": "../winutil", "package": None, "workspace": False},
        },
    }
    # plain data: the state keeps it with marshal and JSON
    assert marshal.loads(marshal.dumps(data)) == data
    assert json.loads(json.dumps(data)) == data


def test_the_reader_of_a_virtual_workspace_and_of_a_bare_package() -> None:
    virtual = read_cargo_toml(b'[workspace]\nmembers = ["a"]\n')
    assert virtual["package"] is None and virtual["lib"] is None and virtual["dependencies"] == {}
    assert virtual["workspace"] == {"members": ["a"], "exclude": [], "dependencies": {}}
    bare = read_cargo_toml(b'[package]\nname = "x"\n')
    assert bare["workspace"] is None and bare["bin"] == [] and bare["build"] is None


def test_the_reader_names_what_is_wrong_with_a_file_it_cannot_read() -> None:
    with pytest.raises(ValueError, match=r"Cargo\.toml is not valid TOML: .*line 2"):
        read_cargo_toml(b'[package]\nname = = "x"\n')
    with pytest.raises(ValueError, match=r"Cargo\.toml is not UTF-8"):
        read_cargo_toml(b'[package]\nname = "\xff"\n')
    # a value of the wrong type is no error: it is left out
    assert read_cargo_toml(b'lib = "x"\n[package]\nname = 3\n')["lib"] is None


def _manifests(folder: Path) -> dict[str, object]:
    return {p.relative_to(folder).as_posix(): read_cargo_toml(p.read_bytes())
            for p in sorted(folder.rglob("Cargo.toml"))}


def _sources(folder: Path) -> list[str]:
    return [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*.rs"))]


@pytest.fixture(scope="module")
def workspace() -> RustModules:
    """The crates of tests/fixtures/cargo/workspace, as its manifests describe them."""
    folder = CARGO / "workspace"
    return RustModules(_sources(folder), {}, _manifests(folder))


@pytest.mark.parametrize(("importer", "specifier", "expected"), [
    # a renamed path dependency is named by its key, `-` as `_`
    ("tools/cli/app/run.rs", "shapes", "libs/geometry/src/lib.rs"),
    ("tools/cli/app/run.rs", "text_utils", "support/src/lib.rs"),
    # a workspace member by its `[lib] name`, unrelated to its directory and its package
    ("tools/cli/app/run.rs", "geom", "libs/geometry/src/lib.rs"),
    ("support/src/lib.rs", "geom", "libs/geometry/src/lib.rs"),
    # a member in a directory named otherwise, by its package's name
    ("tools/cli/app/run.rs", "textfmt", "support/src/lib.rs"),
    # a library rooted at its `[lib] path`, its modules beside it
    ("tools/cli/app/run.rs", "paint_core::brush", "libs/paint/code/brush.rs"),
    # `{ workspace = true }`: the path and the rename of `[workspace.dependencies]`
    ("support/src/lib.rs", "geo", "libs/geometry/src/lib.rs"),
    # a rename is the renaming package's alone
    ("support/src/lib.rs", "shapes", None),
    # directories are no crate names; an excluded package is no member
    ("tools/cli/app/run.rs", "geometry", None),
    ("tools/cli/app/run.rs", "paint", None),
    ("tools/cli/app/run.rs", "legacy", None),
    ("libs/legacy/src/lib.rs", "geom", None),
    # a binary declared by `[[bin]] path` is a crate root: its modules are its children
    ("tools/cli/app/run.rs", "commands", "tools/cli/app/commands.rs"),
    ("tools/cli/app/commands.rs", "crate", "tools/cli/app/run.rs"),
])
def test_crate_names_come_from_the_manifests(workspace: RustModules, importer: str, specifier: str,
                                             expected: str | None) -> None:
    assert resolve(workspace, importer, specifier) == expected


def test_crates_and_their_packages_from_the_manifests(workspace: RustModules) -> None:
    assert workspace.package_of("libs/paint/code/brush.rs") == "libs/paint/code/paint.rs"
    assert workspace.package_of("tools/cli/app/commands.rs") == "tools/cli/app/run.rs"
    assert workspace.root_package["tools/cli/app/run.rs"] == "tools/cli"
    assert "libs/paint/code/paint.rs" in workspace.roots
    # a path spelled out without `use`: the crates the importer's package names so
    assert workspace.qualified_root("tools/cli/app/run.rs", "text_utils", lambda _: None) == ModuleRef(
        "support/src/lib.rs")
    assert workspace.qualified_root("tools/cli/app/run.rs", "geometry", lambda _: None) is None
    # an excluded package its package does not depend on is no name of it
    assert workspace.qualified_root("tools/cli/app/run.rs", "legacy", lambda _: None) is None


def test_workspace_members_are_globs_less_exclude_and_path_dependencies_below_it() -> None:
    manifests = {
        "Cargo.toml": b'[package]\nname = "top"\n[workspace]\nmembers = ["crates/*"]\nexclude = ["crates/skip"]\n',
        "crates/a/Cargo.toml": b'[package]\nname = "a-lib"\n[dependencies]\nb = { path = "../../extra/b" }\n',
        "crates/skip/Cargo.toml": b'[package]\nname = "skip"\n',
        "extra/b/Cargo.toml": b'[package]\nname = "b"\n',
        "w/Cargo.toml": b'[workspace]\nmembers = ["pkgs/**"]\n',
        "w/pkgs/x/y/Cargo.toml": b'[package]\nname = "deep"\n',
        "w/pkgs/z/Cargo.toml": b'[package]\nname = "z"\n',
    }
    paths = ["src/main.rs", "crates/a/src/lib.rs", "crates/skip/src/lib.rs", "extra/b/src/lib.rs",
             "w/pkgs/x/y/src/lib.rs", "w/pkgs/z/src/lib.rs"]
    modules = RustModules(paths, {}, {p: read_cargo_toml(data) for p, data in manifests.items()})
    assert resolve(modules, "src/main.rs", "a_lib") == "crates/a/src/lib.rs"
    assert resolve(modules, "src/main.rs", "b") == "extra/b/src/lib.rs"  # a member's path dependency
    assert resolve(modules, "src/main.rs", "skip") is None
    assert resolve(modules, "src/main.rs", "deep") is None  # another workspace's
    assert resolve(modules, "w/pkgs/z/src/lib.rs", "deep") == "w/pkgs/x/y/src/lib.rs"  # `**`
    assert resolve(modules, "crates/skip/src/lib.rs", "a_lib") is None


def test_a_lib_rs_in_no_package_is_still_known_by_its_directory() -> None:
    paths = ["app/src/main.rs", "vendored/thing/src/lib.rs", "tools/x.rs"]
    manifests = {"app/Cargo.toml": read_cargo_toml(b'[package]\nname = "app"\n')}
    modules = RustModules(paths, {}, manifests)
    assert resolve(modules, "app/src/main.rs", "thing") is None  # a package names what its manifest says
    assert modules.libraries == {"thing": "vendored/thing/src/lib.rs"}
    assert modules.qualified_root("app/src/main.rs", "thing", lambda _: None) is None  # not its package's
    assert modules.qualified_root("tools/x.rs", "thing", lambda _: None) is None  # guessed: not spelled out


def _broken(folder: Path, manifests: bool = True) -> list[str]:
    """The annotations of the project in ``folder`` its resolution breaks, with its
    ``Cargo.toml`` files read (as the indexer reads them) or without them."""
    files = {p: text for p, text in resolution.project_files(folder).items() if manifests or p.endswith(".rs")}
    sources = {p: text for p, text in files.items() if p.endswith(".rs")}
    return resolution.failures(resolution.annotated(sources), *resolution.resolve_files(files))


def test_the_annotated_workspace_resolves_through_its_manifests() -> None:
    assert _broken(CARGO / "workspace") == []
    # without them, the names its manifests give are unknown and a directory's name is taken
    # for a crate's
    without = "\n".join(_broken(CARGO / "workspace", manifests=False))
    for call in ("'shapes.area'", "'text_utils.pad'", "'paint_core.mix'", "'geo.area'", "'crate.helper'",
                 "unexpected CALLS tools/cli/app/run.rs::elsewhere -> "
                 "libs/legacy/src/lib.rs::old"):
        assert call in without


def _calls(dump: str, source: str, name: str) -> list[str]:
    return [line for line in dump.splitlines() if line.startswith(f"CALLS {source} ") and f'"{name}"]' in line]


def test_renaming_a_package_in_its_manifest_resolves_again(tmp_path: Path, index_dump) -> None:
    """Only ``core/Cargo.toml`` changes (the package ``engine`` becomes ``motor``): the call of
    ``engine::start`` in ``app`` is no longer the workspace's, and the incremental index equals
    a fresh one; so again when the manifest is broken (recorded, and the package is gone)."""
    from test_incremental import assert_same_graph

    root = tmp_path / "rename"
    shutil.copytree(CARGO / "rename", root)
    manifest = root / "core" / "Cargo.toml"
    first, dump = index_dump(root, tmp_path / "db")
    assert first.mode == "full"
    assert _calls(dump, "app/src/main.rs::main", "start") == [
        'CALLS app/src/main.rs::main -> core/src/lib.rs::start [exact, line 6, "start"]']
    assert "node core/Cargo.toml file lines=1-4 lang=rust" in dump

    def step(what: str) -> str:
        report, incremental = index_dump(root, tmp_path / "db")
        assert report.mode == "incremental", what
        _, fresh = index_dump(root, tmp_path / f"fresh-{what}")
        assert_same_graph(incremental, fresh, what)
        return incremental

    manifest.write_text(manifest.read_text("utf-8").replace('"engine"', '"motor"'), "utf-8")
    assert _calls(step("renamed"), "app/src/main.rs::main", "start") == [
        'CALLS app/src/main.rs::main -> extern::engine.start [external, line 6, "start"]']
    manifest.write_text("[package\n", "utf-8")
    broken = step("broken")
    assert ('node core/Cargo.toml file lang=rust status=skipped error="extraction failed: ValueError: '
            'Cargo.toml is not valid TOML: ') in broken
    assert _calls(broken, "app/src/main.rs::main", "start") == [
        'CALLS app/src/main.rs::main -> extern::engine.start [external, line 6, "start"]']


def test_a_member_call_names_a_method_never_a_field_of_that_name() -> None:
    check_case("""
# --- path: src/lib.rs ---
pub struct Stats {
    count: u64,
}

impl Stats {
    pub fn total(&self) -> u64 {
        self.count
    }
}

pub struct Args {
    stats: Stats,
}

impl Args {
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}

pub fn report(args: &Args) -> u64 {
    let run = |n: u64| n + 1;
    run(args.stats().total())
    //       ^ calls: src/lib.rs::Args.stats [inferred]
    //               ^ calls: src/lib.rs::Stats.total [inferred]
}
""")


def test_a_method_the_repository_adds_to_a_library_type() -> None:
    check_case("""
# --- path: src/lib.rs ---
pub trait Shout {
    fn shout(&self) -> String;
}

impl Shout for str {
    fn shout(&self) -> String {
        self.to_uppercase()
    }
}

pub fn greet(name: &str) -> String {
    name.shout()
    //   ^ calls: src/lib.rs::str.shout [inferred]
}
""")


def test_a_method_added_to_a_library_type_stays_equal_to_a_fresh_index(tmp_path, index_dump) -> None:
    """The caller reads nothing of the file that adds the method: it looked the method up by its
    name (``LINKAGE_PROBE``), so it resolves again when a file adds or drops one."""
    from test_incremental import assert_same_graph

    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "lib.rs").write_text("pub mod greet;\npub mod extra;\n")
    (root / "src" / "greet.rs").write_text("pub fn greet(name: &str) -> String {\n    name.shout()\n}\n")
    (root / "src" / "extra.rs").write_text("pub trait Shout {}\n")
    index_dump(root, tmp_path / "db")
    method = ("pub trait Shout { fn shout(&self) -> String; }\n"
              "impl Shout for str {\n    fn shout(&self) -> String { String::new() }\n}\n")
    renamed = method.replace("fn shout(&self) -> String {", "fn yell(&self) -> String {")
    for what, text in [("added", method), ("renamed", renamed), ("added again", method)]:
        (root / "src" / "extra.rs").write_text(text)
        report, incremental = index_dump(root, tmp_path / "db")
        assert report.mode == "incremental", what
        _, fresh = index_dump(root, tmp_path / f"fresh-{what.replace(' ', '-')}")
        assert_same_graph(incremental, fresh, what)
        edge = "CALLS src/greet.rs::greet -> src/extra.rs::str.shout"
        assert (edge in incremental) == (what != "renamed"), what
