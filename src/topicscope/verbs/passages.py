"""Where each topic sits in a long document: its passages, each embedded and matched with a topic.

A document is cut into passages of ``window_words`` words (runs of non-space characters; in
Chinese and Japanese, each character), neighbours sharing ``overlap_words``; a document of at most
``window_words`` words is one passage. Each
passage is embedded with the model's embedding model, in the space its topics were fitted in, and
matched with the topic whose embedding is most similar (cosine; the outlier topic -1 is never a
match, and a model whose only topic is -1 gives every passage topic -1 at similarity 0, without
embedding). Passages keep their character offsets in the document, so ``document[start:end]`` is
the passage's text. The embedding model must be the one the topics' embeddings came from (a model
fitted on other embeddings of the same width cannot be told apart).

The default of 128 words (about 170 word pieces in English prose) usually stays inside the default
model's window of 256 word pieces; long URLs, code or numbers can take more, and then the model
reads the passage's first 256. Thai, Lao, Khmer and Burmese, which put no spaces between words
either, are not split by character: a passage there is 128 space-separated phrases. Words, not the
model's word pieces, make the passages: any embedding model can read them, and offsets in words
mean the same thing for every model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_documents, check_embeddings, check_int
from ..exceptions import InputError
from ..state import TopicState
from .distribution import embedding_similarity

if TYPE_CHECKING:
    from .view import ModelView

PASSAGE_WORDS = 128
PASSAGE_OVERLAP = 32
COLUMNS = ["Document", "Passage", "Start", "End", "Topic", "Name", "Similarity", "Text"]
# A word: a run of non-space characters, except that each Chinese character, kana or CJK symbol is
# a word of its own (those scripts do not put spaces between words, and the default model reads
# them a character at a time), so a Chinese or Japanese text is cut into passages too.
_CJK = "\u2e80-\u2fff\u3001-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_WORD = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")


@dataclass(frozen=True)
class Passages:
    """The passages of a list of documents, in document order: row ``i`` is passage ``passage[i]`` of
    document ``document[i]``, its characters ``start[i]:end[i]``, matched with ``topic[i]`` at cosine
    ``similarity[i]``. A document without words has no passage."""

    document: np.ndarray
    passage: np.ndarray
    start: np.ndarray
    end: np.ndarray
    topic: np.ndarray
    similarity: np.ndarray


def check_passage_params(window_words: Any, overlap_words: Any) -> tuple[int, int]:
    window = check_int(window_words, "window_words", minimum=1)
    overlap = check_int(overlap_words, "overlap_words", minimum=0)
    if overlap >= window:
        raise InputError(f"overlap_words must be smaller than window_words ({window}); got {overlap}")
    return window, overlap


def passage_spans(text: str, window_words: int, overlap_words: int) -> list[tuple[int, int]]:
    """(start, end) character offsets of the passages of ``text``: windows of ``window_words`` words
    starting every ``window_words - overlap_words`` words, the last reaching the last word."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not words:
        return []
    step = window_words - overlap_words
    spans = []
    first = 0
    while True:
        last = min(first + window_words, len(words)) - 1
        spans.append((words[first][0], words[last][1]))
        if last == len(words) - 1:
            return spans
        first += step


def match_passages(
    state: TopicState, documents: list[str], embed: Any, window_words: int, overlap_words: int
) -> Passages:
    """Every passage of ``documents`` (``passage_spans``), embedded with ``embed`` and matched with a topic."""
    owner: list[int] = []
    number: list[int] = []
    spans: list[tuple[int, int]] = []
    for d, text in enumerate(documents):
        for p, span in enumerate(passage_spans(text, window_words, overlap_words)):
            owner.append(d)
            number.append(p)
            spans.append(span)
    keep = state.topic_ids != -1
    topic_ids = state.topic_ids[keep].astype(np.int64)
    topic = np.full(len(spans), -1, dtype=np.int64)
    similarity = np.zeros(len(spans), dtype=np.float64)
    if spans and len(topic_ids):
        given = embed([documents[d][s:e] for d, (s, e) in zip(owner, spans)])
        # One finite row per passage, as wide as the fitted topics' embeddings (a model fitted on
        # other embeddings than its embedding model's is caught here when the widths differ).
        vectors = check_embeddings(
            given, len(spans), name="the embedding model's vectors of the passages", dim=state.embedding_dim
        )
        sims = embedding_similarity(vectors, state)  # columns: the topics other than -1, in order
        best = np.argmax(sims, axis=1)  # ties: the lowest topic id
        topic = topic_ids[best]
        similarity = sims[np.arange(len(best)), best]
    return Passages(
        document=np.asarray(owner, dtype=np.int64),
        passage=np.asarray(number, dtype=np.int64),
        start=np.asarray([s for s, _ in spans], dtype=np.int64),
        end=np.asarray([e for _, e in spans], dtype=np.int64),
        topic=topic,
        similarity=similarity,
    )


def model_passages(view: ModelView, documents: list[str], window_words: int, overlap_words: int) -> Passages:
    """``match_passages`` with the model's state and embedding model."""
    state = view.state()
    embedder = view.embedder()
    return match_passages(
        state,
        documents,
        lambda texts: embedder.embed(list(texts), verbose=bool(view.verbose)),
        window_words,
        overlap_words,
    )


def topic_passages(
    view: ModelView,
    documents: str | Sequence[str],
    window_words: int = PASSAGE_WORDS,
    overlap_words: int = PASSAGE_OVERLAP,
) -> Any:
    """A DataFrame with one row per passage (``COLUMNS``): where in each document each topic sits."""
    import pandas as pd

    view.state()
    docs = [documents] if isinstance(documents, str) else check_documents(documents, allow_empty=True)
    window, overlap = check_passage_params(window_words, overlap_words)
    found = model_passages(view, docs, window, overlap)
    names = view.state().names
    return pd.DataFrame(
        {
            "Document": found.document,
            "Passage": found.passage,
            "Start": found.start,
            "End": found.end,
            "Topic": found.topic,
            "Name": [names.get(int(t), str(int(t))) for t in found.topic],
            "Similarity": found.similarity,
            "Text": [docs[d][s:e] for d, s, e in zip(found.document, found.start, found.end)],
        },
        columns=COLUMNS,
    )


def passages_by_document(found: Passages, n_documents: int) -> list[list[dict[str, Any]]]:
    """Each document's passages as a list of {"start", "end", "topic", "similarity"} dicts."""
    out: list[list[dict[str, Any]]] = [[] for _ in range(n_documents)]
    for d, s, e, t, sim in zip(found.document, found.start, found.end, found.topic, found.similarity):
        out[int(d)].append({"start": int(s), "end": int(e), "topic": int(t), "similarity": round(float(sim), 6)})
    return out
