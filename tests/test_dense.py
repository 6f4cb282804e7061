"""Dense retrieval with the real packaged model on a small repository built here, and the
import-without-backend path in a subprocess that cannot import torch, sentence-transformers or
faiss."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from indexer.model import NodeKind
from indexer.pipeline import GRAPH_FILE, IndexOptions, index_repository
from indexer.search.dense import (
    CACHE_FILE,
    DenseIndex,
    DenseIndexError,
    DenseUnavailable,
    Embedder,
    EmbeddingCache,
    default_cache_path,
    dense_available,
    load_or_build,
)
from indexer.search.units import CodeUnit, build_units, is_test_path, is_vendored_path
from indexer.store.kuzu_store import KuzuStore

AVAILABLE, WHY = dense_available()
needs_model = pytest.mark.skipif(not AVAILABLE, reason=f"dense retrieval unavailable: {WHY}")
ROOT = Path(__file__).resolve().parent.parent

SOURCES = {
    "web/urls.py": '''
        """Helpers for web addresses."""
        from urllib.parse import urlsplit, urlunsplit


        def endpoint(base, *segments):
            """Parse the base URL and append the path segments to its path."""
            scheme, netloc, path, query, fragment = urlsplit(base)
            for segment in segments:
                path = path.rstrip("/") + "/" + segment.strip("/")
            return urlunsplit((scheme, netloc, path, query, fragment))


        def is_secure(url):
            """Whether the address uses TLS."""
            return urlsplit(url).scheme == "https"
        ''',
    "storage/files.py": '''
        """Local files."""
        import os


        def read_text(folder, name):
            """Read a text file from a folder."""
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                return f.read()


        def remove_tree(folder):
            for entry in os.scandir(folder):
                os.remove(entry.path)
        ''',
    "mail/send.py": '''
        import smtplib


        class Mailer:
            """Sends e-mail through an SMTP relay."""

            def __init__(self, host):
                self.host = host

            def send(self, sender, recipient, body):
                """Deliver one message."""
                with smtplib.SMTP(self.host) as smtp:
                    smtp.sendmail(sender, [recipient], body)
        ''',
    "auth/passwords.py": '''
        import hashlib
        import os


        def hash_password(password, salt=None):
            """Derive a salted hash of a password for storage."""
            salt = salt or os.urandom(16)
            return salt + hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100_000)
        ''',
    "numeric/matrix.py": '''
        class Matrix:
            """A dense matrix of floats."""

            def __init__(self, rows):
                self.rows = rows

            def multiply(self, other):
                """Matrix product."""
                cols = list(zip(*other.rows))
                return Matrix([[sum(a * b for a, b in zip(r, c)) for c in cols] for r in self.rows])
        ''',
    "report/dates.py": '''
        import datetime


        def format_day(value: datetime.date) -> str:
            """Format a date as day, month name and year."""
            return value.strftime("%d %B %Y")
        ''',
    "tests/test_urls.py": '''
        from web.urls import endpoint


        def test_endpoint_joins_segments():
            assert endpoint("https://h/a/", "b", "/c") == "https://h/a/b/c"
        ''',
}
TEST_UNITS = 2  # the test file and its function
URL_FUNCTION = "web/urls.py::endpoint"
QUERY = "parsing a url and joining paths"


def write_repo(root: Path) -> Path:
    for rel, text in SOURCES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def units_of(root: Path, db_dir: Path) -> list[CodeUnit]:
    index_repository(root, IndexOptions(db_dir=db_dir))
    with KuzuStore(db_dir / GRAPH_FILE, read_only=True) as store:
        graph = store.dump()
    return build_units(root, graph)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    """One model for the module: loading it is the slow part."""
    return Embedder()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    return write_repo(tmp_path / "repo"), tmp_path / "idx"


@needs_model
def test_query_ranks_the_url_function_first(repo: tuple[Path, Path], embedder: Embedder,
                                            tmp_path: Path) -> None:
    units = units_of(*repo)
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
        dense, stats = DenseIndex.build(units, embedder=embedder, cache=cache)
    assert (stats.units, stats.embedded, stats.cached, stats.skipped) == (len(units), len(units), 0, 0)
    assert stats.dimension == dense.dimension == 384
    hits = dense.search(QUERY, k=5)
    assert hits[0][0] == URL_FUNCTION, hits
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert dense.search(QUERY, k=3, kinds=[NodeKind.FUNCTION, NodeKind.METHOD])[0][0] == URL_FUNCTION
    classes = dense.search(QUERY, k=10, kinds=["class"])
    assert {i for i, _ in classes} == {"mail/send.py::Mailer", "numeric/matrix.py::Matrix"}
    scores = dense.scores(QUERY)
    assert dense.ids[int(scores.argmax())] == URL_FUNCTION
    assert scores[dense.ids.index(URL_FUNCTION)] == pytest.approx(hits[0][1], abs=1e-5)


@needs_model
def test_second_build_is_all_cache_hits_and_an_edit_embeds_one_unit(
        repo: tuple[Path, Path], embedder: Embedder, tmp_path: Path) -> None:
    root, db_dir = repo
    units = units_of(root, db_dir)
    cache_path = tmp_path / "cache.sqlite"
    with EmbeddingCache(cache_path) as cache:
        first, _ = DenseIndex.build(units, embedder=embedder, cache=cache)
    fresh = Embedder()
    with EmbeddingCache(cache_path) as cache:  # a new process would open the file like this
        again, stats = DenseIndex.build(units, embedder=fresh, cache=cache)
        assert (stats.embedded, stats.cached) == (0, len(units))
        assert not fresh.loaded
        assert cache.count(embedder.model_id) == len(units)
    assert again.ids == first.ids and again.digests == first.digests

    path = root / "report/dates.py"
    path.write_text(path.read_text().replace('"%d %B %Y"', '"%Y-%m-%d"'), encoding="utf-8")
    edited = units_of(root, db_dir)
    changed = {u.id for u in edited if (u.id, u.digest) not in {(v.id, v.digest) for v in units}}
    assert changed == {"report/dates.py::format_day"}
    with EmbeddingCache(cache_path) as cache:
        _, stats = DenseIndex.build(edited, embedder=embedder, cache=cache)
    assert (stats.embedded, stats.cached) == (1, len(edited) - 1)


@needs_model
def test_tests_can_be_left_out(repo: tuple[Path, Path], embedder: Embedder, tmp_path: Path) -> None:
    units = units_of(*repo)
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
        dense, stats = DenseIndex.build(units, embedder=embedder, cache=cache, include_tests=False)
    assert (stats.units, stats.embedded, stats.skipped) == (len(units) - TEST_UNITS, len(units) - TEST_UNITS,
                                                            TEST_UNITS)
    assert not any(i.startswith("tests/") for i in dense.ids)
    every = [u.id for u in units]
    aligned = dense.scores(QUERY, every)
    own = dict(zip(dense.ids, dense.scores(QUERY).tolist(), strict=True))
    assert aligned.tolist() == [own.get(i, 0.0) for i in every]
    assert aligned[every.index("tests/test_urls.py::test_endpoint_joins_segments")] == 0.0


@needs_model
def test_ids_and_results_are_deterministic(repo: tuple[Path, Path], embedder: Embedder,
                                           tmp_path: Path) -> None:
    units = units_of(*repo)
    results = []
    for n in range(2):
        with EmbeddingCache(tmp_path / f"cache{n}.sqlite") as cache:
            dense, _ = DenseIndex.build(reversed(units), embedder=embedder, cache=cache)
        assert dense.ids == sorted(u.id for u in units)
        results.append(dense.search(QUERY, k=len(dense)))
    assert [i for i, _ in results[0]] == [i for i, _ in results[1]]
    assert [s for _, s in results[0]] == pytest.approx([s for _, s in results[1]], abs=1e-5)


@needs_model
def test_equal_scores_are_ordered_by_id(embedder: Embedder, tmp_path: Path) -> None:
    text = "def join_url(base, path):\n    return base + '/' + path\n"
    units = [CodeUnit(f"m{n}.py::join_url", NodeKind.FUNCTION, f"m{n}.py", "join_url", 1, 2, text)
             for n in (3, 1, 2)]
    units.append(CodeUnit("a.py::other", NodeKind.FUNCTION, "a.py", "other", 1, 2, "def other(): pass"))
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
        dense, stats = DenseIndex.build(units, embedder=embedder, cache=cache)
    assert stats.embedded == 2  # the three equal texts share one digest
    hits = dense.search("join a url", k=2)
    assert [i for i, _ in hits] == ["m1.py::join_url", "m2.py::join_url"]
    assert hits[0][1] == hits[1][1]


@needs_model
def test_saved_index_reloads_with_the_same_results(repo: tuple[Path, Path], embedder: Embedder,
                                                   tmp_path: Path) -> None:
    root, db_dir = repo
    units = units_of(root, db_dir)
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
        built, stats = load_or_build(db_dir, units, embedder=embedder, cache=cache)
        assert not stats.reused and stats.embedded == len(units)
        assert (db_dir / "vectors.npy").is_file() and (db_dir / "dense.json").is_file()
        loaded = DenseIndex.load(db_dir)  # its own embedder, for the model it was built with
        assert loaded.ids == built.ids and loaded.kinds == built.kinds
        assert loaded.model_id == built.model_id == embedder.model_id
        before, after = built.search(QUERY, k=len(units)), loaded.search(QUERY, k=len(units))
        assert [i for i, _ in after] == [i for i, _ in before]
        assert [s for _, s in after] == pytest.approx([s for _, s in before], abs=1e-5)
        again, stats = load_or_build(db_dir, units, embedder=embedder, cache=cache)
        assert stats.reused and stats.embedded == 0 and again.ids == built.ids
        rebuilt, stats = load_or_build(db_dir, units, embedder=embedder, cache=cache, include_tests=False)
        assert not stats.reused and stats.embedded == 0 and stats.skipped == TEST_UNITS
        assert len(rebuilt) == len(DenseIndex.load(db_dir)) == len(units) - TEST_UNITS
    with pytest.raises(DenseIndexError, match="built with"):
        DenseIndex.load(db_dir, Embedder(max_seq_length=64))
    with pytest.raises(DenseIndexError, match="no dense index"):
        DenseIndex.load(tmp_path / "nowhere")


@pytest.mark.parametrize(("path", "expected"), [
    ("tests/test_urls.py", True), ("pkg/tests/helpers.py", True), ("pkg/test/data.py", True),
    ("src/__tests__/app.js", True), ("conftest.py", True), ("pkg/conftest.py", True),
    ("pkg/test_io.py", True), ("pkg/io_test.py", True), ("web/app.test.ts", True), ("web/app.spec.js", True),
    ("src/_pytest/python.py", False), ("sympy/utilities/randtest.py", False), ("pkg/testing.py", False),
    ("numpy/testing/utils.py", False), ("pkg/contest.py", False), ("test_data.json", False),
    # other ecosystems' conventions
    ("src/test/java/com/acme/CartTest.java", True), ("src/main/java/com/acme/Cart.java", False),
    ("cart/cart_test.go", True), ("cart/cart.go", False), ("spec/models/cart_spec.rb", True),
    ("tests/Unit/CartTest.php", True), ("src/Http/Request.php", False), ("Shop/CartTests.cs", True),
    ("src/HTTPTest.kt", True), ("src/CartIT.java", True), ("src/EDIT.java", False), ("src/Contest.java", False),
    ("src/Spec.php", False), ("src/lib/parser_test.cc", True), ("dts-test/scheduler.test-d.ts", True),
    ("src/latest.d.ts", False),
])
def test_test_paths(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


@pytest.mark.parametrize(("path", "expected"), [
    ("astropy/extern/configobj/configobj.py", True), ("pkg/_vendor/six.py", True), ("third_party/x/y.py", True),
    ("web/static/jquery-3.1.1.min.js", True), ("src/vendors.py", False), ("pkg/external.py", False),
    ("sphinx/themes/basic/static/jquery-3.4.1.js", True), ("static/underscore-1.13.1.js", True),
    ("src/v2.js", False), ("src/parser2.0.ts", False), ("lib/es2015.js", False),
])
def test_vendored_paths(path: str, expected: bool) -> None:
    assert is_vendored_path(path) is expected


@needs_model
def test_a_model_that_cannot_be_loaded_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DenseUnavailable, match="cannot load the embedding model"):
        _ = Embedder("no-such-org/no-such-model").dimension
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    embedder = Embedder(model_dir)
    assert embedder.model == str(model_dir.resolve())
    assert embedder.model_id.startswith("local:model:")
    with pytest.raises(DenseUnavailable, match="cannot load the embedding model"):
        _ = embedder.dimension


def test_cache_is_persistent_and_located_by_environment(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPOLENS_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_path() == tmp_path / "c" / CACHE_FILE
    vector = bytes(range(16))
    with EmbeddingCache() as cache:
        cache.put_many("m|seq=256", [("d1", vector)])
    with EmbeddingCache() as cache:
        assert cache.get_many("m|seq=256", ["d1", "d2"]) == {"d1": vector}
        assert cache.get_many("other", ["d1"]) == {}
        assert cache.count() == 1
    monkeypatch.delenv("REPOLENS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "repolens" / CACHE_FILE


def test_damaged_cache_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with EmbeddingCache(path) as cache:
        assert cache.count() == 0
    assert [p.name.startswith("cache.sqlite.damaged-") for p in tmp_path.iterdir()].count(True) == 1


BLOCKED = """
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "sentence_transformers", "faiss"}:
            raise ImportError(f"No module named {name!r} (blocked)")
        return None
