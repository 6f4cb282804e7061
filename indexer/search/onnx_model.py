"""ONNX Runtime embeddings: a sentence-transformers model exported once per machine, then run
without torch.

Two halves, used apart:

* The export (``ensure_exported``): torch and transformers trace the model's transformer to
  ONNX, onnxruntime's transformer optimizer fuses attention and layer norms, and
  ``quantize_dynamic`` turns the weights to int8. It runs once per machine and model, takes
  seconds, and writes into a directory named by a hash of the model's files and the export
  settings, so a changed model or a changed export is a new directory. Files are published
  whole (temporary file + ``os.replace``) under a lock file: a second process that wants the
  same export waits, then uses the first one's files.
* The run (``OnnxEncoder``): onnxruntime on the CPU, the ``tokenizers`` library reading the
  model's ``tokenizer.json``, and numpy for mean pooling and L2 normalisation. It imports
  neither torch nor transformers, so a process that embeds a query starts in a fraction of a
  second.

Only what all-MiniLM-L6-v2 is made of is supported: a BERT-like transformer and mean pooling
(optionally followed by normalisation); ``read_spec`` raises ``OnnxUnavailable`` for anything
else, so the caller can fall back to sentence-transformers. Nothing heavy is imported with this
module.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

EXPORT_VERSION = 1
"""Bumped when the export changes in a way that changes vectors: a new export directory, and a
new model id for cached vectors (see ``dense.Embedder.model_id``)."""
OPSET = 17
"""The first opset with a LayerNormalization operator; onnxruntime's optimizer fuses it."""
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
META_FILE = "export.json"
LOCK_FILE = ".lock"
QUANTIZATION = {"weight_type": "QInt8", "per_channel": True, "reduce_range": False}
"""Settings of ``quantize_dynamic``. Per-channel weight scales keep int8 vectors at a cosine of
about 0.994 (min 0.99) with torch's on code units; one scale per tensor ran no faster and fell
to about 0.95 (min 0.90). ``reduce_range`` is for CPUs without VNNI and lost a little more."""
CHECK_MIN_COSINE = {FP32_FILE: 0.9999, INT8_FILE: 0.95}
"""An export is kept only when its vectors of ``CHECK_TEXTS`` are this close to torch's. A good
int8 export scores 0.98-0.99 (the one-token text lowest), a broken graph far less."""
CHECK_TEXTS = (
    "def read_text(folder, name):\n    \"\"\"Read a text file from a folder.\"\"\"\n"
    "    with open(os.path.join(folder, name), encoding='utf-8') as f:\n        return f.read()\n",
    "class Matrix:\n    \"\"\"A dense matrix of floats.\"\"\"\n\n"
    "    def __init__(self, rows):\n        self.rows = rows\n",
    "x",
    "Session.request raises a TypeError when the timeout is a tuple and a proxy is configured. " * 12,
)
"""Of unequal lengths, one longer than the check's 256 tokens: padding and truncation are
both exercised."""
_SUPPORTED_MODULES = frozenset({"sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                                "sentence_transformers.models.Normalize"})


class OnnxUnavailable(RuntimeError):
    """The model cannot run on ONNX Runtime here (unsupported model, missing package, failed
    export); the message says why."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """What the export and the run need to know of a local sentence-transformers model."""

    directory: Path
    pooling: str
    """The pooling module's folder, relative to ``directory`` ("" when there is none: mean)."""
    model_type: str
    hidden_size: int
    num_heads: int
    do_lower_case: bool


def read_spec(directory: Path) -> ModelSpec:
    """The spec of the model in ``directory``; raises ``OnnxUnavailable`` when it is not a
    transformer with mean pooling and a ``tokenizer.json``."""
    directory = directory.resolve()
    config = _read_json(directory / "config.json")
    if not (directory / "tokenizer.json").is_file():
        raise OnnxUnavailable(f"{directory} has no tokenizer.json")
    pooling_dir = ""  # a plain transformer: sentence-transformers adds mean pooling
    modules = directory / "modules.json"
    if modules.is_file():
        listed = _read_json(modules)
        other = sorted({str(m.get("type")) for m in listed} - _SUPPORTED_MODULES)
        if other:
            raise OnnxUnavailable(f"{directory} has modules the ONNX runtime does not run: {', '.join(other)}")
        pooling_dir = next((str(m.get("path", "")) for m in listed if str(m.get("type")).endswith(".Pooling")), "")
        if not pooling_dir:
            raise OnnxUnavailable(f"{directory} has no pooling module")
    if pooling_dir:
        pooling = _read_json(directory / pooling_dir / "config.json")
        modes = sorted(k.removeprefix("pooling_mode_") for k, v in pooling.items()
                       if k.startswith("pooling_mode_") and v)
        if modes != ["mean_tokens"]:
            raise OnnxUnavailable(f"{directory} pools by {', '.join(modes) or 'nothing'}; "
                                  "only mean pooling runs on ONNX")
    st_config = directory / "sentence_bert_config.json"
    do_lower_case = bool(_read_json(st_config).get("do_lower_case")) if st_config.is_file() else False
    try:
        return ModelSpec(directory, pooling_dir, str(config["model_type"]), int(config["hidden_size"]),
                         int(config["num_attention_heads"]), do_lower_case)
    except (KeyError, TypeError, ValueError) as exc:
        raise OnnxUnavailable(f"{directory}/config.json does not describe a transformer encoder ({exc!r})") from exc


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OnnxUnavailable(f"cannot read {path}: {exc}") from exc


# -- where exports live ----------------------------------------------------------------------
def export_directory(spec: ModelSpec, models_root: Path) -> Path:
    """``models_root/<hash>``: the hash of the model's files and the export settings."""
    h = hashlib.blake2b(digest_size=10)
    h.update(json.dumps({"version": EXPORT_VERSION, "opset": OPSET, "quantization": QUANTIZATION,
                         "source": _source_digest(spec, models_root)}, sort_keys=True).encode())
    return models_root / h.hexdigest()


def _source_files(spec: ModelSpec) -> list[Path]:
    """The files an export reads: the top level of the model directory (weights, configs,
    tokenizer) and the pooling folder. Not other folders: a Hugging Face snapshot keeps
    hundreds of megabytes of ONNX and OpenVINO copies there."""
    files = [p for p in spec.directory.iterdir() if p.is_file()]
    if spec.pooling:
        files += [p for p in (spec.directory / spec.pooling).iterdir() if p.is_file()]
    return sorted(files)


def _source_digest(spec: ModelSpec, models_root: Path) -> str:
    """A content hash of ``_source_files``. Hashing 90 MB of weights takes 0.1-0.2 s, too much
    for every process that embeds a query, so it is kept in ``models_root/sources/`` with each
    file's size, mtime, ctime and inode, as git's index keeps them: a file replaced or written
    to changes one of those, and the files are hashed again."""
    directory = spec.directory
    files = _source_files(spec)
    stamp = []
    for path in files:
        st = path.stat()
        stamp.append([path.relative_to(directory).as_posix(), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino])
    memo = models_root / "sources" / f"{hashlib.blake2b(str(directory).encode(), digest_size=8).hexdigest()}.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        saved = json.loads(memo.read_text(encoding="utf-8"))
        if saved["directory"] == str(directory) and saved["stamp"] == stamp:
            return str(saved["digest"])
    h = hashlib.sha256()  # hardware-accelerated on current CPUs: 3x faster than blake2b here
    for path, row in zip(files, stamp, strict=True):
        h.update(f"{row[0]}\0{row[1]}\0".encode())
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    digest = h.hexdigest()
    _write_atomic(memo, json.dumps({"directory": str(directory), "stamp": stamp, "digest": digest}).encode())
    return digest


def exported_path(spec: ModelSpec, models_root: Path, *, quantized: bool) -> Path | None:
    """The exported model file when it is there whole (its size is the one recorded when it was
    published), else None. Cheap: no export, no session."""
    directory = export_directory(spec, models_root)
    name = INT8_FILE if quantized else FP32_FILE
    path = directory / name
    try:
        recorded = json.loads((directory / META_FILE).read_text(encoding="utf-8"))["files"][name]["size"]
        return path if path.stat().st_size == recorded else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_exported(spec: ModelSpec, models_root: Path, *, quantized: bool, broken: str | None = None) -> Path:
    """The ONNX file of ``spec`` (int8 when ``quantized``), exported now if it is not there yet,
    or if it is the file that ``broken`` (its ``file_identity``) names: one onnxruntime could
    not load. Raises ``OnnxUnavailable`` when the export fails or its vectors are not close
    enough to torch's."""
    found = exported_path(spec, models_root, quantized=quantized)
    if found is not None and (broken is None or file_identity(found) != broken):
        return found
    directory = export_directory(spec, models_root)
    directory.mkdir(parents=True, exist_ok=True)
    name = INT8_FILE if quantized else FP32_FILE
    with _locked(directory / LOCK_FILE):
        found = exported_path(spec, models_root, quantized=quantized)
        if found is not None and (broken is None or file_identity(found) != broken):
            return found  # another process exported it while this one waited for the lock
        _forget(directory, name)
        for leftover in directory.glob(".export-*"):  # of an export killed midway
            shutil.rmtree(leftover, ignore_errors=True)
        started = time.perf_counter()
        log.info("exporting the embedding model %s to ONNX (%s; once per machine)", spec.directory, name)
        try:
            checks = _export(spec, directory, quantized=quantized)
        except OnnxUnavailable:
            raise
        except Exception as exc:  # boundary: any failure of torch's exporter is a reason to fall back
            raise OnnxUnavailable(f"exporting {spec.directory} to ONNX failed: {type(exc).__name__}: {exc}") from exc
        seconds = time.perf_counter() - started
        _record(directory, name, {"size": (directory / name).stat().st_size, "export_s": round(seconds, 2),
                                  "check_min_cosine": checks, "source": str(spec.directory)})
        log.info("exported %s to %s in %.1f s", spec.directory, directory / name, seconds)
    return directory / name


def file_identity(path: Path) -> str:
    """Which file ``path`` is now: a re-exported file is a new one, even of the same size."""
    try:
        st = path.stat()
    except OSError:
        return ""
    return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"


def _forget(directory: Path, name: str) -> None:
    meta = directory / META_FILE
    with contextlib.suppress(OSError, ValueError, KeyError):
        saved = json.loads(meta.read_text(encoding="utf-8"))
        del saved["files"][name]
        _write_atomic(meta, json.dumps(saved, indent=1, sort_keys=True).encode())
    (directory / name).unlink(missing_ok=True)


def _record(directory: Path, name: str, entry: dict[str, Any]) -> None:
    """Add ``entry`` for ``name`` to the export's ``export.json`` (the caller holds the lock)."""
    meta = directory / META_FILE
    try:
        saved = json.loads(meta.read_text(encoding="utf-8"))
        files = dict(saved["files"])
    except (OSError, ValueError, KeyError, TypeError):
        files = {}
    files[name] = entry
    _write_atomic(meta, json.dumps({"export_version": EXPORT_VERSION, "opset": OPSET, "quantization": QUANTIZATION,
                                    "files": files}, indent=1, sort_keys=True).encode())


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No log records up to WARNING in the block: onnxruntime's optimizer and quantizer log
    hundreds of lines (the quantizer on the root logger, and a warning to pre-process the
    graph, which the fusion has done) on every export."""
    before = logging.root.manager.disable
    logging.disable(max(before, logging.WARNING))
    try:
        yield
    finally:
        logging.disable(before)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` in the block (released if the process dies)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: exports may run twice, and the last whole file wins
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- the export (imports torch) --------------------------------------------------------------
def _export(spec: ModelSpec, directory: Path, *, quantized: bool) -> dict[str, float]:
    """Write ``model.onnx`` (or ``model-int8.onnx`` when ``quantized``) into ``directory`` and
    return the lowest cosine of its vectors of ``CHECK_TEXTS`` with torch's, per file made."""
    with tempfile.TemporaryDirectory(dir=directory, prefix=".export-") as tmp_name:
        tmp = Path(tmp_name)
        reference = _export_fp32(spec, tmp / "traced.onnx")
        fp32, worst = _fuse(spec, tmp / "traced.onnx", tmp / "fused.onnx", reference)
        checks = {FP32_FILE: _check(spec, worst, FP32_FILE)}
        made = fp32
        if quantized:
            made = tmp / "int8.onnx"
            _quantize(fp32, made)
            checks[INT8_FILE] = _check(spec, _min_cosine(spec, made, reference), INT8_FILE)
        os.replace(made, directory / (INT8_FILE if quantized else FP32_FILE))
    return checks


def _export_fp32(spec: ModelSpec, out: Path) -> np.ndarray:
    """Trace the transformer (its last hidden state, batch and sequence axes dynamic) into
    ``out``; returns torch's pooled vectors of ``CHECK_TEXTS`` for the checks."""
    import numpy as np
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # eager attention traces to the MatMul/Softmax pattern that onnxruntime fuses into one
    # Attention operator; the SDPA default does not fuse
    model = AutoModel.from_pretrained(str(spec.directory), attn_implementation="eager")
    model.eval()
    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        names.append("token_type_ids")

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state

    # a padded row, so the attention mask is traced as an input and not folded away as all ones
    ids = torch.full((2, 16), 1000, dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    mask[1, 9:] = 0
    dummy = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    checked = [_inputs([e]) for e in _tokenizer(spec, 256).encode_batch(_cased(spec, CHECK_TEXTS))]
    # in eval mode: the exporter puts the wrapper (and so the model) back in the mode it found
    # it in, and a new module is in training mode, with dropout
    wrapper = LastHiddenState().eval()
    with torch.no_grad():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shapes the dynamic axes cover
            torch.onnx.export(wrapper, tuple(dummy[n] for n in names), str(out), input_names=names,
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET,
                              dynamo=False)
        pooled = [_pool(wrapper(*(torch.from_numpy(c[n]) for n in names)).numpy(), c["attention_mask"])
                  for c in checked]
    return np.concatenate(pooled)


def _fuse(spec: ModelSpec, traced: Path, out: Path, reference: np.ndarray) -> tuple[Path, float]:
    """``out``, the traced graph with attention, GELU and layer norms fused by onnxruntime's
    transformer optimizer (about 30% faster in int8), when its vectors match torch's; else
    ``traced``. With the lowest cosine of the graph returned."""
    from onnxruntime.transformers.optimizer import optimize_model

    with _quiet():
        optimized = optimize_model(str(traced), model_type="bert", num_heads=spec.num_heads,
                                   hidden_size=spec.hidden_size, opt_level=0)
        optimized.save_model_to_file(str(out))
    worst = _min_cosine(spec, out, reference)
    if worst >= CHECK_MIN_COSINE[FP32_FILE]:
        return out, worst
    log.info("the fused ONNX graph of %s differs from torch (cosine %.4f); keeping the unfused one",
             spec.directory, worst)
    return traced, _min_cosine(spec, traced, reference)


def _quantize(source: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(source, out, weight_type=QuantType[str(QUANTIZATION["weight_type"])],
                         per_channel=bool(QUANTIZATION["per_channel"]), reduce_range=bool(QUANTIZATION["reduce_range"]),
                         # fused operators have no shape inference; their outputs are float
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def _check(spec: ModelSpec, worst: float, name: str) -> float:
    """``worst`` rounded, or ``OnnxUnavailable`` when it is below ``CHECK_MIN_COSINE``."""
    if worst < CHECK_MIN_COSINE[name]:
        raise OnnxUnavailable(f"the ONNX export of {spec.directory} ({name}) gives vectors too far from torch's "
                              f"(cosine {worst:.4f} < {CHECK_MIN_COSINE[name]})")
    return round(worst, 5)


def _min_cosine(spec: ModelSpec, path: Path, reference: np.ndarray) -> float:
    vectors = OnnxEncoder(spec, path, 256).encode(CHECK_TEXTS, threads=1)
    return float((vectors * reference).sum(axis=1).min())


# -- the run (onnxruntime, tokenizers, numpy) -------------------------------------------------
class OnnxEncoder:
    """An exported model on onnxruntime's CPU provider. ``encode`` makes normalised float32
    vectors; one session per thread count, made on first use (about 0.1 s each)."""

    def __init__(self, spec: ModelSpec, path: Path, max_seq_length: int) -> None:
        self.spec = spec
        self.path = path
        self.max_seq_length = max_seq_length
        self._tokenizer = _tokenizer(spec, max_seq_length)
        self._sessions: dict[int, Any] = {}
        self._inputs: list[str] = []

    @property
    def dimension(self) -> int:
        return self.spec.hidden_size

    def session(self, threads: int) -> Any:
        """The session that runs on ``threads`` threads (raises onnxruntime's error for a file
        it cannot load)."""
        if threads not in self._sessions:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            # idle threads sleep instead of spinning: the machine is often shared with other work
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.log_severity_level = 3
            session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
            self._inputs = [i.name for i in session.get_inputs()]
            self._sessions[threads] = session
        return self._sessions[threads]

    def encode(self, texts: Sequence[str], threads: int) -> np.ndarray:
        """Normalised float32 vectors of ``texts`` (one row each, in order), computed on
        ``threads`` threads.

        Each text runs alone. int8 activations are quantized with one scale per run, so a text
        run in a batch gets a vector that depends on the other texts (cosine about 0.994 with
        its own); alone, a vector depends on its text only, as the cache keyed by text assumes.
        Unpadded, it is also faster: 160 flask units on two threads, 103 texts/s one by one,
        84 in batches of 32 padded to their longest (float32: 53 and 44)."""
        import numpy as np

        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(_cased(self.spec, texts))
        if threads <= 1 or len(texts) < 2:
            self._run(self.session(max(threads, 1)), encodings, range(len(texts)), out)
            return out
        # one single-threaded session per thread, each on every threads-th text: no sync
        # between threads inside a text (sympy units, 2 cores: 66-76 texts/s on one
        # two-thread session, 80-90 like this), and the same vectors
        session = self.session(1)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda k: self._run(session, encodings, range(k, len(texts), threads), out),
                          range(threads)))
        return out

    def _run(self, session: Any, encodings: Sequence[Any], rows: range, out: np.ndarray) -> None:
        for row in rows:
            inputs = _inputs([encodings[row]])
            hidden = session.run(None, {name: inputs[name] for name in self._inputs})[0]
            out[row] = _pool(hidden, inputs["attention_mask"])[0]


def _tokenizer(spec: ModelSpec, max_seq_length: int) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(spec.directory / "tokenizer.json"))
    # texts run one by one, unpadded; tokenizer.json may carry a fixed padding length
    # (all-MiniLM-L6-v2's pads to 128)
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_seq_length)
    return tokenizer


def _cased(spec: ModelSpec, texts: Sequence[str]) -> list[str]:
    return [t.lower() for t in texts] if spec.do_lower_case else list(texts)


def _inputs(encodings: Sequence[Any]) -> dict[str, np.ndarray]:
    import numpy as np

    return {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}


def _pool(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors under the attention mask, L2-normalised, as float32."""
    import numpy as np

    mask = attention_mask.astype(np.float32)
    summed = np.einsum("bld,bl->bd", hidden.astype(np.float32, copy=False), mask)
    vectors = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors.astype(np.float32, copy=False)
