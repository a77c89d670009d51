"""Save/load in a safe format: same transform, same topic table, no pickle, no training text."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from topicscope import TopicModel
from topicscope.exceptions import InputError, PersistenceError


@pytest.fixture(scope="module")
def small_model(octis_bbc):
    docs, _, emb = octis_bbc
    model = TopicModel(umap_model=PCA(10, random_state=0), hdbscan_model=KMeans(6, n_init=3, random_state=0))
    model.fit(docs[:600], embeddings=emb[:600])
    return model


def test_round_trip_transform_and_table(fitted_bbc, octis_bbc, tmp_path):
    model, topics, _ = fitted_bbc
    docs, _, emb = octis_bbc
    model.save(tmp_path / "m", save_documents=True)
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.topics_ == topics
    before = model.transform(docs[:300], embeddings=emb[:300])
    after = loaded.transform(docs[:300], embeddings=emb[:300])
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert loaded.get_topic_info().equals(model.get_topic_info())
    assert loaded.get_params()["min_topic_size"] == 5


def test_default_save_has_no_training_text(small_model, octis_bbc, tmp_path):
    small_model.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == ["arrays.safetensors", "topicscope.json"]
    raw = b"".join(p.read_bytes() for p in (tmp_path / "m").iterdir())
    for doc in octis_bbc[0][:600]:
        if len(doc) > 40:
            assert doc.encode() not in raw
    assert b"pickle" not in raw
    loaded = TopicModel.load(tmp_path / "m")
    info, orig = loaded.get_topic_info(), small_model.get_topic_info()
    assert info.drop(columns="Representative_Docs").equals(orig.drop(columns="Representative_Docs"))
    meta = json.loads((tmp_path / "m" / "topicscope.json").read_text())
    assert meta["format_version"] == 2
    assert meta["embedding_model"] == {"kind": "default", "name": "sentence-transformers/all-MiniLM-L6-v2"}


def test_custom_embedding_object_must_be_supplied(octis_bbc, tmp_path):
    docs, _, emb = octis_bbc

    class Encoder:
        def encode(self, texts, **_):
            return np.ones((len(texts), emb.shape[1]), dtype="float32")

    model = TopicModel(
        embedding_model=Encoder(), umap_model=PCA(5, random_state=0), hdbscan_model=KMeans(3, n_init=2, random_state=0)
    )
    model.fit(docs[:200], embeddings=emb[:200])
    model.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "topicscope.json").read_text())
    assert meta["embedding_model"] == {"kind": "custom", "class": f"{Encoder.__module__}.{Encoder.__qualname__}"}
    # Without the object the model loads for everything that needs no new embeddings...
    bare = TopicModel.load(tmp_path / "m")
    assert bare.transform(docs[:5], embeddings=emb[:5])[0] == model.topics_[:5]
    columns = ["Topic", "Count", "Name", "Representation"]
    assert bare.get_topic_info()[columns].equals(model.get_topic_info()[columns])
    # ...and embedding asks for it by name.
    with pytest.raises(InputError, match="custom embedding object .*Encoder.* embedding_model="):
        bare.transform(docs[:5])
    loaded = TopicModel.load(tmp_path / "m", embedding_model=Encoder())
    assert loaded.transform(docs[:5], embeddings=emb[:5])[0] == model.topics_[:5]
    assert loaded.transform(docs[:5])[0] == model.transform(docs[:5])[0]
    # Saving the bare model again keeps the reference (it does not become "default").
    bare.save(tmp_path / "again")
    assert (
        json.loads((tmp_path / "again" / "topicscope.json").read_text())["embedding_model"] == meta["embedding_model"]
    )


def test_bad_files_are_reported(tmp_path, small_model):
    with pytest.raises(PersistenceError, match="no saved topicscope model"):
        TopicModel.load(tmp_path / "missing")
    small_model.save(tmp_path / "m")
    meta = tmp_path / "m" / "topicscope.json"
    data = json.loads(meta.read_text())
    data["format_version"] = 99
    meta.write_text(json.dumps(data))
    with pytest.raises(PersistenceError, match="format_version 99"):
        TopicModel.load(tmp_path / "m")
    meta.write_text("{not json")
    with pytest.raises(PersistenceError, match="not valid JSON"):
        TopicModel.load(tmp_path / "m")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="must be a folder"):
        small_model.save(tmp_path / "file")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.dictionaries(st.integers(0, 5), st.text(min_size=1, max_size=20), min_size=1))
def test_custom_labels_round_trip(small_model, tmp_path_factory, labels):
    path = tmp_path_factory.mktemp("m")
    try:
        small_model.set_topic_labels(labels)
        small_model.save(path)
        loaded = TopicModel.load(path)
        assert loaded.custom_labels_ == small_model.custom_labels_
        assert all(loaded.custom_labels_[t] == v for t, v in labels.items())
    finally:
        small_model.state_.custom_labels = None


def test_every_state_field_round_trips(fitted_bbc, tmp_path):
    import dataclasses

    import scipy.sparse as sp

    model, _, _ = fitted_bbc
    model.save(tmp_path / "m", save_documents=True)
    loaded = TopicModel.load(tmp_path / "m")
    skip = {"candidate_docs", "candidate_embeddings", "_neighbor_index", "training_doc_term"}  # in memory only
    for field in dataclasses.fields(model.state_):
        if field.name in skip:
            continue
        a, b = getattr(model.state_, field.name), getattr(loaded.state_, field.name)
        if sp.issparse(a):
            assert (a != b).nnz == 0, field.name
        elif isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=field.name)
        else:
            assert a == b, field.name
    assert loaded.get_params() == {**model.get_params(), "embedding_model": None}


def test_numpy_parameters_save(octis_bbc, tmp_path):
    docs, _, emb = octis_bbc
    model = TopicModel(min_topic_size=np.int64(5), random_state=np.int64(1), top_n_words=np.int64(5))
    model.fit(docs[:300], embeddings=emb[:300])
    model.save(tmp_path / "m")
    assert TopicModel.load(tmp_path / "m").get_params()["min_topic_size"] == 5


def test_load_with_a_representation_model_re_describes_with_it(octis_bbc, tmp_path):
    """A representation model passed to load is used when topics are re-described (here by reduce_topics)."""
    from topicscope.representation import MaximalMarginalRelevance

    docs, _, emb = octis_bbc
    model = TopicModel(umap_model=PCA(10, random_state=0), hdbscan_model=KMeans(6, n_init=3, random_state=0))
    model.fit(docs[:600], embeddings=emb[:600])
    model.save(tmp_path / "m")
    before = model.get_topics()
    sizes_before = model.topic_sizes_
    mmr = MaximalMarginalRelevance(diversity=0.6)
    loaded = TopicModel.load(tmp_path / "m", representation_model=mmr)
    assert loaded.representation_model is mmr
    plain = TopicModel.load(tmp_path / "m")
    loaded.reduce_topics(5)
    plain.reduce_topics(5)
    assert loaded.topics_ == plain.topics_
    # The merged topic: the one whose size is the sum of two old topics'.
    merged = [t for t, n in loaded.topic_sizes_.items() if n not in sizes_before.values()]
    assert len(merged) == 1
    new_words = [w for w, _ in loaded.get_topic(merged[0])]
    n = loaded.topic_sizes_[merged[0]]
    parents = [(a, b) for a in sizes_before for b in sizes_before if a < b and sizes_before[a] + sizes_before[b] == n]
    assert parents
    for parent in parents[0]:
        assert new_words != [w for w, _ in before[parent]]
    # MMR re-ranked the merged topic's words: they differ from plain c-TF-IDF's...
    assert new_words != [w for w, _ in plain.get_topic(merged[0])]
    # ...and equal what the original, in-memory model computes with the same representation model.
    model.representation_model = mmr
    model.reduce_topics(5)
    assert loaded.get_topics() == model.get_topics()
