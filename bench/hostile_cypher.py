"""Part 1 of the adversarial bench (``hostile.py`` says what is measured and how to read it):
the hostile query catalogue by category, a runner that sends each query through a real MCP client
session to the ``cypher`` tool and checks the server after it, and the part's report and text."""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hostile_common import MB, ROOT, RssSampler, scaled, take

HANG_SECONDS = 120.0
"""A query (or the checks after it) taking longer than this counts as a hang: the tool's own
limit is 10 s plus a few seconds of grace."""
COUNT = "MATCH (n:Function) RETURN count(n) AS n"
GUARDED = ("write", "setting", "procedure")
"""Categories whose queries must never be answered."""


@dataclass(frozen=True, slots=True)
class Hostile:
    category: str
    query: str


WRITES = (
    "CREATE (n:File {id: 'hostile.py'})",
    "MERGE (n:File {id: 'hostile.py'}) ON CREATE SET n.status = 'hostile' RETURN n.id",
    "MATCH (n:File) SET n.status = 'hostile'",
    "MATCH (n:Function) DELETE n",
    "MATCH (n) DETACH DELETE n",
    "MATCH (n:File) REMOVE n.status",
    "MATCH (n:File) WITH collect(n) AS ns FOREACH (x IN ns | SET x.status = 'hostile')",
    "MATCH (a:File), (b:File) CREATE (a)-[:IMPORTS {line: 1}]->(b)",
    "CREATE NODE TABLE Hostile (id STRING, PRIMARY KEY (id))",
    "CREATE REL TABLE HOSTILE (FROM File TO File)",
    "CREATE MACRO hostile(x) AS x + 1",
    "CREATE SEQUENCE hostile_seq",
    "DROP TABLE File",
    "DROP TABLE IF EXISTS Hostile",
    "ALTER TABLE File ADD hostile STRING DEFAULT 'x'",
    "ALTER TABLE File RENAME TO Files",
    "COPY File FROM '{tmp}/nodes.csv'",
    "COPY (MATCH (n) RETURN n.id) TO '{tmp}/copied.csv'",
    "LOAD FROM '/etc/passwd' RETURN *",
    "LOAD WITH HEADERS (a STRING) FROM '/etc/passwd' RETURN *",
    "LOAD EXTENSION fts",
    "INSTALL fts",
    "UNINSTALL fts",
    "ATTACH '{tmp}/attached' AS hostile (dbtype kuzu)",
    "DETACH hostile",
    "USE hostile",
    "EXPORT DATABASE '{tmp}/exported'",
    "IMPORT DATABASE '{tmp}/exported'",
    "BEGIN TRANSACTION",
    "BEGIN TRANSACTION READ ONLY",
    "COMMIT",
    "ROLLBACK",
    "CHECKPOINT",
    "COMMENT ON TABLE File IS 'hostile'",
    "CALL { CREATE (n:File {id: 'hostile.py'}) } RETURN 1",
    "MATCH (n:File) CALL { WITH n SET n.status = 'hostile' } IN TRANSACTIONS",
    "MATCH (n)CREATE(m:File{id:'hostile.py'})",
    "RETURN \"'\" AS q, '\\\\' AS b CREATE (m:File {id: 'hostile.py'})",
    "MATCH (n) WITH n AS `x``y` CREATE (m:File {id: 'hostile.py'})",
    "UNWIND ['hostile.py'] AS x MERGE (m:File {id: x})",
)
"""Statements that write, change the schema, move data, load code or control transactions;
``{tmp}`` is a scratch directory whose files must never appear."""
WRITTEN_FILES = ("copied.csv", "attached", "exported")


def _mixed_case(query: str) -> str:
    return re.sub(r"\b[A-Z]{2,}\b", lambda m: "".join(
        c.lower() if i % 2 else c for i, c in enumerate(m.group())), query)


