"""The fitting pipeline as one function: embeddings -> reduce -> cluster -> topics.

``TopicModel.fit`` validates its inputs and calls ``fit_topics``; the verbs (zero-shot, guided,
reduction) are plugged in here as plain functions over arrays and the fitted state.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._logging import logger, stage
from .clustering import LabelsGiven, default_clusterer, fit_cluster, is_classifier_like
from .clustering.neighbors import knn_graph
from .describe import build_state, core_documents, describe_topics
from .exceptions import InputError
from .reduction import default_reducer, fit_reduce
from .state import TopicState
from .vectorize import ClassTfidfTransformer, class_term_counts, default_vectorizer, fit_doc_term
from .verbs.guided import guide, seed_words
from .verbs.reduce import reduce_state
from .verbs.zeroshot import zeroshot_assign


@dataclass
class Stages:
    """The fitted stage objects (clones of the user's, never the user's own objects)."""

    reducer: Any
    clusterer: Any
    vectorizer: Any
    ctfidf: ClassTfidfTransformer


def fresh(component: Any) -> Any:
    """An unfitted copy of a user's component (scikit-learn clone when possible)."""
    from sklearn.base import clone

    try:
        return clone(component)
    except (TypeError, RuntimeError, AttributeError):
        return copy.deepcopy(component)


def _keeps_label_ids(clusterer: Any) -> bool:
    return isinstance(clusterer, LabelsGiven) or is_classifier_like(clusterer)


def order_by_size(labels: np.ndarray, offset: int = 0) -> np.ndarray:
    """Renumber cluster labels 0.. by decreasing size (ties: first occurrence), -1 kept."""
    out = np.full(labels.shape, -1, dtype=np.int64)
    ids, first, counts = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    for new, idx in enumerate(order):
        out[labels == ids[idx]] = new + offset
    return out


def harmonise_duplicates(embeddings: np.ndarray, doc_topics: np.ndarray) -> np.ndarray:
    """Give documents with identical embeddings one topic (their most common, outliers last).

    A reducer can place duplicates apart; transform could then not give back fit's topics.
    """
    keys = np.ascontiguousarray(embeddings.astype(np.float16)).view(np.void(embeddings.shape[1] * 2)).ravel()
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    out = doc_topics.copy()
    for group in np.flatnonzero(counts > 1):
        members = np.flatnonzero(inverse == group)
        labels = doc_topics[members]
        if (labels == labels[0]).all():
            continue
        values, freq = np.unique(labels, return_counts=True)
        order = np.lexsort((values, values == -1, -freq))
        out[members] = values[order[0]]
    return out


def fit_topics(
    params: Any,
    documents: list[str],
    embeddings: np.ndarray,
    y: np.ndarray | None,
    embed: Callable[[list[str]], np.ndarray] | None,
) -> tuple[TopicState, Stages]:
    """Run the whole pipeline on validated inputs; ``params`` is the TopicModel (read only)."""
    verbose = bool(params.verbose)
    n = len(documents)
    if params.hdbscan_model is not None:
        clusterer = fresh(params.hdbscan_model)
    else:
        min_clusters = params.nr_topics if isinstance(params.nr_topics, int) else None
        clusterer = default_clusterer(
            params.min_topic_size, random_state=params.random_state, min_clusters=min_clusters
        )
    vectorizer = (
        fresh(params.vectorizer_model)
        if params.vectorizer_model is not None
        else default_vectorizer(params.n_gram_range)
    )
    ctfidf = fresh(params.ctfidf_model) if params.ctfidf_model is not None else ClassTfidfTransformer()

    doc_topics = np.full(n, -1, dtype=np.int64)
    zs_names: dict[int, str] = {}
    zs_info: dict[str, Any] = {}
    zs_emb = np.zeros((0, embeddings.shape[1]), dtype=np.float32)
    rest = np.ones(n, dtype=bool)
    if params.zeroshot_topic_list:
        if embed is None:
            raise InputError("zeroshot_topic_list needs an embedding model to embed the topic names")
        with stage("zero-shot matching", verbose=verbose):
            zs = zeroshot_assign(
                embeddings, list(params.zeroshot_topic_list), embed, params.zeroshot_min_similarity, verbose=verbose
            )
        used = [i for i in range(len(params.zeroshot_topic_list)) if (zs.assigned == i).any()]
        for new_id, i in enumerate(used):
            doc_topics[zs.assigned == i] = new_id
            zs_names[new_id] = params.zeroshot_topic_list[i]
        rest = zs.assigned < 0
        zs_emb = zs.name_embeddings
        zs_info = {
            "labels": list(params.zeroshot_topic_list),
            "topic_ids": [used.index(i) if i in used else None for i in range(len(params.zeroshot_topic_list))],
            "min_similarity": float(params.zeroshot_min_similarity),
            "report": zs.report,
        }

    guide_y = None
    seeds = params.seed_topic_list
    work_emb = embeddings
    if seeds:
        if embed is None:
            raise InputError("seed_topic_list needs an embedding model to embed the seed words")
        work_emb, guide_y = guide(embeddings, seeds, embed)

    n_rest = int(rest.sum())
    # Sized on the documents it will see (zero-shot matching may leave few of them).
    reducer = (
        fresh(params.umap_model)
        if params.umap_model is not None
        else default_reducer(n_rest, params.random_state, clusterer)
    )
    if n_rest >= max(params.min_topic_size, 2):
        sub_y = None
        if y is not None:
            sub_y = y[rest]
        elif guide_y is not None:
            sub_y = guide_y[rest]
        keep_ids = _keeps_label_ids(clusterer)
        with stage("dimensionality reduction", verbose=verbose):
            reduced = fit_reduce(reducer, work_emb[rest], sub_y)
        with stage("clustering", verbose=verbose):
            labels = fit_cluster(clusterer, reduced, y[rest] if (keep_ids and y is not None) else sub_y)
        if not keep_ids:  # given labels (manual, supervised) are the topics, duplicates included
            labels = harmonise_duplicates(embeddings[rest], labels)
        offset = len(zs_names)
        doc_topics[rest] = np.where(labels >= 0, labels + offset, -1) if keep_ids else order_by_size(labels, offset)
    elif n_rest:
        logger.info(
            "only %d documents left after zero-shot matching (< min_topic_size=%d): they stay outliers",
            n_rest,
            params.min_topic_size,
        )
    else:
        logger.info("every document matched a zero-shot topic: no reduction or clustering step")

    with stage("vectorizing", verbose=verbose):
        doc_term, vocabulary = fit_doc_term(vectorizer, documents)
    state = build_state(
        doc_topics=doc_topics, doc_term=doc_term, vocabulary=vocabulary, embeddings=embeddings, documents=documents
    )
    state.zeroshot_names = zs_names
    if zs_info:
        state.info["zeroshot"] = zs_info
        state.zeroshot_embeddings = zs_emb
    boosted = seed_words(seeds)
    if params.nr_topics is not None:
        with stage("topic reduction", verbose=verbose):
            state.ctfidf = ctfidf.weights(state.class_term, state.vocabulary, boosted or ())
            reduce_state(state, params.nr_topics)
    if not _keeps_label_ids(clusterer):  # discovered topics; given labels keep all their documents
        with stage("topic words from core documents", verbose=verbose):
            neighbors = _neighbors(clusterer, rest, embeddings, params.random_state)
            core = core_documents(neighbors, state.doc_topics)
            state.class_term = class_term_counts(doc_term, np.where(core, state.doc_topics, -2), state.topic_ids)
    with stage("topic representations", verbose=verbose):
        describe_topics(
            state,
            ctfidf_model=ctfidf,
            representation_model=params.representation_model,
            top_n_words=params.top_n_words,
            embed=embed,
            analyzer=_analyzer(vectorizer),
            verbose=verbose,
            seed_words=boosted,
        )
    return state, Stages(reducer=reducer, clusterer=clusterer, vectorizer=vectorizer, ctfidf=ctfidf)


def _neighbors(clusterer: Any, rest: np.ndarray, embeddings: np.ndarray, random_state: int | None) -> np.ndarray:
    """Each document's nearest neighbours: the clusterer's graph when it saw every document."""
    known = getattr(clusterer, "neighbors_", None)
    if known is not None and rest.all() and known.shape[0] == embeddings.shape[0]:
        return known
    return knn_graph(embeddings, 15, random_state=random_state)[0]


def _analyzer(vectorizer: Any) -> Callable[[str], list[str]] | None:
    build = getattr(vectorizer, "build_analyzer", None)
    return build() if callable(build) else None


def redescribe(model: Any) -> None:
    """Recompute words, aspects and names of a fitted model after its topics changed."""
    state = model.state_
    stages = getattr(model, "stages_", None)
    ctfidf = stages.ctfidf if stages is not None else (model.ctfidf_model or ClassTfidfTransformer())
    vectorizer = stages.vectorizer if stages is not None else None
    seeds = model.seed_topic_list
    describe_topics(
        state,
        ctfidf_model=ctfidf,
        representation_model=model.representation_model,
        top_n_words=model.top_n_words,
        embed=model._embed_fn(),
        analyzer=_analyzer(vectorizer) if vectorizer is not None else None,
        verbose=bool(model.verbose),
        seed_words=seed_words(seeds),
    )
