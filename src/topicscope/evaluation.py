"""Evaluate topic models: NPMI coherence, topic diversity, agreement with gold labels.

Usable on any model's topics (lists of words), not only topicscope's::

    from topicscope.evaluation import npmi_coherence, topic_diversity
    words = [[w for w, _ in model.get_topic(t)] for t in model.topic_sizes_ if t != -1]
    npmi_coherence(words, [doc.split() for doc in docs]), topic_diversity(words)
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from .exceptions import InputError


def topic_diversity(topics: Sequence[Sequence[str]], top_n: int = 10) -> float:
    """Share of unique words among all topics' top ``top_n`` words (1.0 = no word repeats)."""
    words = [w for topic in topics for w in list(topic)[:top_n]]
    if not words:
        raise InputError("topics must hold at least one word; got none")
    return len(set(words)) / len(words)


def _windows(tokens: list[str], window: int | None) -> list[list[str]]:
    if window is None or len(tokens) <= window:
        return [tokens]
    return [tokens[i : i + window] for i in range(len(tokens) - window + 1)]


def npmi_coherence(
    topics: Sequence[Sequence[str]],
    texts: Sequence[Sequence[str]],
    top_n: int = 10,
    window: int | None = 10,
    per_topic: bool = False,
) -> float | list[float]:
    """Mean normalised pointwise mutual information of each topic's word pairs.

    Probabilities are estimated over boolean sliding windows of ``window`` tokens (gensim's
    ``c_npmi`` convention; ``None`` uses whole documents). A pair never seen together scores -1;
    words absent from ``texts`` make the pair score 0 (unknown).
    """
    topics = [list(t)[:top_n] for t in topics]
    if not topics or not any(topics):
        raise InputError("topics must hold at least one topic with words; got none")
    vocab = sorted({w for t in topics for w in t})
    index = {w: i for i, w in enumerate(vocab)}
    single = np.zeros(len(vocab))
    joint = np.zeros((len(vocab), len(vocab)))
    n_windows = 0
    for tokens in texts:
        for win in _windows(list(tokens), window):
            n_windows += 1
            present = sorted({index[w] for w in win if w in index})
            if not present:
                continue
            single[present] += 1
            idx = np.array(present)
            joint[np.ix_(idx, idx)] += 1
    if n_windows == 0:
        raise InputError("texts must hold at least one tokenised document; got none")
    eps = 1e-12
    scores = []
    for topic in topics:
        pairs = []
        for a, b in combinations(topic, 2):
            i, j = index[a], index[b]
            if single[i] == 0 or single[j] == 0:
                pairs.append(0.0)
                continue
            p_ij = joint[i, j] / n_windows
            if p_ij == 0:
                pairs.append(-1.0)
                continue
            p_i, p_j = single[i] / n_windows, single[j] / n_windows
            pmi = np.log(p_ij / (p_i * p_j))
            pairs.append(float(pmi / -np.log(p_ij + eps)) if p_ij < 1 else 1.0)
        scores.append(float(np.mean(pairs)) if pairs else 0.0)
    return scores if per_topic else float(np.mean(scores))


def label_agreement(
    labels: Sequence[Any] | np.ndarray, topics: Sequence[int] | np.ndarray, *, exclude_outliers: bool = False
) -> dict[str, float]:
    """NMI and ARI between gold ``labels`` and ``topics`` (optionally without outlier documents)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels_arr, topics_arr = np.asarray(labels), np.asarray(topics)
    if labels_arr.shape != topics_arr.shape:
        raise InputError(f"labels and topics must have the same length; got {labels_arr.shape} and {topics_arr.shape}")
    if exclude_outliers:
        keep = topics_arr != -1
        labels_arr, topics_arr = labels_arr[keep], topics_arr[keep]
    return {
        "nmi": float(normalized_mutual_info_score(labels_arr, topics_arr)),
        "ari": float(adjusted_rand_score(labels_arr, topics_arr)),
        "outlier_share": float(np.mean(np.asarray(topics) == -1)),
    }
