"""How precisely the graph resolves calls, per language: annotated fixture projects scored,
and real repositories indexed.

An annotated project is a folder of real source files (``tests/fixtures/langs/<language>/``).
An annotation is a comment line (``#`` or ``//``) under a line of code::

    engine.run();
    //     ^ calls: src/engine.go::Engine.Run [inferred]

``^`` points at a column of the nearest code line above; the assertion is that an edge of
that kind (``calls``, ``imports``, ``inherits``, ``references``) goes from the definition
enclosing that line (or the file) to the target (``path::Qual.name`` or a file path), is
recorded at that line, and that the word under ``^`` is part of the name the edge was written
as. ``[resolution]`` is optional. ``no calls: <target>`` asserts that the enclosing definition
has no such edge at all (the traps: a same-named method of an unrelated type). The graph keeps
one edge per (kind, source, target), at its first line: annotate first uses.

In a language's project every call of a function or method the project defines is annotated,
so the CALLS edges into the project are scored: recall is the share of annotated calls found,
precision the share of the edges the graph has (exact or inferred) that are annotated.

    python bench/resolution.py                       # the per-language table (fixtures)
    python bench/resolution.py --repo /path/to/gson  # index real repositories, their figures
    python bench/resolution.py --json
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.extract import Extractor  # noqa: E402
from indexer.facts import DefFact, FileFacts  # noqa: E402
from indexer.languages import get_language, language_of_source, languages_by_extension  # noqa: E402
from indexer.model import Edge, EdgeKind, Node, NodeKind, Resolution  # noqa: E402
from indexer.resolve import Resolver  # noqa: E402
from indexer.walk import language_of as walked_language  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "langs"
_HEADER = re.compile(r"^# --- path: (\S+) ---$")
_ANNOTATION = re.compile(
    r"^(?P<indent>\s*)(?:#|//)(?P<pad>\s*)\^\s*(?P<negated>no\s+)?(?P<kind>calls|imports|inherits|references):"
    r"\s*(?P<target>\S+)(?:\s+\[(?P<resolution>\w+)\])?\s*$")
_MARK = re.compile(r"^\s*(?:#|//)\s*\^")
_WORD = re.compile(r"[\w.]")
_DEFINITIONS = (NodeKind.CLASS, NodeKind.FUNCTION, NodeKind.METHOD)


@dataclass(frozen=True)
class Assertion:
    path: str
    line: int
    column: int
    code: str
    kind: EdgeKind
    target: str
    resolution: str | None
    negated: bool


def annotated(files: dict[str, str]) -> list[Assertion]:
    """The assertions the annotation lines of ``files`` make."""
    out: list[Assertion] = []
    for path, text in files.items():
        lines = text.splitlines()
        code_line = 0
        for number, raw in enumerate(lines, 1):
            m = _ANNOTATION.match(raw)
            if m is None:
                if _MARK.match(raw):
                    raise ValueError(f"{path}:{number}: malformed annotation {raw!r}")
                code_line = number
                continue
            if not code_line:
                raise ValueError(f"{path}:{number}: annotation with no code line above")
            out.append(Assertion(path, code_line, raw.index("^"), lines[code_line - 1],
                                 EdgeKind(m["kind"].upper()), m["target"], m["resolution"], bool(m["negated"])))
    return out


def split_case(text: str) -> dict[str, str]:
    """Files of a case written in one text, each under a ``# --- path: <path> ---`` header."""
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.strip("\n").splitlines():
        header = _HEADER.match(raw)
        if header:
            current = files.setdefault(header.group(1), [])
        elif current is not None:
            current.append(raw)
        elif raw.strip():
            raise ValueError(f"text before the first '# --- path:' header: {raw!r}")
    return {p: "\n".join(lines) + "\n" for p, lines in files.items()}


def project_files(folder: Path) -> dict[str, str]:
    """The source files and manifests (``go.mod``) of an annotated project: those of an
    indexed language."""
    return {p.relative_to(folder).as_posix(): p.read_text("utf-8") for p in sorted(folder.rglob("*"))
            if p.is_file() and walked_language(p.name, languages_by_extension()) is not None}


@cache
def _extractor(language: str) -> Extractor:
    return Extractor(get_language(language))


