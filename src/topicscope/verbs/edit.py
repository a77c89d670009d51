"""Editing topics by hand: BERTopic's ``update_topics``, ``merge_topics`` and ``delete_topics``.

Each verb checks its arguments, computes a new state from the model's (read through
``verbs.view.ModelView``) and returns it as an ``Edited`` for the model to assign in one step, so a
verb that raises leaves the model as it was. Probabilities follow the new topics
(``follow_probabilities``) and an online stream ends when the topics or their counts changed
(``end_stream``: partial_fit's running totals are keyed by the old topics).

* ``update_topics`` re-describes the topics with the components it is given (the model's own unless
  new ones are passed: BERTopic silently resets them, #1638, #1442, #2148). With new document
  topics it rebuilds everything that depends on them: sizes, term counts, topic embeddings (means
  of the training embeddings), representative documents, the neighbour index's topics and each
  document's neighbour topics (``updated_state``).
* ``merge_topics`` merges groups of topics; only the merged topics get new c-TF-IDF rows and words,
  computed with the c-TF-IDF fitted on the topics before the merge, so the words of every other
  topic stay exactly as they were (BERTopic re-describes all topics: #1289; ``merged_state``).
* ``delete_topics`` sends the documents of some topics to the outlier topic -1 (created when the
  model has none); nothing else is re-described, as in BERTopic (``deleted_state``).

Topic ids follow BERTopic: after a merge or a deletion, topics are renumbered by size (-1 stays,
zero-shot topics first), except for models whose topics are the labels given to fit, which keep
their ids (see ``_topics.merge_topic_groups``). A topic renumbered keeps its words; a default name
("3_word_word") takes the new id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._components import FittedComponents
from .._neighbors import (
    index_vectors,
    neighbor_shares,
    normalise_rows,
    report_probabilities,
    training_neighbors,
)
from .._topics import (
    N_REPRESENTATIVE,
    Describer,
    agreeing,
    central_documents,
    combine_topics,
    core_documents,
    core_of,
    default_name,
    fit_on_state,
    merge_topic_groups,
    pool_topics,
    relabel_documents,
    remap_topics,
    state_evidence,
    term_doc_share,
    topic_means,
)
from .._validation import check_int, check_labels, check_n_gram_range
from ..exceptions import InputError
from ..state import TopicState, Words, copy_state
from ..vectorize import ClassTfidfTransformer, class_term_counts
from .online import end_stream

if TYPE_CHECKING:
    from .view import ModelView

NO_IMAGES = "images are not supported by topicscope; got images= (pass images=None)"


def refuse_images(images: Any) -> None:
    """BERTopic's ``images=`` argument: accepted in the signatures, refused when given."""
    if images is not None:
        raise InputError(NO_IMAGES)


# ---------------------------------------------------------------------------------------------- shared
@dataclass(frozen=True)
class Edited:
    """What a verb that changes the topics gives the model to assign, in one step.

    ``stages``: the model's fitted components after the verb (None: the model has none to keep).
    """

    state: TopicState
    stages: FittedComponents | None
    probabilities: np.ndarray | None


def edited(
    view: ModelView, state: TopicState, stages: FittedComponents | None = None, *, ends_stream: bool = True
) -> Edited:
    """The edit to assign: ``state``, ``stages`` (default: the model's), probabilities following the new topics."""
    current = stages if stages is not None else view.stages
    if ends_stream:
        current = end_stream(current)
    return Edited(state, current, follow_probabilities(view.probabilities, state))


def follow_probabilities(probabilities: np.ndarray | None, state: TopicState) -> np.ndarray | None:
    """The model's ``probabilities_`` after its topics changed: the same report, over the new topics.

    Probabilities are each document's share of neighbour weight per topic (``pipeline.assign``); the
    neighbours' topics were relabelled, so a merged topic's share is the sum of its parts' shares and
    a deleted topic's share moves to -1 (which has no column), as BERTopic's ``_map_probabilities``.
    """
    if probabilities is None:
        return None
    shares = neighbor_shares(state.neighbor_topics, state.neighbor_weights, state.topic_ids)
    return report_probabilities(state.topic_ids, shares, state.doc_topics, full=np.ndim(probabilities) == 2)


