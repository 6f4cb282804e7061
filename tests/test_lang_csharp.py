"""C#: the facts the extractor reads (namespaces, definitions, docs, attributes, usings), the
namespace module system, and resolution rules as small annotated repositories (stack-graphs
style, see ``bench/resolution.py``). The whole annotated project is
``tests/fixtures/langs/csharp`` (scored by ``tests/test_languages.py``).
"""

from __future__ import annotations

import pytest
from conftest import check_case

from bench import resolution
from bench.resolution import resolve_files, split_case
from indexer.facts import FileFacts
from indexer.languages.csharp import CSharpModules


def extract(source: str, path: str = "Engine.cs") -> FileFacts:
    return resolution.extract(path, source)


# -- facts -----------------------------------------------------------------------------------------
ENGINE = """\
using System;
using Garage.Core;
using Old = Garage.Legacy.Engine;
using Legacy = Garage.Legacy;
using static Garage.Util.Format;

namespace Garage.App
{
    /// <summary>
    /// Runs the garage.
    /// </summary>
    /// <remarks>More.</remarks>
    [Serializable]
    public partial class Engine : Machine, IRunnable, IComparable<Engine>
    {
        /// <summary>Starts it.</summary>
        [Obsolete("use Run")]
        public void Start() { }

        // not a doc comment
        public Engine(string name) { }

        public static Engine operator +(Engine a, Engine b) => a;

        public abstract void Stop();

        int Twice(int v)
        {
            int Local(int x) => x * 2;
            return Local(v);
        }
    }

    public interface IRunnable
    {
        void Run();
    }

    public struct Point { }
    public enum Mode { On, Off }
    public delegate void Handler(int code);
}
"""


def test_the_first_namespace_is_the_package_and_no_definition() -> None:
    facts = extract(ENGINE)
    assert facts.package == "Garage.App"
    assert all("Garage" not in d.qualname for d in facts.defs)
    assert extract("namespace Garage.Core;\npublic class Wheel { }\n").package == "Garage.Core"
    assert extract("public class Wheel { }\n").package is None


def test_types_members_and_declarations() -> None:
    defs = {d.qualname: d for d in extract(ENGINE).defs}
    assert set(defs) == {
        "Engine", "Engine.Start", "Engine.Engine", "Engine.operator", "Engine.Stop", "Engine.Twice",
        "Engine.Twice.Local", "IRunnable", "IRunnable.Run", "Point", "Mode", "Handler",
    }
    assert {q for q, d in defs.items() if d.kind == "class"} == {"Engine", "IRunnable", "Point", "Mode", "Handler"}
    assert defs["Engine.Start"].kind == "method" and defs["Engine.Twice.Local"].kind == "function"
    # without a body: an interface's and an abstract method are declarations
    assert {q for q, d in defs.items() if d.declaration} == {"Engine.Stop", "IRunnable.Run"}
    assert defs["Engine"].signature == (
        "[Serializable] public partial class Engine : Machine, IRunnable, IComparable<Engine>")
    assert defs["Engine.Start"].signature == '[Obsolete("use Run")] public void Start()'
    assert defs["Engine"].bases == (("Machine",), ("IRunnable",), ("IComparable",))
    assert defs["Engine.Twice"].returns == ("int", ":")  # an instance of the declared type
    assert defs["Engine.Start"].decorators == ("Obsolete",) and defs["Engine"].decorators == ("Serializable",)


def test_xml_doc_comments_give_their_summary_line() -> None:
    defs = {d.qualname: d for d in extract(ENGINE).defs}
    assert defs["Engine.Start"].doc == "Starts it."  # a one-line summary, without its markup
    assert defs["Engine.Engine"].doc is None  # a plain comment is no doc


def test_a_summary_over_several_lines_gives_its_first_line_of_text() -> None:
    assert {d.qualname: d for d in extract(ENGINE).defs}["Engine"].doc == "Runs the garage."


def test_using_directives() -> None:
    imports = [(i.module, i.name, i.alias) for i in extract(ENGINE).imports]
    assert imports == [
        ("System", "*", None),
        ("Garage.Core", "*", None),
        ("Garage.Legacy", "Engine", "Old"),
        ("Garage", "Legacy", "Legacy"),
        ("Garage.Util.Format", "*", None),
    ]


