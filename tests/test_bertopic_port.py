"""BERTopic 0.17's own README and documentation examples, run with topicscope.

Each example is copied from BERTopic 0.17.4 (github.com/MaartenGr/BERTopic, the page is named
above it) and runs unmodified except for:

* the import lines (``from topicscope import TopicModel as BERTopic``, and topicscope's modules
  for BERTopic's sub-packages, e.g. ``Identity as BaseDimensionalityReduction``);
* data loading: a seeded sample of 3,000 20newsgroups posts from ../shared/data with their
  precomputed all-MiniLM-L6-v2 embeddings instead of ``fetch_20newsgroups``, so ``fit`` and
  ``fit_transform`` get ``embeddings`` as their second argument, and LLMs that run here (a local
  OpenAI-compatible server, the packaged Gemma GGUF) instead of OpenAI's API and Zephyr 7B;
* the lines marked ``# PORTING:``, which cannot run unmodified; each shows the one-line change that
  docs/porting.md lists.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import IncrementalPCA
from sklearn.linear_model import LogisticRegression

from conftest import load_corpus
from llm_server import ScriptedServer
from topicscope import TopicMapper
from topicscope import TopicModel as BERTopic
from topicscope.clustering import LabelsGiven as BaseCluster
from topicscope.clustering import hdbscan_clusterer
from topicscope.exceptions import InputError, NotFittedError
from topicscope.reduction import Identity as BaseDimensionalityReduction
from topicscope.reduction import umap_reducer
from topicscope.vectorize import ClassTfidfTransformer
from topicscope.vectorize.online import OnlineCountVectorizer

N_DOCS = 3000
DOC_INFO_COLUMNS = ["Document", "Topic", "Name", "Representation", "Representative_Docs", "Top_n_words",
                    "Probability", "Representative_document"]  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """One BLAS/OpenMP thread: after UMAP's numba threads have run, multi-threaded BLAS calls
    (IncrementalPCA's SVD) oversubscribe a small machine and run 4x slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def newsgroups_sample():
    """fetch_20newsgroups(subset='all', remove=(...)) stand-in: 3,000 posts plus 500 unseen ones."""
    texts, labels, emb = load_corpus("20newsgroups")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(texts))
    idx, unseen = np.sort(order[:N_DOCS]), order[N_DOCS : N_DOCS + 500]
    target_names = sorted(set(labels))
    target = np.array([target_names.index(lab) for lab in labels])
    data = {"data": [texts[i] for i in idx], "target": target[idx], "target_names": target_names}
    new = {"data": [texts[i] for i in unseen], "target": target[unseen]}
    return data, emb[idx], new, emb[unseen]


@pytest.fixture(scope="module")
def quick_start(newsgroups_sample):
    """README.md, "Quick Start"."""
    data, embeddings, _, _ = newsgroups_sample
    docs = data["data"]

    topic_model = BERTopic()
    topics, probs = topic_model.fit_transform(docs, embeddings)
    return topic_model, docs, topics, probs


@pytest.fixture(scope="module")
def with_outliers(newsgroups_sample):
    """BERTopic's default pipeline (UMAP + HDBSCAN, which has an outlier topic -1)."""
    data, embeddings, _, _ = newsgroups_sample
    docs = data["data"]
    # PORTING: BERTopic() -> BERTopic(umap_model=umap_reducer(len(docs), random_state=42), hdbscan_model=...)
    topic_model = BERTopic(umap_model=umap_reducer(len(docs), random_state=42), hdbscan_model=hdbscan_clusterer(10))
    topics, probs = topic_model.fit_transform(docs, embeddings)
    return topic_model, docs, topics, probs


def check_words(words, n=10):
    assert isinstance(words, list) and 0 < len(words) <= n
    assert all(isinstance(w, str) and isinstance(s, float) for w, s in words)
    scores = [s for _, s in words]
    assert scores == sorted(scores, reverse=True)


