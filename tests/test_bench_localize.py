"""The localization bench end to end on a made-up repository: trees from a bare mirror,
incremental indexes seeded from the nearest commit, the BM25 baseline, a plugged-in
localizer with options and ablation variants, and the predictions and scores written."""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from bench.bm25_baseline import BM25Localizer, UnitTable, is_test_path, rank_locations
from bench.localize import main, takes_options
from indexer.model import NodeKind
from indexer.pipeline import IndexOptions, index_repository
from indexer.search.units import CodeUnit

SHAPES_V1 = '''
    class Canvas:
        def __init__(self, width):
            self.width = width

        def draw_circle(self, radius):
            """Draw a circle of the given radius on the canvas."""
            def clip(value):
                return min(value, self.width)
            return clip(radius)

        class Palette:
            def pick_colour(self, name):
                return name


    def export_svg(canvas):
        """Write the canvas as an SVG document."""
        return "<svg/>"
    '''
SHAPES_V2 = SHAPES_V1 + '''

    def export_png(canvas, dpi):
        """Rasterise the canvas to a PNG image at the given dpi."""
        return b"png"
    '''
TESTS = '''
    def test_draw_circle_radius():
        assert draw_circle(3)
    '''


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def mirrors(tmp_path: Path) -> tuple[Path, list[str]]:
    """A bare mirror of ``acme/shapes`` with two commits, under ``<mirrors>/acme+shapes/repo``."""
    work = tmp_path / "src"
    work.mkdir()
    _git("init", "-q", cwd=work)
    commits = []
    for n, text in enumerate([SHAPES_V1, SHAPES_V2], 1):
        (work / "shapes").mkdir(exist_ok=True)
        (work / "shapes/canvas.py").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        (work / "tests").mkdir(exist_ok=True)
        (work / "tests/test_canvas.py").write_text(textwrap.dedent(TESTS).lstrip(), encoding="utf-8")
        (work / "data.bin").write_bytes(b"a large file the mirror leaves out\n")
        _git("add", "-A", cwd=work)
        env_date = f"2020-01-0{n}T00:00:00"
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", f"v{n}",
                        "--date", env_date], cwd=work, check=True,
                       env={"GIT_COMMITTER_DATE": env_date, "PATH": "/usr/bin:/bin"})
        commits.append(_git("rev-parse", "HEAD", cwd=work))
    root = tmp_path / "mirrors"
    (root / "acme+shapes").mkdir(parents=True)
    mirror = root / "acme+shapes/repo"
    _git("clone", "-q", "--bare", str(work), str(mirror), cwd=tmp_path)
    # a local clone keeps loose objects: drop one blob, as a mirror without its largest files
    blob = _git("rev-parse", f"{commits[0]}:data.bin", cwd=work)
    (mirror / "objects" / blob[:2] / blob[2:]).unlink()
    return root, commits


