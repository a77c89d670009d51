"""Guided topic modelling: seed word lists nudge documents toward the seed topics.

Each seed topic is the embedding of its words. A document is seeded to a topic when that seed
is its most similar one and the document ranks in the seed's top ``share`` of documents; seeded
documents' embeddings move a quarter of the way toward the seed, and the seed index is passed
to the reducer and clusterer as a (partial) label, which steers UMAP and the graph clusterer.
The seed words (and their lower-case forms) are also boosted in the c-TF-IDF (see
``ClassTfidfTransformer.seed_multiplier``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._neighbors import normalise_rows
from ..exceptions import InputError

SEED_SHARE = 0.1
PULL = 0.25


def check_seed_topic_list(seed_topic_list: Any) -> list[list[str]] | None:
    if seed_topic_list is None:
        return None
    if isinstance(seed_topic_list, str) or not isinstance(seed_topic_list, Sequence) or not seed_topic_list:
        raise InputError(f"seed_topic_list must be a non-empty list of lists of words; got {seed_topic_list!r}"[:200])
    out = []
    for i, words in enumerate(seed_topic_list):
        if (
            isinstance(words, str)
            or not isinstance(words, Sequence)
            or not words
            or not all(isinstance(w, str) and w.strip() for w in words)
        ):
            raise InputError(f"seed_topic_list[{i}] must be a non-empty list of words; got {words!r}")
        out.append([w.strip() for w in words])
    return out


def seed_words(seed_topic_list: list[list[str]] | None) -> list[str] | None:
    """The words to boost in c-TF-IDF: each seed word as given and lower-cased (vectorizers lower-case)."""
    if not seed_topic_list:
        return None
    words = [w.strip() for words in seed_topic_list for w in words]
    return list(dict.fromkeys(words + [w.lower() for w in words]))


def guide(
    embeddings: np.ndarray, seed_topic_list: list[list[str]], embed: Callable[[list[str]], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Return (nudged embeddings, seed labels with -1 for unseeded documents)."""
    seeds = np.asarray(embed([" ".join(words) for words in seed_topic_list]), dtype=np.float32)
    if seeds.shape[1] != embeddings.shape[1]:
        raise InputError(
            f"seed_topic_list was embedded with {seeds.shape[1]} dimensions but the documents have "
            f"{embeddings.shape[1]}: pass as embedding_model the model that computed the document embeddings"
        )
    sims = embeddings @ seeds.T
    best = np.argmax(sims, axis=1)
    labels = np.full(len(embeddings), -1, dtype=np.int64)
    for s in range(len(seeds)):
        cutoff = np.quantile(sims[:, s], 1 - SEED_SHARE)
        labels[(best == s) & (sims[:, s] >= cutoff)] = s
    nudged = embeddings.copy()
    mask = labels >= 0
    nudged[mask] = (1 - PULL) * embeddings[mask] + PULL * seeds[labels[mask]]
    return normalise_rows(nudged).astype(np.float32), labels
