"""approximate_distribution: BERTopic's windows, exact c-TF-IDF similarities, bounded memory, no NaN."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import cosine_similarity

from conftest import load_corpus
from topicscope import TopicModel
from topicscope.exceptions import InputError, NotFittedError
from topicscope.vectorize import ClassTfidfTransformer, count_documents
from topicscope.vectorize.ctfidf import class_tf, ctfidf_idf
from topicscope.verbs.distribution import (
    DistributionParams,
    TopicMatcher,
    WindowText,
    window_distributions,
    window_spans,
)


@pytest.fixture(scope="module")
def fitted():
    docs, _, emb = load_corpus("bbc_news")
    return TopicModel(random_state=0).fit(docs, embeddings=emb), docs


def _matcher(model):
    describer = model._describer()
    return TopicMatcher.from_state(model.state_, describer.ctfidf, describer.seed_words)


def _reference(model, docs, window=4, stride=1, padding=False, min_similarity=0.1, separator=" "):
    """BERTopic's algorithm written plainly: one list of windows per document, counted as strings."""
    vectorizer = model.stages_.vectorizer
    tokenize, analyze = vectorizer.build_tokenizer(), vectorizer.build_analyzer()
    matcher = _matcher(model)
    rows = []
    for doc in docs:
        tokens = tokenize(doc)
        if len(tokens) < window:
            sets = [tokens]
        else:
            sets = [tokens[s : s + window] for s in range(0, len(tokens), stride)]
            sets = [s for s in sets if padding or len(s) == window]
            if padding:
                t = math.ceil(window / stride) - 1
                sets = [tokens[: window - (t - i) * stride] for i in range(t)] + sets
        counts = count_documents([separator.join(s) for s in sets], model.state_.vocabulary, analyze)
        sims = matcher.similarity(counts)
        sims[sims < min_similarity] = 0
        row = sims.sum(axis=0)
        rows.append(row / row.sum() if row.sum() > 0 else row)
    return np.array(rows)


def test_shape_rows_sum_to_one_or_zero_no_nan(fitted):
    model, docs = fitted
    dist, tokens = model.approximate_distribution(docs)
    k = int((model.state_.topic_ids != -1).sum())
    assert tokens is None
    assert dist.shape == (len(docs), k) and dist.dtype == np.float64
    assert not np.isnan(dist).any() and (dist >= 0).all()
    sums = dist.sum(axis=1)
    assert np.allclose(sums[sums > 0], 1.0) and np.all((sums == 0) | np.isclose(sums, 1.0))
    assert (sums > 0).sum() >= 0.99 * len(docs)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"window": 3, "stride": 2},
        {"window": 5, "stride": 2, "padding": True},
        {"window": 1},
        {"window": 6, "stride": 4, "padding": True, "min_similarity": 0.0},
        {"window": 10, "stride": 3, "min_similarity": 0.2},
    ],
)
def test_equals_bertopic_windows_counted_as_strings(fitted, params):
    model, docs = fitted
    sample = [*docs[:25], "", "growth", "the of and", "Economy bank growth"]
    expected = _reference(model, sample, **params)
    got, _ = model.approximate_distribution(sample, **params)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_matcher_is_cosine_of_ctfidf_rows(fitted):
    model, docs = fitted
    state = model.state_
    counts = model._doc_term(docs[:50])
    idf = ctfidf_idf(state.class_term)
    expected = cosine_similarity(class_tf(counts) @ sp.diags(idf), state.ctfidf[state.topic_ids != -1])
    np.testing.assert_allclose(_matcher(model).similarity(counts), expected, atol=1e-12)


def test_matcher_weighs_windows_like_the_ctfidf_model():
    """bm25 idf, square-rooted frequencies and seed-word multipliers apply to windows as to topics."""
    docs, _, emb = load_corpus("bbc_news")
    ctfidf = ClassTfidfTransformer(bm25_weighting=True, reduce_frequent_words=True, seed_words=["economy"])
    model = TopicModel(ctfidf_model=ctfidf, random_state=0).fit(docs[:400], embeddings=emb[:400])
    state = model.state_
    mult = np.where(state.vocabulary == "economy", 2.0, 1.0)
    idf = ctfidf_idf(state.class_term, bm25_weighting=True, word_multipliers=mult)
    counts = model._doc_term(docs[400:450])
    weights = class_tf(counts, reduce_frequent_words=True) @ sp.diags(idf)
    expected = cosine_similarity(weights, state.ctfidf[state.topic_ids != -1])
    np.testing.assert_allclose(_matcher(model).similarity(counts), expected, atol=1e-12)