def test_typed_names_parameters_and_locals() -> None:
    facts = extract("""\
namespace G {
class Car {
    private Engine engine;
    public Wheel Front { get; set; }
    void Drive(Engine spare, Garage.Core.Wheel wheel, int speed, params Engine[] rest) {
        var made = new Engine();
        Engine typed = null;
        foreach (var item in items) { }
        if (spare is Engine checkedOne) { }
        Func<int, int> f = (a) => a;
    }
}
}
""")
    binds = {(b.target, b.value, b.called) for b in facts.binds if b.value is not None}
    # a declared type: an instance of it (``:``); `var x = new T()`: a call; foreach: an item (``[]``)
    assert {(("engine",), ("Engine", ":"), False), (("Front",), ("Wheel", ":"), False),
            (("made",), ("Engine",), True), (("typed",), ("Engine", ":"), False),
            (("checkedOne",), ("Engine", ":"), False), (("item",), ("items", "[]"), False)} <= binds
    params = [(p.name, p.annotation) for p in facts.params]
    assert ("spare", ("Engine",)) in params and ("wheel", ("Garage", "Core", "Wheel")) in params
    assert ("speed", ("int",)) in params and ("rest", None) in params
    assert "a" not in [p.name for p in facts.params]  # a lambda's parameter only hides names


# -- the module system -----------------------------------------------------------------------------
def test_namespaces_are_packages_looked_up_outwards() -> None:
    modules = CSharpModules(
        ["App/Program.cs", "Core/Engine.Diagnostics.cs", "Core/Engine.cs", "Garage.cs", "Globals.cs", "Tools/Pump.cs"],
        {"App/Program.cs": "Garage.App", "Core/Engine.cs": "Garage.Core", "Core/Engine.Diagnostics.cs": "Garage.Core",
         "Garage.cs": "Garage", "Tools/Pump.cs": "Garage.Tools"})
    probes: list[str] = []
    assert modules.package_of("Core/Engine.cs") == "Garage.Core"
    assert modules.package_of("Globals.cs") == ""  # the global namespace
    # the namespace's files (a partial class's main part first), then the enclosing namespaces'
    assert modules.package_files("Garage.Core", probes.append) == (
        "Core/Engine.cs", "Core/Engine.Diagnostics.cs", "Garage.cs", "Globals.cs")
    assert {"package:Garage", "package:"} <= set(probes)
    assert modules.resolve("App/Program.cs", "Garage.Core", probes.append).package
    assert modules.resolve("App/Program.cs", "Garage", probes.append) is not None
    assert modules.resolve("App/Program.cs", "System.Text", probes.append) is None
    assert modules.is_internal("Garage.Util.Format", probes.append)  # a class under a namespace of ours
    assert not modules.is_internal("NUnit.Framework", probes.append)
    sub = modules.submodule(modules.resolve("", "Garage", probes.append), "Tools", probes.append)
    assert sub is not None and sub.path == "Garage.Tools"


# -- resolution rules ------------------------------------------------------------------------------
CASES: dict[str, str] = {}

CASES["outer_and_global_namespaces_need_no_using"] = """
# --- path: Garage.cs ---
namespace Garage
{
    public static class Registry
    {
        public static void Record(string what) { }
    }
}
# --- path: Globals.cs ---
public static class Clock
{
    public static int Now() { return 0; }
}
# --- path: Core/Engine.cs ---
namespace Garage.Core.Parts
{
    public class Engine
    {
        public void Run()
        {
            Registry.Record("run");
            //       ^ calls: Garage.cs::Registry.Record [exact]
            Clock.Now();
            //    ^ calls: Globals.cs::Clock.Now [exact]
        }
    }
}
"""

CASES["using_alias_of_a_type_and_of_a_namespace"] = """
# --- path: Legacy/Engine.cs ---
namespace Garage.Legacy
{
    public class Engine
    {
        public void Crank() { }
    }
}
# --- path: App/Program.cs ---
using Old = Garage.Legacy.Engine;
using Legacy = Garage.Legacy;

namespace Garage.App
{
    public class Program
    {
        void Main()
        {
            new Old().Crank();
            //  ^ calls: Legacy/Engine.cs::Engine [exact]
            //        ^ calls: Legacy/Engine.cs::Engine.Crank [inferred]
        }

        void Other()
        {
            var engine = new Legacy.Engine();
            //                      ^ calls: Legacy/Engine.cs::Engine [exact]
            engine.Crank();
            //     ^ calls: Legacy/Engine.cs::Engine.Crank [inferred]
        }
    }
}
"""

