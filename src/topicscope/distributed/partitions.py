"""What runs on the workers: one pure function per partition and stage.

Every function here takes a partition's data and small, explicit inputs and returns a new
value; none changes its inputs or depends on which worker runs it, so Dask may run any of them
again after losing a worker and get the same answer. Embedding on the workers uses the model
loaded once per worker by ``EmbedderPlugin``.
"""

from __future__ import annotations

import copy
import os
import threading
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
from distributed.diagnostics.plugin import WorkerPlugin

from .._neighbors import unit_float16
from ..exceptions import InputError
from ..pipeline.sampling import (
    Assigned,
    Candidates,
    SamplePlan,
    TopicTotals,
    add_totals,
    assign_block,
    block_candidates,
    block_totals,
    merge_candidates,
)
from .vocabulary import LocalCounts, TermStats, count_local, local_stats, merge_stats, on_vocabulary

PLUGIN_PREFIX = "topicscope-embedder"


@dataclass
class Part:
    """One partition, read and checked: its texts and their embeddings (float16)."""

    number: int  # the partition's position in the input
    texts: list[str]
    embeddings: np.ndarray  # (documents, dim) float16, as given or as embedded


@dataclass
class EmbeddingSource:
    """Where a partition's embeddings come from: a column, a .npy shard, a dask array block or the model."""

    column: str | None = None
    shard: str | None = None  # path of this partition's .npy file
    plugin: str | None = None  # name of the worker plugin holding the embedding model
    write_to: str | None = None  # folder to write this partition's shard to (embeddings_out)


class EmbedderPlugin(WorkerPlugin):
    """A worker plugin holding the embedding model: loaded once per worker, on its first partition.

    Registered by the engine under a name unique to the run and removed when the run ends. The
    default int8 model left to size its own threads (``threads=None``: one per core) gets the
    worker's thread count instead, so that workers sharing a machine do not each start a thread
    per core (two workers on two cores ran four ONNX Runtime threads).
    """

    def __init__(self, spec: Any, name: str) -> None:
        self.spec = spec
        self.name = name
        self._embedder: Any = None
        self._lock: Any = None
        self.worker_threads: int | None = None

    def setup(self, worker: Any) -> None:
        self._lock = threading.Lock()
        # distributed keeps the count on the worker's state (worker.nthreads is None there).
        nthreads = getattr(getattr(worker, "state", None), "nthreads", None) or getattr(worker, "nthreads", None)
        # Never more than the embedder's own default (one per physical core), which a worker of many
        # threads would otherwise exceed.
        from ..embedding.quantized import physical_cores

        cores = physical_cores()
        self.worker_threads = min(int(nthreads), cores) if isinstance(nthreads, int) and nthreads > 0 else None

    def teardown(self, worker: Any) -> None:
        self._embedder = None

    def embedder(self) -> Any:
        from ..embedding import resolve_embedder

        with self._lock:  # a worker's threads share one model
            if self._embedder is None:
                from ..embedding import QuantizedEmbedder

                embedder = resolve_embedder(self.spec)
                if isinstance(embedder, QuantizedEmbedder) and embedder.threads is None and self.worker_threads:
                    # A copy: with thread workers (processes=False) the spec is the user's own object.
                    embedder = copy.copy(embedder)
                    embedder.threads = self.worker_threads
                self._embedder = embedder
            return self._embedder


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _missing(value: Any) -> bool:
    """None, NaN, pandas' NA or NaT: a missing value rather than a wrong one."""
    import pandas as pd

    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _texts(data: Any, number: int, text_column: str) -> tuple[list[str], list[Any] | None]:
    """The texts of a partition (a pandas DataFrame, a Series or a list from a bag), checked."""
    if isinstance(data, (list, tuple)) or not hasattr(data, "columns"):
        rows = list(data.tolist() if hasattr(data, "tolist") else data)
        if rows and all(isinstance(r, dict) for r in rows):
            missing = [i for i, r in enumerate(rows) if text_column not in r]
            if missing:
                keys = sorted(rows[missing[0]])
                raise InputError(
                    f"data: partition {number}, row {missing[0]} has no text_column {text_column!r}; "
                    f"its keys are {keys}"
                )
            values = [r[text_column] for r in rows]
        else:
            values = rows
        labels = None
    else:
        if text_column not in data.columns:
            raise InputError(
                f"data has no text_column {text_column!r}; its columns are {[str(c) for c in data.columns]}"
            )
        values = data[text_column].tolist()
        labels = data.index.tolist()
    for i, value in enumerate(values):
        if not isinstance(value, str):
            where = f"partition {number}, row {i}" + (f" (index {labels[i]!r})" if labels is not None else "")
            if _missing(value):
                raise InputError(
                    f"data: {where} has no text in column {text_column!r} (a missing value); "
                    "drop or fill missing texts first (e.g. ddf.dropna(subset=[text_column]))"
                )
            raise InputError(
                f"data: {where} holds {type(value).__name__} {_describe(value)} in column {text_column!r}; "
                "texts must be strings"
            )
    return list(values), labels