def _dev(path: Path, commits: list[str]) -> Path:
    rows = [
        {"instance_id": "acme__shapes-1", "repo": "acme/shapes", "base_commit": commits[0],
         "problem_statement": "draw_circle ignores the radius when it exceeds the canvas width",
         "gold_files": ["shapes/canvas.py"], "gold_modules": ["shapes/canvas.py:Canvas"],
         "gold_functions": ["shapes/canvas.py:Canvas.draw_circle"]},
        {"instance_id": "acme__shapes-2", "repo": "acme/shapes", "base_commit": commits[1],
         "problem_statement": "export_png writes an empty image whatever the dpi",
         "gold_files": ["shapes/canvas.py"], "gold_modules": ["shapes/canvas.py:export_png"],
         "gold_functions": ["shapes/canvas.py:export_png"]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_bm25_baseline_end_to_end(tmp_path: Path, mirrors: tuple[Path, list[str]],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    mirror_root, commits = mirrors
    dev = _dev(tmp_path / "dev.jsonl", commits)
    work = tmp_path / "work"
    out = tmp_path / "pred.jsonl"
    args = ["--dev", str(dev), "--work", str(work), "--mirrors", str(mirror_root), "--out", str(out),
            "--opt", "tests=exclude", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    overall = summary["variants"]["full"]["overall"]
    assert overall["n"] == 2
    assert overall["file_acc@1"] == 1.0
    assert overall["function_acc@1"] == 1.0
    assert overall["module_acc@1"] == 1.0
    modes = {r["instance_id"]: r["index_mode"] for r in summary["per_instance"]}
    assert modes == {"acme__shapes-1": "full", "acme__shapes-2": f"incremental from {commits[0][:10]}"}

    predictions = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [p["instance_id"] for p in predictions] == ["acme__shapes-1", "acme__shapes-2"]
    assert predictions[1]["found_entities"][0] == "shapes/canvas.py:export_png"
    assert all(not is_test_path(f) for p in predictions for f in p["found_files"])
    tree = work / "trees" / f"acme+shapes@{commits[1]}"
    assert (tree / "shapes/canvas.py").is_file()
    assert not (tree / "data.bin").exists()  # its blob is missing from the mirror

    # the strong lexical baseline runs beside it on the same trees, as its own row
    assert summary["baselines"] == {"strong-bm25": "bench.strong_bm25:localize"}
    strong = summary["variants"]["strong-bm25"]["overall"]
    assert strong["n"] == 2 and strong["function_acc@5"] == 1.0
    baseline_predictions = [json.loads(line) for line in (tmp_path / "pred.strong-bm25.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert baseline_predictions[1]["found_entities"][0] == "shapes/canvas.py:export_png"

    # a second run reuses trees and indexes
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert {r["index_mode"] for r in summary["per_instance"]} == {"reused"}

    # scoring a predictions file alone gives the same figures
    assert main(["--dev", str(dev), "--from-predictions", str(out), "--json"]) == 0
    rescored = json.loads(capsys.readouterr().out)
    assert rescored["variants"]["full"]["overall"] == summary["variants"]["full"]["overall"]


CALLS: list[tuple[str, dict[str, str]]] = []


def recording_localizer(root: Path, db_dir: Path, issue_text: str, options: Mapping[str, str]) -> dict[str, list[str]]:
    """A plug-in that answers from its options, to check what the bench passes."""
    CALLS.append((issue_text[:10], dict(options)))
    if options.get("ablate") == "all":
        return {}
    return {"found_files": ["shapes/canvas.py"], "found_modules": ["shapes/canvas.py:Canvas"],
            "found_entities": ["shapes/canvas.py:Canvas.__init__"]}


def test_plugged_localizer_options_and_ablation(tmp_path: Path, mirrors: tuple[Path, list[str]],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    mirror_root, commits = mirrors
    dev = _dev(tmp_path / "dev.jsonl", commits)
    out = tmp_path / "pred.jsonl"
    CALLS.clear()
    assert main(["--dev", str(dev), "--work", str(tmp_path / "work"), "--mirrors", str(mirror_root),
                 "--out", str(out), "--instances", "acme__shapes-1",
                 "--localizer", "test_bench_localize:recording_localizer",
                 "--opt", "depth=7", "--ablate", "all", "--variant", "deep:depth=9,kinds=function,class,agg=sum"]) == 0
    table = capsys.readouterr().out
    assert CALLS == [("draw_circl", {"depth": "7"}), ("draw_circl", {"depth": "7", "ablate": "all"}),
                     ("draw_circl", {"depth": "9", "kinds": "function,class", "agg": "sum"})]
    assert out.is_file() and (tmp_path / "pred.ablate-all.jsonl").is_file() and (tmp_path / "pred.deep.jsonl").is_file()
    lines = table.splitlines()
    assert lines[0].split() == ["n", "F@1", "F@3", "F@5", "F@10", "M@5", "M@10", "Fn@5", "Fn@10", "F-MRR", "Fn-MRR"]
    assert lines[1].split()[:4] == ["all", "1", "100.0", "100.0"]
    assert [line.split()[0] for line in lines if line.startswith(("full", "ablate-", "deep"))] == [
        "full", "ablate-all", "deep"]
    assert next(line for line in lines if line.startswith("ablate-all")).split()[2] == "0.0"


def test_takes_options() -> None:
    def three(root: Path, db_dir: Path, issue_text: str) -> dict[str, list[str]]:
        return {}

    assert not takes_options(three)
    assert takes_options(recording_localizer)
    assert takes_options(BM25Localizer())


def _unit(unit_id: str, kind: NodeKind) -> CodeUnit:
    path, _, qualname = unit_id.partition("::")
    return CodeUnit(unit_id, kind, path, qualname.partition("#")[0], 1, 1, "")  # as the indexer names them


def test_units_map_to_bench_entities() -> None:
    table = UnitTable([
        _unit("m.py", NodeKind.FILE),
        _unit("m.py::C", NodeKind.CLASS),
        _unit("m.py::C.__init__", NodeKind.METHOD),
        _unit("m.py::C.run", NodeKind.METHOD),
        _unit("m.py::C.run.helper", NodeKind.FUNCTION),
        _unit("m.py::C.Inner", NodeKind.CLASS),
        _unit("m.py::C.Inner.go", NodeKind.METHOD),
        _unit("m.py::f", NodeKind.FUNCTION),
        _unit("m.py::f.g", NodeKind.FUNCTION),
        _unit("m.py::f#2", NodeKind.FUNCTION),
    ])
    assert {u: table.entity(u) for u in table.by_id} == {
        "m.py": None, "m.py::C": "m.py:C", "m.py::C.__init__": "m.py:C", "m.py::C.run": "m.py:C.run",
        "m.py::C.run.helper": "m.py:C.run", "m.py::C.Inner": "m.py:C", "m.py::C.Inner.go": "m.py:C",
        "m.py::f": "m.py:f", "m.py::f.g": "m.py:f", "m.py::f#2": "m.py:f",
    }


def test_rank_locations_aggregates() -> None:
    table = UnitTable([_unit("a.py::K", NodeKind.CLASS), _unit("b.py::w", NodeKind.FUNCTION),
                       *(_unit(f"a.py::K.{m}", NodeKind.METHOD) for m in ("x", "y", "z", "t"))])
    scored = [("b.py::w", 5.0), ("a.py::K.x", 4.0), ("a.py::K.y", 3.0), ("a.py::K.x", 2.5), ("a.py::K.z", 1.0),
              ("a.py::K.t", 1.0)]
    assert rank_locations(scored, table, "max").found_files == ["b.py", "a.py"]
    assert rank_locations(scored, table, "sum").found_files == ["a.py", "b.py"]  # 4 + 3 + 1 + 1
    assert rank_locations(scored, table, "sum3").found_modules == ["a.py:K", "b.py:w"]  # 4 + 3 + 1
    # an entity's repeats count once, at its best score
    assert rank_locations(scored, table, "max").found_entities == [
        "b.py:w", "a.py:K.x", "a.py:K.y", "a.py:K.z", "a.py:K.t"]
    assert rank_locations(scored, table, "max", limit=2).found_entities == ["b.py:w", "a.py:K.x"]
    assert rank_locations([("b.py::w", 1.0), ("a.py::K.x", 1.0)], table, "sum").found_files == ["b.py", "a.py"]


def test_strong_bm25_stems_and_ranks_files_by_their_best_function(tmp_path: Path) -> None:
    from bench.strong_bm25 import Stems, StrongBM25

    assert Stems()(["exceeds", "exceeded", "rasterising", "dpi"]) == ["exceed", "exceed", "rasteris", "dpi"]
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    # many weak matches in one long file, one strong match in another
    (root / "pkg" / "long.py").write_text("".join(f"def helper_{n}(colour):\n    return colour\n\n\n"
                                                  for n in range(30)), encoding="utf-8")
    (root / "pkg" / "paint.py").write_text("def repaint_colours(canvas, colours):\n"
                                           "    \"\"\"Repaint the canvas in the colours given.\"\"\"\n"
                                           "    return [canvas.fill(c) for c in colours]\n", encoding="utf-8")
    db = tmp_path / "db"
    index_repository(root, IndexOptions(db_dir=db))
    found = StrongBM25()(root, db, "Repainting the canvas ignores the colours", {})
    assert found.found_files[:2] == ["pkg/paint.py", "pkg/long.py"]
    assert found.found_entities[0] == "pkg/paint.py:repaint_colours"
    assert StrongBM25()(root, db, "nothing here matches zzz", {}).found_files == []


def test_cross_validated_by_repository(tmp_path: Path, mirrors: tuple[Path, list[str]],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """``--cv``: the repolens localizer dumps its candidates, and the learned fusion is scored
    on each repository by a model trained on the other, beside the hand-set one and BM25."""
    mirror_root, commits = mirrors
    (mirror_root / "acme+drawing").mkdir()
    _git("clone", "-q", "--bare", str(mirror_root / "acme+shapes/repo"), str(mirror_root / "acme+drawing/repo"),
         cwd=tmp_path)
    rows = [json.loads(line) for line in _dev(tmp_path / "one.jsonl", commits).read_text().splitlines()]
    twins = [{**r, "repo": "acme/drawing", "instance_id": r["instance_id"].replace("shapes", "drawing"),
              "problem_statement": r["problem_statement"] + " (drawing)"} for r in rows]
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(r) + "\n" for r in rows + twins), encoding="utf-8")
    work = tmp_path / "work"
    assert main(["--dev", str(dev), "--work", str(work), "--mirrors", str(mirror_root),
                 "--out", str(tmp_path / "pred.jsonl"), "--localizer", "bench.repolens_localizer:localize",
                 "--opt", "dense=0", "--cv", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["options"]["fusion"] == "hand"
    assert len(list((work / "dump" / "dev").glob("*.npz"))) == 4
    cv = summary["cross_validated"]
    assert set(cv) == {"hand", "learned (grouped CV)", "strong-bm25"}
    for row in cv.values():
        assert row["all"]["n"] == 4 and row["shapes"]["n"] == row["drawing"]["n"] == 2
    # the hand-set row rebuilt from the dumped candidates is the plain run's own figure
    assert cv["hand"]["all"]["file_acc@1"] == summary["variants"]["full"]["overall"]["file_acc@1"]
