"""Topic reduction: merge the most similar topics until ``nr_topics`` remain (or "auto").

Similarity is the cosine of the topics' c-TF-IDF rows. The pair with the highest similarity is
merged first; the merged topic's row is recomputed from its summed counts (centroid linkage),
so the result does not depend on the order of the topic ids. The outlier topic never merges,
and two zero-shot topics never merge with each other (a discovered topic may merge into a
zero-shot topic, which keeps the user's label).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..state import TopicState, copy_state
from ..topics import Describer, merge_topic_groups

AUTO_MIN_SIMILARITY = 0.5


def topic_similarity(state: TopicState, ids: list[int]) -> np.ndarray:
    """Mean of two cosine similarities: of the topics' c-TF-IDF rows and of their embeddings.

    Words alone merge topics that share vocabulary but not meaning; embeddings alone blur
    topics with a close theme. Measured on octis_bbc (2026-11-28), the mix kept the best NMI
    across nr_topics 5/10/20 of the three choices.
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


def reduce_topics(state: TopicState, nr_topics: int | str, describer: Describer) -> tuple[TopicState, dict[int, int]]:
    """A new state with the topics of ``state`` merged down to ``nr_topics`` and re-described.

    Returns (new state, old id -> new id). ``state`` itself is left as it was.
    """
    from .._validation import check_int

    if nr_topics != "auto":
        check_int(nr_topics, "nr_topics (or 'auto')", minimum=1)
    new = copy_state(state)
    mapping = reduce_state(new, nr_topics)
    describer(new)
    return new, mapping
