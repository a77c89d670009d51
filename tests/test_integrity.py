"""Issue 19, items 5, 6b and 6c: what topicscope does with what it is given, and what it gives back.

* Embeddings are normalised before they are rounded to float16, so valid embeddings give the same
  topics at any scale, and invalid ones (NaN, inf) are refused by name; all-zero rows (no direction)
  match no topic, with a warning.
* A model file's counting settings are untrusted input: n-gram lengths and token patterns are bounded
  to what counts in bounded time, and every setting that changes counts (``binary``) is saved.
* What the model's lookups return is the caller's: changing it does not change the model.
"""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import CountVectorizer

from topicscope import TopicModel
from topicscope._neighbors import index_vectors
from topicscope.context import BaseRepresentation
from topicscope.exceptions import InputError, PersistenceError
from topicscope.persistence import checks as persistence_checks
from topicscope.state import ZeroShotInfo

META = "topicscope.json"


def small_model(**kwargs) -> TopicModel:
    return TopicModel(umap_model=PCA(8, random_state=0), hdbscan_model=KMeans(4, n_init=2, random_state=0), **kwargs)


@pytest.fixture(scope="module")
def sample(bbc):
    docs, _, emb = bbc
    return docs[:300], emb[:300]


# ------------------------------------------------------------------------------- 5. embedding scale
SCALES = (1e-9, 1.0, 1e5)


def test_index_vectors_do_not_depend_on_scale(bbc):
    """float16 holds 6e-8..65504: rows of 1e-9 used to round to zero and rows of 1e5 to inf."""
    emb = bbc[2]
    unit = index_vectors(emb)
    assert np.isfinite(unit).all() and np.allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-3)
    for scale in SCALES:
        assert np.array_equal(index_vectors(emb * np.float32(scale)), unit), scale
    wide = emb.astype(np.float64)
    for scale in (1e-30, 1e30, 1e300):  # float64 input, normalised without overflow or underflow
        assert np.array_equal(index_vectors(wide * scale), unit), scale


def test_topics_do_not_depend_on_embedding_scale(bbc):
    """A real fit of bbc_news at 1e-9, 1 and 1e5 times its embeddings: the same topics, all of them."""
    docs, _, emb = bbc
    fits = {scale: TopicModel(random_state=0).fit(docs, embeddings=emb * np.float32(scale)) for scale in SCALES}
    reference = fits[1.0]
    assert len(set(reference.topics_) - {-1}) >= 4
    for scale, model in fits.items():
        assert model.topics_ == reference.topics_, scale
        assert model.get_topics() == reference.get_topics(), scale
        assert np.array_equal(model.topic_embeddings_, reference.topic_embeddings_), scale
    # New documents too: transform gives the same topics whatever the scale of their embeddings.
    topics, _ = reference.transform(docs[:100], embeddings=emb[:100])
    for scale in SCALES:
        assert reference.transform(docs[:100], embeddings=emb[:100] * np.float32(scale))[0] == topics, scale


def test_dask_partitions_normalise_before_rounding(bbc):
    """The Dask engine keeps each partition's embeddings in float16: normalised first there too."""
    pytest.importorskip("distributed")
    import pandas as pd

    from topicscope.distributed import partitions

    docs, _, emb = bbc
    data = pd.DataFrame({"text": docs[:200]})
    unit = index_vectors(emb[:200])
    for scale in SCALES:
        part = partitions.prepare(data, 0, "text", partitions.EmbeddingSource(), block=emb[:200] * np.float32(scale))
        assert part.embeddings.dtype == np.float16
        assert np.array_equal(partitions.vectors(part), unit), scale


def _with_bad_rows(emb: np.ndarray, kind: str) -> np.ndarray:
    bad = emb.astype(np.float64 if kind == "too large for float32" else np.float32)
    value = {"NaN": np.nan, "inf": np.inf, "all zero": 0.0, "too large for float32": 1e39}[kind]
    if kind == "all zero":
        bad[[3, 7]] = 0.0
    else:
        bad[3, 5] = value
    return bad


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("NaN", r"embeddings must be finite; rows \[3\] contain NaN or inf"),
        ("inf", r"embeddings must be finite; rows \[3\] contain NaN or inf"),
        (
            "too large for float32",
            r"embeddings must hold values float32 can hold .*; rows \[3\] hold magnitudes up to 1e\+39",
        ),
    ],
)
def test_invalid_embeddings_are_refused_by_name(sample, kind, message):
    docs, emb = sample
    bad = _with_bad_rows(emb, kind)
    with pytest.raises(InputError, match=message):
        TopicModel(random_state=0).fit(docs, embeddings=bad)
    fitted = TopicModel(random_state=0).fit(docs, embeddings=emb)
    with pytest.raises(InputError, match=message):
        fitted.transform(docs, embeddings=bad)


