"""A localization dev set from a repository's real fix commits, for languages the SWE-bench
dev set does not cover: each fix commit becomes an instance in the dev set's format.

    python bench/make_devset.py MIRROR OWNER/NAME [--count 30] [--since 2023-01-01] > dev-NAME.jsonl

Commits are taken newest first along the first-parent history: not merges, a subject that
says it fixes something (``fix:``, ``fix(scope):``, ``Fix ...``, ``fixes #N``), and changes to
1-3 of the project's own source files in a language repolens indexes (test, documentation,
example and vendored files by ``indexer.search.units.path_role`` are left out and do not
count). The text is the commit message without its trailing pull-request number (the linked
issue is not available offline); the base commit is the parent. The gold is derived from the
diff as the dev set's README defines it: the functions and methods whose lines (in the parent's
version of the file) the fix changes, found with repolens' own extractor; an edit between
definitions counts for the class around it, else nothing; an edit in a constructor counts as
its class. A commit whose edits touch no definition is skipped.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bm25_baseline import bench_entity
from indexer.extract import Extractor
from indexer.languages import get_language, languages_by_extension
from indexer.model import NodeKind
from indexer.search.units import CodeRole, path_role

FIX_SUBJECT = re.compile(r"^(?:fix(?:\([^)]*\))?!?:|fix(?:es|ed)?\b)", re.I)
PR_SUFFIX = re.compile(r"\s*\(#\d+\)\s*$")
HUNK = re.compile(r"^@@ -(?P<start>\d+)(?:,(?P<count>\d+))? \+\d+(?:,\d+)? @@", re.M)


def git(mirror: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(mirror), *args], capture_output=True, text=True, check=True,
                          errors="replace").stdout


def candidates(mirror: Path, since: str) -> Iterator[tuple[str, str, str]]:
    """(commit, parent, message) of fix commits, newest first."""
    log = git(mirror, "log", "--first-parent", "--no-merges", f"--since={since}", "--format=%H%x00%P%x00%B%x01")
    for record in log.split("\x01"):
        fields = record.strip("\n").split("\x00")
        if len(fields) != 3 or not fields[1]:
            continue
        commit, parents, message = fields
        if FIX_SUBJECT.match(message.strip()):
            yield commit, parents.split()[0], message.strip()


def changed_lines(mirror: Path, parent: str, commit: str, path: str) -> list[tuple[int, int]]:
    """Old-side line ranges each hunk changes (a pure insertion: the line it follows)."""
    diff = git(mirror, "diff", "-U0", parent, commit, "--", path)
    out = []
    for m in HUNK.finditer(diff):
        start, count = int(m.group("start")), int(m.group("count") or "1")
        out.append((start, start + count - 1) if count else (start, start))
    return out


def gold_of(mirror: Path, parent: str, commit: str, path: str, extractors: dict[str, Extractor]) -> list[str]:
    """``path:qualname`` of the definitions the fix changes in ``path``."""
    language = languages_by_extension().get(Path(path).suffix)
    if language is None:
        return []
    try:
        source = git(mirror, "show", f"{parent}:{path}").encode("utf-8")
    except subprocess.CalledProcessError:
        return []  # a new file: no definition of the parent changes
    if language not in extractors:
        extractors[language] = Extractor(get_language(language))
    defs = extractors[language].extract(path, source).defs
    kinds = {d.qualname: d.kind for d in defs}
    found: list[str] = []
    for start, end in changed_lines(mirror, parent, commit, path):
        inner = [d for d in defs if d.start_line <= end and start <= d.end_line]
        functions = [d for d in inner if d.kind in ("function", "method")]
        chosen = functions or [d for d in inner if d.kind == "class"]
        for d in chosen:
            # the innermost definitions only: a nested function counts, not every function around it
            if any(o is not d and o.start_line >= d.start_line and o.end_line <= d.end_line and
                   o.kind in ("function", "method") and o.start_line <= end and start <= o.end_line for o in chosen):
                continue
            entity = bench_entity(path, d.qualname, lambda q: NodeKind(kinds[q]) if q in kinds else None)
            if entity not in found:
                found.append(entity)
    return found


def instances(mirror: Path, repo: str, count: int, since: str) -> Iterator[dict[str, object]]:
    extractors: dict[str, Extractor] = {}
    made = 0
    for commit, parent, message in candidates(mirror, since):
        files = [f for f in git(mirror, "diff", "--name-only", parent, commit).split("\n") if f]
        source = [f for f in files if Path(f).suffix in languages_by_extension()]
        own = [f for f in source if path_role(f) == CodeRole.CODE]
        if not 1 <= len(own) <= 3:
            continue
        functions = [e for f in own for e in gold_of(mirror, parent, commit, f, extractors)]
        if not functions:
            continue
        subject, _, body = message.partition("\n")
        text = (PR_SUFFIX.sub("", subject.strip()) + ("\n\n" + body.strip() if body.strip() else "")).strip()
        name = repo.split("/")[-1]
        yield {"instance_id": f"{repo.replace('/', '__')}-{commit[:10]}", "repo": repo, "base_commit": parent,
               "problem_statement": text, "patch": "", "gold_files": sorted({e.split(':')[0] for e in functions}),
               "gold_functions": functions,
               "gold_modules": list(dict.fromkeys(f"{e.split(':')[0]}:{e.split(':')[1].split('.')[0]}"
                                                  for e in functions)),
               "source": f"fix commit {commit} of {name}"}
        made += 1
        if made >= count:
            return


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mirror", type=Path, help="a bare mirror (the fetch tool's .../repo)")
    parser.add_argument("repo", help="owner/name")
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--since", default="2023-01-01")
    args = parser.parse_args(argv)
    for row in instances(args.mirror, args.repo, args.count, args.since):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
