"""c-TF-IDF and topic words as pure functions on tiny matrices."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from topicscope.vectorize import ClassTfidfTransformer, class_term_counts, ctfidf_weights, top_words


def test_class_term_counts_sums_documents_per_topic():
    doc_term = sp.csr_matrix(np.array([[1, 0, 2], [0, 1, 0], [3, 0, 0], [0, 0, 1]]))
    labels = np.array([0, 1, 0, -1])
    counts = class_term_counts(doc_term, labels, [-1, 0, 1]).toarray()
    np.testing.assert_array_equal(counts, [[0, 0, 1], [4, 0, 2], [0, 1, 0]])


def test_class_term_counts_ignores_unlisted_topics():
    doc_term = sp.csr_matrix(np.eye(3))
    counts = class_term_counts(doc_term, np.array([0, 1, 2]), [0, 2]).toarray()
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 0, 1]])


def test_ctfidf_matches_hand_computation():
    counts = np.array([[2.0, 2.0, 0.0], [0.0, 1.0, 3.0]])
    w = ctfidf_weights(sp.csr_matrix(counts)).toarray()
    avg = counts.sum() / 2  # 4
    idf = np.log1p(avg / counts.sum(axis=0))
    tf = counts / counts.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(w, tf * idf)
    # A word used by one topic only outranks a shared word of the same frequency.
    assert w[0, 0] > w[0, 1]


def test_bm25_and_reduce_frequent_words_change_weights_as_documented():
    counts = sp.csr_matrix(np.array([[9.0, 1.0, 0.0], [0.0, 1.0, 4.0]]))
    base = ctfidf_weights(counts).toarray()
    sqrt_tf = ctfidf_weights(counts, reduce_frequent_words=True).toarray()
    # Square-rooted tf shrinks the gap between a frequent and a rare word of the same topic.
    assert sqrt_tf[0, 0] / sqrt_tf[0, 1] < base[0, 0] / base[0, 1]
    bm25 = ctfidf_weights(counts, bm25_weighting=True).toarray()
    avg = 7.5
    f = np.array([9.0, 2.0, 4.0])
    idf = np.log1p(np.maximum((avg - f + 0.5) / (f + 0.5), 0))
    tf = counts.toarray() / counts.toarray().sum(axis=1, keepdims=True)
    np.testing.assert_allclose(bm25, tf * idf)


def test_word_multipliers_boost_seed_words():
    counts = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 1.0]]))
    model = ClassTfidfTransformer(seed_words=["b"], seed_multiplier=3.0)
    w = model.weights(counts, np.array(["a", "b"])).toarray()
    np.testing.assert_allclose(w[:, 1], 3 * w[:, 0])


def test_empty_topic_rows_give_zero_weights():
    counts = sp.csr_matrix(np.array([[0.0, 0.0], [1.0, 2.0]]))
    w = ctfidf_weights(counts).toarray()
    assert np.all(w[0] == 0) and np.all(np.isfinite(w))


def test_top_words_orders_by_weight_then_vocabulary():
    weights = sp.csr_matrix(np.array([[0.5, 0.9, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0]]))
    words = top_words(weights, np.array(["w", "x", "y", "z"]), 3)
    assert [w for w, _ in words[0]] == ["x", "w", "y"]
    assert words[1] == []


@pytest.mark.parametrize("n", [1, 2, 5])
def test_top_words_respects_n(n):
    weights = sp.csr_matrix(np.arange(1, 8, dtype=float)[None, :])
    assert len(top_words(weights, np.array(list("abcdefg")), n)[0]) == n


def test_exclusivity_weakens_shared_words_outside_their_main_topic():
    counts = sp.csr_matrix(np.array([[4.0, 1.0, 0.0], [1.0, 0.0, 4.0]]))
    plain = ctfidf_weights(counts).toarray()
    excl = ctfidf_weights(counts, exclusivity=1.0).toarray()
    # Word 0 weighs most in topic 0: kept there, weakened (by the weight ratio) in topic 1.
    assert excl[0, 0] == pytest.approx(plain[0, 0])
    assert excl[1, 0] == pytest.approx(plain[1, 0] * plain[1, 0] / plain[0, 0])
    np.testing.assert_allclose(excl[:, 1:], plain[:, 1:])
    assert ClassTfidfTransformer().exclusivity == 0.5
