"""Localization benchmark: run a localizer over the dev set and score it as the dev set's
README defines (file Acc@1/3/5/10, module Acc@5/10, function Acc@5/10, file- and
function-level MRR), overall and per repository, with localize latency.

    python bench/localize.py [--localizer MODULE:NAME] [--opt KEY=VALUE ...] [--ablate A,B]
                             [--variant NAME:KEY=VALUE,...] [--repos sympy,psf/requests]
                             [--limit N] [--instances ID,ID]
                             [--work DIR] [--out FILE] [--json] [--from-predictions FILE]

For each instance the tree at its base commit is unpacked from the bare mirror under
``--work`` (``trees/<owner>+<name>@<commit>``) and indexed into ``index/<same>``; both are kept
and reused. A new commit of a repository starts from a copy of the index of its nearest
indexed commit (by commit time), so re-indexing is incremental. Instances run grouped by
repository in commit-time order.

A localizer is ``MODULE:NAME`` naming a callable ``(root, db_dir, issue_text[, options])``
returning an object or dict with ``found_files``, ``found_modules`` and ``found_entities``
(bench format: ``path.py``, ``path.py:TopLevel``, ``path.py:Class.method`` / ``path.py:func``).
``options`` is the ``--opt`` mapping (strings); with ``--ablate A,B`` each instance is also run
with ``options["ablate"] = "A"``, then ``"B"``, and with ``--variant NAME:KEY=VALUE,...`` once
more with those options changed; each variant is scored and written apart. If the callable has
a ``prepare(root, db_dir, options)`` method it is called first and timed apart (per-tree work
that an index run could do), so latency is the localize call alone.

Predictions go to ``--out`` as JSON lines (``.<variant>`` before the suffix for the variants);
the table goes to stdout, or only JSON with ``--json``; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.metrics import LEVELS, REPORTED, average, percentile, score_instance
from indexer.pipeline import IndexOptions
from indexer.store.config import StoreConfig
from indexer.update import SearchOptions, update_index

DEFAULT_DEV = Path("/work/shared/bench/dev.jsonl")
DEFAULT_WORK = Path("/work/bench-work")
DEFAULT_MIRRORS = Path("/work/.mirror")
DEFAULT_LOCALIZER = "bench.bm25_baseline:localize"
DEFAULT_BASELINES = ("strong-bm25=bench.strong_bm25:localize",)
"""Rows run beside the localizer on the same instances: the strongest simple baseline
(``bench.strong_bm25``), which any localizer should beat."""
INDEX_MARKER = "bench-index.json"
"""Written into an index directory once indexing finished: what it holds and when."""
FULL = "full"
"""The variant name of a run without ablation."""

log = logging.getLogger("bench.localize")


@dataclass(slots=True)
class InstanceRun:
    instance_id: str
    repo: str
    index_seconds: float = 0.0
    index_mode: str = ""
    prepare_seconds: float = 0.0
    localize_ms: dict[str, float] = field(default_factory=dict)
    scores: dict[str, dict[str, float | None]] = field(default_factory=dict)
    error: str | None = None


# -- instances ---------------------------------------------------------------------------------
def load_instances(path: Path, repos: Sequence[str] = (), ids: Sequence[str] = (),
                   limit: int | None = None) -> list[dict[str, Any]]:
    """Dev-set rows, filtered: ``repos`` match ``owner/name`` or just ``name``; ``ids`` are
    instance ids; ``limit`` keeps the first N after filtering (in file order)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if repos:
        wanted = set(repos)
        rows = [r for r in rows if r["repo"] in wanted or r["repo"].split("/")[1] in wanted]
    if ids:
        known = {r["instance_id"] for r in rows}
        missing = sorted(set(ids) - known)
        if missing:
            raise SystemExit(f"unknown instance ids (after --repos): {', '.join(missing)}")
        rows = [r for r in rows if r["instance_id"] in set(ids)]
    return rows[:limit] if limit is not None else rows


