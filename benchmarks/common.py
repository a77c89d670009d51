"""Shared helpers of the benchmarks: corpora, metrics, the two libraries' fits."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TOKEN = re.compile(r"(?u)\b\w\w+\b")


@cache
def load(name: str) -> tuple[list[str], list, np.ndarray]:
    texts, labels = [], []
    with (DATA / name / "docs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(row["text"])
            labels.append(row.get("label"))
    emb = np.load(DATA / name / "embeddings_minilm.npy").astype("float32")
    return texts, labels, emb


def load_limited(name: str, limit: int | None = None, seed: int = 0) -> tuple[list[str], list, np.ndarray]:
    """``load(name)``, or a seeded random sample of ``limit`` of its documents (in file order) when
    the corpus is larger: for quick runs of the benchmarks (20newsgroups' first rows are one group)."""
    texts, labels, emb = load(name)
    if limit is None or limit >= len(texts):
        return texts, labels, emb
    keep = np.sort(np.random.default_rng(seed).choice(len(texts), size=limit, replace=False))
    return [texts[i] for i in keep], [labels[i] for i in keep], emb[keep]


def holdout_split(n: int, n_new: int, n_warm: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint (fit, warm-up, new) row indices of a seeded permutation of ``n`` rows: the model is
    fitted on ``fit``, ``transform`` is warmed up on ``warm`` and timed on ``new``."""
    if n_new + n_warm >= n:
        raise ValueError(f"n_new + n_warm must be < n; got {n_new} + {n_warm} >= {n}")
    perm = np.random.default_rng(seed).permutation(n)
    new, warm, fit = perm[:n_new], perm[n_new : n_new + n_warm], perm[n_new + n_warm :]
    return np.sort(fit), np.sort(warm), np.sort(new)


def gensim_npmi(topics: list[list[str]], texts: list[list[str]], dictionary=None) -> float:
    """Mean NPMI (gensim CoherenceModel, c_npmi) of the topics' top-10 words."""
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    dictionary = dictionary or Dictionary(texts)
    topics = [[w for w in t if w in dictionary.token2id][:10] for t in topics]
    topics = [t for t in topics if len(t) >= 2]
    if not topics:
        return float("nan")
    cm = CoherenceModel(topics=topics, texts=texts, dictionary=dictionary, coherence="c_npmi", topn=10, processes=1)
    return float(cm.get_coherence())


def diversity(topics: list[list[str]]) -> float:
    words = [w for t in topics for w in t[:10]]
    return len(set(words)) / max(len(words), 1)


def bertopic_words(model) -> list[list[str]]:
    return [[w for w, _ in model.get_topic(t)][:10] for t in sorted(model.get_topics()) if t != -1]


def topicscope_words(model) -> list[list[str]]:
    return [[w for w, _ in model.get_topic(t)][:10] for t in sorted(model.topic_sizes_) if t != -1]


def stop_share(topics: list[list[str]]) -> float:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = [w for t in topics for w in t[:10]]
    return float(np.mean([w in ENGLISH_STOP_WORDS for w in words])) if words else float("nan")


def clean_tokens(texts: list[str]) -> list[list[str]]:
    """Lower-cased word tokens without English stop words (the reference of part B's NPMI)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return [[w for w in TOKEN.findall(t.lower()) if w not in ENGLISH_STOP_WORDS] for t in texts]


def all_tokens(texts: list[str]) -> list[list[str]]:
    """Lower-cased word tokens, scikit-learn's default token pattern, nothing removed (issue 14's NPMI
    reference: a stop word in a topic's top 10 is scored like any other word)."""
    return [TOKEN.findall(t.lower()) for t in texts]


def bertopic_model(min_topic_size: int, seed: int | None):
    from bertopic import BERTopic
    from umap import UMAP

    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    return BERTopic(min_topic_size=min_topic_size, umap_model=umap)


@cache
def _minilm():
    """The packaged all-MiniLM-L6-v2 as a SentenceTransformer (offline; Topeax wants an encoder object
    even when it is given embeddings, and loads a hub name otherwise)."""
    from sentence_transformers import SentenceTransformer

    from topicscope.embedding.backends import default_model_path

    return SentenceTransformer(str(default_model_path()), device="cpu")


def topeax_model(seed: int | None):
    """Turftopic's Topeax with its defaults (only the encoder object and the seed are given)."""
    from turftopic import Topeax

    return Topeax(encoder=_minilm(), random_state=seed)


def topeax_words(model) -> list[list[str]]:
    return [[w for w, _ in words][:10] for _, words in model.get_topics(10)]


def filler_share(topics: list[list[str]], docs: list[str]) -> float:
    """Share of topics whose first 3 words include a filler word: a word among the top 10 of more
    than half of the topics, or in more than 30% of the documents (lower-cased, scikit-learn's token
    pattern; an n-gram counts when any of its words does)."""
    if not topics:
        return float("nan")
    tops = [{w.lower() for w in t[:10]} for t in topics]
    in_topics: dict[str, int] = {}
    for t in tops:
        for w in t:
            in_topics[w] = in_topics.get(w, 0) + 1
    firsts = [[w.lower() for w in t[:3]] for t in topics]
    words = {u for t in firsts for w in t for u in [w, *w.split()]}
    df = dict.fromkeys(words, 0)
    for d in docs:
        for w in words.intersection(TOKEN.findall(d.lower())):
            df[w] += 1
    filler = {w for w in words if df[w] > 0.3 * len(docs) or in_topics.get(w, 0) > len(topics) / 2}
    return float(np.mean([any(w in filler or set(w.split()) & filler for w in t) for t in firsts]))
