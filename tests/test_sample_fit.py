"""fit_sample_size: fit the structure on a seeded sample, assign the rest, exact words over all documents."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer

from conftest import assert_same_state, load_corpus
from topicscope import TopicModel
from topicscope._neighbors import GRAPH_K, NO_TOPIC, NeighborIndex, index_vectors, normalise_rows
from topicscope._topics import CORE_SHARE
from topicscope.exceptions import InputError
from topicscope.pipeline.sampling import (
    DEFAULT_FIT_SAMPLE_SIZE,
    add_totals,
    assign_block,
    block_candidates,
    block_totals,
    concat_assigned,
    draw_sample,
    merge_candidates,
    sample_plan,
    topic_centres,
)

SAMPLE = 800


@pytest.fixture(scope="module")
def corpus():
    return load_corpus("bbc_news")


@pytest.fixture(scope="module")
def sampled(corpus):
    docs, _, emb = corpus
    return TopicModel(random_state=0, fit_sample_size=SAMPLE).fit(docs, emb)


def test_up_to_the_sample_size_a_fit_is_unchanged(corpus):
    docs, _, emb = corpus
    plain = TopicModel(random_state=0, fit_sample_size=None).fit(docs, emb)
    for size in (len(docs), DEFAULT_FIT_SAMPLE_SIZE):
        assert_same_state(plain.state_, TopicModel(random_state=0, fit_sample_size=size).fit(docs, emb).state_)
    assert TopicModel().fit_sample_size == DEFAULT_FIT_SAMPLE_SIZE
    assert len(plain.state_.index_embeddings) == len(docs)


def test_the_sample_is_seeded_and_reproducible(corpus, sampled):
    docs, _, emb = corpus
    again = TopicModel(random_state=0, fit_sample_size=SAMPLE).fit(docs, emb)
    assert_same_state(sampled.state_, again.state_)
    other = TopicModel(random_state=1, fit_sample_size=SAMPLE).fit(docs, emb)
    assert not np.array_equal(other.state_.index_embeddings, sampled.state_.index_embeddings)
    rows = draw_sample(len(docs), SAMPLE, 0)
    assert len(rows) == SAMPLE == len(np.unique(rows)) and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, draw_sample(len(docs), SAMPLE, 0))
    assert np.array_equal(draw_sample(len(docs), SAMPLE, None), rows)  # None: the default seed, 0
    assert np.array_equal(draw_sample(50, 80, 3), np.arange(50))


def test_a_sample_fit_is_an_ordinary_model_over_every_document(corpus, sampled):
    docs, _, emb = corpus
    state = sampled.state_
    n = len(docs)
    rows = draw_sample(n, SAMPLE, 0)
    vectors = index_vectors(emb)
    # The index holds the sample; topics, sizes and neighbours cover every document.
    assert state.index_embeddings.shape == (SAMPLE, emb.shape[1])
    assert np.array_equal(state.index_topics, state.doc_topics[rows])
    assert len(sampled.topics_) == n and state.neighbor_topics.shape[0] == n
    assert np.array_equal(state.sizes, [(state.doc_topics == t).sum() for t in state.topic_ids])
    assert int(state.sizes.sum()) == n
    # The vocabulary is fitted on all documents, not the sample.
    assert list(state.vocabulary) == list(CountVectorizer(stop_words="english").fit(docs).get_feature_names_out())
    # Topic embeddings are means over all of each topic's documents.
    means = normalise_rows(np.stack([vectors[state.doc_topics == t].mean(axis=0) for t in state.topic_ids]))
    assert np.allclose(state.topic_embeddings, means, atol=1e-5)
    # Words count the core documents of all documents: a sample document by its graph neighbours
    # (as in a plain fit), an assigned one by the sample neighbours it was assigned by.
    graph, _ = NeighborIndex(vectors[rows]).graph(GRAPH_K)
    topics = state.doc_topics
    core = np.zeros(n, dtype=bool)
    core[rows] = (topics[rows][graph] == topics[rows][:, None]).sum(axis=1) >= CORE_SHARE * GRAPH_K
    rest = np.setdiff1d(np.arange(n), rows)
    kept = state.neighbor_topics[rest, 1:]
    valid = kept != NO_TOPIC
    core[rest] = ((kept == topics[rest, None]) & valid).sum(axis=1) >= CORE_SHARE * valid.sum(axis=1)
    assert core.mean() > 0.5
    doc_term = CountVectorizer(stop_words="english").fit_transform(docs)
    expected = np.stack([np.asarray(doc_term[core & (topics == t)].sum(axis=0)).ravel() for t in state.topic_ids])
    assert np.array_equal(state.class_term.toarray(), expected)
    # Representative documents: the most central documents of all of each topic's documents.
    for row, t in enumerate(state.topic_ids):
        members = np.flatnonzero(topics == t)
        best = members[np.argmax(vectors[members] @ state.topic_embeddings[row])]
        assert state.representative_docs[int(t)][0] == docs[best]


def test_transform_and_the_verbs_work_on_a_sample_fit(corpus, sampled, tmp_path):
    docs, _, emb = corpus
    state = sampled.state_
    topics, _ = sampled.transform(docs, emb)
    assert topics == sampled.topics_  # assigned documents are assigned again as at fit
    info = sampled.get_document_info(docs)
    assert len(info) == len(docs) and list(info["Topic"]) == sampled.topics_
    assert info["Probability"].between(0, 1).all() and info["Probability"].dtype == np.float64
    _, fit_probs = TopicModel(random_state=0, fit_sample_size=SAMPLE).fit_transform(docs, emb)
    assert np.array_equal(info["Probability"].to_numpy(), fit_probs)
    stamps = [f"2020-{1 + i % 12:02d}-01" for i in range(len(docs))]
    over_time = sampled.topics_over_time(docs, stamps, nr_bins=4)
    assert over_time["Frequency"].sum() == len(docs)
    assert len(sampled.hierarchical_topics(docs)) == len(state.topic_ids) - 1 - int(-1 in state.topic_ids)
    sampled.save(tmp_path / "m")
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.fit_sample_size == SAMPLE and loaded.topics_ == sampled.topics_
    assert loaded.topic_sizes_ == sampled.topic_sizes_
    reloaded_topics, _ = loaded.transform(docs, emb)
    assert np.mean(np.array(reloaded_topics) == np.array(sampled.topics_)) > 0.995
    reduced = clone(sampled).fit(docs, emb).reduce_topics(docs, nr_topics=3)
    assert len(reduced.topic_sizes_) == 3 and sum(reduced.topic_sizes_.values()) == len(docs)


def test_nr_topics_and_given_labels_on_a_sample(corpus):
    docs, labels, emb = corpus
    reduced = TopicModel(random_state=0, fit_sample_size=SAMPLE, nr_topics=3).fit(docs, emb)
    assert len(reduced.topic_sizes_) == 3 and sum(reduced.topic_sizes_.values()) == len(docs)
    # As fit() then reduce_topics(): an assigned document keeps the merged topic it was assigned to;
    # assigning it again over the merged topics can pick another for a document at a border.
    again = np.array(reduced.transform(docs, emb)[0])
    assert np.mean(again == np.array(reduced.topics_)) >= 0.99
    from topicscope.clustering import LabelsGiven

    y = np.unique(labels, return_inverse=True)[1]
    manual = TopicModel(random_state=0, fit_sample_size=SAMPLE, hdbscan_model=LabelsGiven()).fit(docs, emb, y=y)
    assert manual.topics_ == y.tolist()  # every document keeps its label, sampled or not
    assert len(manual.state_.index_embeddings) == SAMPLE


def test_blocks_give_the_same_answer_however_the_rows_are_split(corpus, sampled):
    """The pieces both engines run are exact whatever the blocks (the Dask engine's partitions)."""
    from topicscope.pipeline import fit_structure

    docs, _, emb = corpus
    vectors = index_vectors(emb)
    rows = draw_sample(len(docs), SAMPLE, 0)
    found = fit_structure(sampled.settings(), vectors[rows], None, None, sample_fraction=SAMPLE / len(docs))
    plan = sample_plan(found, rows, vectors[rows])
    whole = assign_block(plan, vectors, np.arange(len(docs)))
    assert np.array_equal(whole.topics, sampled.state_.doc_topics)
    cuts = [0, 1, 2, 5, 300, 301, 1500, len(docs)]
    pieces = [(a, b) for a, b in itertools.pairwise(cuts)]
    split = concat_assigned([assign_block(plan, vectors[a:b], np.arange(a, b)) for a, b in pieces])
    for name in ("topics", "neighbor_topics", "neighbor_weights", "core"):
        assert np.array_equal(getattr(split, name), getattr(whole, name)), name
    ids = np.unique(whole.topics)
    doc_term = sp.csr_matrix(CountVectorizer(stop_words="english").fit_transform(docs))
    total = block_totals(doc_term, vectors, whole.topics, whole.core, ids)
    parts = [block_totals(doc_term[a:b], vectors[a:b], whole.topics[a:b], whole.core[a:b], ids) for a, b in pieces]
    summed = parts[0]
    for part in parts[1:]:
        summed = add_totals(summed, part)
    assert (summed.class_term != total.class_term).nnz == 0
    assert np.array_equal(summed.sizes, total.sizes) and np.array_equal(summed.embedding_sums, total.embedding_sums)
    centres = topic_centres(total)
    one = block_candidates(docs, vectors, np.arange(len(docs)), whole.topics, ids, centres)
    merged = None
    for a, b in pieces:
        part = block_candidates(docs[a:b], vectors[a:b], np.arange(a, b), whole.topics[a:b], ids, centres)
        merged = part if merged is None else merge_candidates(merged, part)
    assert merged is not None
    assert {t: [(s, r, d) for s, r, d, _ in c] for t, c in merged.by_topic.items()} == {
        t: [(s, r, d) for s, r, d, _ in c] for t, c in one.by_topic.items()
    }


@pytest.mark.parametrize("bad", [0, 1, 5, 2.5, "1000", True])
def test_fit_sample_size_is_checked(corpus, bad):
    docs, _, emb = corpus
    with pytest.raises(InputError, match=r"fit_sample_size \(or None\) must be an integer >= 10"):
        TopicModel(fit_sample_size=bad).fit(docs[:50], emb[:50])


def test_fit_sample_size_is_an_estimator_parameter():
    model = TopicModel(fit_sample_size=5000)
    assert model.get_params()["fit_sample_size"] == 5000
    assert clone(model).fit_sample_size == 5000
    assert TopicModel(fit_sample_size=None).get_params()["fit_sample_size"] is None
