"""C and C++ facts and the ``c`` module system, through the real extractor and resolver.

Call resolution is scored on the annotated projects (tests/fixtures/langs/c and cpp, see
tests/test_languages.py); these tests pin what the graph says about C and C++ declarations
and how ``#include`` finds headers and headers find their sources.
"""

from __future__ import annotations

from conftest import check_case

from bench.resolution import FIXTURES, definitions, extract, resolve_files
from indexer.facts import TYPE_PART, FileFacts
from indexer.languages import languages_by_extension
from indexer.languages.c_family import CModules
from indexer.model import EdgeKind


def _facts(language: str, path: str, source: str | None = None) -> FileFacts:
    return extract(path, source if source is not None else (FIXTURES / language / path).read_text("utf-8"),
                   language)


def _no_probe(_: str) -> None:
    pass


def test_extensions_a_dot_h_header_is_c() -> None:
    by_extension = languages_by_extension()
    assert by_extension[".c"] == by_extension[".h"] == "c"
    assert {by_extension[e] for e in (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx")} == {"cpp"}


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
