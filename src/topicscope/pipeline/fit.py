"""The fitting pipeline as one function: settings and embeddings in, state and components out.

``fit_topics(settings, documents, embeddings, embed)`` returns ``(TopicState, FittedComponents)``
and assigns nothing: ``TopicModel.fit`` validates its inputs, calls it and installs the result.
``settings`` is a ``FitSettings`` (``TopicModel.settings()``), checked by ``check_params`` and,
once the number of documents is known, ``check_n_docs``. The verbs (zero-shot, guided,
reduction) are plugged in here as plain functions over arrays and the fitted state. The stages
are ``fit_structure`` (topics of the documents it is given), counting, and ``finish`` (words and
names); above ``fit_sample_size`` documents ``fit_sampled`` runs the structure on a sample and
the block functions of ``sampling`` over all documents (the Dask engine runs the same pieces).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any

import numpy as np

from .._components import FittedComponents, ctfidf_of, unfitted_copy, vectorizer_of
from .._logging import logger, stage
from .._neighbors import GRAPH_K, NeighborIndex, training_neighbors
from .._topics import Describer, build_state, check_representation_model, core_documents, ctfidf_weights_of
from .._validation import check_int, check_language, check_n_gram_range
from ..clustering import LabelsGiven, default_clusterer, fit_cluster, is_classifier_like
from ..exceptions import InputError
from ..reduction import default_reducer, fit_reduce
from ..settings import FitSettings
from ..state import TopicState, ZeroShotInfo
from ..vectorize import (
    ClassTfidfTransformer,
    class_term_counts,
    fit_doc_term,
    text_fingerprint,
)
from ..verbs.reduce import reduce_state
from .guided import check_seed_topic_list, guide, seed_words
from .sampling import (
    Assigned,
    Candidates,
    SamplePlan,
    TopicTotals,
    concat_assigned,
    draw_sample,
    sample_plan,
    sampled_state,
    topic_centres,
    uncounted_topics,
)
from .zeroshot import check_zeroshot_params, zeroshot_assign

if TYPE_CHECKING:
    from ..embedding import Embedder

Embed = Callable[[list[str]], np.ndarray]


def check_params(settings: FitSettings) -> None:
    """Check the settings alone (``InputError`` naming the parameter); no document count is needed."""
    check_language(settings.language, settings.embedding_model)
    if not isinstance(settings.low_memory, (bool, np.bool_)):
        raise InputError(f"low_memory must be True or False; got {settings.low_memory!r}")
    check_int(settings.top_n_words, "top_n_words", minimum=1)
    check_int(settings.min_topic_size, "min_topic_size", minimum=2)
    check_n_gram_range(settings.n_gram_range)
    if settings.nr_topics is not None and settings.nr_topics != "auto":
        check_int(settings.nr_topics, "nr_topics (or None or 'auto')", minimum=1)
    if settings.random_state is not None:
        check_int(settings.random_state, "random_state", minimum=0)
    if settings.fit_sample_size is not None:
        check_int(settings.fit_sample_size, "fit_sample_size (or None)", minimum=max(int(settings.min_topic_size), 2))
    check_seed_topic_list(settings.seed_topic_list)
    check_zeroshot_params(settings.zeroshot_topic_list, settings.zeroshot_min_similarity)
    check_representation_model(settings.representation_model)


def check_n_docs(settings: FitSettings, n_docs: int) -> None:
    """Check that ``n_docs`` documents can form a topic (settings already checked by ``check_params``)."""
    if n_docs < settings.min_topic_size:
        raise InputError(
            f"documents must number at least min_topic_size={settings.min_topic_size} to form a topic; "
            f"got {n_docs} (lower min_topic_size or pass more documents)"
        )


def embed_function(embedder: Embedder) -> Callable[[Sequence[str]], np.ndarray]:
    """``embedder`` as the function fitting and the verbs call on new text (no progress bar)."""
    return lambda texts: embedder.embed(list(texts), verbose=False)


def new_text_embed(embedder: Callable[[], Embedder], given: str) -> Callable[[Sequence[str]], np.ndarray]:
    """``embed_function(embedder())`` for a fit whose documents' embeddings are ``given`` elsewhere
    (a sentence: "Precomputed embeddings were given"): an ``InputError`` making the embedder then
    says what the embedding model is still needed for."""
    try:
        return embed_function(embedder())
    except InputError as exc:
        raise InputError(
            f"{exc}. {given}, so embedding_model is only needed to embed new text (transform of new documents, "
            "zero-shot topics, KeyBERTInspired, find_topics): pass embedding_model=None (the packaged default) "
            "or a real model"
        ) from None


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
    Duplicates are found by hashing each row's float16 bytes: one pass, O(n).
    """
    rows = np.ascontiguousarray(embeddings.astype(np.float16))
    first_of: dict[bytes, int] = {}
    group = np.empty(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        group[i] = first_of.setdefault(row.tobytes(), i)
    dup = np.flatnonzero(np.bincount(group, minlength=len(rows))[group] > 1)
    out = doc_topics.copy()
    if not len(dup):
        return out
    members_of: dict[int, list[int]] = {}
    for d in dup:
        members_of.setdefault(int(group[d]), []).append(int(d))
    for members in members_of.values():
        labels = doc_topics[members]
        if (labels == labels[0]).all():
            continue
        values, freq = np.unique(labels, return_counts=True)
        order = np.lexsort((values, values == -1, -freq))
        out[members] = values[order[0]]
    return out


@dataclass
class Structure:
    """The topic structure found on some documents' embeddings: topics, neighbour graph, components.

    ``fit_structure`` finds it on all documents (a plain fit) or on a sample (``sampling``); the
    words are counted afterwards, over the documents the caller has.
    """

    doc_topics: np.ndarray
    graph_idx: np.ndarray  # each document's GRAPH_K nearest neighbours (rows of these embeddings)
    graph_sim: np.ndarray
    index: NeighborIndex | None  # the neighbour index over these embeddings
    keep_ids: bool  # the topics are given labels (manual, supervised)
    reducer: Any
    clusterer: Any
    zs_names: dict[int, str] = field(default_factory=dict)
    zs_info: ZeroShotInfo | None = None
    zs_emb: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))


