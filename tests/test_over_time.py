"""topics_over_time and topics_per_class: BERTopic's tables, exact counts, no leaked words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from conftest import load_column, load_corpus
from topicscope import TopicModel
from topicscope.exceptions import InputError
from topicscope.verbs.over_time import cell_weigher, top_terms

N_TWEETS = 3000
OVER_TIME = ["Topic", "Words", "Frequency", "Timestamp"]
PER_CLASS = ["Topic", "Words", "Frequency", "Class"]


def load_tweets(start: int, stop: int) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """(texts, labels, timestamps, embeddings) of crisislex_tweets rows start..stop."""
    texts, labels, emb = load_corpus("crisislex_tweets")
    stamps = load_column("crisislex_tweets", "timestamp")
    return texts[start:stop], labels[start:stop], stamps[start:stop], emb[start:stop]


@pytest.fixture(scope="module")
def tweets():
    docs, labels, stamps, emb = load_tweets(0, N_TWEETS)
    model = TopicModel(random_state=0).fit(docs, embeddings=emb)
    return model, docs, labels, stamps


@pytest.fixture(scope="module")
def bbc():
    docs, labels, emb = load_corpus("bbc_news")
    return TopicModel(random_state=0).fit(docs, embeddings=emb), docs, labels, emb


def expected_frequency(topics, keys) -> pd.Series:
    frame = pd.DataFrame({"Topic": np.asarray(topics, dtype=np.int64), "Key": keys})
    return frame.groupby(["Key", "Topic"]).size()


def leaked_words(model, docs, topics, keys, table, key_column) -> list[tuple]:
    """(key, topic, word) of every shown word absent from that cell's documents (checked on the text)."""
    analyze = model.stages_.vectorizer.build_analyzer()
    terms: dict[tuple, set[str]] = {}
    for doc, topic, key in zip(docs, topics, keys):
        terms.setdefault((key, int(topic)), set()).update(analyze(doc))
    return [
        (key, topic, word)
        for key, topic, words in zip(table[key_column], table.Topic, table.Words)
        for word in (words.split(", ") if words else [])
        if word not in terms[(key, int(topic))]
    ]


# ------------------------------------------------------------------------------- over time
def test_columns_dtypes_order_and_exact_frequency(tweets):
    model, docs, _, stamps = tweets
    table = model.topics_over_time(docs, stamps)
    assert list(table.columns) == OVER_TIME
    assert table.Topic.dtype == np.int64 and table.Frequency.dtype == np.int64
    assert pd.api.types.is_string_dtype(table.Words.dtype)
    assert str(table.Timestamp.dtype).startswith("datetime64") and str(table.Timestamp.dt.tz) == "UTC"
    # Chronological, topics ascending within a timestamp.
    order = table.sort_values(["Timestamp", "Topic"], kind="stable").index
    assert (order == table.index).all()
    parsed = pd.to_datetime(pd.Series(stamps))
    expected = expected_frequency(model.topics_, parsed)
    got = table.set_index(["Timestamp", "Topic"]).Frequency
    assert got.index.tolist() == expected.index.tolist()
    assert got.tolist() == expected.tolist() and int(table.Frequency.sum()) == N_TWEETS
    # Each cell shows min(top_n_words, 5) words at most.
    assert max(len(w.split(", ")) for w in table.Words) == 5


def test_nr_bins_left_edges_and_frequency(tweets):
    model, docs, _, stamps = tweets
    table = model.topics_over_time(docs, stamps, nr_bins=7)
    parsed = pd.to_datetime(pd.Series(stamps))
    cut = pd.cut(parsed, bins=7)
    left = pd.Series(cut.cat.categories.left.take(cut.cat.codes.to_numpy()))
    expected = expected_frequency(model.topics_, left)
    got = table.set_index(["Timestamp", "Topic"]).Frequency
    assert got.index.tolist() == expected.index.tolist() and got.tolist() == expected.tolist()
    assert table.Timestamp.dtype == parsed.dtype
    assert set(table.Timestamp) <= set(cut.cat.categories.left)
    # Numeric timestamps: kept as numbers; binned ones labelled by pd.cut's float left edges.
    numeric = model.topics_over_time(docs, list(range(N_TWEETS)), nr_bins=4)
    assert numeric.Timestamp.dtype == np.float64
    assert sorted(set(numeric.Timestamp)) == sorted(pd.cut(np.arange(N_TWEETS), 4).categories.left)
    assert model.topics_over_time(docs, list(range(N_TWEETS))).Timestamp.dtype == np.int64


