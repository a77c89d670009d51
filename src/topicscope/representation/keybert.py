"""KeyBERT-inspired topic words: c-TF-IDF candidates re-ranked by closeness to the topic's documents."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from .base import BaseRepresentation, TopicContext, Words


class KeyBERTInspired(BaseRepresentation):
    """Re-rank candidate words by cosine similarity to the topic's central documents.

    The topic's query vector is the mean embedding of its ``nr_repr_docs`` most central
    documents; the candidates are the topic's ``nr_candidate_words`` best c-TF-IDF words.

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
        embed = context.require_embed("KeyBERTInspired")
        top_n = self.top_n_words or context.top_n_words
        vocab = context.vocabulary
        out: dict[int, Words] = {}
        for row, topic in enumerate(context.topic_ids):
            weights = context.ctfidf.getrow(row).toarray().ravel() if context.ctfidf.shape[1] else np.zeros(0)
            cand_idx = [i for i in np.argsort(-weights, kind="stable")[:nr_cand] if weights[i] > 0]
            candidates = [str(vocab[i]) for i in cand_idx]
            if not candidates:
                out[topic] = []
                continue
            doc_vecs = context.candidate_embeddings.get(topic)
            if doc_vecs is None or not len(doc_vecs):
                docs = context.representative_docs.get(topic, [])
                doc_vecs = embed(docs[:nr_docs]) if docs else None
            if doc_vecs is None:
                out[topic] = [(w, 0.0) for w in candidates[:top_n]]
                continue
            query = np.asarray(doc_vecs[:nr_docs]).mean(axis=0)
            query /= np.linalg.norm(query) or 1.0
            sims = embed(candidates) @ query
            order = np.argsort(-sims, kind="stable")[:top_n]
            out[topic] = [(candidates[i], float(sims[i])) for i in order]
        return out