def language_of(path: str) -> str:
    """The indexed language of ``path`` by its name (a manifest: ``go.mod``) or its extension,
    as the walk finds it (KeyError for none)."""
    language = walked_language(path.rsplit("/", 1)[-1], languages_by_extension())
    if language is None:
        raise KeyError(path)
    return language


def extract(path: str, source: str, language: str | None = None) -> FileFacts:
    """The facts of one file, as the indexer extracts them (the language by the extension and
    the content unless given); one extractor per language and process."""
    data = source.encode()
    return _extractor(language or language_of_source(language_of(path), data)).extract(path, data)


def definitions(facts: FileFacts) -> dict[str, DefFact]:
    """A file's definitions by qualified name (the last of a name defined twice)."""
    return {d.qualname: d for d in facts.defs}


def resolve_files(files: dict[str, str]) -> tuple[list[Node], list[Edge]]:
    """The nodes and edges of a repository made of ``files``, as the indexer resolves them
    (extract and resolve in memory, no store)."""
    facts: dict[str, FileFacts] = {}
    paths_by_language: dict[str, list[str]] = {}
    for path, source in sorted(files.items()):
        facts[path] = extract(path, source)
        paths_by_language.setdefault(language_of(path), []).append(path)
    packages = {p: f.package for p, f in facts.items() if f.package}
    # as the index state keeps them (JSON)
    manifests = {p: json.loads(json.dumps(f.manifest)) for p, f in facts.items() if f.manifest is not None}
    resolver = Resolver(paths_by_language, facts.get, packages=packages, manifests=manifests)
    nodes: list[Node] = []
    edges: list[Edge] = []
    for path in sorted(facts):
        graph = resolver.resolve_file(path)
        nodes += graph.nodes
        edges += graph.edges
    return nodes, edges


def enclosing(nodes: list[Node], path: str, line: int) -> str:
    """The innermost definition around ``line`` of ``path`` (the file when there is none)."""
    best, best_start = path, 0
    for n in nodes:
        if (n.path == path and n.kind in _DEFINITIONS and n.start_line is not None and n.end_line is not None
                and n.start_line <= line <= n.end_line and n.start_line >= best_start):
            best, best_start = n.id, n.start_line
    return best


def _word_at(code: str, column: int) -> str:
    if column >= len(code) or not _WORD.match(code[column]):
        return ""
    start, end = column, column
    while start > 0 and re.match(r"\w", code[start - 1]):
        start -= 1
    while end < len(code) and re.match(r"\w", code[end]):
        end += 1
    return code[start:end]


def failures(assertions: list[Assertion], nodes: list[Node], edges: list[Edge]) -> list[str]:
    """Every annotation the graph breaks, described."""
    out: list[str] = []
    for a in assertions:
        source = enclosing(nodes, a.path, a.line)
        where = f"{a.path}:{a.line} `{a.code.strip()}`"
        same = [e for e in edges if e.kind == a.kind and e.source == source and e.target == a.target]
        if a.negated:
            if same:
                out.append(f"{where}: unexpected {a.kind} {source} -> {a.target} {same}")
            continue
        found = [e for e in same if e.line == a.line]
        if not found:
            here = [f"{e.kind} {e.source} -> {e.target} [{e.resolution}, {e.name!r}]"
                    for e in edges if e.line == a.line and e.source == source]
            out.append(f"{where}: expected {a.kind} {source} -> {a.target}; edges from this line: {here or 'none'}")
            continue
        edge = found[0]
        word = _word_at(a.code, a.column)
        if word and word not in re.split(r"[^\w]+", edge.name or ""):
            out.append(f"{where}: the edge was written {edge.name!r}, not at {word!r}")
        if a.resolution and (edge.resolution is None or edge.resolution.value != a.resolution):
            out.append(f"{where}: resolution {edge.resolution}, expected {a.resolution}")
    return out


def case_failures(text: str) -> list[str]:
    """Resolve a case written in one text (``split_case``) and describe every annotation it
    breaks; ValueError for a case without annotations (it would assert nothing)."""
    files = split_case(text)
    assertions = annotated(files)
    if not assertions:
        raise ValueError("a case without annotations asserts nothing")
    nodes, edges = resolve_files(files)
    return failures(assertions, nodes, edges)


