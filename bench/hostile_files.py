"""Part 2 of the adversarial bench (``hostile.py`` says what is measured and how to read it):
pathological file shapes per syntax and ordinary files per language, the plan of which to write
at a scale, one ``repolens index`` run over them with its memory sampled, and the part's report
and text."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hostile_common import MB, ROOT, RssSampler, scaled, take

from indexer.languages import languages_by_extension
from indexer.walk import DEFAULT_MAX_FILE_BYTES

INDEX_WALL_SECONDS = 900.0


@dataclass(frozen=True, slots=True)
class Shape:
    name: str
    syntax: str
    """python, es (JavaScript and TypeScript), ts (TypeScript only), jsx, or any."""
    sizes: tuple[int, ...]
    make: Callable[[int], bytes]
    first_rank: int = 0
    """The size tier of the first size (0 small, 1 medium, 2 large); the others follow."""


SYNTAXES = {"python": ("python", "any"), "javascript": ("es", "jsx", "any"),
            "typescript": ("es", "ts", "any"), "tsx": ("es", "ts", "jsx", "any")}
"""Which shapes each language gets; a language missing here gets the ``es`` family and ``any``."""

DEPTH = (1_000, 10_000, 100_000)
INDENTED = (100, 1_000, 1_300)
"""Depths of indentation-nested Python: the file grows with the square of the depth."""
COUNTS = (1_000, 10_000, 45_000)
LIMIT = DEFAULT_MAX_FILE_BYTES


def depths(top: int) -> tuple[int, int, int]:
    """1k, 10k and ``top``: the largest depth whose file stays under the size limit."""
    return (1_000, 10_000, top)


def _s(make: Callable[[int], str]) -> Callable[[int], bytes]:
    return lambda n: make(n).encode("utf-8")


def _random(n: int, low: int = 0, high: int = 255) -> bytes:
    rng = random.Random(n * 31 + low)
    return bytes(rng.randint(low, high) for _ in range(n))


def _indented(n: int, line: Callable[[int], str], body: str) -> str:
    return "".join(" " * i + line(i) + "\n" for i in range(n)) + " " * n + body + "\n"


def _lines(n: int) -> bytes:
    """Exactly ``n`` bytes of valid code in every indexed language."""
    return b"x = 1\n" * (n // 6) + b"\n" * (n % 6)


def _deep_expressions(syntax: str, end: str, names: tuple[str, str], *, call: str, entry: str, minus: str,
                      negation: str) -> tuple[Shape, ...]:
    """Ten expressions nested ``n`` deep that Python and JavaScript spell alike but for a few tokens:
    ``end`` closes the statement, ``names`` are those of lists and dicts, ``call`` comes before the
    calls, ``entry`` opens each dict, and ``minus`` and ``negation`` are the unary operators
    (JavaScript reads ``--`` as a decrement, hence ``"- "``)."""
    lists, dicts = names
    return (
        Shape("calls", syntax, DEPTH, _s(lambda n: call + "f(" * n + ")" * n + end)),
        Shape(lists, syntax, DEPTH, _s(lambda n: "x = " + "[" * n + "]" * n + end)),
        Shape(dicts, syntax, DEPTH, _s(lambda n: "x = " + entry * n + "1" + "}" * n + end)),
        Shape("parens", syntax, DEPTH, _s(lambda n: "x = " + "(" * n + "1" + ")" * n + end)),
        Shape("binary", syntax, DEPTH, _s(lambda n: "x = 1" + " + 1" * n + end)),
        Shape("unary", syntax, DEPTH, _s(lambda n: "x = " + minus * n + "1" + end)),
        Shape("not_chain", syntax, DEPTH, _s(lambda n: "x = " + negation * n + "y" + end)),
        Shape("members", syntax, DEPTH, _s(lambda n: "x = a" + ".b" * n + end)),
        Shape("method_chain", syntax, DEPTH, _s(lambda n: "x = a" + ".b()" * n + end)),
        Shape("subscripts", syntax, DEPTH, _s(lambda n: "x = a" + "[0]" * n + end)),
    )


PY_SHAPES = (
    *_deep_expressions("python", "\n", ("lists", "dicts"), call="x = ", entry="{1: ", minus="-", negation="not "),
    Shape("lambdas", "python", DEPTH, _s(lambda n: "f = " + "lambda: " * n + "0\n")),
    Shape("fstrings", "python", DEPTH, _s(lambda n: "x = " + 'f"{' * n + "1" + '}"' * n + "\n")),
    Shape("comprehensions", "python", depths(70_000), _s(lambda n: "x = " + "[x for x in " * n + "y" + "]" * n + "\n")),
    Shape("nested_defs", "python", INDENTED, _s(lambda n: _indented(n, lambda i: f"def f{i}():", "pass"))),
    Shape("nested_classes", "python", INDENTED, _s(lambda n: _indented(n, lambda i: f"class C{i}:", "pass"))),
    Shape("nested_ifs", "python", INDENTED, _s(lambda n: _indented(n, lambda i: "if x:", "pass"))),
    Shape("decorators", "python", DEPTH, _s(lambda n: "@d\n" * n + "def f():\n    pass\n")),
    Shape("long_line", "python", (10_000, 100_000, 900_000), _s(lambda n: "x = '" + "a" * n + "'\n")),
    Shape("long_statement_line", "python", DEPTH, _s(lambda n: "a = 1; " * n + "\n")),
    Shape("long_identifier", "python", (1_000, 100_000, 400_000),
          _s(lambda n: f"def {'a' * n}():\n    return {'a' * n}()\n")),
    Shape("tiny_defs", "python", COUNTS, _s(lambda n: "".join(f"def f{i}(): pass\n" for i in range(n)))),
    Shape("tiny_classes", "python", COUNTS, _s(lambda n: "".join(f"class C{i}: pass\n" for i in range(n)))),
    Shape("many_imports", "python", (1_000, 10_000, 60_000), _s(lambda n: "".join(f"import m{i}\n" for i in range(n)))),
    Shape("long_import", "python", DEPTH, _s(lambda n: "import " + ".".join(["a"] * n) + "\n")),
    Shape("unterminated_string", "python", DEPTH, _s(lambda n: "x = '" + "a" * n + "\ndef f():\n    pass\n")),
    Shape("unterminated_triple_quote", "python", DEPTH, _s(lambda n: 'x = """' + "def f(): pass\n" * (n // 10))),
    Shape("comments_only", "python", DEPTH, _s(lambda n: "# comment\n" * n)),
    Shape("bad_coding_cookie", "python", (1,), lambda n: b"# -*- coding: utf-16 -*-\nx = '\xe9'\n"),
    Shape("unknown_coding_cookie", "python", (1,), lambda n: b"# coding: no-such-codec\nx = '\xff'\n"),
)