def test_all_zero_rows_are_said_and_match_no_topic(sample, caplog):
    docs, emb = sample
    bad = _with_bad_rows(emb, "all zero")
    fitted = TopicModel(random_state=0).fit(docs, embeddings=emb)
    with caplog.at_level("WARNING", logger="topicscope"):
        topics, probs = fitted.transform(docs, embeddings=bad)
    assert any("2 of" in r.getMessage() and "rows [3, 7]" in r.getMessage() for r in caplog.records)
    assert np.all(probs[[3, 7]] == 0)  # no evidence for any topic
    other = [i for i in range(len(docs)) if i not in (3, 7)]
    assert [topics[i] for i in other] == [fitted.topics_[i] for i in other]


# --------------------------------------------------------------------------- 6b. counting settings
@pytest.fixture(scope="module")
def binary_fit(bbc):
    """A model fitted with CountVectorizer(binary=True), saved and loaded back."""
    docs, _, emb = bbc
    vectorizer = CountVectorizer(stop_words="english", binary=True)
    model = TopicModel(random_state=0, vectorizer_model=vectorizer).fit(docs[:1500], embeddings=emb[:1500])
    return model, docs[:1500], docs[1500:1800]


def test_loaded_model_counts_text_as_the_fitted_one(binary_fit, tmp_path):
    model, fit_docs, new_docs = binary_fit
    model.save(tmp_path / "m")
    assert json.loads((tmp_path / "m" / META).read_text())["vectorizer"]["binary"] is True
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.vectorizer_model_.binary is True
    # The vectorizer counts new text as the fitted one: presence, not frequency.
    fitted_counts = model.vectorizer_model_.transform(new_docs)
    assert fitted_counts.max() == 1
    assert (loaded.vectorizer_model_.transform(new_docs) != fitted_counts).nnz == 0
    # Verbs count the training documents again in a loaded model (fit's matrix is not saved): the same counts.
    stamps = [f"2020-0{1 + i % 3}-01" for i in range(len(fit_docs))]
    assert loaded.topics_over_time(fit_docs, stamps).equals(model.topics_over_time(fit_docs, stamps))
    topics = list(model.topics_)
    topics[:150] = [max(topics)] * 150
    edited, edited_loaded = copy.deepcopy(model), copy.deepcopy(loaded)
    edited.update_topics(fit_docs, topics=topics)
    edited_loaded.update_topics(fit_docs, topics=topics)
    assert edited_loaded.get_topics() == edited.get_topics()
    assert edited_loaded.c_tf_idf_.toarray().tolist() == edited.c_tf_idf_.toarray().tolist()


@pytest.fixture(scope="module")
def saved(sample, tmp_path_factory):
    docs, emb = sample
    path = tmp_path_factory.mktemp("saved") / "m"
    small_model().fit(docs, embeddings=emb).save(path)
    return path


def _edited(saved: Path, tmp_path: Path, edit) -> Path:
    import shutil

    dest = tmp_path / "m"
    shutil.copytree(saved, dest)
    meta = json.loads((dest / META).read_text(encoding="utf-8"))
    edit(meta)
    (dest / META).write_text(json.dumps(meta), encoding="utf-8")
    return dest


def test_files_saved_before_binary_was_saved_load_with_binary_false(saved, tmp_path):
    path = _edited(saved, tmp_path, lambda meta: meta["vectorizer"].pop("binary", None))
    loaded = TopicModel.load(path)
    assert loaded.vectorizer_model_.binary is False
    assert loaded.get_topics() == TopicModel.load(saved).get_topics()


@pytest.mark.parametrize(
    ("section", "key", "value", "field"),
    [
        ("vectorizer", "ngram_range", [1, 1000], "vectorizer.ngram_range[1]"),
        ("vectorizer", "ngram_range", [1, 11], "vectorizer.ngram_range[1]"),
        ("params", "n_gram_range", [1, 1000], "params.n_gram_range[1]"),
        ("params", "n_gram_range", [11, 11], "params.n_gram_range[0]"),
    ],
)
def test_n_gram_lengths_in_a_file_are_bounded(saved, tmp_path, section, key, value, field):
    path = _edited(saved, tmp_path, lambda meta: meta[section].__setitem__(key, value))
    with pytest.raises(PersistenceError, match=re.escape(f"field '{field}' must be an integer in [1, 10]; got")):
        TopicModel.load(path)