def test_counting_joined_windows_gives_the_same_result(fitted):
    """The fast path (each distinct token analysed once) equals counting each window's string."""
    model, docs = fitted
    vectorizer = model.stages_.vectorizer
    fast = WindowText.from_vectorizer(vectorizer, " ")
    assert fast.tokenwise
    slow = WindowText(fast.tokenize, fast.analyze, tokenwise=False)
    params = DistributionParams(window=4, stride=2, padding=True, calculate_tokens=True)
    a, ta = window_distributions(model.state_, docs[:60], fast, params, matcher=_matcher(model))
    b, tb = window_distributions(model.state_, docs[:60], slow, params, matcher=_matcher(model))
    np.testing.assert_allclose(a, b, atol=1e-12)
    assert ta is not None and tb is not None
    for x, y in zip(ta, tb):
        np.testing.assert_allclose(x, y, atol=1e-12)
    # A separator that is part of words makes windows one string: counted as joined text.
    assert not WindowText.from_vectorizer(vectorizer, "_").tokenwise


def test_bigram_vectorizer_counts_joined_windows():
    docs, _, emb = load_corpus("bbc_news")
    model = TopicModel(n_gram_range=(1, 2), random_state=0).fit(docs[:400], embeddings=emb[:400])
    assert not WindowText.from_vectorizer(model.stages_.vectorizer, " ").tokenwise
    sample = [*docs[:15], ""]
    got, _ = model.approximate_distribution(sample, window=5)
    np.testing.assert_allclose(got, _reference(model, sample, window=5), atol=1e-12)


def test_empty_and_one_word_documents_give_zero_rows(fitted):
    model, docs = fitted
    k = int((model.state_.topic_ids != -1).sum())
    sample = ["", "   ", "economy", "!!! ???", "the and of", "a", docs[0]]
    dist, tokens = model.approximate_distribution(sample, calculate_tokens=True)
    assert dist.shape == (7, k) and not np.isnan(dist).any()
    assert (dist[[0, 1, 3, 4, 5]] == 0).all()
    assert np.isclose(dist[6].sum(), 1.0)
    assert tokens is not None and [t.shape for t in tokens[:2]] == [(0, k), (0, k)]
    assert tokens[2].shape == (1, k)
    only_empty, _ = model.approximate_distribution(["", ""])
    assert only_empty.shape == (2, k) and (only_empty == 0).all()
    none, none_tokens = model.approximate_distribution([], calculate_tokens=True)
    assert none.shape == (0, k) and none_tokens == []


def test_pandas_series_and_single_string(fitted):
    model, docs = fitted
    expected, _ = model.approximate_distribution(docs[100:160])
    series = pd.Series(docs[100:160], index=range(100, 160))  # a slice keeps its index (#1663)
    got, _ = model.approximate_distribution(series)
    assert got.shape == (60, expected.shape[1])
    np.testing.assert_array_equal(got, expected)
    one, _ = model.approximate_distribution(docs[100])
    np.testing.assert_array_equal(one, expected[:1])


def test_calculate_tokens_shapes_and_sums(fitted):
    model, docs = fitted
    sample = docs[:30]
    dist, tokens = model.approximate_distribution(sample, calculate_tokens=True)
    tokenize = model.stages_.vectorizer.build_tokenizer()
    k = dist.shape[1]
    assert tokens is not None and len(tokens) == len(sample)
    assert [t.shape for t in tokens] == [(len(tokenize(d)), k) for d in sample]
    # BERTopic: the document's distribution is the normalised sum of its tokens' rows.
    for row, arr in zip(dist, tokens):
        np.testing.assert_allclose(row, arr.sum(axis=0) / arr.sum(), atol=1e-12)
    # A token's row sums the similarities of the windows that hold it (window 4, stride 1).
    doc = "economy growth bank shares market football match goal"
    _, (arr,) = model.approximate_distribution([doc], calculate_tokens=True, min_similarity=0.0)
    matcher, analyze = _matcher(model), model.stages_.vectorizer.build_analyzer()
    words = tokenize(doc)
    sims = matcher.similarity(
        count_documents([" ".join(words[s : s + 4]) for s in range(5)], model.state_.vocabulary, analyze)
    )
    np.testing.assert_allclose(arr[0], sims[0], atol=1e-12)
    np.testing.assert_allclose(arr[4], sims[1:5].sum(axis=0), atol=1e-12)