# ----------------------------------------------------------------------------- README.md
def test_readme_quick_start(quick_start):
    topic_model, docs, topics, probs = quick_start
    assert len(topics) == len(docs) and all(isinstance(t, int) for t in topics)
    assert probs.shape == (len(docs),) and ((probs >= 0) & (probs <= 1)).all()

    info = topic_model.get_topic_info()
    assert info.columns.tolist() == ["Topic", "Count", "Name", "Representation", "Representative_Docs"]
    assert info.Count.sum() == len(docs) and info.Topic.tolist() == sorted(set(topics))
    assert info.Name[0].startswith(f"{info.Topic[0]}_")

    words = topic_model.get_topic(0)
    check_words(words)
    assert info.Representation[info.Topic == 0].iloc[0] == [w for w, _ in words]

    doc_info = topic_model.get_document_info(docs)
    assert doc_info.columns.tolist() == DOC_INFO_COLUMNS
    assert doc_info.Document.tolist() == docs and doc_info.Topic.tolist() == topics
    assert doc_info.Top_n_words[0] == " - ".join(w for w, _ in topic_model.get_topic(topics[0]))
    assert ((doc_info.Probability > 0) & (doc_info.Probability <= 1)).all()
    representative = doc_info[doc_info.Representative_document]
    assert set(representative.Topic) == set(topics)
    assert all(
        d in topic_model.get_representative_docs(t) for d, t in zip(representative.Document, representative.Topic)
    )


def test_readme_common_methods(newsgroups_sample, tmp_path, monkeypatch):
    """README.md, "Functionality" > "Common" (the methods topicscope has)."""
    data, embeddings, new, new_embeddings = newsgroups_sample
    docs, new_doc = data["data"], new["data"][0]
    monkeypatch.chdir(tmp_path)

    topic_model = BERTopic().fit(docs, embeddings)
    topic, prob = topic_model.transform([new_doc], new_embeddings[:1])
    assert len(topic) == 1 and topic[0] in topic_model.topic_sizes_ and prob.shape == (1,)
    check_words(topic_model.get_topic(topic=1))
    assert list(topic_model.get_topics()) == sorted(topic_model.topic_sizes_)
    freq = topic_model.get_topic_freq()
    assert freq.columns.tolist() == ["Topic", "Count"] and freq.Count.is_monotonic_decreasing
    reps = topic_model.get_representative_docs()
    assert set(reps) == set(topic_model.topic_sizes_) and all(1 <= len(d) <= 3 for d in reps.values())
    labels = topic_model.generate_topic_labels()
    assert labels[0] == "0_" + "_".join(w for w, _ in topic_model.get_topic(0)[:3])
    my_custom_labels = {0: "The first topic"}
    topic_model.set_topic_labels(my_custom_labels)
    assert topic_model.get_topic_info().CustomName[0] == "The first topic"
    assert topic_model.custom_labels_[0] == "The first topic"
    n_before = len(topic_model.get_topic_info())
    topic_model.reduce_topics(docs, nr_topics=5)  # README: nr_topics=30, more than this sample's topics
    assert n_before > 5 and len(topic_model.get_topic_info()) == 5
    topic_model.save("my_model", serialization="safetensors")
    loaded = BERTopic.load("my_model")
    assert loaded.topics_ == topic_model.topics_ and loaded.get_topic(0) == topic_model.get_topic(0)
    assert topic_model.get_params()["nr_topics"] is None and "umap_model" in topic_model.get_params()
    # PORTING: transform("one document") -> transform(["one document"]): one str is refused.
    with pytest.raises(InputError, match="wrap one document in a list"):
        topic_model.transform(new_doc)


def test_readme_attributes(quick_start, with_outliers):
    """README.md, "Attributes": the types BERTopic gives them."""
    for topic_model, docs, topics, probs in (quick_start, with_outliers):
        ids = sorted(set(topics))
        assert topic_model.topics_ == topics
        assert topic_model.probabilities_ is probs
        assert topic_model.topic_sizes_ == {t: topics.count(t) for t in ids}
        assert list(topic_model.topic_labels_) == ids

        reps = topic_model.topic_representations_
        assert list(reps) == ids  # -1 first when present, as in BERTopic
        assert reps == topic_model.get_topics()
        for words in reps.values():
            check_words(words)

        matrix = topic_model.c_tf_idf_
        assert isinstance(matrix, sp.csr_matrix)
        vocabulary = topic_model.stages_.vectorizer.get_feature_names_out()
        assert matrix.shape == (len(ids), len(vocabulary))
        for row, t in enumerate(ids):  # row i is topic ids[i]; its best words are the topic's words
            weights = matrix[row].toarray().ravel()
            top = {vocabulary[j] for j in np.argsort(-weights)[: 3 * len(reps[t])] if weights[j] > 0}
            assert len({w for w, _ in reps[t]} & top) >= len(reps[t]) // 2, t
        matrix.data[:] = 0  # a copy: the model's weights are untouched
        assert topic_model.c_tf_idf_.nnz > 0

        rep_docs = topic_model.representative_docs_
        assert list(rep_docs) == ids
        for t, texts in rep_docs.items():
            assert texts and all(docs.index(d) >= 0 and topics[docs.index(d)] == t for d in texts)

        mapper = topic_model.topic_mapper_
        assert isinstance(mapper, TopicMapper)
        assert mapper.mappings_ == [[t, t] for t in ids]
        assert mapper.get_mappings() == {t: t for t in ids}
        assert topic_model.topic_embeddings_.shape == (len(ids), 384)
        assert topic_model.topic_aspects_ == {} and topic_model.custom_labels_ is None

    assert -1 in with_outliers[0].topic_representations_
    assert next(iter(with_outliers[0].topic_representations_)) == -1


