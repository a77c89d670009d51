"""The Dask engine's inputs: a collection or files of text, and where the embeddings come from.

``partitions_of`` turns what the user passed into one delayed object per partition (a pandas
DataFrame, a Series or a list of bag items) and one ``EmbeddingSource`` per partition; the
checks that need the data itself (missing or non-string texts, embedding rows) run on the
workers, in ``partitions.prepare``.
"""

from __future__ import annotations

import glob as globlib
import os
from collections.abc import Sequence
from typing import Any

from ..exceptions import InputError
from .partitions import EmbeddingSource

_PARQUET = (".parquet", ".parq", ".pq")
_JSON = (".jsonl", ".json", ".ndjson")
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst")
JSON_BLOCKSIZE = 16 * 2**20  # bytes of an uncompressed JSON-lines file per partition


def read_files(path: str | os.PathLike[str] | Sequence[str]) -> Any:
    """A Dask DataFrame over parquet or JSON-lines files (a path, a glob or a list of them)."""
    import dask.dataframe as dd

    paths = [os.fspath(path)] if isinstance(path, (str, os.PathLike)) else [os.fspath(p) for p in path]
    if not paths:
        raise InputError("data must name at least one file; got an empty list")
    first = paths[0].rstrip("/")
    stem = first
    for ext in _COMPRESSED:
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
    is_remote = "://" in first
    if not is_remote:
        matched = [m for p in paths for m in sorted(globlib.glob(p))]
        if not matched:
            raise InputError(f"data: no file matches {paths if len(paths) > 1 else paths[0]!r}")
    target: Any = paths if len(paths) > 1 else paths[0]
    if stem.endswith(_PARQUET) or (not is_remote and os.path.isdir(first)):
        return dd.read_parquet(target)
    if stem.endswith(_JSON):
        compressed = stem != first
        return dd.read_json(target, lines=True, orient="records", blocksize=None if compressed else JSON_BLOCKSIZE)
    raise InputError(
        f"data: cannot tell the format of {first!r}: name parquet files (*.parquet) or JSON-lines files "
        "(*.jsonl, *.json, *.ndjson, optionally compressed), or pass a Dask DataFrame or bag"
    )


def _columns(data: Any) -> list[str]:
    return [str(c) for c in data.columns]


def partitions_of(
    data: Any,
    text_column: str,
    id_column: str | None,
    embeddings: Any,
) -> tuple[list[Any], list[EmbeddingSource], list[Any]]:
    """(one delayed object per partition, where each partition's embeddings come from, array blocks)."""
    import dask.array as da
    import dask.bag as db
    import dask.dataframe as dd

    if isinstance(data, (str, os.PathLike)) or (
        isinstance(data, (list, tuple)) and data and all(isinstance(p, (str, os.PathLike)) for p in data)
    ):
        data = read_files(data)
    if isinstance(data, dd.DataFrame):
        columns = _columns(data)
        if text_column not in columns:
            raise InputError(f"data has no text_column {text_column!r}; its columns are {columns}")
        if id_column is not None and id_column not in columns:
            raise InputError(f"data has no id_column {id_column!r}; its columns are {columns}")
        parts = list(data.to_delayed())
    elif isinstance(data, dd.Series):
        if id_column is not None:
            raise InputError("id_column needs a Dask DataFrame; data is a Series (of texts)")
        columns = []
        parts = list(data.to_delayed())
    elif isinstance(data, db.Bag):
        if id_column is not None:
            raise InputError("id_column needs a Dask DataFrame; data is a bag (convert it with bag.to_dataframe())")
        columns = []
        parts = list(data.to_delayed())
    else:
        hint = ""
        if type(data).__name__ in ("DataFrame", "Series", "list", "ndarray"):
            hint = " (for data in memory use TopicModel.fit, or wrap it with dask.dataframe.from_pandas)"
        raise InputError(
            "data must be a Dask DataFrame, Series or bag of texts, or a parquet / JSON-lines path or glob; "
            f"got {type(data).__name__}{hint}"
        )
    n = len(parts)
    blocks: list[Any] = [None] * n
    if embeddings is None:
        sources = [EmbeddingSource() for _ in range(n)]
    elif isinstance(embeddings, str) and embeddings in columns:
        sources = [EmbeddingSource(column=embeddings) for _ in range(n)]
    elif isinstance(embeddings, da.Array):
        if embeddings.ndim != 2 or embeddings.numblocks[0] != n or embeddings.numblocks[1] != 1:
            raise InputError(
                f"embeddings: a Dask array must have one block of rows per partition ({n}) and one block of "
                f"columns; got blocks {embeddings.numblocks} (rechunk it to the partitions' lengths)"
            )
        blocks = list(embeddings.to_delayed().ravel())
        sources = [EmbeddingSource() for _ in range(n)]
    elif isinstance(embeddings, (str, os.PathLike)) or (
        isinstance(embeddings, (list, tuple)) and all(isinstance(p, (str, os.PathLike)) for p in embeddings)
    ):
        shards = _shards(embeddings, columns)
        if len(shards) != n:
            raise InputError(
                f"embeddings: found {len(shards)} .npy files for {n} partitions; give one file per partition, "
                "in partition order (as embeddings_out writes them)"
            )
        sources = [EmbeddingSource(shard=s) for s in shards]
    else:
        raise InputError(
            "embeddings must be None (embed on the workers), a column of data, .npy files (a glob or a list, one "
            f"per partition) or a Dask array; got {type(embeddings).__name__}"
        )
    return parts, sources, blocks


def _shards(embeddings: Any, columns: list[str]) -> list[str]:
    if isinstance(embeddings, (str, os.PathLike)):
        pattern = os.fspath(embeddings)
        if os.path.isdir(pattern):
            pattern = os.path.join(pattern, "*.npy")
        found = sorted(globlib.glob(pattern))
        if not found:
            where = f"neither a column of data (columns {columns}) nor" if columns else "not"
            raise InputError(f"embeddings: {os.fspath(embeddings)!r} is {where} a set of .npy files")
        return found
    return [os.fspath(p) for p in embeddings]
