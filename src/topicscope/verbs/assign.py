"""Assign documents to topics from their embeddings: the engine of ``transform``.

A document takes the topics of its nearest training documents (cosine, in embedding space),
weighted by similarity; a document identical to a training document takes that document's topic,
so ``transform`` on the training documents gives back the topics of ``fit``. The index is the
training embeddings in float16, so it saves and loads without any fitted reducer or clusterer.
"""

from __future__ import annotations

import numpy as np

EXACT_MATCH = 0.999
DEFAULT_K = 10
_CHUNK = 2048


def knn_assign(
    embeddings: np.ndarray,
    index_embeddings: np.ndarray,
    index_topics: np.ndarray,
    topic_ids: np.ndarray,
    *,
    k: int = DEFAULT_K,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (topics, probabilities) for L2-normalised ``embeddings``.

    ``probabilities[i, j]`` is the similarity-weighted share of the neighbours of document ``i``
    in topic ``topic_ids[j]`` (the outlier topic -1, if present, has a column too).
    """
    topic_ids = np.asarray(topic_ids)
    n = embeddings.shape[0]
    col = {int(t): j for j, t in enumerate(topic_ids)}
    index_cols = np.array([col[int(t)] for t in index_topics], dtype=np.int64)
    k = max(1, min(k, index_embeddings.shape[0]))
    topics = np.empty(n, dtype=np.int64)
    probs = np.zeros((n, len(topic_ids)), dtype=np.float64)
    index = index_embeddings.astype(np.float32)
    for start in range(0, n, _CHUNK):
        block = embeddings[start : start + _CHUNK].astype(np.float32)
        sims = block @ index.T
        nn = (
            np.argpartition(-sims, k - 1, axis=1)[:, :k]
            if k < sims.shape[1]
            else np.tile(np.arange(sims.shape[1]), (len(block), 1))
        )
        nn_sims = np.take_along_axis(sims, nn, axis=1)
        # Sort neighbours by (similarity desc, index asc) so ties resolve the same way every time.
        order = np.lexsort((nn, -nn_sims), axis=1)
        nn = np.take_along_axis(nn, order, axis=1)
        nn_sims = np.take_along_axis(nn_sims, order, axis=1)
        weights = np.clip(nn_sims, 1e-6, None)
        rows = np.repeat(np.arange(len(block)), nn.shape[1])
        block_probs = np.zeros((len(block), len(topic_ids)))
        np.add.at(block_probs, (rows, index_cols[nn].ravel()), weights.ravel())
        block_probs /= block_probs.sum(axis=1, keepdims=True)
        best = topic_ids[np.argmax(block_probs, axis=1)]
        exact = nn_sims[:, 0] >= EXACT_MATCH
        best[exact] = index_topics[nn[exact, 0]]
        # A document similar to nothing (e.g. a zero vector) is an outlier, not the majority topic.
        best[nn_sims[:, 0] <= 0] = -1
        topics[start : start + len(block)] = best
        probs[start : start + len(block)] = block_probs
    return topics, probs
