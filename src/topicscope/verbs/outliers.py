"""Outlier reduction: give the documents of topic -1 their best topic (BERTopic's ``reduce_outliers``).

The verb returns new topics and leaves the state alone. Each strategy scores the outlier documents
against the topics other than -1 (columns in ``state.topic_ids`` order) and an outlier takes the
topic it scores highest with, when that score reaches ``threshold`` and is positive:

* ``"probabilities"``: the rows of a (documents, topics) probability matrix;
* ``"distributions"``: ``approximate_distribution`` of the outlier documents, with
  ``min_similarity=threshold``;
* ``"c-tf-idf"``: cosine similarity of the documents' term counts, weighted like the topics'
  c-TF-IDF, with the topics' c-TF-IDF rows;
* ``"embeddings"``: cosine similarity of the documents' embeddings with the topic embeddings.

A score column is mapped back to its topic id, so topics whose ids are not 0..k-1 (given labels,
zero-shot topics, deleted topics) are assigned correctly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import InputError
from ..state import TopicState

STRATEGIES = ("distributions", "probabilities", "c-tf-idf", "embeddings")


def check_strategy(strategy: Any) -> str:
    """``strategy`` in lower case, or an ``InputError`` listing the allowed ones."""
    name = strategy.lower() if isinstance(strategy, str) else None
    if name not in STRATEGIES:
        raise InputError(f"strategy must be one of {list(STRATEGIES)}; got {strategy!r}")
    return name


def check_probabilities(probabilities: Any, n_docs: int, n_topics: int) -> np.ndarray:
    """``probabilities`` as a finite (documents, topics) float array, or an ``InputError`` naming them."""
    expected = f"({n_docs}, {n_topics}), one row per document and one column per topic other than -1"
    try:
        arr = np.asarray(probabilities, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"probabilities must be a numeric array of shape {expected}; got {type(probabilities).__name__}"
        ) from None
    if arr.shape != (n_docs, n_topics):
        hint = " (fit with calculate_probabilities=True for the full matrix)" if arr.ndim == 1 else ""
        raise InputError(f"probabilities must have shape {expected}; got shape {arr.shape}{hint}")
    if not np.isfinite(arr).all():
        raise InputError("probabilities must be finite; got NaN or inf")
    return arr


def reassign(
    topics: np.ndarray, outliers: np.ndarray, scores: np.ndarray, topic_ids: np.ndarray, threshold: float
) -> np.ndarray:
    """``topics`` with each outlier row given its best-scoring topic, when that score is >= threshold and > 0."""
    new = np.array(topics, dtype=np.int64, copy=True)
    scores = np.asarray(scores, dtype=np.float64)
    if not len(outliers) or not scores.shape[1]:
        return new
    best = scores.argmax(axis=1)  # ties: the smaller topic id, as BERTopic
    top = scores[np.arange(len(best)), best]
    take = (top >= threshold) & (top > 0)
    new[outliers[take]] = topic_ids[best[take]]
    return new


@dataclass(frozen=True)
class OutlierEvidence:
    """How each strategy scores the outlier documents (rows: their positions in the documents).

    Each callable returns an (outliers, topics) array in the column order of the topics other than
    -1; only the one the strategy needs is called.
    """

    probabilities: Callable[[np.ndarray], np.ndarray]
    distributions: Callable[[np.ndarray], np.ndarray]
    ctfidf: Callable[[np.ndarray], np.ndarray]
    embeddings: Callable[[np.ndarray], np.ndarray]


def reduce_outliers(
    state: TopicState, topics: np.ndarray, strategy: str, *, threshold: float, evidence: OutlierEvidence
) -> np.ndarray:
    """New topics for the documents of ``topics`` (-1 = outlier); ``state`` is not changed."""
    outliers = np.flatnonzero(np.asarray(topics) == -1)
    topic_ids = state.topic_ids[state.topic_ids != -1].astype(np.int64)
    if not len(outliers) or not len(topic_ids):
        return np.array(topics, dtype=np.int64, copy=True)
    if strategy == "probabilities":
        return reassign(topics, outliers, evidence.probabilities(outliers), topic_ids, threshold)
    if strategy == "distributions":
        # The threshold already dropped weak windows (min_similarity): any remaining weight counts.
        return reassign(topics, outliers, evidence.distributions(outliers), topic_ids, 0.0)
    if strategy == "c-tf-idf":
        return reassign(topics, outliers, evidence.ctfidf(outliers), topic_ids, threshold)
    if strategy == "embeddings":
        return reassign(topics, outliers, evidence.embeddings(outliers), topic_ids, threshold)
    raise InputError(f"strategy must be one of {list(STRATEGIES)}; got {strategy!r}")