def test_get_topic_freq(with_outliers):
    """BERTopic's get_topic_freq docstring: ``get_topic_freq()`` and ``get_topic_freq(12)``."""
    topic_model = with_outliers[0]
    frequency = topic_model.get_topic_freq()
    assert isinstance(frequency, pd.DataFrame) and frequency.columns.tolist() == ["Topic", "Count"]
    assert frequency.Count.is_monotonic_decreasing
    assert dict(zip(frequency.Topic, frequency.Count)) == topic_model.topic_sizes_
    frequency = topic_model.get_topic_freq(12)
    assert isinstance(frequency, int) and frequency == topic_model.topic_sizes_[12]
    assert topic_model.get_topic_freq(-1) == topic_model.topics_.count(-1) > 0
    # An unknown topic is an error (BERTopic's Counter answers 0 after fit, KeyError after load).
    with pytest.raises(InputError, match="topic must be one of the model's topics"):
        topic_model.get_topic_freq(999)


def test_get_document_info_with_df_and_metadata(newsgroups_sample):
    """BERTopic's get_document_info docstring: the caller's dataframe and metadata columns."""
    data, embeddings, _, _ = newsgroups_sample
    docs = data["data"]
    topic_model = BERTopic(calculate_probabilities=True)
    topics, topic_distr = topic_model.fit_transform(docs, embeddings)

    # The original data in a dataframe format to include the target variable
    df = pd.DataFrame({"Document": data["data"], "Class": data["target"]})

    # PORTING: approximate_distribution is not in topicscope: the distributions come from
    # fit_transform with calculate_probabilities=True (columns: the topics other than -1).
    distributions = [distr[topic] if topic != -1 else 0 for topic, distr in zip(topics, topic_distr)]

    document_info = topic_model.get_document_info(docs, df=df, metadata={"Topic_distribution": distributions})
    assert document_info.columns.tolist() == ["Document", "Class", *DOC_INFO_COLUMNS[1:], "Topic_distribution"]
    assert document_info.Class.tolist() == data["target"].tolist()
    assert document_info.Topic.tolist() == topics
    assert document_info.Topic_distribution.tolist() == distributions
    # Without outliers, a row of the probability matrix sums to 1 and its top column is the topic.
    np.testing.assert_allclose(topic_distr.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(document_info.Probability, distributions, rtol=1e-6)


# ------------------------------------------------------------ docs/getting_started/topicreduction
def test_topic_reduction_after_training(with_outliers):
    topic_model, docs, _, _ = with_outliers
    n_before = len(topic_model.get_topic_info())
    sizes_before = topic_model.topic_sizes_

    # Further reduce topics
    topic_model.reduce_topics(docs, nr_topics=30)

    # Access updated topics
    topics = topic_model.topics_

    # nr_topics counts the outlier topic -1, as in BERTopic: 29 topics plus -1.
    assert n_before > 30 and len(topic_model.get_topic_info()) == 30
    assert sorted(set(topics)) == list(range(-1, 29))
    assert topics.count(-1) == sizes_before[-1]  # the outlier topic never merges
    mapper = topic_model.topic_mapper_
    assert [row[0] for row in mapper.mappings_] == sorted(sizes_before)
    assert all(len(row) == 2 for row in mapper.mappings_)
    mappings = mapper.get_mappings()
    assert mappings[-1] == -1 and set(mappings.values()) == set(topics)
    for old, new in mappings.items():  # every fit-time topic's documents moved to its new id
        assert sizes_before[old] <= topic_model.topic_sizes_[new]
    with pytest.raises(InputError, match="original_topics=False is not supported"):
        mapper.get_mappings(original_topics=False)
    with pytest.raises(InputError, match="original_topics must be True or False"):
        mapper.get_mappings(original_topics="yes")


def test_default_pipeline_parameters_are_stored_verbatim():
    """BERTopic builds UMAP and HDBSCAN in __init__; topicscope stores what it is given (porting.md)."""
    topic_model = BERTopic()
    # PORTING: topic_model.umap_model.random_state = 42 -> BERTopic(umap_model=umap_reducer(n, random_state=42))
    assert topic_model.umap_model is None and topic_model.hdbscan_model is None
    with pytest.raises(AttributeError):
        topic_model.umap_model.random_state = 42
    for name in ("topic_representations_", "c_tf_idf_", "representative_docs_", "topic_mapper_"):
        with pytest.raises(NotFittedError):
            getattr(topic_model, name)
    with pytest.raises(NotFittedError):
        topic_model.get_topic_freq()


def test_topic_reduction_at_fit(newsgroups_sample):
    data, embeddings, _, _ = newsgroups_sample
    docs = data["data"]
    topic_model = BERTopic(nr_topics=20)
    topics, _ = topic_model.fit_transform(docs, embeddings)
    assert sorted(set(topics)) == list(range(20))

    topic_model = BERTopic(nr_topics="auto")
    auto_topics, _ = topic_model.fit_transform(docs, embeddings)
    plain = BERTopic()
    plain_topics, _ = plain.fit_transform(docs, embeddings)
    assert 2 <= len(set(auto_topics)) <= len(set(plain_topics))

    # fit(nr_topics=k) is fit() then reduce_topics(docs, k) when fit() finds at least k topics.
    assert len(set(plain_topics)) >= 5
    topic_model = BERTopic(nr_topics=5)
    topics, _ = topic_model.fit_transform(docs, embeddings)
    plain.reduce_topics(docs, nr_topics=5)
    assert topics == plain.topics_ and topic_model.get_topics() == plain.get_topics()


# ----------------------------------------------------------- docs/getting_started/serialization
def test_serialization(newsgroups_sample, tmp_path, monkeypatch):
    data, embeddings, new, new_embeddings = newsgroups_sample
    my_docs = data["data"]
    monkeypatch.chdir(tmp_path)

    topic_model = BERTopic().fit(my_docs, embeddings)

    # Method 1 - safetensors
    embedding_model = "sentence-transformers/all-MiniLM-L6-v2"
    topic_model.save("path/to/my/model_dir", serialization="safetensors", save_ctfidf=True, save_embedding_model=embedding_model)  # fmt: skip  # noqa: E501

    # Load from directory
    loaded_model = BERTopic.load("path/to/my/model_dir")
    assert loaded_model.topics_ == topic_model.topics_
    assert loaded_model.topic_representations_ == topic_model.topic_representations_
    assert (loaded_model.c_tf_idf_ != topic_model.c_tf_idf_).nnz == 0
    assert loaded_model.topic_mapper_.mappings_ == topic_model.topic_mapper_.mappings_
    assert loaded_model.embedding_model is None  # that name is the packaged default model: loaded offline
    new_topics, _ = topic_model.transform(new["data"], new_embeddings)
    assert loaded_model.transform(new["data"], new_embeddings)[0] == new_topics
    # Training text is stored only when asked (save_documents=True): see porting.md.
    assert loaded_model.representative_docs_ == {}

    topic_model.save("with_documents", save_documents=True)  # topicscope's opt-in for training text
    assert BERTopic.load("with_documents").representative_docs_ == topic_model.representative_docs_

    # Method 2 - pytorch (the same safe format); save_ctfidf=False: recomputed at load
    topic_model.save("path/to/my/model_dir", serialization="pytorch", save_ctfidf=False, save_embedding_model=embedding_model)  # fmt: skip  # noqa: E501
    assert not any("ctfidf" in p.name for p in Path("path/to/my/model_dir").iterdir())
    loaded_model = BERTopic.load("path/to/my/model_dir")
    np.testing.assert_allclose(loaded_model.c_tf_idf_.toarray(), topic_model.c_tf_idf_.toarray(), rtol=1e-6)

    # Method 3 - pickle: refused, and nothing is written.
    with pytest.raises(InputError, match="loading a pickle can run arbitrary code"):
        topic_model.save("my_model", serialization="pickle")
    assert not Path("my_model").exists()


# --------------------------------------------------------------------- docs/getting_started/merge
def test_merge_models(newsgroups_sample):
    from umap import UMAP

    data, embeddings, _, _ = newsgroups_sample
    abstracts_1, abstracts_2, abstracts_3 = data["data"][:1000], data["data"][1000:2000], data["data"][2000:3000]
    emb_1, emb_2, emb_3 = embeddings[:1000], embeddings[1000:2000], embeddings[2000:3000]

    # Create topic models
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric='cosine', random_state=42)  # fmt: skip
    topic_model_1 = BERTopic(umap_model=umap_model, min_topic_size=20).fit(abstracts_1, emb_1)
    topic_model_2 = BERTopic(umap_model=umap_model, min_topic_size=20).fit(abstracts_2, emb_2)
    topic_model_3 = BERTopic(umap_model=umap_model, min_topic_size=20).fit(abstracts_3, emb_3)
    assert not hasattr(umap_model, "embedding_")  # the user's UMAP is cloned, never fitted in place

    # Combine all models into one
    merged_model = BERTopic.merge_models([topic_model_1, topic_model_2, topic_model_3])
    n_1 = len(topic_model_1.get_topic_info())
    n_parts = [len(m.get_topic_info()) for m in (topic_model_1, topic_model_2, topic_model_3)]
    assert n_1 < len(merged_model.get_topic_info()) < sum(n_parts)
    tail = merged_model.get_topic_info().tail(5)
    assert tail.Topic.tolist() == list(range(len(merged_model.get_topic_info()) - 6, len(merged_model.get_topic_info()) - 1))  # fmt: skip  # noqa: E501

    # Combine all models into one
    merged_model_09 = BERTopic.merge_models([topic_model_1, topic_model_2, topic_model_3], min_similarity=0.9)
    assert len(merged_model.get_topic_info()) < len(merged_model_09.get_topic_info()) <= sum(n_parts)
    # The first model's topics come first, unchanged.
    assert merged_model_09.merge_mappings_[0] == {t: t for t in topic_model_1.topic_sizes_}
    assert merged_model_09.topics_ == [*topic_model_1.topics_, *[
        merged_model_09.merge_mappings_[i][t] for i, m in ((1, topic_model_2), (2, topic_model_3)) for t in m.topics_
    ]]  # fmt: skip
    ids = sorted(merged_model_09.topic_sizes_)
    assert merged_model_09.topic_mapper_.mappings_ == [[t, t] for t in ids]


