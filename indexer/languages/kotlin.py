"""Kotlin: the language spec. Its module system is Java's (``JvmModules``): Kotlin and Java
files of one repository live in the same packages and import each other.

Kotlin's grammar (tree-sitter-kotlin 1.1) names few fields: a member access
(``navigation_expression``) is its object then its member, a call (``call_expression``) its
callee then its arguments, so both are described positionally (field ``""``). ``Engine()`` is a
call of the class (there is no ``new``); ``import a.b.Engine`` names a class of the package
``a.b`` and is split into the two by the module system.
"""

from __future__ import annotations

from indexer.languages import LanguageSpec
from indexer.languages.java import JAVA_LANG, JAVA_MAPPINGS, JAVA_SEQUENCES

KOTLIN_DEFAULTS = frozenset({
    # kotlin.*, kotlin.collections.*, kotlin.text.*, kotlin.io.* ... imported by default
    "Any", "Array", "ArrayDeque", "ArrayList", "Boolean", "BooleanArray", "Byte", "ByteArray", "Char",
    "CharArray", "CharSequence", "Collection", "Comparable", "Comparator", "Double", "DoubleArray",
    "Enum", "Float", "FloatArray", "HashMap", "HashSet", "Int", "IntArray", "Iterable", "Iterator",
    "Lazy", "LinkedHashMap", "LinkedHashSet", "List", "Long", "LongArray", "Map", "MutableCollection",
    "MutableIterable", "MutableList", "MutableMap", "MutableSet", "Nothing", "Number", "Pair",
    "Regex", "Result", "Sequence", "Set", "Short", "ShortArray", "String", "StringBuilder", "Throwable",
    "Triple", "UByte", "UInt", "ULong", "UShort", "Unit",
    "also", "apply", "arrayListOf", "arrayOf", "arrayOfNulls", "assert", "booleanArrayOf",
    "buildList", "buildMap", "buildSet", "buildString", "byteArrayOf", "charArrayOf", "check",
    "checkNotNull", "doubleArrayOf", "emptyArray", "emptyList", "emptyMap", "emptySequence",
    "emptySet", "enumValueOf", "enumValues", "error", "floatArrayOf", "generateSequence",
    "hashMapOf", "hashSetOf", "intArrayOf", "lazy", "lazyOf", "let", "linkedMapOf", "linkedSetOf",
    "listOf", "listOfNotNull", "longArrayOf", "mapOf", "maxOf", "minOf", "mutableListOf",
    "mutableMapOf", "mutableSetOf", "print", "println", "readLine", "readln", "repeat", "require",
    "requireNotNull", "run", "runCatching", "sequence", "sequenceOf", "setOf", "setOfNotNull",
    "shortArrayOf", "sortedMapOf", "sortedSetOf", "synchronized", "takeIf", "takeUnless", "to",
    "TODO", "with",
})

KOTLIN = LanguageSpec(
    name="kotlin",
    extensions=(".kt", ".kts"),
    grammar="tree_sitter_kotlin:language",
    module_system="jvm",
    identifier_types=frozenset({"identifier"}),
    member_types={"navigation_expression": ("", "")},
    call_types={"call_expression": ""},
    # ``e!!.run()``: the value of ``e`` (a prefix ``!flag`` is a unary_expression too: harmless)
    transparent_types={"unary_expression": "argument", "parenthesized_expression": ""},
    self_names=frozenset({"this", "this_expression"}),
    super_names=frozenset({"super", "super_expression"}),
    builtins=KOTLIN_DEFAULTS | JAVA_LANG,  # java.lang.* is a default import on the JVM too
    literal_types={"string_literal": "String"},
    package_scope=True,
    # ``List<Engine>`` is a user_type whose children are the name, then the type arguments
    generic_types=frozenset({"user_type"}),
    sequence_types=JAVA_SEQUENCES | {"Array", "MutableCollection", "MutableIterable", "MutableList", "MutableSet",
                                     "Sequence"},
    mapping_types=JAVA_MAPPINGS | {"MutableMap"},
    members_in_scope=True,
    overloads=True,
    external_extensions=True,
)

SPECS = (KOTLIN,)
