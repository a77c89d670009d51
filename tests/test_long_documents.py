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