def _embedding_rows(value: Any, n: int, where: str) -> np.ndarray:
    """A (n, dim) float32 array from a 2-D array or a sequence of vectors, checked."""
    try:
        if isinstance(value, np.ndarray) and value.ndim == 2:
            arr = value.astype(np.float32)
        else:
            rows = list(value)
            if rows and isinstance(rows[0], (str, bytes)):
                raise InputError(
                    f"embeddings: {where} holds text, not vectors (Dask turns object columns into strings "
                    "unless dask.config.set({'dataframe.convert-string': False}); store vectors as a parquet list "
                    "column or pass .npy files)"
                )
            arr = np.stack([np.asarray(v, dtype=np.float32) for v in rows]) if rows else np.zeros((0, 0), np.float32)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(
            f"embeddings: {where} cannot be read as one vector per document ({type(exc).__name__}: {str(exc)[:80]})"
        ) from None
    if arr.ndim != 2 or arr.shape[0] != n:
        raise InputError(f"embeddings: {where} has shape {arr.shape}; expected one row per document ({n} rows)")
    if n and not np.isfinite(arr).all():
        raise InputError(f"embeddings: {where} holds NaN or infinite values")
    return arr


def prepare(data: Any, number: int, text_column: str, source: EmbeddingSource, block: Any = None) -> Part:
    """Read and check one partition; embed it (or read its embeddings)."""
    texts, _ = _texts(data, number, text_column)
    n = len(texts)
    if source.column is not None:
        if not hasattr(data, "columns") or source.column not in data.columns:
            raise InputError(f"data has no embeddings column {source.column!r}")
        emb = _embedding_rows(data[source.column].tolist(), n, f"column {source.column!r} of partition {number}")
    elif source.shard is not None:
        try:
            shard = np.load(source.shard, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"embeddings: cannot read {source.shard} (partition {number}): {exc}") from None
        emb = _embedding_rows(shard, n, f"{source.shard} (partition {number})")
    elif block is not None:
        emb = _embedding_rows(block, n, f"the array block of partition {number}")
    elif n:
        from distributed import get_worker

        plugin = get_worker().plugins[str(source.plugin)]
        assert isinstance(plugin, EmbedderPlugin)  # registered by the engine for this run
        emb = _embedding_rows(plugin.embedder().embed(texts, verbose=False), n, f"the embeddings of partition {number}")
    else:
        emb = np.zeros((0, 0), dtype=np.float32)
    # Normalised before the float16 rounding (neighbors.unit_float16): rows of 1e5 or 1e-9 survive it.
    emb16 = unit_float16(emb, name=f"embeddings of partition {number}")
    if source.write_to is not None:
        _write_shard(Path(source.write_to), number, emb16)
    return Part(number, texts, emb16)


def shard_name(number: int) -> str:
    return f"part.{number:05d}.npy"