def _moved_name(name: str, words: Words, old: int, new: int) -> str:
    """A topic's name under its new id: a default name takes the new id; a label (LLM, zero-shot) stays."""
    return default_name(new, words) if name == default_name(old, words) else name


def _follow_ids(state: TopicState, mapping: dict[int, int]) -> None:
    """Zero-shot topic ids and ``merge_models`` maps follow ``mapping`` (a deleted zero-shot topic: None)."""
    if state.zeroshot is not None:
        targets = [None if t is None else mapping.get(t, t) for t in state.zeroshot.topic_ids]
        state.zeroshot.topic_ids = [None if t == -1 else t for t in targets]
    if state.merge_mappings is not None:
        state.merge_mappings = [{src: mapping.get(dst, dst) for src, dst in m.items()} for m in state.merge_mappings]
    state.topic_mapper = {t: mapping.get(m, m) for t, m in state.topic_mapper.items()}


def _ids(values: Any, name: str) -> list[int]:
    """Topic ids given by a user (python or numpy integers, no bools)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InputError(f"{name} must be a list of topic ids; got {type(values).__name__}")
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise InputError(f"{name} must hold integer topic ids; got {v!r}")
        out.append(int(v))
    return out


def _check_known(ids: list[int], state: TopicState, name: str) -> None:
    known = {int(t) for t in state.topic_ids}
    unknown = sorted({t for t in ids if t not in known})
    if unknown:
        raise InputError(f"{name} names topics the model does not have: {unknown}; its topics are {sorted(known)}")
    if -1 in ids:
        raise InputError(
            f"{name} must not contain -1: the outlier topic is not a topic (merge_topics cannot merge it, "
            "delete_topics sends documents to it; reduce_outliers assigns outliers to topics)"
        )


# ------------------------------------------------------------------------------------------------ merge
def merge_topics(view: ModelView, docs: Sequence[str] | None, topics_to_merge: Any, images: Any = None) -> Edited:
    """BERTopic's ``merge_topics``: ``docs`` are checked when given (not needed); see ``merged_state``."""
    refuse_images(images)
    state = view.state()
    if docs is not None:
        view.training_docs(docs)
    groups = check_merge_groups(topics_to_merge, state)
    new, _ = merged_state(state, groups, view.describer())
    return edited(view, new)


class FittedWeights(ClassTfidfTransformer):
    """A c-TF-IDF fitted on a model's topics, whose ``weights`` applies that fit to any count rows.

    ``describe_topics`` calls ``weights(class_term, ...)``; given a merged topic's summed counts
    this returns the row it would have had among the topics the idf was fitted on.
    """

    def weights(
        self, class_term: sp.spmatrix, vocabulary: Any = None, extra_seed_words: Any = (), **_: Any
    ) -> sp.csr_matrix:
        return self.transform(class_term)


def fitted_weights(ctfidf: ClassTfidfTransformer, describer: Describer, state: TopicState) -> FittedWeights:
    """``ctfidf``'s settings fitted on ``state``'s class-term counts (seed words of both kinds kept)."""
    params = ctfidf.get_params()
    seeds = sorted(set(params.get("seed_words") or ()) | set(describer.seed_words or ()))
    params["seed_words"] = seeds or None
    return fit_on_state(FittedWeights(**params), state)


def check_merge_groups(topics_to_merge: Any, state: TopicState) -> list[list[int]]:
    """``topics_to_merge`` (one list of ids, or a list of lists) as checked groups of distinct known ids."""
    if isinstance(topics_to_merge, (str, bytes)) or not isinstance(topics_to_merge, Iterable):
        raise InputError(
            "topics_to_merge must be a list of topic ids or a list of lists of them; "
            f"got {type(topics_to_merge).__name__}"
        )
    items = list(topics_to_merge)
    if not items:
        raise InputError("topics_to_merge must name at least two topics; got an empty list")
    flat = [isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in items]
    if all(flat):
        groups = [_ids(items, "topics_to_merge")]
    elif not any(flat):
        groups = [_ids(g, "topics_to_merge (each group)") for g in items]
    else:
        raise InputError(f"topics_to_merge must be a list of topic ids or a list of lists, not a mix; got {items!r}")
    _check_known([t for g in groups for t in g], state, "topics_to_merge")
    seen: set[int] = set()
    out = []
    for group in groups:
        distinct = list(dict.fromkeys(group))
        if len(distinct) < 2:
            raise InputError(f"topics_to_merge: each group must name at least 2 distinct topics; got {group}")
        twice = sorted(seen.intersection(distinct))
        if twice:
            raise InputError(f"topics_to_merge: topics {twice} appear in more than one group")
        seen.update(distinct)
        out.append(distinct)
    return out


def _describe_some(state: TopicState, ids: list[int], describer: Describer) -> TopicState:
    """A state of only the topics ``ids`` of ``state``, described by ``describer``."""
    rows = [state.row(t) for t in ids]
    sub = TopicState(
        topic_ids=np.asarray(ids, dtype=np.int64),
        sizes=state.sizes[rows],
        vocabulary=state.vocabulary,
        class_term=sp.csr_matrix(state.class_term[rows]),
        ctfidf=sp.csr_matrix((len(ids), len(state.vocabulary))),
        topic_embeddings=state.topic_embeddings[rows],
        words={},
        names={},
        representative_docs={t: state.representative_docs.get(t, []) for t in ids},
        zeroshot_names={t: state.zeroshot_names[t] for t in ids if t in state.zeroshot_names},
        candidate_docs={t: state.candidate_docs[t] for t in ids if t in state.candidate_docs},
        candidate_embeddings={t: state.candidate_embeddings[t] for t in ids if t in state.candidate_embeddings},
    )
    describer(sub)
    return sub


def merged_state(state: TopicState, groups: list[list[int]], describer: Describer) -> tuple[TopicState, dict[int, int]]:
    """A new state with each group of ``groups`` merged into one topic. Returns (state, old id -> new id).

    Counts, sizes and embeddings add up (``_topics.merge_topic_groups``). A merged topic's c-TF-IDF
    row is its summed counts weighted with the c-TF-IDF fitted on the topics before the merge, and
    only merged topics are described again: every other topic keeps its row, words, aspects and
    representative documents.
    """
    weigher = fitted_weights(describer.ctfidf, describer, state)
    new = copy_state(state)
    mapping = merge_topic_groups(new, groups)
    if new.zeroshot is not None:
        new.zeroshot.topic_ids = [None if t is None else mapping[t] for t in new.zeroshot.topic_ids]
    if new.merge_mappings is not None:
        new.merge_mappings = [{src: mapping[dst] for src, dst in m.items()} for m in new.merge_mappings]
    sources: dict[int, list[int]] = {}
    for old, target in mapping.items():
        sources.setdefault(target, []).append(old)
    ids = [int(t) for t in new.topic_ids]
    merged = [t for t in ids if len(sources[t]) > 1]
    kept = {t: sources[t][0] for t in ids if len(sources[t]) == 1}
    sub = _describe_some(new, merged, dataclasses.replace(describer, ctfidf=weigher))

    n_old = len(state.topic_ids)
    stacked = sp.vstack([sp.csr_matrix(state.ctfidf), sp.csr_matrix(sub.ctfidf)]).tocsr()
    pick = [state.row(kept[t]) if t in kept else n_old + sub.row(t) for t in ids]
    new.ctfidf = sp.csr_matrix(stacked[pick])
    embeddings = np.array(new.topic_embeddings, dtype=np.float32)
    for row, t in enumerate(ids):
        if t in kept:  # exactly as before (the merge's mean of one topic can differ in the last bit)
            embeddings[row] = state.topic_embeddings[state.row(kept[t])]
    new.topic_embeddings = embeddings
    words: dict[int, Words] = {}
    names: dict[int, str] = {}
    for t in ids:
        if t in kept:
            old = kept[t]
            words[t] = list(state.words.get(old, []))
            names[t] = _moved_name(state.names[old], words[t], old, t)
            for attr in ("representative_docs", "candidate_docs", "candidate_embeddings"):
                value = getattr(state, attr).get(old)
                target = getattr(new, attr)
                if value is not None:
                    target[t] = value
                else:
                    target.pop(t, None)
        else:
            words[t], names[t] = sub.words[t], sub.names[t]
    new.words, new.names = words, names
    new.aspects = {
        aspect: {
            t: list(state.aspects.get(aspect, {}).get(kept[t], []))
            if t in kept
            else list(sub.aspects.get(aspect, {}).get(t, []))
            for t in ids
        }
        for aspect in list(state.aspects) + [a for a in sub.aspects if a not in state.aspects]
    }
    return new, mapping


