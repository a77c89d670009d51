"""The one count function and the reuse of fit's document-term matrix (vectorize.counts)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import load_corpus
from topicscope import TopicModel
from topicscope.exceptions import InputError
from topicscope.vectorize import class_term_counts, count_documents, doc_term_for, grouped_counts, text_fingerprint


def test_grouped_counts_sums_rows_per_group_and_skips_negative_keys():
    doc_term = sp.csr_matrix(np.array([[1, 0, 2], [0, 1, 0], [3, 0, 0], [0, 0, 5]]))
    counts = grouped_counts(doc_term, np.array([1, -1, 1, 0]), 3)
    assert counts.shape == (3, 3)
    assert counts.toarray().tolist() == [[0, 0, 5], [4, 0, 2], [0, 0, 0]]


def test_grouped_counts_rejects_bad_keys():
    doc_term = sp.csr_matrix(np.ones((3, 2)))
    with pytest.raises(InputError, match=r"groups must have one entry per document \(3\)"):
        grouped_counts(doc_term, np.array([0, 1]), 2)
    with pytest.raises(InputError, match="groups must be < n_groups=2; got 2"):
        grouped_counts(doc_term, np.array([0, 1, 2]), 2)


def test_class_term_counts_follows_topic_ids_in_any_order():
    doc_term = sp.csr_matrix(np.array([[1, 0], [0, 2], [4, 0]]))
    counts = class_term_counts(doc_term, np.array([5, -1, 5]), [-1, 5, 7])
    assert counts.toarray().tolist() == [[0, 2], [5, 0], [0, 0]]
    counts = class_term_counts(doc_term, np.array([5, -1, 5]), [7, 5])
    assert counts.toarray().tolist() == [[0, 0], [5, 0]]


def test_fingerprint_tells_text_and_order_apart():
    docs = ["a b", "c"]
    assert text_fingerprint(docs) == text_fingerprint(list(docs))
    assert text_fingerprint(docs) != text_fingerprint(docs[::-1])
    assert text_fingerprint(["ab", "c"]) != text_fingerprint(["a", "bc"])  # boundaries count
    assert len(text_fingerprint(docs)) == 32


def test_training_documents_reuse_fit_matrix_and_others_are_counted_the_same_way():
    docs, _, emb = load_corpus("bbc_news", 600)
    model = TopicModel(random_state=0).fit(docs, embeddings=emb)
    state = model.state_
    assert state.training_doc_term is not None and state.training_doc_term.shape[0] == len(docs)
    same = model._doc_term(list(docs))
    assert same is state.training_doc_term  # recognised: nothing counted again
    edited = list(docs)
    edited[3] = edited[3] + " "
    counted = model._doc_term(edited)
    assert counted is not state.training_doc_term
    # Counting over the fitted vocabulary gives fit's matrix exactly (the trailing space changes no term).
    assert (counted != state.training_doc_term).nnz == 0
    assert model._training_topics(list(docs)) is not None and model._training_topics(edited) is None


def test_loaded_model_recognises_its_training_documents(tmp_path):
    docs, _, emb = load_corpus("bbc_news", 600)
    model = TopicModel(random_state=0).fit(docs, embeddings=emb)
    model.save(tmp_path / "m")
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.state_.training_fingerprint == model.state_.training_fingerprint
    assert np.array_equal(loaded._training_topics(list(docs)), model.state_.doc_topics)
    # No matrix in memory after load: counted again over the saved vocabulary, the same counts.
    assert (loaded._doc_term(list(docs)) != model.state_.training_doc_term).nnz == 0


def test_doc_term_for_without_vocabulary_and_unknown_terms():
    analyzer = str.split
    assert count_documents(["a b"], [], analyzer).shape == (1, 0)
    counts = doc_term_for(["x a a", "b"], ["a", "b"], analyzer)
    assert counts.toarray().tolist() == [[2, 0], [0, 1]]


def test_a_loaded_model_counts_with_the_saved_vectorizer_settings(tmp_path, caplog):
    import logging

    from sklearn.feature_extraction.text import CountVectorizer

    docs, _, emb = load_corpus("bbc_news", 600)
    vectorizer = CountVectorizer(stop_words=["said", "mr"], ngram_range=(1, 2), lowercase=False, min_df=2)
    model = TopicModel(vectorizer_model=vectorizer, random_state=0).fit(docs[:500], embeddings=emb[:500])
    model.save(tmp_path / "m")
    loaded = TopicModel.load(tmp_path / "m")
    new = docs[500:]
    expected = model._doc_term(new)
    assert any(" " in t for t in loaded.state_.vocabulary)  # bigrams kept
    assert (loaded._doc_term(new) != expected).nnz == 0  # the same analyzer: bigrams, case, stop words
    # A vectorizer that cannot be rebuilt from settings is named at load, and the default analyzer is used.
    custom = CountVectorizer(tokenizer=str.split, token_pattern=None)
    odd = TopicModel(vectorizer_model=custom, random_state=0).fit(docs[:300], embeddings=emb[:300])
    odd.save(tmp_path / "odd")
    with caplog.at_level(logging.INFO, logger="topicscope"):
        TopicModel.load(tmp_path / "odd")
    assert any("vectorizer_model (CountVectorizer) was not saved" in r.getMessage() for r in caplog.records)