# -- trees and indexes ---------------------------------------------------------------------------
class Workspace:
    """Base-commit trees and their indexes under ``work``, unpacked from bare mirrors."""

    def __init__(self, work: Path, mirrors: Path) -> None:
        self.work = work
        self.mirrors = mirrors
        self._times: dict[tuple[str, str], int] = {}

    @staticmethod
    def slug(repo: str, commit: str) -> str:
        return f"{repo.replace('/', '+')}@{commit}"

    def git_dir(self, repo: str) -> Path:
        path = self.mirrors / repo.replace("/", "+") / "repo"
        if not path.is_dir():
            raise FileNotFoundError(f"no mirror of {repo} at {path}")
        return path

    def commit_time(self, repo: str, commit: str) -> int:
        key = (repo, commit)
        if key not in self._times:
            out = subprocess.run(["git", "--git-dir", str(self.git_dir(repo)), "show", "-s", "--format=%ct", commit],
                                 check=True, capture_output=True, text=True).stdout
            self._times[key] = int(out.strip())
        return self._times[key]

    def tree(self, repo: str, commit: str) -> Path:
        """The source tree at ``commit``, unpacked on first use. Blobs the mirror lacks (it may
        leave out its largest files) are left out of the tree, with a warning."""
        dest = self.work / "trees" / self.slug(repo, commit)
        if dest.is_dir():
            return dest
        partial = dest.with_name(dest.name + ".partial")
        error = self._unpack(repo, commit, partial, [])
        if error is not None:
            missing = self._missing_blobs(repo, commit)
            if not missing:
                raise RuntimeError(f"cannot unpack {repo}@{commit}: {error}")
            log.warning("%s@%s: %d file(s) missing from the mirror, left out: %s", repo, commit[:10],
                        len(missing), ", ".join(missing[:5]))
            error = self._unpack(repo, commit, partial, missing)
            if error is not None:
                raise RuntimeError(f"cannot unpack {repo}@{commit}: {error}")
        partial.rename(dest)
        return dest

    def _unpack(self, repo: str, commit: str, dest: Path, leave_out: Sequence[str]) -> str | None:
        """``git archive | tar -x`` into a fresh ``dest``; the error text, or None."""
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        pathspec = ["--", ".", *(f":(exclude,literal){path}" for path in leave_out)] if leave_out else []
        archive = subprocess.Popen(["git", "--git-dir", str(self.git_dir(repo)), "archive", "--format=tar",
                                    commit, *pathspec], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        untar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, capture_output=True)
        assert archive.stdout is not None and archive.stderr is not None
        archive.stdout.close()
        archive_error = archive.stderr.read().decode(errors="replace")
        if archive.wait() != 0 or untar.returncode != 0:
            return (archive_error or untar.stderr.decode(errors="replace")).strip()
        return None

    def _missing_blobs(self, repo: str, commit: str) -> list[str]:
        """Paths at ``commit`` whose blobs the mirror does not have."""
        git = ["git", "--git-dir", str(self.git_dir(repo))]
        listing = subprocess.run([*git, "ls-tree", "-r", "-z", commit], check=True, capture_output=True).stdout
        blobs: dict[str, str] = {}
        for entry in listing.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, path = entry.partition("\t")
            fields = meta.split()
            if len(fields) == 3 and fields[1] == "blob":
                blobs[path] = fields[2]
        check = subprocess.run([*git, "cat-file", "--batch-check"], check=True, capture_output=True,
                               input="".join(f"{sha}\n" for sha in blobs.values()).encode()).stdout.decode()
        absent = {line.split()[0] for line in check.splitlines() if line.endswith(" missing")}
        return sorted(path for path, sha in blobs.items() if sha in absent)

    def index(self, repo: str, commit: str, root: Path,
              search: SearchOptions | None = None) -> tuple[Path, str, float]:
        """The index directory of ``root`` (indexed unless already done; the graph, and the
        search indexes too with ``search``), how it was made (``reused``, ``full``,
        ``incremental from <commit>``) and the seconds it took."""
        db_dir = self.work / "index" / self.slug(repo, commit)
        if (db_dir / INDEX_MARKER).is_file():
            return db_dir, "reused", 0.0
        started = time.perf_counter()
        seed = None if db_dir.exists() else self._nearest_index(repo, commit)
        if seed is not None:
            shutil.copytree(seed, db_dir)
            (db_dir / INDEX_MARKER).unlink()
        options = IndexOptions(db_dir=db_dir, store=StoreConfig())
        search = search if search is not None else SearchOptions(enabled=False)
        try:
            report = update_index(root, options, search)[0].graph
        except Exception as exc:  # boundary: a failed incremental update falls back to a full index
            log.warning("%s@%s: incremental index failed (%s); indexing from scratch", repo, commit[:10], exc)
            report = update_index(root, replace(options, rebuild=True), search)[0].graph
            report.mode = "full (incremental failed)"
            seed = None
        (db_dir / INDEX_MARKER).write_text(json.dumps(
            {"repo": repo, "commit": commit, "time": self.commit_time(repo, commit)}), encoding="utf-8")
        mode = report.mode if seed is None else f"{report.mode} from {seed.name.rpartition('@')[2][:10]}"
        return db_dir, mode, time.perf_counter() - started

    def _nearest_index(self, repo: str, commit: str) -> Path | None:
        target = self.commit_time(repo, commit)
        best: tuple[int, str, Path] | None = None
        for marker in (self.work / "index").glob(f"{repo.replace('/', '+')}@*/{INDEX_MARKER}"):
            try:
                when = int(json.loads(marker.read_text(encoding="utf-8"))["time"])
            except (OSError, ValueError, KeyError):
                continue
            candidate = (abs(when - target), marker.parent.name, marker.parent)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        return best[2] if best is not None else None