ES_SHAPES = (
    *_deep_expressions("es", ";\n", ("arrays", "objects"), call="", entry="{a: ", minus="- ", negation="!"),
    Shape("arrows", "es", DEPTH, _s(lambda n: "f = " + "() => " * n + "0;\n")),
    Shape("template_literals", "es", DEPTH, _s(lambda n: "x = " + "`${" * n + "1" + "}`" * n + ";\n")),
    Shape("nested_functions", "es", depths(60_000), _s(lambda n: "function f() {" * n + "}" * n + "\n")),
    Shape("nested_classes", "es", depths(45_000),
          _s(lambda n: "x = " + "class { static y = " * n + "0" + " }" * n + ";\n")),
    Shape("nested_ifs", "es", DEPTH, _s(lambda n: "if (a) {" * n + "}" * n + "\n")),
    Shape("blocks", "es", DEPTH, _s(lambda n: "{" * n + "}" * n + "\n")),
    Shape("ternaries", "es", DEPTH, _s(lambda n: "x = " + "a ? b : " * n + "c;\n")),
    Shape("decorators", "es", DEPTH, _s(lambda n: "@d\n" * n + "class C {}\n")),
    Shape("long_line", "es", (10_000, 100_000, 900_000), _s(lambda n: "x = '" + "a" * n + "';\n")),
    Shape("long_statement_line", "es", DEPTH, _s(lambda n: "a = 1; " * n + "\n")),
    Shape("long_identifier", "es", (1_000, 100_000, 400_000),
          _s(lambda n: f"function {'a' * n}() {{ return {'a' * n}(); }}\n")),
    Shape("tiny_defs", "es", COUNTS, _s(lambda n: "".join(f"function f{i}() {{}}\n" for i in range(n)))),
    Shape("tiny_classes", "es", COUNTS, _s(lambda n: "".join(f"class C{i} {{}}\n" for i in range(n)))),
    Shape("many_imports", "es", (1_000, 10_000, 30_000),
          _s(lambda n: "".join(f"import m{i} from './m{i}';\n" for i in range(n)))),
    Shape("long_import", "es", DEPTH, _s(lambda n: "import x from './" + "a/" * n + "b';\n")),
    Shape("unterminated_string", "es", DEPTH, _s(lambda n: "x = '" + "a" * n + "\nfunction f() {}\n")),
    Shape("unterminated_comment", "es", DEPTH, _s(lambda n: "/*" + "function f() {}\n" * (n // 10))),
    Shape("unterminated_template", "es", DEPTH, _s(lambda n: "x = `" + "${a}" * n + "\n")),
    Shape("unterminated_regex", "es", DEPTH, _s(lambda n: "x = /" + "(" * n + "\n")),
    Shape("comments_only", "es", depths(85_000), _s(lambda n: "// comment\n" * n)),
    Shape("nested_generics", "ts", DEPTH, _s(lambda n: "type T = " + "A<" * n + "B" + ">" * n + ";\n")),
    Shape("nested_object_types", "ts", DEPTH, _s(lambda n: "type O = " + "{ a: " * n + "string" + " }" * n + ";\n")),
    Shape("long_union", "ts", (1_000, 10_000, 60_000),
          _s(lambda n: "type U = " + " | ".join(f"'a{i}'" for i in range(n)) + ";\n")),
    Shape("nested_namespaces", "ts", depths(65_000), _s(lambda n: "namespace A {" * n + "}" * n + "\n")),
    Shape("type_assertions", "ts", DEPTH, _s(lambda n: "x = " + "<T>" * n + "y;\n")),
    Shape("nested_elements", "jsx", DEPTH, _s(lambda n: "x = " + "<a>" * n + "</a>" * n + ";\n")),
    Shape("unclosed_elements", "jsx", DEPTH, _s(lambda n: "x = " + "<a>" * n + ";\n")),
    Shape("many_attributes", "jsx", DEPTH, _s(lambda n: "x = <a " + 'x="1" ' * n + "/>;\n")),
)

ANY_SHAPES = (
    Shape("random_text", "any", DEPTH, lambda n: _random(n, 32, 126)),
    Shape("random_bytes", "any", DEPTH, lambda n: _random(n)),
    Shape("random_bytes_without_nul", "any", DEPTH, lambda n: _random(n, 1, 255)),
    Shape("nul_bytes", "any", DEPTH, lambda n: b"\0" * n),
    Shape("nul_after_sniff_window", "any", (2_000, 20_000, 100_000), lambda n: b"x = 1\n" * n + b"\0x = 2\n"),
    Shape("invalid_utf8", "any", depths(55_000), lambda n: b"x = '\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1';\n" * n),
    Shape("utf8_surrogates", "any", depths(65_000), lambda n: b"x = '\xed\xa0\x80\xed\xbf\xbf';\n" * n),
    Shape("empty", "any", (0,), lambda n: b""),
    Shape("bom_only", "any", (3,), lambda n: b"\xef\xbb\xbf"),
    Shape("whitespace_only", "any", DEPTH, lambda n: b" \t\n" * n),
    Shape("many_lines", "any", (1_000, 100_000, 160_000), lambda n: b"x = 1\n" * n),
    Shape("cr_only_lines", "any", DEPTH, lambda n: b"x = 1\r" * n),
    Shape("blank_lines", "any", (1_000, 100_000, 999_000), lambda n: b"\n" * n),
    Shape("unbalanced_open", "any", DEPTH, lambda n: b"(" * n),
    Shape("unbalanced_close", "any", DEPTH, lambda n: b")" * n),
    Shape("unbalanced_mixed", "any", DEPTH, lambda n: b"([{" * n + b")" * (n // 2)),
    Shape("at_size_limit", "any", (LIMIT,), _lines, first_rank=2),
    Shape("over_size_limit", "any", (LIMIT + 1, 2 * LIMIT), _lines, first_rank=2),
)


@dataclass(frozen=True, slots=True)
class Planned:
    path: str
    language: str
    shape: str
    size: int
    rank: int
    """The size tier (0 small, 1 medium, 2 and 3 large): smaller tiers are chosen first."""
    make: Callable[[int], bytes]

    @property
    def ordinary(self) -> bool:
        return self.shape == "ordinary"


def extensions_by_language() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ext, language in sorted(languages_by_extension().items()):
        if not ext.startswith("."):
            continue  # a manifest (``go.mod``): a name of its own, no extension to give shapes
        out.setdefault(language, []).append(ext)
    return out


def shapes_for(language: str) -> list[Shape]:
    syntaxes = SYNTAXES.get(language, ("es", "any"))
    return [s for s in (*PY_SHAPES, *ES_SHAPES, *ANY_SHAPES) if s.syntax in syntaxes]


def plan_pathological() -> list[Planned]:
    """Every pathological file, smallest sizes first, each language's extensions in turn."""
    planned = []
    for language, exts in extensions_by_language().items():
        for i, (rank, shape, size) in enumerate(
                (s.first_rank + r, s, n) for s in shapes_for(language) for r, n in enumerate(s.sizes)):
            ext = exts[i % len(exts)]
            planned.append(Planned(f"{language}/{shape.name}/{shape.name}_{size}{ext}", language, shape.name,
                                   size, rank, shape.make))
    return sorted(planned, key=lambda p: p.rank)


PY_ORDINARY = '''"""Ordinary module {i}."""
import os
from typing import Any


class Widget{i}:
    """A widget."""

    def __init__(self, size: int) -> None:
        self.size = size

    def grow(self, by: int = 1) -> int:
        """Grow the widget."""
        self.size += by
        return helper{i}(self.size)


def helper{i}(value: int) -> int:
    return value * 2 + len(os.sep)


def main{i}(args: list[Any]) -> None:
    print(Widget{i}(len(args)).grow())
'''
JS_ORDINARY = '''import {{ readFileSync }} from "fs";

export class Widget{i} {{
  constructor(size) {{ this.size = size; }}
  grow(by = 1) {{ this.size += by; return helper{i}(this.size); }}
}}

export function helper{i}(value) {{ return value * 2 + readFileSync.length; }}

export const main{i} = (args) => new Widget{i}(args.length).grow();
'''
TS_ORDINARY = '''import {{ readFileSync }} from "fs";

export interface Sized{i} {{ size: number; }}

export class Widget{i} implements Sized{i} {{
  constructor(public size: number) {{}}
  grow(by: number = 1): number {{ this.size += by; return helper{i}(this.size); }}
}}

export function helper{i}(value: number): number {{ return value * 2 + readFileSync.length; }}

export type Pair{i} = [number, string];
'''
JSX_ORDINARY = '''
export function Badge{i}({{ label }}) {{
  return <span className="badge">{{label}}</span>;
}}
'''


OTHER_ORDINARY = {
    "java": """package app.m{i};

import java.util.List;

/** A widget. */
public class Widget{i} {{
    private int size;

    public Widget{i}(int size) {{ this.size = size; }}

    public int grow(List<Integer> by) {{ return helper(size + by.size()); }}

    static int helper(int value) {{ return value * 2; }}
}}
""",
    "kotlin": """package app.m{i}

import kotlin.math.max

/** A widget. */
class Widget{i}(var size: Int) {{
    fun grow(by: Int = 1): Int {{
        size = max(size, by)
        return helper{i}(size)
    }}
}}

fun helper{i}(value: Int): Int = value * 2
""",
    "go": """package m{i}

import "strings"

// Widget{i} is a widget.
type Widget{i} struct {{
\tsize int
}}

// Grow makes it bigger.
func (w *Widget{i}) Grow(by int) int {{
\tw.size += by
\treturn helper(w.size) + len(strings.TrimSpace(" "))
}}

func helper(value int) int {{ return value * 2 }}
""",
    "rust": """use std::fmt;

/// A widget.
pub struct Widget{i} {{
    size: u32,
}}

impl Widget{i} {{
    pub fn grow(&mut self, by: u32) -> u32 {{
        self.size += by;
        helper(self.size)
    }}
}}

impl fmt::Display for Widget{i} {{
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {{
        write!(f, "{{}}", self.size)
    }}
}}

fn helper(value: u32) -> u32 {{
    value * 2
}}
""",
    "c": """#include <string.h>

/* A widget. */
struct widget{i} {{
    int size;
}};

static int helper(int value) {{ return value * 2; }}

int widget{i}_grow(struct widget{i} *w, int by) {{
    w->size += by;
    return helper(w->size) + (int)strlen("");
}}
""",
    "cpp": """#include <string>

namespace app {{

/// A widget.
class Widget{i} {{
public:
    explicit Widget{i}(int size) : size_(size) {{}}
    int grow(int by);

private:
    int size_;
}};

int Widget{i}::grow(int by) {{
    size_ += by;
    return size_ * 2 + static_cast<int>(std::string().size());
}}

}}  // namespace app
""",
    "csharp": """using System.Collections.Generic;

namespace App.M{i}
{{
    /// <summary>A widget.</summary>
    public class Widget{i}
    {{
        private int size;

        public Widget{i}(int size) {{ this.size = size; }}

        public int Grow(List<int> by) {{ return Helper(size + by.Count); }}

        private static int Helper(int value) {{ return value * 2; }}
    }}
}}
""",
    "ruby": """require "json"

module App
  # A widget.
  class Widget{i}
    def initialize(size)
      @size = size
    end

    def grow(by = 1)
      @size += by
      helper(@size)
    end

    private

    def helper(value)
      value * 2
    end
  end
end
""",
    "php": """<?php

namespace App\\M{i};

use InvalidArgumentException;

/** A widget. */
class Widget{i}
{{
    private int $size;

    public function __construct(int $size)
    {{
        $this->size = $size;
    }}

    public function grow(int $by = 1): int
    {{
        if ($by < 0) {{
            throw new InvalidArgumentException("negative");
        }}
        $this->size += $by;
        return $this->helper($this->size);
    }}

    private function helper(int $value): int
    {{
        return $value * 2;
    }}
}}
""",
}
"""A small, valid file of each language beyond Python and the ECMAScript family."""


def ordinary_source(language: str, ext: str, i: int) -> bytes:
    if language == "python":
        text = PY_ORDINARY.format(i=i)
    elif language in OTHER_ORDINARY:
        text = OTHER_ORDINARY[language].format(i=i)
    else:
        text = (TS_ORDINARY if language in ("typescript", "tsx") else JS_ORDINARY).format(i=i)
        if ext in (".jsx", ".tsx"):
            text += JSX_ORDINARY.format(i=i)
    return text.encode("utf-8")


def _constant(data: bytes) -> Callable[[int], bytes]:
    return lambda n: data


def plan_ordinary(per_language: int) -> list[Planned]:
    planned = []
    for language, exts in extensions_by_language().items():
        for i in range(per_language):
            ext = exts[i % len(exts)]
            source = ordinary_source(language, ext, i)
            planned.append(Planned(f"{language}/ordinary/module_{i}{ext}", language, "ordinary", len(source), 0,
                                   _constant(source)))
    return planned


def select_files(planned: list[Planned], count: int) -> list[Planned]:
    """``count`` files, the smallest sizes first, spread evenly over shapes and languages; past
    the whole plan, copies of it under ``copy<k>/``."""
    chosen: list[Planned] = []
    copy = 0
    while len(chosen) < count:
        prefix = f"copy{copy}/" if copy else ""
        for rank in sorted({p.rank for p in planned}):
            if len(chosen) >= count:
                break
            tier = [p for p in planned if p.rank == rank]
            for p in take(tier, count - len(chosen)):
                chosen.append(Planned(prefix + p.path, p.language, p.shape, p.size, p.rank, p.make))
        copy += 1
    return chosen


def write_files(root: Path, planned: Sequence[Planned]) -> None:
    for p in planned:
        path = root / p.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(p.make(p.size))


def repolens_command() -> list[str]:
    """The ``repolens`` next to this Python, else ``python -m server.cli``."""
    script = Path(sys.executable).parent / "repolens"
    return [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]


@dataclass(slots=True)
class IndexRun:
    seconds: float
    peak_rss_bytes: int
    """Of the whole process tree; the next two are its parts' own peaks."""
    peak_main_bytes: int
    peak_workers_bytes: int
    exit_code: int | None
    timed_out: bool
    report: dict[str, Any] | None
    stderr_tail: str


def run_index(repo: Path, wall_seconds: float) -> IndexRun:
    """``repolens index REPO --no-embed --json`` in a subprocess, its process tree's memory
    sampled every 100 ms; killed (its whole session) past ``wall_seconds``."""
    command = [*repolens_command(), "index", str(repo), "--no-embed", "--json"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT,
                                   start_new_session=True)
        timed_out = False
        with RssSampler(process.pid, 0.1) as rss:
            try:
                process.wait(wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    report = None
    if process.returncode == 0:
        try:
            report = json.loads(stdout)
        except ValueError:
            report = None
    return IndexRun(seconds, rss.peak_total, rss.peak_self, rss.peak_children,
                    None if timed_out else process.returncode, timed_out, report, stderr[-2000:])


def graph_files(repo: Path) -> dict[str, tuple[str, str | None]]:
    """Every File node of ``repo``'s index: path -> (status, error)."""
    from indexer.pipeline import GRAPH_FILE, index_dir
    from indexer.store.kuzu_store import KuzuStore

    store = KuzuStore(index_dir(repo) / GRAPH_FILE, read_only=True)
    try:
        rows = store.query("MATCH (f:File) RETURN f.id AS id, f.status AS status, f.error AS error").rows
    finally:
        store.close()
    return {str(r[0]): (str(r[1]), r[2]) for r in rows}


STATUS_LIST_CAP = 50
"""index-status lists at most this many skipped and partial files; ``problem_counts`` has all."""


def index_status(repo: Path, report: dict[str, Any]) -> dict[str, Any]:
    """Whether ``repolens index-status --json`` reports every skipped and partial file of the index
    report: listed (up to ``STATUS_LIST_CAP`` of each) and counted in ``problem_counts``."""
    done = subprocess.run([*repolens_command(), "index-status", "--repo", str(repo), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    try:
        status = json.loads(done.stdout)
    except ValueError:
        return {"ok": False, "note": f"index-status failed (exit {done.returncode}): {done.stderr[-500:]}"}
    if not all(k in status for k in ("skipped", "partial", "problem_counts")):
        return {"ok": True, "note": "index-status has no skipped/partial/problem_counts fields yet"}
    result: dict[str, Any] = {"ok": True, "problem_counts": status["problem_counts"], "missing": []}
    for kind in ("skipped", "partial"):
        expected = {item["path"] for item in report[kind]}
        listed = {item["path"] for item in status[kind]}
        result[f"listed_{kind}"] = len(listed)
        count = status["problem_counts"].get(kind)
        if count != len(expected):
            result["ok"] = False
            result["missing"].append(f"problem_counts[{kind}] is {count}, the index reported {len(expected)}")
        unlisted = sorted(expected - listed)
        if listed - expected or (unlisted and len(listed) < STATUS_LIST_CAP):
            result["ok"] = False
            result["missing"] += [f"{kind}: {p}" for p in sorted(listed ^ expected)[:20]]
        result[f"unlisted_{kind}"] = len(unlisted)
    return result


def files_part(scale: float, verbose: bool) -> dict[str, Any]:
    """Write the pathological and ordinary files, index them with the CLI, check the results."""
    pathological = plan_pathological()
    planned = select_files(pathological, scaled(len(pathological), scale)) + plan_ordinary(scaled(10, scale))
    with tempfile.TemporaryDirectory(prefix="repolens-hostile-files-") as tmp:
        repo = Path(tmp) / "repo"
        write_files(repo, planned)
        if verbose:
            print(f"wrote {len(planned)} files to {repo}; indexing", file=sys.stderr, flush=True)
        run = run_index(repo, INDEX_WALL_SECONDS)
        graph = graph_files(repo) if run.report is not None else {}
        status = index_status(repo, run.report) if run.report is not None else {"ok": False, "note": "no index"}
    return files_report(planned, run, graph, status)


def files_report(planned: list[Planned], run: IndexRun, graph: dict[str, tuple[str, str | None]],
                 status: dict[str, Any]) -> dict[str, Any]:
    report = run.report or {}
    reported = {item["path"]: "skipped" for item in report.get("skipped", [])}
    reported.update({item["path"]: "partial" for item in report.get("partial", [])})
    outcome = {p.path: graph[p.path][0] if p.path in graph else "missing" for p in planned}
    by_shape: dict[str, Counter[str]] = {}
    outcomes_by_shape: dict[str, Counter[str]] = {}
    for p in planned:
        by_shape.setdefault(p.shape, Counter())[p.language] += 1
        outcomes_by_shape.setdefault(p.shape, Counter())[outcome[p.path]] += 1
    missing = sorted(path for path, st in outcome.items() if st not in ("ok", "partial", "skipped"))
    disagree = sorted(path for path, st in outcome.items()
                      if (st in ("partial", "skipped") and reported.get(path) != st)
                      or (st == "ok" and path in reported))
    ordinary = [p for p in planned if p.ordinary]
    not_ok = [{"path": p.path, "status": outcome[p.path], "error": graph.get(p.path, ("", None))[1]}
              for p in ordinary if outcome[p.path] != "ok"]
    failures = []
    if run.report is None:
        failures.append("the index did not finish" + (" (killed at the wall-time cap)" if run.timed_out
                                                      else f" (exit {run.exit_code})"))
    else:
        if report.get("files") != len(planned):
            failures.append(f"the index walked {report.get('files')} files, {len(planned)} were written")
        if missing:
            failures.append(f"{len(missing)} file(s) missing from the index")
        if disagree:
            failures.append(f"{len(disagree)} file(s) whose status in the graph differs from the index report")
        if not_ok:
            failures.append(f"{len(not_ok)} ordinary file(s) not ok")
        if not status.get("ok"):
            failures.append("index-status does not report every skipped/partial file")
    counts = Counter(outcome.values())
    return {
        "files": len(planned),
        "by_language": dict(sorted(Counter(p.language for p in planned).items())),
        "by_extension": dict(sorted(Counter(Path(p.path).suffix for p in planned).items())),
        "by_shape": {shape: dict(c) for shape, c in by_shape.items()},
        "outcomes_by_shape": {shape: dict(c) for shape, c in outcomes_by_shape.items()},
        "wall_seconds": round(run.seconds, 1),
        "peak_rss_mb": round(run.peak_rss_bytes / MB),
        "peak_main_rss_mb": round(run.peak_main_bytes / MB),
        "peak_workers_rss_mb": round(run.peak_workers_bytes / MB),
        "exit_code": run.exit_code,
        "timed_out": run.timed_out,
        "report_files": report.get("files"),
        "report_parsed": report.get("parsed"),
        "timings": report.get("timings"),
        "counts": {k: counts.get(k, 0) for k in ("ok", "partial", "skipped", "missing")},
        "skipped": report.get("skipped", []),
        "partial": report.get("partial", []),
        "ordinary": {"files": len(ordinary), "ok": len(ordinary) - len(not_ok), "not_ok": not_ok},
        "missing": missing,
        "disagree": disagree,
        "index_status": status,
        "stderr_tail": run.stderr_tail if run.report is None else "",
        "failures": failures,
    }



NUMBER = re.compile(r"(?<![\w-])\d(?:[\d,]*\d)?")
"""Numbers in reasons, replaced to group alike reasons (not the 8 of UTF-8)."""


def files_text(r: dict[str, Any]) -> list[str]:
    languages = list(r["by_language"])
    lines = [f"pathological files: {r['files']} files (" + ", ".join(f"{k} {v}" for k, v in r["by_language"].items())
             + "; " + ", ".join(f"{k} {v}" for k, v in r["by_extension"].items()) + ")",
             f"{'shape':<28}" + "".join(f"{lang[:10]:>11}" for lang in languages)
             + f"{'ok':>6}{'partial':>8}{'skipped':>8}{'missing':>8}"]
    for shape, c in r["by_shape"].items():
        o = r["outcomes_by_shape"][shape]
        lines.append(f"{shape:<28}" + "".join(f"{c.get(lang, 0):>11}" for lang in languages)
                     + f"{o.get('ok', 0):>6}{o.get('partial', 0):>8}{o.get('skipped', 0):>8}{o.get('missing', 0):>8}")
    counts = r["counts"]
    ended = "killed at the wall-time cap" if r["timed_out"] else f"exit {r['exit_code']}"
    lines.append(f"index: {ended} after "
                 f"{r['wall_seconds']} s, peak RSS {r['peak_rss_mb']} MB (process tree; main process "
                 f"{r['peak_main_rss_mb']} MB, parser workers {r['peak_workers_rss_mb']} MB); report: files "
                 f"{r['report_files']}, parsed {r['report_parsed']}; ok {counts['ok']}, partial {counts['partial']}, "
                 f"skipped {counts['skipped']}, missing {counts['missing']}")
    if r["timings"]:
        lines.append("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in r["timings"].items()))
    reasons = Counter(re.sub(NUMBER, "N", item["reason"])[:90] for item in r["skipped"])
    lines += [f"  skipped {n:>3}: {why}" for why, n in reasons.most_common()]
    errors = Counter(re.sub(NUMBER, "N", item["error"])[:90] for item in r["partial"])
    lines += [f"  partial {n:>3}: {why}" for why, n in errors.most_common(8)]
    o = r["ordinary"]
    lines.append(f"ordinary files ok: {o['ok']} of {o['files']}")
    lines += [f"  NOT OK {x['path']}: {x['status']} {x['error']}" for x in o["not_ok"]]
    lines.append(f"every file accounted for: {'yes' if not r['missing'] else 'NO: ' + ', '.join(r['missing'][:10])}")
    st = r["index_status"]
    lines.append(f"index-status: {'ok' if st.get('ok') else 'FAIL'}; " + "; ".join(
        f"{k} {v}" for k, v in st.items() if k != "ok"))
    if r["stderr_tail"]:
        lines.append("index stderr (tail): " + r["stderr_tail"][-500:])
    lines += [f"FAILURE: {f}" for f in r["failures"]]
    return lines