CASES["the_standard_library_is_external"] = """
# --- path: App/Program.cs ---
using System;
using System.Collections.Generic;

namespace Garage.App
{
    public class Program
    {
        void Main()
        {
            Console.WriteLine("x");
            //      ^ calls: extern::Console.WriteLine [external]
            System.Console.WriteLine("y");
            //             ^ calls: extern::System.Console.WriteLine [external]
            var names = new List<string>();
            //              ^ calls: extern::List [external]
        }
    }
}
"""

CASES["generic_calls_local_functions_and_returned_types"] = """
# --- path: Box.cs ---
namespace G
{
    public class Engine
    {
        public void Run() { }
    }
    public class Box<T>
    {
        public static Engine Make<U>() { return null; }
        public Engine Open() { return null; }
    }
    public class Car
    {
        void Drive()
        {
            Box<Engine> box = new Box<Engine>();
            //                    ^ calls: Box.cs::Box [exact]
            Make<int>();
            // ^ no calls: Box.cs::Box.Make
            box.Open().Run();
            //  ^ calls: Box.cs::Box.Open [inferred]
            //         ^ calls: Box.cs::Engine.Run [inferred]
            int Twice(int v) => v * 2;
            Twice(2);
            // ^ calls: Box.cs::Car.Drive.Twice [exact]
        }
    }
}
"""

CASES["property_named_like_its_type_read_bare"] = """
# --- path: Car.cs ---
namespace G
{
    public class Engine
    {
        public void Run() { }
    }
    public class Car
    {
        public Engine Engine { get; set; }

        void Drive()
        {
            Engine.Run();
            //     ^ calls: Car.cs::Engine.Run
        }
    }
}
"""



CASES["partial_class_members_across_parts"] = """
# --- path: Core/Engine.cs ---
namespace Garage.Core
{
    public partial class Engine
    {
        private Wheel wheel = new Wheel();

        public void Run()
        {
            Check();
            // ^ calls: Core/Engine.Diagnostics.cs::Engine.Check
        }
    }

    public class Wheel
    {
        public void Turn() { }
    }
}
# --- path: Core/Engine.Diagnostics.cs ---
namespace Garage.Core
{
    public partial class Engine
    {
        public bool Check()
        {
            wheel.Turn();
            //    ^ calls: Core/Engine.cs::Wheel.Turn [inferred]
            return true;
        }
    }
}
# --- path: App/Program.cs ---
using Garage.Core;

namespace Garage.App
{
    public class Program
    {
        void Main()
        {
            var engine = new Engine();
            //               ^ calls: Core/Engine.cs::Engine [exact]
            engine.Check();
            //     ^ calls: Core/Engine.Diagnostics.cs::Engine.Check [inferred]
        }
    }
}
"""

CASES["a_constructor_does_not_hide_its_class"] = """
# --- path: Builder.cs ---
namespace G
{
    public class Builder
    {
        public Builder() { }

        public static Builder Create()
        {
            return new Builder();
            //         ^ calls: Builder.cs::Builder [exact]
            //         ^ no calls: Builder.cs::Builder.Builder
        }

        public Builder With() { return this; }

        public void Build() { }
    }
    public class Program
    {
        void Main()
        {
            Builder.Create().With().Build();
            //                      ^ calls: Builder.cs::Builder.Build [inferred]
        }
    }
}
"""

CASES["using_static_imports_a_class_members"] = """
# --- path: Util/Format.cs ---
namespace Garage.Util
{
    public static class Format
    {
        public static string Line(string text) { return text; }
    }
}
# --- path: App/Program.cs ---
using static Garage.Util.Format;

namespace Garage.App
{
    public class Program
    {
        void Main()
        {
            Line("x");
            // ^ calls: Util/Format.cs::Format.Line [exact]
        }
    }
}
"""

CASES["an_external_using_does_not_hide_a_later_internal_one"] = """
# --- path: Core/Engine.cs ---
namespace Garage.Core
{
    public class Engine
    {
        public void Run() { }
    }
}
# --- path: Tests/EngineTests.cs ---
using NUnit.Framework;
using Garage.Core;

namespace Garage.Tests
{
    public class EngineTests
    {
        void TestRun()
        {
            new Engine().Run();
            //  ^ calls: Core/Engine.cs::Engine [exact]
            //           ^ calls: Core/Engine.cs::Engine.Run [inferred]
            Assert.That(true);
            //     ^ calls: extern::NUnit.Framework.Assert.That [external]
        }
    }
}
"""

