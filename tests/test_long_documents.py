"""Long documents: cut at the model's window (the default, said in the log) or read whole in overlapping
windows whose vectors are averaged (``long_documents="windows"``; embedding/quantized.py)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import load_corpus
from topicscope.embedding import QuantizedEmbedder
from topicscope.embedding.quantized import WINDOW_OVERLAP, split_windows
from topicscope.exceptions import InputError


@given(st.integers(min_value=2, max_value=3000), st.integers(min_value=8, max_value=512), st.integers(0, 64))
def test_windows_cover_the_text_with_the_overlap(n_ids, limit, overlap):
    spans = split_windows(list(range(n_ids)), limit, overlap)
    inner, width = n_ids - 2, limit - 2
    assert spans[0][0] == 0 and spans[-1][1] == inner
    assert all(0 < end - start <= width for start, end in spans) or inner == 0
    if inner <= width:
        assert spans == [(0, inner)]
    else:
        step = max(width - overlap, 1)
        assert [s for s, _ in spans] == list(range(0, step * len(spans), step))
        assert spans[-2][0] + width < inner  # no window after the one reaching the end


@pytest.fixture(scope="module")
def articles():
    """bbc_news articles of different sections joined in pairs (each pair longer than the window)."""
    docs, labels, _ = load_corpus("bbc_news")
    sport = [d for d, lab in zip(docs, labels) if lab == "sport"][:6]
    business = [d for d, lab in zip(docs, labels) if lab == "business"][:6]
    return sport, business


def test_long_document_is_read_whole(articles, caplog):
    sport, business = articles
    windows = QuantizedEmbedder(cache_size=0, long_documents="windows")
    cut = QuantizedEmbedder(cache_size=0)  # the default cuts at the window
    joined = [s + "\n\n" + b for s, b in zip(sport, business)]  # sport first, business after the window
    with caplog.at_level(logging.INFO, logger="topicscope"):
        whole = windows.embed([*joined, "A short title."])
    assert "6 of 7 texts are longer than the model's window of 256 tokens" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="topicscope"):
        first = cut.embed(joined)
    assert "6 of 6 texts are longer than the model's window of 256 tokens and were cut at it" in caplog.text
    business_alone = windows.embed(business)
    # Truncated, the business half is never read; read whole, each joined text leans towards it.
    gain = np.sum(whole[:6] * business_alone, axis=1) - np.sum(first * business_alone, axis=1)
    assert (gain > 0.05).all(), gain
    # A text that fits the window gets the vector it gets in either mode.
    np.testing.assert_allclose(whole[6], cut.embed(["A short title."])[0], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(whole, axis=1), 1.0, atol=1e-5)


def test_window_vectors_on_request_and_their_mean(articles):
    sport, business = articles
    embedder = QuantizedEmbedder(cache_size=0, long_documents="windows")
    text = sport[0] + "\n\n" + business[0]
    parts = embedder.embed_windows([text, "A short title."])
    assert parts.vectors.shape[0] == len(parts.document) >= 3 and parts.document[-1] == 1
    first = parts.document == 0
    assert parts.start[first][0] == 0 and (np.diff(parts.start[first]) == 254 - WINDOW_OVERLAP).all()
    weights = (parts.end - parts.start)[first].astype(float)
    mean = (parts.vectors[first] * weights[:, None]).sum(axis=0)
    np.testing.assert_allclose(embedder.embed([text])[0], mean / np.linalg.norm(mean), atol=1e-5)
    # Where the document's parts sit: its first window is nearer the sport article, its last the business one.
    sport_vec, business_vec = embedder.embed([sport[0], business[0]])
    rows = parts.vectors[first]
    assert rows[0] @ sport_vec > rows[0] @ business_vec and rows[-1] @ business_vec > rows[-1] @ sport_vec
    # The same text gives the same vector alone or among others (no dependence on the batch).
    together = embedder.embed([business[1], text, sport[2]])
    np.testing.assert_allclose(together[1], embedder.embed([text])[0], atol=1e-6)


def test_long_documents_setting_is_checked():
    with pytest.raises(InputError, match=r"long_documents must be one of \('windows', 'truncate'\); got 'whole'"):
        QuantizedEmbedder(long_documents="whole").embed(["text"])


# ------------------------------------------------------------------ where topics sit in a long document
@pytest.fixture(scope="module")
def news_model():
    """A default model fitted on bbc_news (the shared MiniLM embeddings: the default model's space)."""
    from topicscope import TopicModel

    docs, labels, emb = load_corpus("bbc_news")
    model = TopicModel(random_state=0).fit(docs, embeddings=emb)
    topics, labels = np.asarray(model.topics_), np.asarray(labels)
    # Each topic's section: the most common gold label of its documents (a section may have two topics).
    section = {int(t): str(max(set(labels[topics == t]), key=list(labels[topics == t]).count)) for t in set(topics)}
    return model, section


def test_passages_say_where_each_topic_sits(news_model, articles):
    model, section = news_model
    sport, business = articles
    joined = [s + "\n\n" + b for s, b in zip(sport[:3], business[:3])]
    table = model.topic_passages([*joined, "", "One short line about football."])
    assert list(table.columns) == ["Document", "Passage", "Start", "End", "Topic", "Name", "Similarity", "Text"]
    for d, text in enumerate(joined):
        rows = table[table["Document"] == d]
        assert len(rows) >= 3 and list(rows["Passage"]) == list(range(len(rows)))
        # Offsets into the document: each passage's text, from the first word to the last.
        assert all(text[s:e] == t for s, e, t in zip(rows["Start"], rows["End"], rows["Text"]))
        assert rows["Start"].iloc[0] == 0 and rows["End"].iloc[-1] == len(text.rstrip())
        assert (np.diff(rows["Start"]) > 0).all() and (
            rows["Start"].iloc[1:].values < rows["End"].iloc[:-1].values
        ).all()
        # The sport article opens the document and the business one closes it.
        assert section[rows["Topic"].iloc[0]] == "sport", rows[["Topic", "Similarity"]]
        assert section[rows["Topic"].iloc[-1]] == "business", rows[["Topic", "Similarity"]]
        assert set(rows["Name"]) <= set(model.get_topic_info()["Name"])
    assert (table["Document"] == len(joined)).sum() == 0  # no words, no passage
    short = table[table["Document"] == len(joined) + 1]
    assert len(short) == 1 and short["Text"].iloc[0] == "One short line about football."
    assert ((table["Similarity"] > 0) & (table["Similarity"] <= 1.0 + 1e-6)).all()
    # A smaller window, more passages; the same passages whatever else is asked in the call.
    finer = model.topic_passages(joined[0], window_words=40, overlap_words=10)
    assert len(finer) > len(table[table["Document"] == 0])
    again = model.topic_passages([joined[0]])
    assert again.drop(columns="Similarity").equals(table[table["Document"] == 0].drop(columns="Similarity"))


def test_token_mix_of_a_long_document(news_model, articles):
    """approximate_distribution with the embedding model: a topic mix per token, sport first, business last."""
    model, section = news_model
    sport, business = articles
    text = sport[3] + "\n\n" + business[3]
    dist, tokens = model.approximate_distribution(
        text, window=100, stride=50, use_embedding_model=True, calculate_tokens=True, min_similarity=0.0
    )
    topic_ids = [t for t in sorted(set(model.topics_)) if t != -1]
    per_token = tokens[0]
    assert per_token.shape[1] == len(topic_ids) == dist.shape[1]
    assert section[topic_ids[int(per_token[:50].sum(axis=0).argmax())]] == "sport"
    assert section[topic_ids[int(per_token[-50:].sum(axis=0).argmax())]] == "business"


def test_document_info_passages(articles):
    from topicscope import TopicModel

    docs, _, emb = load_corpus("bbc_news", limit=150)
    model = TopicModel(random_state=0).fit(docs, embeddings=emb)
    info = model.get_document_info(docs, passages=True)
    plain = model.get_document_info(docs)
    assert list(info.columns) == [*plain.columns, "Passages"]
    assert info.drop(columns="Passages").equals(plain)
    found = model.topic_passages(docs)
    for d in (0, 7, 149):
        rows = found[found["Document"] == d]
        listed = info["Passages"].iloc[d]
        assert [(p["start"], p["end"], p["topic"]) for p in listed] == list(
            zip(rows["Start"], rows["End"], rows["Topic"])
        )
        assert {p["topic"] for p in listed} <= set(model.topics_)


def test_passage_settings_are_checked(news_model):
    model, _ = news_model
    with pytest.raises(InputError, match="window_words must be"):
        model.topic_passages(["text"], window_words=0)
    with pytest.raises(InputError, match=r"overlap_words must be smaller than window_words \(10\); got 10"):
        model.topic_passages(["text"], window_words=10, overlap_words=10)
    with pytest.raises(InputError, match="passages must be True or False; got 'yes'"):
        model.get_document_info(load_corpus("bbc_news")[0], passages="yes")


def test_a_saved_model_reads_long_documents_as_it_was_told(tmp_path):
    """long_documents='windows' is kept in the saved file (and checked when read); the default path
    saves no such key; models differing only in it can be merged (one embedding space)."""
    from topicscope import TopicModel
    from topicscope.exceptions import PersistenceError

    docs, _, emb = load_corpus("bbc_news", limit=300)
    whole = TopicModel(embedding_model=QuantizedEmbedder(long_documents="windows"), random_state=0)
    whole.fit(docs, embeddings=emb)
    cut = TopicModel(random_state=0).fit(docs, embeddings=emb)
    whole.save(tmp_path / "whole")
    cut.save(tmp_path / "cut")
    loaded = TopicModel.load(tmp_path / "whole")
    assert isinstance(loaded.embedding_model, QuantizedEmbedder)
    assert loaded.embedding_model.long_documents == "windows"
    text = docs[0] + "\n\n" + docs[-1]
    np.testing.assert_allclose(
        loaded.embedding_model.embed([text]), QuantizedEmbedder(long_documents="windows").embed([text]), atol=1e-6
    )
    plain = TopicModel.load(tmp_path / "cut")
    assert (
        plain.embedding_model is None
        or plain.embedding_model == "default"
        or (getattr(plain.embedding_model, "long_documents", "truncate") == "truncate")
    )
    metas = {name: (tmp_path / name).glob("*.json") for name in ("whole", "cut")}
    saved = {name: " ".join(p.read_text() for p in files) for name, files in metas.items()}
    assert '"long_documents": "windows"' in saved["whole"] and "long_documents" not in saved["cut"]
    assert len(TopicModel.merge_models([whole, cut]).topic_sizes_) >= len(cut.topic_sizes_)
    # A damaged value is refused by name when the file is read.
    meta = next(p for p in (tmp_path / "whole").glob("*.json") if '"long_documents"' in p.read_text())
    meta.write_text(meta.read_text().replace('"long_documents": "windows"', '"long_documents": "whole"'))
    with pytest.raises(
        PersistenceError, match=r"field 'embedding_model.long_documents' must be 'windows' or 'truncate'"
    ):
        TopicModel.load(tmp_path / "whole")


def test_passages_of_texts_without_spaces():
    """Chinese and Japanese put no spaces between words: each character counts as a word, so a long
    text is still cut into passages (ideographic spaces are spaces); offsets stay exact."""
    from topicscope.verbs.passages import passage_spans

    text = "数据科学是一门学科。\u3000Topic models find themes, 日本語のテキスト abc"
    spans = passage_spans(text, 4, 1)
    assert [text[a:b] for a, b in spans] == [
        "数据科学",
        "学是一门",
        "门学科。",
        "。\u3000Topic models find",
        "find themes, 日本",
        "本語のテ",
        "テキスト",
        "ト abc",
    ]
    assert passage_spans("  \u3000 ", 4, 1) == [] and passage_spans("one", 4, 1) == [(0, 3)]


def test_passages_check_what_the_embedding_model_returns(articles):
    """A model fitted on embeddings of another width than its embedding model's: an InputError naming
    the passages' vectors, not a numpy traceback; and a model with only the outlier topic."""
    from sklearn.cluster import DBSCAN

    from topicscope import TopicModel

    docs, _, emb = load_corpus("bbc_news", limit=300)
    wide = np.hstack([emb, emb[:, :16]])  # 400 dimensions; the default model gives 384
    model = TopicModel(random_state=0).fit(docs, embeddings=wide)
    before = model.get_topic_info()
    with pytest.raises(InputError, match="the embedding model's vectors of the passages.*400"):
        model.topic_passages(docs[:2])
    assert model.get_topic_info().equals(before)
    only_outliers = TopicModel(hdbscan_model=DBSCAN(eps=1e-9, min_samples=50), random_state=0)
    only_outliers.fit(docs, embeddings=emb)
    assert set(only_outliers.topics_) == {-1}
    table = only_outliers.topic_passages(docs[:3])
    assert len(table) >= 3 and set(table["Topic"]) == {-1} and (table["Similarity"] == 0).all()
