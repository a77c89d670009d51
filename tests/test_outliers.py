"""reduce_outliers: each strategy on a UMAP + HDBSCAN model with outliers; the model is never changed."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from conftest import load_corpus
from topicscope import TopicModel
from topicscope.clustering import LabelsGiven, hdbscan_clusterer
from topicscope.exceptions import InputError
from topicscope.reduction import Identity, umap_reducer
from topicscope.verbs.outliers import reassign

STRATEGIES = ["c-tf-idf", "distributions", "probabilities", "embeddings"]


@pytest.fixture(scope="module")
def fitted():
    docs, _, emb = load_corpus("bbc_news")
    model = TopicModel(
        umap_model=umap_reducer(len(docs), 0),
        hdbscan_model=hdbscan_clusterer(15),
        calculate_probabilities=True,
        random_state=0,
    )
    topics, probs = model.fit_transform(docs, embeddings=emb)
    return model, docs, emb, topics, probs


def _snapshot(model):
    state = model.state_
    return (
        list(model.topics_),
        dict(model.topic_sizes_),
        state.ctfidf.toarray().copy(),
        state.topic_embeddings.copy(),
        dict(model.topic_labels_),
    )


def _reduce(model, docs, emb, topics, probs, strategy, **kwargs):
    extra = {"probabilities": probs} if strategy == "probabilities" else {}
    if strategy == "embeddings":
        extra["embeddings"] = emb
    return model.reduce_outliers(docs, topics, strategy=strategy, **extra, **kwargs)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_outliers_are_reassigned_and_the_model_is_unchanged(fitted, strategy):
    model, docs, emb, topics, probs = fitted
    before = _snapshot(model)
    outliers = np.asarray(topics) == -1
    assert outliers.sum() >= 50  # the HDBSCAN pipeline leaves outliers on bbc_news
    new = _reduce(model, docs, emb, topics, probs, strategy)
    assert isinstance(new, list) and len(new) == len(docs) and all(type(t) is int for t in new)
    new_arr = np.asarray(new)
    # Documents that had a topic keep it; outliers get a real topic of the model.
    np.testing.assert_array_equal(new_arr[~outliers], np.asarray(topics)[~outliers])
    ids = set(model.state_.topic_ids.tolist()) - {-1}
    assert set(new_arr[outliers].tolist()) <= ids | {-1}
    assert (new_arr[outliers] != -1).mean() >= 0.9, strategy  # threshold 0: nearly all reassigned
    after = _snapshot(model)
    assert before[0] == after[0] and before[1] == after[1] and before[4] == after[4]
    np.testing.assert_array_equal(before[2], after[2])
    np.testing.assert_array_equal(before[3], after[3])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_clear_document_goes_back_to_its_topic(fitted, strategy):
    """Documents at the heart of the largest topics, marked as outliers, return to their topic."""
    model, docs, emb, topics, probs = fitted
    state = model.state_
    topics_arr = np.asarray(topics)
    picked = []
    for topic in [0, 1, 2, 3]:
        members = np.flatnonzero(topics_arr == topic)
        sims = emb[members] @ state.topic_embeddings[state.row(topic)]
        picked.extend(members[np.argsort(-sims)[:3]].tolist())  # the 3 most central documents
    marked = topics_arr.copy()
    marked[picked] = -1
    new = np.asarray(_reduce(model, docs, emb, marked.tolist(), probs, strategy))
    np.testing.assert_array_equal(new[picked], topics_arr[picked])


def test_threshold_keeps_weak_matches_as_outliers(fitted):
    model, docs, _, topics, probs = fitted
    left = [
        int((np.asarray(model.reduce_outliers(docs, topics, strategy="c-tf-idf", threshold=t)) == -1).sum())
        for t in (0.0, 0.1, 0.3, 1.0)
    ]
    assert left == sorted(left) and left[0] < left[2] < left[3]
    assert left[3] == int((np.asarray(topics) == -1).sum())  # no cosine reaches 1: all stay outliers
    # probabilities: an outlier is reassigned only when its best probability reaches the threshold
    new = np.asarray(model.reduce_outliers(docs, topics, strategy="probabilities", probabilities=probs, threshold=0.5))
    rows = np.flatnonzero(np.asarray(topics) == -1)
    expected = np.where(probs[rows].max(axis=1) >= 0.5, -2, -1)
    assert ((new[rows] == -1) == (expected == -1)).all()
    # An outlier whose probabilities are all 0 stays an outlier (BERTopic gives it topic 0).
    new = np.asarray(model.reduce_outliers(docs, topics, strategy="probabilities", probabilities=probs))
    zero = rows[probs[rows].max(axis=1) == 0]
    assert len(zero) >= 1 and (new[zero] == -1).all() and (new[np.setdiff1d(rows, zero)] != -1).all()


def test_c_tf_idf_on_new_documents_counts_them(fitted):
    """Documents that are not the training set are counted over the fitted vocabulary: same result."""
    model, docs, _, topics, _ = fitted
    full = model.reduce_outliers(docs, topics, strategy="c-tf-idf")
    part = model.reduce_outliers(docs[:700], topics[:700], strategy="c-tf-idf")
    assert part == full[:700]


def test_distributions_params_are_passed_on(fitted):
    model, docs, _, topics, _ = fitted
    rows = np.flatnonzero(np.asarray(topics) == -1)
    params = {"window": 8, "stride": 2}
    new = np.asarray(model.reduce_outliers(docs, topics, distributions_params=params))
    dist, _ = model.approximate_distribution([docs[i] for i in rows], min_similarity=0, **params)
    ids = model.state_.topic_ids[model.state_.topic_ids != -1]
    expected = np.where(dist.sum(axis=1) > 0, ids[dist.argmax(axis=1)], -1)
    np.testing.assert_array_equal(new[rows], expected)
    with pytest.raises(InputError, match="wndow"):
        model.reduce_outliers(docs, topics, distributions_params={"wndow": 3})
    with pytest.raises(InputError, match="threshold"):
        model.reduce_outliers(docs, topics, distributions_params={"min_similarity": 0.2})


def test_topics_without_outliers_come_back_unchanged_with_a_note(fitted, caplog):
    model, docs, _, topics, _ = fitted
    clean = [t if t != -1 else 0 for t in topics]
    with caplog.at_level(logging.INFO, logger="topicscope"):
        new = model.reduce_outliers(docs, clean, strategy="c-tf-idf")
    assert new == clean
    assert "no outliers" in caplog.text


def test_topic_ids_are_mapped_from_columns():
    """Topics whose ids are not 0..k-1: the best column's topic id is returned (BERTopic returns the column)."""
    docs, labels, emb = load_corpus("bbc_news")
    sections = sorted(set(labels))
    y = np.array([10 * (sections.index(lab) + 1) for lab in labels])
    y[::9] = -1
    model = TopicModel(umap_model=Identity(), hdbscan_model=LabelsGiven(), random_state=0).fit(
        docs, embeddings=emb, y=y
    )
    assert model.state_.topic_ids.tolist() == [-1, 10, 20, 30, 40, 50]
    for strategy, kwargs in (("c-tf-idf", {}), ("embeddings", {"embeddings": emb}), ("distributions", {})):
        new = np.asarray(model.reduce_outliers(docs, y.tolist(), strategy=strategy, **kwargs))
        assert set(new[::9].tolist()) <= {-1, 10, 20, 30, 40, 50}
        truth = np.array([10 * (sections.index(lab) + 1) for lab in labels])[::9]
        assert (new[::9] == truth).mean() >= 0.85, strategy


