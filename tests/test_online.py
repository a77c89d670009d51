"""partial_fit: online topic modelling over batches of octis_dblp titles, and OnlineCountVectorizer."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import load_corpus
from topicscope import TopicModel
from topicscope.exceptions import InputError, NotFittedError
from topicscope.vectorize.online import OnlineCountVectorizer

BATCH = 1000
N_BATCHES = 4
CAP = 40  # index rows per topic in the streamed fixture


class LeaderClusterer:
    """A tiny incremental clusterer whose number of clusters grows: a point farther than
    ``radius`` from every centre starts a new cluster (so new topics appear in later batches)."""

    def __init__(self, radius: float = 1.0) -> None:
        self.radius = radius

    def get_params(self, deep: bool = True) -> dict:
        return {"radius": self.radius}

    def set_params(self, **params):
        self.__dict__.update(params)
        return self

    def partial_fit(self, X, y=None):
        centres = list(getattr(self, "centres_", np.zeros((0, X.shape[1]))))
        for x in X:
            if not centres or np.min(np.linalg.norm(np.array(centres) - x, axis=1)) > self.radius:
                centres.append(x)
        self.centres_ = np.array(centres)
        return self

    def predict(self, X):
        d = np.linalg.norm(X[:, None, :] - self.centres_[None, :, :], axis=2)
        return np.argmin(d, axis=1)


def _model(clusterer=None, random_state=0, **kwargs) -> TopicModel:
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import IncrementalPCA

    return TopicModel(
        umap_model=IncrementalPCA(n_components=5),
        hdbscan_model=clusterer if clusterer is not None else MiniBatchKMeans(n_clusters=15, n_init=3, random_state=0),
        random_state=random_state,
        **kwargs,
    )


@pytest.fixture(scope="module")
def dblp():
    docs, labels, emb = load_corpus("octis_dblp", limit=BATCH * N_BATCHES)
    return docs, labels, emb


def _batches(dblp, n=N_BATCHES):
    docs, _, emb = dblp
    return [(docs[i * BATCH : (i + 1) * BATCH], emb[i * BATCH : (i + 1) * BATCH]) for i in range(n)]


@pytest.fixture(scope="module")
def streamed(dblp):
    """One model streamed over every batch, with what it looked like after each batch."""
    model = _model()
    history = []
    for docs, emb in _batches(dblp):
        model.partial_fit(docs, emb, index_rows_per_topic=CAP)
        ids, counts = np.unique(model.state_.index_topics, return_counts=True)
        history.append(
            {
                "vocabulary": [str(w) for w in model.state_.vocabulary],
                "index": dict(zip(ids.tolist(), counts.tolist())),
                "index_rows": len(model.state_.index_embeddings),
                "sizes": dict(model.topic_sizes_),
            }
        )
    model.history = history
    return model


def test_topic_table_covers_all_batches(dblp, streamed):
    n = BATCH * N_BATCHES
    assert len(streamed.topics_) == n
    assert sum(streamed.topic_sizes_.values()) == n
    info = streamed.get_topic_info()
    assert int(info["Count"].sum()) == n
    assert streamed.state_.online.batches == N_BATCHES
    # Class-term counts accumulate over every batch: they equal the counts of all documents.
    docs, _, _ = dblp
    total = streamed.stages_.vectorizer.transform(docs).sum()
    assert streamed.state_.class_term.sum() == pytest.approx(total)
    # Topic embeddings: the mean of each topic's documents over all batches.
    emb = dblp[2]
    topics = np.array(streamed.topics_)
    t = int(streamed.state_.topic_ids[0])
    mean = emb[topics == t].mean(axis=0)
    assert np.allclose(streamed.topic_embeddings_[0], mean / np.linalg.norm(mean), atol=1e-5)
    # The user's components are never fitted; the model's clones are.
    assert not hasattr(streamed.umap_model, "components_")
    assert hasattr(streamed.stages_.reducer, "components_")


def test_transform_after_partial_fit(dblp, streamed):
    docs, _, emb = dblp
    topics, probs = streamed.transform(docs[:50], embeddings=emb[:50])
    assert len(topics) == 50 and probs.shape == (50,)
    assert set(topics) <= set(streamed.topic_sizes_)


def test_document_info_after_partial_fit(dblp, streamed):
    """Probabilities of streamed documents come from their batch's neighbours, not from index rows."""
    docs, _, _ = dblp
    n_seen = len(streamed.topics_)
    # The bounded index holds fewer rows than documents seen, so it cannot be "the documents in order".
    assert len(streamed.state_.index_topics) < n_seen
    info = streamed.get_document_info(docs[:n_seen])
    assert len(info) == n_seen and info.Topic.tolist() == streamed.topics_
    assert ((info.Probability > 0) & (info.Probability <= 1)).all()
    # Each document counts itself once (weight 1); its own index row is not counted again.
    others = streamed.state_.neighbor_weights[:, 1:]
    assert (streamed.state_.neighbor_weights[:, 0] == 1).all() and (others < 0.999).mean() > 0.99
    # Its own topic always has a share, and neighbours mostly agree:
    # the mean share is far above a uniform share over the topics (measured 0.50 with 15 topics).
    assert info.Probability.mean() > 4 / len(streamed.topic_sizes_)
    with pytest.raises(InputError, match="training documents"):
        streamed.get_document_info(docs[: n_seen - 1])