# ----------------------------------------------------------------------------------------------- delete
def delete_topics(view: ModelView, topics_to_delete: Sequence[int]) -> Edited:
    """BERTopic's ``delete_topics``: see ``deleted_state``."""
    new, _ = deleted_state(view.state(), topics_to_delete)
    return edited(view, new)


def deleted_state(state: TopicState, topics_to_delete: Any) -> tuple[TopicState, dict[int, int]]:
    """A new state where the documents of ``topics_to_delete`` are outliers (-1). Returns (state, old -> new).

    The outlier topic is created when the model has none (its counts, size and embedding are those
    of the deleted topics; no words, as in BERTopic). The other topics keep their words, c-TF-IDF
    rows and embeddings; they are renumbered by size as in BERTopic (given labels keep their ids).
    """
    doomed = set(_ids(topics_to_delete, "topics_to_delete"))
    if not doomed:
        raise InputError("topics_to_delete must name at least one topic; got an empty list")
    _check_known(sorted(doomed), state, "topics_to_delete")
    old_ids = [int(t) for t in state.topic_ids]
    remaining = [t for t in old_ids if t != -1 and t not in doomed]
    if not remaining:
        raise InputError(
            f"topics_to_delete names every topic of the model ({sorted(doomed)}): at least one topic must remain"
        )
    if state.labels_given:
        new_of = {t: t for t in remaining}
    else:
        big = len(old_ids) + max(old_ids) + 1
        order = sorted(
            remaining, key=lambda t: (t if t in state.zeroshot_names else big, -int(state.sizes[state.row(t)]), t)
        )
        new_of = {t: i for i, t in enumerate(order)}
    mapping = {t: new_of.get(t, -1) for t in old_ids}
    new_ids = np.array(sorted(set(mapping.values())), dtype=np.int64)
    source = {n: t for t, n in new_of.items()}
    class_term, sizes, sums = combine_topics([state_evidence(state)], [mapping], new_ids, len(state.vocabulary))
    had_outliers = -1 in old_ids

    new = copy_state(state)
    new.topic_ids, new.sizes, new.class_term = new_ids, sizes, class_term
    embeddings = np.zeros((len(new_ids), state.topic_embeddings.shape[1]), dtype=np.float32)
    n_old = len(old_ids)
    stacked = sp.vstack([sp.csr_matrix(state.ctfidf), sp.csr_matrix((1, state.ctfidf.shape[1]))]).tocsr()
    pick = []
    for row, n in enumerate(new_ids):
        if n == -1:
            embeddings[row] = normalise_rows(sums[row : row + 1])[0]
            pick.append(state.row(-1) if had_outliers else n_old)
        else:
            embeddings[row] = state.topic_embeddings[state.row(source[int(n)])]
            pick.append(state.row(source[int(n)]))
    new.topic_embeddings = embeddings
    new.ctfidf = sp.csr_matrix(stacked[pick])
    back = {**source, -1: -1}  # new id -> the old topic it was (-1: the outliers, when there were any)

    def moved(values: dict[int, Any], empty: Any) -> dict[int, Any]:
        out = {}
        for n in map(int, new_ids):
            if n in source or had_outliers:
                if back[n] in values:
                    out[n] = values[back[n]]
            elif empty is not None:
                out[n] = empty
        return out

    new.words = moved(state.words, [])
    new.names = {n: _moved_name(state.names[back[n]], new.words[n], back[n], n) for n in source}
    new.names[-1] = state.names[-1] if had_outliers else default_name(-1, [])
    new.aspects = {aspect: moved(words, []) for aspect, words in state.aspects.items()}
    new.representative_docs = moved(state.representative_docs, [])
    new.candidate_docs = moved(state.candidate_docs, None)
    new.candidate_embeddings = moved(state.candidate_embeddings, None)
    new.zeroshot_names = {new_of[t]: v for t, v in state.zeroshot_names.items() if t in new_of}
    if state.custom_labels is not None:
        labels = {mapping[t]: v for t, v in state.custom_labels.items() if t not in doomed}
        labels.setdefault(-1, new.names[-1])
        new.custom_labels = labels
    _follow_ids(new, mapping)
    relabel_documents(new, mapping)
    return new, mapping


