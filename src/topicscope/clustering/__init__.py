"""Clustering stage.

Any scikit-learn clusterer works (anything with ``fit`` and ``labels_``, or ``fit_predict``);
a classifier works too (``fit(X, y)`` + ``predict``: supervised mode). ``LabelsGiven`` is the
null clusterer of manual mode: the labels passed as ``y`` are the clusters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputError

__all__ = ["LabelsGiven", "default_clusterer", "fit_cluster"]


class LabelsGiven:
    """A clusterer whose clusters are the labels passed to ``fit(X, y)``."""

    def fit(self, X: np.ndarray, y: Any = None) -> LabelsGiven:
        if y is None:
            raise InputError("LabelsGiven needs the labels: call fit(documents, y=labels)")
        self.labels_ = np.asarray(y, dtype=np.int64)
        return self

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return "LabelsGiven()"


def default_clusterer(min_cluster_size: int) -> Any:
    """HDBSCAN with ``min_cluster_size = min_topic_size`` (scikit-learn's implementation)."""
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(min_cluster_size=min_cluster_size, metric="euclidean", cluster_selection_method="eom", copy=True)


def fit_cluster(clusterer: Any, X: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """Fit ``clusterer`` on ``X`` and return one integer label per row (-1 = outlier).

    ``LabelsGiven`` and classifiers (supervised mode) are fitted with ``y``; clusterers without it.
    """
    from sklearn.base import is_classifier

    name = type(clusterer).__name__
    if not hasattr(clusterer, "fit"):
        raise InputError(f"hdbscan_model must have fit() and labels_ or predict(); got {name}")
    if isinstance(clusterer, LabelsGiven) or is_classifier(clusterer):
        if y is None:
            raise InputError(f"hdbscan_model {name} needs labels: call fit(documents, y=labels)")
        clusterer.fit(X, y)
        labels = getattr(clusterer, "labels_", None) if isinstance(clusterer, LabelsGiven) else clusterer.predict(X)
    else:
        clusterer.fit(X)
        labels = getattr(clusterer, "labels_", None)
        if labels is None and hasattr(clusterer, "predict"):
            labels = clusterer.predict(X)
    if labels is None:
        raise InputError(f"hdbscan_model {name} exposes neither labels_ nor predict()")
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],):
        raise InputError(f"hdbscan_model returned {labels.shape} labels; expected ({X.shape[0]},)")
    if not np.issubdtype(labels.dtype, np.integer):
        raise InputError(f"hdbscan_model must return integer labels; got dtype {labels.dtype}")
    return labels.astype(np.int64)
