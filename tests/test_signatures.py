"""Signatures end at the header: no comments (trailing, after the colon, inside a parameter list
spread over lines), no line continuations, no spaces left just inside the brackets, while a
``#``, ``//`` or bracket inside a string default stays as written.

Small real sources run through the real extractor (tree-sitter grammars and ``.scm`` queries),
and one repository indexed end to end into Kùzu, where users read the signatures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.extract import MAX_SIGNATURE, Extractor
from indexer.languages import get_language
from indexer.pipeline import GRAPH_FILE, IndexOptions, index_repository
from indexer.store.kuzu_store import KuzuStore


def signatures(language: str, source: str) -> dict[str, str]:
    facts = Extractor(get_language(language)).extract("m", source.encode())
    return {d.qualname: d.signature for d in facts.defs}


PYTHON = '''\
class ScriptInfo:  # type: ignore[misc]
    def __init__(self, app_import_path: str | None = None) -> None:  #: Optionally the import path
        pass

    def command(  # type: ignore[override]
        self,
        *args: object,  # positional
        sep: str = "#",  # a hash that is no comment
        pattern: str = "( # [ )",
    ) -> None:
        # the body's leading comment sits before the body node
        return None


def joined(a, \\
           b):  # continued
    """Doc."""


def plain(x="#"): pass
'''


@pytest.mark.parametrize(("qualname", "expected"), [
    ("ScriptInfo", "class ScriptInfo"),
    ("ScriptInfo.__init__", "def __init__(self, app_import_path: str | None = None) -> None"),
    ("ScriptInfo.command",
     'def command(self, *args: object, sep: str = "#", pattern: str = "( # [ )",) -> None'),
    ("joined", "def joined(a, b)"),
    ("plain", 'def plain(x="#")'),
])
def test_python_signature_is_the_header_without_comments(qualname: str, expected: str) -> None:
    assert signatures("python", PYTHON)[qualname] == expected


JAVASCRIPT = '''\
class Engine extends Base { // the engine
  run(path = "//not/a/comment", /* inline */ retries) /* after */ {
    return path
  }
}
function start(
  a, // first
  b /* second */,
) { // body
}
const spin = (a, // turns
  b) => a + b
'''


def test_javascript_signature_drops_line_and_block_comments() -> None:
    assert signatures("javascript", JAVASCRIPT) == {
        "Engine": "class Engine extends Base",
        "Engine.run": 'run(path = "//not/a/comment", retries)',
        "start": "function start(a, b,)",
        "spin": "spin = (a, b) =>",
    }


TYPESCRIPT = '''\
interface Runner {
  run(path: string, // where
      retries: number): void; // after the member
}
abstract class Job {
  abstract spin(turns: number /* at least 1 */): void;
}
function make(kind: "a/*b*/c", /* the size */ size: number[]): Job { // makes one
  return null as unknown as Job
}
'''


def test_typescript_signature_drops_comments_but_not_string_types() -> None:
    sigs = signatures("typescript", TYPESCRIPT)
    assert sigs["Runner.run"] == "run(path: string, retries: number): void"
    assert sigs["Job.spin"] == "abstract spin(turns: number): void"
    assert sigs["make"] == 'function make(kind: "a/*b*/c", size: number[]): Job'


def test_a_header_without_comments_is_unchanged() -> None:
    source = "def f(a, b: int = 2, *c, **d) -> dict[str, int]:\n    return {}\n"
    assert signatures("python", source) == {"f": "def f(a, b: int = 2, *c, **d) -> dict[str, int]"}


def test_a_long_header_is_cut_to_the_signature_limit() -> None:
    params = ",  # a comment\n".join(f"p{i}: int = {i}" for i in range(200))
    sig = signatures("python", f"def f(\n{params}):\n    pass\n")["f"]
    assert len(sig) == MAX_SIGNATURE and sig.startswith("def f(p0: int = 0, p1: int = 1, p2: int = 2,")


def test_signatures_in_the_graph_have_no_comments(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text(PYTHON, encoding="utf-8")
    (root / "engine.js").write_text(JAVASCRIPT, encoding="utf-8")
    index_repository(root, IndexOptions(db_dir=tmp_path / "db"))
    store = KuzuStore(tmp_path / "db" / GRAPH_FILE, read_only=True)
    try:
        nodes = {n.id: n for n in store.dump().nodes}
    finally:
        store.close()
    assert nodes["app.py::ScriptInfo.__init__"].signature == (
        "def __init__(self, app_import_path: str | None = None) -> None")
    assert nodes["engine.js::Engine.run"].signature == 'run(path = "//not/a/comment", retries)'
    assert nodes["app.py::ScriptInfo.command"].signature == (
        'def command(self, *args: object, sep: str = "#", pattern: str = "( # [ )",) -> None')