# ----------------------------------------------------------------------------------------------- update
def update_topics(
    view: ModelView,
    docs: Sequence[str],
    topics: Sequence[int] | None = None,
    top_n_words: int = 10,
    n_gram_range: tuple[int, int] | None = None,
    vectorizer_model: Any = None,
    ctfidf_model: Any = None,
    representation_model: Any = None,
    images: Any = None,
) -> Edited:
    """BERTopic's ``update_topics``: the model's topics described again (see ``updated_state``).

    The model's fitted vectorizer, c-TF-IDF and representation model are kept unless new ones are
    given; a new vectorizer (an unfitted copy) is fitted on ``docs`` and becomes the model's. An
    online stream ends unless only the words were described again (same topics, counts, weighting).
    """
    from .._topics import check_representation_model
    from ..vectorize import fit_doc_term, text_fingerprint

    refuse_images(images)
    state = view.state()
    documents = view.training_docs(docs)
    top_n_words = check_int(top_n_words, "top_n_words", minimum=1)
    check_representation_model(representation_model)
    new_topics = None if topics is None else check_labels(topics, len(documents), name="topics")
    old = view.stages
    vectorizer = new_vectorizer(vectorizer_model, n_gram_range)
    doc_term: Any = None
    vocabulary = None
    if vectorizer is not None:
        counts, vocabulary = fit_doc_term(vectorizer, documents)
        doc_term = partial(sp.csr_matrix, counts)
    else:
        vectorizer = getattr(old, "vectorizer", None)
        if new_topics is not None:
            doc_term = partial(view.doc_term, documents)  # counted only if a topic is split
    ctfidf = new_ctfidf(ctfidf_model) or view.ctfidf()
    stages = FittedComponents(
        reducer=getattr(old, "reducer", None),
        clusterer=getattr(old, "clusterer", None),
        vectorizer=vectorizer,
        ctfidf=ctfidf,
    )
    describer = dataclasses.replace(
        view.describer(stages),
        top_n_words=top_n_words,
        representation_model=representation_model if representation_model is not None else view.representation_model,
    )
    new, whole = updated_state(
        state, describer, documents=documents, topics=new_topics, doc_term=doc_term, vocabulary=vocabulary
    )
    if vocabulary is not None:  # fit's matrix is over the old vocabulary: keep the new one for the same texts
        same = bool(state.training_fingerprint) and text_fingerprint(documents) == state.training_fingerprint
        new.training_doc_term = doc_term() if same else None
    if not whole:  # a classifier predicts the old topics, which no longer map to one topic each
        stages = dataclasses.replace(stages, reducer=None, clusterer=None)
    if new_topics is not None or vocabulary is not None or ctfidf_model is not None or old is None:
        return edited(view, new, stages)
    return edited(view, new, old, ends_stream=False)  # same topics, counts and weighting: only new words


def new_vectorizer(vectorizer_model: Any, n_gram_range: Any) -> Any:
    """An unfitted copy of ``vectorizer_model``, else the default vectorizer with ``n_gram_range``, else None."""
    from .._components import vectorizer_of

    if vectorizer_model is not None:
        if not all(callable(getattr(vectorizer_model, m, None)) for m in ("fit_transform", "build_analyzer")):
            raise InputError(
                "vectorizer_model must be a scikit-learn style vectorizer (fit_transform, build_analyzer, "
                f"get_feature_names_out), e.g. CountVectorizer; got {type(vectorizer_model).__name__}"
            )
    elif n_gram_range is None:
        return None
    else:
        n_gram_range = check_n_gram_range(n_gram_range)
    return vectorizer_of(vectorizer_model, n_gram_range)


