"""An issue text taken apart: its parts (title, prose, code, tracebacks, output) and the stack
frames of its tracebacks, in the formats of the languages repolens indexes.

Issues are written in Markdown or plain text. The title is the first non-empty line; fenced
blocks (three or more backticks or tildes) are code, unless their lines parse as stack frames
(a traceback) or the prose just before them introduces output (``Expected output:``,
``Actual result``, ``I get``); an unfenced traceback (``Traceback (most recent call last):``,
or a run of frame lines) is cut out of the prose around it. Everything else is prose.

Frames are read in each language's own format and reduced to what resolution needs: the file
path as written, the line, and the function as a dotted qualified name (``Cart.Total`` for Go's
``main.(*Cart).Total``, ``Engine.run`` for Rust's ``app::engine::Engine::run``). A path that
is not the project's own (``/usr/lib/python3.11/...``, ``node:internal/...``) resolves to
nothing later, so frames are kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum


class PartKind(StrEnum):
    TITLE = "title"
    PROSE = "prose"
    CODE = "code"
    TRACEBACK = "traceback"
    OUTPUT = "output"


@dataclass(frozen=True, slots=True)
class Part:
    kind: PartKind
    text: str


@dataclass(frozen=True, slots=True)
class Frame:
    path: str
    """The file as the frame writes it (may be absolute, relative or only a file name)."""
    line: int | None
    function: str
    """Dotted qualified name (``Class.method``, ``func``), or empty when the frame names none."""
    language: str
    """The traceback format it was read in: python, java, javascript, go, rust, csharp, ruby, php."""


@dataclass(frozen=True, slots=True)
class Issue:
    text: str
    parts: tuple[Part, ...]
    frames: tuple[Frame, ...]

    def of(self, *kinds: PartKind) -> list[str]:
        return [p.text for p in self.parts if p.kind in kinds]


# -- frames -------------------------------------------------------------------------------
_PY_FRAME = re.compile(r'File "(?P<path>[^"\n]+)", line (?P<line>\d+)(?:, in (?P<func>[\w<>.]+))?')
_PYTEST_FRAME = re.compile(r"^(?P<path>[\w./\\-]+\.py):(?P<line>\d+): in (?P<func>[\w<>.]+)\s*$", re.M)
# at com.acme.shop.Cart$Line.total(Cart.java:42) / at app.Main.main(Main.kt:7) / Native Method
_JAVA_FRAME = re.compile(
    r"^\s*at (?:[\w.$/@-]+/)?(?P<qual>[\w$.<>]+)\.(?P<method>[\w$<>-]+)\((?:(?P<file>[\w$-]+\.(?:java|kt|scala|groovy))"
    r"(?::(?P<line>\d+))?|Unknown Source|Native Method)\)", re.M)
# C#: at Shop.Cart.Total(Int32 n) in /src/Shop/Cart.cs:line 42
_CSHARP_FRAME = re.compile(
    r"^\s*at (?P<qual>[\w.`<>+]+)\.(?P<method>[\w`<>]+)\((?!Unknown Source\)|Native Method\))"
    r"(?P<args>(?:[\w.`<>\[\],&*]+ \w+(?:, [\w.`<>\[\],&*]+ \w+)*)?)\)"
    r"(?: in (?P<path>[^\n]+?\.cs):line (?P<line>\d+))?\s*$",
    re.M)
# V8: at Cart.total (/app/src/cart.js:10:5) / at async run (file:///app/x.mjs:3:1) / at /app/x.js:1:2
_JS_FRAME = re.compile(
    r"^\s*at (?:(?:async|new) )?(?:(?P<func>[^\s()]+(?: \[as \w+\])?) \()?(?P<path>(?:file://)?[^\s()]+?\."
    r"(?:js|jsx|mjs|cjs|ts|tsx|mts|cts|vue)):(?P<line>\d+)(?::\d+)?\)?\s*$", re.M)
# Firefox/Safari: total@http://host/src/cart.js:10:5
_JS_AT_FRAME = re.compile(
    r"^(?P<func>[\w$.<>/]*)@(?P<path>[^\s@]+?\.(?:js|jsx|mjs|cjs|ts|tsx)):(?P<line>\d+)(?::\d+)?\s*$", re.M)
# Go: a function line, then its file on the next line, indented by a tab
_GO_FRAME = re.compile(
    r"^(?P<func>[\w./-]*?[\w-]+\.(?:\(\*?\w+(?:\[[^\]]*\])?\)\.)?\w+(?:\.func\d+(?:\.\d+)*)?)\((?:[^()\n]*)\)\n"
    r"\s+(?P<path>[^\s:]+\.go):(?P<line>\d+)", re.M)
# Rust backtrace: "  3: app::engine::Engine::run\n             at ./src/engine.rs:10:5"
_RUST_FRAME = re.compile(
    r"^\s*\d+: (?P<func>\S[^\n]*?)(?:::h[0-9a-f]{16})?\s*\n\s+at (?P<path>[^\n]+?\.rs):(?P<line>\d+)", re.M)
# Rust panic: thread 'main' panicked at src/engine.rs:10:5  /  panicked at 'msg', src/engine.rs:10:5
_RUST_PANIC = re.compile(r"panicked at (?:'[^'\n]*', |\"[^\"\n]*\", )?(?P<path>[^\s:'\"]+\.rs):(?P<line>\d+)")
# Ruby: app/models/cart.rb:42:in `total' / in 'Cart#total'
_RUBY_FRAME = re.compile(r"(?P<path>[\w./-]+\.rb):(?P<line>\d+):in [`'](?:block (?:\(\d+ levels\) )?in )?"
                         r"(?P<func>[^'`\n]+)'")
# PHP: #0 /app/src/Cart.php(42): App\Cart->total() / PHP Fatal error: ... in /app/src/Cart.php on line 42
_PHP_FRAME = re.compile(r"^#\d+ (?P<path>[^\s(]+\.php)\((?P<line>\d+)\): (?P<func>[\w\\]+(?:->|::)\w+|\w+)\(", re.M)
_PHP_ERROR = re.compile(r" in (?P<path>[^\s]+\.php)(?: on line |:)(?P<line>\d+)")


def parse_frames(text: str) -> list[Frame]:
    """The stack frames in ``text``, in the order they are written, of every format found."""
    found: list[tuple[int, Frame]] = []
    for m in _PY_FRAME.finditer(text):
        func = m.group("func") or ""
        found.append((m.start(), Frame(m.group("path"), int(m.group("line")), "" if func == "<module>" else func,
                                       "python")))
    for m in _PYTEST_FRAME.finditer(text):
        found.append((m.start(), Frame(m.group("path"), int(m.group("line")), m.group("func"), "python")))
    for m in _JAVA_FRAME.finditer(text):
        found.append((m.start(), _java_frame(m)))
    for m in _CSHARP_FRAME.finditer(text):
        qual = m.group("qual").split(".")
        # Namespace.Class.Method: keep the type and the method (nested types are Outer+Inner)
        owner = qual[-1].replace("+", ".").split("`")[0]
        path = m.group("path") or ""
        found.append((m.start(), Frame(path, int(m.group("line")) if m.group("line") else None,
                                       f"{owner}.{m.group('method')}", "csharp")))
    for m in _JS_FRAME.finditer(text):
        found.append((m.start(), Frame(_strip_url(m.group("path")), int(m.group("line")),
                                       _js_function(m.group("func") or ""), "javascript")))
    for m in _JS_AT_FRAME.finditer(text):
        found.append((m.start(), Frame(_strip_url(m.group("path")), int(m.group("line")),
                                       _js_function(m.group("func")), "javascript")))
    for m in _GO_FRAME.finditer(text):
        found.append((m.start(), Frame(m.group("path"), int(m.group("line")), _go_function(m.group("func")), "go")))
    rust_at = set()
    for m in _RUST_FRAME.finditer(text):
        rust_at.add(m.group("path"))
        found.append((m.start(), Frame(m.group("path"), int(m.group("line")), _rust_function(m.group("func")),
                                       "rust")))
    for m in _RUST_PANIC.finditer(text):
        found.append((m.start(), Frame(m.group("path"), int(m.group("line")), "", "rust")))
    for m in _RUBY_FRAME.finditer(text):
        found.append((m.start(), Frame(m.group("path"), int(m.group("line")), _ruby_function(m.group("func")),
                                       "ruby")))
    for m in _PHP_FRAME.finditer(text):
        func = re.split(r"->|::", m.group("func"))
        name = ".".join([func[0].split("\\")[-1], func[1]]) if len(func) == 2 else func[0]
        found.append((m.start(), Frame(m.group("path"), int(m.group("line")), name, "php")))
    for m in _PHP_ERROR.finditer(text):
        found.append((m.start(), Frame(m.group("path"), int(m.group("line")), "", "php")))
    found.sort(key=lambda pair: pair[0])
    return list(dict.fromkeys(frame for _, frame in found))


def _java_frame(m: re.Match[str]) -> Frame:
    """``com.acme.shop.Cart$Line.total(Cart.java:42)``: the file is the package's folder plus the
    file name; the function is the class chain (``Cart.Line``) and the method."""
    parts = m.group("qual").split(".")
    classes = [i for i, p in enumerate(parts) if p[:1].isupper() or "$" in p]
    first = classes[0] if classes else len(parts) - 1
    package = parts[:first]
    owner = ".".join(parts[first:]).replace("$", ".")
    owner = ".".join(p for p in owner.split(".") if p and not p.isdigit())  # anonymous classes: Cart$1
    method = m.group("method")
    file = m.group("file") or ""
    if file.endswith(".kt") and owner == file[:-3] + "Kt":
        owner = ""  # top-level Kotlin functions live in a class named after their file
    function = owner if method in ("<init>", "<clinit>") else f"{owner}.{method}"
    path = "/".join([*package, file]) if file else ""
    return Frame(path, int(m.group("line")) if m.group("line") else None, function.strip("."),
                 "kotlin" if file.endswith(".kt") else "java")


def _strip_url(path: str) -> str:
    path = re.sub(r"^(?:file|webpack|https?)://[^/]*", "", path)
    return path.split("?")[0]


def _js_function(func: str) -> str:
    """``Object.<anonymous>`` -> ``""``, ``Cart.total [as t]`` -> ``Cart.total``,
    ``new Cart`` -> ``Cart``, ``Module._compile`` kept."""
    func = func.split(" [as ")[0].strip()
    parts = [p for p in func.split(".") if p and p not in ("<anonymous>", "Object", "<computed>")]
    return ".".join(parts)


def _go_function(func: str) -> str:
    """``github.com/acme/shop/cart.(*Cart).Total`` -> ``Cart.Total``; ``main.run.func1`` -> ``run``."""
    tail = func.rsplit("/", 1)[-1]
    _, _, rest = tail.partition(".")  # drop the package
    rest = re.sub(r"\.func\d+(?:\.\d+)*$", "", rest)
    rest = re.sub(r"\[[^\]]*\]", "", rest)
    return rest.replace("(*", "").replace("(", "").replace(")", "")


def _rust_function(func: str) -> str:
    """``app::engine::Engine::run`` -> ``engine.Engine.run``; ``<app::Cart as app::Total>::total``
    -> ``Cart.total``; closures (``{{closure}}``) dropped."""
    func = re.sub(r"::h[0-9a-f]{16}$", "", func.strip())
    trait_impl = re.match(r"<(?P<type>[^<>]+?)(?: as [^<>]+)?>::(?P<rest>.+)", func)
    if trait_impl:
        func = f"{trait_impl.group('type').split('::')[-1]}::{trait_impl.group('rest')}"
    parts = [p for p in func.split("::") if p and not p.startswith("{{") and not p.startswith("<")]
    parts = [re.sub(r"<.*$", "", p) for p in parts]
    return ".".join(parts[-3:]) if len(parts) > 1 else "".join(parts)


def _ruby_function(func: str) -> str:
    """``Cart#total`` -> ``Cart.total``; ``block in total`` was cut by the pattern; ``<main>`` -> ``""``."""
    func = func.strip()
    if func.startswith("<"):
        return ""
    return func.replace("#", ".").replace("::", ".")


