"""Java: the language spec and the JVM module system (shared with Kotlin, ``kotlin.py``).

A JVM package is what its files declare (``package com.acme.core;``), wherever they sit: one
package may span several source roots (Maven/Gradle ``src/main/java`` and ``src/test/java``,
several modules), and its files see each other's top-level names without imports
(``package_scope``). Imports name packages and the classes in them; ``java.lang`` needs none.

The module system knows the repository's ``.java`` and ``.kt`` paths and the package each
declares, not the build files. ``import a.b.C;`` is the member ``C`` of the package ``a.b``;
a specifier that goes on past a package into its classes (``import static a.b.Util.max;``,
Kotlin's ``import a.b.Engine``) is split into the package and the member names
(``JvmModules.split_member``). A specifier is inside the repository when the repository declares
it or one of its prefixes as a package; ``java.util`` and the like are external. A qualified name
spelled out in code (``new com.acme.legacy.Engine()``) starts at a package prefix
(``qualified_root``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping

from indexer.languages import LanguageSpec
from indexer.modules import PACKAGE_PROBE, BaseModules, Manifests, ModuleRef, Probe

JAVA_LANG = frozenset({
    # java.lang: classes, interfaces, exceptions and errors every Java file sees unimported
    "AbstractMethodError", "Appendable", "ArithmeticException", "ArrayIndexOutOfBoundsException",
    "ArrayStoreException", "AssertionError", "AutoCloseable", "Boolean", "Byte", "CharSequence",
    "Character", "Class", "ClassCastException", "ClassLoader", "ClassNotFoundException",
    "CloneNotSupportedException", "Cloneable", "Comparable", "Deprecated", "Double", "Enum", "Error",
    "Exception", "ExceptionInInitializerError", "Float", "FunctionalInterface",
    "IllegalAccessException", "IllegalArgumentException", "IllegalMonitorStateException",
    "IllegalStateException", "IndexOutOfBoundsException", "InstantiationException", "Integer",
    "InternalError", "InterruptedException", "Iterable", "LinkageError", "Long", "Math",
    "NegativeArraySizeException", "NoClassDefFoundError", "NoSuchFieldException",
    "NoSuchMethodException", "NullPointerException", "Number", "NumberFormatException", "Object",
    "OutOfMemoryError", "Override", "Package", "Process", "ProcessBuilder", "Readable", "Record",
    "ReflectiveOperationException", "Runnable", "Runtime", "RuntimeException", "SafeVarargs",
    "SecurityException", "Short", "StackOverflowError", "StackTraceElement", "StrictMath", "String",
    "StringBuffer", "StringBuilder", "StringIndexOutOfBoundsException", "SuppressWarnings", "System",
    "Thread", "ThreadDeath", "ThreadGroup", "ThreadLocal", "Throwable", "TypeNotPresentException",
    "UnsupportedOperationException", "VirtualMachineError", "Void",
})

JAVA_SEQUENCES = frozenset({
    "ArrayDeque", "ArrayList", "Collection", "CopyOnWriteArrayList", "Deque", "HashSet", "Iterable",
    "LinkedHashSet", "LinkedList", "List", "NavigableSet", "PriorityQueue", "Queue", "Set", "SortedSet",
    "TreeSet", "Vector",
})
"""Generic types a for-each loop gets items of (``for (var e : engines)`` over a ``List<Engine>``)."""
JAVA_MAPPINGS = frozenset({
    "ConcurrentHashMap", "ConcurrentMap", "EnumMap", "HashMap", "Hashtable", "IdentityHashMap",
    "LinkedHashMap", "Map", "NavigableMap", "SortedMap", "TreeMap", "WeakHashMap",
})


class JvmModules(BaseModules):
    """JVM packages: a package's key is its declared name (``com.acme.core``); a file that
    declares none is in the unnamed package of its directory (key: the directory, as javac
    compiles such files together). Imports resolve to packages, and through them to classes."""

    def __init__(self, paths: Collection[str], packages: Mapping[str, str] | None = None,
                 manifests: Manifests | None = None) -> None:
        super().__init__(paths, packages, manifests)
        by_package: dict[str, list[str]] = {}
        for path in sorted(self.files):
            by_package.setdefault(self.package_of(path), []).append(path)
        self.by_package: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in by_package.items()}
        self.declared = frozenset(self.packages.values())
        self.namespaces = frozenset(".".join(p.split(".")[:i]) for p in self.declared
                                    for i in range(1, p.count(".") + 2))
        """The declared packages and each prefix of them (``com``, ``com.acme`` of ``com.acme.core``):
        what a qualified name spelled out in code (``new com.acme.core.Engine()``) goes through."""
        roots: set[str] = set()
        for path, package in self.packages.items():
            directory = posixpath.dirname(path)
            tail = package.replace(".", "/")
            if directory == tail:
                roots.add("")
            elif directory.endswith("/" + tail):
                roots.add(directory[: -len(tail) - 1])
        self.roots: tuple[str, ...] = tuple(sorted(roots)) or ("",)
        """The source roots (``core/src/main/java``): where the declared packages' directories
        start. Informational (the index re-resolves everything when they change); lookups go by
        the declared packages, so a file in an unconventional directory is still found."""

    def package_of(self, path: str) -> str:
        return self.packages.get(path) or posixpath.dirname(path)

    def package_files(self, package: str, probe: Probe) -> tuple[str, ...]:
        return self.by_package.get(package, ())

    def _is_package(self, name: str, probe: Probe) -> bool:
        probe(PACKAGE_PROBE + name)
        return name in self.declared

    def resolve(self, importer: str, specifier: str, probe: Probe) -> ModuleRef | None:
        """The package ``specifier`` names (``com.acme.core``), or None: it is not a package of
        the repository (it may go on into a class: ``split_member``)."""
        return ModuleRef(specifier, package=True) if self._is_package(specifier, probe) else None

    def split_member(self, importer: str, specifier: str, probe: Probe) -> tuple[ModuleRef, tuple[str, ...]] | None:
        """A specifier naming members of a package (``a.b.Util.max``): the longest prefix that is
        a package of the repository and the names after it (``Util``, ``max``); None when no
        prefix is one. A Kotlin ``Companion`` among them is skipped: companion objects are no
        definitions, their members are their class's."""
        parts = specifier.split(".")
        for end in range(len(parts) - 1, 0, -1):
            package = ".".join(parts[:end])
            if self._is_package(package, probe):
                # Kotlin's ``a.b.Engine.Companion.create``: a companion's members are the class's
                return ModuleRef(package, package=True), tuple(p for p in parts[end:] if p != "Companion")
        return None

    def submodule(self, module: ModuleRef, name: str, probe: Probe) -> ModuleRef | None:
        """The subpackage ``name`` of a package or package prefix (``com.acme`` → ``com.acme.core``)."""
        if not module.package:
            return None
        return self._namespace(f"{module.path}.{name}", probe)

    def qualified_root(self, importer: str, name: str, probe: Probe) -> ModuleRef | None:
        """The package prefix a name no scope binds begins (``com`` of ``com.acme.core.Engine``)."""
        return self._namespace(name, probe)

    def _namespace(self, name: str, probe: Probe) -> ModuleRef | None:
        probe(PACKAGE_PROBE + name)
        return ModuleRef(name, package=True) if name in self.namespaces else None

    def is_internal(self, specifier: str, probe: Probe) -> bool:
        """Whether a specifier that names nothing found still can only mean the repository's:
        a prefix of it is a package the repository declares (``com.acme.core.Missing``)."""
        parts = specifier.split(".")
        return any(self._is_package(".".join(parts[:end]), probe) for end in range(len(parts) - 1, 0, -1))


JAVA = LanguageSpec(
    name="java",
    extensions=(".java",),
    grammar="tree_sitter_java:language",
    module_system="jvm",
    identifier_types=frozenset({"identifier", "type_identifier"}),
    member_types={
        "field_access": ("object", "field"),
        "scoped_identifier": ("scope", "name"),
        # ``Outer.Inner`` as a type has no fields: its first named child is the scope, the last the name
        "scoped_type_identifier": ("", ""),
    },
    call_types={"object_creation_expression": "type"},
    transparent_types={"parenthesized_expression": ""},
    call_member_types={"method_invocation": ("object", "name")},
    self_names=frozenset({"this"}),
    super_names=frozenset({"super"}),
    builtins=JAVA_LANG,
    literal_types={"string_literal": "String", "text_block": "String"},
    package_scope=True,
    sequence_types=JAVA_SEQUENCES,
    mapping_types=JAVA_MAPPINGS,
    members_in_scope=True,
    overloads=True,
    methods_apart=True,
)

SPECS = (JAVA,)
MODULE_SYSTEMS = {"jvm": JvmModules}
