"""Java facts and the JVM module system, through the real extractor and resolver.

Call resolution is scored on the annotated project (tests/fixtures/langs/java, see
tests/test_languages.py); these tests pin what the graph says about Java declarations, how
packages and imports map to files, and a few resolution rules on small cases.
"""

from __future__ import annotations

import pytest
from conftest import check_case

from bench.resolution import FIXTURES, definitions, extract
from indexer.facts import TYPE_PART, FileFacts
from indexer.languages.java import JvmModules
from indexer.modules import PACKAGE_PROBE

PROJECT = FIXTURES / "java"
CORE = "core/src/main/java/com/acme/core"


def _facts(path: str, source: str | None = None) -> FileFacts:
    return extract(path, source if source is not None else (PROJECT / path).read_text("utf-8"))


def test_classes_methods_constructors_and_their_signatures() -> None:
    facts = _facts(f"{CORE}/Engine.java")
    defs = definitions(facts)
    assert facts.package == "com.acme.core"
    assert defs["Engine"].kind == "class" and defs["Engine"].signature == "public class Engine"
    assert defs["Engine.Mode"].signature == "public enum Mode"  # nested: qualified by its class
    assert defs["Engine.Mode.factor"].kind == "method"
    assert defs["Engine.standard"].signature == "public static Engine standard()"
    assert defs["Engine.standard"].returns == ("Engine", TYPE_PART)  # an instance of Engine
    assert defs["Engine.rpm"].returns is None  # a primitive names no type
    # overloads and constructors share a qualname (the graph numbers the ids: Engine.start#2)
    assert [d.signature for d in facts.defs if d.qualname == "Engine.start"] == [
        "public void start()", "public void start(int target)"]
    assert [d.signature for d in facts.defs if d.qualname == "Engine.Engine"] == [
        "public Engine()", "public Engine(int rpm)"]


def test_interface_methods_are_declarations_and_javadoc_is_kept() -> None:
    defs = definitions(_facts(f"{CORE}/Vehicle.java"))
    assert defs["Vehicle"].signature == "public interface Vehicle"
    assert defs["Vehicle"].doc == "Something that can be driven."
    assert defs["Vehicle.run"].declaration and defs["Vehicle.run"].doc == "Drives it once."
    assert not defs["Vehicle.label"].declaration  # a default method has a body
    assert defs["Vehicle.name"].doc is None  # no /** */ before it


def test_bases_plain_generic_and_several_generic_interfaces_in_one_definition() -> None:
    source = """package p;
class Z extends Base<String> implements A<Z>, B<Z>, C, /* why */ D {
    void f() {}
}
interface I extends A<I>, B<I> {}
enum E implements A<E> { X }
"""
    facts = _facts("p/Z.java", source)
    classes = [d for d in facts.defs if d.kind == "class"]
    assert [d.qualname for d in classes] == ["Z", "I", "E"]  # one definition each
    defs = definitions(facts)
    assert defs["Z"].bases[0] == ("Base",)  # the superclass first: super() calls it
    assert set(defs["Z"].bases) == {("Base",), ("A",), ("B",), ("C",), ("D",)}
    assert defs["I"].bases == (("A",), ("B",)) and defs["E"].bases == (("A",),)


def test_imports_single_type_static_and_wildcards() -> None:
    source = """package p;
import a.b.C;
import static a.b.Util.max;
import a.b.*;
import static a.b.Util.*;
class X {}
"""
    imports = [(i.module, i.name) for i in _facts("p/X.java", source).imports]
    assert imports == [("a.b", "C"), ("a.b.Util", "max"), ("a.b", "*"), ("a.b.Util", "*")]


