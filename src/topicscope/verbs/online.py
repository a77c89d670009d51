"""Online topic modelling: update a model batch after batch with ``partial_fit``.

Each batch goes through incremental stages: the reducer (``umap_model``) and the clusterer
(``hdbscan_model``) must have ``partial_fit`` (e.g. scikit-learn's ``IncrementalPCA`` and
``MiniBatchKMeans``); the vectorizer must grow its vocabulary (default
:class:`~topicscope.vectorize.online.OnlineCountVectorizer`). The first call clones the user's
components into ``model.stages_``; later calls continue those clones (the user's objects are never
fitted).

A batch is atomic: :func:`online_update` learns it on a copy of the stages and returns the new
stages beside the new state, and ``partial_fit`` installs both only once the topics are described.
A call that raises (a representation model that fails, a clusterer that refuses the batch) leaves
the model as it was, so the same batch can be passed again without being counted twice.

What accumulates, so the topic table covers every document seen, not only the last batch:

* a cluster label gets a topic id the first time it is seen (the next free id; within a batch,
  new clusters in order of decreasing size); documents keep the topic they got in their batch, and
  ``topics_`` lists the topics of every document seen, in order;
* topic sizes add up; topic embeddings are running means of the documents' embeddings;
* class-term counts add up over the growing vocabulary (with the vectorizer's ``decay``, the
  accumulated counts are first multiplied by ``1 - decay``), and words and names are recomputed
  from them after every batch;
* representative documents: the best of the previous ones and the batch's, re-ranked by closeness
  to the updated topic embedding.

Memory stays bounded while batches stream (apart from ``topics_``, one integer per document): the
neighbour index used by ``transform`` keeps at most ``index_rows_per_topic`` documents per topic
(default :data:`INDEX_ROWS_PER_TOPIC`), a uniform reservoir sample of that topic's documents
(Vitter's algorithm R, seeded with the model's ``random_state``, so runs are repeatable). The
vocabulary grows with the number of distinct terms.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._components import FittedComponents, ctfidf_of, unfitted_copy
from .._neighbors import DEFAULT_K, NO_TOPIC, exact_search, index_vectors, normalise_rows
from .._topics import (
    N_CANDIDATES,
    N_REPRESENTATIVE,
    TopicEvidence,
    central_documents,
    combine_topics,
    pool_candidates,
)
from .._validation import check_int
from ..exceptions import InputError
from ..settings import FitSettings
from ..state import OnlineInfo, TopicState
from ..vectorize import class_term_counts
from ..vectorize.online import OnlineCountVectorizer

__all__ = [
    "INDEX_ROWS_PER_TOPIC",
    "OnlineCountVectorizer",
    "OnlineStages",
    "check_online_params",
    "online_update",
    "start_online",
]

INDEX_ROWS_PER_TOPIC = 500


@dataclass
class OnlineStages(FittedComponents):
    """The fitted stages plus the running totals an online model needs (in memory only)."""

    rng: np.random.Generator = field(default_factory=np.random.default_rng)
    cluster_topics: dict[int, int] = field(default_factory=dict)  # cluster label -> topic id
    embedding_sums: dict[int, np.ndarray] = field(default_factory=dict)  # topic -> sum of doc embeddings
    index_seen: dict[int, int] = field(default_factory=dict)  # topic -> documents offered to the index
    index_rows_per_topic: int = INDEX_ROWS_PER_TOPIC
    reducer_fitted: bool = False  # a reducer without partial_fit is fitted on the first batch only


def continued_stream(stages: FittedComponents | None) -> OnlineStages:
    """The stream a fitted model's ``partial_fit`` continues; an error naming the way out when it has none.

    A model fitted with ``fit()``, loaded from disk, or edited by a verb that changed its topics or counts
    (``end_stream``) has no running totals to continue.
    """
    if not isinstance(stages, OnlineStages):
        raise InputError(
            "partial_fit continues a model built with partial_fit; this model was fitted with fit(), "
            "loaded from disk or reduced with reduce_topics (which ends an online stream), so its stages "
            "cannot learn online: start from a new TopicModel"
        )
    return stages


def end_stream(stages: FittedComponents | None) -> FittedComponents | None:
    """``stages`` without an online stream's running totals, which are keyed by the old topics.

    After a verb that changed the topics or their counts, ``partial_fit`` cannot continue (it says so).
    """
    if isinstance(stages, OnlineStages):
        return FittedComponents(reducer=None, clusterer=None, vectorizer=stages.vectorizer, ctfidf=stages.ctfidf)
    return stages


def _incremental(component: Any, name: str, suggestion: str) -> Any:
    if component is None:
        raise InputError(
            f"{name} must have partial_fit() for online learning (partial_fit); got None, and the default "
            f"cannot learn online: pass e.g. {name}={suggestion}"
        )
    if not callable(getattr(component, "partial_fit", None)):
        raise InputError(
            f"{name} must have partial_fit() for online learning (partial_fit); got {type(component).__name__}: "
            f"pass e.g. {name}={suggestion}"
        )
    return component


def _fit_once(reducer: Any) -> None:
    """Check a reducer without ``partial_fit`` can be fitted once and then transform."""
    if reducer is None:
        raise InputError(
            "umap_model must be given for online learning (partial_fit): the default pipeline has no online "
            "reducer; pass e.g. umap_model=IncrementalPCA(n_components=5) from sklearn.decomposition (learns "
            "every batch) or PCA(n_components=5) (fitted on the first batch only)"
        )
    if not (callable(getattr(reducer, "fit", None)) and callable(getattr(reducer, "transform", None))):
        raise InputError(
            f"umap_model must have partial_fit(), or fit() and transform(), for online learning (partial_fit); "
            f"got {type(reducer).__name__}"
        )


def check_online_params(settings: FitSettings) -> None:
    """Refuse settings that cannot learn online (``settings``: the TopicModel's ``settings()``)."""
    reducer = settings.umap_model
    if reducer is None or not callable(getattr(reducer, "partial_fit", None)):
        # As in BERTopic, a reducer without partial_fit is fitted on the first batch, then only transforms.
        _fit_once(reducer)
    _incremental(settings.hdbscan_model, "hdbscan_model", "MiniBatchKMeans(n_clusters=50) from sklearn.cluster")
    vec = settings.vectorizer_model
    needed = ("partial_fit", "transform", "get_feature_names_out")
    if vec is not None and not all(callable(getattr(vec, a, None)) for a in needed):
        raise InputError(
            "vectorizer_model must grow its vocabulary online (partial_fit(), transform() and "
            "get_feature_names_out()); got "
            f"{type(vec).__name__}: pass e.g. vectorizer_model=OnlineCountVectorizer() "
            "from topicscope.vectorize.online"
        )
    for name in ("zeroshot_topic_list", "seed_topic_list", "nr_topics"):
        value = getattr(settings, name)
        if value is not None:
            raise InputError(f"{name} is not supported by partial_fit; got {value!r} (set it to None)")


def start_online(settings: FitSettings, index_rows_per_topic: int | None = None) -> OnlineStages:
    """Unfitted copies of the user's components, ready for the first batch."""
    cap = check_int(
        INDEX_ROWS_PER_TOPIC if index_rows_per_topic is None else index_rows_per_topic,
        "index_rows_per_topic",
        minimum=1,
    )
    vec, ctf = settings.vectorizer_model, settings.ctfidf_model
    return OnlineStages(
        reducer=unfitted_copy(settings.umap_model),
        clusterer=unfitted_copy(settings.hdbscan_model),
        vectorizer=unfitted_copy(vec) if vec is not None else OnlineCountVectorizer(),
        ctfidf=ctfidf_of(ctf),
        rng=np.random.default_rng(settings.random_state),
        index_rows_per_topic=int(cap),
    )


def _cluster(stages: OnlineStages, embeddings: np.ndarray) -> np.ndarray:
    """Continue the reducer and the clusterer on a batch; the batch's cluster labels.

    A reducer without ``partial_fit`` is fitted on the first batch and only transforms the next
    ones, as in BERTopic (logged once).
    """
    from .._logging import logger

    if callable(getattr(stages.reducer, "partial_fit", None)):
        stages.reducer.partial_fit(embeddings)
    elif not stages.reducer_fitted:
        logger.info(
            "umap_model %s has no partial_fit: it is fitted on this first batch and only transforms later batches",
            type(stages.reducer).__name__,
        )
        stages.reducer.fit(embeddings)
    stages.reducer_fitted = True
    reduced = np.asarray(stages.reducer.transform(embeddings), dtype=np.float32)
    stages.clusterer.partial_fit(reduced)
    if callable(getattr(stages.clusterer, "predict", None)):
        labels = stages.clusterer.predict(reduced)
    else:
        labels = getattr(stages.clusterer, "labels_", None)
    name = type(stages.clusterer).__name__
    if labels is None or np.shape(labels) != (len(embeddings),):
        raise InputError(f"hdbscan_model {name} must give one label per document of the batch (predict() or labels_)")
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise InputError(f"hdbscan_model must return integer labels; got dtype {labels.dtype}")
    return labels.astype(np.int64)


def _topics_of(stages: OnlineStages, labels: np.ndarray) -> np.ndarray:
    """Topic ids of a batch's cluster labels; unseen clusters get the next ids (largest first)."""
    known = stages.cluster_topics
    new, first, counts = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
    fresh_rows = [i for i, c in enumerate(new) if int(c) not in known]
    next_id = max(known.values(), default=-1) + 1
    for i in sorted(fresh_rows, key=lambda i: (-counts[i], first[i])):
        known[int(new[i])] = next_id
        next_id += 1
    return np.array([known[int(c)] if c >= 0 else -1 for c in labels], dtype=np.int64)


def _update_index(
    stages: OnlineStages, state: TopicState | None, embeddings: np.ndarray, topics: np.ndarray, dim: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reservoir-sample the batch into the neighbour index (at most ``index_rows_per_topic`` per topic).

    Returns the index's embeddings and topics, and per index row the batch document it now holds
    (-1 for rows of earlier batches).
    """
    cap = stages.index_rows_per_topic
    if state is None:
        index_emb, index_topics = np.zeros((0, dim), dtype=np.float16), np.zeros(0, dtype=np.int64)
    else:
        index_emb, index_topics = state.index_embeddings.copy(), state.index_topics
    appended: list[int] = []
    holder = np.full(len(index_topics), -1, dtype=np.int64)
    for topic in np.unique(topics):
        slots = list(np.flatnonzero(index_topics == topic))  # this topic's rows, in slot order
        new_rows: list[int] = []
        seen = stages.index_seen.get(int(topic), 0)
        for i in np.flatnonzero(topics == topic):
            seen += 1
            if len(slots) + len(new_rows) < cap:
                new_rows.append(int(i))
                continue
            j = int(stages.rng.integers(seen))
            if j < len(slots):
                index_emb[slots[j]] = embeddings[i]
                holder[slots[j]] = i
            elif j < cap:
                new_rows[j - len(slots)] = int(i)
        stages.index_seen[int(topic)] = seen
        appended.extend(new_rows)
    if appended:
        index_emb = np.concatenate([index_emb, embeddings[appended].astype(np.float16)])
        index_topics = np.concatenate([index_topics, topics[appended]])
        holder = np.concatenate([holder, np.asarray(appended, dtype=np.int64)])
    return index_emb, index_topics, holder


def _candidates(
    state: TopicState | None,
    docs: list[str],
    embeddings: np.ndarray,
    topics: np.ndarray,
    topic_ids: np.ndarray,
    topic_emb: np.ndarray,
) -> tuple[dict[int, list[str]], dict[int, np.ndarray]]:
    batch_ids = np.unique(topics)
    batch_docs, batch_emb = central_documents(
        docs, embeddings, topics, batch_ids, topic_emb[np.searchsorted(topic_ids, batch_ids)]
    )
    cand_docs: dict[int, list[str]] = {}
    cand_emb: dict[int, np.ndarray] = {}
    for row, topic in enumerate(int(t) for t in topic_ids):
        old_docs = state.candidate_docs.get(topic, []) if state is not None else []
        old_emb = state.candidate_embeddings.get(topic) if state is not None else None
        pool_docs = list(old_docs) + batch_docs.get(topic, [])
        parts = [e for e in (old_emb if old_docs else None, batch_emb.get(topic)) if e is not None and len(e)]
        if pool_docs and parts:
            cand_docs[topic], cand_emb[topic] = pool_candidates(
                pool_docs, np.concatenate(parts), topic_emb[row], N_CANDIDATES
            )
    return cand_docs, cand_emb


def online_update(
    state: TopicState | None, stages: OnlineStages, docs: list[str], emb: np.ndarray, *, verbose: bool = False
) -> tuple[TopicState, OnlineStages]:
    """(state, stages) after one more batch (``emb``: the batch's unit embeddings); not yet described.

    The batch is learnt on a copy of ``stages`` (its fitted components and running totals);
    ``state`` and ``stages`` are left as they were, so a caller that fails later (describing the
    topics) can drop both results and the model is unchanged.
    """
    from .._logging import stage

    stages = copy.deepcopy(stages)
    with stage("online clustering", verbose=verbose):
        topics = _topics_of(stages, _cluster(stages, emb))
    with stage("online vectorizing", verbose=verbose):
        stages.vectorizer.partial_fit(docs)
        doc_term = sp.csr_matrix(stages.vectorizer.transform(docs), dtype=np.float64)
        vocabulary = np.asarray(stages.vectorizer.get_feature_names_out(), dtype=object)

    old_ids = state.topic_ids if state is not None else np.zeros(0, dtype=np.int64)
    topic_ids = np.union1d(old_ids, np.unique(topics)).astype(np.int64)
    decay = getattr(stages.vectorizer, "decay", None)
    batch_ids = np.unique(topics)
    batch_sums = np.zeros((len(batch_ids), emb.shape[1]))
    np.add.at(batch_sums, np.searchsorted(batch_ids, topics), emb.astype(np.float64))
    parts = [
        TopicEvidence(
            batch_ids,
            class_term_counts(doc_term, topics, batch_ids),
            np.bincount(np.searchsorted(batch_ids, topics), minlength=len(batch_ids)),
            batch_sums,
        )
    ]
    if state is not None:
        old_counts = sp.csr_matrix(state.class_term, dtype=np.float64)
        if decay:  # old words fade: the accumulated counts shrink before the batch is added
            old_counts = old_counts * (1.0 - float(decay))
        old_sums = np.stack([stages.embedding_sums[int(t)] for t in state.topic_ids])
        parts.insert(0, TopicEvidence(state.topic_ids, old_counts, state.sizes, old_sums))
    identity = {int(t): int(t) for t in topic_ids}
    class_term, sizes, sums = combine_topics(parts, [identity] * len(parts), topic_ids, len(vocabulary))
    stages.embedding_sums = {int(t): sums[row] for row, t in enumerate(topic_ids)}
    topic_emb = normalise_rows(sums / sizes[:, None]).astype(np.float32)
    index_emb, index_topics, holder = _update_index(stages, state, emb, topics, emb.shape[1])
    cand_docs, cand_emb = _candidates(state, docs, emb, topics, topic_ids, topic_emb)
    # The batch's probabilities: itself, then its nearest rows of the (bounded) index as it now is.
    # Each document counts itself once (first, weight 1), as at fit: its own index row is skipped.
    idx, sim = exact_search(emb, index_vectors(index_emb), DEFAULT_K)
    own = (idx >= 0) & (holder[np.maximum(idx, 0)] == np.arange(len(emb))[:, None])
    sim = np.where(own, -np.inf, sim)
    order = np.argsort(own, axis=1, kind="stable")[:, : DEFAULT_K - 1]  # the others, in similarity order
    idx, sim = np.take_along_axis(idx, order, axis=1), np.take_along_axis(sim, order, axis=1)
    valid = (idx >= 0) & np.isfinite(sim)
    batch_topics = np.hstack([topics[:, None], np.where(valid, index_topics[np.where(valid, idx, 0)], NO_TOPIC)])
    batch_weights = np.hstack([np.ones((len(topics), 1)), np.where(valid, np.clip(sim, 1e-6, None), 0.0)])
    batch_topics, batch_weights = batch_topics.astype(np.int64), batch_weights.astype(np.float32)
    previous = state.online if state is not None and state.online is not None else OnlineInfo(0, 0, 0)
    online = OnlineInfo(
        batches=previous.batches + 1,
        documents=previous.documents + len(docs),
        index_rows_per_topic=int(stages.index_rows_per_topic),
        decay=None if decay is None else float(decay),
    )
    new_state = TopicState(
        topic_ids=topic_ids,
        sizes=sizes,
        vocabulary=vocabulary,
        class_term=class_term,
        ctfidf=sp.csr_matrix(class_term.shape),
        topic_embeddings=topic_emb,
        words={},
        names={},
        representative_docs={t: d[:N_REPRESENTATIVE] for t, d in cand_docs.items()},
        custom_labels=None if state is None or not state.custom_labels else dict(state.custom_labels),
        doc_topics=np.concatenate([state.doc_topics, topics]) if state is not None else topics,
        index_embeddings=index_emb,
        index_topics=index_topics,
        online=online,
        neighbor_topics=batch_topics if state is None else np.concatenate([state.neighbor_topics, batch_topics]),
        neighbor_weights=batch_weights if state is None else np.concatenate([state.neighbor_weights, batch_weights]),
        topic_mapper={int(t): int(t) for t in topic_ids},
        candidate_docs=cand_docs,
        candidate_embeddings=cand_emb,
    )
    return new_state, stages