BAD_PATTERNS = [
    (r"(a+)+$", "without a quantifier inside a repetition"),  # exponential
    (r"(?:\w|\w\w)*x", "without alternatives"),  # exponential
    (r"(?:a?){40}a{40}", "without a quantifier inside a repetition"),  # exponential (Russ Cox's a?^n a^n)
    ("a?" * 30 + "a" * 30, "at most 10000 ways"),  # exponential in the pattern's length
    (r"[\s\S]*[\s\S]*[\s\S]*x", "at most 2 unbounded repetitions"),  # polynomial of degree 4
    (r"(\w)\1", "without backreferences"),
    (r"(\w)(\w)", "at most one capturing group"),
    ("(", "that compiles"),
    ("[[a]", "without warnings"),
    ("a" * 257, "of at most 256 characters"),  # persistence_checks.MAX_TOKEN_PATTERN_CHARS
]


@pytest.mark.parametrize(("pattern", "why"), BAD_PATTERNS)
def test_token_patterns_in_a_file_are_checked(saved, tmp_path, pattern, why):
    path = _edited(saved, tmp_path, lambda meta: meta["vectorizer"].__setitem__("token_pattern", pattern))
    start = time.perf_counter()
    with pytest.raises(PersistenceError, match=r"field 'vectorizer\.token_pattern' must be a token pattern") as info:
        TopicModel.load(path)
    assert why in str(info.value)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (123, r"field 'vectorizer\.token_pattern' must be a string; got 123"),
        (None, r"field 'vectorizer\.token_pattern' must be a token pattern \(a string\) when vectorizer\.analyzer"),
    ],
)
def test_token_pattern_must_be_a_string_for_words(saved, tmp_path, value, message):
    path = _edited(saved, tmp_path, lambda meta: meta["vectorizer"].__setitem__("token_pattern", value))
    with pytest.raises(PersistenceError, match=message):
        TopicModel.load(path)


GOOD_PATTERNS = [
    r"(?u)\b\w\w+\b",  # scikit-learn's default
    r"(?u)\b\w+\b",
    r"[a-zA-Z]{3,}",
    r"\b\w{2,15}\b",
    r"#?\w+",
    r"\b\w+(?:'\w+)?\b",
    r"\b\w+[-']\w+\b|\b\w+\b",
    r"(?u)\b[^\d\W]+\b",
    r"\S+",
    r"(\w+)",
]


@pytest.mark.parametrize("pattern", GOOD_PATTERNS)
def test_common_token_patterns_are_accepted(pattern):
    assert persistence_checks.token_pattern_problem(pattern) is None
    assert CountVectorizer(token_pattern=pattern).fit(["A well-known test, isn't it? #tag 2024"]).vocabulary_


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="()[]{}*+?|\\.^$-:=!<>Pw1a,", max_size=40) | st.text(max_size=40))
def test_token_pattern_problem_never_raises(pattern):
    """Any string gets an answer (a reason, or None), never an exception, warning or hang."""
    problem = persistence_checks.token_pattern_problem(pattern)
    assert problem is None or problem.startswith("a token pattern")
    if problem is None:
        re.compile(pattern)


@pytest.mark.parametrize(
    ("vectorizer", "message"),
    [
        (
            CountVectorizer(token_pattern=r"\b\w+(?:-\w+)*\b"),
            "its token_pattern must be a token pattern without a quantifier inside a repetition",
        ),
        (
            CountVectorizer(analyzer="char_wb", ngram_range=(9, 11)),
            r"its ngram_range\[1\] must be an integer in \[1, 10\]",
        ),
    ],
)
def test_save_refuses_what_load_would_refuse(bbc, tmp_path, vectorizer, message):
    docs, _, emb = bbc
    model = TopicModel(
        umap_model=PCA(4, random_state=0),
        hdbscan_model=KMeans(3, n_init=1, random_state=0),
        vectorizer_model=vectorizer,
    ).fit(docs[:40], embeddings=emb[:40])
    with pytest.raises(InputError, match=f"the fitted vectorizer_model cannot be saved .*{message}"):
        model.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_fit_bounds_n_gram_range(sample):
    docs, emb = sample
    with pytest.raises(InputError, match=r"n_gram_range must be a pair .* <= 10; got \(1, 11\)"):
        TopicModel(n_gram_range=(1, 11)).fit(docs, embeddings=emb)


