"""The default embedding path: the packaged model as an int8 ONNX graph run by ONNX Runtime.

The graph is built from the model's own weights on first use (``onnx_graph.build_int8_encoder``;
nothing is downloaded, no exporter runs) and cached under ``~/.cache/topicscope`` (or
``$TOPICSCOPE_CACHE``), keyed by a hash of the weights and the graph version; the file is written
atomically, so parallel workers building at once never read half a file.

Texts are tokenised as sentence-transformers does (the model's fast tokenizer, truncated at the
model's ``max_seq_length``), sorted by token count and run in batches of similar length, so little
padding is computed. Each document's vector depends only on its own tokens (per-token quantisation,
masked attention): the same text gives the same vector in any batch, to float rounding.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from .._logging import logger, progress
from ..exceptions import InputError, missing_extra
from . import onnx_graph
from .backends import NamedModelEmbedder, _resolve_model_path
from .cache_files import cache_dir, check_cached, file_digest, write_cached

_TOKENISE_CHUNK = 4096  # texts tokenised (and sorted by length) at a time: bounds the token lists' memory
_BATCH_TOKENS = 8192  # padded tokens per batch at most: 32 texts at the 256-token limit (~100 MB of attention)


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:  # pragma: no cover - core dependency
        raise missing_extra("onnxruntime", None, exc) from exc
    return onnxruntime


def cached_graph_path(model_path: Path) -> Path:
    """Where the int8 graph of the model folder ``model_path`` is (or will be) cached."""
    digest = hashlib.sha256()
    for name in ("model.safetensors", "config.json", "1_Pooling/config.json"):
        digest.update(file_digest(model_path / name).encode())
    digest.update(f"graph-v{onnx_graph.GRAPH_VERSION}".encode())
    digest.update("\n".join(onnx_graph.CALIBRATION_SENTENCES).encode())
    digest.update(f"max_length={max_seq_length(model_path)}".encode())
    return cache_dir() / f"int8-{model_path.name}-{digest.hexdigest()[:16]}.onnx"


def _read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def load_or_build_graph(model_path: Path, *, rebuild: bool = False) -> Path:
    """The cached int8 graph of ``model_path``, built and written (atomically) when missing (or when
    ``rebuild``: a cached file ONNX Runtime could not load)."""
    for name in ("model.safetensors", "config.json", "tokenizer.json", "1_Pooling/config.json"):
        if not (model_path / name).is_file():
            raise InputError(f"the int8 ONNX encoder needs {name} in the model folder {model_path}; it is missing")
    target = cached_graph_path(model_path)
    if not rebuild and check_cached(target, "int8 encoder graph"):
        logger.debug("int8 encoder graph from the cache: %s", target)
        return target
    from safetensors.numpy import load_file

    config = _read_json(model_path / "config.json")
    onnx_graph.check_bert_config(config, _read_json(model_path / "1_Pooling" / "config.json"))
    logger.info("building the int8 encoder graph of %s (once; cached at %s)", model_path.name, target)
    calibration = [e.ids for e in tokenizer(model_path).encode_batch(list(onnx_graph.CALIBRATION_SENTENCES))]
    weights = load_file(str(model_path / "model.safetensors"))
    data = onnx_graph.build_int8_encoder(weights, config, calibration, max_seq_length(model_path))
    write_cached(target, data)
    return target


def max_seq_length(model_path: Path) -> int:
    """The model's token limit as sentence-transformers applies it (sentence_bert_config.json,
    capped by the position embeddings)."""
    limit = int(_read_json(model_path / "config.json").get("max_position_embeddings", 512))
    st_config = model_path / "sentence_bert_config.json"
    if st_config.is_file():
        value = _read_json(st_config).get("max_seq_length")
        if value is not None:
            limit = min(limit, int(value))
    return limit


def tokenizer(model_path: Path) -> Any:
    """The model's fast tokenizer as sentence-transformers applies it: special tokens added,
    truncated at ``max_seq_length``, no padding (batches are padded to their longest text)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=max_seq_length(model_path))
    return tok


class Int8Encoder:
    """``encode(texts) -> unit vectors`` through the int8 graph; loaded once, reused."""

    def __init__(self, model_path: Path, *, threads: int | None = None) -> None:
        ort = _import_onnxruntime()
        self.model_path = model_path
        graph = load_or_build_graph(model_path)
        self.tokenizer = tokenizer(model_path)
        self.max_length = max_seq_length(model_path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 0 if threads is None else int(threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Threads that spin while idle take CPU from other processes (Dask workers, the pipeline).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a damaged cache file (ONNX Runtime raises its own error types)
            logger.warning("the cached int8 encoder graph %s could not be loaded (%s); building it again", graph, exc)
            graph = load_or_build_graph(model_path, rebuild=True)
            self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self.dim = int(self.session.get_outputs()[0].shape[1])

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for r, row in enumerate(ids):
            input_ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        out = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        return np.asarray(out, dtype=np.float32)

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress_bar: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        chunks = range(0, len(texts), _TOKENISE_CHUNK)
        for start in progress(chunks, verbose=show_progress_bar, desc="embedding"):
            chunk = texts[start : start + _TOKENISE_CHUNK]
            ids = [enc.ids for enc in self.tokenizer.encode_batch(chunk)]
            for rows in _length_batches([len(row) for row in ids], batch_size, self.max_length):
                out[[start + i for i in rows]] = self._run([ids[i] for i in rows])
        return out


def _length_batches(lengths: list[int], batch_size: int, limit: int) -> list[list[int]]:
    """Indices sorted by length, cut into batches of at most ``batch_size`` texts and
    ``_BATCH_TOKENS`` padded tokens: texts of similar length share a batch, so little padding.
    Texts cut at the length ``limit`` never share a batch with shorter ones: such batches have no
    padding and take the unmasked attention kernel (see ``onnx_graph._attention``), and whether a
    text does must not depend on its neighbours."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        # Sorted ascending: text i is the longest of the batch it joins.
        full = len(current) == batch_size or (len(current) + 1) * lengths[i] > _BATCH_TOKENS
        if current and (full or (lengths[i] >= limit > lengths[current[-1]])):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class QuantizedEmbedder(NamedModelEmbedder):
    """The default model as an int8 ONNX graph (see the module docstring); loaded on first use.

    ``embedding_model=None`` or ``"default"`` gives this. For plain sentence-transformers (float32,
    torch) pass ``SentenceTransformerEmbedder("default")`` instead. ``threads``: ONNX Runtime's
    threads (None: one per physical core). ``cache_size``: vectors kept for repeated texts (see
    ``EncoderEmbedder``); any number of distinct texts can be embedded in one call.
    """

    def __init__(
        self,
        name_or_path: str = "default",
        *,
        batch_size: int = 64,
        threads: int | None = None,
        cache_size: int = 200_000,
    ) -> None:
        super().__init__(name_or_path, batch_size=batch_size, cache_size=cache_size)
        self.threads = threads

    def _load(self) -> Int8Encoder:
        return Int8Encoder(_resolve_model_path(self.name_or_path), threads=self.threads)