def new_ctfidf(ctfidf_model: Any) -> ClassTfidfTransformer | None:
    """An unfitted copy of ``ctfidf_model`` (checked), or None when none is given."""
    from .._components import unfitted_copy

    if ctfidf_model is None:
        return None
    if not callable(getattr(ctfidf_model, "weights", None)):
        raise InputError(
            "ctfidf_model must be a topicscope.vectorize.ClassTfidfTransformer (BERTopic's has the same "
            f"parameters: bm25_weighting, reduce_frequent_words); got {type(ctfidf_model).__name__}"
        )
    copied: ClassTfidfTransformer = unfitted_copy(ctfidf_model)
    return copied


def index_holds_training_documents(state: TopicState) -> bool:
    """Whether row i of the neighbour index is training document i (fit, merge_models of fitted models).

    A model built with ``partial_fit`` keeps a sample per topic, in another order; one fitted on a
    sample (``fit_sample_size``) keeps the sample's rows only.
    """
    return (
        state.online is None
        and len(state.index_topics) == len(state.doc_topics)
        and np.array_equal(state.index_topics, state.doc_topics)
    )


def majority_mapping(old: np.ndarray, new: np.ndarray) -> tuple[dict[int, int], bool]:
    """Each old topic -> the new topic most of its documents went to (ties: the smaller id).

    The second value is True when every old topic went whole to one new topic (a relabelling).
    """
    if not len(old):
        return {}, True
    pairs, counts = np.unique(np.stack([old, new], axis=1), axis=0, return_counts=True)
    order = np.lexsort((pairs[:, 1], -counts, pairs[:, 0]))
    forward: dict[int, int] = {}
    for i in order:
        forward.setdefault(int(pairs[i, 0]), int(pairs[i, 1]))
    return forward, len(forward) == len(pairs)


def _graph(state: TopicState) -> tuple[np.ndarray, np.ndarray]:
    """The training documents' nearest-neighbour graph, as fit builds it (the index holds them all)."""
    from .._neighbors import GRAPH_K

    idx, sim = state.neighbor_index.graph(GRAPH_K)
    return np.asarray(idx), np.asarray(sim)


