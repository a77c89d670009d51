"""c-TF-IDF's filler-word rule: words that describe the corpus, not a topic, never lead a topic."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from topicscope import TopicModel
from topicscope.exceptions import InputError
from topicscope.vectorize import ClassTfidfTransformer
from topicscope.vectorize.ctfidf import demote_fillers, filler_terms


def test_filler_terms_follow_both_rules():
    # 4 topics x 12 terms: term 0 is in every topic's top 10, term 1 in exactly half of them (not
    # more than half), term 2 is rare in topics but in 40% of the documents.
    rng = np.random.default_rng(0)
    w = rng.uniform(0.1, 0.2, size=(4, 12))
    w[:, 10:] = 0.0  # 10 positive terms a row: all of them are in the top 10
    w[:, 0] = 0.5
    w[2:, 1] = 0.0
    weights = sp.csr_matrix(w)
    share = np.full(12, 0.05)
    share[2] = 0.4
    assert np.flatnonzero(filler_terms(weights, share)).tolist() == [0, 2, 3, 4, 5, 6, 7, 8, 9]
    # Terms 3-9 are in the top 10 of all four rows here; a row with more words drops them out.
    w2 = np.zeros((4, 40))
    for i in range(4):
        w2[i, 0] = 0.9  # term 0 everywhere
        w2[i, 10 * i + 1 : 10 * i + 10] = 1.0  # nine words of its own
    assert np.flatnonzero(filler_terms(sp.csr_matrix(w2))).tolist() == [0]
    assert np.flatnonzero(filler_terms(sp.csr_matrix(w2), counted_rows=np.array([0, 1]))).tolist() == []
    # Fewer than three topics: a topic's own words are "in more than half" of them, so only shares count.
    assert not filler_terms(sp.csr_matrix(w2[:2])).any()
    with pytest.raises(InputError, match=r"doc_share must hold one share in \[0, 1\] per term \(12 terms\)"):
        filler_terms(weights, share[:5])
    with pytest.raises(InputError, match="counted_rows must be a 1-D array of row indices; got bool"):
        filler_terms(weights, counted_rows=np.ones(4, dtype=bool))
    with pytest.raises(InputError, match=r"counted_rows must be distinct row indices in \[0, 4\); got \[0, 4\]"):
        filler_terms(weights, counted_rows=np.array([0, 4]))


def test_the_document_rule_alone_marks_a_word_no_topic_ranks_high():
    # 4 topics, each with 12 words of its own; term 48 has a small weight everywhere (never in a
    # top 10), but it is in 35% of the documents.
    w = np.zeros((4, 49))
    for i in range(4):
        w[i, 12 * i : 12 * i + 12] = np.linspace(1.0, 0.5, 12)
    w[:, 48] = 0.01
    share = np.full(49, 0.02)
    assert not filler_terms(sp.csr_matrix(w), share).any()
    share[48] = 0.35
    assert np.flatnonzero(filler_terms(sp.csr_matrix(w), share)).tolist() == [48]


def test_demote_fillers_keeps_them_out_of_the_first_three_and_keeps_their_order():
    w = sp.csr_matrix(np.array([[0.9, 0.8, 0.5, 0.4, 0.3, 0.2, 0.0], [0.1, 0.0, 0.5, 0.4, 0.3, 0.2, 0.05]]))
    filler = np.zeros(7, dtype=bool)
    filler[[0, 1, 6]] = True
    out = demote_fillers(w, filler).toarray()
    first = out[0]
    assert list(np.argsort(-first)[:3]) == [2, 3, 4]
    assert first[0] > first[1] and first[1] < 0.3 and first[0] < 0.3  # below the third word, order kept
    np.testing.assert_array_equal(first[2:], w.toarray()[0, 2:])  # other words untouched
    np.testing.assert_array_equal(out[1], w.toarray()[1])  # fillers already below the third word
    # The default cut is the 10th other word: with 12 other words a filler lands 11th.
    row = np.r_[2.0, np.linspace(1.0, 0.1, 12)]
    mask = np.zeros(13, dtype=bool)
    mask[0] = True
    demoted = demote_fillers(sp.csr_matrix(row), mask).toarray()[0]
    assert list(np.argsort(-demoted)).index(0) == 10
    np.testing.assert_array_equal(demoted[1:], row[1:])
    # A row with fewer other words than that: its fillers go below all of them.
    few = demote_fillers(sp.csr_matrix([[0.9, 0.1, 0.0]]), np.array([True, False, False])).toarray()[0]
    assert 0 < few[0] < few[1]


def test_option_is_validated_and_turns_the_rule_off():
    counts = sp.csr_matrix(np.array([[20.0, 1, 0, 0], [20, 0, 1, 0], [20, 0, 0, 1]]))
    share = np.array([0.9, 0.1, 0.1, 0.1])
    on = ClassTfidfTransformer(exclusivity=0.0).weights(counts, ["a", "b", "c", "d"], doc_share=share)
    off = ClassTfidfTransformer(exclusivity=0.0, demote_filler_words=False).weights(
        counts, ["a", "b", "c", "d"], doc_share=share
    )
    assert (off.toarray()[:, 0] > off.toarray()[:, 1:].max(axis=1)).all()  # "a" leads every topic
    assert (on.toarray()[:, 0] < on.toarray()[:, 1:].max(axis=1)).all()
    with pytest.raises(InputError, match="demote_filler_words must be True or False; got str 'yes'"):
        ClassTfidfTransformer(demote_filler_words="yes").weights(counts, ["a", "b", "c", "d"])
    # The fitted transformer applies the rule it learned at fit.
    fitted = ClassTfidfTransformer(exclusivity=0.0).fit(counts, doc_share=share)
    np.testing.assert_allclose(fitted.transform(counts).toarray(), on.toarray())
    with pytest.raises(InputError, match="doc_share must have one value per column"):
        ClassTfidfTransformer().fit(counts, doc_share=share[:2])


def _fillers(plain: TopicModel, docs: list[str]) -> set[str]:
    """The filler words, computed here: among the top 10 words of more than half of the topics of
    ``plain`` (a model fitted without the rule), or in more than 30% of ``docs``."""
    topics = [t for t in plain.get_topics() if t != -1]
    counted: dict[str, int] = {}
    for t in topics:
        for w in {w for w, _ in plain.get_topic(t)[:10]}:
            counted[w] = counted.get(w, 0) + 1
    cv = CountVectorizer(stop_words="english").fit(docs)
    share = np.asarray((cv.transform(docs) > 0).mean(axis=0)).ravel()
    return {w for w, n in counted.items() if n > len(topics) / 2} | set(cv.get_feature_names_out()[share > 0.3])


@pytest.mark.slow
def test_default_model_keeps_said_and_mr_out_of_bbc_topic_leads(bbc, tmp_path):
    texts, _, emb = bbc
    rows = np.linspace(0, len(texts) - 1, 600).astype(int)
    docs, vecs = [texts[i] for i in rows], emb[rows]
    off = TopicModel(ctfidf_model=ClassTfidfTransformer(demote_filler_words=False), random_state=0).fit(docs, vecs)
    on = TopicModel(random_state=0).fit(docs, vecs)
    np.testing.assert_array_equal(on.topics_, off.topics_)  # the rule changes words, never topics
    leads_off = [[w for w, _ in off.get_topic(t)][:3] for t in off.get_topics() if t != -1]
    # Without the rule (BERTopic's c-TF-IDF order) "said" or "mr" leads some of these topics.
    assert any({"said", "mr"} & set(lead) for lead in leads_off), leads_off
    fillers = _fillers(off, docs)
    assert {"said"} <= fillers
    shown = [[w for w, _ in on.get_topic(t)] for t in on.get_topics() if t != -1]
    assert all(len(words) == 10 for words in shown)
    assert not any(set(words) & fillers for words in shown), (shown, fillers)  # not even after the first 3
    weights = on.c_tf_idf_.toarray()
    said = list(on.vectorizer_model_.get_feature_names_out()).index("said")
    assert (weights[:, said] > 0).all()  # still weighted, below each topic's 10th word
    # Saved and loaded: the same shares, the same weights recomputed.
    on.save(tmp_path / "m", serialization="safetensors", save_ctfidf=False)
    loaded = TopicModel.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.state_.term_doc_share, on.state_.term_doc_share)
    np.testing.assert_allclose(loaded.c_tf_idf_.toarray(), on.c_tf_idf_.toarray(), rtol=1e-6)
    # Merging two topics keeps the rule for the merged topic.
    merged = TopicModel.load(tmp_path / "m")
    merged.merge_topics(docs, [0, 1])
    lead = [w for w, _ in merged.get_topic(0)][:3]
    assert not set(lead) & fillers, lead