# -------------------------------------------------------------------- docs/getting_started/online
def test_online_topic_modeling(newsgroups_sample):
    data, embeddings, _, _ = newsgroups_sample
    all_docs = data["data"]
    doc_chunks = [all_docs[i:i+1000] for i in range(0, len(all_docs), 1000)]  # fmt: skip
    emb_chunks = [embeddings[i : i + 1000] for i in range(0, len(all_docs), 1000)]

    # Prepare sub-models that support online learning
    umap_model = IncrementalPCA(n_components=5)
    cluster_model = MiniBatchKMeans(n_clusters=50, random_state=0)
    vectorizer_model = OnlineCountVectorizer(stop_words="english", decay=.01)  # fmt: skip

    topic_model = BERTopic(umap_model=umap_model,
                           hdbscan_model=cluster_model,
                           vectorizer_model=vectorizer_model)  # fmt: skip

    # Incrementally fit the topic model by training on 1000 documents at a time
    batch_topics = []
    for docs, emb in zip(doc_chunks, emb_chunks):
        topic_model.partial_fit(docs, emb)
        batch_topics.extend(topic_model.topics_[-len(docs) :])
    # PORTING: the docs' tip ends with `topic_model.topics_ = topics`: topicscope's topics_ already
    # holds every batch (BERTopic's: the last batch only), and it is read-only.
    assert len(topic_model.topics_) == len(all_docs) and topic_model.topics_ == batch_topics
    with pytest.raises(InputError, match="topics_ is read-only"):
        topic_model.topics_ = batch_topics
    ids = sorted(set(batch_topics))
    assert 10 <= len(ids) <= 50 and -1 not in ids
    assert list(topic_model.topic_representations_) == ids == sorted(topic_model.topic_sizes_)
    assert topic_model.c_tf_idf_.shape[0] == len(ids)
    assert topic_model.topic_mapper_.get_mappings() == {t: t for t in ids}
    doc_info = topic_model.get_document_info(all_docs)
    assert doc_info.columns.tolist() == DOC_INFO_COLUMNS and doc_info.Topic.tolist() == batch_topics
    # y is accepted for the signature but refused: online clustering takes no labels.
    with pytest.raises(InputError, match="y is not supported by partial_fit"):
        topic_model.partial_fit(doc_chunks[0], emb_chunks[0], y=data["target"][:1000])


