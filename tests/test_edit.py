"""update_topics, merge_topics and delete_topics: BERTopic's signatures without its traps.

Real bbc_news model (precomputed embeddings, random_state=0). Each test edits a deep copy of one
fitted model, checks the edit exactly, that the previous state object was left as it was, and
that the edited model survives save/load.
"""

from __future__ import annotations

import copy
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from conftest import load_corpus
from topicscope import TopicModel
from topicscope._neighbors import index_vectors, normalise_rows
from topicscope._topics import core_documents, remap_topics
from topicscope.clustering import LabelsGiven
from topicscope.exceptions import InputError
from topicscope.reduction import Identity
from topicscope.vectorize import ClassTfidfTransformer, class_term_counts, top_words


class Alphabetical:
    """A user's representation model: each topic's c-TF-IDF words in alphabetical order."""

    def describe(self, context):
        return {t: sorted(context.words[t]) for t in context.topic_ids}


@pytest.fixture(scope="module")
def bbc():
    docs, labels, emb = load_corpus("bbc_news")
    sections = {name: i for i, name in enumerate(sorted(set(labels)))}
    return docs, np.array([sections[x] for x in labels]), emb


@pytest.fixture(scope="module")
def base(bbc):
    docs, _, emb = bbc
    model = TopicModel(random_state=0, calculate_probabilities=True)
    model.fit_transform(docs, embeddings=emb)
    assert -1 not in model.topic_labels_ and len(model.topic_labels_) == 7
    return model


def snapshot(state):
    """Deep copies of what an edit could change in place."""
    keep = ("topic_ids", "sizes", "doc_topics", "index_topics", "neighbor_topics", "topic_embeddings")
    snap = {name: np.array(getattr(state, name), copy=True) for name in keep}
    snap["class_term"] = sp.csr_matrix(state.class_term, copy=True)
    snap["ctfidf"] = sp.csr_matrix(state.ctfidf, copy=True)
    for name in ("words", "names", "aspects", "topic_mapper", "representative_docs", "custom_labels"):
        snap[name] = copy.deepcopy(getattr(state, name))
    return snap


def assert_unchanged(state, snap):
    for name, value in snap.items():
        now = getattr(state, name)
        if sp.issparse(value):
            assert (sp.csr_matrix(now) != value).nnz == 0, name
        elif isinstance(value, np.ndarray):
            assert np.array_equal(now, value), name
        else:
            assert now == value, name


def assert_round_trip(model, tmp_path, docs, emb):
    model.save(tmp_path / "model")
    loaded = TopicModel.load(tmp_path / "model")
    assert loaded.get_topics() == model.get_topics()
    assert loaded.topic_sizes_ == model.topic_sizes_
    assert loaded.topics_ == model.topics_
    assert loaded.topic_labels_ == model.topic_labels_
    assert loaded.topic_mapper_.get_mappings() == model.topic_mapper_.get_mappings()
    assert np.allclose(loaded.topic_embeddings_, model.topic_embeddings_, atol=1e-3)
    assert loaded.transform(docs[:50], embeddings=emb[:50])[0] == model.topics_[:50]
    return loaded


