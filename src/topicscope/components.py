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
