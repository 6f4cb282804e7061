"""C#: namespaces shared across files, ``using`` directives, partial classes.

A file's first ``namespace A.B`` (block or file-scoped) is its package, not a definition: its
types are module-level definitions of the file. Code in namespace ``A.B`` sees the types of
``A.B`` (in any file), of the enclosing namespaces ``A`` and of the global namespace, without
a ``using``: ``CSharpModules.package_files`` lists those files, innermost namespace first.
(So ``using A.B;`` from elsewhere also brings ``A``'s types: a lookup cannot tell the two apart.)
``using A.B;`` imports every type of namespace ``A.B`` (a wildcard of the package ``A.B``);
``using X = A.B.C;`` imports ``C`` from ``A.B`` as ``X``; ``using static A.B.Util;`` the static
members of the class ``Util`` (``split_member``). What no file of the repository declares
(``System``, ``NUnit.Framework``) is external; the types a project sees without a ``using``
under the SDK's implicit usings (``System``, ``System.Collections.Generic``, ``System.Linq``,
``System.IO``, ``System.Threading.Tasks``, ...), and a few more of the standard library, are
builtins. The parts of a partial class are classes of one qualified name in one namespace,
whose members the resolver looks up in every part.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from indexer.languages import LanguageSpec
from indexer.modules import BaseModules, Manifests, ModuleRef, Probe

_KEYWORD_TYPES = (
    "bool", "byte", "char", "decimal", "double", "dynamic", "float", "int", "long", "nint", "nuint",
    "object", "sbyte", "short", "string", "uint", "ulong", "ushort", "void",
)
_IMPLICIT_USING_TYPES = (
    # System
    "Action", "Activator", "AggregateException", "AppContext", "AppDomain", "ArgumentException",
    "ArgumentNullException", "ArgumentOutOfRangeException", "ArithmeticException", "Array",
    "ArraySegment", "AsyncCallback", "Attribute", "AttributeTargets", "AttributeUsageAttribute",
    "BitConverter", "Boolean", "Buffer", "Byte", "Char", "CLSCompliantAttribute", "Console",
    "Convert", "DBNull", "DateTime", "DateTimeKind", "DateTimeOffset", "Decimal", "Delegate",
    "DivideByZeroException", "Double", "Enum", "Environment", "EventArgs", "EventHandler",
    "Exception", "FlagsAttribute", "FormatException", "Func", "GC", "Guid", "IAsyncDisposable",
    "ICloneable", "IComparable", "IConvertible", "IDisposable", "IEquatable", "IFormatProvider",
    "IFormattable", "IndexOutOfRangeException", "Int16", "Int32", "Int64", "IntPtr",
    "InvalidCastException", "InvalidOperationException", "Lazy", "Math", "MathF", "MemberAccessException",
    "Memory", "MulticastDelegate", "NotImplementedException", "NotSupportedException", "Nullable",
    "NullReferenceException", "Object", "ObjectDisposedException", "ObsoleteAttribute",
    "OperationCanceledException", "OverflowException", "Predicate", "Random", "ReadOnlyMemory",
    "ReadOnlySpan", "SByte", "SerializableAttribute", "Single", "Span", "String", "StringComparer",
    "StringComparison", "StringSplitOptions", "TimeSpan", "TimeZoneInfo", "Tuple", "Type",
    "TypeCode", "UInt16", "UInt32", "UInt64", "UIntPtr", "Uri", "UriKind", "ValueTuple",
    "ValueType", "Version", "WeakReference",
    # System.Collections.Generic, System.Linq
    "Comparer", "Dictionary", "EqualityComparer", "HashSet", "ICollection", "IComparer",
    "IDictionary", "IEnumerable", "IEnumerator", "IEqualityComparer", "IList",
    "IReadOnlyCollection", "IReadOnlyDictionary", "IReadOnlyList", "ISet", "KeyNotFoundException",
    "KeyValuePair", "LinkedList", "List", "Queue", "SortedDictionary", "SortedList", "SortedSet",
    "Stack", "Enumerable", "IGrouping", "ILookup", "IOrderedEnumerable", "IQueryable", "Queryable",
    # System.IO, System.Threading, System.Threading.Tasks, System.Net.Http
    "BinaryReader", "BinaryWriter", "Directory", "DirectoryInfo", "File", "FileInfo", "FileMode",
    "FileStream", "IOException", "MemoryStream", "Path", "Stream", "StreamReader", "StreamWriter",
    "StringReader", "StringWriter", "TextReader", "TextWriter", "CancellationToken",
    "CancellationTokenSource", "Interlocked", "Monitor", "Thread", "ThreadLocal", "Timeout",
    "Volatile", "Parallel", "Task", "TaskCompletionSource", "TaskScheduler", "ValueTask",
    "HttpClient",
)
_COMMON_TYPES = (
    # System.Text, System.Globalization, System.Reflection, System.Diagnostics: named after a
    # `using` of their namespace, which is external; without them here, the first external
    # namespace a file uses would be guessed as theirs
    "Encoding", "StringBuilder", "Regex", "RegexOptions", "CultureInfo", "NumberStyles",
    "DateTimeStyles", "Assembly", "BindingFlags", "ConstructorInfo", "FieldInfo", "MemberInfo",
    "MethodBase", "MethodInfo", "ParameterInfo", "PropertyInfo", "Debug", "Debugger", "Stopwatch",
    "Trace",
)
BUILTINS = frozenset({
    *_KEYWORD_TYPES, *_IMPLICIT_USING_TYPES, *_COMMON_TYPES,
    "System", "Microsoft", "nameof",
})


class CSharpModules(BaseModules):
    """Namespaces as packages: ``package_of`` is the namespace a file declares (the global
    namespace ``""`` for a file that declares none); ``package_files`` are the files of that
    namespace, then those of each enclosing namespace and of the global namespace, so a lookup
    in ``A.B`` finds ``A.B``'s types first, then ``A``'s (C#'s name lookup goes outwards)."""

    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        super().__init__(paths, packages, manifests)
        by_namespace: dict[str, list[str]] = {}
        # a partial class's parts are found in this order: ``Engine.cs`` before
        # ``Engine.Diagnostics.cs`` (names compared without ``.cs``), its main part first
        for path in sorted(self.files, key=lambda p: p.removesuffix(".cs")):
            by_namespace.setdefault(self.packages.get(path, ""), []).append(path)
        self._files = {ns: tuple(files) for ns, files in by_namespace.items()}
        self._declared = frozenset(ns for ns in self._files if ns)
        self._namespaces = frozenset(".".join(ns.split(".")[:i]) for ns in self._declared
                                     for i in range(1, ns.count(".") + 2))
        """Every namespace the repository declares, and each enclosing one (``A`` of ``A.B``)."""
        self._lookup: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        """Namespace → the files a lookup in it reads, and the enclosing namespaces it probes."""

    def package_of(self, path: str) -> str | None:
        return self.packages.get(path, "") if path in self.files else None

    def package_files(self, package: str, probe: Probe) -> tuple[str, ...]:
        found = self._lookup.get(package)
        if found is None:
            from indexer.resolve import PACKAGE_PROBE  # the resolver imports this module's registry

            parts = package.split(".") if package else []
            outers = [".".join(parts[:i]) for i in range(len(parts) - 1, -1, -1)]
            files = tuple(p for ns in (package, *outers) for p in self._files.get(ns, ()))
            found = self._lookup[package] = (files, tuple(PACKAGE_PROBE + ns for ns in outers))
        for key in found[1]:
            probe(key)  # a file coming to an enclosing namespace changes this lookup
        return found[0]

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None:
        """The namespace ``specifier`` names (``using A.B;``), as a package."""
        from indexer.resolve import PACKAGE_PROBE

        probe(PACKAGE_PROBE + specifier)
        return ModuleRef(specifier, package=True) if specifier in self._namespaces else None

    def submodule(self, module: ModuleRef, name: str, probe: Probe) -> ModuleRef | None:
        """The namespace ``A.B.name`` inside the namespace ``A.B``."""
        if not module.package:
            return None
        return self.resolve("", f"{module.path}.{name}" if module.path else name, probe)

    def split_member(self, importer: str, specifier: str, probe: Probe) -> tuple[ModuleRef, tuple[str, ...]] | None:
        """A type inside a namespace (``using static Garage.Util.Format``, ``using X =
        Garage.Util.Format.Inner``): the longest namespace it starts with, then its members."""
        parts = specifier.split(".")
        for i in range(len(parts) - 1, 0, -1):
            namespace = self.resolve(importer, ".".join(parts[:i]), probe)
            if namespace is not None:
                return namespace, tuple(parts[i:])
        return None

    def qualified_root(self, importer: str, name: str, probe: Probe) -> ModuleRef | None:
        """The namespace ``name`` when code spells a type out from the root (``Garage.Core.Engine``)."""
        return self.resolve("", name, probe)

    def is_internal(self, specifier: str, probe: Probe) -> bool:
        """Whether ``specifier`` lies inside a namespace the repository declares (``A.B.Util``
        of ``A.B``, a class named by ``using static``): then it is unresolved, not external."""
        parts = specifier.split(".")
        return any(".".join(parts[:i]) in self._declared for i in range(1, len(parts)))

    def external_name(self, specifier: str) -> str:
        return specifier


CSHARP = LanguageSpec(
    name="csharp",
    extensions=(".cs",),
    grammar="tree_sitter_c_sharp:language",
    module_system="csharp",
    identifier_types=frozenset({"identifier", "predefined_type"}),
    member_types={"member_access_expression": ("expression", "name"), "qualified_name": ("qualifier", "name"),
                  "conditional_access_expression": ("condition", "name")},
    call_types={"invocation_expression": "function", "object_creation_expression": "type"},
    self_names=frozenset({"this"}),
    super_names=frozenset({"base"}),
    builtins=BUILTINS,
    literal_types={
        "string_literal": "string", "verbatim_string_literal": "string", "raw_string_literal": "string",
        "interpolated_string_expression": "string", "character_literal": "char", "integer_literal": "int",
        "real_literal": "double", "boolean_literal": "bool", "typeof_expression": "Type",
    },
    # `(e)`, `e!`, `e++`: the value of `e`; `(Engine)e`, `e as Engine`: the type Engine
    transparent_types={"parenthesized_expression": "", "postfix_unary_expression": "",
                       "cast_expression": "type", "as_expression": "right"},
    generic_types=frozenset({"generic_name"}),
    sequence_types=frozenset({
        "IEnumerable", "ICollection", "IList", "IReadOnlyCollection", "IReadOnlyList", "ISet", "List",
        "HashSet", "SortedSet", "LinkedList", "Queue", "Stack", "Collection", "ReadOnlyCollection",
        "ObservableCollection", "IAsyncEnumerable", "ConcurrentBag", "ConcurrentQueue", "ConcurrentStack",
        "BlockingCollection", "ImmutableArray", "ImmutableList", "ImmutableHashSet",
    }),
    mapping_types=frozenset({
        "IDictionary", "IReadOnlyDictionary", "Dictionary", "SortedDictionary", "SortedList",
        "ConcurrentDictionary", "ImmutableDictionary",
    }),
    package_scope=True,
    members_in_scope=True,
    overloads=True,
    external_extensions=True,
)

SPECS = (CSHARP,)
MODULE_SYSTEMS = {"csharp": CSharpModules}