CASES["property_named_like_its_type_read_as_a_member"] = """
# --- path: Car.cs ---
namespace G
{
    public class Engine
    {
        public void Run() { }
    }
    public class Car
    {
        public Engine Engine { get; set; }

        void Drive()
        {
            this.Engine.Run();
            //          ^ calls: Car.cs::Engine.Run [inferred]
        }
    }
    public class Driver
    {
        void Go(Car car)
        {
            car.Engine.Run();
            //         ^ calls: Car.cs::Engine.Run [inferred]
        }
    }
}
"""

CASES["generic_members_conditional_access_and_qualified_names"] = """
# --- path: Box.cs ---
namespace G
{
    public class Engine
    {
        public void Run() { }
        public Engine Next() { return this; }
    }
    public class Holder<T>
    {
        public T Open() { return default(T); }
    }
    public class Box
    {
        public T Get<T>() { return default(T); }
        public static Box Make<T>() { return null; }
    }
    public class Car
    {
        private Engine engine;

        void Drive(Box box)
        {
            box.Get<Engine>();
            //  ^ calls: Box.cs::Box.Get [inferred]
            var boxed = new Holder<Engine>();
            boxed.Open();
            //    ^ calls: Box.cs::Holder.Open [inferred]
            engine?.Run();
            //      ^ calls: Box.cs::Engine.Run [inferred]
            engine?.Next();
            //      ^ calls: Box.cs::Engine.Next [inferred]
        }

        void Park()
        {
            G.Box.Make<int>();
            //    ^ calls: Box.cs::Box.Make [exact]
        }
    }
}
"""

CASES["overloads_by_argument_count"] = """
# --- path: Engine.cs ---
namespace Garage
{
    public class Engine
    {
        public void Start() { }
        public void Start(int rpm) { }
        public static Engine Make(string name, int size) { return new Engine(); }
        public static Engine Make(string name) { return new Engine(); }
    }
}
# --- path: App.cs ---
using Garage;

public class App
{
    public void Go(Engine engine)
    {
        engine.Start(9000);
        //     ^ calls: Engine.cs::Engine.Start#2 [inferred]
        Engine.Make("v8", 8).Start();
        //     ^ calls: Engine.cs::Engine.Make [exact]
        //                   ^ calls: Engine.cs::Engine.Start [inferred]
    }
}
"""

CASES["extension_methods_on_library_and_repository_types"] = """
# --- path: Lib/Extensions.cs ---
namespace Lib
{
    public static class StringExtensions
    {
        public static string Shout(this string s) { return s.ToUpper(); }
        public static string Whisper(this string s) { return s.ToLower(); }
        public static int Boost(this Engine e, int by) { return e.Run() + by; }
        //                                                        ^ calls: Lib/Extensions.cs::Engine.Run [inferred]
    }

    public class Engine
    {
        public int Run() { return 1; }
    }

    public class Wheel
    {
        public int Boost(int by) { return by; }
    }
}
# --- path: App.cs ---
using Lib;

public class App
{
    public void Go(string name, Engine engine, Wheel wheel)
    {
        name.Shout();
        //   ^ calls: Lib/Extensions.cs::StringExtensions.Shout [inferred]
        engine.Boost(2);
        //     ^ calls: Lib/Extensions.cs::StringExtensions.Boost [inferred]
        wheel.Boost(3);
        //    ^ calls: Lib/Extensions.cs::Wheel.Boost [inferred]
        StringExtensions.Whisper(name);
        //               ^ calls: Lib/Extensions.cs::StringExtensions.Whisper [exact]
    }
}
"""


@pytest.mark.parametrize("name", sorted(CASES))
def test_resolution_rule(name: str) -> None:
    check_case(CASES[name])


def test_using_static_imports_its_class() -> None:
    _, edges = resolve_files(split_case(CASES["using_static_imports_a_class_members"]))
    assert any(e.kind == "IMPORTS" and e.source == "App/Program.cs" and e.target == "Util/Format.cs::Format"
               for e in edges)