# -- localizers ----------------------------------------------------------------------------------
Localizer = Callable[..., Any]


def resolve_localizer(spec: str) -> Localizer:
    """The callable named ``module:attribute`` (dots allowed in the attribute)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep:
        raise SystemExit(f"--localizer must be module:name, not {spec!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise SystemExit(f"{spec} is not callable")
    return target


def takes_options(localizer: Localizer) -> bool:
    """Whether the localizer accepts a fourth argument (``options``)."""
    try:
        parameters = list(inspect.signature(localizer).parameters.values())
    except (TypeError, ValueError):
        return False
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return True
    positional = [p for p in parameters
                  if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 4 or any(p.name == "options" for p in parameters)


def as_prediction(instance_id: str, result: Any) -> dict[str, Any]:
    """A prediction line from a localizer's result (a mapping or an object with the fields)."""
    line: dict[str, Any] = {"instance_id": instance_id}
    for found_field, _ in LEVELS.values():
        value = result.get(found_field) if isinstance(result, Mapping) else getattr(result, found_field, None)
        line[found_field] = [str(v) for v in (value or [])]
    return line


def variants(options: Mapping[str, str], ablate: Sequence[str] = (),
             named: Sequence[str] = ()) -> dict[str, dict[str, str]]:
    """Variant name -> options: the full run, one per ablated signal, then each ``named``
    variant (``NAME:KEY=VALUE,KEY=VALUE``: the full run's options with these changed)."""
    out = {FULL: dict(options)}
    for signal in ablate:
        out[f"ablate-{signal}"] = {**options, "ablate": signal}
    for spec in named:
        name, sep, pairs = spec.partition(":")
        if not sep or not name or name in out:
            raise SystemExit(f"--variant takes a new NAME:KEY=VALUE,..., not {spec!r}")
        out[name] = {**options, **_options(_pairs(pairs))}
    return out


def _pairs(text: str) -> list[str]:
    """``a=1,b=x,y,c=2`` -> ``a=1``, ``b=x,y``, ``c=2``: a piece without ``=`` continues the
    value before it, so values may hold commas."""
    pairs: list[str] = []
    for piece in text.split(","):
        if "=" in piece or not pairs:
            pairs.append(piece)
        else:
            pairs[-1] += "," + piece
    return pairs


