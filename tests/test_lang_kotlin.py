"""Kotlin facts, and Kotlin and Java files of one repository resolving into each other, through
the real extractor and resolver.

Call resolution is scored on the annotated project (tests/fixtures/langs/kotlin, see
tests/test_languages.py); these tests pin what the graph says about Kotlin declarations and a
few resolution rules on small cases.
"""

from __future__ import annotations

import pytest
from conftest import check_case

from bench.resolution import FIXTURES, definitions, extract
from indexer.facts import CALL_PART, TYPE_PART, FileFacts

PROJECT = FIXTURES / "kotlin"
CORE = "core/src/main/kotlin/com/acme/core"


def _facts(path: str, source: str | None = None) -> FileFacts:
    return extract(path, source if source is not None else (PROJECT / path).read_text("utf-8"))


def test_classes_companions_and_their_signatures() -> None:
    facts = _facts(f"{CORE}/Engine.kt")
    defs = definitions(facts)
    assert facts.package == "com.acme.core"
    assert defs["Engine"].kind == "class" and defs["Engine"].signature == "class Engine(private var rpm: Int = 800)"
    assert defs["Engine"].doc == "The engine of a car; com.acme.legacy has another class of the same name."
    assert defs["Engine.Mode"].signature == "enum class Mode"
    # a companion object's members are the class's own: ``Engine.standard()``
    assert defs["Engine.standard"].kind == "method" and defs["Engine.standard"].returns == ("Engine", TYPE_PART)
    assert defs["Engine.standard"].doc == "The engine most cars get."
    assert "Engine.Companion" not in defs
    assert defs["Engine.Mode.factor"].signature == "fun factor(): Int"


def test_objects_interfaces_declarations_and_bases() -> None:
    defs = definitions(_facts(f"{CORE}/Vehicle.kt"))
    assert defs["Vehicle"].signature == "interface Vehicle"
    assert defs["Vehicle.run"].declaration and defs["Vehicle.run"].doc == "Drives it once."
    assert not defs["Vehicle.label"].declaration  # a body: an expression
    logger = definitions(_facts(f"{CORE}/Logger.kt"))
    assert logger["Logger"].signature == "object Logger" and logger["Logger.write"].kind == "method"
    car = definitions(_facts(f"{CORE}/Car.kt"))["Car"]
    assert car.bases == (("BaseVehicle",),)
    source = """package p
class Z(x: I) : Base<Int>(), I by x, J<Z>, Call.Factory {
}
"""
    # a qualified base (`Call.Factory`) is a flat list of names in this grammar: left out
    assert definitions(_facts("p/Z.kt", source))["Z"].bases == (("Base",), ("I",), ("J",))


def test_extension_functions_belong_to_their_receiver_type() -> None:
    defs = definitions(_facts(f"{CORE}/Tuning.kt"))
    assert defs["Engine.tune"].kind == "method" and defs["Engine.tune"].owner == ("Engine",)
    assert defs["Engine.tune"].signature == "fun Engine.tune(level: Int)"
    assert defs["clamp"].kind == "function" and defs["clamp"].returns == ("Int", TYPE_PART)


def test_imports_are_whole_specifiers_with_aliases_and_wildcards() -> None:
    facts = _facts("app/src/main/kotlin/com/acme/app/Garage.kt")
    imports = [(i.module, i.name, i.alias) for i in facts.imports]
    assert imports == [
        ("com.acme.core", "*", None),
        ("com.acme.core.Engine", None, None),
        ("com.acme.core.Registry.Entry", None, None),
        ("com.acme.core.clamp", None, None),
        ("com.acme.legacy.Engine", None, "LegacyEngine"),
    ]


def test_properties_parameters_loops_and_inferred_returns() -> None:
    source = """package p
class X(val engine: Engine, private val all: List<Engine>) {
    private val made = Engine()
    private val typed: Engine? = null

    fun f(e: Engine, qualified: a.b.Engine, block: () -> Unit) = make()

    fun g() {
        for (each in all) {
            each!!.run()
        }
    }
}
"""
    facts = _facts("p/X.kt", source)
    binds = {(b.target[0], b.value, b.called) for b in facts.binds}
    assert ("engine", ("Engine", TYPE_PART), False) in binds  # a constructor property
    assert ("all", ("Engine", "[*]", TYPE_PART), False) in binds  # a list of engines
    assert ("made", ("Engine",), True) in binds  # a call of the class
    assert ("typed", ("Engine", TYPE_PART), False) in binds  # nullable: still an Engine
    assert ("each", ("all", "[]"), False) in binds  # an item of the list
    params = {p.name: p.annotation for p in facts.params}
    assert params == {"e": ("Engine",), "qualified": None, "block": None}
    assert definitions(facts)["X.f"].returns == ("make", CALL_PART)  # what its expression calls
    assert ("each", "run") in {u.chain for u in facts.uses}  # `!!` is no barrier


