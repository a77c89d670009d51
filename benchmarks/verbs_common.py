"""Shared set-up of the analysis-verb benchmarks (issue 10): both libraries on identical topics.

topicscope is fitted on a corpus's precomputed embeddings; BERTopic 0.17 is then fitted in its
manual mode (``hdbscan_model=BaseCluster()``, ``umap_model=BaseDimensionalityReduction()``) on
topicscope's labels, so every verb works on the same topics and a benchmark times the verb alone.
Timings are best-of-``repeat`` wall times of the call the user makes; memory is the peak traced by
tracemalloc during one call (numpy and scipy allocations included).
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from common import load_limited


def paired_models(
    corpus: str, limit: int | None = None, **topicscope_params: Any
) -> tuple[Any, Any, list[str], np.ndarray, list[int], list]:
    """(topicscope model, BERTopic model, docs, embeddings, topics, labels) on identical topics."""
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction

    from topicscope import TopicModel

    docs, labels, emb = load_limited(corpus, limit)
    ts = TopicModel(random_state=0, **topicscope_params)
    topics, _ = ts.fit_transform(docs, embeddings=emb)
    bt = BERTopic(hdbscan_model=BaseCluster(), umap_model=BaseDimensionalityReduction())
    bt.fit(docs, embeddings=emb, y=np.asarray(topics))
    return ts, bt, docs, emb, topics, labels


def best_time(call: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The best wall time of ``repeat`` calls, and the last call's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_mib(call: Callable[[], Any]) -> float:
    """Peak memory (MiB) allocated by Python, numpy and scipy during one call."""
    gc.collect()
    tracemalloc.start()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def id_map(bt_topics: list[int], ts_topics: list[int]) -> dict[int, int]:
    """BERTopic topic id -> topicscope topic id, read from the two libraries' topics of the same
    documents (BERTopic may renumber topics by size); stops the run if they do not hold the same topics."""
    pairs = set(zip(map(int, bt_topics), map(int, ts_topics)))
    mapping = dict(pairs)
    if len(mapping) != len(pairs) or len(set(mapping.values())) != len(mapping):
        raise SystemExit("the two models do not hold the same topics")
    return mapping
