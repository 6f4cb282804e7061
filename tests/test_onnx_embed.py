"""The ONNX runtime of the embedder with the real packaged model: the one-time export into a
temporary cache, int8 vectors against torch's, the rows' order, no torch at run time, and the
fallbacks to torch (asked for, unsupported model, failed export, no onnxruntime) and after a
damaged file (exported again)."""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer.search import onnx_model
from indexer.search.dense import (
    CACHE_ENV,
    DEFAULT_MAX_SEQ_LENGTH,
    DEFAULT_MODEL,
    MODEL_ENV,
    MODELS_DIR,
    RUNTIME_ENV,
    TEXT_VERSION,
    Embedder,
    _default_model_path,
    dense_available,
)

AVAILABLE, WHY = dense_available()
MISSING = [m for m in ("onnxruntime", "tokenizers", "onnx", "torch", "transformers")
           if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(not AVAILABLE or bool(MISSING),
                                reason=f"ONNX embeddings unavailable: {WHY or ', '.join(MISSING)}")
ROOT = Path(__file__).resolve().parent.parent

TEXTS = [
    'def endpoint(base, *segments):\n    """Parse the base URL and append the path segments to its path."""\n'
    "    scheme, netloc, path, query, fragment = urlsplit(base)\n    for segment in segments:\n"
    '        path = path.rstrip("/") + "/" + segment.strip("/")\n'
    "    return urlunsplit((scheme, netloc, path, query, fragment))\n",
    'class Mailer:\n    """Sends e-mail through an SMTP relay."""\n\n    def __init__(self, host):\n'
    "        self.host = host\n",
    "function read_text: Read a text file from a folder.",
    "Session.send raises TypeError when the timeout is a tuple and a proxy is configured. " * 20,
    "x",
    "",
    "größe = len('日本語')  # non-ASCII",
]
MIN_COSINE = 0.97
"""int8 against torch, per text. Measured by bench/embed_bench.py on 256 flask units: mean
0.994, min 0.992; the shortest texts score lowest (0.98 for one character), and a broken export
scores far below (0.83 for a graph run in training mode)."""


def export_dir(cache: Path) -> Path:
    dirs = [d for d in (cache / MODELS_DIR).iterdir() if d.name != "sources"]
    assert len(dirs) == 1, dirs
    return dirs[0]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache directory for the module, the environment pointing at it."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(cache))
        mp.delenv(RUNTIME_ENV, raising=False)
        mp.delenv(MODEL_ENV, raising=False)
        yield cache


@pytest.fixture(scope="module")
def int8(onnx_cache: Path) -> Embedder:
    """The default embedder; resolving its runtime exports the model (once for the module)."""
    embedder = Embedder()
    assert embedder.runtime == "onnx-int8", embedder.runtime_note
    return embedder


@pytest.fixture(scope="module")
def int8_vectors(int8: Embedder) -> np.ndarray:
    return int8.embed(TEXTS)


@pytest.fixture(scope="module")
def torch_embedder(onnx_cache: Path) -> Embedder:
    return Embedder(runtime="torch")


def test_the_export_is_made_once_and_reused(int8: Embedder, onnx_cache: Path) -> None:
    assert int8.runtime_note == ""
    assert int8.model_id == f"{DEFAULT_MODEL}|seq={DEFAULT_MAX_SEQ_LENGTH}|text={TEXT_VERSION}|rt=onnx-int8|export=1"
    directory = export_dir(onnx_cache)
    model = directory / onnx_model.INT8_FILE
    meta = json.loads((directory / onnx_model.META_FILE).read_text())
    assert meta["files"][onnx_model.INT8_FILE]["size"] == model.stat().st_size
    assert meta["files"][onnx_model.INT8_FILE]["export_s"] > 0
    assert sorted(p.name for p in directory.iterdir()) == [".lock", onnx_model.META_FILE, onnx_model.INT8_FILE]
    before = onnx_model.file_identity(model), (directory / onnx_model.META_FILE).read_text()

    again = Embedder()
    assert again.runtime == "onnx-int8" and again.model_id == int8.model_id
    assert again.embed(["def f(): pass"]).shape == (1, 384)
    assert (onnx_model.file_identity(model), (directory / onnx_model.META_FILE).read_text()) == before


def test_int8_vectors_are_close_to_torch(int8_vectors: np.ndarray, torch_embedder: Embedder) -> None:
    reference = torch_embedder.embed(TEXTS)
    cosine = (int8_vectors * reference).sum(axis=1)
    assert cosine.min() > MIN_COSINE, cosine
    assert cosine.mean() > 0.985, cosine
    # and the same texts are told apart alike: each text's nearest other text agrees
    int8_sim, torch_sim = int8_vectors @ int8_vectors.T, reference @ reference.T
    np.fill_diagonal(int8_sim, -1)
    np.fill_diagonal(torch_sim, -1)
    assert (int8_sim.argmax(axis=1) == torch_sim.argmax(axis=1)).mean() >= 0.8


def test_rows_are_normalised_in_input_order_and_independent_of_the_batch(int8: Embedder,
                                                                          int8_vectors: np.ndarray) -> None:
    assert int8_vectors.dtype == np.float32 and int8_vectors.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(int8_vectors, axis=1), 1.0, atol=1e-5)
    reordered = int8.embed(TEXTS[::-1])
    assert np.array_equal(reordered[::-1], int8_vectors)
    for text, row in zip(TEXTS, int8_vectors, strict=True):  # each alone, as a query or an edit is
        assert np.allclose(int8.embed([text])[0], row, atol=1e-5)
    assert np.allclose(int8.embed_query(TEXTS[0])[0], int8_vectors[0], atol=1e-4)
    seen: list[tuple[int, int]] = []
    small = Embedder(batch_size=3)
    assert np.array_equal(small.embed(TEXTS, lambda done, total: seen.append((done, total))), int8_vectors)
    assert seen == [(3, 7), (6, 7), (7, 7)]