def test_no_leaked_words_even_with_tuning(tweets):
    model, docs, _, stamps = tweets
    days = [s[:10] for s in stamps]
    table = model.topics_over_time(docs, days, evolution_tuning=True, global_tuning=True)
    keys = pd.to_datetime(pd.Series(days))
    assert leaked_words(model, docs, model.topics_, keys, table, "Timestamp") == []
    # The check has teeth: the global tuning row favours words that many cells never contain.
    state = model.state_
    analyze = model.stages_.vectorizer.build_analyzer()
    top_global = {int(t): w[0][0] for t, w in state.words.items() if w}
    cells_without = sum(
        1
        for day, topic in zip(table.Timestamp, table.Topic)
        if top_global[int(topic)]
        not in {
            term for doc, t, k in zip(docs, model.topics_, keys) if t == topic and k == day for term in analyze(doc)
        }
    )
    assert cells_without > 0


def test_words_are_the_cells_own_ctfidf_without_tuning(tweets):
    """No tuning: a cell's words are the top c-TF-IDF words of its documents' counts, recounted here."""
    from sklearn.feature_extraction.text import CountVectorizer

    model, docs, _, stamps = tweets
    table = model.topics_over_time(docs, stamps, nr_bins=5, evolution_tuning=False, global_tuning=False)
    state = model.state_
    weigher = cell_weigher(model._describer().ctfidf, state)
    assert np.allclose(weigher.transform(state.class_term).toarray(), state.ctfidf.toarray())
    counter = CountVectorizer(analyzer=model.stages_.vectorizer.build_analyzer(), vocabulary=list(state.vocabulary))
    cut = pd.cut(pd.to_datetime(pd.Series(stamps)), bins=5)
    left = cut.cat.categories.left.take(cut.cat.codes.to_numpy())
    topics = np.asarray(model.topics_)
    for row in table.iloc[::7].itertuples():
        members = [d for d, t, b in zip(docs, topics, left) if t == row.Topic and b == row.Timestamp]
        assert len(members) == row.Frequency
        counts = sp.csr_matrix(counter.transform([" ".join(members)]).sum(axis=0))
        picked = top_terms(weigher.transform(counts), 5)[0]
        assert row.Words == ", ".join(state.vocabulary[c] for c in picked)


def test_global_and_evolution_tuning_take_effect(tweets):
    model, docs, _, stamps = tweets
    plain = model.topics_over_time(docs, stamps, nr_bins=10, evolution_tuning=False, global_tuning=False)
    tuned = model.topics_over_time(docs, stamps, nr_bins=10, evolution_tuning=False, global_tuning=True)
    evolved = model.topics_over_time(docs, stamps, nr_bins=10, evolution_tuning=True, global_tuning=False)
    for other in (tuned, evolved):
        assert other[["Topic", "Frequency", "Timestamp"]].equals(plain[["Topic", "Frequency", "Timestamp"]])
    assert (tuned.Words != plain.Words).sum() > 0
    changed = evolved.Words != plain.Words
    assert changed.sum() > 0  # BERTopic 0.17's evolution_tuning changes nothing
    # Only a topic present in the previous bin is evolved: the first bin and topics new to a bin never change.
    bins = sorted(set(plain.Timestamp))
    present = {(b, t) for b, t in zip(plain.Timestamp, plain.Topic)}
    for b, t, c in zip(plain.Timestamp, plain.Topic, changed):
        i = bins.index(b)
        if i == 0 or (bins[i - 1], t) not in present:
            assert not c, (b, t)


def test_unrecognised_documents_need_topics(tweets):
    model, docs, _, stamps = tweets
    new_docs, _, new_stamps, new_emb = load_tweets(N_TWEETS, N_TWEETS + 400)
    with pytest.raises(InputError, match="topics="):
        model.topics_over_time(new_docs, new_stamps)
    new_topics, _ = model.transform(new_docs, embeddings=new_emb)
    table = model.topics_over_time(new_docs, new_stamps, topics=new_topics, nr_bins=3)
    cut = pd.cut(pd.to_datetime(pd.Series(new_stamps)), bins=3)
    left = pd.Series(cut.cat.categories.left.take(cut.cat.codes.to_numpy()))
    expected = expected_frequency(new_topics, left)
    assert table.set_index(["Timestamp", "Topic"]).Frequency.tolist() == expected.tolist()
    assert leaked_words(model, new_docs, new_topics, left, table, "Timestamp") == []
    # Same number of documents, one character changed: not the training documents.
    edited = list(docs)
    edited[5] = edited[5] + "!"
    with pytest.raises(InputError, match="text differs"):
        model.topics_over_time(edited, stamps)
    again = model.topics_over_time(edited, stamps, topics=model.topics_, nr_bins=5)
    assert again.Frequency.tolist() == model.topics_over_time(docs, stamps, nr_bins=5).Frequency.tolist()


