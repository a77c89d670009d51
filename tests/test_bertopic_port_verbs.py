"""BERTopic 0.17's documentation examples for the analysis verbs, run with topicscope.

As in test_bertopic_port.py, each example is BERTopic's (the documentation page is named above
it) with only the import changed and real data from ../shared/data (with precomputed embeddings)
in place of the downloads. Lines marked ``# PORTING:`` differ; docs/porting.md lists why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import load_column, load_corpus
from topicscope import TopicModel as BERTopic
from topicscope.clustering import hdbscan_clusterer
from topicscope.reduction import umap_reducer


@pytest.fixture(scope="module")
def tweets():
    """A stand-in for the documentation's tweets: 3,000 crisis tweets with their timestamps."""
    texts, _, emb = load_corpus("crisislex_tweets")
    timestamps = load_column("crisislex_tweets", "timestamp")
    idx = np.sort(np.random.default_rng(0).permutation(len(texts))[:3000])
    return [texts[i] for i in idx], [timestamps[i] for i in idx], emb[idx]


@pytest.fixture(scope="module")
def news():
    texts, labels, emb = load_corpus("20newsgroups")
    idx = np.sort(np.random.default_rng(0).permutation(len(texts))[:3000])
    return [texts[i] for i in idx], [labels[i] for i in idx], emb[idx]


def _with_outliers(docs, embeddings):
    # PORTING: BERTopic() -> BERTopic(umap_model=umap_reducer(...), hdbscan_model=hdbscan_clusterer(10))
    return BERTopic(umap_model=umap_reducer(len(docs), random_state=42), hdbscan_model=hdbscan_clusterer(10))


# --------------------------------------------------------- docs/getting_started/topicsovertime
def test_topics_over_time(tweets):
    docs, timestamps, embeddings = tweets
    topic_model = BERTopic(verbose=True)
    topics, probs = topic_model.fit_transform(docs, embeddings)  # noqa: RUF059 (the documentation's line)
    topics_over_time = topic_model.topics_over_time(docs, timestamps, nr_bins=20)
    assert topics_over_time.columns.tolist() == ["Topic", "Words", "Frequency", "Timestamp"]
    assert topics_over_time.Frequency.sum() == len(docs)
    assert topics_over_time.Timestamp.nunique() <= 20
    per_topic = topics_over_time.groupby("Topic").Frequency.sum().to_dict()
    assert per_topic == {t: n for t, n in topic_model.topic_sizes_.items() if n}


# --------------------------------------------------------- docs/getting_started/topicsperclass
def test_topics_per_class(news):
    docs, classes, embeddings = news
    topic_model = BERTopic(verbose=True)
    topics, probs = topic_model.fit_transform(docs, embeddings)  # noqa: RUF059 (the documentation's line)
    topics_per_class = topic_model.topics_per_class(docs, classes=classes)
    assert topics_per_class.columns.tolist() == ["Topic", "Words", "Frequency", "Class"]
    expected = pd.crosstab(pd.Series(topics, name="Topic"), pd.Series(classes, name="Class")).stack()
    got = topics_per_class.set_index(["Topic", "Class"]).Frequency
    assert got.to_dict() == {k: v for k, v in expected.to_dict().items() if v}


# ------------------------------------------------------- docs/getting_started/outlier_reduction
def test_outlier_reduction(news):
    docs, _, embeddings = news
    topic_model = _with_outliers(docs, embeddings)
    topics, probs = topic_model.fit_transform(docs, embeddings)  # noqa: RUF059 (the documentation's line)
    assert -1 in topics

    # Reduce outliers
    new_topics = topic_model.reduce_outliers(docs, topics)
    assert len(new_topics) == len(topics) and new_topics.count(-1) < topics.count(-1)
    # Reduce outliers with pre-calculate embeddings instead
    new_topics = topic_model.reduce_outliers(docs, topics, strategy="embeddings", embeddings=embeddings)
    assert new_topics.count(-1) == 0
    new_topics = topic_model.reduce_outliers(docs, topics, strategy="c-tf-idf", threshold=0.1)
    assert new_topics.count(-1) < topics.count(-1)

    topic_model.update_topics(docs, topics=new_topics)
    assert topic_model.topics_ == list(new_topics)
    assert topic_model.get_topic_info().Count.sum() == len(docs)


def test_outlier_reduction_with_probabilities(news):
    docs, _, embeddings = news
    # PORTING: as above; calculate_probabilities=True gives the (documents, topics) matrix.
    topic_model = BERTopic(
        umap_model=umap_reducer(len(docs), random_state=42),
        hdbscan_model=hdbscan_clusterer(10),
        calculate_probabilities=True,
    )
    topics, probs = topic_model.fit_transform(docs, embeddings)
    new_topics = topic_model.reduce_outliers(docs, topics, probabilities=probs, strategy="probabilities")
    assert len(new_topics) == len(docs) and new_topics.count(-1) < topics.count(-1)
    kept = [t for t in topics if t != -1]
    assert [n for n, t in zip(new_topics, topics) if t != -1] == kept  # only outliers move


# ------------------------------------------------------------ docs/getting_started/distribution
def test_approximate_distribution(news):
    docs, _, embeddings = news
    topic_model = BERTopic().fit(docs, embeddings)
    topic_distr, _ = topic_model.approximate_distribution(docs)
    n_topics = len([t for t in topic_model.topic_sizes_ if t != -1])
    assert topic_distr.shape == (len(docs), n_topics) and np.isfinite(topic_distr).all()
    topic_distr, topic_token_distr = topic_model.approximate_distribution(docs[:5], calculate_tokens=True)
    assert len(topic_token_distr) == 5 and topic_token_distr[0].shape[1] == n_topics


# ------------------------------------------------------------ docs/getting_started/search
def test_find_topics(news):
    docs, _, embeddings = news
    topic_model = BERTopic().fit(docs, embeddings)
    similar_topics, similarity = topic_model.find_topics("motor", top_n=5)
    assert len(similar_topics) == len(similarity) == 5
    assert similarity == sorted(similarity, reverse=True)
    assert "car" in [w for w, _ in topic_model.get_topic(similar_topics[0])] or "bike" in [
        w for w, _ in topic_model.get_topic(similar_topics[0])
    ]


# -------------------------------------------------------- docs/getting_started/topicrepresentation
def test_merge_and_update_topics(news):
    docs, _, embeddings = news
    topic_model = BERTopic().fit(docs, embeddings)
    sizes = topic_model.topic_sizes_
    topic_model.merge_topics(docs, [1, 2])
    assert len(topic_model.topic_sizes_) == len(sizes) - 1
    assert sorted(topic_model.topic_sizes_.values()) != sorted(sizes.values())
    topics_to_merge = [[0, 1], [2, 3]]
    topic_model.merge_topics(docs, topics_to_merge)
    assert len(topic_model.topic_sizes_) == len(sizes) - 3
    assert sum(topic_model.topic_sizes_.values()) == len(docs)

    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer_model = CountVectorizer(stop_words="english", ngram_range=(1, 2))
    topic_model.update_topics(docs, vectorizer_model=vectorizer_model)
    assert any(" " in w for t in topic_model.topic_sizes_ for w, _ in topic_model.get_topic(t))
