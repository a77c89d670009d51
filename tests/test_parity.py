"""BERTopic parity details (issue 13), each written as BERTopic code with only the import changed.

Where topicscope deliberately differs, the test shows the difference and docs/porting.md gives the
one-line change.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import PCA

from conftest import load_corpus
from topicscope import TopicModel as BERTopic
from topicscope.exceptions import InputError
from topicscope.vectorize.online import OnlineCountVectorizer


@pytest.fixture(scope="module")
def sample():
    texts, _, emb = load_corpus("20newsgroups")
    idx = np.sort(np.random.default_rng(1).permutation(len(texts))[:2500])
    return [texts[i] for i in idx], emb[idx]


def test_partial_fit_with_a_reducer_without_partial_fit(sample, caplog):
    """BERTopic fits such a reducer on the first batch and only transforms the next ones."""
    all_docs, embeddings = sample
    doc_chunks = [all_docs[i : i + 500] for i in range(0, len(all_docs), 500)]
    emb_chunks = [embeddings[i : i + 500] for i in range(0, len(all_docs), 500)]
    assert len(doc_chunks) == 5

    topic_model = BERTopic(
        umap_model=PCA(n_components=5),
        hdbscan_model=MiniBatchKMeans(n_clusters=20, random_state=0),
        vectorizer_model=OnlineCountVectorizer(stop_words="english"),
    )
    with caplog.at_level(logging.INFO, logger="topicscope"):
        for docs, emb in zip(doc_chunks, emb_chunks):
            topic_model.partial_fit(docs, emb)
    fitted_pca = topic_model.umap_model_
    notes = [r for r in caplog.records if "no partial_fit" in r.getMessage()]
    assert len(notes) == 1 and "PCA" in notes[0].getMessage()  # logged once, not per batch
    # Fitted on the first batch only: its components are those of a PCA fitted on that batch.
    first = PCA(n_components=5).fit(emb_chunks[0])
    np.testing.assert_allclose(np.abs(fitted_pca.components_), np.abs(first.components_), atol=1e-4)
    assert len(topic_model.topics_) == len(all_docs)
    assert 2 <= len(topic_model.get_topic_info()) <= 20


def test_fitted_components_are_exposed_after_fit(sample):
    from sklearn.feature_extraction.text import CountVectorizer

    docs, emb = sample
    topic_model = BERTopic(vectorizer_model=CountVectorizer(stop_words="english", min_df=2))
    # PORTING: BERTopic builds its components in __init__; here they are what you pass (None by default).
    assert topic_model.umap_model is None and topic_model.hdbscan_model is None
    topic_model.fit(docs, emb)
    assert topic_model.vectorizer_model_ is not topic_model.vectorizer_model  # a fitted copy
    assert len(topic_model.vectorizer_model_.get_feature_names_out()) == len(topic_model.state_.vocabulary)
    assert not hasattr(topic_model.vectorizer_model, "vocabulary_")  # the user's object is untouched
    assert type(topic_model.hdbscan_model_).__name__ == "GraphCommunities"
    assert type(topic_model.umap_model_).__name__ == "Identity"
    assert topic_model.ctfidf_model_.get_params()["exclusivity"] == 0.5


def test_custom_labels_is_a_list_in_topic_order(sample):
    docs, emb = sample
    topic_model = BERTopic(min_topic_size=30).fit(docs, emb)
    assert topic_model.custom_labels_ is None
    topic_model.set_topic_labels({1: "Space Related"})
    labels = topic_model.custom_labels_
    ids = list(topic_model.get_topic_info().Topic)
    assert isinstance(labels, list) and len(labels) == len(ids)
    assert labels[ids.index(1)] == "Space Related"
    assert labels[ids.index(0)] == topic_model.topic_labels_[0]  # unlabelled topics keep their name
    assert topic_model.get_topic_info().CustomName.tolist() == labels


def test_get_topic_and_representation_have_the_same_length(sample):
    docs, emb = sample
    topic_model = BERTopic(top_n_words=10).fit(docs, emb)
    info = topic_model.get_topic_info()
    for topic, rep in zip(info.Topic, info.Representation):
        words = topic_model.get_topic(topic)
        # PORTING (documented): no ("", 1e-05) padding, so a topic may list fewer than top_n_words.
        assert 0 < len(words) <= 10 and [w for w, _ in words] == rep
        assert all(w and s > 0 for w, s in words)


def test_language(sample):
    docs, emb = sample
    BERTopic(language="english").fit(docs[:300], emb[:300])
    BERTopic(language="English").fit(docs[:300], emb[:300])
    with pytest.raises(InputError, match="language='multilingual' needs a multilingual embedding_model.*paraphrase"):
        BERTopic(language="multilingual").fit(docs[:300], emb[:300])
    with pytest.raises(InputError, match=r"language must be one of \['english', 'multilingual'\].*'klingon'"):
        BERTopic(language="klingon").fit(docs[:300], emb[:300])
    # With a multilingual embedding model named (not loaded: the embeddings are given), it fits.
    model = BERTopic(language="multilingual", embedding_model="paraphrase-multilingual-MiniLM-L12-v2")
    assert model.fit(docs[:300], emb[:300]).get_params()["language"] == "multilingual"


def test_low_memory_drops_the_training_counts_and_verbs_still_work(sample):
    docs, emb = sample
    lean = BERTopic(low_memory=True, random_state=0).fit(docs, emb)
    full = BERTopic(random_state=0).fit(docs, emb)
    assert lean.state_.training_doc_term is None and full.state_.training_doc_term is not None
    assert lean.topics_ == full.topics_
    counted = lean._doc_term(docs)  # counted again, the same counts
    assert (counted != full.state_.training_doc_term).nnz == 0
    with pytest.raises(InputError, match="low_memory must be True or False; got 'yes'"):
        BERTopic(low_memory="yes").fit(docs, emb)


def test_embedding_model_that_is_no_model_with_precomputed_embeddings(sample):
    docs, emb = sample
    with pytest.raises(InputError, match="Precomputed embeddings were given, so embedding_model is only needed"):
        BERTopic(embedding_model=object()).fit(docs[:300], emb[:300])


def test_topics_cannot_be_assigned_but_the_error_points_to_update_topics(sample):
    docs, emb = sample
    topic_model = BERTopic().fit(docs[:300], emb[:300])
    with pytest.raises(InputError, match=r"update_topics\(docs, topics=new_topics\)"):
        topic_model.topics_ = [0] * 300


def test_plots_need_the_viz_extra_only_when_called(sample, monkeypatch):
    import sys

    docs, emb = sample
    topic_model = BERTopic().fit(docs[:300], emb[:300])
    for name in [m for m in sys.modules if m == "plotly" or m.startswith("plotly.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "plotly", None)
    from topicscope import viz  # noqa: F401 (imports without plotly)

    with pytest.raises(ImportError, match=r'pip install "topicscope\[viz\]"'):
        topic_model.visualize_topics()
    with pytest.raises(ImportError, match=r'pip install "topicscope\[viz\]"'):
        topic_model.visualize_barchart()