SPELLINGS: dict[str, Callable[[str], str]] = {
    "plain": lambda q: q,
    "lower case": str.lower,
    "mixed case": _mixed_case,
    "block comments": lambda q: q.replace(" ", " /* x */ "),
    "line comments": lambda q: q.replace(" ", " // x\n"),
    "newlines": lambda q: q.replace(" ", "\n"),
    "tabs": lambda q: q.replace(" ", "\t"),
    "no-break spaces": lambda q: q.replace(" ", "\u00a0"),
    "mongolian vowel separators": lambda q: q.replace(" ", "\u180e"),
    "after a statement": lambda q: "MATCH (n) RETURN count(n);\n" + q,
    "after escaped quotes": lambda q: "RETURN 'it\\'s \\\\' AS a, \"\\\"\" AS b; " + q,
    "after a back-quoted name": lambda q: "RETURN 1 AS `a``b`; " + q,
    "EXPLAIN": lambda q: "EXPLAIN " + q,
    "PROFILE": lambda q: "PROFILE " + q,
    "UNION": lambda q: "RETURN 1 AS x UNION ALL " + q,
    "in a subquery": lambda q: "CALL { " + q + " } RETURN 1",
}

SETTINGS: dict[str, str] = {
    "threads": "1", "timeout": "1", "var_length_extend_max_depth": "1000", "file_search_path": "'/etc'",
    "progress_bar": "true", "home_directory": "'/tmp'", "spill_to_disk": "false",
    "checkpoint_threshold": "1", "warning_limit": "1", "enable_zone_map": "false",
    "recursive_pattern_semantic": "'TRAIL'", "recursive_pattern_factor": "1", "enable_semi_mask": "false",
    "auto_checkpoint": "false", "disable_map_key_check": "false", "enable_plan_optimizer": "false",
    "debug_enable_multi_writes": "true", "force_checkpoint_on_close": "false",
    "enable_internal_catalog": "true", "progress_bar_time": "1",
}
"""Kùzu settings and a value each that differs from the default."""
SETTING_FORMS = (
    "CALL {name}={value}",
    "CALL `{name}`={value}",
    "call {name} = {value}",
    "CaLl {upper}={value}",
    "CALL /* c */ {name} /* c */ = /* c */ {value}",
    "CALL\n{name}\n=\n{value}",
    "CALL // c\n{name}={value}",
    "MATCH (n) RETURN count(n); CALL {name}={value}",
    "CALL `{name}` = {value} RETURN 1",
    "CALL {name}\u00a0=\u00a0{value}",
    "CALL {name}\u180e={value}",
    "CALL current_setting('{name}') RETURN *; CALL {name}={value}",
    "CALL `{name}`/**/=/**/{value}",
    "PROFILE CALL {name}={value};",
    "CALL /* {{ */ {name}={value}",
)

PROCEDURES = (
    ("read_csv_serial", "'/etc/passwd'"), ("read_csv", "'/etc/passwd'"), ("read_parquet", "'/etc/passwd'"),
    ("read_npy", "'/etc/passwd'"), ("read_json", "'/etc/passwd'"), ("json_scan", "'/etc/passwd'"),
    ("create_fts_index", "'File', 'hostile', ['doc']"), ("drop_fts_index", "'File', 'hostile'"),
    ("project_graph", "'hostile', ['File'], ['IMPORTS']"), ("drop_projected_graph", "'hostile'"),
    ("create_vector_index", "'File', 'hostile', 'doc'"), ("drop_vector_index", "'File', 'hostile'"),
    ("clear_warnings", ""), ("page_rank", "'hostile'"), ("db.createIndex", "'File', 'id'"),
    ("db.index.fulltext.createNodeIndex", "'x', ['File'], ['doc']"),
    ("apoc.cypher.runWrite", "'CREATE (n:File {id: \"x\"})', {}"),
    ("apoc.periodic.iterate", "'MATCH (n) RETURN n', 'DETACH DELETE n', {}"),
    ("apoc.load.json", "'file:///etc/passwd'"), ("dbms.setConfigValue", "'db.logs.query.enabled', 'off'"),
    ("dbms.killQuery", "'1'"), ("db.clearQueryCaches", ""), ("gds.graph.project", "'g', 'File', 'IMPORTS'"),
)