def make_clusterer(settings: FitSettings, sample_fraction: float = 1.0) -> Any:
    """An unfitted copy of the user's clusterer, or the default one.

    On a sample (``sample_fraction`` < 1) the default clusterer is set to find topics of the
    granularity a fit of all documents would (see ``sampling.sample_clusterer``); a clusterer of the
    user's is used as given.
    """
    if settings.hdbscan_model is not None:
        return unfitted_copy(settings.hdbscan_model)
    min_clusters = settings.nr_topics if isinstance(settings.nr_topics, int) else None
    clusterer = default_clusterer(
        settings.min_topic_size, random_state=settings.random_state, min_clusters=min_clusters
    )
    if sample_fraction < 1.0:
        from .sampling import sample_clusterer

        clusterer = sample_clusterer(clusterer, sample_fraction)
    return clusterer


def make_vectorizer(settings: FitSettings) -> Any:
    """An unfitted copy of the user's vectorizer, or the default one."""
    return vectorizer_of(settings.vectorizer_model, settings.n_gram_range)


def make_ctfidf(settings: FitSettings) -> ClassTfidfTransformer:
    """An unfitted copy of the user's c-TF-IDF model, or the default one."""
    return ctfidf_of(settings.ctfidf_model)


def make_describer(
    settings: FitSettings, ctfidf: ClassTfidfTransformer, vectorizer: Any, embed: Embed | None
) -> Describer:
    """What turns class-term counts into words and names: ``ctfidf``, the ``vectorizer``'s analyzer
    (None without one) and the settings' representation model, ``top_n_words`` and seed words."""
    return Describer(
        ctfidf=ctfidf,
        representation_model=settings.representation_model,
        top_n_words=settings.top_n_words,
        embed=embed,
        analyzer=_analyzer(vectorizer),
        verbose=bool(settings.verbose),
        seed_words=seed_words(settings.seed_topic_list),
    )


def fit_topics(
    settings: FitSettings,
    documents: list[str],
    embeddings: np.ndarray,
    embed: Embed | None,
    *,
    y: np.ndarray | None = None,
) -> tuple[TopicState, FittedComponents]:
    """Run the whole pipeline on validated inputs; returns the fitted state and components.

    ``settings`` have passed ``check_params`` and ``check_n_docs``; ``documents`` are strings and
    ``y`` (labels, supervised or manual modes) has one entry per document. ``embeddings`` are
    L2-normalised rows at the precision of the neighbour index (``index_vectors``), so the index
    built while clustering serves ``transform`` as it is. ``embed`` embeds new text (zero-shot
    names, seed words, KeyBERT words); None where no stage needs it. More documents than
    ``settings.fit_sample_size``: the structure is fitted on a sample and the other documents are
    assigned to it (see ``sampling``). With ``low_memory`` the training documents' term counts are
    not kept in the state.
    """
    size = settings.fit_sample_size
    if size is not None and len(documents) > size:
        state, stages = fit_sampled(settings, documents, embeddings, embed, y=y, size=int(size))
    else:
        state, stages = _fit_all(settings, documents, embeddings, embed, y)
    if settings.low_memory:
        state.training_doc_term = None
    return state, stages


