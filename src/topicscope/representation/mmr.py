"""Maximal Marginal Relevance: re-rank topic words for relevance and diversity."""

from __future__ import annotations

import numpy as np

from .._validation import check_float
from .base import BaseRepresentation, TopicContext, Words


def mmr(query: np.ndarray, candidates: np.ndarray, top_n: int, diversity: float) -> list[int]:
    """Indices of ``top_n`` rows of ``candidates`` chosen by Maximal Marginal Relevance.

    Each step takes the candidate maximising ``(1 - diversity) * sim(query, c) -
    diversity * max(sim(c, chosen))``. Rows are assumed L2-normalised.
    """
    n = candidates.shape[0]
    if n == 0 or top_n <= 0:
        return []
    relevance = candidates @ query
    pairwise = candidates @ candidates.T
    chosen = [int(np.argmax(relevance))]
    remaining = [i for i in range(n) if i != chosen[0]]
    while remaining and len(chosen) < top_n:
        redundancy = pairwise[np.ix_(remaining, chosen)].max(axis=1)
        score = (1 - diversity) * relevance[remaining] - diversity * redundancy
        pick = remaining[int(np.argmax(score))]
        chosen.append(pick)
        remaining.remove(pick)
    return chosen


class MaximalMarginalRelevance(BaseRepresentation):
    """Re-rank each topic's words so that they are relevant to the topic but not redundant.

    Parameters
    ----------
    diversity : 0 keeps the relevance order, 1 maximises diversity.
    top_n_words : words kept per topic (default: the topic model's ``top_n_words``).
    """

    def __init__(self, diversity: float = 0.1, top_n_words: int | None = None) -> None:
        self.diversity = diversity
        self.top_n_words = top_n_words

    def describe(self, context: TopicContext) -> dict[int, Words]:
        diversity = check_float(self.diversity, "diversity", low=0.0, high=1.0)
        embed = context.require_embed("MaximalMarginalRelevance")
        top_n = self.top_n_words or context.top_n_words
        out: dict[int, Words] = {}
        for topic in context.topic_ids:
            words = context.words.get(topic, [])
            if not words:
                out[topic] = []
                continue
            word_vecs = embed([w for w, _ in words])
            query = word_vecs.mean(axis=0)
            query /= np.linalg.norm(query) or 1.0
            picks = mmr(query, word_vecs, top_n, diversity)
            out[topic] = [(words[i][0], float(word_vecs[i] @ query)) for i in picks]
        return out
