"""A count vectorizer whose vocabulary grows with a stream of documents (online topic modelling).

The analyzer is fixed (built once from a scikit-learn ``CountVectorizer`` configuration); the
vocabulary is a term -> column dict that only grows: a term gets the next column the first time it
is seen, so columns of earlier batches keep their meaning and count matrices of earlier batches
only need padding. ``decay`` is read by ``TopicModel.partial_fit``: before a batch's counts are
added, the accumulated class-term counts are multiplied by ``1 - decay``, so old words fade.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .._validation import check_documents, check_float
from ..exceptions import InputError, NotFittedError

__all__ = ["OnlineCountVectorizer"]


class OnlineCountVectorizer(TransformerMixin, BaseEstimator):
    """Counts terms over a vocabulary that grows batch after batch.

    Parameters
    ----------
    decay : None, or the share of the accumulated topic-term counts forgotten at each new batch
        (a number in [0, 1)); used by ``TopicModel.partial_fit``.
    stop_words, ngram_range, lowercase, token_pattern : the analyzer, as in
        scikit-learn's ``CountVectorizer`` (default: English stop words dropped).
    """

    def __init__(
        self,
        decay: float | None = None,
        stop_words: str | list[str] | None = "english",
        ngram_range: tuple[int, int] = (1, 1),
        lowercase: bool = True,
        token_pattern: str = r"(?u)\b\w\w+\b",
    ) -> None:
        self.decay = decay
        self.stop_words = stop_words
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.token_pattern = token_pattern

    def _check_decay(self) -> None:
        if self.decay is not None:
            value = check_float(self.decay, "decay (or None)", low=0.0, high=1.0)
            if value >= 1.0:
                raise InputError(f"decay must be None or a number in [0, 1); got {value} (1 would forget everything)")

    def build_analyzer(self) -> Callable[[str], list[str]]:
        """The text -> terms function (stop words removed, n-grams formed): the fitted one once fitted."""
        analyzer = getattr(self, "analyzer_", None)
        return analyzer if analyzer is not None else self._new_analyzer()

    def _new_analyzer(self) -> Callable[[str], list[str]]:
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(
            stop_words=self.stop_words,
            ngram_range=tuple(self.ngram_range),
            lowercase=self.lowercase,
            token_pattern=self.token_pattern,
        ).build_analyzer()

    def _start(self) -> None:
        """An empty vocabulary and an analyzer built from the current parameters."""
        self._check_decay()
        self.analyzer_ = self._new_analyzer()
        self.vocabulary_: dict[str, int] = {}
        self._terms: list[str] = []

    def partial_fit(self, documents: Iterable[str], y: Any = None) -> OnlineCountVectorizer:
        """Add the new terms of ``documents`` to the vocabulary (existing columns never move)."""
        documents = check_documents(documents, allow_empty=True)
        if getattr(self, "vocabulary_", None) is None:
            self._start()
        vocab, terms = self.vocabulary_, self._terms
        for doc in documents:
            for term in self.analyzer_(doc):
                if term not in vocab:
                    vocab[term] = len(terms)
                    terms.append(term)
        return self

    def fit(self, documents: Iterable[str], y: Any = None) -> OnlineCountVectorizer:
        """Start a new vocabulary (and analyzer, from the current parameters) from ``documents``."""
        documents = check_documents(documents, allow_empty=True)
        self._start()
        return self.partial_fit(documents)

    def transform(self, documents: Iterable[str]) -> sp.csr_matrix:
        """Term counts of ``documents`` over the current vocabulary (unseen terms are ignored)."""
        if getattr(self, "vocabulary_", None) is None:
            raise NotFittedError("OnlineCountVectorizer is not fitted: call partial_fit(documents) first")
        documents = check_documents(documents, allow_empty=True)
        vocab = self.vocabulary_
        indptr = [0]
        indices: list[int] = []
        for doc in documents:
            cols = [vocab[t] for t in self.analyzer_(doc) if t in vocab]
            indices.extend(cols)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.int64)
        out = sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(len(indptr) - 1, len(self._terms)),
        )
        out.sum_duplicates()
        return out

    def fit_transform(self, documents: Iterable[str], y: Any = None) -> sp.csr_matrix:
        documents = check_documents(documents, allow_empty=True)
        return self.fit(documents).transform(documents)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        if getattr(self, "vocabulary_", None) is None:
            raise NotFittedError("OnlineCountVectorizer is not fitted: call partial_fit(documents) first")
        return np.array(self._terms, dtype=object)

    def __sklearn_tags__(self) -> Any:
        # Text in, like scikit-learn's CountVectorizer: a 1-D sequence of strings, not a numeric matrix.
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags
