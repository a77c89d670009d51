"""The default clusterer's parts: neighbour graphs, Leiden communities, core documents."""

from __future__ import annotations

import numpy as np
import pytest

from topicscope._neighbors import exact_search
from topicscope._topics import core_documents
from topicscope.clustering.graph import GraphCommunities, dissolve_small, steer_with_labels
from topicscope.exceptions import InputError
from topicscope.pipeline import harmonise_duplicates, order_by_size


def _blobs(n_per: int = 60, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, dim))
    X = np.vstack([c + 0.15 * rng.normal(size=(n_per, dim)) for c in centres]).astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True), np.repeat(np.arange(4), n_per)


def test_communities_recover_blobs_and_are_repeatable():
    X, truth = _blobs()
    a = GraphCommunities(min_cluster_size=5, random_state=3).fit(X).labels_
    b = GraphCommunities(min_cluster_size=5, random_state=3).fit(X).labels_
    np.testing.assert_array_equal(a, b)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth, a) > 0.95
    many = GraphCommunities(min_cluster_size=5, min_clusters=8, random_state=3).fit(X).labels_
    assert len(set(many) - {-1}) >= 8


def test_impossible_cluster_count_keeps_the_best_labelling():
    X, _ = _blobs(n_per=15)
    labels = GraphCommunities(min_cluster_size=10, min_clusters=500, random_state=0).fit(X).labels_
    assert np.mean(labels == -1) < 0.5  # not a flood of outliers


def test_dissolve_small_moves_documents_to_their_neighbours():
    idx = np.array([[1, 2], [0, 2], [0, 1], [0, 1]])
    sim = np.ones((4, 2), dtype=np.float32)
    labels = dissolve_small(np.array([0, 0, 0, 1]), idx, sim, min_size=2, min_share=0.3)
    assert labels.tolist() == [0, 0, 0, 0]
    lonely = dissolve_small(np.array([0, 0, 0, 1]), idx, np.zeros((4, 2), np.float32), 2, 0.3)
    assert lonely[3] == -1  # no neighbour weight: an outlier, not community 0


def test_steer_with_labels_cuts_cross_label_edges():
    X, truth = _blobs(n_per=20)
    idx, sim = exact_search(X, X, 5, exclude_self=True)
    y = np.where(np.arange(len(X)) % 2 == 0, truth, -1)
    idx2, sim2 = steer_with_labels(X, idx, sim, y, 5)
    cut = (y[:, None] >= 0) & (y[idx2] >= 0) & (y[:, None] != y[idx2]) & np.isfinite(sim2)
    assert not cut.any()
    assert idx2.shape[1] > idx.shape[1]


def test_graph_parameters_are_validated():
    with pytest.raises(InputError, match="resolution"):
        GraphCommunities(resolution=0).fit(_blobs()[0])
    with pytest.raises(InputError, match="n_neighbors"):
        GraphCommunities(n_neighbors=1).fit(_blobs()[0])


def test_core_documents_and_helpers():
    neighbors = np.array([[1, 2], [0, 2], [0, 3], [2, 1]])
    topics = np.array([0, 0, 0, 1])
    core = core_documents(neighbors, topics, share=0.7)
    # Document 2 has one neighbour of another topic; topic 1 has no core, so keeps its document.
    assert core.tolist() == [True, True, False, True]
    emb = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    assert harmonise_duplicates(emb, np.array([3, -1, 5])).tolist() == [3, 3, 5]
    assert order_by_size(np.array([7, 7, 2, -1, 2, 2])).tolist() == [1, 1, 0, -1, 0, 0]


def test_label_steering_never_builds_a_dense_label_matrix():
    """One label over 12,000 documents: a dense label-by-label matrix would take 576 MB."""
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.normal(size=(12_000, 16)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    from topicscope._neighbors import NeighborIndex

    idx, sim = NeighborIndex(X).graph(5)
    for unlabelled in (3, 5):  # 8,000 labelled (exact search) and 9,600 (the HNSW index)
        y = np.zeros(len(X), dtype=np.int64)
        y[::unlabelled] = -1
        tracemalloc.start()
        try:
            new_idx, new_sim = steer_with_labels(X, idx, sim, y, 5)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert new_idx.shape == (12_000, 10) and (new_sim[y >= 0, 5:] == 1.0).all()
        # Measured 2026-11-28: 69 MB and 30 MB; a dense matrix of the labelled rows: 256-369 MB.
        assert peak < 150e6, peak / 1e6
