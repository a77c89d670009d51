"""Part A (the BERTopic paper's protocol) and part B (defaults on raw text)."""

from __future__ import annotations

import copy
import time

import numpy as np
from common import (
    bertopic_model,
    bertopic_words,
    clean_tokens,
    diversity,
    gensim_npmi,
    load,
    stop_share,
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


def part_a(corpora=PROTOCOL, nr_topics=NR_TOPICS, seeds=SEEDS, log=print) -> list[dict]:
    from gensim.corpora import Dictionary

    from topicscope import TopicModel

    rows = []
    for name, mts in corpora.items():
        docs, labels, emb = load(name)
        texts = [d.split() for d in docs]
        dictionary = Dictionary(texts)
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


def part_b(corpora=(("bbc_news", 5), ("20newsgroups", 20)), log=print) -> list[dict]:
    from gensim.corpora import Dictionary

    from topicscope import TopicModel

    rows = []
    for name, gold in corpora:
        docs, labels, emb = load(name)
        texts = clean_tokens(docs)
        dictionary = Dictionary(texts)
        from bertopic import BERTopic

        for lib in ("BERTopic", "topicscope"):
            start = time.perf_counter()
            if lib == "BERTopic":
                model = BERTopic()
                topics, _ = model.fit_transform(docs, embeddings=emb)
                words = bertopic_words(model)
            else:
                model = TopicModel()
                topics, _ = model.fit_transform(docs, embeddings=emb)  # the same call as BERTopic's
                words = topicscope_words(model)
            elapsed = time.perf_counter() - start
            topics = np.asarray(topics)
            row = {
                "corpus": name,
                "lib": lib,
                "gold": gold,
                "n_topics": len(words),
                "outliers": float(np.mean(topics == -1)),
                "nmi": float(normalized_mutual_info_score(labels, topics)),
                "ari": float(adjusted_rand_score(labels, topics)),
                "stop_share": stop_share(words),
                "npmi": gensim_npmi([[w.lower() for w in t] for t in words], texts, dictionary),
                "fit_s": elapsed,
            }
            rows.append(row)
            log(
                f"B {name} {lib}: "
                + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())
            )
    return rows