# ----------------------------------------------------------- docs/getting_started/supervised, manual
def test_supervised(newsgroups_sample, tmp_path):
    data, embeddings, new, new_embeddings = newsgroups_sample
    docs = data["data"]
    y = data["target"]

    # Skip over dimensionality reduction, replace cluster model with classifier,
    # and reduce frequent words while we are at it.
    empty_dimensionality_model = BaseDimensionalityReduction()
    clf = LogisticRegression()
    ctfidf_model = ClassTfidfTransformer(reduce_frequent_words=True)

    # Create a fully supervised BERTopic instance
    topic_model= BERTopic(
            umap_model=empty_dimensionality_model,
            hdbscan_model=clf,
            ctfidf_model=ctfidf_model
    )  # fmt: skip
    topics, probs = topic_model.fit_transform(docs, embeddings, y=y)  # noqa: RUF059
    assert topics == y.tolist()  # topicscope keeps the labels as topic ids

    # Map input `y` to topics
    mappings = topic_model.topic_mapper_.get_mappings()
    mappings = {value: data["target_names"][key] for key, value in mappings.items()}

    # Assign original classes to our topics
    df = topic_model.get_topic_info()
    df["Class"] = df.Topic.map(mappings)
    assert df.Class.tolist() == [data["target_names"][t] for t in df.Topic]
    assert len(df) == 20 and "hockey" in [w for w, _ in topic_model.get_topic(data["target_names"].index("rec.sport.hockey"))]  # fmt: skip  # noqa: E501

    mappings = topic_model.topic_mapper_.get_mappings()
    y_mapped = [mappings[val] for val in y]
    assert y_mapped == topics

    # New documents go through the fitted classifier, as in BERTopic.
    new_topics, new_probs = topic_model.transform(new["data"], new_embeddings)
    assert np.mean(np.array(new_topics) == new["target"]) > 0.5
    assert new_probs.shape == (len(new_topics),) and (new_probs > 0).all()

    # The classifier disagrees with some training labels; the neighbour index gives them back.
    train_topics, _ = topic_model.transform(docs[:300], embeddings[:300])
    assert train_topics != topics[:300] and np.mean(np.array(train_topics) == y[:300]) > 0.7

    # A loaded model has no classifier (nothing executable is saved): its neighbour index assigns.
    topic_model.save(tmp_path / "supervised")
    loaded = BERTopic.load(tmp_path / "supervised")
    loaded_train, _ = loaded.transform(docs[:300], embeddings[:300])
    texts = [i for i in range(300) if docs[i].strip()]  # empty posts share one embedding, not one label
    assert len(texts) >= 290 and [loaded_train[i] for i in texts] == [topics[i] for i in texts]
    loaded_topics, _ = loaded.transform(new["data"], new_embeddings)
    assert set(loaded_topics) <= set(range(20)) and np.mean(np.array(loaded_topics) == new["target"]) > 0.4


