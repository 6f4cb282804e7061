"""C and C++ facts and the ``c`` module system, through the real extractor and resolver.

Call resolution is scored on the annotated projects (tests/fixtures/langs/c and cpp, see
tests/test_languages.py); these tests pin what the graph says about C and C++ declarations,
how ``#include`` finds headers (beside the file, through what the build says in a
``compile_commands.json`` or ``compile_flags.txt``, under the usual roots) and how headers
find their sources. tests/fixtures/ccdb/ holds projects whose calls only a build's include
directories resolve.
"""

from __future__ import annotations

import json
import marshal
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import check_case

from bench.resolution import FIXTURES, annotated, definitions, extract, failures, project_files, resolve_files
from indexer.facts import TYPE_PART, FileFacts
from indexer.languages import languages_by_extension
from indexer.languages.c_family import CModules, header_dialect, read_compile_commands, read_compile_flags
from indexer.model import EdgeKind
from indexer.pipeline import IndexReport
from indexer.workers import extract_one

CCDB = Path(__file__).parent / "fixtures" / "ccdb"


def _facts(language: str, path: str, source: str | None = None) -> FileFacts:
    return extract(path, source if source is not None else (FIXTURES / language / path).read_text("utf-8"),
                   language)


def _no_probe(_: str) -> None:
    pass


