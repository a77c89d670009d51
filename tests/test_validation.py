"""Bad input gets a clear error naming the parameter, what was expected and what was given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topicscope import TopicModel
from topicscope._validation import check_documents
from topicscope.exceptions import InputError

DOCS = [f"document number {i} about topic {i % 3}" for i in range(30)]
EMB = np.random.default_rng(0).normal(size=(30, 8)).astype("float32")


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        (None, "documents must be a list of strings; got None"),
        ("one string", "got a single str"),
        (pd.DataFrame({"text": ["a", "b"]}), "pandas DataFrame with columns \\['text'\\]"),
        ([1, 2, 3], "item 0 is int 1"),
        (["ok", None], "item 1 is NoneType None"),
        ([], "at least one document"),
        (42, "got int 42"),
    ],
)
def test_bad_documents(documents, message):
    with pytest.raises(InputError, match=message):
        TopicModel().fit(documents, embeddings=EMB)


def test_series_and_arrays_are_accepted():
    assert check_documents(pd.Series(["a", "b"])) == ["a", "b"]
    assert check_documents(np.array(["a", "b"])) == ["a", "b"]
    assert check_documents(("a", "b")) == ["a", "b"]


def test_fewer_documents_than_min_topic_size():
    with pytest.raises(InputError, match="at least min_topic_size=10 .* got 5"):
        TopicModel().fit(DOCS[:5], embeddings=EMB[:5])


def test_embeddings_with_wrong_rows_or_nan():
    with pytest.raises(InputError, match="expected 30 rows, got 29"):
        TopicModel().fit(DOCS, embeddings=EMB[:29])
    bad = EMB.copy()
    bad[3, 2] = np.nan
    with pytest.raises(InputError, match=r"rows \[3\] contain NaN"):
        TopicModel().fit(DOCS, embeddings=bad)
    with pytest.raises(InputError, match="2-D"):
        TopicModel().fit(DOCS, embeddings=EMB[:, 0])
    with pytest.raises(InputError, match="numeric"):
        TopicModel().fit(DOCS, embeddings=[["a"] * 8] * 30)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_topic_size": 0}, "min_topic_size must be an integer >= 2; got 0"),
        ({"min_topic_size": 2.5}, "min_topic_size must be an integer >= 2; got float 2.5"),
        ({"top_n_words": 0}, "top_n_words must be an integer >= 1; got 0"),
        ({"nr_topics": 0}, "nr_topics .* >= 1; got 0"),
        ({"nr_topics": "many"}, "nr_topics .*got str 'many'"),
        ({"n_gram_range": (2, 1)}, "n_gram_range must be a pair"),
        ({"random_state": -1}, "random_state must be an integer >= 0"),
        ({"zeroshot_topic_list": []}, "zeroshot_topic_list must name at least one topic"),
        ({"zeroshot_topic_list": ["a", "A "]}, "duplicates"),
        ({"zeroshot_topic_list": ["a", ""]}, "item 1"),
        (
            {"zeroshot_topic_list": ["a"], "zeroshot_min_similarity": 1.5},
            r"zeroshot_min_similarity must be a number in \[-1.0, 1.0\]; got 1.5",
        ),
        ({"seed_topic_list": [["a"], []]}, r"seed_topic_list\[1\] must be a non-empty list"),
        ({"embedding_model": ""}, "embedding_model must be"),
        ({"embedding_model": 3}, "embedding_model must be None, a sentence-transformers model name"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(InputError, match=message):
        TopicModel(**params).fit(DOCS, embeddings=EMB)


def test_bad_labels():
    with pytest.raises(InputError, match="one label per document: expected 30"):
        TopicModel(min_topic_size=2).fit(DOCS, embeddings=EMB, y=[0, 1])
    with pytest.raises(InputError, match="integers"):
        TopicModel(min_topic_size=2).fit(DOCS, embeddings=EMB, y=["a"] * 30)


def test_transform_checks_dimension():
    from sklearn.cluster import KMeans

    from topicscope.reduction import Identity

    model = TopicModel(umap_model=Identity(), hdbscan_model=KMeans(2, n_init=2, random_state=0), min_topic_size=2)
    model.fit(DOCS, embeddings=EMB)
    with pytest.raises(InputError, match="must have 8 columns .* got 5"):
        model.transform(DOCS[:2], embeddings=EMB[:2, :5])


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.floats(),
        st.text(),
        st.lists(st.one_of(st.integers(), st.none(), st.floats()), min_size=1),
    )
)
def test_documents_validation_never_leaks_a_raw_error(value):
    with pytest.raises(InputError):
        check_documents(value)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=20))
def test_any_list_of_strings_is_accepted(docs):
    assert check_documents(docs) == docs
