"""Outlier reduction: give the documents of topic -1 their best topic (BERTopic's ``reduce_outliers``).

The verb returns new topics and leaves the model alone (``update_topics(docs, topics=new_topics)``
then changes it). Each strategy scores the outlier documents
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

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._logging import logger
from .._validation import check_documents, check_embeddings, check_float, check_labels
from ..exceptions import InputError
from .distribution import (
    DistributionParams,
    TopicMatcher,
    check_distribution_params,
    embedding_similarity,
    model_distributions,
)
from .edit import refuse_images

if TYPE_CHECKING:
    from .view import ModelView

STRATEGIES = ("distributions", "probabilities", "c-tf-idf", "embeddings")


def reduce_outliers(
    view: ModelView,
    documents: Sequence[str],
    topics: Sequence[int] | np.ndarray,
    images: Any = None,
    strategy: str = "distributions",
    probabilities: np.ndarray | None = None,
    threshold: float = 0,
    embeddings: np.ndarray | None = None,
    distributions_params: Mapping[str, Any] = {},  # BERTopic's default; never mutated
) -> list[int]:
    """BERTopic's ``reduce_outliers``: new topics for the outliers (-1) of ``topics``; the model is not changed.

    Everything is checked before anything is scored; topics without -1 come back unchanged (with a
    logged note).
    """
    refuse_images(images)
    state = view.state()
    name = check_strategy(strategy)
    docs = check_documents(documents, allow_empty=True)
    labels = check_labels(topics, len(docs), name="topics")
    limit = check_float(threshold, "threshold", low=-1.0, high=1.0)
    n_topics = int((state.topic_ids != -1).sum())
    probs = None
    if name == "probabilities":
        if probabilities is None:
            raise InputError(
                'strategy="probabilities" needs probabilities: the (documents, topics) matrix of '
                "fit_transform with calculate_probabilities=True"
            )
        probs = check_probabilities(probabilities, len(docs), n_topics)
    emb = None if embeddings is None else check_embeddings(embeddings, len(docs), dim=state.embedding_dim)
    if not isinstance(distributions_params, Mapping):
        raise InputError(f"distributions_params must be a dict; got {type(distributions_params).__name__}")
    if "min_similarity" in distributions_params:
        raise InputError("distributions_params must not set min_similarity: pass it as threshold")
    dist_params = check_distribution_params(
        **{**distributions_params, "min_similarity": limit, "calculate_tokens": False}
    )
    if not (labels == -1).any():
        logger.info("reduce_outliers: the topics have no outliers (-1); they are returned unchanged")
        return [int(t) for t in labels]
    outliers = np.flatnonzero(labels == -1)
    topic_ids = state.topic_ids[state.topic_ids != -1].astype(np.int64)
    if not len(topic_ids):
        return [int(t) for t in labels]
    scores = outlier_scores(view, name, docs, outliers, probabilities=probs, embeddings=emb, params=dist_params)
    # With "distributions" the threshold already dropped weak windows (min_similarity): any remaining weight counts.
    new = reassign(labels, outliers, scores, topic_ids, 0.0 if name == "distributions" else limit)
    return [int(t) for t in new]


def outlier_scores(
    view: ModelView,
    strategy: str,
    docs: list[str],
    rows: np.ndarray,
    *,
    probabilities: np.ndarray | None,
    embeddings: np.ndarray | None,
    params: DistributionParams,
) -> np.ndarray:
    """(outliers, topics) scores of the documents ``docs[rows]`` by ``strategy``, columns in the order of
    the topics other than -1 (``probabilities``, ``embeddings``: the checked arrays, when given)."""
    state = view.state()
    if strategy == "probabilities":
        return np.asarray(probabilities)[rows]
    if strategy == "distributions":
        return model_distributions(view, [docs[i] for i in rows], params)[0]
    if strategy == "c-tf-idf":
        training = state.training_doc_term
        if training is not None and training.shape[0] == len(docs):
            counts = view.doc_term(docs)[rows]  # fit's own counts when docs are the training documents
        else:
            counts = view.doc_term([docs[i] for i in rows])
        describer = view.describer()
        return TopicMatcher.from_state(state, describer.ctfidf, describer.seed_words).similarity(counts)
    if strategy == "embeddings":
        vectors = embeddings[rows] if embeddings is not None else view.embedder().embed([docs[i] for i in rows])
        return embedding_similarity(vectors, state)
    raise InputError(f"strategy must be one of {list(STRATEGIES)}; got {strategy!r}")


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
