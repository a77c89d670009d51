"""Maximal Marginal Relevance: re-rank topic words for relevance and diversity."""

from __future__ import annotations

import numpy as np

from .._mmr import mmr
from .._validation import check_float
from ..context import BaseRepresentation, TopicContext, Words


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
