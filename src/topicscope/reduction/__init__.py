"""Dimensionality reduction stage.

Any object with ``fit_transform`` (or ``fit`` + ``transform``) works, e.g. umap.UMAP,
sklearn's PCA or TruncatedSVD. ``Identity`` skips the stage (manual mode, tiny corpora).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_array

from ..exceptions import InputError, NotFittedError, missing_extra

__all__ = ["Identity", "default_reducer", "fit_reduce", "umap_reducer"]


def default_reducer(n_docs: int, random_state: int | None, clusterer: Any = None) -> Any:
    """No reduction for the default graph clusterer (it works on the embeddings); UMAP otherwise.

    A clusterer of the user's (HDBSCAN, KMeans, ...) gets UMAP, as in BERTopic: density and
    centroid methods work poorly on 384 dimensions.
    """
    from ..clustering.graph import GraphCommunities

    if clusterer is None or isinstance(clusterer, GraphCommunities):
        return Identity()
    return umap_reducer(n_docs, random_state)


class Identity(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """A reducer that returns its input unchanged (a scikit-learn transformer).

    ``fit`` checks that ``X`` is a finite 2-D numeric array (dense or sparse) and records its
    width (``n_features_in_``); ``transform`` returns ``X`` as validated, with its dtype, and
    refuses an ``X`` of another width.
    """

    def fit(self, X: Any, y: Any = None) -> Identity:
        self.n_features_in_ = _check_X(X).shape[1]
        return self

    def transform(self, X: Any) -> Any:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError("Identity is not fitted: call fit(X) first")
        X = _check_X(X)
        if X.shape[1] != self.n_features_in_:
            raise InputError(
                f"X has {X.shape[1]} features, but Identity is expecting {self.n_features_in_} features as input"
            )
        return X

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _check_X(X: Any) -> Any:
    """X as a finite, non-empty 2-D numeric array; bad input is an InputError naming X."""
    try:
        return check_array(X, accept_sparse=("csr", "csc", "coo"), dtype="numeric")
    except (ValueError, TypeError) as exc:
        raise InputError(f"X (the embeddings to reduce) must be a finite, non-empty 2-D numeric array: {exc}") from exc


def umap_reducer(n_docs: int, random_state: int | None) -> Any:
    """UMAP with BERTopic's settings (5 components, cosine, 15 neighbours, min_dist 0)."""
    try:
        from umap.umap_ import UMAP
    except ImportError as exc:  # pragma: no cover - core dependency
        raise missing_extra("umap-learn", None, exc) from exc
    return UMAP(
        n_neighbors=max(2, min(15, n_docs - 1)),
        n_components=5,
        min_dist=0.0,
        metric="cosine",
        random_state=random_state,
        low_memory=True,
        n_jobs=1,
    )


def fit_reduce(reducer: Any, embeddings: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """Fit ``reducer`` and return the reduced embeddings (y, when given, steers it)."""
    kwargs = {} if y is None else {"y": y}
    if hasattr(reducer, "fit_transform"):
        out = reducer.fit_transform(embeddings, **kwargs)
    elif hasattr(reducer, "fit") and hasattr(reducer, "transform"):
        reducer.fit(embeddings, **kwargs)
        out = reducer.transform(embeddings)
    else:
        raise InputError(f"umap_model must have fit_transform() or fit() and transform(); got {type(reducer).__name__}")
    out = np.asarray(out, dtype=np.float32)
    if out.ndim != 2 or out.shape[0] != embeddings.shape[0]:
        raise InputError(f"umap_model returned shape {out.shape}; expected ({embeddings.shape[0]}, k)")
    return out
