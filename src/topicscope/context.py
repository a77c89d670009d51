"""What representation models receive and return: the plugin contract (``TopicContext``, ``BaseRepresentation``).

A representation model gets a small, documented :class:`TopicContext` (never the topic model)
and returns, per topic id, a ranked list of ``(word, score)``. Models that write a label (LLMs)
set ``produces_label = True`` and return ``[(label, 1.0)]`` per topic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

Words = list[tuple[str, float]]


@dataclass
class TopicContext:
    """The explicit inputs of a representation model.

    topic_ids : the topics to describe (never the outlier topic -1, which keeps its c-TF-IDF words).
    words : the current representation per topic: c-TF-IDF words, or the previous model's
        output in a chain.
    vocabulary, ctfidf : the vocabulary and the (topics, vocab) c-TF-IDF matrix, rows aligned
        with ``topic_ids``.
    sizes : documents per topic.
    representative_docs : a few documents per topic, most central first.
    candidate_docs, candidate_embeddings : more central documents per topic (and their
        embeddings) for models that pick their own (e.g. diverse documents for an LLM prompt).
    embed : embeds a list of texts into L2-normalised rows (None when no model is available).
    analyzer : the topic model's vectorizer analyzer (text -> tokens), when available.
    top_n_words : how many words the model should return per topic.
    """

    topic_ids: list[int]
    words: dict[int, Words]
    vocabulary: np.ndarray
    ctfidf: sp.csr_matrix
    sizes: dict[int, int]
    representative_docs: dict[int, list[str]]
    candidate_docs: dict[int, list[str]] = field(default_factory=dict)
    candidate_embeddings: dict[int, np.ndarray] = field(default_factory=dict)
    embed: Callable[[list[str]], np.ndarray] | None = None
    analyzer: Callable[[str], list[str]] | None = None
    top_n_words: int = 10
    verbose: bool = False

    def require_embed(self, who: str) -> Callable[[list[str]], np.ndarray]:
        if self.embed is None:
            from .exceptions import InputError

            raise InputError(
                f"{who} needs an embedding model to embed words; this model has none "
                "(pass embedding_model= when loading it)"
            )
        return self.embed


@runtime_checkable
class RepresentationModel(Protocol):
    def describe(self, context: TopicContext) -> dict[int, Words]: ...


class BaseRepresentation:
    """Base class with scikit-learn style ``get_params`` and a readable repr."""

    produces_label = False

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        import inspect

        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def set_params(self, **params: Any) -> BaseRepresentation:
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def describe(self, context: TopicContext) -> dict[int, Words]:  # pragma: no cover - abstract
        raise NotImplementedError