# ------------------------------------------------------------------------------------------- update
def test_update_without_arguments_keeps_words_and_components(bbc, base, tmp_path):
    """BERTopic's update_topics(docs) resets vectorizer, c-TF-IDF and representation (#1638, #1442, #2148)."""
    docs, _, emb = bbc
    model = TopicModel(random_state=0, representation_model=Alphabetical()).fit(docs, embeddings=emb)
    representation, stages, before = model.representation_model, model.stages_, model.get_topics()
    assert all([w for w, _ in ws] == sorted(w for w, _ in ws) for ws in before.values())
    snap = snapshot(model.state_)
    old_state = model.state_
    assert model.update_topics(docs) is None
    assert model.get_topics() == before  # still alphabetical: the representation model was kept
    assert model.representation_model is representation and model.stages_ is stages
    assert model.vectorizer_model is None and model.ctfidf_model is None
    assert_unchanged(old_state, snap)

    plain = copy.deepcopy(base)
    plain.update_topics(docs)
    assert plain.get_topics() == base.get_topics() and plain.topic_labels_ == base.topic_labels_
    assert (plain.c_tf_idf_ != base.c_tf_idf_).nnz == 0
    assert np.array_equal(plain.probabilities_, base.probabilities_)
    # The same vectorizer passed again counts the same documents: identical words (core documents kept).
    user_vectorizer = CountVectorizer(stop_words="english")
    plain.update_topics(docs, vectorizer_model=user_vectorizer)
    assert plain.get_topics() == base.get_topics()
    assert not hasattr(user_vectorizer, "vocabulary_")  # a copy was fitted, not the user's object
    assert plain.stages_.vectorizer is not user_vectorizer and plain.vectorizer_model is None
    assert_round_trip(plain, tmp_path, docs, emb)


def test_update_n_gram_range_builds_the_vectorizer_later_verbs_count_with(bbc, base, tmp_path):
    docs, _, emb = bbc
    model = copy.deepcopy(base)
    old_state = model.state_
    snap = snapshot(old_state)
    model.update_topics(docs, n_gram_range=(1, 2), top_n_words=5)
    vectorizer = model.stages_.vectorizer
    assert vectorizer.ngram_range == (1, 2) and vectorizer.stop_words == "english"
    assert model.n_gram_range == (1, 1) and model.top_n_words == 10  # the user's parameters are untouched
    state = model.state_
    assert any(" " in term for term in state.vocabulary) and "the" not in set(state.vocabulary)
    assert state.class_term.shape == (7, len(state.vocabulary)) == state.ctfidf.shape
    assert all(len(words) == 5 for words in model.get_topics().values())
    assert model.topics_ == base.topics_ and model.topic_sizes_ == base.topic_sizes_
    # The counts are the new vectorizer's over each topic's core documents, as at fit.
    doc_term = model._doc_term(docs)
    assert doc_term.shape == (len(docs), len(state.vocabulary))
    graph = state.neighbor_index.graph(15)[0]
    counted = np.where(core_documents(graph, state.doc_topics), state.doc_topics, -2)
    assert (class_term_counts(doc_term, counted, state.topic_ids) != state.class_term).nnz == 0
    # Same as passing that vectorizer yourself.
    explicit = copy.deepcopy(base)
    explicit.update_topics(docs, vectorizer_model=CountVectorizer(stop_words="english", ngram_range=(1, 2)))
    assert [w for w, _ in explicit.get_topic(0)[:5]] == [w for w, _ in model.get_topic(0)]
    # Later verbs count with the new vocabulary.
    model.merge_topics(docs, [0, 1])
    assert model.state_.class_term.shape[1] == len(state.vocabulary)
    hier = model.hierarchical_topics(docs)
    assert len(hier) == len(model.topic_labels_) - 1
    assert_unchanged(old_state, snap)
    assert_round_trip(model, tmp_path, docs, emb)