def test_a_class_the_grammar_cannot_read_is_still_a_class() -> None:
    # tree-sitter-kotlin 1.1 reads `set` after a local `val` as that val's setter, and then
    # cannot read the class (okhttp's http2 Settings)
    source = """package p
class Settings {
  private var set: Int = 0

  fun put(id: Int): Settings {
    val bit = 1 shl id
    set = set or bit
    return this
  }

  fun clear() {
    set = 0
  }
}
"""
    facts = _facts("p/Settings.kt", source)
    assert facts.error_count
    settings = definitions(facts)["Settings"]
    assert settings.kind == "class" and settings.signature == "class Settings"
    assert (settings.start_line, settings.end_line) == (2, 15)  # what was recovered inside is its


RULES: dict[str, str] = {}

RULES["kotlin_and_java_of_one_package_call_each_other"] = """
# --- path: src/main/java/a/b/Gauge.java ---
package a.b;
public class Gauge {
    public static Gauge of(int level) { return new Gauge(); }
    public int read() { return 1; }
    public void attach(Engine engine) {
        engine.start();
        //     ^ calls: src/main/kotlin/a/b/Engine.kt::Engine.start [inferred]
    }
}
# --- path: src/main/kotlin/a/b/Engine.kt ---
package a.b

class Engine {
    private val gauge = Gauge.of(3)
    //                        ^ calls: src/main/java/a/b/Gauge.java::Gauge.of [exact]

    fun start() {
        println(gauge.read())
        //            ^ calls: src/main/java/a/b/Gauge.java::Gauge.read [inferred]
    }
}
"""

RULES["overloads_by_argument_count"] = """
# --- path: core/Engine.kt ---
package a.core

class Engine {
    fun start() {}
    fun start(rpm: Int) {}
    fun start(rpm: Int, mode: String) {}
}
# --- path: app/App.kt ---
package a.app

import a.core.Engine

fun main() {
    val engine = Engine()
    engine.start(1, "eco")
    //     ^ calls: core/Engine.kt::Engine.start#3 [inferred]
    engine.start(2)
    //     ^ calls: core/Engine.kt::Engine.start#2 [inferred]
    engine.start()
    //     ^ calls: core/Engine.kt::Engine.start [inferred]
}
"""

RULES["extension_functions_on_library_types"] = """
# --- path: text/Shout.kt ---
package a.text

fun String.shout(): String = uppercase()
fun Int.shout(): Int = this * 2
# --- path: loud/Shout.kt ---
package a.loud

fun String.shout(): String = uppercase() + "!"
# --- path: app/App.kt ---
package a.app

import a.text.shout

fun main(name: String, count: Int) {
    "hi".shout()
    //   ^ calls: text/Shout.kt::String.shout [inferred]
    //   ^ no calls: loud/Shout.kt::String.shout
    count.shout()
    //    ^ calls: text/Shout.kt::Int.shout [inferred]
    name.trim()
}
"""

RULES["imports_aliases_companions_objects_and_extensions"] = """
# --- path: core/Engine.kt ---
package a.core

class Engine {
    fun start() {
    }

    companion object {
        fun standard(): Engine = Engine()
    }
}

fun Engine.tune() {
    start()
    // ^ calls: core/Engine.kt::Engine.start [exact]
}

fun clamp(x: Int): Int = x

object Registry {
    fun add(engine: Engine) {
    }
}
# --- path: old/Engine.kt ---
package a.old

class Engine {
    fun start() {
    }
}
# --- path: app/App.kt ---
package a.app

import a.core.Engine
import a.core.Registry
import a.core.clamp
//            ^ imports: core/Engine.kt::clamp [exact]
import a.core.tune
import a.old.Engine as OldEngine

fun main() {
    val engine = Engine.standard()
    //                  ^ calls: core/Engine.kt::Engine.standard [exact]
    engine.tune()
    //     ^ calls: core/Engine.kt::Engine.tune [inferred]
    Registry.add(engine)
    //       ^ calls: core/Engine.kt::Registry.add [exact]
    OldEngine().start()
    // ^ calls: old/Engine.kt::Engine [exact]
    //          ^ calls: old/Engine.kt::Engine.start [inferred]
    //          ^ no calls: core/Engine.kt::Engine.start
    println(clamp(3))
    //      ^ calls: core/Engine.kt::clamp [exact]
}
"""


@pytest.mark.parametrize("name", sorted(RULES))
def test_kotlin_resolution_rule(name: str) -> None:
    check_case(RULES[name])
