"""The component contract: scikit-learn's estimator checks on every component class.

``parametrize_with_checks`` runs scikit-learn's API and legacy checks (clone, get_params, fit
returns self, fit twice gives the same result, pickling, NotFittedError before fit, input
validation: NaN, sparse, empty, 1-D, complex, wrong width). A check that cannot apply, or that
fails on code being rewritten, is listed in ``expected_failed_checks`` with its reason; every
other check must pass. Text vectorizers take documents, not numeric matrices, so scikit-learn
generates no data checks for them (as for its own ``CountVectorizer``): the same contract is
checked on text below.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import SkipTestWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.estimator_checks import parametrize_with_checks

from topicscope.clustering import LabelsGiven
from topicscope.clustering.graph import GraphCommunities
from topicscope.exceptions import InputError, NotFittedError
from topicscope.reduction import Identity
from topicscope.vectorize import ClassTfidfTransformer
from topicscope.vectorize.online import OnlineCountVectorizer

COMPONENTS = [
    GraphCommunities(),
    GraphCommunities(min_cluster_size=2, min_clusters=3, random_state=0),
    ClassTfidfTransformer(),
    ClassTfidfTransformer(bm25_weighting=True, reduce_frequent_words=True, exclusivity=0.0),
    Identity(),
    OnlineCountVectorizer(),
]
# LabelsGiven is manual mode's null clusterer: a scikit-learn estimator whose clusters are y.
COMPONENTS.append(LabelsGiven())


def expected_failed_checks(estimator) -> dict[str, str]:
    if isinstance(estimator, LabelsGiven):
        return {
            "check_clustering": "cannot apply: LabelsGiven's clusters are the labels y, and this check fits without y"
        }
    return {}


# scikit-learn warns (SkipTestWarning) that it generates no data checks for a text-only estimator;
# that is expected here (the text contract is tested below), so the warning is not an error.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", SkipTestWarning)
    SKLEARN_CHECKS = parametrize_with_checks(COMPONENTS, expected_failed_checks=expected_failed_checks)


@SKLEARN_CHECKS
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_every_component_gets_its_data_checks():
    """The checks above are not vacuous: each numeric component gets dozens of them."""
    for estimator in COMPONENTS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkipTestWarning)
            marks = parametrize_with_checks([estimator]).mark
        names = {getattr(check, "func", check).__name__ for _, check in marks.args[1]}
        if isinstance(estimator, OnlineCountVectorizer):
            assert names == {"check_estimator_cloneable"}, names
        else:
            assert len(names) >= 30, (type(estimator).__name__, sorted(names))
            assert {"check_fit_idempotent", "check_estimators_pickle", "check_estimators_unfitted"} <= names


def test_labels_given_is_a_scikit_learn_estimator():
    assert isinstance(LabelsGiven(), BaseEstimator)
    assert LabelsGiven in {type(e) for e in COMPONENTS}


# ---------------------------------------------------------------- ClassTfidfTransformer as a transformer


def test_ctfidf_fit_transform_equals_the_weights_the_model_uses():
    counts = sp.csr_matrix(np.array([[4.0, 1.0, 0.0, 2.0], [1.0, 0.0, 4.0, 0.0], [0.0, 3.0, 1.0, 1.0]]))
    vocab = np.array(["a", "b", "c", "d"])
    settings = [{}, {"bm25_weighting": True, "reduce_frequent_words": True}, {"seed_words": ["c"], "exclusivity": 1.0}]
    for params in settings:
        ctfidf = ClassTfidfTransformer(**params)
        fitted = ctfidf.fit_transform(counts, vocabulary=vocab)
        assert sp.issparse(fitted)
        np.testing.assert_array_equal(fitted.toarray(), ctfidf.weights(counts, vocab).toarray())
        # Rows are weighed one by one with the fitted idf: a subset of rows gives the same rows.
        np.testing.assert_array_equal(ctfidf.transform(counts[1:]).toarray(), fitted.toarray()[1:])


def test_ctfidf_idf_is_learnt_by_fit():
    counts = np.array([[2.0, 2.0, 0.0], [0.0, 1.0, 3.0]])
    ctfidf = ClassTfidfTransformer(exclusivity=0.0).fit(counts)
    np.testing.assert_allclose(ctfidf.idf_, np.log1p(4.0 / counts.sum(axis=0)))
    # A new class row is weighed with that idf: tf (row share) times idf.
    new = np.array([[1.0, 0.0, 1.0]])
    np.testing.assert_allclose(ctfidf.transform(new).toarray(), [[0.5 * ctfidf.idf_[0], 0.0, 0.5 * ctfidf.idf_[2]]])


def test_ctfidf_bad_input_names_what_is_wrong():
    with pytest.raises(NotFittedError, match="call fit"):
        ClassTfidfTransformer().transform(np.ones((2, 3)))
    with pytest.raises(InputError, match="non-negative .* term counts"):
        ClassTfidfTransformer().fit(np.array([[1.0, -1.0]]))
    with pytest.raises(InputError, match="seed_words needs the term of each column"):
        ClassTfidfTransformer(seed_words=["a"]).fit(np.ones((2, 2)))
    with pytest.raises(InputError, match=r"one term per column of X \(2\); got 3"):
        ClassTfidfTransformer(seed_words=["a"]).fit(np.ones((2, 2)), vocabulary=["a", "b", "c"])
    with pytest.raises(InputError, match="X has 2 features, but ClassTfidfTransformer is expecting 3"):
        ClassTfidfTransformer().fit(np.ones((2, 3))).transform(np.ones((1, 2)))
    with pytest.raises(InputError, match="exclusivity"):
        ClassTfidfTransformer(exclusivity=-1).fit(np.ones((2, 3)))


# ---------------------------------------------------------------- Identity


def test_identity_returns_its_input_and_checks_width():
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    reducer = Identity()
    out = reducer.fit_transform(X)
    assert out.dtype == np.float32 and np.array_equal(out, X)
    assert reducer.n_features_in_ == 3 and list(reducer.get_feature_names_out()) == ["x0", "x1", "x2"]
    with pytest.raises(InputError, match="X has 2 features, but Identity is expecting 3"):
        reducer.transform(X[:, :2])
    with pytest.raises(NotFittedError, match="call fit"):
        Identity().transform(X)
    bad = X.copy()
    bad[1, 1] = np.nan
    with pytest.raises(InputError, match="X \\(the embeddings to reduce\\) must be a finite"):
        Identity().fit(bad)


# ---------------------------------------------------------------- OnlineCountVectorizer: the contract on text

DOCS = [
    "The striker scored twice and the club won the cup final.",
    "Shares fell as the bank reported lower profits this quarter.",
    "The government will raise taxes on fuel, the minister said.",
    "A new phone with a faster chip and a bigger screen goes on sale.",
    "The film won three awards, including best actress.",
    "Profits at the phone maker rose as sales of the new chip grew.",
]


def test_online_vectorizer_counts_what_count_vectorizer_counts():
    online = OnlineCountVectorizer(ngram_range=(1, 2))
    reference = CountVectorizer(stop_words="english", ngram_range=(1, 2))
    got, want = online.fit_transform(DOCS), reference.fit_transform(DOCS)
    terms = list(online.get_feature_names_out())
    assert sorted(terms) == list(reference.get_feature_names_out())
    order = [reference.vocabulary_[t] for t in terms]
    np.testing.assert_array_equal(got.toarray(), want.toarray()[:, order])


def test_online_vectorizer_columns_never_move():
    vec = OnlineCountVectorizer().partial_fit(DOCS[:3])
    first_terms = list(vec.get_feature_names_out())
    first = vec.transform(DOCS[:3]).toarray()
    vec.partial_fit(DOCS[3:])
    assert list(vec.get_feature_names_out())[: len(first_terms)] == first_terms
    later = vec.transform(DOCS[:3]).toarray()
    np.testing.assert_array_equal(later[:, : len(first_terms)], first)
    assert not later[:, len(first_terms) :].any()
    assert vec.transform(["phone chip"]).sum() == 2 and vec.transform(["zebra"]).sum() == 0


def test_online_vectorizer_estimator_contract():
    vec = OnlineCountVectorizer(decay=0.1, ngram_range=(1, 2))
    params = vec.get_params()
    assert set(vars(vec)) == set(params)  # __init__ stores the parameters and nothing else
    with pytest.raises(NotFittedError, match="call partial_fit"):
        vec.transform(DOCS)
    with pytest.raises(NotFittedError, match="call partial_fit"):
        vec.get_feature_names_out()
    assert vec.fit(DOCS) is vec
    assert vec.get_params() == params  # fit does not touch the user's parameters
    first = vec.transform(DOCS).toarray()
    # Fitting again starts over and gives the same vocabulary and counts.
    vec.partial_fit(["an extra document about zebras"])
    vec.fit(DOCS)
    np.testing.assert_array_equal(vec.transform(DOCS).toarray(), first)
    # clone gives an unfitted copy with the same parameters; pickling keeps the fitted state.
    copy = clone(vec)
    assert copy.get_params() == params and not hasattr(copy, "vocabulary_")
    restored = pickle.loads(pickle.dumps(vec))
    assert list(restored.get_feature_names_out()) == list(vec.get_feature_names_out())
    np.testing.assert_array_equal(restored.transform(DOCS).toarray(), first)


def test_online_vectorizer_refit_follows_new_parameters():
    vec = OnlineCountVectorizer().fit(DOCS)
    assert not any(" " in t for t in vec.get_feature_names_out())
    vec.set_params(ngram_range=(1, 2))
    vec.fit(DOCS)
    assert "cup final" in set(vec.get_feature_names_out())
    np.testing.assert_array_equal(
        vec.transform(DOCS).toarray(), OnlineCountVectorizer(ngram_range=(1, 2)).fit_transform(DOCS).toarray()
    )


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        ("one string", "got a single str"),
        ([1, 2], "item 0 is int 1"),
        (["ok", None], "item 1 is NoneType None"),
    ],
)
def test_online_vectorizer_rejects_what_is_not_a_list_of_documents(documents, message):
    with pytest.raises(InputError, match=message):
        OnlineCountVectorizer().fit(documents)
    fitted = OnlineCountVectorizer().fit(DOCS)
    with pytest.raises(InputError, match=message):
        fitted.transform(documents)
    with pytest.raises(InputError, match=message):
        fitted.partial_fit(documents)
    assert len(fitted.get_feature_names_out()) == len(OnlineCountVectorizer().fit(DOCS).get_feature_names_out())


def test_online_vectorizer_decay_is_checked():
    with pytest.raises(InputError, match=r"decay must be None or a number in \[0, 1\); got 1.0"):
        OnlineCountVectorizer(decay=1.0).fit(DOCS)
