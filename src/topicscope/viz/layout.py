"""The 2-D map of the training documents, computed once per model, and what derives from it.

``document_layout`` runs UMAP (cosine metric) on the training embeddings, with the
k-nearest-neighbour graph taken from ``topicscope._neighbors`` (exact below 8,000 documents, the
HNSW index above) instead of UMAP's own search: faster at the same trustworthiness (docs/defaults.md
has the measurement; benchmarks/viz_documents.py measures larger corpora).

``ensure_layout`` keeps the result in ``state.doc_layout`` (saved with the model), so plots never
run the layout again (``plot_layout`` gives the layout a plot draws); ``LAYOUT_RUNS`` counts the
runs in this process (tests read it). Topic positions derive from the layout (``topic_positions``),
so topic edits (merge, reduce, update) keep it valid; only new documents (``partial_fit``) make it
stale: a layout is valid while it has one row per document of ``state.doc_topics``.
"""

from __future__ import annotations

import itertools
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .._logging import logger
from .._validation import check_embeddings
from ..exceptions import InputError
from ..state import TopicState

if TYPE_CHECKING:
    from ..verbs.view import ModelView

#: How many times ``document_layout`` has run in this process.
LAYOUT_RUNS = 0

N_NEIGHBORS = 15
MIN_DIST = 0.1
#: BERTopic keeps topics under this many documents whole when sampling (its ``sample`` rule).
SAMPLE_KEEP_BELOW = 100


def document_layout(embeddings: Any, random_state: int | None = None, *, index: Any = None) -> np.ndarray:
    """(n, 2) float32 coordinates of ``embeddings`` (n, dim) by UMAP with the cosine metric.

    ``random_state`` makes the layout repeatable (UMAP then runs on one thread). ``index``: a
    ``_neighbors.NeighborIndex`` over these very embeddings (normalised), to reuse; by default one
    is built. Fewer than 4 documents are laid on a line (UMAP needs a neighbourhood).
    """
    from .._neighbors import NeighborIndex, index_vectors

    global LAYOUT_RUNS
    X = np.asarray(embeddings, dtype=np.float32)
    if X.ndim != 2 or not len(X):
        raise InputError(f"embeddings must be a non-empty (documents, dimensions) array; got shape {X.shape}")
    if not np.isfinite(X).all():
        raise InputError("embeddings must hold finite numbers (found NaN or infinity)")
    LAYOUT_RUNS += 1
    n = len(X)
    if n < 4:
        return np.column_stack([np.arange(n, dtype=np.float32), np.zeros(n, dtype=np.float32)])
    from umap import UMAP

    k = min(N_NEIGHBORS, n - 1)
    if index is None or len(index) != n:
        index = NeighborIndex(index_vectors(X))
    idx, sim = index.graph(k - 1)
    # UMAP's neighbour lists start with the point itself, at distance 0.
    knn_idx = np.hstack([np.arange(n, dtype=np.int64)[:, None], idx]).astype(np.int64)
    knn_dist = np.hstack([np.zeros((n, 1), dtype=np.float32), np.clip(1.0 - sim, 0.0, 2.0)]).astype(np.float32)
    missing = knn_idx < 0  # fewer neighbours than asked (duplicates crowding a tiny corpus)
    if missing.any():
        knn_idx[missing] = np.broadcast_to(np.arange(n)[:, None], knn_idx.shape)[missing]
        knn_dist[missing] = 0.0
    reducer = UMAP(
        n_neighbors=k,
        n_components=2,
        min_dist=MIN_DIST,
        metric="cosine",
        random_state=random_state,
        low_memory=True,
        n_jobs=1 if random_state is not None else -1,
        precomputed_knn=(knn_idx, knn_dist),
    )
    with warnings.catch_warnings():
        # UMAP warns that a precomputed graph without its search index cannot transform new data:
        # the layout only ever embeds the training documents.
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]", category=UserWarning)
        coords = reducer.fit_transform(X)
    return np.ascontiguousarray(coords, dtype=np.float32)


def layout_is_valid(state: TopicState) -> bool:
    """True when ``state.doc_layout`` has one finite row per training document."""
    layout = state.doc_layout
    return layout.ndim == 2 and layout.shape[1] == 2 and len(layout) == len(state.doc_topics) > 0


def ensure_layout(state: TopicState, embeddings: Any = None, random_state: int | None = None) -> np.ndarray:
    """The stored layout of the training documents, computed (and stored in ``state``) if missing.

    It is computed from ``embeddings`` when given (one row per training document), else from the
    training embeddings kept by a fitted model (``state.index_embeddings``). An online or merged
    model keeps no such embeddings: it needs ``embeddings``.
    """
    n = len(state.doc_topics)
    if layout_is_valid(state):
        if embeddings is not None:
            logger.debug("the model already has a document layout: embeddings are not used")
        return state.doc_layout
    if not n:
        raise InputError("the model has no training documents to lay out")
    if embeddings is not None:
        emb = check_embeddings(embeddings, n)
        layout = document_layout(emb, random_state)
    elif len(state.index_embeddings) == n:
        logger.info("computing the 2-D layout of %d documents (once; it is kept and saved with the model)", n)
        layout = document_layout(state.index_embeddings, random_state, index=state.neighbor_index)
    else:
        raise InputError(
            f"embeddings: this model keeps no embeddings of its {n} training documents (an online or merged "
            f"model), so its 2-D layout cannot be computed; pass embeddings= (an array of {n} rows, as given "
            f"to fit) or reduced_embeddings= (an ({n}, 2) array)"
        )
    state.doc_layout = layout
    return layout


