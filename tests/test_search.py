"""find_topics: topics closest to an embedded search term, also on models fitted with precomputed embeddings."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from topicscope import TopicModel
from topicscope._neighbors import normalise_rows
from topicscope.exceptions import InputError


class Lookup:
    """A user's embedding model: the precomputed embedding of each text it knows (the bbc_news articles)."""

    def __init__(self, docs, emb):
        self.rows = dict(zip(docs, emb))

    def encode(self, texts):
        return np.stack([self.rows[t] for t in texts])


@pytest.fixture(scope="module")
def model(bbc):
    docs, _, emb = bbc
    return TopicModel(random_state=0, embedding_model=Lookup(docs, emb)).fit(docs, embeddings=emb)


def test_topics_ranked_by_cosine_with_the_term(bbc, model):
    docs, _, emb = bbc
    topics, sims = model.find_topics(docs[0], top_n=3)
    expected = (
        normalise_rows(model.topic_embeddings_.astype(np.float64)) @ normalise_rows(emb[:1].astype(np.float64))[0]
    )
    order = np.argsort(-expected, kind="stable")
    assert topics == [int(t) for t in order[:3]]
    assert np.allclose(sims, expected[order[:3]], atol=1e-6)
    assert all(type(t) is int for t in topics) and all(type(s) is float for s in sims)
    assert topics[0] == model.topics_[0]  # an article is closest to its own topic here
    every, _ = model.find_topics(docs[0], top_n=50)
    assert sorted(every) == sorted(model.topic_labels_)  # fewer topics than top_n: all of them


def test_outlier_topic_is_never_returned(bbc, model):
    import copy

    docs, _, _ = bbc
    edited = copy.deepcopy(model)
    edited.delete_topics([0])
    topics, sims = edited.find_topics(docs[0], top_n=10)
    assert -1 not in topics and len(topics) == 6
    assert sims == sorted(sims, reverse=True)


def test_bad_search_input_is_named(model):
    for term in ("", "   \n", None, 5):
        with pytest.raises(InputError, match="search_term must"):
            model.find_topics(term)
    for top_n in (0, -1, 2.5, True):
        with pytest.raises(InputError, match="top_n must be an integer"):
            model.find_topics("football", top_n=top_n)
    with pytest.raises(InputError, match="image"):
        model.find_topics("football", image="cat.png")


def test_loaded_model_without_an_embedding_model_names_it(bbc, model, tmp_path):
    docs, _, emb = bbc
    model.save(tmp_path / "custom")  # a custom embedding object is named in the file, never stored
    loaded = TopicModel.load(tmp_path / "custom")
    with pytest.raises(InputError, match=r"embedding_model="):
        loaded.find_topics("football")
    again = TopicModel.load(tmp_path / "custom", embedding_model=Lookup(docs, emb))
    assert again.find_topics(docs[5]) == model.find_topics(docs[5])
    narrow = TopicModel.load(tmp_path / "custom", embedding_model=Lookup(docs, emb[:, :8]))
    with pytest.raises(InputError, match=r"embedding_model must embed into the model's 384 dimensions"):
        narrow.find_topics(docs[5])


@pytest.mark.slow
def test_football_finds_the_sport_topic_with_the_packaged_model(bbc):
    """BERTopic refuses find_topics on a model fitted with precomputed embeddings (#79, #1561)."""
    docs, labels, emb = bbc
    model = TopicModel(random_state=0).fit(docs, embeddings=emb)  # the default (packaged) embedding model
    topics, sims = model.find_topics("football", top_n=3)
    members = np.asarray(labels)[np.asarray(model.topics_) == topics[0]]
    assert Counter(members.tolist()).most_common(1)[0][0] == "sport"
    assert sims[0] > sims[1] > sims[2] and sims[0] > 0.2