def _fit_all(
    settings: FitSettings,
    documents: list[str],
    embeddings: np.ndarray,
    embed: Embed | None,
    y: np.ndarray | None,
) -> tuple[TopicState, FittedComponents]:
    """``fit_topics`` for at most ``fit_sample_size`` documents: the structure is fitted on all of them."""
    verbose = bool(settings.verbose)
    vectorizer = make_vectorizer(settings)
    ctfidf = make_ctfidf(settings)
    found = fit_structure(settings, embeddings, y, embed)
    keep_ids, graph_idx = found.keep_ids, found.graph_idx
    doc_topics = found.doc_topics
    with stage("vectorizing", verbose=verbose):
        doc_term, vocabulary = fit_doc_term(vectorizer, documents)
    state = build_state(
        doc_topics=doc_topics, doc_term=doc_term, vocabulary=vocabulary, embeddings=embeddings, documents=documents
    )
    state.training_fingerprint, state.training_doc_term = text_fingerprint(documents), doc_term
    state.neighbor_topics, state.neighbor_weights = training_neighbors(doc_topics, graph_idx, found.graph_sim)
    set_structure(state, found)
    if not keep_ids:  # discovered topics; given labels keep all their documents
        with stage("topic words from core documents", verbose=verbose):
            core = core_documents(graph_idx, state.doc_topics)
            state.class_term = class_term_counts(doc_term, np.where(core, state.doc_topics, -2), state.topic_ids)
    finish(settings, state, ctfidf, vectorizer, embed)
    return state, FittedComponents(
        reducer=found.reducer, clusterer=found.clusterer, vectorizer=vectorizer, ctfidf=ctfidf
    )


def fit_sampled(
    settings: FitSettings,
    documents: list[str],
    embeddings: np.ndarray,
    embed: Embed | None,
    *,
    y: np.ndarray | None,
    size: int,
) -> tuple[TopicState, FittedComponents]:
    """``fit_topics`` for more than ``size`` documents, in this process (see ``sampling``)."""
    from .sampling import add_totals, assign_block, block_candidates, block_totals, blocks, merge_candidates

    verbose = bool(settings.verbose)
    n = len(documents)
    parts = blocks(n)
    counts: dict[str, Any] = {}

    def count() -> tuple[Any, np.ndarray]:
        vectorizer = make_vectorizer(settings)
        with stage("vectorizing", verbose=verbose):
            counts["doc_term"], vocabulary = fit_doc_term(vectorizer, documents)
        return vectorizer, vocabulary

    def assign(plan: SamplePlan) -> Assigned:
        return concat_assigned(
            [assign_block(plan, embeddings[b], np.arange(b.start, b.stop), None if y is None else y[b]) for b in parts]
        )

    def totals(assigned: Assigned, topic_ids: np.ndarray, uncounted: np.ndarray) -> TopicTotals:
        counted = assigned.core | np.isin(assigned.topics, uncounted)
        doc_term = counts["doc_term"]
        return reduce(
            add_totals,
            [block_totals(doc_term[b], embeddings[b], assigned.topics[b], counted[b], topic_ids) for b in parts],
        )

    def candidates(assigned: Assigned, topic_ids: np.ndarray, centres: np.ndarray) -> Candidates:
        return reduce(
            merge_candidates,
            [
                block_candidates(
                    documents[b], embeddings[b], np.arange(b.start, b.stop), assigned.topics[b], topic_ids, centres
                )
                for b in parts
            ],
        )

    rows = draw_sample(n, size, settings.random_state)
    return fit_on_sample(
        settings,
        rows,
        embeddings[rows],
        n,
        embed,
        SampleSteps(count, assign, totals, candidates, lambda: (text_fingerprint(documents), counts["doc_term"])),
        y=None if y is None else y[rows],
        largest_label=int(y.max()) if y is not None and len(y) else None,
    )


@dataclass
class SampleSteps:
    """How an engine runs the steps of a sample fit over all documents (``fit_on_sample``).

    This process runs them on row blocks (``fit_sampled``), the Dask engine on partitions; both
    with the block functions of ``sampling``, so they give the same state.
    """

    count: Callable[[], tuple[Any, np.ndarray]]  # -> (the fitted vectorizer, the vocabulary)
    assign: Callable[[SamplePlan], Assigned]  # every document assigned to the sample's topics
    totals: Callable[[Assigned, np.ndarray, np.ndarray], TopicTotals]  # (assigned, topic ids, uncounted topics)
    candidates: Callable[[Assigned, np.ndarray, np.ndarray], Candidates]  # (assigned, topic ids, centres)
    fingerprint: Callable[[], tuple[str, Any]]  # -> (text fingerprint, the training doc-term matrix or None)


