"""The vectorizer stage: documents -> (doc-term counts, vocabulary)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..exceptions import InputError


def default_vectorizer(n_gram_range: tuple[int, int] = (1, 1)) -> Any:
    """A CountVectorizer that drops English stop words (no "the, of, and" topics)."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(stop_words="english", ngram_range=tuple(n_gram_range))


def fit_doc_term(vectorizer: Any, documents: list[str]) -> tuple[sp.csr_matrix, np.ndarray]:
    """Fit ``vectorizer`` and return the document-term counts and the vocabulary."""
    try:
        doc_term = vectorizer.fit_transform(documents)
    except ValueError as exc:
        if "empty vocabulary" in str(exc):
            # Every document is empty or made of stop words: no words to describe topics with.
            return sp.csr_matrix((len(documents), 0)), np.array([], dtype=object)
        raise InputError(f"vectorizer_model failed on the documents: {exc}") from exc
    vocab = np.asarray(vectorizer.get_feature_names_out(), dtype=object)
    return sp.csr_matrix(doc_term), vocab
