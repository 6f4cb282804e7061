"""The generic extractor: one file's bytes → ``FileFacts``, driven by a language's ``.scm`` query.

Capture names the query may use (all optional; unknown names are ignored):

``@definition.class`` / ``@definition.function`` with ``@name``, ``@body`` and, for classes,
``@bases`` (nodes whose name-like children are base classes; may be captured several times)
    a definition; a function directly inside a class is a method. The signature is the source
    from the definition's start to its body, on one line, without comments (``_header``).
``@doc`` with ``@doc.owner``
    the docstring string node of a definition or of the module.
``@decorator.name`` with ``@decorator.target``
    a decorator applied to a definition; ``@decorator.target`` with ``(#set! decorator "static")``
    a keyword that qualifies it.
``@receiver`` with ``@receiver.of``
    the type a method extends while it stays a member of its own class (C# ``this string s``)
``@import.module`` with optional ``@import.name``, ``@import.alias``, ``@import.wildcard``
    an import; ``@import.module`` alone imports a whole module. A pattern with
    ``(#set! import.name "default")`` imports that name when no node spells it; with
    ``(#set! import.join "::")`` several ``@import.module`` nodes are the module's parts, joined.
``@call``
    the callee expression of a call.
``@call.bare``
    a bare name that calls a method unless a local variable or parameter of that name is bound
    in its scope (Ruby's ``subtotal``, which is ``self.subtotal()`` unless ``subtotal = ...``).
``@reference``
    a name or member access used as a value (not called).
``@bind.target`` with optional ``@bind.value``; ``@bind.global``
    a name bound in the enclosing scope; ``global``/``nonlocal`` names are not local.
    ``(#set! bind.name "default")`` binds that name instead of the target's text.
``@param.name`` with optional ``@param.type``; ``@param.lambda``
    a parameter of the enclosing function (a lambda's only shadows names).

For languages beyond Python and JavaScript:

``@definition.function`` may also capture ``@owner`` and ``@returns``; without ``@body`` it is a declaration
    ``@owner`` names the type a function defined outside it belongs to (Go ``func (c *Cart)
    Total()``: ``Cart``; C++ ``void Engine::run()``: ``Engine``): it is then the method
    ``Cart.Total``. ``@returns`` is its declared return type. A function without a body (a C
    prototype, an interface method) is a declaration.
``@definition.extension`` with ``@name``, ``@body`` and optional ``@bases``
    a block adding members to the type ``@name`` (Rust ``impl Engine``, ``impl Run for
    Engine``): its functions are methods of that type; it is no node of its own.
``@return.value``
    an expression a function returns: when every return of a function without a declared
    type calls one callee (``return Engine(...)``), that is what its calls return.
``@bind.type`` with ``@bind.target``, or with ``@bind.field``
    the declared type of a bound name (a typed local, a field, a property): an instance of it.
    ``@bind.field`` is a field a constructor's parameter declares (PHP ``__construct(private
    Mailer $mailer)``, TypeScript ``constructor(private repo: Repo)``): a name of the class.
``@bind.iter`` with ``@bind.target``
    a loop variable and what it iterates: an item of it (of a ``list[Repo]``: a ``Repo``).
``@package``
    the package or namespace the file declares (Java ``package a.b;``, C# ``namespace A.B``).
Name-like nodes (``identifier_types``, ``member_types`` of the ``LanguageSpec``) are read as
chains; for a type capture (``@returns``, ``@param.type``, ``@bind.type``, ``@owner``) the
first name-like node inside it is (``*Cart`` → ``Cart``, ``List<Item>`` → ``List``).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from indexer.facts import (
    CALL_PART,
    ITEM_PART,
    MAPPING_PART,
    MODULE_SCOPE,
    SEQUENCE_PART,
    TYPE_PART,
    BindFact,
    Chain,
    DefFact,
    DefKind,
    FileFacts,
    ImportFact,
    ParamFact,
    UseFact,
    UseKind,
)
from indexer.languages import LanguageSpec, manifest_reader
from indexer.tsshim import CompiledQuery, Node, count_errors, deeper_than

MAX_SIGNATURE = 240
MAX_DOC = 200
_SPACE = re.compile(r"\s+")
_DOC_MARKUP = re.compile(
    r"</?(?:summary|remarks|para|returns|value)\s*>|<see(?:also)?\s+c?ref=\"(?:\w:)?([^\"]*)\"\s*/>")
"""XML doc markup (C#): the summary tags go, a ``<see cref="X"/>`` stays as ``X``."""
_STRING_PREFIX = re.compile(r"^[rRbBuUfF]*('''|\"\"\"|'|\"|`)")
_LITERAL_PREFIX = re.compile(rb"[A-Za-z]*")
_NEEDS_TREE = re.compile(rb"[#\\]|/[/*]|[(\[]\s|\s[)\],]")
"""What a header holds when it may have a comment, a line continuation, or a space inside a
bracket or before a comma: only then is its syntax tree walked (most headers have none)."""
_WHITESPACE = b" \t\n\r\f\v"
_NO_SPACE_AFTER = frozenset({"(", "["})
_NO_SPACE_BEFORE = frozenset({")", "]", ","})
_HEADER_BYTES = 16 * MAX_SIGNATURE
"""Source bytes read for a signature: a header longer than this (a type alias spelling out a
large type has no body, so its header is all of it) is cut to ``MAX_SIGNATURE`` anyway."""


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    """The budget of one file, so that no file, however crafted, can hang or exhaust the
    indexer. A file over a budget is indexed partially (or skipped, when even its parse is
    over) and recorded with the reason."""

    parse_seconds: float | None = 10.0
    """Parsing stops after this long and the file is skipped (tree-sitter parses megabytes
    a second: only a crafted or degenerate file gets near it)."""
    max_depth: int = 512
    """Code nested deeper than this many syntax-tree levels is not matched: matching is
    quadratic in depth. The deepest file among the 3,000 largest Python files of a virtual
    environment with numpy, torch and sympy is 570 levels (a generated sympy table); the
    next is 233."""
    match_limit: int = 256
    """At most this many query matches in progress at once; more are dropped (the file is then
    partial). No file among the 1,500 largest Python and 493 largest JavaScript files on this
    machine needs more than 256."""
    max_matches: int = 100_000
    """Query matches past this many are left out (the rest of the file): each becomes a fact
    kept in memory through resolution and storing. The most in a real file here is 33,365
    (torch's common_methods_invocations.py, 1.4 MB); a crafted 1 MB file of ``f()`` lines
    gives 250,000."""
    max_error_tokens: int = 10_000
    """A file whose widest syntax error holds more tokens than this is not matched at all (its
    file node is kept, partial): tree-sitter's query matching is quadratic in them (64,000
    unclosed brackets took minutes). The widest error in the 40 largest Python files of a
    virtual environment, each with a bracket left open at the top, holds 2,768."""
    max_def_depth: int = 32
    """Definitions nested deeper than this are part of their enclosing definition."""
    max_qualname: int = 1000
    """Definitions whose qualified name would be longer are part of their enclosing one:
    ids and name indexes grow with the square of the name length."""
    max_chain: int = 64
    """Longer dotted expressions (``a.b.c...``) are not resolved."""


DEFAULT_LIMITS = ExtractLimits()


@dataclass(slots=True)
class _Def:
    node: Node
    name: str
    kind: str
    body: Node | None
    bases: list[Node]
    owner: Chain = ()
    returns: Chain | None = None


_ARGUMENT_LISTS = frozenset({"arguments", "argument_list", "value_arguments"})
_COMMENTS = frozenset({"comment", "line_comment", "block_comment", "multiline_comment"})


def _line_count(source: bytes) -> int:
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _child(node: Node, field: str, last: bool) -> Node | None:
    """The child of ``node`` in ``field``. A grammar without fields there (Kotlin's
    ``navigation_expression``, Java's ``scoped_type_identifier``) is described with the field
    ``""``: the object or callee is then the first named child, the member the last (``last``)."""
    if field:
        return node.child_by_field_name(field)
    children = node.named_children
    if last:
        return children[-1] if len(children) > 1 else None
    return children[0] if children else None


def _first_doc_line(node: Node) -> str | None:
    raw = _text(node).strip()
    if raw.startswith(("///", "//!")):
        # a query may capture the nearest line of a run of doc lines (C++, where a run cannot be
        # told from the comments before it): the run starts higher
        lines, first, prev = [raw], node, node.prev_sibling
        while (prev is not None and prev.type == node.type and prev.end_point[0] == first.start_point[0] - 1
               and _text(prev).startswith(raw[:3])):
            lines.append(_text(prev).strip())
            first, prev = prev, prev.prev_sibling
        raw = "\n".join(reversed(lines))
    if raw.startswith("/*"):  # a block comment (JSDoc): drop the delimiters and the "*" margin
        raw = "\n".join(line.strip().lstrip("*") for line in raw[2:].removesuffix("*/").splitlines())
    elif raw.startswith(("//", "#")):  # line comments (Go, Rust ``///``, C# XML doc, Ruby): no markers
        raw = "\n".join(_DOC_MARKUP.sub(lambda m: m.group(1) or "", line.strip().lstrip("/!#"))
                         for line in raw.splitlines())
    elif (m := _STRING_PREFIX.match(raw)) is not None:
        quote = m.group(1)
        raw = raw[m.end():]
        if raw.endswith(quote):
            raw = raw[: -len(quote)]
    for line in raw.splitlines():
        line = line.strip()
        if line:
            return line[:MAX_DOC]
    return None


def _header(node: Node, end: int, source: bytes) -> str:
    """The signature of the definition ``node`` whose body starts at byte ``end``: its source
    up to there on one line, without comments (``def f(self):  #: note`` is ``def f(self)``),
    line continuations, the spaces just inside brackets and before commas that a parameter
    list spread over several lines leaves (``def f( a, b, )``), or the ``:`` / ``{`` before
    the body.

    Comments and brackets are found as syntax nodes, so a ``#`` or ``(`` inside a string
    default stays; the tree is only walked when the raw header holds something to remove."""
    start = node.start_byte
    end = min(end, start + _HEADER_BYTES)
    raw = source[start:end]
    if _NEEDS_TREE.search(raw):
        text = bytearray(raw)
        opens: list[int] = []  # offsets just after each "(" / "["
        closes: list[int] = []  # and just before each ")" / "]" / ","
        stack = [node]
        while stack:
            current = stack.pop()
            if current.start_byte >= end:
                continue
            a, b = current.start_byte - start, min(current.end_byte, end) - start
            if current.is_extra and not current.is_error:  # a comment or a line continuation
                text[a:b] = b" " * (b - a)
            elif current.child_count == 0 and current.type in _NO_SPACE_AFTER:
                opens.append(b)
            elif current.child_count == 0 and current.type in _NO_SPACE_BEFORE:
                closes.append(a)
            else:
                stack.extend(current.children)
        drop = [False] * len(text)
        for i in opens:
            while i < len(text) and text[i] in _WHITESPACE:
                drop[i] = True
                i += 1
        for i in closes:
            while i > 0 and text[i - 1] in _WHITESPACE:
                i -= 1
                drop[i] = True
        raw = bytes(byte for byte, dropped in zip(text, drop, strict=True) if not dropped)
    signature = _SPACE.sub(" ", raw.decode("utf-8", "replace"))
    return signature.strip().rstrip(":{").rstrip()[:MAX_SIGNATURE]


class Extractor:
    """Compiled once per process and language; ``extract`` is then pure per file."""

    def __init__(self, spec: LanguageSpec, limits: ExtractLimits = DEFAULT_LIMITS) -> None:
        self.spec = spec
        self.limits = limits
        self.compiled = CompiledQuery(spec.load_grammar(), spec.query_source())

    # -- expressions -------------------------------------------------------------------
    def chain(self, node: Node) -> Chain:
        """The dotted parts of a name-like expression, ``?`` for a head that is no name."""
        spec = self.spec
        parts: list[str] = []
        current: Node | None = node
        while current is not None and len(parts) <= self.limits.max_chain:
            kind = current.type
            if kind in spec.transparent_types:  # ``(e)``, ``e?``, ``&e``, ``e!!``: the value of ``e``
                current = _child(current, spec.transparent_types[kind], last=False)
                continue
            if kind in spec.generic_types and current.named_child_count:
                current = current.named_children[0]  # ``Make<T>``: ``Make``
                continue
            if kind in spec.call_member_types or kind in spec.member_types:
                # a call of a member (Java ``a.run()``): the member when it is what is called,
                # the result of the call when a member of it is used (``a.make().run()``)
                if kind in spec.call_member_types and current is not node:
                    parts.append(CALL_PART)
                obj_field, member_field = (spec.call_member_types.get(kind) or spec.member_types[kind])
                member = _child(current, member_field, last=True)
                if member is None and member_field and current.named_child_count:
                    # C# ``a?.Run``: the member is named by the node's last child
                    member = current.named_children[-1].child_by_field_name(member_field)
                if member is not None and member.type in spec.generic_types and member.named_children:
                    member = member.named_children[0]  # ``box.Get<Engine>``: ``Get``
                if member is not None and member.type in spec.member_types:
                    # nested to the right (C++ ``a::b::f`` is ``a::(b::f)``): the member's parts
                    parts.extend(reversed(self.chain(member)))
                else:
                    parts.append(_text(member) if member is not None else "?")
                current = _child(current, obj_field, last=False)
                continue
            if kind in spec.identifier_types or kind in spec.self_names or kind in spec.super_names:
                parts.append(_text(current))
                if kind in spec.self_attribute_types and spec.self_names:
                    parts.append(min(spec.self_names))  # Ruby ``@cart`` is ``self.@cart``
            elif kind in spec.call_types:
                callee = _child(current, spec.call_types[kind], last=False)
                name = _text(callee) if callee is not None else ""
                if f"{name}()" in spec.super_names:
                    parts.append(f"{name}()")
                elif callee is not None and len(parts) < 8:
                    # the result of a call: ``Engine().run`` → ("Engine", "()", "run")
                    parts.append(CALL_PART)
                    current = callee
                    continue
                else:
                    parts.append("?")
            elif kind in spec.literal_types:
                parts.append(self._literal_head(current))
            else:
                parts.append("?")
            break
        if len(parts) > self.limits.max_chain:
            return ("?",)
        parts.reverse()
        return tuple(parts)

    def _name_like(self, node: Node) -> bool:
        spec = self.spec
        return (node.type in spec.identifier_types or node.type in spec.member_types
                or node.type in spec.generic_types)

    def type_chain(self, node: Node, depth: int = 0) -> Chain | None:
        """The type a type annotation names, as a chain: the first name-like node in ``node``
        (itself, or breadth first below it: ``*Cart`` → ``Cart``); a generic type by its base
        (``Map<K, V>`` → ``Map``), except that a sequence is its item type marked
        ``SEQUENCE_PART`` (``list[Repo]`` → ``("Repo", "[*]")``), a mapping its value type marked
        ``MAPPING_PART``, an optional its argument."""
        spec = self.spec
        current = node
        while current.type not in spec.generic_types and current.named_child_count == 1 and not (
                current.type in spec.identifier_types or current.type in spec.member_types):
            current = current.named_children[0]  # a wrapper: Python's ``type`` node
        generic, base = current, None
        while generic.type in spec.member_types:  # C++ ``std::vector<Item>`` is ``std::(vector<Item>)``
            member = _child(generic, spec.member_types[generic.type][1], last=True)
            if member is None:
                break
            generic = member
        if generic is not current and generic.type in spec.generic_types:
            base = self.chain(current)
            current = generic
        if current.type in spec.generic_types and current.named_child_count >= 2 and depth < 4:
            base = base or self.chain(current.named_children[0])
            arguments = current.named_children[1].named_children or current.named_children[1:]
            if base and base[-1] in spec.optional_types and arguments:
                return self.type_chain(arguments[0], depth + 1)
            if base and base[-1] in spec.sequence_types and arguments:
                item = self.type_chain(arguments[0], depth + 1)
                return (*item, SEQUENCE_PART) if item and item[-1] not in (SEQUENCE_PART, MAPPING_PART) else None
            if base and base[-1] in spec.mapping_types and len(arguments) >= 2:
                value = self.type_chain(arguments[-1], depth + 1)
                return (*value, MAPPING_PART) if value and value[-1] not in (SEQUENCE_PART, MAPPING_PART) else None
            return None if "?" in base else base
        queue = [current]
        for _ in range(64):
            if not queue:
                break
            current = queue.pop(0)
            if current.type in spec.identifier_types or current.type in spec.member_types:
                chain = self.chain(current)
                return None if "?" in chain else chain
            queue.extend(current.named_children)
        return None

    def _literal_head(self, node: Node) -> str:
        """The chain head standing for a literal's value, its builtin type in angle brackets:
        ``", ".join`` → ``("<str>", "join")``, ``b"".join`` → ``("<bytes>", "join")``."""
        type_name = self.spec.literal_types[node.type]
        if type_name == "str":
            prefix = _LITERAL_PREFIX.match(node.text or b"")
            if prefix is not None and b"b" in prefix.group().lower():
                type_name = "bytes"
        return f"<{type_name}>"

    def _value(self, node: Node) -> tuple[Chain | None, bool]:
        spec = self.spec
        while node.type in spec.assignment_types:  # ``a = b = value``
            inner = node.child_by_field_name(spec.assignment_types[node.type])
            if inner is None:
                return None, False
            node = inner
        while node.type in spec.transparent_types:
            inner = _child(node, spec.transparent_types[node.type], last=False)
            if inner is None:
                return None, False
            node = inner
        if node.type in spec.call_types:
            callee = _child(node, spec.call_types[node.type], last=False)
            return (self.chain(callee) if callee is not None else None), True
        if node.type in spec.call_member_types:
            return self.chain(node), True
        if node.type in spec.identifier_types or node.type in spec.member_types or node.type in spec.self_names:
            return self.chain(node), False
        if node.type in spec.literal_types:
            return (self._literal_head(node),), False
        return None, False

    # -- the file ----------------------------------------------------------------------
    def extract(self, path: str, source: bytes) -> FileFacts:
        """The facts of one file. Raises :class:`indexer.tsshim.ParseBudgetExceeded` when it cannot even be
        parsed within budget; parts over other budgets are left out and ``limited`` says so.
        A manifest of the language (``go.mod``) is read by its reader, not parsed."""
        read_manifest = manifest_reader(self.spec, path)
        if read_manifest is not None:
            return FileFacts(path=path, language=self.spec.name, manifest=read_manifest(source),
                             line_count=_line_count(source))
        limits = self.limits
        tree = self.compiled.parse(source, limits.parse_seconds)
        root = tree.root_node
        facts = FileFacts(path=path, language=self.spec.name)
        facts.line_count = _line_count(source)
        errors = count_errors(root)
        facts.error_count, facts.first_error_line = errors.count, errors.first_line
        if errors.widest > limits.max_error_tokens:
            facts.limited = (f"not indexed: a syntax error at line {errors.widest_line} spans {errors.widest} tokens "
                             f"(over {limits.max_error_tokens}); this is not code tree-sitter can read in bounded time")
            return facts
        notes: list[str] = []
        if deeper_than(root, limits.max_depth):
            notes.append(f"code nested deeper than {limits.max_depth} syntax levels was not indexed")

        defs: list[_Def] = []
        docs: dict[tuple[int, int], Node] = {}
        decorators: dict[tuple[int, int], list[str]] = {}
        receivers: dict[tuple[int, int], Chain] = {}
        imports: list[tuple[int, ImportFact]] = []
        uses: list[tuple[Node, str]] = []
        binds: list[tuple[Node, Node | None, str | None]] = []
        globals_: list[Node] = []
        params: list[tuple[Node, Node | None]] = []
        shadow_params: list[Node] = []
        def_names: set[int] = set()
        returns: list[Node] = []
        typed: list[tuple[Node, Node]] = []
        fields: list[tuple[Node, Node]] = []
        bare: list[Node] = []
        iterated: list[tuple[Node, Node]] = []

        found, dropped = self.compiled.matches(root, limits.max_depth, limits.match_limit)
        if dropped:
            notes.append(f"more than {limits.match_limit} syntax patterns were open at once (a long run of "
                         "siblings such as stacked decorators); some were not indexed")
        if len(found) > limits.max_matches:
            first_left_out = next(iter(found[limits.max_matches][1].values()))[0]
            notes.append(f"only the first {limits.max_matches} syntax patterns were indexed; the file from line "
                         f"{first_left_out.start_point[0] + 1} on was not")
            found = found[:limits.max_matches]
        for pattern, caps in found:
            if "definition.class" in caps or "definition.function" in caps or "definition.extension" in caps:
                kind = next(k for k in ("class", "function", "extension") if f"definition.{k}" in caps)
                node = caps[f"definition.{kind}"][0]
                name = caps.get("name")
                if not name:
                    continue
                d = _Def(node, _text(name[0]), kind, caps.get("body", [None])[0], caps.get("bases", []))
                if kind == "extension":
                    d.owner = self.type_chain(name[0]) or ()
                    if not d.owner:
                        continue
                    d.name = d.owner[-1]
                elif "owner" in caps:
                    d.owner = self.type_chain(caps["owner"][0]) or ()
                if "returns" in caps:
                    declared = self.type_chain(caps["returns"][0])
                    d.returns = (*declared, TYPE_PART) if declared else None
                defs.append(d)
                def_names.add(name[0].start_byte)
            elif "package" in caps:
                if facts.package is None:
                    facts.package = _SPACE.sub("", _text(caps["package"][0]))
            elif "return.value" in caps:
                returns.append(caps["return.value"][0])
            elif "doc" in caps:
                owner = caps["doc.owner"][0]
                # a run of line comments (``(comment)+ @doc``): the first with content (C#'s
                # ``/// <summary>`` line has none once its markup goes)
                docs[(owner.start_byte, owner.end_byte)] = next(
                    (n for n in caps["doc"] if _first_doc_line(n)), caps["doc"][0])
            elif "receiver" in caps:
                target = caps["receiver.of"][0]
                receivers[(target.start_byte, target.end_byte)] = self.type_chain(caps["receiver"][0]) or ()
            elif "decorator.name" in caps:
                target = caps["decorator.target"][0]
                decorators.setdefault((target.start_byte, target.end_byte), []).append(
                    ".".join(self.chain(caps["decorator.name"][0])))
            elif "decorator.target" in caps and (keyword := self.compiled.settings[pattern].get("decorator")):
                # a keyword that qualifies the definition (C ``static``), named by the pattern
                target = caps["decorator.target"][0]
                decorators.setdefault((target.start_byte, target.end_byte), []).append(keyword)
            elif "import.module" in caps:
                module = caps["import.module"][0]
                member = caps.get("import.name")
                alias = caps.get("import.alias")
                # a module spelled by several nodes (Rust's nested ``use a::{b::{C}}``) is
                # joined with the pattern's ``import.join``
                joiner = self.compiled.settings[pattern].get("import.join")
                fact = ImportFact(
                    MODULE_SCOPE, module.start_point[0] + 1,
                    joiner.join(_text(m) for m in caps["import.module"]) if joiner else _text(module),
                    "*" if "import.wildcard" in caps else (
                        _text(member[0]) if member else self.compiled.settings[pattern].get("import.name")),
                    _text(alias[0]) if alias else None)
                imports.append((module.start_byte, fact))
            elif "call" in caps:
                uses.append((caps["call"][0], UseKind.CALL.value))
            elif "call.bare" in caps:
                bare.append(caps["call.bare"][0])
            elif "reference" in caps:
                uses.append((caps["reference"][0], UseKind.REFERENCE.value))
            elif "bind.field" in caps and "bind.type" in caps:
                fields.append((caps["bind.field"][0], caps["bind.type"][0]))
            elif "bind.target" in caps and "bind.type" in caps:
                typed.append((caps["bind.target"][0], caps["bind.type"][0]))
            elif "bind.target" in caps and "bind.iter" in caps:
                iterated.append((caps["bind.target"][0], caps["bind.iter"][0]))
            elif "bind.target" in caps:
                binds.append((caps["bind.target"][0], caps.get("bind.value", [None])[0],
                              self.compiled.settings[pattern].get("bind.name")))
            elif "bind.global" in caps:
                globals_.append(caps["bind.global"][0])
            elif "param.name" in caps:
                params.append((caps["param.name"][0], caps.get("param.type", [None])[0]))
            elif "param.lambda" in caps:
                shadow_params.append(caps["param.lambda"][0])

        defs, folded = self._within_limits(defs)
        if folded:
            notes.append(f"{folded} definition(s) nested deeper than {limits.max_def_depth} levels or with a "
                         f"qualified name over {limits.max_qualname} characters are part of their enclosing one")
        facts.limited = "; ".join(notes) or None
        scope_of = self._build_defs(facts, defs, docs, decorators, receivers, source)
        self._inferred_returns(facts, returns, scope_of)
        module_doc = docs.get((root.start_byte, root.end_byte))
        facts.doc = _first_doc_line(module_doc) if module_doc is not None else None

        facts.imports = [
            ImportFact(scope_of(pos), f.line, f.module, f.name, f.alias)
            for pos, f in sorted(imports, key=lambda item: item[0])
        ]
        # a definition binds its own name (``const f = () => ...``): no second, value-less binding
        binds = [b for b in binds if b[0].start_byte not in def_names]
        if bare:  # a bare name is a call unless a local variable or parameter has that name
            local = {(scope_of(n.start_byte), _text(n))
                     for n in [*(b[0] for b in binds), *(p[0] for p in params), *shadow_params]}
            uses += [(n, UseKind.CALL.value) for n in bare if (scope_of(n.start_byte), _text(n)) not in local]
        self._uses(facts, uses, defs, scope_of, self._rebinds(binds, scope_of))
        self._binds(facts, binds, globals_, shadow_params, scope_of)
        self._fields(facts, fields, scope_of)
        self._typed_binds(facts, typed, iterated, scope_of)
        self._params(facts, params, scope_of)
        return facts

    def _within_limits(self, defs: list[_Def]) -> tuple[list[_Def], int]:
        """``defs`` in source order (outer before inner) without those nested too deep or named
        too long (their code then belongs to the enclosing definition), and how many were left
        out."""
        limits = self.limits
        defs.sort(key=lambda d: (d.node.start_byte, -d.node.end_byte))
        kept: list[_Def] = []
        stack: list[tuple[int, int]] = []  # (end byte, qualified name length) of open, kept defs
        for d in defs:
            while stack and stack[-1][0] <= d.node.start_byte:
                stack.pop()
            length = (stack[-1][1] + 1 if stack else 0) + len(d.name)
            if len(stack) >= limits.max_def_depth or length > limits.max_qualname:
                continue
            kept.append(d)
            stack.append((d.node.end_byte, length))
        return kept, len(defs) - len(kept)

    def _build_defs(self, facts: FileFacts, defs: list[_Def], docs: dict[tuple[int, int], Node],
                    decorators: dict[tuple[int, int], list[str]], receivers: dict[tuple[int, int], Chain],
                    source: bytes):
        """Fill ``facts.defs`` from ``defs``, which come in source order (outer before inner, as
        :meth:`_within_limits` leaves them); return the scope lookup by byte position."""
        starts = [d.node.start_byte for d in defs]
        ends = [d.node.end_byte for d in defs]
        parents: list[int] = []
        stack: list[int] = []
        for i, d in enumerate(defs):
            while stack and ends[stack[-1]] <= d.node.start_byte:
                stack.pop()
            parents.append(stack[-1] if stack else MODULE_SCOPE)
            stack.append(i)

        def scope_of(pos: int) -> int:
            i = bisect.bisect_right(starts, pos) - 1
            while i >= 0 and ends[i] <= pos:
                i = parents[i]
            return i

        for i, d in enumerate(defs):
            parent = parents[i]
            parent_def = facts.defs[parent] if parent >= 0 else None
            prefix = parent_def.qualname if parent_def else ""
            if d.kind == "class":
                kind = DefKind.CLASS.value
            elif d.kind == "extension":
                kind = DefKind.EXTENSION.value
                prefix = ".".join(filter(None, (prefix, *d.owner[:-1])))
            elif d.owner or (parent_def is not None and parent_def.kind in (DefKind.CLASS, DefKind.EXTENSION)):
                kind = DefKind.METHOD.value
                prefix = ".".join(filter(None, (prefix, *d.owner)))
            else:
                kind = DefKind.FUNCTION.value
            qualname = f"{prefix}.{d.name}" if prefix else d.name
            end = d.body.start_byte if d.body is not None else d.node.end_byte
            if d.node.has_error:
                # a recovered body starts after the broken code: stop the signature before it
                end = min([end, *(c.start_byte for c in d.node.children if c.is_error)])
            signature = _header(d.node, end, source)
            key = (d.node.start_byte, d.node.end_byte)
            doc = docs.get(key)
            bases: tuple[Chain, ...] = ()
            for base_node in d.bases:
                named = (base_node,) if self._name_like(base_node) else base_node.named_children
                bases += tuple(self.chain(c) for c in named if self._name_like(c))
            facts.defs.append(DefFact(
                qualname=qualname, name=d.name, kind=kind,
                start_line=d.node.start_point[0] + 1, end_line=d.node.end_point[0] + 1,
                parent=parent, signature=signature,
                doc=_first_doc_line(doc) if doc is not None else None,
                bases=bases, decorators=tuple(decorators.get(key, ())), owner=d.owner, returns=d.returns,
                declaration=d.kind == "function" and d.body is None, receiver=receivers.get(key, ()),
            ))
        return scope_of

    def _inferred_returns(self, facts: FileFacts, returns: list[Node], scope_of) -> None:
        """A function without a declared return type whose every return calls one callee
        returns what that callee returns (``return Engine(...)``); one whose every return is
        ``self`` returns the instance (a fluent method)."""
        callees: dict[int, set[Chain] | None] = {}
        for node in returns:
            scope = scope_of(node.start_byte)
            if scope < 0 or facts.defs[scope].returns is not None:
                continue
            chain, called = self._value(node)
            itself = chain is not None and len(chain) == 1 and chain[0] in self.spec.self_names
            seen = callees.setdefault(scope, set())
            if not (called or itself) or chain is None or "?" in chain or seen is None:
                callees[scope] = None
            else:
                seen.add((*chain, CALL_PART) if called else chain)
        for scope, chains in callees.items():
            if chains is not None and len(chains) == 1:
                facts.defs[scope] = facts.defs[scope]._replace(returns=next(iter(chains)))

    def _rebinds(self, binds: list[tuple[Node, Node | None, str | None]],
                 scope_of) -> dict[tuple[int, str], list[int]]:
        """Where each local name is (re)bound: (scope, name) → sorted byte positions."""
        out: dict[tuple[int, str], list[int]] = {}
        for target, *_ in binds:
            if target.type in self.spec.identifier_types:
                out.setdefault((scope_of(target.start_byte), _text(target)), []).append(target.start_byte)
        for positions in out.values():
            positions.sort()
        return out

    def _arity(self, node: Node) -> int:
        """How many arguments the call whose callee (or whole call, Java's
        ``method_invocation``) ``node`` is passes; -1 when its argument list is not found."""
        spec = self.spec
        call: Node | None = node
        while call is not None and call.type not in spec.call_types and call.type not in spec.call_member_types:
            if call is not node and call.type not in spec.generic_types:
                return -1
            call = call.parent  # the callee's call, or a generic type's (``new Box<T>(x)``)
        if call is None:
            return -1
        for child in call.named_children:
            if child.type in _ARGUMENT_LISTS:
                return sum(1 for a in child.named_children if a.type not in _COMMENTS)
        return -1

    def _uses(self, facts: FileFacts, uses: list[tuple[Node, str]], defs: list[_Def],
              scope_of, rebinds: dict[tuple[int, str], list[int]]) -> None:
        """One use per (scope, expression, kind) at its first line, except that a use after
        its head name was bound again in that scope is kept too (``e = A(); e.run(); e = B();
        e.run()`` calls two methods)."""
        base_ranges = sorted((b.start_byte, b.end_byte) for d in defs for b in d.bases)
        base_starts = [r[0] for r in base_ranges]
        seen: dict[tuple[int, Chain, str, int, int], UseFact] = {}
        for node, kind in sorted(uses, key=lambda u: u[0].start_byte):
            pos = node.start_byte
            if kind == UseKind.REFERENCE and base_ranges:
                i = bisect.bisect_right(base_starts, pos) - 1
                if i >= 0 and base_ranges[i][1] > pos:
                    continue
            chain = self.chain(node)
            if chain[-1] == "?":
                continue
            scope = scope_of(pos)
            positions = rebinds.get((scope, chain[0]))
            arity = self._arity(node) if kind == UseKind.CALL and self.spec.overloads else -1
            key = (scope, chain, kind, bisect.bisect_left(positions, pos) if positions else 0, arity)
            if key not in seen:
                seen[key] = UseFact(scope, node.start_point[0] + 1, chain, kind, arity)
        facts.uses = list(seen.values())

    def _binds(self, facts: FileFacts, binds: list[tuple[Node, Node | None, str | None]], globals_: list[Node],
               shadow: list[Node], scope_of) -> None:
        declared_global = {(scope_of(n.start_byte), _text(n)) for n in globals_}
        out: list[BindFact] = []
        for target, value, name in sorted(binds, key=lambda b: b[0].start_byte):
            scope = scope_of(target.start_byte)
            chain = (name,) if name else self.chain(target)
            if "?" in chain or (len(chain) == 1 and (scope, chain[0]) in declared_global):
                continue
            val, called = self._value(value) if value is not None else (None, False)
            out.append(BindFact(scope, target.start_point[0] + 1, chain, val, called))
        for node in shadow:
            out.append(BindFact(scope_of(node.start_byte), node.start_point[0] + 1, (_text(node),)))
        facts.binds = out

    def _typed_binds(self, facts: FileFacts, typed: list[tuple[Node, Node]], iterated: list[tuple[Node, Node]],
                     scope_of) -> None:
        """Names declared with a type (``Engine e = ...``, a field ``private Engine engine;``):
        bound to an instance of it, as if to a call of the type; and loop variables, bound to
        an item of what they iterate (``for repo in repos``)."""
        for target, type_node in typed:
            chain = self.chain(target)
            value = self.type_chain(type_node)
            if "?" in chain or value is None:
                continue
            facts.binds.append(BindFact(scope_of(target.start_byte), target.start_point[0] + 1, chain,
                                        (*value, TYPE_PART)))
        for target, iterable in iterated:
            chain = self.chain(target)
            if "?" in chain:
                continue
            value, called = self._value(iterable)
            item = (*value, *((CALL_PART,) if called else ()), ITEM_PART) if value and "?" not in value else None
            facts.binds.append(BindFact(scope_of(target.start_byte), target.start_point[0] + 1, chain, item))
        facts.binds.sort(key=lambda b: b.line)

    def _fields(self, facts: FileFacts, fields: list[tuple[Node, Node]], scope_of) -> None:
        """Fields a constructor's parameters declare (PHP ``private Mailer $mailer``): typed names
        of the class the constructor is in (``_typed_binds`` sorts them in)."""
        for target, type_node in fields:
            scope = scope_of(target.start_byte)
            owner = facts.defs[scope].parent if scope >= 0 else MODULE_SCOPE
            value = self.type_chain(type_node)
            if owner < 0 or facts.defs[owner].kind != DefKind.CLASS or value is None:
                continue
            facts.binds.append(BindFact(owner, target.start_point[0] + 1, (_text(target),), (*value, TYPE_PART)))

    def _params(self, facts: FileFacts, params: list[tuple[Node, Node | None]], scope_of) -> None:
        counters: dict[int, int] = {}
        for name, annotation in sorted(params, key=lambda p: p[0].start_byte):
            scope = scope_of(name.start_byte)
            index = counters.get(scope, 0)
            counters[scope] = index + 1
            ann = self.type_chain(annotation) if annotation is not None else None
            facts.params.append(ParamFact(scope, index, _text(name), ann))
