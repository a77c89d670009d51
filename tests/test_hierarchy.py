"""hierarchical_topics and get_topic_tree: BERTopic's table and tree, robust to tied distances."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.cluster import hierarchy as sch

from conftest import load_corpus
from topicscope import TopicModel
from topicscope.exceptions import InputError
from topicscope.vectorize import top_words

COLUMNS = ["Parent_ID", "Parent_Name", "Topics", "Child_Left_ID", "Child_Left_Name", "Child_Right_ID",
           "Child_Right_Name", "Distance"]  # fmt: skip


@pytest.fixture(scope="module")
def fitted():
    docs, _, emb = load_corpus("bbc_news")
    return TopicModel(random_state=0).fit(docs, embeddings=emb), docs


def _check_structure(hier, topic_ids):
    n = len(topic_ids)
    assert list(hier.columns) == COLUMNS and len(hier) == n - 1
    for col in ("Parent_ID", "Child_Left_ID", "Child_Right_ID"):
        assert all(isinstance(v, str) for v in hier[col])
    assert hier.Distance.dtype == np.float64
    assert hier.Parent_ID.astype(int).is_monotonic_decreasing
    topics_of = {str(t): [t] for t in topic_ids}
    for row in hier.iloc[::-1].itertuples():  # children before parents
        union = sorted(topics_of[row.Child_Left_ID] + topics_of[row.Child_Right_ID])
        assert row.Topics == union, (row.Parent_ID, row.Topics, union)
        topics_of[row.Parent_ID] = union
    assert hier.iloc[0].Topics == sorted(topic_ids)


def test_table_matches_bertopic_and_parents_are_unions(fitted):
    model, docs = fitted
    hier = model.hierarchical_topics(docs)
    ids = [t for t in model.topic_labels_ if t != -1]
    _check_structure(hier, ids)
    # Leaves are named by their words; parents ids follow the largest topic id (BERTopic: n + step).
    leaf = hier[hier.Child_Left_ID.isin([str(t) for t in ids])].iloc[0]
    assert leaf.Child_Left_Name == "_".join(w for w, _ in model.get_topic(int(leaf.Child_Left_ID))[:5])
    assert sorted(hier.Parent_ID.astype(int)) == list(range(max(ids) + 1, max(ids) + len(ids)))


def test_parent_names_come_from_summed_class_term_counts(fitted):
    model, docs = fitted
    hier = model.hierarchical_topics(docs)
    state = model.state_
    from topicscope.vectorize import ClassTfidfTransformer

    # Fitted as the topics' words were: the filler rule's shares, the outlier row not a topic.
    weigher = ClassTfidfTransformer().fit(
        state.class_term, doc_share=state.term_doc_share, counted_rows=np.flatnonzero(state.topic_ids != -1)
    )
    assert not any("said" in name.split("_") for name in hier.Parent_Name)  # bbc_news' filler word
    for row in hier.itertuples():
        rows = [state.row(t) for t in row.Topics]
        summed = sp.csr_matrix(state.class_term[rows].sum(axis=0))
        words = [w for w, _ in top_words(weigher.transform(summed), state.vocabulary, 5)[0]]
        assert row.Parent_Name == "_".join(words)


def test_tied_distances_do_not_break_the_tree(fitted):
    """BERTopic #1907: equal merge distances made fcluster put wrong topics under a parent."""
    model, docs = fitted
    n = len([t for t in model.topic_labels_ if t != -1])
    tied = model.hierarchical_topics(
        docs,
        distance_function=lambda x: np.ones((n, n)) - np.eye(n),
        linkage_function=lambda d: sch.linkage(d, "single"),
    )
    assert tied.Distance.nunique() == 1  # every merge at the same distance
    _check_structure(tied, [t for t in model.topic_labels_ if t != -1])
    average = model.hierarchical_topics(docs, linkage_function=lambda d: sch.linkage(d, "average"))
    _check_structure(average, [t for t in model.topic_labels_ if t != -1])


def test_topic_tree_layout(fitted):
    model, docs = fitted
    hier = model.hierarchical_topics(docs)
    tree = TopicModel.get_topic_tree(hier)
    lines = tree.splitlines()
    ids = [t for t in model.topic_labels_ if t != -1]
    assert lines[0] == "." and len(lines) == 1 + 2 * len(ids) - 2  # every node but the root
    for t in ids:
        name = "_".join(w for w, _ in model.get_topic(t)[:5])
        assert sum(line.endswith(f"■──{name} ── Topic: {t}") for line in lines) == 1
    assert lines[1].startswith(("├─", "└─")) and lines[-1].lstrip(" │").startswith("└─")
    assert max(map(len, model.get_topic_tree(hier, tight_layout=True).splitlines())) < max(map(len, lines))
    cut = model.get_topic_tree(hier, max_distance=float(hier.Distance.min()))
    assert "O " in cut  # original topics merged at or above max_distance are hidden


def test_outliers_are_left_out_and_bad_input_is_named():
    from sklearn.decomposition import PCA

    from topicscope.clustering import hdbscan_clusterer

    docs, _, emb = load_corpus("bbc_news")
    model = TopicModel(hdbscan_model=hdbscan_clusterer(15), umap_model=PCA(5, random_state=0)).fit(docs, emb)
    assert -1 in model.topic_labels_
    hier = model.hierarchical_topics(docs, use_ctfidf=False)
    _check_structure(hier, [t for t in model.topic_labels_ if t != -1])
    with pytest.raises(InputError, match="docs must be the"):
        model.hierarchical_topics(docs[:10])
    with pytest.raises(InputError, match="distance_function"):
        model.hierarchical_topics(docs, distance_function=lambda x: np.ones(3))
    with pytest.raises(InputError, match="hier_topics"):
        TopicModel.get_topic_tree(hier.drop(columns="Distance"))
    one = TopicModel(nr_topics=1, random_state=0).fit(docs, emb)
    with pytest.raises(InputError, match="at least 2 topics"):
        one.hierarchical_topics(docs)
