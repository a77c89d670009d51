"""A call that raises leaves the model as it was (issue 19, item 4).

Every state-changing verb is run with a representation model that fails on its next call, or with bad
arguments, and the model's whole fitted state (parameters, ``state_``, the fitted stages and their
running totals, probabilities, custom labels and the public attributes) must be exactly what it was
before. Read-only verbs (``reduce_outliers``, ``topics_over_time``, ...) must not change it either.
The first test is the reported bug: a ``partial_fit`` whose representation model failed, retried,
counted its batch twice.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import re
import threading
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from conftest import load_corpus
from topicscope import TopicModel
from topicscope._neighbors import NeighborIndex, index_vectors
from topicscope.context import BaseRepresentation, TopicContext, Words
from topicscope.exceptions import InputError

N_FIT = 600
ONLINE_BATCH = 300
# In-memory caches that a verb may fill without changing what the model is (the embedding model,
# loaded on first use, and a log-once flag); everything else of the model is compared.
CACHES = {"_embedder_cache", "_embedder_spec", "_told_no_classifier"}


class RepresentationDown(ConnectionError):
    """What the flaky representation model raises (an LLM server that went away, say)."""


class FlakyRepresentation(BaseRepresentation):
    """A real representation model (the c-TF-IDF words, upper-cased) that raises ``error`` on its
    ``fail_on``-th call to ``describe`` (counted from 1; None: never)."""

    def __init__(self, fail_on: int | None = None, error: type[Exception] = RepresentationDown) -> None:
        self.fail_on = fail_on
        self.error = error
        self.calls = 0

    def fail_next_call(self) -> None:
        self.fail_on = self.calls + 1

    def describe(self, context: TopicContext) -> dict[int, Words]:
        self.calls += 1
        if self.fail_on is not None and self.calls == self.fail_on:
            raise self.error(f"representation model failed on call {self.calls}")
        return {t: [(w.upper(), s) for w, s in context.words[t]] for t in context.topic_ids}


# ------------------------------------------------------------------------------------------- comparing
_OPAQUE = (
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    types.BuiltinMethodType,
    functools.partial,
    type(threading.Lock()),
)


def assert_equal(a: Any, b: Any, path: str) -> None:
    """``a`` and ``b`` hold the same values, recursively (arrays, sparse matrices, dataclasses, estimators)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{path}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        same = np.array_equal(a, b, equal_nan=a.dtype.kind in "fc") if a.dtype != object else a.tolist() == b.tolist()
        assert same, f"{path}: arrays differ"
    elif sp.issparse(a):
        assert a.shape == b.shape and a.dtype == b.dtype, f"{path}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        assert (a != b).nnz == 0, f"{path}: sparse matrices differ"
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=path)
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)[:10]} != {list(b)[:10]}"
        for key in a:
            assert_equal(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_equal(x, y, f"{path}[{i}]")
    elif isinstance(a, np.random.Generator):
        assert_equal(a.bit_generator.state, b.bit_generator.state, f"{path}.bit_generator.state")
    elif isinstance(a, np.random.RandomState):
        assert_equal(list(a.get_state()), list(b.get_state()), f"{path}.get_state()")
    elif isinstance(a, NeighborIndex):
        assert_equal(a.vectors, b.vectors, f"{path}.vectors")
    elif isinstance(a, re.Pattern):
        assert a.pattern == b.pattern, path
    elif isinstance(a, _OPAQUE):
        return  # functions (a vectorizer's analyzer): copies differ by identity only
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            if f.name != "_neighbor_index":  # built on first use from index_embeddings (compared)
                assert_equal(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        assert_equal(vars(a), vars(b), path)
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def fitted_attributes(model: TopicModel) -> dict[str, Any]:
    """Everything the model holds apart from its parameters and caches (``state_``, ``stages_``, ...)."""
    params = model.get_params(deep=False)
    return {k: v for k, v in vars(model).items() if k not in params and k not in CACHES}


def public_view(model: TopicModel) -> dict[str, Any]:
    """What users read of a fitted model (nothing of an unfitted one)."""
    if getattr(model, "state_", None) is None:
        return {}
    return {
        "topics_": model.topics_,
        "topic_sizes_": model.topic_sizes_,
        "topic_labels_": model.topic_labels_,
        "custom_labels_": model.custom_labels_,
        "topic_representations_": model.topic_representations_,
        "representative_docs_": model.representative_docs_,
        "topic_aspects_": model.topic_aspects_,
        "c_tf_idf_": model.c_tf_idf_,
        "topic_embeddings_": model.topic_embeddings_,
        "probabilities_": model.probabilities_,
        "topic_info": model.get_topic_info(),
    }


def user_components(model: TopicModel) -> dict[str, Any]:
    """The parameters whose values must not change (the representation model counts its calls)."""
    return {k: v for k, v in model.get_params(deep=False).items() if k != "representation_model"}


@dataclasses.dataclass
class Snapshot:
    params: dict[str, Any]  # the parameter objects themselves (compared by identity)
    param_values: dict[str, Any]  # deep copies of them (the user's components are never fitted)
    objects: dict[str, Any]  # the fitted attributes themselves (compared by identity)
    fitted: dict[str, Any]  # deep copies of them (compared by value)
    public: dict[str, Any]


def snapshot(model: TopicModel) -> Snapshot:
    attrs = fitted_attributes(model)
    return Snapshot(
        params=model.get_params(deep=False),
        param_values=copy.deepcopy(user_components(model)),
        objects=dict(attrs),
        fitted=copy.deepcopy(attrs),
        public=copy.deepcopy(public_view(model)),
    )


def assert_unchanged(model: TopicModel, before: Snapshot) -> None:
    params = model.get_params(deep=False)
    assert list(params) == list(before.params)
    for name, value in params.items():
        assert value is before.params[name], f"parameter {name} was replaced"
    assert_equal(user_components(model), before.param_values, "params")
    attrs = fitted_attributes(model)
    assert sorted(attrs) == sorted(before.objects), "fitted attributes were added or removed"
    for name, value in attrs.items():
        assert value is before.objects[name], f"{name} was replaced"
    assert_equal(attrs, before.fitted, "model")
    assert_equal(public_view(model), before.public, "public")


# -------------------------------------------------------------------------------------------- fixtures
@dataclasses.dataclass
class Data:
    docs: list[str]
    emb: np.ndarray
    batches: list[tuple[list[str], np.ndarray]]  # online batches; the model has seen all but the last


def _online_model(representation: FlakyRepresentation) -> TopicModel:
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import IncrementalPCA

    return TopicModel(
        umap_model=IncrementalPCA(n_components=5),
        hdbscan_model=MiniBatchKMeans(n_clusters=12, n_init=3, random_state=0),
        representation_model=representation,
        random_state=0,
    )


@pytest.fixture(scope="module")
def bbc_sample() -> tuple[list[str], np.ndarray]:
    docs, _, emb = load_corpus("bbc_news")
    rows = np.sort(np.random.default_rng(0).choice(len(docs), N_FIT, replace=False))
    return [docs[i] for i in rows], emb[rows]


@pytest.fixture(scope="module")
def dblp_batches() -> list[tuple[list[str], np.ndarray]]:
    docs, _, emb = load_corpus("octis_dblp", limit=3 * ONLINE_BATCH)
    return [(docs[i : i + ONLINE_BATCH], emb[i : i + ONLINE_BATCH]) for i in range(0, 3 * ONLINE_BATCH, ONLINE_BATCH)]


def _new_model() -> TopicModel:
    return TopicModel(
        min_topic_size=10, random_state=0, calculate_probabilities=True, representation_model=FlakyRepresentation()
    )


@pytest.fixture(scope="module")
def fitted_base(bbc_sample) -> TopicModel:
    """A fitted model with probabilities, custom labels and a (for now) working representation model."""
    docs, emb = bbc_sample
    model = _new_model()
    model.fit_transform(docs, embeddings=emb)
    first = int(model.state_.topic_ids[model.state_.topic_ids != -1][0])
    model.set_topic_labels({first: "my own label"})
    return model


@pytest.fixture(scope="module")
def online_base(dblp_batches) -> TopicModel:
    """A model streamed over every batch but the last."""
    model = _online_model(FlakyRepresentation())
    for docs, emb in dblp_batches[:-1]:
        model.partial_fit(docs, emb)
    return model


# ------------------------------------------------------------------------------------ the reported bug
def test_failed_partial_fit_then_retry_equals_a_run_without_failure(dblp_batches):
    clean = _online_model(FlakyRepresentation())
    for docs, emb in dblp_batches:
        clean.partial_fit(docs, emb)

    flaky = _online_model(FlakyRepresentation(fail_on=2))  # describes batch 1, fails on batch 2
    flaky.partial_fit(*dblp_batches[0])
    before = snapshot(flaky)
    with pytest.raises(RepresentationDown):
        flaky.partial_fit(*dblp_batches[1])
    assert_unchanged(flaky, before)
    for docs, emb in dblp_batches[1:]:  # the retry, then the next batch
        flaky.partial_fit(docs, emb)

    assert_equal(fitted_attributes(flaky), fitted_attributes(clean), "model")
    assert_equal(public_view(flaky), public_view(clean), "public")
    # The batch counted once: sizes add up to the documents seen, and the running embedding sums are
    # the sums of the documents' (index-precision) embeddings.
    n = len(dblp_batches) * ONLINE_BATCH
    assert len(flaky.topics_) == n and sum(flaky.topic_sizes_.values()) == n and flaky.state_.online.documents == n
    seen = index_vectors(np.concatenate([emb for _, emb in dblp_batches])).astype(np.float64)
    sums = flaky.stages_.embedding_sums
    assert np.allclose(sum(sums.values()), seen.sum(axis=0), atol=1e-6)
    topics = np.array(flaky.topics_)
    for t, total in sums.items():
        assert np.allclose(total, seen[topics == t].sum(axis=0), atol=1e-6)


# ----------------------------------------------------------------------------------- every verb, raising
Case = Callable[[TopicModel, tuple[list[str], np.ndarray], list[tuple[list[str], np.ndarray]]], Any]


def _fail_next(model: TopicModel) -> None:
    model.representation_model.fail_next_call()


def _topics(model: TopicModel) -> list[int]:
    return [int(t) for t in model.state_.topic_ids if t != -1]


def _split_first_topic(model: TopicModel) -> list[int]:
    """The training topics with half of the first topic's documents moved to a new topic."""
    topics = np.array(model.topics_)
    members = np.flatnonzero(topics == _topics(model)[0])
    topics[members[::2]] = max(model.topics_) + 1
    return topics.tolist()


def _with_outliers(model: TopicModel) -> list[int]:
    topics = np.array(model.topics_)
    topics[::7] = -1
    return topics.tolist()


def _timestamps(n: int) -> list[str]:
    return [f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)]


def _merge_models(model: TopicModel) -> None:
    TopicModel.merge_models([model, copy.deepcopy(model)], min_similarity=0.99)


def _all_docs(batches: list[tuple[list[str], np.ndarray]]) -> list[str]:
    return [d for docs, _ in batches[:-1] for d in docs]


# (id, which model, arm the representation model to fail, the call, the exception it raises or None)
CASES: list[tuple[str, str, bool, Case, type[BaseException] | None]] = [
    # fitting, first and again
    ("fit/unfitted model", "new", True, lambda m, d, b: m.fit(d[0], embeddings=d[1]), RepresentationDown),
    ("partial_fit/first batch", "new online", True, lambda m, d, b: m.partial_fit(*b[0]), RepresentationDown),
    ("fit", "fitted", True, lambda m, d, b: m.fit(d[0], embeddings=d[1]), RepresentationDown),
    ("fit_transform", "fitted", True, lambda m, d, b: m.fit_transform(d[0], embeddings=d[1]), RepresentationDown),
    ("fit/embedding rows", "fitted", False, lambda m, d, b: m.fit(d[0], embeddings=d[1][:-1]), InputError),
    ("partial_fit", "online", True, lambda m, d, b: m.partial_fit(*b[-1]), RepresentationDown),
    ("partial_fit/dimensions", "online", False, lambda m, d, b: m.partial_fit(b[-1][0], b[-1][1][:, :8]), InputError),
    ("partial_fit/y", "online", False, lambda m, d, b: m.partial_fit(*b[-1], y=[0] * ONLINE_BATCH), InputError),
    ("partial_fit/fitted model", "fitted", False, lambda m, d, b: m.partial_fit(d[0], d[1]), InputError),
    # changing topics
    ("reduce_topics", "fitted", True, lambda m, d, b: m.reduce_topics(d[0], nr_topics=3), RepresentationDown),
    ("reduce_topics/auto", "fitted", True, lambda m, d, b: m.reduce_topics(nr_topics="auto"), RepresentationDown),
    ("reduce_topics/nr_topics", "fitted", False, lambda m, d, b: m.reduce_topics(d[0], nr_topics=0), InputError),
    ("reduce_topics/docs", "fitted", False, lambda m, d, b: m.reduce_topics(d[0][:5], nr_topics=3), InputError),
    ("reduce_topics/online", "online", True, lambda m, d, b: m.reduce_topics(nr_topics=3), RepresentationDown),
    ("merge_topics", "fitted", True, lambda m, d, b: m.merge_topics(d[0], _topics(m)[:2]), RepresentationDown),
    ("merge_topics/unknown", "fitted", False, lambda m, d, b: m.merge_topics(d[0], [_topics(m)[0], 999]), InputError),
    ("merge_topics/online", "online", True, lambda m, d, b: m.merge_topics(None, _topics(m)[:2]), RepresentationDown),
    ("delete_topics/unknown", "fitted", False, lambda m, d, b: m.delete_topics([_topics(m)[0], 999]), InputError),
    ("delete_topics/all", "fitted", False, lambda m, d, b: m.delete_topics(_topics(m)), InputError),
    ("update_topics", "fitted", True, lambda m, d, b: m.update_topics(d[0]), RepresentationDown),
    (
        "update_topics/topics",
        "fitted",
        True,
        lambda m, d, b: m.update_topics(d[0], topics=_split_first_topic(m)),
        RepresentationDown,
    ),
    (
        "update_topics/n_gram_range",
        "fitted",
        True,
        lambda m, d, b: m.update_topics(d[0], n_gram_range=(1, 2)),
        RepresentationDown,
    ),
    (
        "update_topics/representation_model",
        "fitted",
        False,
        lambda m, d, b: m.update_topics(d[0], representation_model=FlakyRepresentation(fail_on=1, error=ValueError)),
        ValueError,
    ),
    ("update_topics/topics length", "fitted", False, lambda m, d, b: m.update_topics(d[0], topics=[0]), InputError),
    ("update_topics/online", "online", True, lambda m, d, b: m.update_topics(_all_docs(b)), RepresentationDown),
    ("set_topic_labels/unknown", "fitted", False, lambda m, d, b: m.set_topic_labels({999: "x"}), InputError),
    ("set_topic_labels/length", "fitted", False, lambda m, d, b: m.set_topic_labels(["x"]), InputError),
    ("merge_models", "fitted", True, lambda m, d, b: _merge_models(m), RepresentationDown),
    # verbs that read the model: they must never change it
    ("merge_models/ok", "fitted", False, lambda m, d, b: _merge_models(m), None),
    (
        "reduce_outliers/c-tf-idf",
        "fitted",
        False,
        lambda m, d, b: m.reduce_outliers(d[0], _with_outliers(m), strategy="c-tf-idf"),
        None,
    ),
    (
        "reduce_outliers/embeddings",
        "fitted",
        False,
        lambda m, d, b: m.reduce_outliers(d[0], _with_outliers(m), strategy="embeddings", embeddings=d[1]),
        None,
    ),
    (
        "reduce_outliers/distributions",
        "fitted",
        False,
        lambda m, d, b: m.reduce_outliers(d[0], _with_outliers(m)),
        None,
    ),
    (
        "reduce_outliers/strategy",
        "fitted",
        False,
        lambda m, d, b: m.reduce_outliers(d[0], _with_outliers(m), strategy="nearest"),
        InputError,
    ),
    (
        "topics_over_time",
        "fitted",
        False,
        lambda m, d, b: m.topics_over_time(d[0], _timestamps(len(d[0])), nr_bins=4),
        None,
    ),
    (
        "topics_over_time/timestamps",
        "fitted",
        False,
        lambda m, d, b: m.topics_over_time(d[0], _timestamps(3)),
        InputError,
    ),
    (
        "topics_per_class",
        "fitted",
        False,
        lambda m, d, b: m.topics_per_class(d[0], [str(i % 3) for i in range(len(d[0]))]),
        None,
    ),
    ("hierarchical_topics", "fitted", False, lambda m, d, b: m.hierarchical_topics(d[0]), None),
    ("approximate_distribution", "fitted", False, lambda m, d, b: m.approximate_distribution(d[0][:30]), None),
    ("transform", "fitted", False, lambda m, d, b: m.transform(d[0][:30], embeddings=d[1][:30]), None),
    ("transform/online", "online", False, lambda m, d, b: m.transform(*b[-1]), None),
    ("get_document_info", "fitted", False, lambda m, d, b: m.get_document_info(d[0]), None),
]


@pytest.mark.parametrize(("which", "arm", "call", "error"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_call_that_raises_leaves_the_model_as_it_was(
    which, arm, call, error, fitted_base, online_base, bbc_sample, dblp_batches
):
    models = {
        "fitted": lambda: copy.deepcopy(fitted_base),
        "online": lambda: copy.deepcopy(online_base),
        "new": _new_model,
        "new online": lambda: _online_model(FlakyRepresentation()),
    }
    model = models[which]()
    if arm:
        _fail_next(model)
    before = snapshot(model)
    if error is None:
        call(model, bbc_sample, dblp_batches)
    else:
        with pytest.raises(error):
            call(model, bbc_sample, dblp_batches)
    assert_unchanged(model, before)
    if arm:  # the model works on: the same call succeeds once the representation model does
        call(model, bbc_sample, dblp_batches)