def test_update_with_new_topics_rebuilds_what_depends_on_them(bbc, base, tmp_path):
    docs, sections, emb = bbc
    model = copy.deepcopy(base)
    old_state = model.state_
    snap = snapshot(old_state)
    model.update_topics(docs, topics=list(sections))
    state = model.state_
    assert model.topics_ == sections.tolist()
    assert model.topic_sizes_ == {t: n for t, n in sorted(Counter(sections.tolist()).items())}
    vectors = index_vectors(emb)
    means = normalise_rows(np.stack([vectors[sections == t].mean(axis=0) for t in range(5)]))
    assert np.allclose(model.topic_embeddings_, means, atol=1e-6)
    assert np.array_equal(state.index_topics, sections)
    # Each document's neighbour topics are its nearest documents' new topics.
    graph = state.neighbor_index.graph(15)[0]
    width = state.neighbor_topics.shape[1] - 1
    assert np.array_equal(state.neighbor_topics[:, 0], sections)
    assert np.array_equal(state.neighbor_topics[:, 1:], sections[graph[:, :width]])
    # Counts: each new topic's core documents (fit's rule), so every counted term occurs in that topic.
    counted = np.where(core_documents(graph, sections), sections, -2)
    doc_term = model._doc_term(docs)
    assert (class_term_counts(doc_term, counted, state.topic_ids) != state.class_term).nnz == 0
    assert model.probabilities_.shape == (len(docs), 5)
    assert np.allclose(model.probabilities_.sum(axis=1), 1.0)
    # topic_mapper_: each topic at fit -> the new topic most of its documents went to.
    expected = {
        t: Counter(sections[np.array(base.topics_) == t].tolist()).most_common(1)[0][0] for t in base.topic_labels_
    }
    assert model.topic_mapper_.get_mappings() == expected
    # transform follows: training documents get their new topics back.
    assert model.transform(docs[:100], embeddings=emb[:100])[0] == sections[:100].tolist()
    assert all(len(model.get_topic(t)) == 10 for t in range(5))
    assert_unchanged(old_state, snap)
    assert_round_trip(model, tmp_path, docs, emb)


def test_update_topics_that_remove_the_outliers_leaves_a_working_model(bbc, base, tmp_path):
    """BERTopic kept a phantom outlier topic after update_topics removed all -1 (#1455, #1133, #1325)."""
    docs, _, emb = bbc
    model = copy.deepcopy(base)
    model.delete_topics([6])
    assert -1 in model.topic_labels_
    relabelled = [t if t != -1 else 0 for t in model.topics_]
    model.update_topics(docs, topics=relabelled)
    assert -1 not in model.topic_labels_ and -1 not in model.state_.neighbor_topics
    assert model.topic_sizes_[0] == base.topic_sizes_[0] + base.topic_sizes_[6]
    assert model.probabilities_.shape == (len(docs), 6)
    assert model.topic_mapper_.get_mappings()[6] == 0
    hier = model.hierarchical_topics(docs)
    assert sorted(hier.iloc[0].Topics) == list(range(6))
    model.reduce_topics(docs, nr_topics=3)
    assert len(model.topic_labels_) == 3
    assert_round_trip(model, tmp_path, docs, emb)


def test_update_topics_bad_input_is_named(bbc, base):
    docs, sections, _ = bbc
    model = copy.deepcopy(base)
    with pytest.raises(InputError, match="topics must have one label per document"):
        model.update_topics(docs, topics=sections[:10])
    with pytest.raises(InputError, match="topics must give at least one document a topic other than -1"):
        model.update_topics(docs, topics=[-1] * len(docs))
    with pytest.raises(InputError, match="n_gram_range"):
        model.update_topics(docs, n_gram_range=(2, 1))
    with pytest.raises(InputError, match="top_n_words"):
        model.update_topics(docs, top_n_words=0)
    with pytest.raises(InputError, match="representation_model"):
        model.update_topics(docs, representation_model=object())
    with pytest.raises(InputError, match="docs must be the 2225 training documents"):
        model.update_topics(docs[:5])
    assert model.get_topics() == base.get_topics()


def test_update_representation_model_applies_to_this_update(bbc, base):
    docs, _, _ = bbc
    model = copy.deepcopy(base)
    model.update_topics(docs, representation_model=Alphabetical())
    assert model.representation_model is None
    candidates = top_words(base.state_.ctfidf, base.state_.vocabulary, 30)  # what a representation model sees
    for t, words in model.get_topics().items():
        assert words == sorted(candidates[t])[:10]