# ---------------------------------------------------------------------------- 6c. results are copies
class Reversed(BaseRepresentation):
    """An aspect: each topic's words, last first."""

    def describe(self, context):
        return {t: list(reversed(context.words[t])) for t in context.topic_ids}


@pytest.fixture
def described(sample):
    docs, emb = sample
    model = small_model(representation_model={"Alt": Reversed()}).fit(docs, embeddings=emb)
    model.set_topic_labels({0: "first"})
    model.state_.zeroshot = ZeroShotInfo(labels=["x"], topic_ids=[0], min_similarity=0.5, report={"x": {"n": [3]}})
    return model


def _view(model: TopicModel) -> dict:
    return copy.deepcopy(
        {
            "get_topic": model.get_topic(0),
            "get_topic full": model.get_topic(0, full=True),
            "get_topics": model.get_topics(),
            "get_topics full": model.get_topics(full=True),
            "get_representative_docs": model.get_representative_docs(),
            "get_representative_docs(0)": model.get_representative_docs(0),
            "topic_info": model.get_topic_info().to_dict("list"),
            "topic_sizes_": model.topic_sizes_,
            "topic_labels_": model.topic_labels_,
            "custom_labels_": model.custom_labels_,
            "topic_representations_": model.topic_representations_,
            "representative_docs_": model.representative_docs_,
            "topic_aspects_": model.topic_aspects_,
            "zeroshot_report_": model.zeroshot_report_,
            "merge_mappings_": model.merge_mappings_,
            "topic_mapper_": model.topic_mapper_.get_mappings(),
            "topic_embeddings_": model.topic_embeddings_.tolist(),
            "c_tf_idf_": model.c_tf_idf_.toarray().tolist(),
        }
    )


def _clear_first(container) -> None:
    container[next(iter(container))].clear()


MUTATIONS = {
    "get_topic": lambda m: m.get_topic(0).clear(),
    "get_topic full Main": lambda m: m.get_topic(0, full=True)["Main"].clear(),
    "get_topic full aspect": lambda m: m.get_topic(0, full=True)["Alt"].clear(),
    "get_topics": lambda m: m.get_topics()[0].clear(),
    "get_topics full": lambda m: m.get_topics(full=True)[0]["Alt"].clear(),
    "get_representative_docs": lambda m: m.get_representative_docs().clear(),
    "get_representative_docs list": lambda m: _clear_first(m.get_representative_docs()),
    "get_representative_docs(0)": lambda m: m.get_representative_docs(0).clear(),
    "get_topic_info Representation": lambda m: m.get_topic_info().loc[0, "Representation"].clear(),
    "get_topic_info Representative_Docs": lambda m: m.get_topic_info().loc[0, "Representative_Docs"].clear(),
    "topic_sizes_": lambda m: m.topic_sizes_.clear(),
    "topic_labels_": lambda m: m.topic_labels_.clear(),
    "custom_labels_": lambda m: m.custom_labels_.clear(),
    "topic_representations_": lambda m: _clear_first(m.topic_representations_),
    "representative_docs_": lambda m: _clear_first(m.representative_docs_),
    "topic_aspects_": lambda m: m.topic_aspects_.clear(),
    "topic_aspects_ words": lambda m: _clear_first(m.topic_aspects_["Alt"]),
    "zeroshot_report_": lambda m: m.zeroshot_report_["x"]["n"].append(4),
    "topic_mapper_": lambda m: m.topic_mapper_.mappings_.clear(),
    "c_tf_idf_": lambda m: m.c_tf_idf_.data.fill(0),
    "topic_embeddings_ copy": lambda m: np.array(m.topic_embeddings_).fill(0),  # a copy is the caller's
}


@pytest.mark.parametrize("mutate", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_changing_what_a_lookup_returns_leaves_the_model_as_it_was(described, mutate):
    before = _view(described)
    assert before["get_topic"] and before["get_representative_docs(0)"] and before["topic_aspects_"]["Alt"][0]
    mutate(described)
    assert _view(described) == before


def test_topic_embeddings_are_a_read_only_view(described):
    embeddings = described.topic_embeddings_
    before = embeddings.copy()
    with pytest.raises(ValueError, match="read-only"):
        embeddings[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        embeddings += 1.0
    assert np.array_equal(described.topic_embeddings_, before)
    assert described.state_.topic_embeddings.flags.writeable  # the model's own array stays writable