# -- parts --------------------------------------------------------------------------------
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)
_OUTPUT_CUE = re.compile(r"\b(?:output|result|results|expected|actual|got|get|gives|returns|prints|shows|error|"
                         r"raises|traceback|warning|instead|produces|displays)\b[^\n]*:?\s*$", re.I)
_TRACE_START = re.compile(r"^(?:Traceback \(most recent call last\):|goroutine \d+ \[|thread '[^']*' panicked|"
                          r"Exception in thread |\w+(?:\.\w+)*(?:Exception|Error): )", re.M)
MAX_PARTS = 12
"""At most this many parts (the largest kept): a pasted log of fifty blocks says no more."""


def parse_issue(text: str) -> Issue:
    """``text`` taken apart into parts and frames (see the module doc)."""
    frames = tuple(parse_frames(text))
    parts: list[Part] = []
    lines = text.strip().splitlines()
    title = lines[0].strip() if lines else ""
    if title and not title.startswith(("```", "~~~")):
        parts.append(Part(PartKind.TITLE, title))
        rest = text.strip()[len(lines[0]):]
    else:
        rest = text
    cursor = 0
    for m in _FENCE.finditer(rest):
        before = rest[cursor:m.start()]
        parts.extend(_prose_parts(before))
        body = m.group("body").strip("\n")
        if body.strip():
            parts.append(Part(_block_kind(body, before), body))
        cursor = m.end()
    parts.extend(_prose_parts(rest[cursor:]))
    parts = list(dict.fromkeys(parts))  # a text pasted twice says it once
    if len(parts) > MAX_PARTS:
        keep = sorted(sorted(range(len(parts)), key=lambda i: (parts[i].kind != PartKind.TITLE,
                                                               -len(parts[i].text)))[:MAX_PARTS])
        parts = [parts[i] for i in keep]
    return Issue(text, tuple(parts), frames)