def test_update_ctfidf_model_is_kept_for_later_verbs(bbc, base, tmp_path):
    docs, _, emb = bbc
    model = copy.deepcopy(base)
    user_ctfidf = ClassTfidfTransformer(bm25_weighting=True, exclusivity=0.0)
    model.update_topics(docs, ctfidf_model=user_ctfidf)
    assert model.ctfidf_model is None and model.stages_.ctfidf is not user_ctfidf
    assert model.stages_.ctfidf.bm25_weighting and not hasattr(user_ctfidf, "idf_")
    state = model.state_
    expected = ClassTfidfTransformer(bm25_weighting=True, exclusivity=0.0).weights(
        state.class_term,
        state.vocabulary,
        doc_share=state.term_doc_share,  # the filler rule's shares, as at fit
    )
    assert np.allclose(state.ctfidf.toarray(), expected.toarray())
    assert model.get_topics() != base.get_topics()
    loaded = assert_round_trip(model, tmp_path, docs, emb)
    assert loaded.stages_.ctfidf.bm25_weighting and loaded.stages_.ctfidf.exclusivity == 0.0
    with pytest.raises(InputError, match="ctfidf_model must be"):
        model.update_topics(docs, ctfidf_model=object())
    with pytest.raises(InputError, match="vectorizer_model must be"):
        model.update_topics(docs, vectorizer_model="english")


def test_edits_of_an_online_model(tmp_path):
    """partial_fit keeps a sample of embeddings: whole topics can be relabelled and merged, not split."""
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import IncrementalPCA

    docs, _, emb = load_corpus("octis_dblp", limit=2000)
    model = TopicModel(
        umap_model=IncrementalPCA(n_components=5),
        hdbscan_model=MiniBatchKMeans(n_clusters=8, n_init=3, random_state=0),
        random_state=0,
    )
    for start in (0, 1000):
        model.partial_fit(docs[start : start + 1000], emb[start : start + 1000], index_rows_per_topic=20)
    assert len(model.state_.index_topics) < len(docs)
    before = copy.deepcopy(model)
    split = list(model.topics_)
    split[0] = max(split) + 1
    with pytest.raises(InputError, match="topics split some of the model's topics"):
        model.update_topics(docs, topics=split)
    relabelled = [t + 10 for t in before.topics_]
    model.update_topics(docs, topics=relabelled)
    assert model.topic_sizes_ == {t + 10: n for t, n in before.topic_sizes_.items()}
    assert model.get_topics() == {t + 10: words for t, words in before.get_topics().items()}  # counts kept
    assert np.array_equal(model.state_.index_topics, before.state_.index_topics + 10)
    assert np.allclose(model.topic_embeddings_, before.topic_embeddings_, atol=1e-6)
    assert model.topic_mapper_.get_mappings() == {t: m + 10 for t, m in before.topic_mapper_.get_mappings().items()}
    with pytest.raises(InputError, match="partial_fit"):  # the stream's running totals were keyed by the old ids
        model.partial_fit(docs[:10], emb[:10])
    model.merge_topics(docs, [10, 11])
    merged = model.topic_mapper_.get_mappings()[0]
    assert model.topic_sizes_[merged] == before.topic_sizes_[0] + before.topic_sizes_[1]
    unmerged = {t: w for t, w in model.get_topics().items() if t != merged}
    assert sorted(map(str, unmerged.values())) == sorted(map(str, [before.get_topic(t) for t in range(2, 8)]))
    assert model.topic_labels_[merged].startswith(f"{merged}_")