def procedure_spellings(name: str, args: str) -> list[str]:
    parts = name.split(".")
    quoted = ".".join(f"`{p}`" for p in parts)
    split = " /* c */ . /* c */ ".join(parts)
    return [
        f"CALL {name}({args}) RETURN *",
        f"CALL {quoted}({args}) RETURN *",
        f"CALL `{name}`({args}) RETURN *",
        f"CALL /* c */ {split} /* c */ ({args}) RETURN *",
        f"call {name.upper()}({args}) return *",
        f"CALL\n{name}\n({args})\nRETURN *",
        f"MATCH (n) RETURN count(n); CALL {name}({args}) RETURN *",
        f"CALL {{ CALL {name}({args}) RETURN * }} RETURN 1",
        f"OPTIONAL CALL {name}({args}) RETURN *",
        f"UNWIND [1] AS x CALL {quoted} ({args}) RETURN *",
    ]


MEMORY = (
    "UNWIND range(1, 200000000) AS x RETURN count(x)",
    "UNWIND range(1, 200000000) AS x RETURN collect(x)",
    "UNWIND range(1, 200000000) AS x RETURN size(collect(x))",
    "UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b RETURN count(*)",
    "UNWIND range(1, 2000) AS a UNWIND range(1, 2000) AS b UNWIND range(1, 2000) AS c RETURN count(*)",
    "UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b RETURN collect(a + b)",
    "RETURN size(range(1, 2000000000))",
    "RETURN size([x IN range(1, 200000000) | x])",
    "RETURN size(list_transform(list_filter(range(1, 200000000), x -> x % 2 = 0), x -> x * 2))",
    "RETURN size(list_transform(range(1, 20000), x -> range(1, 20000)))",
    "RETURN size(lpad('a', 2000000000, 'b'))",
    "RETURN size(rpad('a', 2000000000, 'bc'))",
    "RETURN size(repeat('ab', 1000000000))",
    "UNWIND range(1, 100) AS i RETURN size(lpad('x', 100000000, 'y')) AS n",
    "WITH 'ab' AS s " + " ".join(["WITH s + s AS s"] * 34) + " RETURN size(s)",
    "WITH lpad('x', 1000000, 'y') AS s UNWIND range(1, 10000) AS i RETURN size(collect(s + cast(i AS STRING)))",
    "UNWIND range(1, 200000000) AS x RETURN x ORDER BY x DESC LIMIT 1",
    "UNWIND range(1, 200000000) AS x WITH x ORDER BY x DESC RETURN collect(x)[1]",
    "UNWIND range(1, 200000000) AS x RETURN count(DISTINCT x)",
    "UNWIND range(1, 200000000) AS x RETURN x % 1000 AS k, collect(x) AS xs LIMIT 1",
    "UNWIND range(1, 200000000) AS x RETURN DISTINCT cast(x AS STRING) AS s LIMIT 1",
    "MATCH (n) UNWIND range(1, 2000000) AS x RETURN collect(n.id + cast(x AS STRING))[0]",
    "UNWIND range(1, 1000) AS x RETURN lpad('x', 1000000, 'y') AS s",
    "RETURN list_concat(range(1, 100000000), range(1, 100000000))[1]",
    "UNWIND range(1, 50000000) AS x WITH collect(x) AS a, collect(x) AS b RETURN size(a) + size(b)",
)