def test_bad_inputs_name_the_argument(tweets):
    model, docs, _, stamps = tweets
    with pytest.raises(InputError, match=r"timestamps must have one entry per document in docs \(3000\); got 10"):
        model.topics_over_time(docs, stamps[:10])
    bad = list(stamps)
    bad[17] = "not a date"
    with pytest.raises(InputError, match=r"timestamps\[17\] = 'not a date' could not be parsed"):
        model.topics_over_time(docs, bad)
    bad[17] = None
    with pytest.raises(InputError, match=r"timestamps\[17\] is missing"):
        model.topics_over_time(docs, bad)
    with pytest.raises(InputError, match=r"timestamps\[0\] = '2012-05-18T11:04:31\+00:00' could not be parsed"):
        model.topics_over_time(docs, stamps, datetime_format="%d/%m/%Y")
    with pytest.raises(InputError, match=r"topics must have one entry per document in docs \(3000\); got 5"):
        model.topics_over_time(docs, stamps, topics=model.topics_[:5])
    with pytest.raises(InputError, match=r"topics\[2\] is 999"):
        model.topics_over_time(docs, stamps, topics=[0, 0, 999, *model.topics_[3:]])
    with pytest.raises(InputError, match="nr_bins"):
        model.topics_over_time(docs, stamps, nr_bins=0)
    with pytest.raises(InputError, match=r"docs are not the 3000 documents"):
        model.topics_over_time(docs[:100], stamps[:100])
    with pytest.raises(InputError, match=r"classes must have one entry per document in docs \(3000\); got 2999"):
        model.topics_per_class(docs, stamps[:-1])
    with pytest.raises(InputError, match=r"classes\[4\] is missing"):
        model.topics_per_class(docs, [None if i == 4 else "a" for i in range(N_TWEETS)])


def test_datetime_format_is_used(tweets):
    model, docs, _, stamps = tweets
    european = [f"{s[8:10]}/{s[5:7]}/{s[:4]}" for s in stamps]
    table = model.topics_over_time(docs, european, datetime_format="%d/%m/%Y")
    iso = model.topics_over_time(docs, [s[:10] for s in stamps])
    assert table.Frequency.tolist() == iso.Frequency.tolist()
    assert (table.Timestamp.dt.strftime("%Y-%m-%d") == iso.Timestamp.dt.strftime("%Y-%m-%d")).all()


# ------------------------------------------------------------------------------- per class
def test_per_class_table_counts_and_words(bbc):
    model, docs, labels, _ = bbc
    table = model.topics_per_class(docs, labels)
    assert list(table.columns) == PER_CLASS
    assert table.Topic.dtype == np.int64 and table.Frequency.dtype == np.int64
    assert pd.api.types.is_string_dtype(table.Class.dtype)
    expected = expected_frequency(model.topics_, labels)
    got = table.set_index(["Class", "Topic"]).Frequency
    assert got.index.tolist() == expected.index.tolist() and got.tolist() == expected.tolist()
    assert leaked_words(model, docs, model.topics_, labels, table, "Class") == []
    plain = model.topics_per_class(docs, labels, global_tuning=False)
    assert plain.Frequency.tolist() == table.Frequency.tolist()
    assert (plain.Words != table.Words).sum() > 0
    ints = model.topics_per_class(docs, [len(label) for label in labels])
    assert ints.Class.dtype == np.int64 and int(ints.Frequency.sum()) == len(docs)


def test_per_class_on_a_20newsgroups_sample():
    docs, labels, emb = load_corpus("20newsgroups")
    keep = np.sort(np.random.default_rng(0).choice(len(docs), size=2000, replace=False))
    docs, labels, emb = [docs[i] for i in keep], [labels[i] for i in keep], emb[keep]
    model = TopicModel(random_state=0).fit(docs, embeddings=emb)
    table = model.topics_per_class(docs, labels)
    expected = expected_frequency(model.topics_, labels)
    assert table.set_index(["Class", "Topic"]).Frequency.tolist() == expected.tolist()
    assert leaked_words(model, docs, model.topics_, labels, table, "Class") == []


