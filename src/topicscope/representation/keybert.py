"""KeyBERT-inspired topic words: c-TF-IDF candidates re-ranked by closeness to the topic's documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .._validation import check_int
from ..context import BaseRepresentation, TopicContext, Words
from ..exceptions import InputError

_WHO = "KeyBERTInspired compares words and documents embedded by embedding_model"


def _embed_rows(embed: Callable[[list[str]], np.ndarray], texts: Sequence[str], what: str) -> np.ndarray:
    """``embed(texts)`` as a float32 (len(texts), dim) array; anything else is an InputError."""
    try:
        vecs = np.asarray(embed(list(texts)), dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{_WHO}; embedding_model returned {what} that are not a numeric array: {exc}") from exc
    if vecs.ndim != 2 or vecs.shape[0] != len(texts):
        raise InputError(
            f"{_WHO}; embedding_model must return one row per text: {len(texts)} {what} gave an array of "
            f"shape {vecs.shape}"
        )
    return vecs


def _unit_rows(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.where(norms > 0, norms, 1.0)


class KeyBERTInspired(BaseRepresentation):
    """Re-rank candidate words by cosine similarity to the topic's central documents.

    Words and documents are ranked in one embedding space: the topic's ``nr_repr_docs`` most
    central documents and its ``nr_candidate_words`` best c-TF-IDF words are both embedded by
    the topic model's ``embedding_model`` (``TopicContext.embed``); the query is the mean of the
    document vectors. Precomputed document embeddings passed to ``fit`` only choose which
    documents are central. When their dimension differs from ``embedding_model``'s (they came
    from another model), an :class:`~topicscope.exceptions.InputError` says so instead of
    ranking words in a space the topics were not found in.

    Parameters
    ----------
    top_n_words : words kept per topic (default: the topic model's ``top_n_words``).
    nr_repr_docs : central documents averaged into the query.
    nr_candidate_words : c-TF-IDF words considered per topic.
    """

    def __init__(self, top_n_words: int | None = None, nr_repr_docs: int = 5, nr_candidate_words: int = 30) -> None:
        self.top_n_words = top_n_words
        self.nr_repr_docs = nr_repr_docs
        self.nr_candidate_words = nr_candidate_words

    def describe(self, context: TopicContext) -> dict[int, Words]:
        nr_docs = check_int(self.nr_repr_docs, "nr_repr_docs", minimum=1)
        nr_cand = check_int(self.nr_candidate_words, "nr_candidate_words", minimum=1)
        if self.top_n_words is not None:
            check_int(self.top_n_words, "top_n_words", minimum=1)
        embed = context.require_embed("KeyBERTInspired")
        top_n = self.top_n_words or context.top_n_words
        vocab = context.vocabulary

        candidates: dict[int, list[str]] = {}
        docs: dict[int, list[str]] = {}
        for row, topic in enumerate(context.topic_ids):
            weights = context.ctfidf.getrow(row).toarray().ravel() if context.ctfidf.shape[1] else np.zeros(0)
            cand_idx = [i for i in np.argsort(-weights, kind="stable")[:nr_cand] if weights[i] > 0]
            candidates[topic] = [str(vocab[i]) for i in cand_idx]
            central = list(context.candidate_docs.get(topic) or context.representative_docs.get(topic) or [])
            docs[topic] = central[:nr_docs]

        # One call for all words and one for all documents (the embedder batches them).
        words = sorted({w for topic in context.topic_ids if docs[topic] for w in candidates[topic]})
        texts = [d for topic in context.topic_ids if candidates[topic] for d in docs[topic]]
        word_vecs = _unit_rows(_embed_rows(embed, words, "words")) if words else np.zeros((0, 0), np.float32)
        doc_vecs = _unit_rows(_embed_rows(embed, texts, "documents")) if texts else np.zeros((0, 0), np.float32)
        self._check_space(context, word_vecs, doc_vecs)

        word_row = {w: i for i, w in enumerate(words)}
        out: dict[int, Words] = {}
        start = 0
        for topic in context.topic_ids:
            cands = candidates[topic]
            if not cands:
                out[topic] = []
                continue
            if not docs[topic]:
                out[topic] = [(w, 0.0) for w in cands[:top_n]]
                continue
            end = start + len(docs[topic])
            query = doc_vecs[start:end].mean(axis=0)
            start = end
            query /= np.linalg.norm(query) or 1.0
            sims = word_vecs[[word_row[w] for w in cands]] @ query
            order = np.argsort(-sims, kind="stable")[:top_n]
            out[topic] = [(cands[i], float(sims[i])) for i in order]
        return out

    @staticmethod
    def _check_space(context: TopicContext, word_vecs: np.ndarray, doc_vecs: np.ndarray) -> None:
        """Words, documents and the fitted document embeddings must share one dimension."""
        dims = {"words": word_vecs.shape[1] if len(word_vecs) else None}
        dims["documents"] = doc_vecs.shape[1] if len(doc_vecs) else None
        fitted = next((np.asarray(v) for v in context.candidate_embeddings.values() if v is not None and len(v)), None)
        if fitted is not None and fitted.ndim == 2:
            dims["the document embeddings the topics were fitted on"] = fitted.shape[1]
        known = {name: d for name, d in dims.items() if d is not None}
        if len(set(known.values())) > 1:
            found = ", ".join(f"{name}: {d}" for name, d in known.items())
            raise InputError(
                f"{_WHO}, which must be the model that made the documents' embeddings; the dimensions "
                f"disagree ({found}). Pass as embedding_model the model that produced the embeddings "
                "given to fit, or fit without precomputed embeddings."
            )
