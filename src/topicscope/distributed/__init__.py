"""Topic models of corpora spread over a Dask cluster (``pip install "topicscope[dask]"``).

``fit(model, data, client=...)`` fits a ``TopicModel`` in place on a Dask collection or on
files, with the same results as ``model.fit`` on the same documents in one process (same seed,
same sample); ``fit_transform`` also returns every document's topic and probability as a Dask
DataFrame. See docs/scale.md. Dask is imported only when these functions are called.

``data``: a Dask DataFrame with a text column (``text_column``), a Dask Series or bag of
texts (a bag of dicts: ``text_column`` is the key), or a path, glob or list of parquet or
JSON-lines files. ``embeddings``: None (each worker loads ``model.embedding_model`` once and
embeds its partitions), the name of a column holding one vector per row, ``.npy`` files (a
glob, a folder or a list; one per partition, as ``embeddings_out`` writes them) or a Dask
array with one block of rows per partition. ``client``: a ``distributed.Client``, a scheduler
address (``"tcp://host:8786"``; ``connect_timeout`` seconds to answer) or None (the current
default client, else a ``LocalCluster`` of this machine for the call).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..exceptions import missing_extra

if TYPE_CHECKING:
    from ..model import TopicModel

__all__ = ["fit", "fit_transform"]


def _engine() -> Any:
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise missing_extra("dask[distributed]", "dask", exc) from exc
    from . import engine

    return engine


def fit(
    model: TopicModel,
    data: Any,
    *,
    text_column: str = "text",
    embeddings: Any = None,
    client: Any = None,
    connect_timeout: float = 10.0,
    embeddings_out: str | os.PathLike[str] | None = None,
    topics_out: str | os.PathLike[str] | None = None,
) -> TopicModel:
    """Fit ``model`` (a ``TopicModel``) on ``data`` on a Dask cluster; returns the model, fitted in place.

    More documents than ``model.fit_sample_size``: the topic structure is fitted here on a seeded
    sample, every partition is assigned on the workers, and topic words, sizes, embeddings and
    representative documents are summed over all partitions. Otherwise the documents are gathered
    and fitted here as ``model.fit`` would. ``embeddings_out``: a folder where each partition's
    embeddings are written (``part.00000.npy``, ...) for a later run's ``embeddings=``.
    ``topics_out``: a folder where the per-document topics are written as parquet.
    """
    _engine().fit_dask(
        model,
        data,
        text_column=text_column,
        embeddings=embeddings,
        id_column=None,
        client=client,
        connect_timeout=connect_timeout,
        embeddings_out=None if embeddings_out is None else os.fspath(embeddings_out),
        topics_out=None if topics_out is None else os.fspath(topics_out),
        want_frame=False,
    )
    return model


def fit_transform(
    model: TopicModel,
    data: Any,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    embeddings: Any = None,
    client: Any = None,
    connect_timeout: float = 10.0,
    embeddings_out: str | os.PathLike[str] | None = None,
    topics_out: str | os.PathLike[str] | None = None,
) -> Any:
    """``fit``, then every document's topic as a Dask DataFrame.

    Columns: ``row`` (int64, the document's position in ``data``, partitions in order), ``id_column``
    (when given, copied from ``data``), ``Topic`` (int64) and ``Probability`` (float64: the share of
    the document's neighbours in its topic, as ``TopicModel.fit_transform`` reports it). Its
    partitions follow ``data``'s (empty ones left out). With ``topics_out`` it is written there as
    parquet and read back; otherwise it is held in the cluster's memory (or, when this call
    started its own cluster, in this process's).
    """
    return _engine().fit_dask(
        model,
        data,
        text_column=text_column,
        embeddings=embeddings,
        id_column=id_column,
        client=client,
        connect_timeout=connect_timeout,
        embeddings_out=None if embeddings_out is None else os.fspath(embeddings_out),
        topics_out=None if topics_out is None else os.fspath(topics_out),
        want_frame=True,
    )
