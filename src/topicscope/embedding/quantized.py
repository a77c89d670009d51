"""The default embedding path: the packaged model as an int8 ONNX graph run by ONNX Runtime.

The graph is built from the model's own weights on first use (``onnx_graph.build_int8_encoder``;
nothing is downloaded, no exporter runs) and cached under ``~/.cache/topicscope`` (or
``$TOPICSCOPE_CACHE``), keyed by a hash of the weights and the graph version; the file is written
atomically, so parallel workers building at once never read half a file.

Texts are tokenised by the model's fast tokenizer, sorted by token count and run in batches of
similar length, so little padding is computed. The batches go to single-threaded sessions, one per
core, side by side (``threads``). A text longer than the model's window
(``max_seq_length``, 256 word pieces for the default model) is cut at the window by default, as
sentence-transformers does (``long_documents="truncate"``), and each call says how many were. With
``long_documents="windows"`` it is read whole: split into overlapping windows of the window's length
(``WINDOW_OVERLAP`` tokens shared by neighbours), each window embedded, and the document's vector is
the mean of its windows' vectors weighted by their token counts, at unit length. On bbc_news (articles
of about 500 word pieces) both give the same topics' quality, NMI 0.798 read whole against 0.795 cut
(mean of two seeds), and reading whole takes 2.4x the embedding time (``benchmarks/tried.md``), so
cutting is the default. Each document's vector depends only on its own tokens
(per-token quantisation, masked attention): the same text gives the same vector in any batch, to
float rounding.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._logging import logger, progress
from ..exceptions import InputError, missing_extra
from . import onnx_graph
from .backends import NamedModelEmbedder, _resolve_model_path
from .cache_files import cache_dir, check_cached, file_digest, write_cached

_COUNT_LOCK = threading.Lock()
_TOKENISE_CHUNK = 4096  # texts tokenised (and sorted by length) at a time: bounds the token lists' memory
WINDOW_OVERLAP = 32  # tokens two neighbouring windows of a long document share
LONG_DOCUMENTS = ("windows", "truncate")
_BATCH_TOKENS = 8192  # padded tokens per batch at most: 32 texts at the 256-token limit (~100 MB of attention)
_MAX_SESSIONS = 8  # single-threaded sessions side by side at most (each holds its own working memory)


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:  # pragma: no cover - core dependency
        raise missing_extra("onnxruntime", None, exc) from exc
    return onnxruntime


def physical_cores() -> int:
    """The cores this process may run on, counting a core's hyperthreads once (ONNX Runtime's own
    default thread count); the logical CPU count where the topology is not readable."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1
    cores = set()
    for cpu in allowed:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            package = (topology / "physical_package_id").read_text().strip()
            cores.add((package, (topology / "core_id").read_text().strip()))
        except OSError:
            return len(allowed) or 1
    return len(cores) or 1


def _session(ort: Any, graph: Path, threads: int) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Threads that spin while idle take CPU from other processes (Dask workers, the pipeline).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])


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


