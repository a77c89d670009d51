"""Topic clustering as community detection on the nearest-neighbour graph of the embeddings.

Documents are nodes; each is linked to its ``n_neighbors`` most similar documents (cosine),
edges weighted by similarity; the Leiden algorithm (graspologic-native) finds communities that maximise
modularity at the given ``resolution`` (lower: fewer, broader topics). Communities smaller than
``min_cluster_size`` are dissolved: their documents join the community most of their neighbours
are in when that community holds at least ``min_share`` of their neighbour weight, otherwise they
are outliers (-1).

It works on the embeddings themselves, so no reducer is needed (``reduction.Identity``), and it
needs no compilation (no numba), which makes a cold start fast.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from .._neighbors import NeighborIndex, normalise_rows
from .._validation import check_float, check_int
from ..exceptions import InputError, missing_extra


def leiden_membership(idx: np.ndarray, sim: np.ndarray, *, resolution: float, random_state: int | None) -> np.ndarray:
    """Leiden communities (modularity) of the symmetrised, similarity-weighted kNN graph.

    graspologic-native's Leiden (Rust, maintained with Microsoft's graspologic) takes the seed as
    an argument, so no process-wide random generator is touched and two fits in two threads do
    not disturb each other. Measured on 20newsgroups (2026-11-28): 0.4 s against 2.6 s for
    leidenalg's seeded Leiden and 0.15 s for igraph's (which only has a process-wide generator),
    at the same NMI (0.523, 0.523, 0.525).
    """
    try:
        import graspologic_native as gn
    except ImportError as exc:  # pragma: no cover - core dependency
        raise missing_extra("graspologic-native", None, exc) from exc
    n, k = idx.shape
    src = np.repeat(np.arange(n), k)
    dst, weight = idx.ravel(), sim.ravel()
    ok = np.isfinite(weight) & (weight > 0) & (src != dst) & (dst >= 0)
    # One undirected edge per pair, at the larger of its two similarities.
    low, high, weight = np.minimum(src, dst)[ok], np.maximum(src, dst)[ok], weight[ok]
    key = low.astype(np.int64) * n + high
    order = np.lexsort((-weight, key))
    key, weight = key[order], weight[order]
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
    key, weight = key[first], weight[first]
    labels = np.arange(n, dtype=np.int64) + n  # a node with no edge is a community of its own
    if len(key):
        edges = list(zip((key // n).astype(str).tolist(), (key % n).astype(str).tolist(), weight.tolist()))
        _, membership = gn.leiden(
            edges,
            resolution=float(resolution),
            seed=0 if random_state is None else int(random_state),
            # Two iterations: on 20newsgroups NMI 0.523 against 0.511 for one, in 0.4 s.
            iterations=2,
            use_modularity=True,
        )
        nodes = np.fromiter((int(v) for v in membership), dtype=np.int64, count=len(membership))
        labels[nodes] = np.fromiter(membership.values(), dtype=np.int64, count=len(membership))
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)


def dissolve_small(labels: np.ndarray, idx: np.ndarray, sim: np.ndarray, min_size: int, min_share: float) -> np.ndarray:
    """Move documents of communities smaller than ``min_size`` to their neighbours' community."""
    labels = labels.copy()
    sizes = np.bincount(labels[labels >= 0], minlength=labels.max() + 1) if (labels >= 0).any() else np.zeros(0)
    small = np.isin(labels, np.flatnonzero(sizes < min_size))
    if not small.any():
        return labels
    labels[small] = -1
    weights = np.clip(np.nan_to_num(sim, neginf=0.0), 0, None)
    for i in np.flatnonzero(small):
        neigh = labels[idx[i]]
        ok = neigh >= 0
        if not ok.any():
            continue
        votes = np.bincount(neigh[ok], weights=weights[i][ok], minlength=labels.max() + 1)
        best = int(np.argmax(votes))
        if votes[best] > 0 and votes[best] >= min_share * weights[i].sum():
            labels[i] = best
    return labels