NO_TORCH = """
import importlib.abc, json, sys
if sys.argv[1] == "block":
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"torch", "transformers", "sentence_transformers"}:
                raise ImportError(f"No module named {name!r} (blocked)")
            return None
    sys.meta_path.insert(0, Block())
from indexer.search.dense import Embedder, dense_available
embedder = Embedder()
vectors = embedder.embed(["def f(): pass", "class A: pass"])
query = embedder.embed_query("a bug report about a function")
print(json.dumps({"available": dense_available(), "runtime": embedder.runtime, "shape": [*vectors.shape],
                  "query": [*query.shape],
                  "loaded": sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)}))
"""


@pytest.mark.parametrize("mode", ["plain", "block"])
def test_embedding_on_onnx_imports_no_torch(int8: Embedder, onnx_cache: Path, mode: str) -> None:
    run = subprocess.run([sys.executable, "-c", NO_TORCH, mode], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True, env={**os.environ, CACHE_ENV: str(onnx_cache)})
    out = json.loads(run.stdout)
    assert out == {"available": [True, ""], "runtime": "onnx-int8", "shape": [2, 384], "query": [1, 384],
                   "loaded": []}, run.stderr


def test_torch_is_chosen_by_environment_with_the_old_model_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RUNTIME_ENV, "torch")
    embedder = Embedder()
    assert (embedder.requested_runtime, embedder.runtime, embedder.runtime_note) == ("torch", "torch", "")
    assert embedder.model_id == f"{DEFAULT_MODEL}|seq={DEFAULT_MAX_SEQ_LENGTH}|text={TEXT_VERSION}"
    assert Embedder.runtime_of(embedder.model_id) == "torch"
    assert Embedder(runtime="onnx").requested_runtime == "onnx"  # an argument wins over the environment
    monkeypatch.setenv(RUNTIME_ENV, "tensorflow")
    with pytest.raises(ValueError, match="unknown embedding runtime"):
        Embedder()
    assert Embedder.runtime_of(f"{DEFAULT_MODEL}|seq=256|text=1|rt=onnx-int8|export=1") == "onnx-int8"