# -- running -------------------------------------------------------------------------------------
def run(instances: Sequence[dict[str, Any]], workspace: Workspace, localizer: Localizer,
        runs: Mapping[str, Mapping[str, str]], out: Path,
        baselines: Mapping[str, Localizer] | None = None) -> list[InstanceRun]:
    """Localize every instance with every variant, and with each of ``baselines`` (name ->
    localizer, at its defaults) on the same trees, write predictions, and return per-instance
    scores and timings (in processing order: by repository, then commit time)."""
    baselines = dict(baselines or {})
    clash = set(baselines) & set(runs)
    if clash:
        raise SystemExit(f"baseline names {sorted(clash)} are variant names too")
    order = sorted(instances, key=lambda r: (r["repo"], workspace.commit_time(r["repo"], r["base_commit"]),
                                             r["instance_id"]))
    with_options = takes_options(localizer)
    prepare = getattr(localizer, "prepare", None)
    index_search = getattr(localizer, "index_search", None)
    search = index_search(runs[FULL]) if callable(index_search) else None
    outputs = {name: _variant_path(out, name) for name in [*runs, *baselines]}
    out.parent.mkdir(parents=True, exist_ok=True)
    handles = {name: path.open("w", encoding="utf-8") for name, path in outputs.items()}
    results: list[InstanceRun] = []
    try:
        for n, row in enumerate(order, 1):
            record = InstanceRun(row["instance_id"], row["repo"])
            results.append(record)
            try:
                root = workspace.tree(row["repo"], row["base_commit"])
                db_dir, record.index_mode, record.index_seconds = workspace.index(row["repo"], row["base_commit"], root,
                                                                                  search)
                if callable(prepare):
                    started = time.perf_counter()
                    prepare(root, db_dir, runs[FULL])
                    record.prepare_seconds = time.perf_counter() - started
            except Exception as exc:  # boundary: one broken tree never stops the run
                record.error = f"setup: {type(exc).__name__}: {exc}"
                log.exception("%s: setup failed", row["instance_id"])
                root = db_dir = Path()
            jobs = [(name, localizer, options, with_options) for name, options in runs.items()]
            jobs += [(name, baseline, {}, takes_options(baseline)) for name, baseline in baselines.items()]
            for name, job, options, passes_options in jobs:
                result: Any = {}
                if record.error is None:
                    try:
                        if job is not localizer and callable(getattr(job, "prepare", None)):
                            job.prepare(root, db_dir, options)  # type: ignore[attr-defined]
                        started = time.perf_counter()
                        args = (root, db_dir, row["problem_statement"])
                        result = job(*args, options) if passes_options else job(*args)
                        record.localize_ms[name] = (time.perf_counter() - started) * 1000
                    except Exception as exc:  # boundary: a failing localizer scores zero here
                        record.error = f"localize ({name}): {type(exc).__name__}: {exc}"
                        log.exception("%s: localize failed", row["instance_id"])
                prediction = as_prediction(row["instance_id"], result)
                handles[name].write(json.dumps(prediction) + "\n")
                handles[name].flush()
                record.scores[name] = score_instance(prediction, row)
            _progress(n, len(order), record)
    finally:
        for handle in handles.values():
            handle.close()
    return results


def score_predictions(instances: Sequence[dict[str, Any]], path: Path) -> list[InstanceRun]:
    """Per-instance scores of a predictions file (instances it lacks score zero)."""
    predictions: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            predictions[item["instance_id"]] = item
    results = []
    for row in instances:
        record = InstanceRun(row["instance_id"], row["repo"])
        record.scores[FULL] = score_instance(predictions.get(row["instance_id"], {}), row)
        results.append(record)
    return results


def _variant_path(out: Path, name: str) -> Path:
    return out if name == FULL else out.with_name(f"{out.stem}.{name}{out.suffix}")


def _progress(n: int, total: int, record: InstanceRun) -> None:
    scores = record.scores.get(FULL, {})
    shown = " ".join(f"{c.short}={_fmt(scores.get(c.name))}" for c in REPORTED if c.metric == "acc" and c.k == 5)
    timing = (f"index {record.index_seconds:.1f}s ({record.index_mode}) prepare {record.prepare_seconds:.1f}s "
              f"localize {record.localize_ms.get(FULL, 0.0):.0f}ms")
    print(f"[{n}/{total}] {record.instance_id}: {timing} {shown}"
          + (f" ERROR {record.error}" if record.error else ""), file=sys.stderr, flush=True)


