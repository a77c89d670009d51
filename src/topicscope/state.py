"""The fitted state of a topic model: one typed dataclass, ``TopicState``, and the records it holds.

Everything later verbs need (reduce, merge, zero-shot, online updates, labels, persistence)
lives here, so they are plain functions over a ``TopicState`` instead of methods of a god class.
Rows of the per-topic arrays are aligned with ``topic_ids`` (sorted, -1 first when present).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

Words = list[tuple[str, float]]
_INDEX_LOCK = threading.Lock()


@dataclass
class ZeroShotInfo:
    """How a zero-shot model matches documents to the user's topic names (used by transform)."""

    labels: list[str]  # the names given, in order
    topic_ids: list[int | None]  # per name, its topic id (None: no document matched it at fit)
    min_similarity: float
    report: dict[str, Any] = field(default_factory=dict)  # zeroshot_report_: counts, spread, suggestion


@dataclass
class OnlineInfo:
    """Running totals of a model built with ``partial_fit``."""

    batches: int
    documents: int
    index_rows_per_topic: int
    decay: float | None = None


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
    zeroshot: ZeroShotInfo | None = None
    # For a model made by merge_models: per input model, its topic ids -> merged ids.
    merge_mappings: list[dict[int, int]] | None = None
    online: OnlineInfo | None = None
    # Each training document's nearest neighbours as (topic, weight) pairs, itself first (see
    # pipeline.assign): its probabilities, kept through reductions and merges by relabelling.
    neighbor_topics: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    neighbor_weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    labels_given: bool = False  # topics are the labels given to fit (manual, supervised): ids are kept
    topic_mapper: dict[int, int] = field(default_factory=dict)  # topic id at fit -> topic id now
    # A digest of the training documents' text (vectorize.text_fingerprint; saved, the text is not):
    # verbs recognise the training documents by it. "" when unknown (merged and online models).
    training_fingerprint: str = ""
    # The 2-D map of the training documents (rows of doc_topics), computed once (viz) and saved with
    # the model; (0, 2) until computed. Topics' positions derive from it, so topic edits keep it valid.
    doc_layout: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.float32))
    # Each vocabulary term's share of the training documents (for c-TF-IDF's filler-word rule; saved);
    # (0,) when unknown (merged and online models): the rule then uses the topics' words only.
    term_doc_share: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    # In memory only (never saved: they are training text): central documents per topic.
    candidate_docs: dict[int, list[str]] = field(default_factory=dict, repr=False)
    candidate_embeddings: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    # In memory only: the training documents' term counts (vectorize.counts), so verbs given the
    # training documents count nothing again.
    training_doc_term: sp.csr_matrix | None = field(default=None, repr=False, compare=False)

    _neighbor_index: Any = field(default=None, repr=False, compare=False)

    @property
    def neighbor_index(self) -> Any:
        """The neighbour index over ``index_embeddings`` (built on first use, never saved)."""
        from ._neighbors import NeighborIndex, index_vectors

        with _INDEX_LOCK:  # two threads transforming at once share one index
            index = self._neighbor_index
            if index is None or len(index) != len(self.index_embeddings):
                index = self._neighbor_index = NeighborIndex(index_vectors(self.index_embeddings))
            return index

    @neighbor_index.setter
    def neighbor_index(self, index: Any) -> None:
        self._neighbor_index = index

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


def copy_state(state: TopicState) -> TopicState:
    """A copy of ``state`` that verbs may change without touching the original.

    Arrays are shared (verbs replace them, never write into them); dicts and the typed extras
    are copied.
    """
    new = copy.copy(state)
    new.zeroshot = copy.deepcopy(state.zeroshot)
    new.merge_mappings = copy.deepcopy(state.merge_mappings)
    new.online = copy.deepcopy(state.online)
    for name in ("words", "names", "aspects", "representative_docs", "zeroshot_names", "topic_mapper"):
        setattr(new, name, dict(getattr(state, name)))
    new.custom_labels = None if state.custom_labels is None else dict(state.custom_labels)
    new.candidate_docs = dict(state.candidate_docs)
    new.candidate_embeddings = dict(state.candidate_embeddings)
    return new