TIME = (
    "MATCH (a)-[*1..10]-(b) RETURN count(*)",
    "MATCH (a)-[*1..30]-(b) RETURN count(*)",
    "MATCH (a)-[*1..30]->(b) RETURN count(*)",
    "MATCH p = (a)-[*1..20]-(b) RETURN max(length(p))",
    "MATCH (a)-[:CALLS|IMPORTS|CONTAINS*1..30]-(b) RETURN count(*)",
    "MATCH (a)-[* SHORTEST 1..30]-(b) RETURN count(*)",
    "MATCH (a)-[* ALL SHORTEST 1..30]-(b) RETURN count(*)",
    "MATCH (a)-[*1..10]-(b)-[*1..10]-(c) RETURN count(*)",
    "MATCH (a)-[*1..1000]-(b) RETURN count(*)",
    "MATCH (a), (b), (c), (d) RETURN count(*)",
    "MATCH (a), (b), (c), (d), (e) RETURN count(*)",
    "MATCH (a), (b), (c), (d) RETURN a.id + b.id + c.id + d.id AS s ORDER BY s LIMIT 1",
    "MATCH (a), (b), (c) WHERE a.id < b.id AND b.id < c.id RETURN count(*)",
    "MATCH (a), (b), (c), (d), (e), (f) WHERE a.id <> f.id RETURN count(*)",
    "MATCH (a) UNWIND range(1, 100000000) AS x RETURN count(*)",
    "UNWIND range(1, 2000000000) AS x WITH x WHERE x % 7 = 3 RETURN count(*)",
    "MATCH (a)-[r*1..15]-(b) WHERE all(x IN nodes(r) WHERE x.id IS NOT NULL) RETURN count(*)",
    "MATCH (a)-[*1..30 (r, n | WHERE n.id IS NOT NULL)]-(b) RETURN count(*)",
    "RETURN lpad('a', 1000000, 'a') =~ '(a|aa)*b' AS m",
    "MATCH (n) WHERE n.id =~ '(.*)*(.*)*(.*)*x' RETURN count(n)",
)

PARSER = (
    "MATCH (n) WHERE " + " OR ".join(["n.id = 'x'"] * 1000) + " RETURN count(n)",
    "RETURN " + "(" * 5000 + "1" + ")" * 5000,
    "RETURN " + "[" * 5000 + "]" * 5000,
    "RETURN " + "{a: " * 3000 + "1" + "}" * 3000,
    "RETURN 1" + " + 1" * 4000,
    "RETURN " + "-" * 10000 + "1",
    "RETURN " + "NOT " * 4000 + "true",
    "RETURN " + "size(" * 3000 + "[]" + ")" * 3000,
    "RETURN " + "CASE WHEN true THEN " * 800 + "1" + " END" * 800,
    "RETURN '" + "a" * 19000 + "'",
    "MATCH " + ", ".join(f"(n{i})" for i in range(1500)) + " RETURN 1",
    "WITH 1 AS x " * 1500 + "RETURN x",
    "CALL { " * 800 + "RETURN 1 AS y" + " }" * 800 + " RETURN y",
    "/*" * 5000 + "*/ RETURN 1",
    "RETURN 1 " + "// c\n" * 3000,
    "RETURN 1" + " " * 20001,
)

CONTROL = (
    COUNT,
    "MATCH (f:Function) RETURN f.name AS name ORDER BY name LIMIT 3",
    "RETURN 'CREATE (n) SET n.x = 1 DETACH DELETE n' AS text",
    "MATCH (n) WHERE n.name = 'delete' RETURN count(n) AS n",
    "MATCH (n) RETURN n.id AS `set` LIMIT 1",
    "// CREATE (n)\nMATCH (n:Class) RETURN count(n) AS n",
    "CALL show_tables() RETURN *",
    "CALL current_setting('threads') RETURN *",
    "CALL table_info('File') RETURN *",
    "MATCH (c:Class) RETURN c.id AS id, COUNT { MATCH (c)-[:CONTAINS]->() } AS n ORDER BY id LIMIT 2",
    "MATCH (n:Function) WHERE EXISTS { MATCH (n)-[:CALLS]->() } RETURN count(n) AS n",
)


def hostile_queries(tmp: Path) -> list[Hostile]:
    """Every hostile query, in category order."""
    queries = [Hostile("write", spell(statement.replace("{tmp}", str(tmp))))
               for statement in WRITES for spell in SPELLINGS.values()]
    queries += [Hostile("setting", form.format(name=name, upper=name.upper(), value=value))
                for name, value in SETTINGS.items() for form in SETTING_FORMS]
    queries += [Hostile("procedure", q) for name, args in PROCEDURES for q in procedure_spellings(name, args)]
    queries += [Hostile("memory", q) for q in MEMORY]
    queries += [Hostile("time", q) for q in TIME]
    queries += [Hostile("parser", q) for q in PARSER]
    queries += [Hostile("control", q) for q in CONTROL]
    return list(dict.fromkeys(queries))