@dataclass(frozen=True)
class CallScore:
    language: str
    files: int
    annotated: int
    found: int
    edges: int
    correct: int
    traps: int
    traps_broken: int
    missed: tuple[str, ...]
    wrong: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.found / self.annotated if self.annotated else 0.0

    @property
    def precision(self) -> float:
        return self.correct / self.edges if self.edges else 1.0


def score_project(folder: Path) -> tuple[CallScore, list[str]]:
    """Resolve an annotated project; score its CALLS edges and list every broken annotation."""
    files = project_files(folder)
    assertions = annotated(files)
    nodes, edges = resolve_files(files)
    expected = {(enclosing(nodes, a.path, a.line), a.target) for a in assertions
                if a.kind == EdgeKind.CALLS and not a.negated}
    produced = {(e.source, e.target) for e in edges
                if e.kind == EdgeKind.CALLS and e.resolution in (Resolution.EXACT, Resolution.INFERRED)}
    traps = [a for a in assertions if a.kind == EdgeKind.CALLS and a.negated]
    broken = failures(assertions, nodes, edges)
    score = CallScore(
        folder.name, len(files), len(expected), len(expected & produced), len(produced), len(produced & expected),
        len(traps), sum(1 for f in broken if "unexpected CALLS" in f),
        tuple(sorted(f"{s} -> {t}" for s, t in expected - produced)),
        tuple(sorted(f"{s} -> {t}" for s, t in produced - expected)))
    return score, broken


def repository_figures(repo: Path) -> dict[str, object]:
    """Index a real repository (a fresh index in a temporary folder): files, nodes, CALLS
    edges by resolution, seconds, megabytes of source per second and the peak RSS."""
    from indexer.pipeline import IndexOptions, index_repository
    from indexer.store.config import StoreConfig, open_graph_store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "index"
        started = time.perf_counter()
        report = index_repository(repo, IndexOptions(db_dir=db, store=StoreConfig()))
        seconds = time.perf_counter() - started
        store = open_graph_store(StoreConfig(), db, read_only=True)
        try:
            rows = store.query("MATCH (a)-[e:CALLS]->(b) RETURN e.resolution AS r, count(*) AS n").records()
            languages = store.query("MATCH (f:File) RETURN f.language AS l, count(*) AS n").records()
        finally:
            store.close()
    calls = Counter({str(r["r"]): int(r["n"]) for r in rows})
    source_bytes = sum(p.stat().st_size for p in repo.rglob("*") if p.is_file() and p.suffix in languages_by_extension()
                       and ".git" not in p.parts)
    return {
        "repository": repo.name, "files": report.files, "nodes": report.nodes, "edges": report.edges,
        "languages": {str(r["l"]): int(r["n"]) for r in languages if r["l"]},
        "calls": sum(calls.values()),
        "calls_share": {k: round(100.0 * v / max(sum(calls.values()), 1), 1) for k, v in sorted(calls.items())},
        "seconds": round(seconds, 1), "source_mb": round(source_bytes / 1e6, 2),
        "mb_per_second": round(source_bytes / 1e6 / max(seconds, 1e-9), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", type=Path, default=FIXTURES, help="folder of annotated projects")
    parser.add_argument("--language", action="append", help="only these projects (folder names)")
    parser.add_argument("--repo", type=Path, action="append", default=[], help="also index this repository")
    parser.add_argument("--verbose", action="store_true", help="list missed and wrong edges")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    folders = [p for p in sorted(args.fixtures.iterdir()) if p.is_dir()
               and (not args.language or p.name in args.language)]
    scores = [score_project(p)[0] for p in folders]
    repos = [repository_figures(r.resolve()) for r in args.repo]
    if args.json:
        print(json.dumps({"languages": [dict(s.__dict__, recall=s.recall, precision=s.precision) for s in scores],
                          "repositories": repos}, indent=2))
        return 0
    print("| language | files | annotated calls | found | recall | edges | precision | traps (broken) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for s in scores:
        print(f"| {s.language} | {s.files} | {s.annotated} | {s.found} | {100 * s.recall:.1f}% | {s.edges} "
              f"| {100 * s.precision:.1f}% | {s.traps} ({s.traps_broken}) |")
        if args.verbose:
            for m in s.missed:
                print(f"    missed {m}")
            for w in s.wrong:
                print(f"    wrong  {w}")
    for r in repos:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