# -- summarising ---------------------------------------------------------------------------------
def summarize(results: Sequence[InstanceRun]) -> dict[str, Any]:
    """Means overall and per repository for every variant, latency and index timings."""
    names = list(results[0].scores) if results else [FULL]
    summary: dict[str, Any] = {"instances": len(results), "errors": sum(1 for r in results if r.error),
                               "variants": {}}
    for name in names:
        rows = [r for r in results if name in r.scores]
        per_repo = {}
        for repo in sorted({r.repo for r in rows}):
            mine = [r for r in rows if r.repo == repo]
            per_repo[repo] = {"n": len(mine), **average(r.scores[name] for r in mine)}
        latency = [r.localize_ms[name] for r in rows if name in r.localize_ms]
        summary["variants"][name] = {
            "overall": {"n": len(rows), **average(r.scores[name] for r in rows)},
            "per_repo": per_repo,
            "localize_ms": {"median": percentile(latency, 50), "p95": percentile(latency, 95)},
        }
    indexed = [r.index_seconds for r in results if r.index_mode and r.index_mode != "reused"]
    prepared = [r.prepare_seconds for r in results if r.prepare_seconds]
    summary["index_seconds"] = {"count": len(indexed), "total": sum(indexed),
                                "median": percentile(indexed, 50), "p95": percentile(indexed, 95)}
    summary["prepare_seconds"] = {"median": percentile(prepared, 50), "p95": percentile(prepared, 95)}
    summary["per_instance"] = [
        {"instance_id": r.instance_id, "repo": r.repo, "index_mode": r.index_mode,
         "index_seconds": round(r.index_seconds, 3), "prepare_seconds": round(r.prepare_seconds, 3),
         "localize_ms": {k: round(v, 2) for k, v in r.localize_ms.items()}, "error": r.error,
         "scores": r.scores} for r in results]
    return summary


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def format_table(summary: Mapping[str, Any]) -> str:
    """The headline table (percentages; MRR x 100) of the full run, per repository, then one
    overall row per variant."""
    heads = ["", "n", *(c.short for c in REPORTED)]
    full = summary["variants"][FULL]
    body = [["all", str(full["overall"]["n"]), *(_fmt(full["overall"][c.name]) for c in REPORTED)]]
    body += [[repo.split("/")[1], str(v["n"]), *(_fmt(v[c.name]) for c in REPORTED)]
             for repo, v in full["per_repo"].items()]
    lines = _columns([heads, *body])
    latency = full["localize_ms"]
    if latency["median"] is not None:
        lines.append(f"localize latency: median {latency['median']:.1f} ms, p95 {latency['p95']:.1f} ms")
    prepare = summary["prepare_seconds"]
    if prepare["median"] is not None:
        lines.append(f"prepare (per tree): median {prepare['median']:.2f} s, p95 {prepare['p95']:.2f} s")
    index = summary["index_seconds"]
    if index["count"]:
        lines.append(f"indexing: {index['count']} trees, {index['total']:.0f} s in all, "
                     f"median {index['median']:.1f} s, p95 {index['p95']:.1f} s")
    if summary["errors"]:
        lines.append(f"errors: {summary['errors']} instances (see --json per_instance)")
    if len(summary["variants"]) > 1:
        rows = [[name, str(v["overall"]["n"]), *(_fmt(v["overall"][c.name]) for c in REPORTED)]
                for name, v in summary["variants"].items()]
        lines += ["", *_columns([heads, *rows])]
    return "\n".join(lines)


def _columns(rows: Iterable[Sequence[str]]) -> list[str]:
    rows = list(rows)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                      for i, (cell, w) in enumerate(zip(r, widths, strict=True))) for r in rows]


