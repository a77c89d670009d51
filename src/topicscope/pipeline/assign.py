"""Assign documents to topics from their nearest neighbours: the engine of ``transform``.

A document's topic distribution is the similarity-weighted share of each topic among its
nearest neighbours. For a training document those are the document itself (weight 1) and its
nearest neighbours in the graph built at fit time, so ``fit_transform`` and
``get_document_info`` never search again. A new document's neighbours come from the neighbour
index over the stored training embeddings (:mod:`topicscope._neighbors`: exact for small models,
an HNSW index above that); a new document identical to a training document takes that
document's topic, so ``transform`` on the training documents gives back the topics of ``fit``.

Each document keeps only the topics and weights of its neighbours (``k`` of each), so merging
topics later (``reduce_topics``, ``merge_models``) just relabels them: memory stays linear in the
number of documents and nothing assumes the index rows are the training documents in order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._neighbors import DEFAULT_K, NO_TOPIC, NeighborIndex, neighbor_shares
from ..state import TopicState

EXACT_MATCH = 0.999


def index_neighbors(
    embeddings: np.ndarray, index: NeighborIndex, index_topics: np.ndarray, k: int = DEFAULT_K
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(neighbour topics, weights, nearest similarity) of new documents from the neighbour index."""
    n = embeddings.shape[0]
    if n == 0 or len(index) == 0:
        return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.float32), np.full(n, -np.inf)
    idx, sim = index.search(embeddings, k)
    valid = (idx >= 0) & np.isfinite(sim)
    topics = np.where(valid, index_topics[np.where(valid, idx, 0)], NO_TOPIC).astype(np.int64)
    # A (near-)duplicate counts with weight 1, as a training document counts itself.
    weights = np.where(valid, np.where(sim >= EXACT_MATCH, 1.0, np.clip(sim, 1e-6, None)), 0.0).astype(np.float32)
    return topics, weights, np.where(valid[:, 0], sim[:, 0], -np.inf)


def assign_topics(
    neighbor_topics: np.ndarray,
    weights: np.ndarray,
    topic_ids: np.ndarray,
    nearest_similarity: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(topics, shares) of documents from their neighbours.

    The topic with the largest share wins (ties: the lower id). With ``nearest_similarity`` (new
    documents): a near-duplicate of a neighbour (similarity >= EXACT_MATCH) takes that
    neighbour's topic, and a document similar to nothing (<= 0, e.g. an empty text) is an
    outlier, but only when the model has an outlier topic: a model without one never returns -1
    and gives such a document the topic of its nearest neighbours with probability 0.
    """
    topic_ids = np.asarray(topic_ids, dtype=np.int64)
    shares = neighbor_shares(neighbor_topics, weights, topic_ids)
    n = shares.shape[0]
    if n == 0 or not len(topic_ids):
        return np.full(n, -1, dtype=np.int64), shares
    ranked = shares.copy()
    has_outliers = bool(len(topic_ids)) and int(topic_ids[0]) == -1
    topics = topic_ids[np.argmax(ranked, axis=1)]
    if nearest_similarity is not None and neighbor_topics.shape[1]:
        exact = nearest_similarity >= EXACT_MATCH
        topics = np.where(exact & (neighbor_topics[:, 0] != NO_TOPIC), neighbor_topics[:, 0], topics)
        alone = nearest_similarity <= 0
        if has_outliers:
            topics = np.where(alone, -1, topics)
        shares[alone] = 0.0  # no evidence for any topic: probability 0 whatever the topic
    return topics.astype(np.int64), shares


def classify(
    embeddings: np.ndarray, topic_ids: np.ndarray, topic_mapper: dict[int, int], reducer: Any, classifier: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(topics, shares) of new documents from a supervised model's fitted reducer and classifier.

    The classifier predicts the labels of fit; ``topic_mapper`` takes them to today's topic ids
    (after ``reduce_topics``). Shares are ``predict_proba``'s columns summed per topic (a one-hot
    row when the classifier has no ``predict_proba``).
    """
    from .._topics import remap_topics

    reduced = embeddings
    if reducer is not None and callable(getattr(reducer, "transform", None)):
        reduced = np.asarray(reducer.transform(embeddings), dtype=np.float32)
    topics = remap_topics(np.asarray(classifier.predict(reduced), dtype=np.int64), topic_mapper)
    topic_ids = np.asarray(topic_ids, dtype=np.int64)
    shares = np.zeros((len(topics), len(topic_ids)))
    proba = getattr(classifier, "predict_proba", None)
    if callable(proba):
        matrix = np.asarray(proba(reduced), dtype=np.float64)
        classes = remap_topics(np.asarray(classifier.classes_, dtype=np.int64), topic_mapper)
        cols = np.searchsorted(topic_ids, classes)
        ok = (cols < len(topic_ids)) & (topic_ids[np.minimum(cols, len(topic_ids) - 1)] == classes)
        np.add.at(shares.T, cols[ok], matrix[:, ok].T)
    else:
        cols = np.searchsorted(topic_ids, topics)
        ok = cols < len(topic_ids)
        shares[np.flatnonzero(ok), cols[ok]] = 1.0
    return topics, shares


def assign_documents(
    state: TopicState, embeddings: np.ndarray, classifier: tuple[Any, Any] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(topics, shares over ``state.topic_ids``) of new documents: the engine of ``transform``.

    With ``classifier`` (a supervised model's fitted reducer and classifier) it predicts; otherwise
    the neighbour index decides (see ``assign_topics``). Zero-shot names then apply: a document
    close enough to a name takes its topic; the name counts as one more neighbour weighted by its
    similarity, so a forced topic never reports 0 (with a classifier, which never saw those topics,
    the name match decides with certainty).
    """
    from .zeroshot import zeroshot_transform

    n = embeddings.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(state.topic_ids)))
    ntopics = weights = None
    if classifier is not None:
        topics, shares = classify(embeddings, state.topic_ids, state.topic_mapper, *classifier)
    else:
        ntopics, weights, nearest = index_neighbors(embeddings, state.neighbor_index, state.index_topics)
        topics, shares = assign_topics(ntopics, weights, state.topic_ids, nearest)
    zs = state.zeroshot
    if state.zeroshot_names and zs is not None:
        forced, similarity = zeroshot_transform(embeddings, state.zeroshot_embeddings, zs.topic_ids, zs.min_similarity)
        hit = forced != NO_TOPIC
        if hit.any():
            if ntopics is not None and weights is not None:
                extra_t = np.where(hit, forced, NO_TOPIC)[:, None]
                extra_w = np.where(hit, np.clip(similarity, 1e-6, None), 0.0)[:, None].astype(np.float32)
                both_t, both_w = np.hstack([ntopics, extra_t]), np.hstack([weights, extra_w])
                with_name = neighbor_shares(both_t, both_w, state.topic_ids)
                shares[hit] = with_name[hit]  # other rows keep theirs (0 for a document similar to nothing)
            else:
                shares[hit] = 0.0
                shares[hit, np.searchsorted(state.topic_ids, forced[hit])] = 1.0
            topics = np.where(hit, forced, topics)
    return topics, shares