def fit_on_sample(
    settings: FitSettings,
    rows: np.ndarray,
    vectors: np.ndarray,
    n: int,
    embed: Embed | None,
    steps: SampleSteps,
    *,
    y: np.ndarray | None = None,
    largest_label: int | None = None,
) -> tuple[TopicState, FittedComponents]:
    """A sample fit: the structure on the sample ``rows`` of ``n`` documents (their unit ``vectors``,
    their labels ``y``), then ``steps`` over all documents, then the words and names (``finish``)."""
    verbose = bool(settings.verbose)
    logger.info("fitting the topic structure on a sample of %d of %d documents", len(rows), n)
    found = fit_structure(settings, vectors, y, embed, largest_label=largest_label, sample_fraction=len(rows) / n)
    plan = sample_plan(found, rows, vectors)
    vectorizer, vocabulary = steps.count()
    with stage(f"assigning {n - len(rows)} documents to the sample's topics", verbose=verbose):
        assigned = steps.assign(plan)
    topic_ids, uncounted = uncounted_topics(assigned.topics, assigned.core)
    with stage("topic words over all documents", verbose=verbose):
        totals = steps.totals(assigned, topic_ids, uncounted)
        centres = topic_centres(totals)
        candidates = steps.candidates(assigned, topic_ids, centres)
    state = sampled_state(
        plan=plan,
        assigned=assigned,
        topic_ids=topic_ids,
        totals=totals,
        centres=centres,
        candidates=candidates,
        vocabulary=vocabulary,
    )
    set_structure(state, found)
    state.neighbor_index = plan.index
    state.training_fingerprint, state.training_doc_term = steps.fingerprint()
    ctfidf = make_ctfidf(settings)
    finish(settings, state, ctfidf, vectorizer, embed)
    return state, FittedComponents(
        reducer=found.reducer, clusterer=found.clusterer, vectorizer=vectorizer, ctfidf=ctfidf
    )


def set_structure(state: TopicState, found: Structure) -> None:
    """Copy what the structure decided (labels given, zero-shot topics, its index) into ``state``."""
    state.labels_given = found.keep_ids
    state.topic_mapper = {int(t): int(t) for t in state.topic_ids}
    if found.index is not None:
        state.neighbor_index = found.index
    state.zeroshot_names = dict(found.zs_names)
    if found.zs_info is not None:
        state.zeroshot = found.zs_info
        state.zeroshot_embeddings = found.zs_emb


def finish(
    settings: FitSettings,
    state: TopicState,
    ctfidf: ClassTfidfTransformer,
    vectorizer: Any,
    embed: Embed | None,
) -> None:
    """Describe the counted topics (words, names), reducing them to ``nr_topics`` first when asked."""
    verbose = bool(settings.verbose)
    describer = make_describer(settings, ctfidf, vectorizer, embed)
    if settings.nr_topics is not None:
        # Exactly what fit() followed by reduce_topics(nr_topics) does: describe, then reduce.
        state.ctfidf = ctfidf_weights_of(
            ctfidf, state.class_term, state.vocabulary, state.topic_ids, state.term_doc_share, describer.seed_words
        )
        with stage("topic reduction", verbose=verbose):
            reduce_state(state, settings.nr_topics)
    with stage("topic representations", verbose=verbose):
        describer(state)


