"""KeyBERTInspired ranks words and documents in one embedding space: the embedding_model's."""

from __future__ import annotations

import string

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import load_corpus
from topicscope import TopicModel
from topicscope.context import TopicContext
from topicscope.exceptions import InputError
from topicscope.representation import KeyBERTInspired


class LetterEmbedder:
    """A real, deterministic embedder: the L2-normalised letter histogram of a text (26 dims)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for i, text in enumerate(texts):
            for ch in text.lower():
                if ch in string.ascii_lowercase:
                    out[i, ord(ch) - 97] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def letter_context(embedder: LetterEmbedder, fitted_vectors: np.ndarray) -> TopicContext:
    """Two topics; their documents' precomputed vectors (``fitted_vectors``) are another model's."""
    vocab = np.array(["banana", "kiwi", "apple", "zzz", "mango", "fig"])
    ctfidf = sp.csr_matrix(np.array([[5.0, 4.0, 3.0, 2.0, 1.0, 0.0], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]], dtype=np.float64))
    docs = {0: ["a banana bread", "bananas and mangoes", "nana"], 1: ["zigzag fizz", "fizzy figs", "jazz"]}
    return TopicContext(
        topic_ids=[0, 1],
        words={0: [], 1: []},
        vocabulary=vocab,
        ctfidf=ctfidf,
        sizes={0: 3, 1: 3},
        representative_docs=docs,
        candidate_docs=docs,
        candidate_embeddings={0: fitted_vectors[:3], 1: fitted_vectors[3:]},
        embed=lambda texts: embedder.encode(list(texts)),
        top_n_words=4,
    )


def expected_ranking(embedder: LetterEmbedder, words: list[str], docs: list[str], n: int) -> list[str]:
    query = embedder.encode(docs).mean(axis=0)
    query /= np.linalg.norm(query)
    sims = embedder.encode(words) @ query
    return [words[i] for i in np.argsort(-sims, kind="stable")[:n]]


def test_words_ranked_by_the_given_embedder_not_by_precomputed_vectors():
    embedder = LetterEmbedder()
    # Precomputed vectors of the same dimension but another "model": each topic's documents
    # point at the letters of the other topic's words.
    fitted = LetterEmbedder().encode(["zzz fig", "zig", "fizz", "banana", "nana", "anna"])
    ctx = letter_context(embedder, fitted)
    out = KeyBERTInspired(nr_repr_docs=3, nr_candidate_words=5).describe(ctx)

    cand0 = ["banana", "kiwi", "apple", "zzz", "mango"]  # topic 0's five best c-TF-IDF words, in order
    cand1 = ["fig", "mango", "zzz", "apple", "kiwi"]
    assert [w for w, _ in out[0]] == expected_ranking(embedder, cand0, ctx.candidate_docs[0], 4)
    assert [w for w, _ in out[1]] == expected_ranking(embedder, cand1, ctx.candidate_docs[1], 4)
    assert out[0][0][0] == "banana" and out[1][0][0] in {"zzz", "fig"}
    # Ranking against the precomputed vectors instead (the old behaviour) gives another order.
    query = fitted[:3].mean(axis=0)
    wrong = [cand0[i] for i in np.argsort(-(embedder.encode(cand0) @ query), kind="stable")[:4]]
    assert wrong != [w for w, _ in out[0]]
    # Scores are the cosine similarities, highest first.
    scores = [s for _, s in out[0]]
    assert scores == sorted(scores, reverse=True) and all(-1.0 <= s <= 1.0 for s in scores)
    # Documents are embedded by the embedder itself, in one batched call with the words.
    embedded = {t for call in embedder.calls for t in call}
    assert set(ctx.candidate_docs[0]) | set(ctx.candidate_docs[1]) <= embedded


def test_dimension_mismatch_in_context_is_a_clear_error():
    embedder = LetterEmbedder()
    fitted = np.random.default_rng(0).normal(size=(6, 8)).astype(np.float32)  # another model: 8 dims
    with pytest.raises(InputError, match="KeyBERTInspired compares words and documents embedded by embedding_model"):
        KeyBERTInspired().describe(letter_context(embedder, fitted))


def test_embedder_returning_wrong_rows_is_a_clear_error():
    ctx = letter_context(LetterEmbedder(), LetterEmbedder().encode(list("abcdef")))
    ctx.embed = lambda texts: np.zeros((1, 26), dtype=np.float32)
    with pytest.raises(InputError, match="one row per text"):
        KeyBERTInspired().describe(ctx)


def test_topic_model_with_precomputed_embeddings_of_another_dimension():
    docs, _, emb = load_corpus("bbc_news", 300)  # MiniLM, 384 dims
    model = TopicModel(
        embedding_model=LetterEmbedder(),  # 26 dims
        representation_model=KeyBERTInspired(),
        min_topic_size=20,
        random_state=0,
    )
    with pytest.raises(InputError) as err:
        model.fit(docs, embeddings=emb)
    message = str(err.value)
    assert "KeyBERTInspired compares words and documents embedded by embedding_model" in message
    assert "384" in message and "26" in message


def test_topic_model_with_a_matching_custom_embedder_ranks_by_it():
    docs, _, _ = load_corpus("bbc_news", 300)
    emb = LetterEmbedder().encode(docs)  # the embedding model's own document vectors
    model = TopicModel(
        embedding_model=LetterEmbedder(), representation_model=KeyBERTInspired(), min_topic_size=20, random_state=0
    ).fit(docs, embeddings=emb)
    # The same fit without re-ranking: its 30 c-TF-IDF words are KeyBERTInspired's candidates.
    plain = TopicModel(embedding_model=LetterEmbedder(), top_n_words=30, min_topic_size=20, random_state=0)
    plain.fit(docs, embeddings=emb)
    topics = [t for t in model.get_topic_info()["Topic"] if t != -1]
    assert topics and topics == [t for t in plain.get_topic_info()["Topic"] if t != -1]
    for t in topics:
        candidates = [w for w, _ in plain.get_topic(t)]
        central = model.state_.candidate_docs[t][:5]
        assert [w for w, _ in model.get_topic(t)] == expected_ranking(LetterEmbedder(), candidates, central, 10)


@pytest.mark.slow
def test_keybert_with_the_real_packaged_model():
    docs, _, emb = load_corpus("bbc_news")
    idx = np.linspace(0, len(docs) - 1, 400).astype(int)  # spread over the five sections
    docs, emb = [docs[i] for i in idx], emb[idx]
    model = TopicModel(representation_model=KeyBERTInspired(), min_topic_size=20, random_state=0)
    model.fit(docs, embeddings=emb)  # the packaged MiniLM made these embeddings: same space
    topics = [t for t in model.get_topic_info()["Topic"] if t != -1]
    assert len(topics) >= 3
    for t in topics:
        words = model.get_topic(t)
        assert len(words) == 10 and all(0.0 < s <= 1.0 for _, s in words)
    sport = [t for t in topics if any(w in {"match", "cup", "win", "players", "game"} for w, _ in model.get_topic(t))]
    assert sport, [model.get_topic(t)[:5] for t in topics]


def test_no_embedding_model_is_a_clear_error():
    ctx = TopicContext([0], {0: [("apple", 1.0)]}, np.array(["apple"]), sp.csr_matrix(np.ones((1, 1))), {0: 3}, {})
    with pytest.raises(InputError, match="needs an embedding model"):
        KeyBERTInspired().describe(ctx)
