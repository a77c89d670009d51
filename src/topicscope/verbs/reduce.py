"""Topic reduction (BERTopic's ``reduce_topics``): merge the most similar topics until ``nr_topics`` remain.

The similarity of two topics is the mean of two cosines: of their c-TF-IDF rows and of their
embeddings (``topic_similarity``). Groups are planned by average linkage (UPGMA,
``plan_reduction``): the most similar pair of groups merges first, and the similarity of a merged
group to any other is the size-weighted mean of its two parts' similarities, that is the mean
similarity over their member topics. Similarities are computed once, before planning, and never
from merged counts. Ties go to the pair of lowest row positions (topic order). With "auto", merging
stops once no two groups reach ``AUTO_MIN_SIMILARITY``. The outlier topic never merges, and two
zero-shot topics never merge with each other (a discovered topic may merge into a zero-shot topic,
which keeps the user's label).

Once planned, each group's counts, sizes and embeddings add up (``_topics.merge_topic_groups``) and
every topic is described again. The verb returns the new state (``verbs.edit.Edited``) for the model
to assign; ``probabilities_`` is cleared and an online stream ends (its totals are keyed by the old
topics).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._topics import Describer, merge_topic_groups
from .._validation import check_int
from ..state import TopicState, copy_state
from .edit import Edited, refuse_images
from .online import end_stream

if TYPE_CHECKING:
    from .view import ModelView

AUTO_MIN_SIMILARITY = 0.5


def reduce_topics(view: ModelView, docs: Any = None, nr_topics: int | str = 20, images: Any = None) -> Edited:
    """BERTopic's ``reduce_topics``: ``docs`` are checked when given (not needed); ``reduce_topics(10)``
    (the number alone, or "auto") works too."""
    refuse_images(images)
    if isinstance(docs, (int, np.integer, str)) and not isinstance(docs, bool):
        docs, nr_topics = None, docs  # reduce_topics(10) / reduce_topics("auto")
    state = view.state()
    if docs is not None:
        view.training_docs(docs)
    new, _ = reduced_state(state, nr_topics, view.describer())
    return Edited(new, end_stream(view.stages), None)


def topic_similarity(state: TopicState, ids: list[int]) -> np.ndarray:
    """Mean of two cosine similarities: of the topics' c-TF-IDF rows and of their embeddings.

    Words alone merge topics that share vocabulary but not meaning; embeddings alone blur
    topics with a close theme (docs/defaults.md has the measurement behind the mix).
    """
    emb = state.topic_embeddings[[state.row(t) for t in ids]]
    rows = sp.csr_matrix(state.ctfidf[[state.row(t) for t in ids]], dtype=np.float64)
    if rows.nnz == 0:
        rows = sp.csr_matrix(state.class_term[[state.row(t) for t in ids]], dtype=np.float64)
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    rows = sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ rows
    return ((rows @ rows.T).toarray() + emb @ emb.T) / 2


def plan_reduction(state: TopicState, nr_topics: int | str, similarity: np.ndarray | None = None) -> list[list[int]]:
    """Groups of topic ids to merge so that ``nr_topics`` topics remain, -1 included as in BERTopic.

    Average linkage (UPGMA): the similarity of two groups is the mean similarity of their
    member topics, so one broad merged topic does not swallow the others.
    """
    ids = [int(t) for t in state.topic_ids if t != -1]
    if len(ids) < 2:
        return []
    sims = topic_similarity(state, ids) if similarity is None else np.array(similarity, dtype=np.float64)
    protected = np.array([t in state.zeroshot_names for t in ids])
    np.fill_diagonal(sims, -np.inf)
    sims[np.ix_(protected, protected)] = -np.inf
    groups: list[list[int]] = [[t] for t in ids]
    weight = np.ones(len(ids))
    alive = np.ones(len(ids), dtype=bool)
    # As in BERTopic, nr_topics counts the outlier topic -1 when the model has one (it never merges).
    has_outliers = bool((state.topic_ids == -1).any())
    target = max(1, int(nr_topics) - int(has_outliers)) if nr_topics != "auto" else 1
    while alive.sum() > target:
        i, j = divmod(int(np.argmax(sims)), len(ids))
        best = sims[i, j]
        if not np.isfinite(best) or (nr_topics == "auto" and best < AUTO_MIN_SIMILARITY):
            break
        i, j = min(i, j), max(i, j)
        row = (weight[i] * sims[i] + weight[j] * sims[j]) / (weight[i] + weight[j])
        groups[i].extend(groups[j])
        groups[j] = []
        weight[i] += weight[j]
        alive[j] = False
        protected[i] = protected[i] or protected[j]
        row[~alive] = -np.inf
        row[i] = -np.inf
        if protected[i]:
            row[protected] = -np.inf
        sims[i, :] = row
        sims[:, i] = row
        sims[j, :] = -np.inf
        sims[:, j] = -np.inf
    return [g for g in groups if len(g) > 1]


def reduce_state(state: TopicState, nr_topics: int | str) -> dict[int, int]:
    """Merge topics of ``state`` (words not yet recomputed); returns the old -> new id mapping."""
    mapping = merge_topic_groups(state, plan_reduction(state, nr_topics))
    if state.zeroshot is not None:
        state.zeroshot.topic_ids = [None if t is None else mapping[t] for t in state.zeroshot.topic_ids]
    if state.merge_mappings is not None:  # a merged model: its source-id maps follow the reduction
        state.merge_mappings = [{src: mapping[dst] for src, dst in m.items()} for m in state.merge_mappings]
    return mapping


def reduced_state(state: TopicState, nr_topics: int | str, describer: Describer) -> tuple[TopicState, dict[int, int]]:
    """A new state with the topics of ``state`` merged down to ``nr_topics`` and re-described.

    Returns (new state, old id -> new id). ``state`` itself is left as it was.
    """
    if nr_topics != "auto":
        check_int(nr_topics, "nr_topics (or 'auto')", minimum=1)
    new = copy_state(state)
    mapping = reduce_state(new, nr_topics)
    describer(new)
    return new, mapping