def _block_kind(body: str, before: str) -> PartKind:
    if parse_frames(body) or _TRACE_START.search(body):
        return PartKind.TRACEBACK
    cue = before.rstrip().rsplit("\n", 1)[-1]
    prompt = body.lstrip().startswith(("Out[", ">>> ")) and "\n" in body and not _looks_like_code(body)
    if _OUTPUT_CUE.search(cue) or prompt:
        return PartKind.OUTPUT
    return PartKind.CODE


def _looks_like_code(body: str) -> bool:
    return bool(re.search(r"^\s*(?:def |class |import |from \w+ import |function |const |let |var |fn |func )", body,
                          re.M))


def _prose_parts(chunk: str) -> Iterator[Part]:
    """Prose with any unfenced traceback cut out as its own part."""
    lines = chunk.splitlines()
    prose: list[str] = []
    i = 0
    while i < len(lines):
        if _TRACE_START.match(lines[i]) and _traceback_follows(lines, i):
            end = _traceback_end(lines, i)
            yield from _prose(prose)
            prose = []
            yield Part(PartKind.TRACEBACK, "\n".join(lines[i:end]).strip())
            i = end
        else:
            prose.append(lines[i])
            i += 1
    yield from _prose(prose)


def _traceback_follows(lines: list[str], i: int) -> bool:
    window = "\n".join(lines[i:i + 6])
    return bool(parse_frames(window)) or lines[i].startswith("Traceback")


def _traceback_end(lines: list[str], start: int) -> int:
    """The line after an unfenced traceback: the first blank line after its last frame or
    exception line, or the first unindented prose line after the exception line."""
    end = start + 1
    seen_exception = False
    while end < len(lines):
        line = lines[end]
        if not line.strip():
            if seen_exception:
                break
        elif not line[0].isspace() and not parse_frames(line + "\n" + (lines[end + 1] if end + 1 < len(lines) else "")):
            if seen_exception:
                break
            seen_exception = True  # the exception line (``ValueError: ...``) closes a Python traceback
        end += 1
    return end


def _prose(lines: list[str]) -> Iterator[Part]:
    text = "\n".join(lines).strip()
    if text:
        yield Part(PartKind.PROSE, text)
