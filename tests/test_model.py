"""Behaviour of TopicModel on a real corpus (octis_bbc) with precomputed embeddings."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score

from topicscope import TopicModel
from topicscope.exceptions import InputError, NotFittedError
from topicscope.reduction import Identity

# Measured 2026-11-28 with random_state=42 and the default graph clusterer: NMI 0.795 with the
# 7 topics of min_topic_size=5, 0.772 after nr_topics=5 (UMAP + HDBSCAN scored 0.485 here).
# The floors leave room for platform noise while catching a broken stage (random: ~0.05).
NMI_FLOOR_FULL = 0.7
NMI_FLOOR_FIVE = 0.7


def _nmi_kept(labels, topics):
    topics = np.asarray(topics)
    kept = topics != -1
    return normalized_mutual_info_score(np.asarray(labels)[kept], topics[kept])


def test_five_bbc_classes_come_back(fitted_bbc, octis_bbc):
    _model, topics, _ = fitted_bbc
    _, labels, _ = octis_bbc
    assert _nmi_kept(labels, topics) >= NMI_FLOOR_FULL
    # After merging down to five topics, each gold class is the majority of one topic.
    reduced = TopicModel(min_topic_size=5, nr_topics=5, random_state=42).fit(octis_bbc[0], embeddings=octis_bbc[2])
    red_topics = np.array(reduced.topics_)
    assert _nmi_kept(labels, red_topics) >= NMI_FLOOR_FIVE
    majority = set()
    for t in range(5):
        members = np.array(labels)[red_topics == t]
        values, counts = np.unique(members, return_counts=True)
        majority.add(values[np.argmax(counts)])
    assert len(majority) >= 4, majority


def test_fitted_attributes_agree(fitted_bbc, octis_bbc):
    model, topics, probs = fitted_bbc
    docs = octis_bbc[0]
    assert len(topics) == len(docs) == len(model.topics_)
    assert probs.shape == (len(docs),)
    sizes = model.topic_sizes_
    assert sum(sizes.values()) == len(docs)
    for t, n in sizes.items():
        assert model.topics_.count(t) == n
    ids = sorted(sizes)
    assert list(model.topic_labels_) == ids
    assert model.topic_embeddings_.shape == (len(ids), 384)
    # Topics are numbered by decreasing size.
    counts = [sizes[t] for t in ids if t != -1]
    assert counts == sorted(counts, reverse=True)
    info = model.get_topic_info()
    assert list(info.columns) == ["Topic", "Count", "Name", "Representation", "Representative_Docs"]
    assert info.Count.sum() == len(docs)
    row = info[info.Topic == 0].iloc[0]
    assert row.Name.startswith("0_") and len(row.Representation) == 10
    assert model.get_topic(0)[0][0] == row.Representation[0]
    assert model.get_topic(10_000) is False
    assert len(model.get_representative_docs(0)) == 3
    assert all(d in docs for d in model.get_representative_docs(0))


def test_transform_on_training_documents_gives_fit_topics(fitted_bbc, octis_bbc):
    model, topics, probs = fitted_bbc
    docs, _, emb = octis_bbc
    again, again_probs = model.transform(docs, embeddings=emb)
    assert again == topics
    # fit reads its graph's similarities, transform searches again: equal up to float32 rounding.
    np.testing.assert_allclose(again_probs, probs, rtol=1e-6)


def test_transform_new_documents_lands_in_related_topics(fitted_bbc, octis_bbc):
    model, topics, _ = fitted_bbc
    _, _, emb = octis_bbc
    # Perturbed embeddings of training documents stay in (or next to) their topics.
    rng = np.random.default_rng(0)
    noisy = emb[:200] + rng.normal(scale=0.01, size=emb[:200].shape).astype("float32")
    new_topics, _ = model.transform(["x"] * 200, embeddings=noisy)
    agree = np.mean(np.array(new_topics) == np.array(topics[:200]))
    assert agree > 0.8, agree


def test_same_seed_same_topics(octis_bbc):
    docs, _, emb = octis_bbc
    a = TopicModel(min_topic_size=5, random_state=7).fit(docs[:800], embeddings=emb[:800])
    b = TopicModel(min_topic_size=5, random_state=7).fit(docs[:800], embeddings=emb[:800])
    assert a.topics_ == b.topics_
    assert a.get_topics() == b.get_topics()


def test_nr_topics_merges_and_recomputes_words(octis_bbc):
    docs, _, emb = octis_bbc
    model = TopicModel(min_topic_size=5, nr_topics=8, random_state=42).fit(docs, embeddings=emb)
    ids = [t for t in model.topic_sizes_ if t != -1]
    assert ids == list(range(8))
    assert sum(model.topic_sizes_.values()) == len(docs)
    # Merged topics get words computed from their merged counts, not those of a part.
    assert all(len(model.get_topic(t)) == 10 for t in ids)
    auto = TopicModel(min_topic_size=5, nr_topics="auto", random_state=42).fit(docs, embeddings=emb)
    full = TopicModel(min_topic_size=5, random_state=42).fit(docs, embeddings=emb)
    assert len(auto.topic_sizes_) <= len(full.topic_sizes_)


def test_reduce_topics_after_fit(octis_bbc):
    docs, _, emb = octis_bbc
    model = TopicModel(umap_model=PCA(10, random_state=0), hdbscan_model=KMeans(12, random_state=0, n_init=3))
    model.fit(docs, embeddings=emb)
    assert len(model.topic_sizes_) == 12
    model.reduce_topics(4)
    assert sorted(model.topic_sizes_) == [0, 1, 2, 3]
    assert model.transform(docs[:50], embeddings=emb[:50])[0] == model.topics_[:50]


def test_any_reducer_and_clusterer(octis_bbc):
    docs, labels, emb = octis_bbc
    model = TopicModel(umap_model=PCA(10, random_state=0), hdbscan_model=KMeans(5, random_state=0, n_init=3))
    topics, _ = model.fit_transform(docs, embeddings=emb)
    assert -1 not in topics and len(set(topics)) == 5
    assert normalized_mutual_info_score(labels, topics) > 0.5
    ident = TopicModel(umap_model=Identity(), hdbscan_model=KMeans(3, random_state=0, n_init=3))
    assert len(set(ident.fit_transform(docs[:300], embeddings=emb[:300])[0])) == 3


def test_calculate_probabilities_gives_matrix(octis_bbc):
    docs, _, emb = octis_bbc
    model = TopicModel(calculate_probabilities=True, umap_model=PCA(5, random_state=0), min_topic_size=5)
    _topics, probs = model.fit_transform(docs[:500], embeddings=emb[:500])
    n_topics = len([t for t in model.topic_sizes_ if t != -1])
    assert probs.shape == (500, n_topics)
    assert np.all(probs >= 0) and np.all(probs.sum(axis=1) <= 1 + 1e-9)


def test_sklearn_conventions():
    model = TopicModel(min_topic_size=7, nr_topics=3)
    params = model.get_params()
    assert params["min_topic_size"] == 7 and params["nr_topics"] == 3
    twin = clone(model)
    assert twin.get_params() == params
    with pytest.raises(NotFittedError, match="not fitted"):
        model.get_topic_info()
    with pytest.raises(NotFittedError):
        model.transform(["a doc"])


def test_user_components_are_not_modified(octis_bbc):
    docs, _, emb = octis_bbc
    pca = PCA(5, random_state=0)
    model = TopicModel(umap_model=pca, min_topic_size=5).fit(docs[:300], embeddings=emb[:300])
    assert model.umap_model is pca and not hasattr(pca, "components_")


def test_set_and_generate_topic_labels(fitted_bbc):
    model, _, _ = fitted_bbc
    labels = model.generate_topic_labels(nr_words=2, separator=" ")
    assert len(labels) == len(model.topic_sizes_)
    first = list(model.topic_sizes_).index(0)
    assert labels[first].startswith("0 ") and len(labels[first].split(" ")) == 3
    try:
        model.set_topic_labels({0: "Sport"})
        info = model.get_topic_info()
        assert info.loc[info.Topic == 0, "CustomName"].iloc[0] == "Sport"
        assert info.loc[info.Topic == 1, "CustomName"].iloc[0] == info.loc[info.Topic == 1, "Name"].iloc[0]
        with pytest.raises(InputError, match="topic_labels keys"):
            model.set_topic_labels({"sport": "Sport"})
        with pytest.raises(InputError, match="topic must be an integer"):
            model.get_topic("zero")
    finally:
        model.state_.custom_labels = None


def test_document_info(fitted_bbc, octis_bbc):
    model, topics, _ = fitted_bbc
    info = model.get_document_info(octis_bbc[0])
    assert list(info.Topic) == topics
    assert info.Representative_document.sum() >= len(model.topic_sizes_) - 1


def test_empty_and_duplicate_documents_are_legal(octis_bbc):
    docs, _, emb = octis_bbc
    docs = [*list(docs[:300]), "", "", docs[0], docs[0]]
    emb = np.vstack([emb[:300], emb[:1], emb[:1], emb[:1], emb[:1]])
    model = TopicModel(umap_model=PCA(5, random_state=0), min_topic_size=5)
    topics, _ = model.fit_transform(docs, embeddings=emb)
    assert len(topics) == 304 and topics[-1] == topics[-2] == topics[0]


def test_transform_of_no_documents_keeps_the_types(fitted_bbc):
    model, _, _ = fitted_bbc
    topics, probs = model.transform([])
    assert topics == [] and probs.shape == (0,)


def test_refit_resets_probabilities(octis_bbc):
    docs, _, emb = octis_bbc
    model = TopicModel(min_topic_size=5, random_state=0)
    model.fit_transform(docs[:600], embeddings=emb[:600])
    model.fit(docs[:400], embeddings=emb[:400])
    assert len(model.get_document_info(docs[:400])) == 400


def test_zero_vector_documents_are_outliers_not_majority(octis_bbc):
    docs, _, emb = octis_bbc
    model = TopicModel(min_topic_size=5, random_state=0).fit(docs[:500], embeddings=emb[:500])
    topics, probs = model.transform(["x", "y"], embeddings=np.zeros((2, emb.shape[1]), dtype="float32"))
    # This model has no outlier topic, so transform never returns -1: the document gets a topic
    # of the model with probability 0 (no evidence).
    assert -1 not in model.topic_labels_
    assert all(t in model.topic_labels_ for t in topics) and np.all(probs == 0)
    from topicscope.clustering import hdbscan_clusterer

    with_outliers = TopicModel(hdbscan_model=hdbscan_clusterer(5), umap_model=PCA(5, random_state=0))
    with_outliers.fit(docs[:500], embeddings=emb[:500])
    assert -1 in with_outliers.topic_labels_
    topics, probs = with_outliers.transform(["x"], embeddings=np.zeros((1, emb.shape[1]), dtype="float32"))
    assert topics == [-1] and np.all(probs == 0)


def test_probabilities_belong_to_the_fitted_topics(octis_bbc):
    docs, _, emb = octis_bbc
    model = TopicModel(min_topic_size=5, calculate_probabilities=False, random_state=0)
    topics, probs = model.fit_transform(docs[:500], embeddings=emb[:500])
    full = TopicModel(min_topic_size=5, calculate_probabilities=True, random_state=0)
    _, matrix = full.fit_transform(docs[:500], embeddings=emb[:500])
    ids = [t for t in sorted(full.topic_sizes_) if t != -1]
    expected = [matrix[i, ids.index(t)] if t in ids else 0.0 for i, t in enumerate(topics)]
    np.testing.assert_allclose(probs, expected)


def test_bad_representation_model_fails_before_any_work(octis_bbc):
    docs, _, emb = octis_bbc
    with pytest.raises(InputError, match=r"representation_model\['X'\] must be a representation model"):
        TopicModel(representation_model={"X": "keybert"}).fit(docs[:50], embeddings=emb[:50])


def test_given_labels_describe_topics_with_all_their_documents(octis_bbc):
    from topicscope.clustering import LabelsGiven

    docs, labels, emb = octis_bbc
    y = np.unique(labels[:400], return_inverse=True)[1]
    model = TopicModel(umap_model=Identity(), hdbscan_model=LabelsGiven()).fit(docs[:400], embeddings=emb[:400], y=y)
    total = model.stages_.vectorizer.transform(docs[:400]).sum()
    assert model.state_.class_term.sum() == pytest.approx(total)
    # Discovered topics are described by their core documents only: fewer counts.
    found = TopicModel(min_topic_size=5, random_state=0).fit(docs[:400], embeddings=emb[:400])
    assert found.state_.class_term.sum() < found.stages_.vectorizer.transform(docs[:400]).sum()