def test_vocabulary_grows(dblp, streamed):
    batches = _batches(dblp, 3)
    analyzer = OnlineCountVectorizer().build_analyzer()
    early = {w for docs, _ in batches[:2] for d in docs for w in analyzer(d)}
    late = [w for d in batches[2][0] for w in analyzer(d) if w not in early]
    assert late, "batch 3 should bring new words"
    sizes = [len(h["vocabulary"]) for h in streamed.history]
    assert sizes[0] < sizes[1] < sizes[2]
    assert late[0] not in streamed.history[1]["vocabulary"]
    assert late[0] in streamed.history[2]["vocabulary"]
    vocab = [str(w) for w in streamed.state_.vocabulary]
    assert vocab[: sizes[1]] == streamed.history[1]["vocabulary"]  # columns of earlier batches keep their place
    assert streamed.state_.class_term[:, vocab.index(late[0])].sum() > 0


def test_new_topic_ids_appear(dblp):
    docs, labels, emb = dblp
    labels = np.array(labels)
    # Stream one area of computer science first, then another: new clusters, so new topic ids.
    first = np.flatnonzero(labels == labels[0])[:800]
    second = np.flatnonzero(labels != labels[0])[:800]
    model = _model(clusterer=LeaderClusterer(radius=0.45))
    model.partial_fit([docs[i] for i in first], embeddings=emb[first])
    before = set(model.topic_sizes_)
    model.partial_fit([docs[i] for i in second], embeddings=emb[second])
    after = set(model.topic_sizes_)
    new = after - before
    assert before < after and new
    assert min(new) > max(before)
    assert set(model.topics_[800:]) & new
    assert sum(model.topic_sizes_.values()) == 1600


def test_decay_reduces_old_counts(dblp):
    batches = _batches(dblp, 2)
    plain = _model()
    decayed = _model(vectorizer_model=OnlineCountVectorizer(decay=0.5))
    plain.partial_fit(*batches[0])
    decayed.partial_fit(*batches[0])
    first_total = plain.state_.class_term.sum()
    assert decayed.state_.class_term.sum() == pytest.approx(first_total)
    plain.partial_fit(*batches[1])
    decayed.partial_fit(*batches[1])
    second_batch = plain.state_.class_term.sum() - first_total
    assert decayed.state_.class_term.sum() == pytest.approx(0.5 * first_total + second_batch)
    # A word seen only in batch 1 keeps half its count.
    analyzer = OnlineCountVectorizer().build_analyzer()
    later = {w for d in batches[1][0] for w in analyzer(d)}
    vocab = [str(w) for w in decayed.state_.vocabulary]
    word = next(w for w in vocab if w not in later)
    col = vocab.index(word)
    assert decayed.state_.class_term[:, col].sum() == pytest.approx(0.5 * plain.state_.class_term[:, col].sum())
    assert decayed.state_.online.decay == 0.5


def test_index_is_bounded(dblp, streamed):
    for h in streamed.history:
        assert max(h["index"].values()) <= CAP
        # A reservoir per topic: full once the topic has CAP documents.
        assert h["index"] == {t: min(n, CAP) for t, n in h["sizes"].items()}
        assert h["index_rows"] <= CAP * len(h["sizes"])
    assert streamed.history[-1]["index_rows"] < BATCH * N_BATCHES
    assert streamed.state_.online.index_rows_per_topic == CAP
    with pytest.raises(InputError, match="index_rows_per_topic"):
        _model().partial_fit(*_batches(dblp, 1)[0], index_rows_per_topic=0)