def select_queries(queries: list[Hostile], scale: float) -> list[Hostile]:
    """``scale`` of each category's queries (at least one), spread evenly over it."""
    by_category: dict[str, list[Hostile]] = {}
    for q in queries:
        by_category.setdefault(q.category, []).append(q)
    chosen: list[Hostile] = []
    for items in by_category.values():
        count = scaled(len(items), scale)
        chosen += take(items, count) if count <= len(items) else (items * math.ceil(count / len(items)))[:count]
    return chosen


@dataclass(frozen=True, slots=True)
class Observation:
    """What the server says after a query: the function count, node and edge counts, settings."""

    functions: int | None
    stats: tuple[tuple[str, str, int], ...]
    settings: dict[str, str]


@dataclass(slots=True)
class QueryOutcome:
    category: str
    query: str
    outcome: str
    """refused, stopped, error, answered or lost (the session failed)."""
    seconds: float
    message: str
    bypass: list[str] = field(default_factory=list)
    crash: str | None = None


def _text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content).strip()


def _data(result: Any) -> Any:
    data = result.structured_content
    if isinstance(data, dict) and set(data) == {"result"}:
        return data["result"]
    return data


def classify(is_error: bool, text: str) -> str:
    if not is_error:
        return "answered"
    message = re.sub(r"^Error executing tool \w+: ", "", text)
    if message.startswith("Query refused"):
        return "refused"
    low = message.lower()
    if any(mark in low for mark in ("memory", "longer than", "crashed", "mb allowed", "stopped answering")):
        return "stopped"
    return "error"


async def _rows(client: Any, tool: str, args: dict[str, Any]) -> list[dict[str, Any]]:
    result = await client.call_tool(tool, args)
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {_text(result)[:300]}")
    return list(_data(result)["rows"])


def settings_query(names: Sequence[str]) -> str:
    return " UNION ALL ".join(f"CALL current_setting('{n}') RETURN '{n}' AS name, {n} AS value" for n in names)


async def readable_settings(client: Any) -> list[str]:
    """The settings tried that ``current_setting`` can read."""
    readable = []
    for name in SETTINGS:
        result = await client.call_tool("cypher", {"query": f"CALL current_setting('{name}') RETURN *"})
        if not result.is_error:
            readable.append(name)
    return readable


async def observe(client: Any, settings: Sequence[str]) -> Observation:
    count = await _rows(client, "cypher", {"query": COUNT})
    stats = await _rows(client, "named_query", {"name": "stats"})
    values = await _rows(client, "cypher", {"query": settings_query(settings), "limit": 1000}) if settings else []
    return Observation(int(count[0]["n"]) if count else None,
                       tuple(sorted((r["element"], r["type"], int(r["count"])) for r in stats)),
                       {str(r["name"]): str(r["value"]) for r in values})


def differences(before: Observation, after: Observation) -> list[str]:
    """Bypass findings: what changed in the graph's counts or the settings."""
    found = []
    if before.stats != after.stats:
        changed = sorted(set(before.stats) ^ set(after.stats))
        found.append(f"node/edge counts changed: {changed}")
    for name, value in before.settings.items():
        if after.settings.get(name) != value:
            found.append(f"setting {name} changed from {value!r} to {after.settings.get(name)!r}")
    return found


def written_files(tmp: Path) -> list[str]:
    """Files that writing queries aimed at and that now exist (removed, so each shows once)."""
    found = []
    for name in WRITTEN_FILES:
        path = tmp / name
        if path.exists() or path.is_symlink():
            found.append(f"wrote {path}")
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
    return found