# -------------------------------------------------------------------------------------------- merge
def test_merge_changes_only_the_merged_topics(bbc, base, tmp_path):
    """BERTopic #1289: merge_topics recomputed every topic's c-TF-IDF, so unmerged topics' words changed."""
    docs, _, emb = bbc
    model = copy.deepcopy(base)
    old = model.state_
    snap = snapshot(old)
    old_probs = base.probabilities_
    assert model.merge_topics(docs, [1, 2]) is None
    mapping = model.topic_mapper_.get_mappings()
    merged = mapping[1]
    assert mapping[2] == merged and sorted(set(mapping.values())) == list(range(6))
    sizes = model.topic_sizes_
    assert sizes[merged] == base.topic_sizes_[1] + base.topic_sizes_[2]
    assert list(sizes.values()) == sorted(sizes.values(), reverse=True)  # renumbered by size, as BERTopic
    new = model.state_
    for t in (0, 3, 4, 5, 6):
        n = mapping[t]
        assert model.get_topic(n) == base.get_topic(t)
        assert (new.ctfidf[new.row(n)] != old.ctfidf[old.row(t)]).nnz == 0
        assert np.array_equal(new.topic_embeddings[new.row(n)], old.topic_embeddings[old.row(t)])
        assert model.topic_labels_[n] == f"{n}_" + "_".join(w for w, _ in base.get_topic(t)[:4])
        assert model.get_representative_docs(n) == base.get_representative_docs(t)
    summed = old.class_term[[old.row(1), old.row(2)]].sum(axis=0)
    fitted = ClassTfidfTransformer().fit(old.class_term, doc_share=old.term_doc_share)  # no -1 topic here
    row = fitted.transform(sp.csr_matrix(summed))
    assert np.allclose(new.ctfidf[new.row(merged)].toarray(), row.toarray())
    assert model.get_topic(merged) == top_words(row, old.vocabulary, 10)[0]
    assert np.array_equal(new.doc_topics, remap_topics(old.doc_topics, mapping))
    assert np.array_equal(new.neighbor_topics, remap_topics(old.neighbor_topics, mapping))
    # Probabilities follow: a merged topic's column is the sum of its parts' columns.
    for t in range(7):
        others = [s for s in range(7) if mapping[s] == mapping[t]]
        assert np.allclose(model.probabilities_[:, mapping[t]], old_probs[:, others].sum(axis=1))
    assert_unchanged(old, snap)
    assert_round_trip(model, tmp_path, docs, emb)


def test_merge_groups_and_given_labels(bbc, base):
    docs, sections, emb = bbc
    model = copy.deepcopy(base)
    model.set_topic_labels({0: "zero", 1: "one", 3: "three"})
    model.merge_topics(docs, [[0, 3], [4, 5, 6]])
    mapping = model.topic_mapper_.get_mappings()
    assert len(model.topic_labels_) == 4 and mapping[0] == mapping[3] and mapping[4] == mapping[5] == mapping[6]
    assert model.get_topic(mapping[1]) == base.get_topic(1) and model.get_topic(mapping[2]) == base.get_topic(2)
    assert sum(model.topic_sizes_.values()) == len(docs)
    labels = model.custom_labels_
    assert labels[mapping[0]] == "zero" and labels[mapping[1]] == "one" and len(labels) == 4
    # The model's representation model describes the merged topics (only them).
    alpha = TopicModel(random_state=0, representation_model=Alphabetical()).fit(docs, embeddings=emb)
    words = alpha.get_topics()
    alpha.merge_topics(docs, [5, 6])
    merged = alpha.topic_mapper_.get_mappings()[5]
    assert [w for w, _ in alpha.get_topic(merged)] == sorted(w for w, _ in alpha.get_topic(merged))
    assert alpha.get_topic(merged) != words[5]
    assert all(alpha.get_topic(t) == words[t] for t in range(5))
    # Given labels keep their ids: the group takes its smallest id.
    manual = TopicModel(hdbscan_model=LabelsGiven(), umap_model=Identity()).fit(docs, embeddings=emb, y=sections)
    words = manual.get_topic(4)
    manual.merge_topics(docs, [3, 1])
    assert sorted(manual.topic_labels_) == [0, 1, 2, 4] and manual.get_topic(4) == words
    assert manual.topic_sizes_[1] == int((sections == 1).sum() + (sections == 3).sum())