def steer_with_labels(
    X: np.ndarray, idx: np.ndarray, sim: np.ndarray, y: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Make partial labels (-1 = unknown) shape the graph (semi-supervised and guided modes).

    Edges between two documents with different known labels are cut; each labelled document
    is linked to its ``k`` most similar documents of the same label, at full weight. Those are
    found by the neighbour module within each label's documents (an index for a large label),
    so no label ever needs a dense documents-by-documents matrix.
    """
    y = np.asarray(y)
    sim = sim.copy()
    known = y >= 0
    valid = idx >= 0
    both = known[:, None] & known[np.where(valid, idx, 0)] & valid
    sim[both & (y[:, None] != y[np.where(valid, idx, 0)])] = -np.inf
    labels = np.unique(y[known])
    sizes = [int((y == label).sum()) for label in labels]
    width = min(k, max(sizes, default=1) - 1)
    if width < 1:
        return idx, sim
    extra_idx = np.zeros((len(X), width), dtype=np.int64)
    extra_sim = np.full((len(X), width), -np.inf, dtype=np.float32)
    for label, size in zip(labels, sizes):
        if size < 2:
            continue
        members = np.flatnonzero(y == label)
        local, local_sim = NeighborIndex(X[members]).graph(min(k, size - 1))
        cols = local.shape[1]
        extra_idx[members, :cols] = np.where(local >= 0, members[np.maximum(local, 0)], 0)
        extra_sim[members, :cols] = np.where(np.isfinite(local_sim) & (local >= 0), 1.0, -np.inf)
    return np.concatenate([idx, extra_idx], axis=1), np.concatenate([sim, extra_sim], axis=1)


def _check_X(X: Any, estimator: Any) -> np.ndarray:
    """X as a dense, finite float32 matrix with at least one row (InputError otherwise)."""
    from sklearn.utils.validation import check_array

    name = type(estimator).__name__
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise InputError(f"{name}.fit needs a dense array X (embeddings); got sparse {type(X).__name__}")
    try:
        arr = check_array(X, dtype=np.float32, ensure_min_samples=1, ensure_all_finite=True)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name}.fit: X must be a finite 2-D numeric array of embeddings; {exc}") from exc
    estimator.n_features_in_ = arr.shape[1]
    return np.asarray(arr, dtype=np.float32)


class GraphCommunities(ClusterMixin, BaseEstimator):
    """Leiden communities of the k-nearest-neighbour graph (the default clusterer).

    ``fit(X, y)`` accepts partial labels (-1 = unknown) that steer the graph (see
    ``steer_with_labels``): the semi-supervised and guided modes of the default pipeline.

    Parameters
    ----------
    n_neighbors : neighbours per document in the graph.
    resolution : modularity resolution; lower gives fewer, broader topics.
    min_cluster_size : smaller communities are dissolved (see module doc).
    min_share : share of a document's neighbour weight a community needs to adopt it.
    min_clusters : when set, the resolution is raised (x1.5 a step, at most 12 steps) until at
        least this many communities of ``min_cluster_size`` are found, so that a later reduction
        to ``nr_topics`` merges topics instead of falling short. (Splitting the largest
        communities one by one instead scored a lower NPMI on octis_bbc: 0.150 vs 0.155.)
    random_state : seeds the graph search and Leiden.
    """

    def __init__(
        self,
        n_neighbors: int = 15,
        resolution: float = 0.6,
        min_cluster_size: int = 10,
        min_share: float = 0.3,
        min_clusters: int | None = None,
        random_state: int | None = None,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.resolution = resolution
        self.min_cluster_size = min_cluster_size
        self.min_share = min_share
        self.min_clusters = min_clusters
        self.random_state = random_state

    uses_partial_labels = True

    def fit(self, X: np.ndarray, y: Any = None) -> GraphCommunities:
        k = check_int(self.n_neighbors, "n_neighbors", minimum=2)
        resolution = check_float(self.resolution, "resolution", low=1e-6, high=1e6)
        min_size = check_int(self.min_cluster_size, "min_cluster_size", minimum=1)
        share = check_float(self.min_share, "min_share", low=0.0, high=1.0)
        X = _check_X(X, self)
        if not np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5):  # unit rows are used as given
            X = normalise_rows(X).astype(np.float32)
        if X.shape[0] < 3:
            self.labels_ = np.zeros(X.shape[0], dtype=np.int64)
            return self
        self.index_ = NeighborIndex(X)
        idx, sim = self.index_.graph(k)
        # The plain similarity graph (label steering below only reweights it).
        self.neighbors_, self.similarities_ = idx, sim
        if y is not None:
            idx, sim = steer_with_labels(X, idx, sim, y, k)
        target = check_int(self.min_clusters, "min_clusters", minimum=1, allow_none=True)
        labels = dissolve_small(
            leiden_membership(idx, sim, resolution=resolution, random_state=self.random_state),
            idx,
            sim,
            min_size,
            share,
        )
        best, best_resolution = labels, resolution

        def count(lab: np.ndarray) -> int:
            return len(np.unique(lab[lab >= 0]))

        steps = 0
        while target is not None and count(best) < target and steps < 12:
            resolution *= 1.5
            steps += 1
            labels = leiden_membership(idx, sim, resolution=resolution, random_state=self.random_state)
            labels = dissolve_small(labels, idx, sim, min_size, share)
            if count(labels) > count(best):  # past some point pieces fall below min_cluster_size
                best, best_resolution = labels, resolution
        self.labels_ = best
        self.resolution_ = best_resolution
        return self