def test_deterministic_with_random_state(dblp):
    runs = []
    for _ in range(2):
        model = _model(random_state=7)
        for docs, emb in _batches(dblp, 2):
            model.partial_fit(docs, emb, index_rows_per_topic=30)
        runs.append(model)
    a, b = runs
    assert a.topics_ == b.topics_
    assert a.topic_labels_ == b.topic_labels_
    assert np.array_equal(a.state_.index_embeddings, b.state_.index_embeddings)
    assert np.array_equal(a.state_.index_topics, b.state_.index_topics)


def test_save_load_after_partial_fit(tmp_path, dblp, streamed):
    docs, _, emb = dblp
    streamed.save(tmp_path / "m")
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.topic_labels_ == streamed.topic_labels_
    assert loaded.topics_ == streamed.topics_
    assert loaded.transform(docs[:20], embeddings=emb[:20])[0] == streamed.transform(docs[:20], embeddings=emb[:20])[0]
    with pytest.raises(InputError, match="partial_fit"):
        loaded.partial_fit(docs[:100], embeddings=emb[:100])


def test_errors_for_non_incremental_stages(dblp):
    from sklearn.cluster import HDBSCAN, MiniBatchKMeans
    from sklearn.decomposition import PCA
    from sklearn.feature_extraction.text import CountVectorizer

    docs, emb = _batches(dblp, 1)[0]
    with pytest.raises(InputError, match="umap_model.*IncrementalPCA"):
        TopicModel().partial_fit(docs, embeddings=emb)
    with pytest.raises(InputError, match="hdbscan_model.*MiniBatchKMeans"):  # PCA itself is accepted (fit once)
        TopicModel(umap_model=PCA(5)).partial_fit(docs, embeddings=emb)
    with pytest.raises(InputError, match="umap_model must have partial_fit.*got str"):
        TopicModel(umap_model="pca", hdbscan_model=MiniBatchKMeans(5)).partial_fit(docs, embeddings=emb)
    with pytest.raises(InputError, match="hdbscan_model.*MiniBatchKMeans"):
        _model(clusterer=HDBSCAN()).partial_fit(docs, embeddings=emb)
    with pytest.raises(InputError, match="vectorizer_model.*OnlineCountVectorizer"):
        _model(vectorizer_model=CountVectorizer()).partial_fit(docs, embeddings=emb)
    with pytest.raises(InputError, match="nr_topics"):
        _model(nr_topics=5).partial_fit(docs, embeddings=emb)
    fitted = _model().fit(docs[:300], embeddings=emb[:300])
    with pytest.raises(InputError, match="partial_fit"):
        fitted.partial_fit(docs, embeddings=emb)


def test_online_count_vectorizer():
    vec = OnlineCountVectorizer()
    with pytest.raises(NotFittedError):
        vec.transform(["a text"])
    vec.partial_fit(["graph neural network", "graph database"])
    assert list(vec.get_feature_names_out()) == ["graph", "neural", "network", "database"]
    vec.partial_fit(["quantum graph"])
    assert list(vec.get_feature_names_out())[:4] == ["graph", "neural", "network", "database"]
    counts = vec.transform(["graph graph quantum unseen"]).toarray()
    assert counts.tolist() == [[2, 0, 0, 0, 1]]
    assert list(vec.fit(["unfitted_copy start"]).get_feature_names_out()) == ["unfitted_copy", "start"]
    assert vec.fit_transform(["the graph"]).toarray().tolist() == [[1]]  # stop words dropped
    for bad in (1.0, -0.1, "x"):
        with pytest.raises(InputError, match="decay"):
            OnlineCountVectorizer(decay=bad).partial_fit(["a b"])


def test_reduce_ends_the_stream_with_a_clear_error(dblp):
    model = _model()
    batches = _batches(dblp, 2)
    model.partial_fit(*batches[0])
    model.reduce_topics(3)
    assert len([t for t in model.topic_sizes_ if t != -1]) == 3
    with pytest.raises(InputError, match="cannot learn online"):
        model.partial_fit(*batches[1])