class QueryRunner:
    """Sends each query, then checks the server: the state that makes bypasses and crashes."""

    def __init__(self, tmp: Path, verbose: bool) -> None:
        self.tmp, self.verbose = tmp, verbose
        self.settings: list[str] = []
        self.baseline: Observation | None = None

    async def start(self, client: Any) -> Observation:
        if self.baseline is None:
            self.settings = await readable_settings(client)
            self.baseline = await observe(client, self.settings)
        return self.baseline

    async def probe(self, client: Any, hostile: Hostile) -> QueryOutcome:
        import anyio

        baseline = await self.start(client)
        if self.verbose:
            print(f"[{hostile.category}] {hostile.query[:100]!r}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            with anyio.fail_after(HANG_SECONDS):
                result = await client.call_tool("cypher", {"query": hostile.query})
        except Exception as exc:  # the session or server failed: a crash, reported
            return QueryOutcome(hostile.category, hostile.query, "lost", time.perf_counter() - started,
                                f"{type(exc).__name__}: {exc}"[:300], crash=f"the call failed: {type(exc).__name__}")
        seconds = time.perf_counter() - started
        text = _text(result)
        outcome = QueryOutcome(hostile.category, hostile.query, classify(bool(result.is_error), text), seconds,
                               text[:300] if result.is_error else "")
        if hostile.category in GUARDED and outcome.outcome == "answered":
            outcome.bypass.append("answered without error")
        try:
            with anyio.fail_after(HANG_SECONDS):
                after = await observe(client, self.settings)
        except Exception as exc:  # the server stopped answering after this query
            outcome.crash = f"the checks after it failed: {type(exc).__name__}: {exc}"[:300]
            return outcome
        if after.functions != baseline.functions:
            outcome.crash = f"{COUNT} answered {after.functions}, not {baseline.functions}"
        found = differences(baseline, after) + written_files(self.tmp)
        if found:
            outcome.bypass += found
            self.baseline = after  # report each change once
        return outcome


async def run_queries(server: Any, queries: Sequence[Hostile], runner: QueryRunner) -> list[QueryOutcome]:
    """Every query through client sessions of ``server``; a failed session is replaced."""
    from mcp import Client

    outcomes: list[QueryOutcome] = []
    index = 0
    while index < len(queries):
        try:
            async with Client(server) as client:
                await runner.start(client)
                while index < len(queries):
                    outcome = await runner.probe(client, queries[index])
                    outcomes.append(outcome)
                    index += 1
                    if outcome.outcome == "lost":
                        break
        except Exception as exc:  # opening or closing the session failed: a crash of that query
            if index < len(queries):
                q = queries[index]
                outcomes.append(QueryOutcome(q.category, q.query, "lost", 0.0, f"{type(exc).__name__}: {exc}"[:300],
                                             crash="the session could not be opened or closed"))
                index += 1
    return outcomes


def cypher_part(scale: float, verbose: bool) -> dict[str, Any]:
    """Index the sample repository, serve it, send every hostile query; the part's report."""
    import anyio

    from server.mcp_app import build_server
    from server.workspace import Repo, Workspace

    with tempfile.TemporaryDirectory(prefix="repolens-hostile-") as tmp_name:
        tmp = Path(tmp_name)
        scratch = tmp / "scratch"
        scratch.mkdir()
        (scratch / "nodes.csv").write_text("hostile.py\n", encoding="utf-8")
        root = tmp / "pyrepo"
        shutil.copytree(ROOT / "tests" / "fixtures" / "pyrepo", root)
        repo = Repo.open(root, embed=False)
        repo.reindex()
        workspace = Workspace.of([repo])
        queries = select_queries(hostile_queries(scratch), scale)
        runner = QueryRunner(scratch, verbose)
        try:
            server = build_server(workspace)
            with RssSampler(os.getpid(), 0.05) as rss:
                started = time.perf_counter()
                outcomes = anyio.run(run_queries, server, queries, runner)
                seconds = time.perf_counter() - started
        finally:
            workspace.close()
    return cypher_report(outcomes, runner, rss, seconds)


def cypher_report(outcomes: list[QueryOutcome], runner: QueryRunner, rss: RssSampler,
                  seconds: float) -> dict[str, Any]:
    categories: dict[str, dict[str, Any]] = {}
    for o in outcomes:
        row = categories.setdefault(o.category, {"queries": 0, "refused": 0, "stopped": 0, "error": 0,
                                                 "answered": 0, "lost": 0, "max_seconds": 0.0})
        row["queries"] += 1
        row[o.outcome] += 1
        row["max_seconds"] = round(max(row["max_seconds"], o.seconds), 3)
    slowest = max(outcomes, key=lambda o: o.seconds, default=None)
    control = [o for o in outcomes if o.category == "control"]
    passed_guard = [o for o in outcomes if o.category in GUARDED and o.outcome not in ("refused", "answered")]
    return {
        "queries": len(outcomes),
        "seconds": round(seconds, 1),
        "categories": categories,
        "bypasses": [asdict(o) for o in outcomes if o.bypass],
        "crashes": [asdict(o) for o in outcomes if o.crash],
        "control_not_answered": [asdict(o) for o in control if o.outcome != "answered"],
        "passed_guard": [{"query": o.query, "outcome": o.outcome, "message": o.message} for o in passed_guard],
        "worker_crashes": [{"category": o.category, "query": o.query, "message": o.message}
                           for o in outcomes if "crashed" in o.message],
        "settings_watched": runner.settings,
        "settings_unreadable": [s for s in SETTINGS if s not in runner.settings],
        "baseline": asdict(runner.baseline) if runner.baseline else None,
        "peak_server_rss_mb": round(rss.peak_self / MB),
        "peak_worker_rss_mb": round(rss.peak_children / MB),
        "max_seconds": round(slowest.seconds, 3) if slowest else 0.0,
        "slowest_query": slowest.query[:200] if slowest else None,
        "outcomes": [asdict(o) for o in outcomes],
    }



def cypher_text(r: dict[str, Any]) -> list[str]:
    lines = [f"hostile Cypher: {r['queries']} queries through the MCP cypher tool on tests/fixtures/pyrepo "
             f"in {r['seconds']} s",
             f"{'category':<10} {'queries':>7} {'refused':>7} {'stopped':>7} {'error':>6} {'answered':>8} "
             f"{'lost':>4} {'max s':>6}"]
    for name, c in r["categories"].items():
        lines.append(f"{name:<10} {c['queries']:>7} {c['refused']:>7} {c['stopped']:>7} {c['error']:>6} "
                     f"{c['answered']:>8} {c['lost']:>4} {c['max_seconds']:>6.2f}")
    lines.append(f"bypasses: {len(r['bypasses'])}")
    lines += [f"  BYPASS [{b['category']}] {b['query'][:120]!r}: {'; '.join(b['bypass'])}" for b in r["bypasses"]]
    lines.append(f"crashes: {len(r['crashes'])}")
    lines += [f"  CRASH [{c['category']}] {c['query'][:120]!r}: {c['crash']}" for c in r["crashes"]]
    lines.append(f"guarded queries past the guard but stopped by the database: {len(r['passed_guard'])}")
    lines += [f"  {g['outcome']}: {g['query'][:100]!r}: {g['message'][:140]}" for g in r["passed_guard"][:20]]
    lines.append(f"queries that crashed a query worker (caught by the sandbox): {len(r['worker_crashes'])}")
    lines += [f"  [{w['category']}] {w['query'][:120]!r}" for w in r["worker_crashes"]]
    control = r["control_not_answered"]
    lines.append(f"control queries not answered: {len(control)}")
    lines += [f"  {c['outcome']}: {c['query'][:100]!r}: {c['message'][:140]}" for c in control]
    lines.append(f"settings watched: {', '.join(r['settings_watched'])}; unreadable: "
                 f"{', '.join(r['settings_unreadable']) or 'none'}")
    lines.append(f"peak RSS: server {r['peak_server_rss_mb']} MB, query workers {r['peak_worker_rss_mb']} MB; "
                 f"slowest query {r['max_seconds']:.2f} s: {r['slowest_query']!r:.120}")
    return lines