def test_manual(newsgroups_sample):
    data, embeddings, _, _ = newsgroups_sample
    docs = data["data"]
    y = data["target"]

    # Prepare our empty sub-models and reduce frequent words while we are at it.
    # PORTING: BaseEmbedder() has no counterpart: topicscope embeds the documents (topic embeddings,
    # probabilities, transform); pass precomputed embeddings to fit_transform to skip the model.
    empty_embedding_model = None
    empty_dimensionality_model = BaseDimensionalityReduction()
    empty_cluster_model = BaseCluster()
    ctfidf_model = ClassTfidfTransformer(reduce_frequent_words=True)

    # Fit BERTopic without actually performing any clustering
    topic_model= BERTopic(
            embedding_model=empty_embedding_model,
            umap_model=empty_dimensionality_model,
            hdbscan_model=empty_cluster_model,
            ctfidf_model=ctfidf_model
    )  # fmt: skip
    topics, probs = topic_model.fit_transform(docs, embeddings, y=y)  # noqa: RUF059

    # Map input `y` to topics
    mappings = topic_model.topic_mapper_.get_mappings()
    mappings = {value: data["target_names"][key] for key, value in mappings.items()}

    # Assign original classes to our topics
    df = topic_model.get_topic_info()
    df["Class"] = df.Topic.map(mappings)
    assert df.Class.tolist() == [data["target_names"][t] for t in df.Topic] and len(df) == 20

    mappings = topic_model.topic_mapper_.get_mappings()
    y_mapped = [mappings[val] for val in y]
    assert y_mapped == topics == y.tolist()
    assert "space" in [w for w, _ in topic_model.get_topic(data["target_names"].index("sci.space"))]