sys.meta_path.insert(0, Block())
from pathlib import Path
from indexer.search import dense
ok, why = dense.dense_available()
try:
    dense.DenseIndex.build([])
    build = "built"
except dense.DenseUnavailable as exc:
    build = str(exc)
with dense.EmbeddingCache(Path(sys.argv[1])) as cache:
    cache.put_many("m", [("d", b"1234")])
    cached = cache.count()
print(json.dumps({"ok": ok, "why": why, "build": build, "cached": cached,
                  "loaded": sorted(m for m in ("torch", "sentence_transformers", "faiss") if m in sys.modules)}))
"""


def test_without_the_backend_the_module_imports_and_says_why(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", BLOCKED, str(tmp_path / "cache.sqlite")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    out = json.loads(run.stdout)
    assert out["ok"] is False
    assert out["why"].startswith("faiss, torch, sentence_transformers cannot be imported")
    assert "blocked" in out["why"]
    assert "pip install torch==2.13.0" in out["why"]
    assert out["build"].startswith("faiss cannot be imported")
    assert out["cached"] == 1
    assert out["loaded"] == []


def test_importing_the_module_loads_no_backend() -> None:
    code = ("import sys; import indexer.search.dense; "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'faiss', 'numpy') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    assert run.stdout.strip() == "[]"


def test_the_model_can_be_chosen_by_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REPOLENS_EMBED_MODEL", str(tmp_path))
    assert Embedder().model == str(tmp_path.resolve())
    monkeypatch.setenv("REPOLENS_EMBED_MODEL", "")
    assert Embedder().model is None
    assert Embedder("some/model").model == "some/model"


@needs_model
def test_replace_equals_a_build_and_embeds_only_new_texts(repo: tuple[Path, Path], embedder: Embedder,
                                                          tmp_path: Path) -> None:
    units = units_of(*repo)
    first, middle, last = units[0], units[len(units) // 2], units[-1]
    edited = dataclasses.replace(middle, text=middle.text + "\n# zebra crossing handled here\n")
    newcomer = dataclasses.replace(middle, id=middle.id + "_aardvark", text="def aardvark_walk(): pass")
    changes = [("an edit (the same ids)", [], [edited], 1),
               ("a unit added between others", [], [newcomer], 1),
               ("units removed, one added, one edited", [first.id, last.id, "not/held.py"], [newcomer, edited], 0)]
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
        index, _ = DenseIndex.build(units, embedder=embedder, cache=cache)
        for what, remove, add, embeds in changes:
            got, stats = index.replace(remove, add, embedder=embedder, cache=cache)
            result = {u.id: u for u in units if u.id not in remove} | {u.id: u for u in add}
            want, _ = DenseIndex.build(result.values(), embedder=embedder, cache=cache)
            assert (got.ids, got.kinds, got.digests) == (want.ids, want.kinds, want.digests), what
            assert np.array_equal(got.matrix(), want.matrix()), what
            assert np.array_equal(got.scores(QUERY), want.scores(QUERY)), what
            assert got.search(QUERY, k=5) == want.search(QUERY, k=5), what
            assert stats.embedded == embeds, what  # the second time the cache has the new texts
        assert index.matrix().shape[0] == len(units)  # the original is left as it was