def fit_structure(
    settings: FitSettings,
    embeddings: np.ndarray,
    y: np.ndarray | None,
    embed: Embed | None,
    *,
    largest_label: int | None = None,
    sample_fraction: float = 1.0,
) -> Structure:
    """Zero-shot matching, reduction, clustering and the neighbour graph of ``embeddings``.

    On a sample (``sample_fraction`` of the documents): ``largest_label`` is the largest label of
    all documents (zero-shot topics are numbered after it when the labels are the topics).
    """
    verbose = bool(settings.verbose)
    n = len(embeddings)
    clusterer = make_clusterer(settings, sample_fraction)
    keep_ids = _keeps_label_ids(clusterer)

    doc_topics = np.full(n, -1, dtype=np.int64)
    zs_names: dict[int, str] = {}
    zs_info: ZeroShotInfo | None = None
    zs_emb = np.zeros((0, embeddings.shape[1]), dtype=np.float32)
    rest = np.ones(n, dtype=bool)
    if settings.zeroshot_topic_list:
        if embed is None:
            raise InputError("zeroshot_topic_list needs an embedding model to embed the topic names")
        with stage("zero-shot matching", verbose=verbose):
            zs = zeroshot_assign(
                embeddings, list(settings.zeroshot_topic_list), embed, settings.zeroshot_min_similarity, verbose=verbose
            )
        used = [i for i in range(len(settings.zeroshot_topic_list)) if (zs.assigned == i).any()]
        # Discovered topics are numbered after the zero-shot ones; given labels keep their ids,
        # so then the zero-shot topics come after the largest label.
        if largest_label is None and y is not None and len(y):
            largest_label = int(y.max())
        first_id = largest_label + 1 if keep_ids and largest_label is not None else 0
        for new_id, i in enumerate(used, start=first_id):
            doc_topics[zs.assigned == i] = new_id
            zs_names[new_id] = settings.zeroshot_topic_list[i]
        rest = zs.assigned < 0
        zs_emb = zs.name_embeddings
        zs_info = ZeroShotInfo(
            labels=list(settings.zeroshot_topic_list),
            topic_ids=[
                used.index(i) + first_id if i in used else None for i in range(len(settings.zeroshot_topic_list))
            ],
            min_similarity=float(settings.zeroshot_min_similarity),
            report=zs.report,
        )

    guide_y = None
    seeds = settings.seed_topic_list
    work_emb = embeddings
    if seeds:
        if embed is None:
            raise InputError("seed_topic_list needs an embedding model to embed the seed words")
        work_emb, guide_y = guide(embeddings, seeds, embed)

    n_rest = int(rest.sum())
    # Sized on the documents it will see (zero-shot matching may leave few of them).
    reducer = (
        unfitted_copy(settings.umap_model)
        if settings.umap_model is not None
        else default_reducer(n_rest, settings.random_state, clusterer)
    )
    if n_rest >= max(settings.min_topic_size, 2):
        sub_y = None
        if y is not None:
            sub_y = y[rest]
        elif guide_y is not None:
            sub_y = guide_y[rest]
        with stage("dimensionality reduction", verbose=verbose):
            reduced = fit_reduce(reducer, work_emb[rest], sub_y)
        with stage("clustering", verbose=verbose):
            labels = fit_cluster(clusterer, reduced, y[rest] if (keep_ids and y is not None) else sub_y)
        if keep_ids:  # given labels (manual, supervised) are the topic ids, duplicates included
            doc_topics[rest] = np.where(labels >= 0, labels, -1)
        else:
            labels = harmonise_duplicates(embeddings[rest], labels)
            doc_topics[rest] = order_by_size(labels, len(zs_names))
    elif n_rest:
        logger.info(
            "only %d documents left after zero-shot matching (< min_topic_size=%d): they stay outliers",
            n_rest,
            settings.min_topic_size,
        )
    else:
        logger.info("every document matched a zero-shot topic: no reduction or clustering step")

    with stage("nearest-neighbour graph", verbose=verbose):
        index, graph_idx, graph_sim = _graph(clusterer, rest, work_emb is embeddings, embeddings)
    return Structure(
        doc_topics=doc_topics,
        graph_idx=graph_idx,
        graph_sim=graph_sim,
        index=index,
        keep_ids=keep_ids,
        reducer=reducer,
        clusterer=clusterer,
        zs_names=zs_names,
        zs_info=zs_info,
        zs_emb=zs_emb,
    )


def _graph(
    clusterer: Any, rest: np.ndarray, plain: bool, embeddings: np.ndarray
) -> tuple[NeighborIndex | None, np.ndarray, np.ndarray]:
    """The documents' neighbour graph (k=15): the clusterer's when it searched these very vectors.

    Returns the neighbour index too when it was built on ``embeddings`` (it then serves
    ``transform`` without a second build).
    """
    index = getattr(clusterer, "index_", None)
    known = getattr(clusterer, "neighbors_", None)
    sims = getattr(clusterer, "similarities_", None)
    if (
        plain
        and rest.all()
        and isinstance(index, NeighborIndex)
        and known is not None
        and sims is not None
        and index.vectors.shape == embeddings.shape
        and np.array_equal(index.vectors, embeddings)
    ):
        return index, known, sims
    index = NeighborIndex(embeddings)
    idx, sim = index.graph(GRAPH_K)
    return index, idx, sim


def _analyzer(vectorizer: Any) -> Callable[[str], list[str]] | None:
    build = getattr(vectorizer, "build_analyzer", None)
    return build() if callable(build) else None
