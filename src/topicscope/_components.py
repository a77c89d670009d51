"""The fitted components of a model, and how a user's component is copied before fitting.

Kept apart from the pipeline so that verbs (online updates) and the pipeline share them without
importing each other.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .vectorize import ClassTfidfTransformer


@dataclass
class FittedComponents:
    """The fitted stage objects (clones of the user's, never the user's own objects)."""

    reducer: Any
    clusterer: Any
    vectorizer: Any
    ctfidf: ClassTfidfTransformer


def unfitted_copy(component: Any) -> Any:
    """An unfitted copy of a user's component (scikit-learn clone when possible)."""
    from sklearn.base import clone

    try:
        return clone(component)
    except (TypeError, RuntimeError, AttributeError):
        return copy.deepcopy(component)


def ctfidf_of(ctfidf_model: Any) -> ClassTfidfTransformer:
    """An unfitted copy of the user's c-TF-IDF model, or the default one (``ctfidf_model`` None)."""
    return unfitted_copy(ctfidf_model) if ctfidf_model is not None else ClassTfidfTransformer()


def vectorizer_of(vectorizer_model: Any, n_gram_range: tuple[int, int]) -> Any:
    """An unfitted copy of the user's vectorizer, or the default one over ``n_gram_range`` (when None)."""
    from .vectorize import default_vectorizer

    return unfitted_copy(vectorizer_model) if vectorizer_model is not None else default_vectorizer(n_gram_range)