def test_a_damaged_onnx_file_is_exported_again(int8: Embedder, int8_vectors: np.ndarray, onnx_cache: Path,
                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(onnx_cache / MODELS_DIR, cache / MODELS_DIR)
    model = export_dir(cache) / onnx_model.INT8_FILE
    model.write_bytes(b"\0damaged" * (model.stat().st_size // 8) + b"\0" * (model.stat().st_size % 8))
    damaged = onnx_model.file_identity(model)
    monkeypatch.setenv(CACHE_ENV, str(cache))
    embedder = Embedder()
    assert embedder.runtime == "onnx-int8"  # the file looks whole: it is found broken on loading
    vectors = embedder.embed(TEXTS)
    assert onnx_model.file_identity(model) != damaged
    assert (vectors * int8_vectors).sum(axis=1).min() > 0.9999


LOSER = """
import json, sys
from pathlib import Path
from indexer.search import onnx_model
spec = onnx_model.read_spec(Path(sys.argv[1]))
path = onnx_model.ensure_exported(spec, Path(sys.argv[2]), quantized=True)
print(json.dumps({"path": str(path), "torch": "torch" in sys.modules}))
"""


def test_a_second_process_waits_for_the_export_and_uses_it(int8: Embedder, onnx_cache: Path,
                                                           tmp_path: Path) -> None:
    """While one process holds the lock (exporting), another wanting the same export waits,
    then takes the first one's file and exports nothing itself."""
    source = export_dir(onnx_cache)
    root = tmp_path / "models"
    target = onnx_model.export_directory(onnx_model.read_spec(_default_model_path()), root)
    assert target.name == source.name  # named by the model's files and the settings, not the place
    target.mkdir(parents=True)
    with (target / onnx_model.LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiting = subprocess.Popen([sys.executable, "-c", LOSER, str(_default_model_path()), str(root)], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert waiting.poll() is None  # blocked on the lock
        for name in (onnx_model.INT8_FILE, onnx_model.META_FILE):  # the "winner" publishes
            shutil.copy2(source / name, target / name)
        fcntl.flock(lock, fcntl.LOCK_UN)
    stdout, stderr = waiting.communicate(timeout=120)
    assert json.loads(stdout) == {"path": str(target / onnx_model.INT8_FILE), "torch": False}, stderr


def model_copy(tmp_path: Path, pooling: dict[str, bool] | None = None, weights: bytes | None = None) -> Path:
    """The packaged model as a directory of links, with another pooling or damaged weights."""
    source = _default_model_path()
    target = tmp_path / "model"
    for path in source.rglob("*"):
        if path.is_file():
            (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (target / path.relative_to(source)).symlink_to(path)
    if pooling is not None:
        config = target / "1_Pooling" / "config.json"
        settings = {**json.loads(config.read_text()), **pooling}
        config.unlink()
        config.write_text(json.dumps(settings))
    if weights is not None:
        (target / "model.safetensors").unlink()
        (target / "model.safetensors").write_bytes(weights)
    return target


def test_an_unsupported_model_runs_on_torch_and_says_why(onnx_cache: Path, tmp_path: Path) -> None:
    directory = model_copy(tmp_path, pooling={"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True})
    embedder = Embedder(directory)
    assert embedder.runtime == "torch"
    assert "only mean pooling runs on ONNX" in embedder.runtime_note
    assert "|rt=" not in embedder.model_id
    assert embedder.embed(["def f(): pass"]).shape == (1, 384)


def test_a_failed_export_runs_on_torch_and_says_why(onnx_cache: Path, tmp_path: Path) -> None:
    embedder = Embedder(model_copy(tmp_path, weights=b"not a safetensors file"), runtime="onnx")
    assert embedder.runtime == "torch"
    assert "exporting" in embedder.runtime_note and "failed" in embedder.runtime_note
    assert not any((onnx_cache / MODELS_DIR).glob("*/.export-*"))


NO_ONNXRUNTIME = """
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "onnxruntime":
            raise ImportError(f"No module named {name!r} (blocked)")
        return None
sys.meta_path.insert(0, Block())
from indexer.search.dense import Embedder
embedder = Embedder()
print(json.dumps({"runtime": embedder.runtime, "note": embedder.runtime_note, "model_id": embedder.model_id}))
"""


def test_without_onnxruntime_the_embedder_runs_on_torch(onnx_cache: Path) -> None:
    run = subprocess.run([sys.executable, "-c", NO_ONNXRUNTIME], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    out = json.loads(run.stdout)
    assert out["runtime"] == "torch"
    assert "onnxruntime" in out["note"] and "blocked" in out["note"]
    assert out["model_id"] == f"{DEFAULT_MODEL}|seq={DEFAULT_MAX_SEQ_LENGTH}|text={TEXT_VERSION}"
    assert "using torch" in run.stderr  # logged
