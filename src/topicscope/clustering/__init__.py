"""Clustering stage.

Any scikit-learn clusterer works (anything with ``fit`` and ``labels_``, or ``fit_predict``);
a classifier works too (``fit(X, y)``: supervised mode; the training documents keep their labels
``y`` as topics). ``LabelsGiven`` is the null clusterer of manual mode: the labels passed as ``y``
are the clusters, nothing is fitted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from ..exceptions import InputError

__all__ = ["GraphCommunities", "LabelsGiven", "default_clusterer", "fit_cluster", "hdbscan_clusterer"]


def __getattr__(name: str) -> Any:
    if name == "GraphCommunities":
        from .graph import GraphCommunities

        return GraphCommunities
    raise AttributeError(name)


class LabelsGiven(ClusterMixin, BaseEstimator):
    """A clusterer whose clusters are the labels passed to ``fit(X, y)`` (manual mode).

    BERTopic's ``BaseCluster`` for pre-computed labels; nothing is learnt.
    """

    def fit(self, X: Any, y: Any = None) -> LabelsGiven:
        from sklearn.utils.multiclass import type_of_target
        from sklearn.utils.validation import check_X_y

        if y is None:
            raise InputError(
                "LabelsGiven requires y to be passed, but the target y is None: call fit(documents, y=labels)"
            )
        try:
            X, y = check_X_y(X, y, accept_sparse=["csr", "csc", "coo"], dtype="numeric", y_numeric=False)
            kind = type_of_target(y, input_name="y", raise_unknown=True)
        except (ValueError, TypeError) as exc:
            raise InputError(f"LabelsGiven: {exc}") from exc
        y = np.asarray(y)
        integral = y.dtype.kind in "iu" or (y.dtype.kind == "f" and bool(np.all(y == np.round(y))))
        if kind not in ("binary", "multiclass") or not integral:
            raise InputError(f"LabelsGiven: y must be integer topic labels; got {kind} values of dtype {y.dtype}")
        self.n_features_in_ = X.shape[1]
        self.labels_ = y.astype(np.int64)
        return self

    def fit_predict(self, X: Any, y: Any = None, **kwargs: Any) -> np.ndarray:
        return self.fit(X, y).labels_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.sparse = True
        return tags


def is_classifier_like(estimator: Any) -> bool:
    """True for scikit-learn classifiers, and for other objects declaring ``_estimator_type``."""
    from sklearn.base import is_classifier

    try:
        return bool(is_classifier(estimator))
    except AttributeError:  # not a scikit-learn estimator (no __sklearn_tags__)
        return getattr(estimator, "_estimator_type", None) == "classifier"


def default_clusterer(
    min_cluster_size: int, *, random_state: int | None = None, min_clusters: int | None = None
) -> Any:
    """Leiden communities of the documents' nearest-neighbour graph (see ``graph.GraphCommunities``).

    Chosen over UMAP + HDBSCAN by the benchmark (BENCHMARKS.md): fewer, truer topics, no outlier
    flood, and no numba compilation.
    """
    from .graph import GraphCommunities

    return GraphCommunities(min_cluster_size=min_cluster_size, min_clusters=min_clusters, random_state=random_state)


def hdbscan_clusterer(min_cluster_size: int) -> Any:
    """HDBSCAN with ``min_cluster_size`` (scikit-learn's implementation), BERTopic's clusterer."""
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(min_cluster_size=min_cluster_size, metric="euclidean", cluster_selection_method="eom", copy=True)


def fit_cluster(clusterer: Any, X: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """Fit ``clusterer`` on ``X`` and return one integer label per row (-1 = outlier).

    ``LabelsGiven`` and classifiers (supervised mode) are fitted with ``y`` and return ``y``;
    clusterers are fitted without it.
    """
    name = type(clusterer).__name__
    if not hasattr(clusterer, "fit"):
        raise InputError(f"hdbscan_model must have fit() and labels_ or predict(); got {name}")
    if isinstance(clusterer, LabelsGiven) or is_classifier_like(clusterer):
        if y is None:
            raise InputError(f"hdbscan_model {name} needs labels: call fit(documents, y=labels)")
        clusterer.fit(X, y)
        # The training documents' topics are their labels (as in BERTopic's supervised mode): a
        # classifier's own predictions on its training set would silently relabel some of them.
        raw: Any = y
    elif getattr(clusterer, "uses_partial_labels", False):
        # Partial labels (-1 = unknown) steer it (semi-supervised and guided modes); None is fine.
        clusterer.fit(X, y)
        raw = getattr(clusterer, "labels_", None)
    else:
        clusterer.fit(X)
        raw = getattr(clusterer, "labels_", None)
        if raw is None and hasattr(clusterer, "predict"):
            raw = clusterer.predict(X)
    if raw is None:
        raise InputError(f"hdbscan_model {name} exposes neither labels_ nor predict()")
    labels = np.asarray(raw)
    if labels.shape != (X.shape[0],):
        raise InputError(f"hdbscan_model returned {labels.shape} labels; expected ({X.shape[0]},)")
    if not np.issubdtype(labels.dtype, np.integer):
        raise InputError(f"hdbscan_model must return integer labels; got dtype {labels.dtype}")
    return labels.astype(np.int64)
