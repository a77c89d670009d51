"""Part A (the BERTopic paper's protocol) and part B (defaults on raw text)."""

from __future__ import annotations

import copy
import time

import numpy as np
from common import (
    _minilm,
    all_tokens,
    bertopic_model,
    bertopic_words,
    clean_tokens,
    diversity,
    filler_share,
    gensim_npmi,
    load,
    stop_share,
    topeax_model,
    topeax_words,
    topicscope_words,
)
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

PROTOCOL = {"octis_bbc": 5, "octis_m10": 15, "octis_dblp": 15}
NR_TOPICS = (10, 20, 30, 40, 50)
SEEDS = (0, 21, 42)


def _scores(words, topics, labels, texts, dictionary) -> dict[str, float]:
    topics = np.asarray(topics)
    return {
        "npmi": gensim_npmi(words, texts, dictionary),
        "diversity": diversity(words),
        "nmi": float(normalized_mutual_info_score(labels, topics)),
        "outliers": float(np.mean(topics == -1)),
        "n_topics": len(words),
    }


def part_a(corpora=PROTOCOL, nr_topics=NR_TOPICS, seeds=SEEDS, topeax_seeds=SEEDS, log=print) -> list[dict]:
    """BERTopic and topicscope at each ``nr_topics`` x seed; Topeax, which has no topic count to set,
    once per seed in ``topeax_seeds`` with the count it finds (``nr_topics`` is then "auto")."""
    from gensim.corpora import Dictionary

    from topicscope import TopicModel

    rows = []
    for name, mts in corpora.items():
        docs, labels, emb = load(name)
        texts = [d.split() for d in docs]
        dictionary = Dictionary(texts)
        for seed in topeax_seeds:
            model = topeax_model(seed)
            model.fit_transform(docs, embeddings=emb)
            rows.append(
                {
                    "corpus": name,
                    "lib": "Topeax",
                    "seed": seed,
                    "nr_topics": "auto",
                    **_scores(topeax_words(model), model.labels_, labels, texts, dictionary),
                }
            )
            log(f"A {name} seed={seed} Topeax: " + ", ".join(f"{k}={rows[-1][k]}" for k in ("n_topics", "npmi", "nmi")))
        for seed in seeds:
            bt = bertopic_model(mts, seed)
            bt.fit(docs, embeddings=emb)
            for n in nr_topics:
                m = copy.deepcopy(bt)
                m.reduce_topics(docs, nr_topics=n)
                rows.append(
                    {
                        "corpus": name,
                        "lib": "BERTopic",
                        "seed": seed,
                        "nr_topics": n,
                        **_scores(bertopic_words(m), m.topics_, labels, texts, dictionary),
                    }
                )
                ts = TopicModel(min_topic_size=mts, nr_topics=n, random_state=seed).fit(docs, embeddings=emb)
                rows.append(
                    {
                        "corpus": name,
                        "lib": "topicscope",
                        "seed": seed,
                        "nr_topics": n,
                        **_scores(topicscope_words(ts), ts.topics_, labels, texts, dictionary),
                    }
                )
                log(
                    f"A {name} seed={seed} n={n}: "
                    + " | ".join(
                        f"{r['lib']} npmi={r['npmi']:.3f} div={r['diversity']:.2f} nmi={r['nmi']:.3f}"
                        for r in rows[-2:]
                    )
                )
    return rows


PART_B = (("bbc_news", 5), ("20newsgroups", 20), ("crisislex_tweets", 26))
LIBS = ("BERTopic", "Topeax", "topicscope")


def _fit_default(lib: str, docs: list[str], emb: np.ndarray) -> tuple[np.ndarray, list[list[str]]]:
    """One ``fit_transform`` of ``lib`` with its defaults on precomputed embeddings: (topics, words)."""
    if lib == "BERTopic":
        from bertopic import BERTopic

        model = BERTopic()
        topics, _ = model.fit_transform(docs, embeddings=emb)
        return np.asarray(topics), bertopic_words(model)
    if lib == "Topeax":
        model = topeax_model(0)
        model.fit_transform(docs, embeddings=emb)
        return np.asarray(model.labels_), topeax_words(model)
    from topicscope import TopicModel

    model = TopicModel()
    topics, _ = model.fit_transform(docs, embeddings=emb)  # the same call as BERTopic's
    return np.asarray(topics), topicscope_words(model)


def part_b(corpora=PART_B, libs=LIBS, log=print) -> list[dict]:
    from gensim.corpora import Dictionary

    _minilm()  # loaded before the clocks start (Topeax needs the encoder object)
    rows = []
    for name, gold in corpora:
        docs, labels, emb = load(name)
        texts = clean_tokens(docs)
        dictionary = Dictionary(texts)
        tokens = all_tokens(docs)  # issue 14's reference: every token, stop words included
        token_dictionary = Dictionary(tokens)
        for lib in libs:
            start = time.perf_counter()
            topics, words = _fit_default(lib, docs, emb)
            elapsed = time.perf_counter() - start
            row = {
                "corpus": name,
                "lib": lib,
                "gold": gold,
                "n_topics": len(words),
                "outliers": float(np.mean(topics == -1)),
                "nmi": float(normalized_mutual_info_score(labels, topics)),
                "ari": float(adjusted_rand_score(labels, topics)),
                "stop_share": stop_share(words),
                "filler_share": filler_share(words, docs),
                "npmi": gensim_npmi([[w.lower() for w in t] for t in words], tokens, token_dictionary),
                "npmi_nostop": gensim_npmi([[w.lower() for w in t] for t in words], texts, dictionary),
                "fit_s": elapsed,
            }
            rows.append(row)
            log(
                f"B {name} {lib}: "
                + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())
            )
    return rows
