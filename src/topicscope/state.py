"""The fitted state of a topic model, explicit and small.

Everything later verbs need (reduce, merge, zero-shot, online updates, labels, persistence)
lives here, so they are plain functions over a ``TopicState`` instead of methods of a god class.
Rows of the per-topic arrays are aligned with ``topic_ids`` (sorted, -1 first when present).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

Words = list[tuple[str, float]]


@dataclass
class TopicState:
    topic_ids: np.ndarray  # (k,) int64, sorted
    sizes: np.ndarray  # (k,) documents per topic
    vocabulary: np.ndarray  # (V,) terms
    class_term: sp.csr_matrix  # (k, V) summed term counts per topic
    ctfidf: sp.csr_matrix  # (k, V) class-based TF-IDF weights
    topic_embeddings: np.ndarray  # (k, dim) L2-normalised mean document embedding
    words: dict[int, Words]  # main representation: the topic words
    names: dict[int, str]  # Name column: "0_word_word_word_word" or an LLM label
    aspects: dict[str, dict[int, Words]] = field(default_factory=dict)
    representative_docs: dict[int, list[str]] = field(default_factory=dict)
    custom_labels: dict[int, str] | None = None
    zeroshot_names: dict[int, str] = field(default_factory=dict)  # topic id -> user's label
    zeroshot_embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    # Training documents: their topics, and the neighbour index used by transform.
    doc_topics: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    index_embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float16))
    index_topics: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    info: dict[str, Any] = field(default_factory=dict)  # JSON-safe extras (reports, merge maps)
    # In memory only (never saved: they are training text): central documents per topic.
    candidate_docs: dict[int, list[str]] = field(default_factory=dict, repr=False)
    candidate_embeddings: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def row(self, topic: int) -> int:
        """Row index of ``topic`` in the per-topic arrays."""
        hits = np.flatnonzero(self.topic_ids == topic)
        if not len(hits):
            raise KeyError(topic)
        return int(hits[0])

    @property
    def embedding_dim(self) -> int:
        return int(self.topic_embeddings.shape[1])

    def size_map(self) -> dict[int, int]:
        return {int(t): int(s) for t, s in zip(self.topic_ids, self.sizes)}