def _write_shard(folder: Path, number: int, emb16: np.ndarray) -> None:
    """Write a partition's embeddings atomically (a task run twice writes the same file twice)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / shard_name(number)
    tmp = folder / f".{shard_name(number)}.{os.getpid()}.tmp"
    with tmp.open("wb") as fh:
        np.save(fh, emb16, allow_pickle=False)
    os.replace(tmp, final)


def size_of(part: Part) -> tuple[int, int]:
    """(documents, embedding dimension) of a partition."""
    return len(part.texts), int(part.embeddings.shape[1]) if part.embeddings.ndim == 2 else 0


def vectors(part: Part) -> np.ndarray:
    """The partition's unit vectors at the neighbour index's precision (row by row: block-independent)."""
    from .._neighbors import index_vectors

    return index_vectors(part.embeddings)


def take(part: Part, local_rows: np.ndarray) -> np.ndarray:
    """The float16 embeddings of some rows of a partition (the sample's)."""
    return part.embeddings[local_rows]


def fingerprint_part(part: Part) -> bytes:
    """The partition's share of the texts' fingerprint (``vectorize.counts.fingerprint_bytes``):
    one bytes object travels to the driver, where a list of strings would go string by string
    (Dask serialises a list item by item: 17 s against 0.2 s for 300,000 summaries)."""
    from ..vectorize.counts import fingerprint_bytes

    return fingerprint_bytes(part.texts)


def count_part(part: Part, vectorizer: Any) -> LocalCounts:
    return count_local(part.texts, vectorizer)


def stats_of(local: LocalCounts) -> TermStats:
    return local_stats(local)


def merge_term_stats(*parts: TermStats) -> TermStats:
    return merge_stats(list(parts))


def assign_partition(part: Part, plan: SamplePlan, start: int) -> Assigned:
    """Topics of a partition's documents (rows ``start``.. of the corpus) from the sample's plan."""
    rows = np.arange(start, start + len(part.texts), dtype=np.int64)
    return assign_block(plan, vectors(part), rows)


def totals_of(
    part: Part,
    local: LocalCounts,
    assigned: Assigned,
    columns: dict[str, int],
    n_terms: int,
    topic_ids: np.ndarray,
    uncounted: np.ndarray,
) -> TopicTotals:
    """Term counts, sizes and embedding sums per topic of one partition."""
    doc_term = on_vocabulary(local, columns, n_terms)
    counted = assigned.core | np.isin(assigned.topics, uncounted)
    return block_totals(doc_term, vectors(part), assigned.topics, counted, topic_ids)


def add_all_totals(*parts: TopicTotals) -> TopicTotals:
    return reduce(add_totals, parts)


def candidates_of(part: Part, assigned: Assigned, start: int, topic_ids: np.ndarray, centres: np.ndarray) -> Candidates:
    rows = np.arange(start, start + len(part.texts), dtype=np.int64)
    return block_candidates(part.texts, vectors(part), rows, assigned.topics, topic_ids, centres)


def merge_all_candidates(*parts: Candidates) -> Candidates:
    return reduce(merge_candidates, parts)


def output_frame(data: Any, piece: tuple[np.ndarray, np.ndarray], start: int, id_column: str | None) -> Any:
    """The per-document result of a partition: row, (its ids), Topic, Probability.

    ``row`` is the document's position in the input; ``data`` is the input partition (read again
    for its ids; None without an id column).
    """
    import pandas as pd

    topics, probabilities = piece
    columns: dict[str, Any] = {"row": np.arange(start, start + len(topics), dtype=np.int64)}
    if id_column is not None:
        ids = data[id_column].to_numpy()
        if len(ids) != len(topics):
            raise InputError(
                f"data: the partition at row {start} has {len(ids)} rows now but had {len(topics)} when fitted "
                "(the input changed during the run)"
            )
        columns[id_column] = ids
    columns["Topic"] = np.asarray(topics, dtype=np.int64)
    columns["Probability"] = np.asarray(probabilities, dtype=np.float64)
    return pd.DataFrame(columns)