# ------------------------------------------------------------ docs/getting_started/representation/llm
def test_openai_through_an_openai_client(newsgroups_sample):
    """llm.md, "Ollama": an ``openai.OpenAI`` client to a local server, BERTopic's OpenAI form."""
    openai = pytest.importorskip("openai", reason="the openai package is not installed")
    from topicscope.representation import OpenAI

    data, embeddings, _, _ = newsgroups_sample
    docs = data["data"]
    with ScriptedServer() as server:
        client = openai.OpenAI(
            base_url = server.url,  # wherever ollama is running (its default: 'http://localhost:11434/v1')
            api_key='ollama', # required, but unused
        )  # fmt: skip

        # Create your representation model
        representation_model = OpenAI(client, model='phi3:14b-medium-128k-instruct-q4_K_M')  # fmt: skip

        # Create your BERTopic model
        topic_model = BERTopic(representation_model=representation_model,  verbose=True)  # fmt: skip
        topics, _ = topic_model.fit_transform(docs, embeddings)
    n_topics = len(set(topics))
    prompts = [request["messages"][-1]["content"] for request in server.requests]
    assert len(prompts) == n_topics
    # The label is the Name; the words stay the topic's keywords (BERTopic: [(label, 1)]).
    info = topic_model.get_topic_info()
    assert sorted(info.Name) == sorted(f"Label {n}" for n in range(1, n_topics + 1))
    assert info.Representation.tolist() == [[w for w, _ in ws] for ws in topic_model.topic_representations_.values()]
    check_words(topic_model.get_topic(0))
    # Each prompt carries one topic's keywords (and documents), as BERTopic's default prompt does.
    for topic, words in topic_model.topic_representations_.items():
        keywords = ", ".join(w for w, _ in words)
        assert sum(keywords in prompt for prompt in prompts) == (topic != -1)


@pytest.mark.llm
@pytest.mark.slow
def test_llamacpp_with_a_gguf_path(gguf_path):
    """llm.md, "llama.cpp": ``LlamaCPP("model.gguf")``, with the packaged Gemma GGUF for Zephyr 7B and
    300 short crisislex tweets (long newsgroup posts overflow a 4,096-token context in one prompt).
    ``gguf_path`` (conftest) has already had one completion come back in a child process."""
    from topicscope.representation import LlamaCPP

    path = gguf_path
    tweets, _, tweet_embeddings = load_corpus("crisislex_tweets")
    docs, embeddings = tweets[:300], tweet_embeddings[:300]

    # Use llama.cpp to load in a 4-bit quantized version of Zephyr 7B Alpha
    representation_model = LlamaCPP(path)

    # Create our BERTopic model
    topic_model = BERTopic(representation_model=representation_model,  verbose=True)  # fmt: skip
    topics, _ = topic_model.fit_transform(docs, embeddings)
    info = topic_model.get_topic_info()
    assert len(info) == len(set(topics)) >= 2 and info.Name.is_unique
    keyword_names = [", ".join(words[:4]) for words in info.Representation]
    assert sum(name != fallback for name, fallback in zip(info.Name, keyword_names)) >= 1  # labelled by the model