def plot_layout(view: ModelView, embeddings: Any = None, reduced_embeddings: Any = None) -> np.ndarray:
    """``reduced_embeddings`` when given (checked, not stored), else the model's stored layout (computed once)."""
    state = view.state()
    if reduced_embeddings is not None:
        return check_reduced(reduced_embeddings, len(state.doc_topics))
    return ensure_layout(state, embeddings, view.random_state)


def check_reduced(reduced_embeddings: Any, n: int) -> np.ndarray:
    """``reduced_embeddings`` checked to be an (n, 2) finite array (a layout of the user's)."""
    arr = check_embeddings(reduced_embeddings, n, name="reduced_embeddings")
    if arr.shape[1] != 2:
        raise InputError(f"reduced_embeddings must have 2 columns (x, y); got shape {arr.shape}")
    return arr


def topic_positions(layout: np.ndarray, doc_topics: np.ndarray, topics: list[int]) -> np.ndarray:
    """(len(topics), 2): each topic's mean position in ``layout`` (NaN for a topic with no document)."""
    out = np.full((len(topics), 2), np.nan, dtype=np.float64)
    if not len(doc_topics):
        return out
    ids, inverse = np.unique(doc_topics, return_inverse=True)
    sums = np.zeros((len(ids), 2))
    np.add.at(sums, inverse, layout.astype(np.float64))
    counts = np.bincount(inverse, minlength=len(ids)).astype(np.float64)
    row = {int(t): i for i, t in enumerate(ids)}
    for j, t in enumerate(topics):
        if int(t) in row:
            out[j] = sums[row[int(t)]] / counts[row[int(t)]]
    return out


def vector_positions(vectors: Any) -> np.ndarray:
    """(k, 2) positions of a few topic vectors (c-TF-IDF rows or topic embeddings).

    Classical multidimensional scaling of their cosine distances (the top two eigenvectors of the
    double-centred squared distances): deterministic and instant for hundreds of topics, where
    BERTopic runs UMAP with two neighbours.
    """
    import scipy.sparse as sp
    from sklearn.metrics.pairwise import cosine_distances

    X = vectors.toarray() if sp.issparse(vectors) else np.asarray(vectors, dtype=np.float64)
    k = len(X)
    if k < 3:
        return np.column_stack([np.arange(k, dtype=np.float64), np.zeros(k)])
    D = np.clip(cosine_distances(X), 0.0, None)
    D2 = ((D + D.T) / 2) ** 2
    centre = np.eye(k) - 1.0 / k
    B = -0.5 * centre @ D2 @ centre
    values, vecs = np.linalg.eigh(B)
    top = np.argsort(values)[::-1][:2]
    coords = vecs[:, top] * np.sqrt(np.clip(values[top], 0.0, None))
    # An eigenvector's sign is arbitrary: fix it so the largest coordinate is positive.
    flip = np.sign(coords[np.abs(coords).argmax(axis=0), [0, 1]])
    return np.asarray(coords * np.where(flip == 0, 1.0, flip), dtype=np.float64)


def check_sample(sample: Any) -> float | None:
    """``sample``: None (every document) or a fraction > 0 (above 1 means every document, as BERTopic)."""
    if sample is None:
        return None
    if isinstance(sample, bool) or not isinstance(sample, (int, float, np.integer, np.floating)) or not sample > 0:
        raise InputError(f"sample must be None or a fraction > 0 of each topic's documents; got {sample!r}")
    return None if sample >= 1 else float(sample)


def sample_documents(doc_topics: np.ndarray, sample: float | None, seed: int = 0) -> np.ndarray:
    """Sorted indices of the documents to draw: per topic ``sample`` of its documents.

    As BERTopic, a topic of fewer than 100 documents is kept whole; others keep
    ``floor(size * sample)`` documents and at least one, so every topic stays visible.
    """
    n = len(doc_topics)
    if sample is None:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    order = np.argsort(doc_topics, kind="stable")
    bounds = np.flatnonzero(np.r_[True, doc_topics[order][1:] != doc_topics[order][:-1], True])
    kept = []
    for lo, hi in itertools.pairwise(bounds):
        members = order[lo:hi]
        size = len(members)
        if size < SAMPLE_KEEP_BELOW:
            kept.append(members)
        else:
            kept.append(rng.choice(members, size=max(1, int(size * sample)), replace=False))
    return np.sort(np.concatenate(kept)) if kept else np.zeros(0, dtype=np.int64)
