"""Maximal Marginal Relevance as one function of arrays (MMR words, LLM document choice)."""

from __future__ import annotations

import numpy as np


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