# --------------------------------------------------- merged and online models (no fingerprint)
def test_merged_model_needs_topics(bbc):
    _, docs, labels, emb = bbc
    half = len(docs) // 2
    a = TopicModel(random_state=0).fit(docs[:half], embeddings=emb[:half])
    b = TopicModel(random_state=0).fit(docs[half:], embeddings=emb[half:])
    merged = TopicModel.merge_models([a, b])
    with pytest.raises(InputError, match="topics=model.topics_"):
        merged.topics_per_class(docs, labels)
    table = merged.topics_per_class(docs, labels, topics=merged.topics_)
    assert table.set_index(["Class", "Topic"]).Frequency.tolist() == expected_frequency(merged.topics_, labels).tolist()
    assert leaked_words(merged, docs, merged.topics_, labels, table, "Class") == []
    sample = docs[:300]
    topics, _ = merged.transform(sample, embeddings=emb[:300])
    over_time = merged.topics_over_time(sample, list(range(300)), topics=topics, nr_bins=3)
    assert int(over_time.Frequency.sum()) == 300
    assert leaked_words(merged, sample, topics, pd.cut(np.arange(300), 3).categories.left.take(
        pd.cut(np.arange(300), 3).codes), over_time, "Timestamp") == []  # fmt: skip


def test_online_model_counts_its_documents(bbc):
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import IncrementalPCA

    _, docs, _, emb = bbc
    model = TopicModel(
        umap_model=IncrementalPCA(n_components=5),
        hdbscan_model=MiniBatchKMeans(n_clusters=8, n_init=3, random_state=0),
        random_state=0,
    )
    batches = [(0, 1000), (1000, len(docs))]
    for start, stop in batches:
        model.partial_fit(docs[start:stop], embeddings=emb[start:stop])
    with pytest.raises(InputError, match="partial_fit"):
        model.topics_over_time(docs, [0] * 1000 + [1] * (len(docs) - 1000))
    batch_of = [0] * 1000 + [1] * (len(docs) - 1000)
    table = model.topics_over_time(docs, batch_of, topics=model.topics_)
    assert table.set_index(["Timestamp", "Topic"]).Frequency.tolist() == (
        expected_frequency(model.topics_, batch_of).tolist()
    )
    assert leaked_words(model, docs, model.topics_, batch_of, table, "Timestamp") == []


def test_loaded_model_recognises_its_documents(tmp_path, bbc):
    model, docs, labels, _ = bbc
    model.save(tmp_path / "m")
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.topics_per_class(docs, labels).equals(model.topics_per_class(docs, labels))
    with pytest.raises(InputError, match="text differs"):
        loaded.topics_per_class([d + " " for d in docs], labels)


def test_tuning_recurrence_on_a_small_matrix():
    """Bin by bin: tuned = (own + previous bin's tuned row of the topic) / 2, then (that + global) / 2,
    kept at the cell's own terms only."""
    from topicscope.verbs.over_time import tuned_weights

    own_rows = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0.5, 0.5, 0], [0, 0.5, 0.5], [1.0, 0, 0]])
    own = sp.csr_matrix(own_rows)
    topic = np.array([0, 1, 0, 0, 1, 0])  # bins 0: topics 0, 1 | 1: 0 | 2: 0 | 3: 1 | 5: 0 (bin 4 absent)
    group = np.array([0, 0, 1, 2, 3, 5])
    glob = sp.csr_matrix(np.array([[0.0, 0, 1.0], [1.0, 0, 0]]))
    mask = own_rows > 0

    def full(use_glob):  # the recurrence over whole rows, then masked
        rows, last = [], {}
        for r, t, g in zip(own_rows, topic, group):
            row = r.copy()
            if t in last and last[t][0] == g - 1:
                row = (row + last[t][1]) / 2
            if use_glob:
                row = (row + glob.toarray()[t]) / 2
            last[t] = (g, row)
            rows.append(row)
        return np.array(rows) * mask

    for use_glob in (False, True):
        g = glob if use_glob else None
        assert np.allclose(tuned_weights(own, topic, group, g, evolution=True).toarray(), full(use_glob))
    assert np.allclose(tuned_weights(own, topic, group, None, evolution=True).toarray()[3], [0.5, 0.25, 0])
    plain = tuned_weights(own, topic, group, glob, evolution=False).toarray()
    assert np.allclose(plain, (own_rows + glob.toarray()[topic]) / 2 * mask)
    assert np.allclose(tuned_weights(own, topic, group, None, evolution=False).toarray(), own_rows)