def test_extensions_a_dot_h_header_is_c() -> None:
    by_extension = languages_by_extension()
    assert by_extension[".c"] == by_extension[".h"] == "c"
    assert {by_extension[e] for e in (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx")} == {"cpp"}


def test_a_dot_h_header_showing_cpp_is_read_as_cpp() -> None:
    cpp_header = (b"#pragma once\n#include <string>\nnamespace geo {\nclass Shape {\npublic:\n"
                  b"    double area() const;\n};\n}\n")
    c_header = (b"#ifndef SHAPE_H\n#define SHAPE_H\nstruct shape { int w; };\n"
                b"double shape_area(struct shape *s);\n#endif\n")
    assert header_dialect(cpp_header) == "cpp" and header_dialect(c_header) is None
    assert header_dialect(b"template <typename T>\nT clamp(T v);\n") == "cpp"
    assert header_dialect(b"struct engine : public base {\n};\n") == "cpp"
    # as the indexer's workers read them: the facts say which grammar read the file
    _, wire, _ = extract_one("geo/shape.h", "c", cpp_header)
    assert wire is not None
    facts = FileFacts.from_wire(wire)
    assert facts.language == "cpp" and definitions(facts)["geo.Shape"].kind == "class"
    _, wire, _ = extract_one("geo/shape_c.h", "c", c_header)
    assert wire is not None and FileFacts.from_wire(wire).language == "c"


def test_cpp_overloads_in_a_dot_h_header_by_argument_count() -> None:
    check_case("""
# --- path: engine.h ---
#pragma once
namespace app {
class Engine {
public:
    void run();
    void run(int times);
    static Engine make(const char* name, int size);
    static Engine make(const char* name);
};
}
# --- path: engine.cpp ---
#include "engine.h"
namespace app {
void Engine::run() {}
void Engine::run(int times) {
    run();
    // ^ calls: engine.cpp::app.Engine.run [exact]
}
Engine Engine::make(const char* name, int size) { return Engine(); }
Engine Engine::make(const char* name) { return Engine(); }
}
# --- path: main.cpp ---
#include "engine.h"
int main() {
    app::Engine e = app::Engine::make("v8", 8);
    //                           ^ calls: engine.cpp::app.Engine.make [exact]
    e.run(3);
    //^ calls: engine.cpp::app.Engine.run#2 [inferred]
    app::Engine::make("v6").run();
    //           ^ calls: engine.cpp::app.Engine.make#2 [exact]
    //                      ^ calls: engine.cpp::app.Engine.run [inferred]
    return 0;
}
""")


def test_prototypes_are_declarations_and_definitions_have_bodies() -> None:
    header = definitions(_facts("c", "include/calc/engine.h"))
    assert header["engine_new"].declaration and header["engine_new"].signature == "engine_t *engine_new(void);"
    assert header["engine_new"].returns == ("engine_t", TYPE_PART)
    assert header["engine"].kind == "class" and header["engine"].signature == "struct engine"
    source = definitions(_facts("c", "src/engine.c"))
    assert not source["engine_new"].declaration and source["engine_new"].signature == "engine_t *engine_new(void)"


def test_static_functions_forward_declarations_and_macros() -> None:
    lexer = _facts("c", "src/lexer/lexer.c")
    skip_space = [d for d in lexer.defs if d.name == "skip_space"]
    assert [d.declaration for d in skip_space] == [True, False]  # declared at the top, defined below
    assert definitions(lexer)["helper"].signature == "static int helper(int c)"
    log = definitions(_facts("c", "src/util/log.h"))
    macro = log["LOG_WARNING"]
    assert macro.kind == "function" and not macro.declaration and macro.signature == "#define LOG_WARNING(msg)"
    assert macro.doc == "A warning: a function-like macro is called like a function."
    assert log["log_enabled"].signature == "static inline int log_enabled(enum log_level level)"


def test_doc_comments_before_declarations() -> None:
    engine = definitions(_facts("c", "include/calc/engine.h"))
    assert engine["engine"].doc == "Evaluates tokens on a stack."
    assert engine["engine_new"].doc == "Creates an engine with an empty stack."
    assert engine["engine_feed"].doc == "Feeds one line of input to the engine."  # a `///` line
    assert engine["engine_free"].doc is None
    shape = definitions(_facts("cpp", "include/geo/shape.hpp"))
    assert shape["geo.Shape"].doc == "A plane figure."
    assert shape["geo.total_area"].doc == "Sums the areas of the shapes."
    part = definitions(_facts("cpp", "src/engine/part.hpp"))
    assert part["app.Part"].doc == "A wearing part of an engine."  # the first of two `///` lines
    assert part["app.Part.run"].doc == "Runs the part on its own: not Engine::run."  # in the class


def test_typedef_names_a_struct() -> None:
    facts = _facts("c", "t.c", "typedef struct { int x; } point_t;\ntypedef struct node node_t;\n"
                                "struct node { node_t *next; };\n")
    defs = definitions(facts)
    assert defs["point_t"].kind == "class" and defs["node"].kind == "class"
    assert ("node_t",) in [b.target for b in facts.binds if b.value == ("node",)]


def test_cpp_namespaces_classes_and_members_defined_outside() -> None:
    header = definitions(_facts("cpp", "src/engine/engine.hpp"))
    assert header["app"].kind == "class" and header["app"].signature == "namespace app"
    engine = header["app.Engine"]
    assert engine.kind == "class" and engine.signature == "class Engine"
    run = [d for d in _facts("cpp", "src/engine/engine.hpp").defs if d.qualname == "app.Engine.run"]
    assert [d.declaration for d in run] == [True, True]  # two overloads declared in the class
    assert header["app.Engine.create"].returns == ("Engine", TYPE_PART)
    assert header["app.make_engine"].declaration and header["app.make_engine"].kind == "method"
    source = _facts("cpp", "src/engine/engine.cpp")
    outside = [d for d in source.defs if d.qualname == "app.Engine.run"]
    assert [(d.kind, d.owner, d.declaration) for d in outside] == [("method", ("Engine",), False)] * 2
    assert definitions(source)["app.Engine.create"].signature == "Engine Engine::create(int power)"
    # `void b::init()` outside its namespace is b's
    assert definitions(_facts("cpp", "src/net/b.cpp"))["b.init"].owner == ("b",)
    runner = definitions(_facts("cpp", "app/runner.hpp"))["app.Runner"]
    assert runner.bases == (("Engine",),)


def test_cpp_nested_namespaces_templates_and_typed_names() -> None:
    facts = _facts("cpp", "t.cpp", """
namespace a::b { void f(); }
template <typename T> class Box : public Base<T> { T get() const; };
template <typename T> T Box<T>::get() const { return T(); }
void use(const app::Engine& e, std::vector<Part> parts) {
    Engine local(3);
    auto made = make();
    std::unique_ptr<Part> owned;
    for (auto& p : parts) p.spin();
}
""")
    defs = definitions(facts)
    assert defs["a"].kind == defs["a.b"].kind == "class" and defs["a.b.f"].declaration
    assert defs["Box"].bases == (("Base",),)
    assert defs["Box.get"].owner == ("Box",) and not defs["Box.get"].declaration
    use = [d.qualname for d in facts.defs].index("use")
    params = {p.name: p.annotation for p in facts.params if p.scope == use}
    assert params["e"] == ("app", "Engine")
    binds = {b.target[0]: b for b in facts.binds}
    assert binds["local"].value == ("Engine", TYPE_PART)
    assert binds["made"].value == ("make",) and binds["made"].called
    assert ("Engine",) in [u.chain for u in facts.uses if u.kind == "call"]  # `Engine local(3)` constructs


def test_includes_resolve_beside_the_file_then_under_the_include_roots() -> None:
    paths = ["src/engine.c", "src/engine.h", "include/calc/stack.h", "src/lexer/lexer.h", "lib/x/include/x/api.h",
             "app/main.c", "app/main.h", "stdio.h"]
    modules = CModules(paths)
    assert modules.roots == ("include", "src", "", "lib/x/include")

    def found(importer: str, specifier: str) -> str | None:
        ref = modules.resolve(importer, specifier, _no_probe)
        return None if ref is None else ref.path

    assert found("src/engine.c", "engine.h") == "src/engine.h"  # beside the file
    assert found("app/main.c", "calc/stack.h") == "include/calc/stack.h"  # an include root
    assert found("app/main.c", "lexer/lexer.h") == "src/lexer/lexer.h"
    assert found("app/main.c", "x/api.h") == "lib/x/include/x/api.h"  # any directory named include
    assert found("app/main.c", "../src/engine.h") == "src/engine.h"
    assert found("app/main.c", "../../outside.h") is None
    assert found("app/main.c", "<calc/stack.h>") == "include/calc/stack.h"  # <...> in the repository
    assert found("app/main.c", "main.h") == "app/main.h"
    assert found("app/main.c", "<main.h>") is None  # <...> is not looked for beside the file
    assert found("app/main.c", "<stdio.h>") == "stdio.h"  # the repository's root is a root
    assert found("app/main.c", "<vector>") is None
    assert modules.is_internal("missing.h", _no_probe)  # a quoted include found nowhere
    assert not modules.is_internal("<vector>", _no_probe) and modules.external_name("<vector>") == "vector"


def test_headers_pair_with_the_sources_that_define_them() -> None:
    paths = ["src/engine.c", "src/engine.h", "include/lib/stack.h", "src/stack.cpp", "include/lib/queue.h",
             "src/lib/queue.cc", "include/lib/alone.h"]
    modules = CModules(paths)
    probed: list[str] = []
    assert modules.companions("src/engine.h", probed.append) == ("src/engine.h", "src/engine.c")
    assert "src/engine.cpp" in probed  # every candidate is reported, for incremental indexing
    assert modules.companions("include/lib/stack.h", _no_probe) == ("include/lib/stack.h", "src/stack.cpp")
    assert modules.companions("include/lib/queue.h", _no_probe) == ("include/lib/queue.h", "src/lib/queue.cc")
    assert modules.companions("include/lib/alone.h", _no_probe) == ("include/lib/alone.h",)
    assert modules.companions("src/engine.c", _no_probe) == ("src/engine.c",)  # a prototype above, defined below


def test_static_functions_stay_in_their_file() -> None:
    files = {
        "a.c": '#include "b.h"\nstatic int helper(void) { return 1; }\nint a(void) { return helper() + b(); }\n',
        "b.h": "int b(void);\n",
        "b.c": '#include "b.h"\nstatic int helper(void) { return 2; }\nint b(void) { return helper(); }\n',
    }
    _, edges = resolve_files(files)
    calls = {(e.source, e.target) for e in edges if e.kind == EdgeKind.CALLS}
    assert ("a.c::a", "a.c::helper") in calls and ("a.c::a", "b.c::b") in calls
    assert ("b.c::b", "b.c::helper") in calls and ("a.c::a", "b.c::helper") not in calls


def test_a_prototype_links_to_the_one_definition_of_its_name_anywhere() -> None:
    """C linkage: ``server.h`` declares what ``networking.c`` defines (no companion pairs them);
    a static function of the same name elsewhere is no candidate, two non-static definitions
    leave the call on the declaration (which one links is the build's choice)."""
    check_case("""
# --- path: src/server.h ---
int add_reply(int c);
int ambiguous(int c);
# --- path: src/networking.c ---
#include "server.h"
int add_reply(int c) { return c + 1; }
# --- path: src/other.c ---
static int add_reply(int c) { return c; }
int ambiguous(int c) { return c; }
# --- path: src/more.c ---
int ambiguous(int c) { return c + 2; }
# --- path: src/main.c ---
#include "server.h"
int main(void) {
    add_reply(1);
    // ^ calls: src/networking.c::add_reply
    // ^ no calls: src/other.c::add_reply
    ambiguous(2);
    // ^ calls: src/server.h::ambiguous
    return 0;
}
""")


def test_linkage_stays_equal_to_a_fresh_index_as_definitions_come_and_go(tmp_path, index_dump) -> None:
    from test_incremental import assert_same_graph

    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "server.h").write_text("int add_reply(int c);\n")
    (root / "src" / "main.c").write_text('#include "server.h"\nint main(void) { return add_reply(1); }\n')
    index_dump(root, tmp_path / "db")
    steps = [
        ("defined", lambda: (root / "src" / "networking.c").write_text("int add_reply(int c) { return c; }\n")),
        ("defined twice", lambda: (root / "src" / "other.c").write_text("int add_reply(int c) { return 0; }\n")),
        ("made static", lambda: (root / "src" / "other.c").write_text("static int add_reply(int c) { return 0; }\n")),
        ("removed", lambda: (root / "src" / "networking.c").unlink()),
    ]
    for what, edit in steps:
        edit()
        report, incremental = index_dump(root, tmp_path / "db")
        assert report.mode == "incremental", what
        _, fresh = index_dump(root, tmp_path / f"fresh-{what.replace(' ', '-')}")
        assert_same_graph(incremental, fresh, what)
        if what in ("defined", "made static"):
            assert "CALLS src/main.c::main -> src/networking.c::add_reply" in incremental, what


# -- what the build says: compile_commands.json and compile_flags.txt -------------------------

def _modules(paths: list[str], manifests: dict[str, bytes]) -> CModules:
    """The module system of ``paths`` with these manifests, read as the indexer reads them and
    kept as the index keeps them (JSON)."""
    read = {"compile_commands.json": read_compile_commands, "compile_flags.txt": read_compile_flags}
    data = {path: json.loads(json.dumps(read[path.rpartition("/")[2]](text))) for path, text in manifests.items()}
    return CModules(paths, {}, data)


def _found(modules: CModules, importer: str, specifier: str) -> str | None:
    ref = modules.resolve(importer, specifier, _no_probe)
    return None if ref is None else ref.path


def _build_failures(files: dict[str, str]) -> list[str]:
    """Every annotation of ``files`` the graph breaks when the build's manifests are read."""
    return failures(annotated(files), *resolve_files(files))


TWO_CONFIGS_DATABASE: list[dict[str, Any]] = [
    # CMake's form: a build directory, paths relative to it, an argument list
    {"directory": "/home/ci/build/proj/build", "file": "../src/app.c",
     "arguments": ["/usr/bin/cc", "-I../lib", "-isystem", "/usr/include", "-o", "app.o", "-c", "../src/app.c"]},
    # Bear's form: one command line, quoted, absolute paths
    {"directory": "/home/ci/build/proj", "file": "/home/ci/build/proj/tools/tool.c",
     "command": 'cc -DNAME="tool" -I "/home/ci/build/proj/third_party/a" -c tools/tool.c -o tool.o'},
    {"directory": "/home/ci/build/proj", "file": "third_party/a/config.c",
     "command": "cc -Ithird_party/a -c third_party/a/config.c"},
]
"""The compilation database of tests/fixtures/ccdb/two_configs, as a CI machine (which checked it
out at /home/ci/build/proj) wrote it."""


def test_compile_commands_reader_gives_each_file_its_include_dirs() -> None:
    data = read_compile_commands(json.dumps([
        {"directory": "/home/ci/build/proj/build", "file": "../src/a.c",
         "arguments": ["clang", "-Iinclude", "-I", "../lib", "-iquote", "../quoted", "-isystem/opt/sdk/include",
                       "-I/home/ci/build/proj/lib", "-DLEVEL=1", "-c", "../src/a.c"]},
        {"directory": "/home/ci/build/proj", "file": "/home/ci/build/proj/src/b.c",
         "command": "gcc -I 'dir with space' -I\"third party/inc\" -isystem /usr/include -idirafter after "
                    "--include-directory=long -c src/b.c"},
        # the same file compiled again, for another target
        {"directory": "/home/ci/build/proj/build", "file": "/home/ci/build/proj/src/a.c",
         "arguments": ["clang", "-I../extra", "-I../lib/", "-c", "../src/a.c"]},
    ]).encode())
    proj = "/home/ci/build/proj"
    directories = [f"{proj}/quoted", f"{proj}/build/include", f"{proj}/lib", "/opt/sdk/include",
                   f"{proj}/dir with space", f"{proj}/third party/inc", f"{proj}/long", "/usr/include",
                   f"{proj}/after", f"{proj}/extra"]
    assert data == {
        "directories": directories,
        # search order: -iquote, -I (as given), -isystem, -idirafter; relative to `directory`; once
        "entries": [[f"{proj}/src/a.c", [0, 1, 2, 3, 9]], [f"{proj}/src/b.c", [4, 5, 6, 7, 8]]],
    }
    assert json.loads(json.dumps(data)) == data and marshal.loads(marshal.dumps(data)) == data  # plain data


def test_compile_commands_reader_reads_a_windows_build() -> None:
    data = read_compile_commands(json.dumps([
        {"directory": "C:\\work\\proj\\build", "file": "..\\src\\a.c",
         "command": 'cl.exe /nologo /I..\\include /I "C:\\work\\proj\\third party" -external:I C:\\sdk\\inc '
                    "/c ..\\src\\a.c"},
    ]).encode())
    assert data == {"directories": ["C:/work/proj/include", "C:/work/proj/third party", "C:/sdk/inc"],
                    "entries": [["C:/work/proj/src/a.c", [0, 1, 2]]]}
    modules = _modules(["src/a.c", "include/a.h", "third party/b.h"], {"compile_commands.json": json.dumps(
        [{"directory": "C:\\work\\proj", "file": "src\\a.c", "command": 'cl /I"third party" /c src\\a.c'}]).encode()})
    assert _found(modules, "src/a.c", "b.h") == "third party/b.h"


@pytest.mark.parametrize(("data", "message"), [
    (b"{not json", "compile_commands.json is not valid JSON"),
    (b"[" * 100_000, "compile_commands.json is not valid JSON"),
    (b'{"file": "a.c"}', "must be a JSON array of compile commands, not dict"),
    (b'["cc -c a.c"]', "entry 0 must be an object, not str"),
    (b'[{"directory": "/p", "file": "a.c", "command": "cc"}, {"directory": "/p", "command": "cc a.c"}]',
     'entry 1 has no "file" string'),
    (b'[{"file": "a.c", "command": "cc -c a.c"}]', 'entry 0 has no "directory" string'),
    (b'[{"directory": "/p", "file": "a.c", "arguments": ["cc", 1]}]', 'neither an "arguments" list of strings'),
    (b'[{"directory": "/p", "file": "a.c", "command": "cc -I\'unclosed -c a.c"}]',
     'its "command" cannot be split into arguments (No closing quotation)'),
])
def test_compile_commands_reader_rejects_what_is_no_compilation_database(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        read_compile_commands(data)


def test_compile_flags_reader_takes_one_argument_a_line() -> None:
    data = read_compile_flags(b"-xc++\n-std=c++17\n-I\ninclude\n-Ivendor/inc\n-isystem\n/usr/include\n"
                              b"  -iquote../shared  \n\n-DDEBUG\n")
    assert data == {"include_dirs": ["../shared", "include", "vendor/inc", "/usr/include"]}
    assert read_compile_flags(b"") == {"include_dirs": []}
    with pytest.raises(ValueError, match=r"compile_flags\.txt is not UTF-8 text"):
        read_compile_flags(b"-I\xff\n")


def test_a_compilation_database_from_another_machine_gives_each_file_its_include_dirs() -> None:
    """Its paths are those of /home/ci/build/proj: the files it compiles place that directory
    on the repository's root; include directories under it are the repository's, those
    elsewhere (the system's, another checkout's) are left out."""
    paths = ["src/app.c", "src/util.c", "src/app.h", "lib/config.h", "third_party/a/config.h", "tools/tool.c",
             "include/config.h", "build/generated/version.h"]
    entries = [
        ("src/app.c", ["-I../lib", "-I/usr/include", "-I/home/ci/build/proj/build/generated"]),
        ("src/util.c", ["-I../lib"]),
        ("tools/tool.c", ["-I../third_party/a", "-I/home/ci/other/include"]),
        ("build/generated/version.c", ["-I../lib"]),  # generated by the build: not in the repository
    ]
    database = json.dumps([{"directory": "/home/ci/build/proj/build", "file": f"/home/ci/build/proj/{file}",
                            "arguments": ["cc", *flags, "-c", f"/home/ci/build/proj/{file}"]}
                           for file, flags in entries]).encode()
    modules = _modules(paths, {"compile_commands.json": database})
    fallback = ("include", "src", "")
    assert modules.include_dirs("src/app.c") == ("lib", "build/generated", *fallback)
    assert modules.include_dirs("tools/tool.c") == ("third_party/a", *fallback)
    # a file the database does not compile (a header) gets all its directories, the most used first
    assert modules.include_dirs("src/app.h") == ("lib", "build/generated", "third_party/a", *fallback)
    assert set(modules.roots) == {"lib", "build/generated", "third_party/a", *fallback}
    assert _found(modules, "src/app.c", "config.h") == "lib/config.h"
    assert _found(modules, "tools/tool.c", "config.h") == "third_party/a/config.h"
    assert _found(modules, "tools/tool.c", "<config.h>") == "third_party/a/config.h"
    assert _found(modules, "src/app.c", "version.h") == "build/generated/version.h"
    assert _found(modules, "tools/tool.c", "version.h") is None
    # two files of one directory with different flags are resolved apart (the resolver's memo)
    assert len({modules.import_context(p) for p in ("src/app.c", "src/util.c", "src/app.h")}) == 3
    # without the database, as before: beside the file, then the fallback roots
    plain = CModules(paths)
    assert plain.roots == fallback and _found(plain, "src/app.c", "config.h") == "include/config.h"
    assert plain.import_context("src/app.c") == plain.import_context("src/util.c") == "src"
    # a database of another project (none of its files is here) says nothing
    other = _modules(paths, {"compile_commands.json": json.dumps([
        {"directory": "/x", "file": "/x/elsewhere.c", "arguments": ["cc", "-I/x/lib", "-c", "elsewhere.c"]}]).encode()})
    assert other.roots == fallback


def test_a_subprojects_database_applies_under_its_directory() -> None:
    """A database written where ``fw/`` was checked out as ``/builds/firmware``: its files are
    placed under ``fw/``, and its include directories serve the files under ``fw/`` only."""
    paths = ["fw/src/main.c", "fw/src/board.c", "fw/hal/gpio.h", "fw/hal/gpio_extra.h", "app/main.c", "app/gpio.h"]
    database = json.dumps([{"directory": "/builds/firmware", "file": f"src/{name}",
                            "arguments": ["arm-none-eabi-gcc", "-Ihal", "-c", f"src/{name}"]}
                           for name in ("main.c", "board.c")]).encode()
    modules = _modules(paths, {"fw/build-arm/compile_commands.json": database})
    assert modules.include_dirs("fw/src/main.c")[0] == "fw/hal"
    assert modules.include_dirs("fw/hal/gpio_extra.h")[0] == "fw/hal"  # under fw/, not compiled itself
    assert "fw/hal" not in modules.include_dirs("app/main.c")
    assert _found(modules, "fw/src/main.c", "gpio.h") == "fw/hal/gpio.h"
    assert _found(modules, "app/main.c", "gpio.h") == "app/gpio.h"


def test_compile_flags_serve_every_file_under_their_directory() -> None:
    paths = ["fw/src/main.c", "fw/inc/board.h", "shared/inc/util.h", "fw/sub/deep.c", "app/main.c",
             "fw/legacy/old.c", "fw/legacy/inc/board.h"]
    flags = {"fw/compile_flags.txt": b"-I\ninc\n-I../shared/inc\n-I/opt/sdk\n-I../../outside\n",
             "fw/legacy/compile_flags.txt": b"-Iinc\n"}
    modules = _modules(paths, flags)
    assert modules.include_dirs("fw/src/main.c")[:2] == ("fw/inc", "shared/inc")  # the absolute one, and
    assert _found(modules, "fw/sub/deep.c", "board.h") == "fw/inc/board.h"       # one outside, are left out
    assert _found(modules, "fw/src/main.c", "<util.h>") == "shared/inc/util.h"
    assert _found(modules, "fw/legacy/old.c", "board.h") == "fw/legacy/inc/board.h"  # the nearest one
    assert _found(modules, "app/main.c", "board.h") is None
    assert {"fw/inc", "shared/inc", "fw/legacy/inc"} <= set(modules.roots)


def test_the_compilation_database_says_which_same_named_header_a_file_includes() -> None:
    """tests/fixtures/ccdb/two_configs: ``src/app.c`` and ``tools/tool.c`` both include
    ``config.h``; two headers of that name declare ``config_level`` and a stale third sits in
    ``include/``. Only the build's ``-I`` tells them apart, file by file."""
    files = project_files(CCDB / "two_configs")
    without = _build_failures(files)  # the stale header in include/ is what both files find
    assert any("unexpected CALLS src/app.c::app_main -> include/config.h::config_level" in f for f in without)
    assert any("unexpected CALLS tools/tool.c::tool_main -> include/config.h::config_level" in f for f in without)
    files["compile_commands.json"] = json.dumps(TWO_CONFIGS_DATABASE, indent=1)
    assert _build_failures(files) == []


def test_compile_flags_decide_an_include_in_an_annotated_case() -> None:
    files = {
        "fw/compile_flags.txt": "-I\n../vendor/sdk\n",
        "vendor/sdk/hal.h": "int hal_init(void);\n",
        "vendor/sdk/hal.c": '#include "hal.h"\nint hal_init(void) { return 0; }\n',
        "include/hal.h": "int hal_init(void);\n",
        "fw/main.c": '#include "hal.h"\nint main(void) {\n    return hal_init();\n'
                     "    //     ^ calls: vendor/sdk/hal.c::hal_init\n"
                     "    //     ^ no calls: include/hal.h::hal_init\n}\n",
    }
    assert _build_failures(files) == []


def test_adding_a_compilation_database_resolves_again_and_stays_equal_to_a_fresh_index(
        tmp_path: Path, index_dump) -> None:
    """The usual layout: the build writes ``build/compile_commands.json`` and a symlink at the
    root points to it (a root ``build/`` is not walked). Adding, editing and breaking it leaves
    the incremental index equal to a fresh one."""
    from test_incremental import assert_same_graph

    root = tmp_path / "repo"
    shutil.copytree(CCDB / "two_configs", root)
    report, dump = index_dump(root, tmp_path / "db")
    assert report.mode == "full"
    stale = "CALLS src/app.c::app_main -> include/config.h::config_level"
    lib = "CALLS src/app.c::app_main -> lib/config.c::config_level"
    vendored = "CALLS tools/tool.c::tool_main -> third_party/a/config.c::config_level"
    assert stale in dump and lib not in dump

    def step(what: str) -> tuple[IndexReport, str]:
        report, incremental = index_dump(root, tmp_path / "db")
        assert report.mode == "incremental", what
        _, fresh = index_dump(root, tmp_path / f"fresh-{what.replace(' ', '-')}")
        assert_same_graph(incremental, fresh, what)
        return report, incremental

    (root / "build").mkdir()
    database = root / "build" / "compile_commands.json"
    database.write_text(json.dumps(TWO_CONFIGS_DATABASE))
    os.symlink(os.path.join("build", "compile_commands.json"), root / "compile_commands.json")
    _, dump = step("linked")
    assert "node compile_commands.json file lines=1-1 lang=c status=ok" in dump
    assert lib in dump and vendored in dump and stale not in dump
    swapped = [dict(e, arguments=[a.replace("../lib", "../third_party/a") for a in e["arguments"]])
               if "arguments" in e else e for e in TWO_CONFIGS_DATABASE]
    database.write_text(json.dumps(swapped))
    _, dump = step("edited")
    assert "CALLS src/app.c::app_main -> third_party/a/config.c::config_level" in dump and lib not in dump
    database.write_text('[{"directory": "/home/ci/build/proj"')
    report, dump = step("broken")
    assert any(s["path"] == "compile_commands.json" and "is not valid JSON" in s["reason"]
               for s in report.skipped), report.skipped
    assert stale in dump and lib not in dump


def test_a_namespace_of_the_standard_library_reopened_in_the_repository_stays_external() -> None:
    """fmt specialises ``std::hash`` in ``namespace std {}``: ``std`` is then a namespace of the
    repository too, but ``std::string`` is still the library's, not an unresolved name."""
    files = {
        "fmt/format.h": "#pragma once\n#include <string>\nnamespace std {\n"
                        "template <> struct hash<int> { int operator()(int v) const { return v; } };\n}\n",
        "fmt/format.cc": '#include "format.h"\nnamespace fmt {\nstd::string name() { return std::string("x"); }\n'
                         "int hashed() { return std::hash<int>()(1); }\n}\n",
    }
    _, edges = resolve_files(files)
    calls = {(e.source, e.target, e.resolution) for e in edges if e.kind == EdgeKind.CALLS}
    assert ("fmt/format.cc::fmt.name", "extern::std.string", "external") in calls
    assert ("fmt/format.cc::fmt.hashed", "fmt/format.h::std.hash", "exact") in calls  # what it adds is its own