def test_typed_fields_locals_params_and_var() -> None:
    source = """package p;
class X {
    private Engine engine;
    private int count;
    void f(Engine e, java.util.List<Engine> all, int n, Engine[] many) {
        Engine local = e;
        var inferred = new Engine();
        for (var each : all) {}
    }
}
"""
    facts = _facts("p/X.java", source)
    binds = {(b.target[0], b.value, b.called) for b in facts.binds}
    assert ("engine", ("Engine", TYPE_PART), False) in binds  # a field: an instance of its type
    assert ("count", None, False) in binds  # a primitive hides the name, names no type
    assert ("local", ("Engine", TYPE_PART), False) in binds
    assert ("inferred", ("Engine",), True) in binds  # `var` takes the value: a call of Engine
    assert ("each", ("all", "[]"), False) in binds  # an item of the list
    params = {p.name: p.annotation for p in facts.params}
    assert params["e"] == ("Engine",) and params["n"] is None and params["many"] is None


def _modules() -> JvmModules:
    paths = ["core/src/main/java/a/b/Util.java", "core/src/main/java/a/b/c/Deep.java",
             "app/src/test/java/a/b/UtilTest.java", "scripts/Tool.java", "scripts/Other.java"]
    packages = {paths[0]: "a.b", paths[1]: "a.b.c", paths[2]: "a.b"}
    return JvmModules(paths, packages)


def test_jvm_packages_span_source_roots_and_the_unnamed_package_is_a_directory() -> None:
    modules = _modules()
    assert modules.package_of("core/src/main/java/a/b/Util.java") == "a.b"
    assert modules.package_files("a.b", lambda _: None) == (
        "app/src/test/java/a/b/UtilTest.java", "core/src/main/java/a/b/Util.java")
    assert modules.package_of("scripts/Tool.java") == "scripts"  # no package declaration
    assert modules.package_files("scripts", lambda _: None) == ("scripts/Other.java", "scripts/Tool.java")
    assert modules.roots == ("app/src/test/java", "core/src/main/java")


def test_jvm_specifiers_packages_members_and_externals() -> None:
    modules = _modules()
    probes: list[str] = []
    ref = modules.resolve("x.java", "a.b", probes.append)
    assert ref is not None and ref.package and ref.path == "a.b"
    assert probes == [PACKAGE_PROBE + "a.b"]  # a package coming or going re-resolves the importer
    assert modules.resolve("x.java", "a.b.Util", probes.append) is None
    split = modules.split_member("x.java", "a.b.Util.max", probes.append)
    assert split is not None and split[0].path == "a.b" and split[1] == ("Util", "max")
    split = modules.split_member("x.kt", "a.b.c.Deep.Companion.make", probes.append)
    assert split is not None and split[0].path == "a.b.c" and split[1] == ("Deep", "make")
    assert modules.split_member("x.java", "java.util.List", probes.append) is None
    assert modules.is_internal("a.b.Missing", probes.append)
    assert not modules.is_internal("java.util.List", probes.append)
    sub = modules.submodule(ref, "c", probes.append)
    assert sub is not None and sub.path == "a.b.c"
    # a qualified name spelled out in code starts at a package prefix (``a`` of ``a.b``)
    root = modules.qualified_root("", "a", probes.append)
    assert root is not None and root.package and modules.submodule(root, "b", probes.append) == ref
    assert modules.qualified_root("", "java", probes.append) is None


RULES: dict[str, str] = {}

RULES["same_package_beats_a_wildcard_import_and_java_lang_is_external"] = """
# --- path: src/a/app/Main.java ---
package a.app;

import a.lib.*;

class Main {
    void main() {
        new Printer().print("x");
        //  ^ calls: src/a/app/Printer.java::Printer [exact]
        //  ^ no calls: src/a/lib/Printer.java::Printer
        new Tool().use();
        //  ^ calls: src/a/lib/Tool.java::Tool [exact]
        //         ^ calls: src/a/lib/Tool.java::Tool.use [inferred]
        System.out.println(String.valueOf(1));
        //                        ^ calls: extern::String.valueOf [external]
    }
}
# --- path: src/a/app/Printer.java ---
package a.app;
class Printer { void print(String s) {} }
# --- path: src/a/lib/Printer.java ---
package a.lib;
public class Printer { public void print(String s) {} }
# --- path: src/a/lib/Tool.java ---
package a.lib;
public class Tool { public void use() {} }
"""