def test_reassign_keeps_zero_rows_as_outliers():
    topics = np.array([-1, 3, -1, -1])
    scores = np.array([[0.0, 0.0], [0.2, 0.7], [0.05, 0.05]])
    new = reassign(topics, np.array([0, 2, 3]), scores, np.array([5, 9]), threshold=0.0)
    assert new.tolist() == [-1, 3, 9, 5]  # ties go to the smaller topic id
    assert reassign(topics, np.array([0, 2, 3]), scores, np.array([5, 9]), threshold=0.5).tolist() == [-1, 3, 9, -1]


def test_bad_input_gets_a_clear_error(fitted):
    model, docs, emb, topics, probs = fitted
    with pytest.raises(InputError, match=r"strategy must be one of \['distributions', 'probabilities', 'c-tf-idf'"):
        model.reduce_outliers(docs, topics, strategy="nearest")
    with pytest.raises(InputError, match="needs probabilities"):
        model.reduce_outliers(docs, topics, strategy="probabilities")
    k = probs.shape[1]
    with pytest.raises(InputError, match=rf"probabilities must have shape \(2225, {k}\).*got shape \(2225, {k - 1}\)"):
        model.reduce_outliers(docs, topics, strategy="probabilities", probabilities=probs[:, 1:])
    with pytest.raises(InputError, match=r"got shape \(2225,\) \(fit with calculate_probabilities=True"):
        model.reduce_outliers(docs, topics, strategy="probabilities", probabilities=probs.max(axis=1))
    with pytest.raises(InputError, match=r"topics must have one label per document: expected 2225"):
        model.reduce_outliers(docs, topics[:10], strategy="c-tf-idf")
    with pytest.raises(InputError, match=r"embeddings must have one row per document: expected 2225 rows, got 5"):
        model.reduce_outliers(docs, topics, strategy="embeddings", embeddings=emb[:5])
    with pytest.raises(InputError, match="embeddings must have 384 columns"):
        model.reduce_outliers(docs, topics, strategy="embeddings", embeddings=emb[:, :10])
    with pytest.raises(InputError, match="threshold"):
        model.reduce_outliers(docs, topics, strategy="c-tf-idf", threshold="high")
    with pytest.raises(InputError, match="images"):
        model.reduce_outliers(docs, topics, images=["a.png"])
    with pytest.raises(InputError, match="topics must hold integers"):
        model.reduce_outliers(docs, [0.5] * len(docs))


@pytest.mark.slow
def test_embeddings_strategy_uses_the_embedding_model(fitted):
    """Without embeddings the packaged model embeds the outlier documents (a tiny sample)."""
    model, docs, emb, topics, _ = fitted
    rows = np.flatnonzero(np.asarray(topics) == -1)[:6]
    sample_docs = [docs[i] for i in rows]
    marked = [-1] * len(rows)
    with_model = model.reduce_outliers(sample_docs, marked, strategy="embeddings")
    with_given = model.reduce_outliers(sample_docs, marked, strategy="embeddings", embeddings=emb[rows])
    assert with_model == with_given and -1 not in with_model