# -- command line --------------------------------------------------------------------------------
def _options(pairs: Sequence[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--opt takes key=value, not {pair!r}")
        options[key] = value
    return options


def _baselines(specs: Sequence[str], localizer: str) -> dict[str, str]:
    """Baseline name -> ``module:callable`` from ``NAME=module:callable`` arguments, leaving out
    ``none`` and a baseline that is the localizer itself."""
    out: dict[str, str] = {}
    for spec in specs:
        if spec == "none":
            continue
        name, sep, target = spec.partition("=")
        if not sep or not name or ":" not in target:
            raise SystemExit(f"--baseline takes NAME=module:callable, not {spec!r}")
        if target != localizer:
            out[name] = target
    return out


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="the dev set (JSON lines)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="trees, indexes and predictions go here")
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS, help="bare mirrors: <owner>+<name>/repo")
    parser.add_argument("--localizer", default=DEFAULT_LOCALIZER, help="module:callable")
    parser.add_argument("--opt", action="append", default=[], metavar="KEY=VALUE", help="localizer option")
    parser.add_argument("--ablate", help="comma-separated signals: one extra run each, options['ablate']=signal")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:KEY=VALUE,...",
                        help="one extra run with these options changed (repeatable)")
    parser.add_argument("--baseline", action="append", metavar="NAME=module:callable",
                        help="a baseline row run on the same trees (repeatable; 'none' for none; "
                             f"default: {', '.join(DEFAULT_BASELINES)})")
    parser.add_argument("--repos", help="comma-separated owner/name or name")
    parser.add_argument("--instances", help="comma-separated instance ids")
    parser.add_argument("--limit", type=int, help="only the first N instances (after filters)")
    parser.add_argument("--out", type=Path, help="predictions file (default: WORK/predictions.jsonl)")
    parser.add_argument("--from-predictions", type=Path, help="score this predictions file; run nothing")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary on stdout")
    parser.add_argument("--cv", action="store_true",
                        help="also report the learned fusion cross-validated by repository (bench/learn_fusion.py) "
                             "beside the hand-set one and the baselines; the localizer must take dump=DIR")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")

    instances = load_instances(args.dev, _split(args.repos), _split(args.instances), args.limit)
    if not instances:
        raise SystemExit("no instances selected")
    if args.from_predictions:
        results = score_predictions(instances, args.from_predictions)
        meta: dict[str, Any] = {"predictions": str(args.from_predictions)}
    else:
        out = args.out or args.work / "predictions.jsonl"
        options = _options(args.opt)
        if args.cv:  # the plain rows are the hand-set fusion; the learned one is cross-validated
            options = {**options, "fusion": "hand"}
        runs = variants(options, _split(args.ablate), args.variant)
        if args.cv:
            runs[FULL]["dump"] = str(_dump_dir(args))
        elif "repolens_localizer" in args.localizer and runs[FULL].get("fusion", "learned") == "learned":
            log.warning("the shipped fusion model was trained on the dev set: on it these figures are in-sample; "
                        "--cv gives figures cross-validated by repository")
        baselines = _baselines(args.baseline if args.baseline is not None else list(DEFAULT_BASELINES),
                               args.localizer)
        results = run(instances, Workspace(args.work, args.mirrors), resolve_localizer(args.localizer), runs, out,
                      {name: resolve_localizer(spec) for name, spec in baselines.items()})
        meta = {"localizer": args.localizer, "options": runs[FULL], "ablate": _split(args.ablate),
                "baselines": baselines,
                "predictions": {name: str(_variant_path(out, name)) for name in [*runs, *baselines]}}
    summary = {**meta, **summarize(results)}
    if args.cv:
        from bench.learn_fusion import load, render, report

        strong = _variant_path(args.out or args.work / "predictions.jsonl", "strong-bm25")
        summary["cross_validated"] = report(load(_dump_dir(args), args.dev), strong)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_table(summary))
        if args.cv:
            print("\ncross-validated by repository (each repository scored by a model trained on the others):")
            print(render(summary["cross_validated"]))
    return 0


def _dump_dir(args: argparse.Namespace) -> Path:
    """Where ``--cv`` has the localizer dump its candidates: one folder per dev set."""
    return Path(args.work) / "dump" / Path(args.dev).stem


if __name__ == "__main__":
    sys.exit(main())