def tokenizer(model_path: Path, *, truncate: bool = True) -> Any:
    """The model's fast tokenizer as sentence-transformers applies it: special tokens added,
    truncated at ``max_seq_length`` (unless not ``truncate``), no padding (batches are padded to
    their longest text)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tok.no_padding()
    if truncate:
        tok.enable_truncation(max_length=max_seq_length(model_path))
    else:
        tok.no_truncation()
    return tok


def split_windows(ids: list[int], limit: int, overlap: int = WINDOW_OVERLAP) -> list[tuple[int, int]]:
    """The windows of a tokenised text (special tokens first and last) as ``(start, end)`` spans of its
    inner tokens ``ids[1:-1]``: one span when the text fits in ``limit`` tokens, else spans of
    ``limit - 2`` tokens, each starting ``limit - 2 - overlap`` after the previous, the last reaching
    the end. Each window is read as ``[first] + inner[start:end] + [last]``."""
    inner = len(ids) - 2
    width = limit - 2
    if inner <= width:
        return [(0, inner)]
    step = max(width - overlap, 1)
    spans = []
    start = 0
    while True:
        spans.append((start, min(start + width, inner)))
        if start + width >= inner:
            return spans
        start += step


@dataclass(frozen=True)
class WindowVectors:
    """The per-window vectors of long documents (``QuantizedEmbedder.embed_windows``).

    Row ``i`` of ``vectors`` is window ``i``: of document ``document[i]``, covering its inner tokens
    ``start[i]:end[i]`` (word pieces, the special tokens not counted). A document that fits the
    window has one row.
    """

    vectors: np.ndarray
    document: np.ndarray
    start: np.ndarray
    end: np.ndarray


class Int8Encoder:
    """``encode(texts) -> unit vectors`` through the int8 graph; loaded once, reused."""

    def __init__(self, model_path: Path, *, threads: int | None = None, long_documents: str = "truncate") -> None:
        ort = _import_onnxruntime()
        self.model_path = model_path
        graph = load_or_build_graph(model_path)
        self.long_documents = long_documents
        self.tokenizer = tokenizer(model_path, truncate=long_documents == "truncate")
        self.max_length = max_seq_length(model_path)
        # Documents longer than the window, and their windows, since the counters were last reset.
        self.long_seen = 0
        self.windows_seen = 0
        # Side by side, single-threaded sessions (one per core) run more text per second than one
        # session threaded across the cores (1.13x on long articles, 1.25x on one-line summaries
        # with 2 cores: no synchronisation inside each operator), and a batch's vectors depend on
        # neither the session nor the number of sessions.
        count = physical_cores() if threads is None else max(1, int(threads))
        sessions = min(count, _MAX_SESSIONS)
        per_session = max(1, count // sessions)
        try:
            self.sessions = [_session(ort, graph, per_session) for _ in range(sessions)]
        except Exception as exc:  # a damaged cache file (ONNX Runtime raises its own error types)
            logger.warning("the cached int8 encoder graph %s could not be loaded (%s); building it again", graph, exc)
            graph = load_or_build_graph(model_path, rebuild=True)
            self.sessions = [_session(ort, graph, per_session) for _ in range(sessions)]
        self.dim = int(self.sessions[0].get_outputs()[0].shape[1])

    def _run(self, ids: list[list[int]], session: Any = None) -> np.ndarray:
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for r, row in enumerate(ids):
            input_ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        session = self.sessions[0] if session is None else session
        out = session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        return np.asarray(out, dtype=np.float32)

    def _windows(self, texts: list[str]) -> tuple[list[list[int]], list[int], list[tuple[int, int]]]:
        """The token rows to run for ``texts``, the text of each row and its span (``split_windows``)."""
        rows: list[list[int]] = []
        owner: list[int] = []
        spans: list[tuple[int, int]] = []
        for t, enc in enumerate(self.tokenizer.encode_batch(texts)):
            ids = enc.ids
            if self.long_documents == "truncate":
                self.long_seen += bool(enc.overflowing)
                rows.append(ids)
                owner.append(t)
                spans.append((0, len(ids) - 2))
                continue
            text_spans = split_windows(ids, self.max_length)
            if len(text_spans) > 1:
                self.long_seen += 1
                self.windows_seen += len(text_spans)
            for begin, end in text_spans:
                rows.append(ids[:1] + ids[1 + begin : 1 + end] + ids[-1:] if len(text_spans) > 1 else ids)
                owner.append(t)
                spans.append((begin, end))
        return rows, owner, spans

    def _run_rows(self, rows: list[list[int]], batch_size: int) -> np.ndarray:
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        batches = iter(_length_batches([len(row) for row in rows], batch_size, self.max_length))
        if len(self.sessions) == 1:
            for batch in batches:
                out[batch] = self._run([rows[i] for i in batch])
            return out
        lock = threading.Lock()

        def drain(session: Any) -> None:  # each session takes the next batch until none is left
            while True:
                with lock:
                    batch = next(batches, None)
                if batch is None:
                    return
                out[batch] = self._run([rows[i] for i in batch], session)

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(self.sessions), thread_name_prefix="topicscope-onnx") as pool:
            for done in [pool.submit(drain, session) for session in self.sessions]:
                done.result()  # re-raises an error of any session
        return out

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress_bar: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        chunks = range(0, len(texts), _TOKENISE_CHUNK)
        for start in progress(chunks, verbose=show_progress_bar, desc="embedding"):
            chunk = texts[start : start + _TOKENISE_CHUNK]
            rows, owner, spans = self._windows(chunk)
            vecs = self._run_rows(rows, batch_size)
            if len(rows) == len(chunk):  # one row per text, in order: no text was split
                out[start : start + len(chunk)] = vecs
                continue
            # A document's vector: its windows' vectors weighted by their token counts, at unit length.
            weights = np.asarray([max(end - begin, 1) for begin, end in spans], dtype=np.float64)
            sums = np.zeros((len(chunk), self.dim), dtype=np.float64)
            np.add.at(sums, np.asarray(owner), vecs.astype(np.float64) * weights[:, None])
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            out[start : start + len(chunk)] = (sums / norms).astype(np.float32)
        return out

    def encode_windows(self, texts: list[str], *, batch_size: int = 64) -> WindowVectors:
        """Every window's own vector (see ``WindowVectors``)."""
        rows, owner, spans = self._windows(texts)
        return WindowVectors(
            vectors=self._run_rows(rows, batch_size),
            document=np.asarray(owner, dtype=np.int64),
            start=np.asarray([s for s, _ in spans], dtype=np.int64),
            end=np.asarray([e for _, e in spans], dtype=np.int64),
        )


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
    torch) pass ``SentenceTransformerEmbedder("default")`` instead. ``threads``: how many threads
    run ONNX Runtime (None: one per physical core), as that many single-threaded sessions side by
    side (at most 8; beyond, each session gets its share of the threads). ``cache_size``: vectors
    kept for repeated texts (see ``EncoderEmbedder``); any number of distinct texts can be embedded in one call.
    ``long_documents``: ``"truncate"`` cuts a text longer than the model's window at it, ``"windows"``
    reads it whole, in overlapping windows (see the module docstring). Each call that met long texts
    logs how many and how they were read.
    """

    def __init__(
        self,
        name_or_path: str = "default",
        *,
        batch_size: int = 64,
        threads: int | None = None,
        cache_size: int = 200_000,
        long_documents: str = "truncate",
    ) -> None:
        super().__init__(name_or_path, batch_size=batch_size, cache_size=cache_size)
        self.threads = threads
        self.long_documents = long_documents

    def _check(self) -> None:
        if self.long_documents not in LONG_DOCUMENTS:
            raise InputError(f"long_documents must be one of {LONG_DOCUMENTS}; got {self.long_documents!r}")

    def _load(self) -> Int8Encoder:
        self._check()
        return Int8Encoder(
            _resolve_model_path(self.name_or_path), threads=self.threads, long_documents=self.long_documents
        )

    def _encoder(self) -> Int8Encoder:
        encoder = self._loaded()
        assert isinstance(encoder, Int8Encoder)
        return encoder

    def embed(self, texts: list[str], *, verbose: bool = False) -> np.ndarray:
        encoder = self._encoder()
        with _COUNT_LOCK:  # the counters are this call's (calls sharing an embedder take turns)
            encoder.long_seen = encoder.windows_seen = 0
            out = super().embed(texts, verbose=verbose)
            long_seen, windows_seen = encoder.long_seen, encoder.windows_seen
        if long_seen and encoder.long_documents == "windows":  # how the loaded encoder read them
            logger.info(
                "%d of %d texts are longer than the model's window of %d tokens: each was read whole, in %d "
                "overlapping windows in all (its vector is their mean); long_documents='truncate' cuts them instead",
                long_seen,
                len(texts),
                encoder.max_length,
                windows_seen,
            )
        elif long_seen:
            logger.info(
                "%d of %d texts are longer than the model's window of %d tokens and were cut at it "
                "(long_documents='truncate'; 'windows' reads them whole)",
                long_seen,
                len(texts),
                encoder.max_length,
            )
        return out

    def embed_windows(self, texts: list[str]) -> WindowVectors:
        """The vector of every window of ``texts`` (one per text that fits the window), not combined:
        where in a long document its parts sit. Not cached."""
        if not texts:
            raise InputError("texts to embed must contain at least one text; got an empty list")
        return self._encoder().encode_windows(list(texts), batch_size=self.batch_size)