RULES["typed_receivers_pick_the_class_interfaces_dispatch_to_the_interface"] = """
# --- path: p/Runner.java ---
package p;
interface Runner { void run(); }
# --- path: p/Car.java ---
package p;
class Car implements Runner {
    public void run() {}
}
# --- path: p/Job.java ---
package p;
class Job {
    void run() {}
}
# --- path: p/Use.java ---
package p;
class Use {
    private final Job job = new Job();

    void go(Runner runner) {
        runner.run();
        //     ^ calls: p/Runner.java::Runner.run [inferred]
        //     ^ no calls: p/Car.java::Car.run
        job.run();
        //  ^ calls: p/Job.java::Job.run [inferred]
        this.job.run();
    }
}
"""

RULES["members_are_in_scope_super_calls_the_parent"] = """
# --- path: p/Base.java ---
package p;
class Base {
    Base(String name) {}
    void log() {}
    void describe() {}
}
# --- path: p/Child.java ---
package p;
class Child extends Base {
    Child() {
        super("child");
        // ^ calls: p/Base.java::Base [exact]
    }
    void describe() {
        super.describe();
        //    ^ calls: p/Base.java::Base.describe
        log();
        // ^ calls: p/Base.java::Base.log [exact]
        helper();
        // ^ calls: p/Child.java::Child.helper [exact]
    }
    private void helper() {}
}
"""

RULES["qualified_names_spelled_out_and_nested_classes"] = """
# --- path: a/b/Outer.java ---
package a.b;
public class Outer {
    public static class Inner {
        public void touch() {}
        public static Inner make() { return new Inner(); }
    }
}
# --- path: c/App.java ---
package c;

import a.b.Outer;

class App {
    void f(Outer.Inner given) {
        new a.b.Outer().hashCode();
        //        ^ calls: a/b/Outer.java::Outer [exact]
        Outer.Inner made = new Outer.Inner();
        //                           ^ calls: a/b/Outer.java::Outer.Inner [exact]
        made.touch();
        //   ^ calls: a/b/Outer.java::Outer.Inner.touch [inferred]
        Outer.Inner.make();
        //          ^ calls: a/b/Outer.java::Outer.Inner.make [exact]
    }
}
"""

RULES["static_imports_and_constructors_inside_their_class"] = """
# --- path: a/b/Util.java ---
package a.b;
public final class Util {
    public static int max(int x, int y) { return x; }
}
# --- path: a/b/Engine.java ---
package a.b;
public class Engine {
    public Engine() {}
    public static Engine make() {
        return new Engine();
        //         ^ calls: a/b/Engine.java::Engine [exact]
    }
}
# --- path: c/App.java ---
package c;

import static a.b.Util.max;
//                     ^ imports: a/b/Util.java::Util.max [exact]

class App {
    int f() {
        return max(1, 2);
        //     ^ calls: a/b/Util.java::Util.max [exact]
    }
}
"""

RULES["overloads_by_argument_count"] = """
# --- path: a/Engine.java ---
package a;
public class Engine {
    public void start() {}
    public void start(int rpm) {}
    public void start(int rpm, String mode) {}
    public void stop(int code) {}
}
# --- path: a/Turbo.java ---
package a;
public class Turbo extends Engine {
    void boost() {
        start(9000);
        // ^ calls: a/Engine.java::Engine.start#2 [exact]
        // ^ no calls: a/Engine.java::Engine.start
    }
}
# --- path: b/App.java ---
package b;

import a.Engine;

class App {
    void f(Engine e) {
        e.start();
        //^ calls: a/Engine.java::Engine.start [inferred]
        e.start(1, "eco");
        //^ calls: a/Engine.java::Engine.start#3 [inferred]
        e.stop(1, 2);
        //^ calls: a/Engine.java::Engine.stop [inferred]
    }
}
"""


@pytest.mark.parametrize("name", sorted(RULES))
def test_java_resolution_rule(name: str) -> None:
    check_case(RULES[name])