def test_batch_size_does_not_change_the_result(fitted):
    model, docs = fitted
    a, ta = model.approximate_distribution(docs[:300], batch_size=1000, calculate_tokens=True)
    b, tb = model.approximate_distribution(docs[:300], batch_size=7, calculate_tokens=True)
    c, _ = model.approximate_distribution(docs[:300], batch_size=None)
    np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_allclose(a, c, atol=1e-12)
    assert ta is not None and tb is not None and len(ta) == len(tb) == 300
    assert all(np.allclose(x, y, atol=1e-12) for x, y in zip(ta, tb))


def test_argmax_agrees_with_the_documents_topic(fitted):
    model, docs = fitted
    dist, _ = model.approximate_distribution(docs)
    ids = model.state_.topic_ids[model.state_.topic_ids != -1]
    topics = np.asarray(model.topics_)
    matched = dist.sum(axis=1) > 0
    agree = float((ids[dist.argmax(axis=1)] == topics)[matched].mean())
    assert agree >= 0.78, agree  # measured 0.82 on bbc_news (7 topics)


def test_peak_memory_is_bounded_by_batch_size(fitted):
    model, docs = fitted

    def peak(sample):
        tracemalloc.start()
        try:
            model.approximate_distribution(sample, batch_size=100)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    half, full = peak(docs[:1100]), peak(docs[:2200])
    assert full < 1.35 * half, (half / 2**20, full / 2**20)


def test_window_spans_follow_bertopic():
    doc, start, length = window_spans(np.array([0, 2, 6]), window=4, stride=2, padding=False)
    assert doc.tolist() == [0, 1, 2, 2] and start.tolist() == [0, 0, 0, 2] and length.tolist() == [0, 2, 4, 4]
    doc, start, length = window_spans(np.array([6]), window=4, stride=2, padding=True)
    # one growing window (ceil(4 / 2) - 1), then a window every 2 tokens, cut short at the end
    assert start.tolist() == [0, 0, 2, 4] and length.tolist() == [2, 4, 4, 2]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"window": 0}, "window"),
        ({"stride": 0}, "stride"),
        ({"batch_size": 0}, "batch_size"),
        ({"min_similarity": float("nan")}, "min_similarity"),
        ({"separator": 1}, "separator"),
        ({"padding": "yes"}, "padding"),
    ],
)
def test_bad_parameters_name_themselves(fitted, kwargs, name):
    model, docs = fitted
    with pytest.raises(InputError, match=name):
        model.approximate_distribution(docs[:3], **kwargs)


def test_bad_documents_and_unfitted_model(fitted):
    model, _ = fitted
    with pytest.raises(InputError, match="documents"):
        model.approximate_distribution(["ok", None])
    with pytest.raises(NotFittedError):
        TopicModel().approximate_distribution(["text"])


@pytest.mark.slow
def test_use_embedding_model_with_the_packaged_model(fitted):
    model, docs = fitted
    sample = [docs[0][:300], "", "economy"]
    dist, tokens = model.approximate_distribution(sample, use_embedding_model=True, calculate_tokens=True)
    assert dist.shape == (3, int((model.state_.topic_ids != -1).sum()))
    assert not np.isnan(dist).any() and np.isclose(dist[0].sum(), 1.0) and (dist[1] == 0).all()
    assert tokens is not None and tokens[1].shape[0] == 0


def test_a_loaded_model_gives_the_same_distributions(fitted, tmp_path):
    model, docs = fitted
    expected, _ = model.approximate_distribution(docs[:80])
    model.save(tmp_path / "model")
    loaded = TopicModel.load(tmp_path / "model")
    got, _ = loaded.approximate_distribution(docs[:80])
    np.testing.assert_array_equal(got, expected)
