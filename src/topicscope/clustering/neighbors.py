"""Nearest-neighbour graphs of L2-normalised embeddings (cosine similarity), in numpy.

Small corpora get the exact graph by blocked matrix products. Larger ones use an inverted-file
search: a k-means coarse quantiser splits the points into about sqrt(n) cells and each cell's
points are compared only with the points of the ``n_probe`` cells closest to it. No numba,
nothing to compile: the cost is a few matrix products.
"""

from __future__ import annotations

import numpy as np

EXACT_LIMIT = 8000
_BLOCK = 2048


def _top_k(sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns of the k largest values per row, sorted by (value desc, column asc)."""
    k = min(k, sims.shape[1])
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(sims, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)


def exact_knn(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, similarities) of each row's k nearest other rows, by brute force."""
    n = X.shape[0]
    idx = np.empty((n, k), dtype=np.int64)
    sim = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _BLOCK):
        block = X[start : start + _BLOCK] @ X.T
        rows = np.arange(block.shape[0])
        block[rows, start + rows] = -np.inf
        idx[start : start + len(block)], sim[start : start + len(block)] = _top_k(block, k)
    return idx, sim


def _nearest(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    out = np.empty(X.shape[0], dtype=np.int64)
    for start in range(0, X.shape[0], _BLOCK * 4):
        out[start : start + _BLOCK * 4] = np.argmax(X[start : start + _BLOCK * 4] @ centres.T, axis=1)
    return out


def spherical_kmeans(
    X: np.ndarray, n_cells: int, *, n_iter: int = 6, random_state: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A few Lloyd steps of cosine k-means from random rows: a coarse quantiser, not a clustering."""
    import scipy.sparse as sp

    rng = np.random.default_rng(random_state)
    centres = X[np.sort(rng.choice(X.shape[0], size=n_cells, replace=False))].copy()
    for _ in range(n_iter):
        cell = _nearest(X, centres)
        onehot = sp.csr_matrix(
            (np.ones(len(cell), dtype=np.float32), (cell, np.arange(len(cell)))), shape=(n_cells, len(cell))
        )
        sums = np.asarray(onehot @ X)
        empty = np.linalg.norm(sums, axis=1) == 0
        sums[empty] = centres[empty]
        centres = (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)
    return centres, _nearest(X, centres)


def ivf_knn(X: np.ndarray, k: int, *, n_probe: int = 8, random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Approximate k nearest neighbours through a k-means inverted file (see module doc)."""
    n = X.shape[0]
    n_cells = max(8, int(np.sqrt(n)))
    centres, cell = spherical_kmeans(X, n_cells, random_state=random_state)
    probe = np.argsort(-(centres @ centres.T), axis=1, kind="stable")[:, : min(n_probe, n_cells)]
    members = [np.flatnonzero(cell == c) for c in range(n_cells)]
    idx = np.empty((n, k), dtype=np.int64)
    sim = np.full((n, k), -np.inf, dtype=np.float32)
    for c in range(n_cells):
        query = members[c]
        if not len(query):
            continue
        cand = np.concatenate([members[p] for p in probe[c]])
        block = X[query] @ X[cand].T
        block[cand[None, :] == query[:, None]] = -np.inf
        cols, vals = _top_k(block, k)
        found = cand[cols]
        if found.shape[1] < k:  # fewer candidates than k: pad with the document itself, at -inf
            found = np.pad(found, ((0, 0), (0, k - found.shape[1])))
            found[:, cols.shape[1] :] = query[:, None]
            vals = np.pad(vals, ((0, 0), (0, k - vals.shape[1])), constant_values=-np.inf)
        idx[query] = found
        sim[query] = vals
    return idx, sim


def knn_graph(X: np.ndarray, k: int, *, random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours of every row of L2-normalised ``X`` (exact below EXACT_LIMIT rows)."""
    k = max(1, min(k, X.shape[0] - 1))
    X = np.ascontiguousarray(X, dtype=np.float32)
    random_state = 0 if random_state is None else random_state  # repeatable by default
    if X.shape[0] <= EXACT_LIMIT:
        return exact_knn(X, k)
    return ivf_knn(X, k, random_state=random_state)