def test_merge_bad_input_is_named(bbc, base):
    docs, _, _ = bbc
    model = copy.deepcopy(base)
    with pytest.raises(InputError, match=r"topics_to_merge names topics the model does not have: \[42, 99\]"):
        model.merge_topics(docs, [1, 99, 42])
    with pytest.raises(InputError, match=r"topics_to_merge names topics the model does not have: \[-1\]"):
        model.merge_topics(docs, [[1, 2], [-1, 3]])
    with pytest.raises(InputError, match="at least 2 distinct topics"):
        model.merge_topics(docs, [1, 1])
    with pytest.raises(InputError, match="at least 2 distinct topics"):
        model.merge_topics(docs, [[1, 2], [3]])
    with pytest.raises(InputError, match="more than one group"):
        model.merge_topics(docs, [[1, 2], [2, 3]])
    with pytest.raises(InputError, match="not a mix"):
        model.merge_topics(docs, [1, [2, 3]])
    with pytest.raises(InputError, match="topics_to_merge must be a list"):
        model.merge_topics(docs, "1,2")
    with pytest.raises(InputError, match="docs must be the"):
        model.merge_topics(docs[:3], [1, 2])
    assert model.get_topics() == base.get_topics()


# ------------------------------------------------------------------------------------------- delete
def test_delete_sends_documents_to_a_new_outlier_topic(bbc, base, tmp_path):
    docs, _, emb = bbc
    model = copy.deepcopy(base)
    old = model.state_
    snap = snapshot(old)
    assert model.delete_topics([1, 4]) is None
    mapping = model.topic_mapper_.get_mappings()
    assert mapping == {0: 0, 1: -1, 2: 1, 3: 2, 4: -1, 5: 3, 6: 4}  # BERTopic's renumbering by size
    new = model.state_
    assert model.topic_sizes_[-1] == base.topic_sizes_[1] + base.topic_sizes_[4]
    assert model.get_topic(-1) == [] and new.ctfidf[new.row(-1)].nnz == 0
    summed = old.class_term[[old.row(1), old.row(4)]].sum(axis=0)
    assert np.allclose(new.class_term[new.row(-1)].toarray(), summed)
    assert np.linalg.norm(new.topic_embeddings[new.row(-1)]) == pytest.approx(1.0, abs=1e-5)
    for t, n in mapping.items():
        if n != -1:
            assert model.get_topic(n) == base.get_topic(t)
            assert (new.ctfidf[new.row(n)] != old.ctfidf[old.row(t)]).nnz == 0
    deleted = np.isin(base.topics_, [1, 4])
    assert np.array_equal(np.array(model.topics_) == -1, deleted)
    info = model.get_topic_info()
    assert info.Topic.iloc[0] == -1 and info.Count.iloc[0] == deleted.sum()
    # Probabilities: the deleted topics' columns are gone, the others unchanged.
    assert np.allclose(model.probabilities_, base.probabilities_[:, [0, 2, 3, 5, 6]])
    # transform follows: a deleted topic's training document is now an outlier.
    first = int(np.flatnonzero(deleted)[0])
    assert model.transform([docs[first]], embeddings=emb[first : first + 1])[0] == [-1]
    hier = model.hierarchical_topics(docs)
    assert sorted(hier.iloc[0].Topics) == [0, 1, 2, 3, 4]
    # A second deletion adds to the existing outlier topic.
    model.delete_topics([0])
    assert model.topic_sizes_[-1] == deleted.sum() + base.topic_sizes_[0]
    assert model.get_topic(-1) == [] and sorted(model.topic_labels_) == [-1, 0, 1, 2, 3]
    assert_unchanged(old, snap)
    assert_round_trip(model, tmp_path, docs, emb)


def test_delete_bad_input_is_named(bbc, base):
    model = copy.deepcopy(base)
    with pytest.raises(InputError, match=r"topics_to_delete names every topic"):
        model.delete_topics(list(range(7)))
    with pytest.raises(InputError, match=r"topics_to_delete names topics the model does not have: \[42\]"):
        model.delete_topics([0, 42])
    with pytest.raises(InputError, match="at least one topic"):
        model.delete_topics([])
    with pytest.raises(InputError, match="topics_to_delete must hold integer topic ids"):
        model.delete_topics(["1"])
    model.delete_topics([6])
    with pytest.raises(InputError, match="must not contain -1"):
        model.delete_topics([-1])