def counted_documents(state: TopicState, graph: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """The documents whose words count for their topic, as at fit (see ``_topics.core_documents``).

    Given labels count all their documents. Discovered topics count their core documents, found
    with the neighbour graph (``graph``, as at fit) or, without one, with each document's kept
    neighbour topics (its nearest neighbours; fewer than fit's graph holds).
    """
    n = len(state.doc_topics)
    if state.labels_given:
        return np.ones(n, dtype=bool)
    if graph is not None:
        return core_documents(graph[0], state.doc_topics)
    neighbours = state.neighbor_topics[:, 1:] if state.neighbor_topics.ndim == 2 else np.zeros((n, 0))
    return core_of(agreeing(neighbours, state.doc_topics), state.doc_topics)


def _relabel(state: TopicState, topics: np.ndarray, documents: list[str]) -> tuple[bool, Any]:
    """Give the training documents of ``state`` the topics ``topics`` (in place; words not yet made).

    Returns (whether it was a relabelling of whole topics, the neighbour graph when one was built).
    """
    old_state = copy_state(state)
    forward, whole = majority_mapping(state.doc_topics, topics)
    aligned = index_holds_training_documents(state)
    if not whole and not aligned:
        raise InputError(
            "topics split some of the model's topics, which needs each training document's embedding; this "
            f"model keeps {len(state.index_topics)} of its {len(state.doc_topics)} (a partial_fit model, or one "
            "fitted on a sample of fit_sample_size documents, keeps only some): pass topics that map each current "
            "topic to one new topic, or refit with fit() (fit_sample_size=None to keep every embedding)"
        )
    ids = np.unique(topics).astype(np.int64)
    if not (ids != -1).any():
        raise InputError("topics must give at least one document a topic other than -1; got only -1")
    state.topic_ids = ids
    state.sizes = np.array([(topics == t).sum() for t in ids], dtype=np.int64)
    graph = None
    if aligned:
        vectors = index_vectors(state.index_embeddings)
        state.topic_embeddings = topic_means(vectors, topics, ids)
        state.candidate_docs, state.candidate_embeddings = central_documents(
            documents, vectors, topics, ids, state.topic_embeddings
        )
        state.representative_docs = {t: d[:N_REPRESENTATIVE] for t, d in state.candidate_docs.items()}
    if whole:  # whole topics relabelled: their counts (and, without every embedding, embeddings) add up
        class_term, _, sums = combine_topics([state_evidence(old_state)], [forward], ids, len(state.vocabulary))
        state.class_term = class_term
        if not aligned:
            state.topic_embeddings = normalise_rows(sums).astype(np.float32)
            _pool(state, old_state, forward)
    state.doc_topics = topics.astype(np.int64)
    if whole:
        state.index_topics = remap_topics(old_state.index_topics, forward)
        state.neighbor_topics = remap_topics(old_state.neighbor_topics, forward)
    else:
        graph = _graph(old_state)
        state.index_topics = state.doc_topics.copy()
        state.neighbor_topics, state.neighbor_weights = training_neighbors(state.doc_topics, *graph)
    zs_names: dict[int, str] = {}
    for t in sorted(old_state.zeroshot_names):
        zs_names.setdefault(forward[t], old_state.zeroshot_names[t])
    state.zeroshot_names = zs_names
    if old_state.custom_labels is not None:
        labels: dict[int, str] = {}
        for t in sorted(old_state.custom_labels):
            if t in forward:
                labels.setdefault(forward[t], old_state.custom_labels[t])
        state.custom_labels = labels
    _follow_ids(state, forward)
    return whole, graph


def _pool(state: TopicState, old: TopicState, forward: dict[int, int]) -> None:
    """Central documents of whole topics relabelled: their candidates pooled and re-ranked."""
    parts = [[t for t in map(int, old.topic_ids) if forward.get(t) == n] for n in map(int, state.topic_ids)]
    pooled = pool_topics(old, parts, state.topic_ids, state.topic_embeddings)
    state.candidate_docs, state.candidate_embeddings, state.representative_docs = pooled


def updated_state(
    state: TopicState,
    describer: Describer,
    *,
    documents: list[str],
    topics: np.ndarray | None = None,
    doc_term: Callable[[], sp.spmatrix] | None = None,
    vocabulary: np.ndarray | None = None,
) -> tuple[TopicState, bool]:
    """A new state re-described by ``describer``; with ``topics``, the documents' new topics.

    Per-topic counts are counted again, with the documents fit would count (``counted_documents``),
    when the vocabulary is new (``vocabulary``) or ``topics`` split a topic; ``doc_term`` returns the
    training documents' term counts (over ``vocabulary`` when given, else over the state's) and is
    called only then. Topics relabelled whole keep their counts, summed. Returns (new state, whether
    the topics changed only by relabelling whole topics).
    """
    new = copy_state(state)
    whole, graph = True, None
    if topics is not None:
        whole, graph = _relabel(new, np.asarray(topics, dtype=np.int64), documents)
    if vocabulary is not None or not whole:
        if doc_term is None:
            raise InputError("doc_term is needed to count a new vocabulary or new topics; got None")
        if vocabulary is not None:
            new.vocabulary = vocabulary
        doc_term_matrix = doc_term()
        if doc_term_matrix.shape != (len(new.doc_topics), len(new.vocabulary)):
            raise InputError(
                f"doc_term must be ({len(new.doc_topics)}, {len(new.vocabulary)}) (documents x vocabulary); "
                f"got {doc_term_matrix.shape}"
            )
        if vocabulary is not None:  # the filler rule's shares follow the new vocabulary
            new.term_doc_share = term_doc_share(doc_term_matrix)
        if graph is None and not new.labels_given and index_holds_training_documents(new):
            graph = _graph(new)
        counted = counted_documents(new, graph)
        new.class_term = class_term_counts(doc_term_matrix, np.where(counted, new.doc_topics, -2), new.topic_ids)
    describer(new)
    if new.custom_labels is not None:
        for t in map(int, new.topic_ids):
            new.custom_labels.setdefault(t, new.names[t])
    return new, whole
