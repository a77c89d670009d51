"""Quality and cost of fitting on a sample (``fit_sample_size``) against a full fit, on octis_dblp.

octis_dblp: 54,595 paper titles with 4 field labels and precomputed embeddings. For each seed, a
full fit and fits on samples of several sizes (each followed by the assignment of every other
title and exact words over all of them): time, topics, NMI against the labels and against the
full fit's topics, NPMI (gensim c_npmi over the corpus itself) and diversity of the top 10 words.

    cd benchmarks && ../.venv/bin/python sample_quality.py [--seeds 0 1 2] [--fractions 0.05 0.1 0.2]
    cd benchmarks && ../.venv/bin/python sample_quality.py --cost

Writes results/sample_quality.json. ``--cost`` instead times fits of 25k, 50k and 101k documents
(octis_dblp, crisislex_tweets and 20newsgroups together, shuffled), each in a fresh process for its
peak memory, without sampling and with samples of 20k and 50k: results/sample_cost.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from common import diversity, gensim_npmi, load, topicscope_words
from sklearn.metrics import normalized_mutual_info_score

CORPUS = "octis_dblp"
MIN_TOPIC_SIZE = 15  # the BERTopic paper's setting for DBLP (as in quality.py)


def run(seeds: list[int], fractions: list[float]) -> list[dict]:
    from gensim.corpora import Dictionary

    from topicscope import TopicModel

    docs, labels, emb = load(CORPUS)
    texts = [d.split() for d in docs]
    dictionary = Dictionary(texts)
    rows = []
    for seed in seeds:
        full_topics = None
        for fraction in [1.0, *fractions]:
            size = None if fraction >= 1.0 else round(fraction * len(docs))
            start = time.perf_counter()
            model = TopicModel(min_topic_size=MIN_TOPIC_SIZE, random_state=seed, fit_sample_size=size).fit(
                docs, embeddings=emb
            )
            seconds = time.perf_counter() - start
            topics = np.asarray(model.topics_)
            if full_topics is None:
                full_topics = topics
            words = topicscope_words(model)
            row = {
                "seed": seed,
                "sample": size or len(docs),
                "fraction": fraction,
                "fit_s": round(seconds, 2),
                "n_topics": int(sum(1 for t in model.topic_sizes_ if t != -1)),
                "nmi_labels": float(normalized_mutual_info_score(labels, topics)),
                "nmi_vs_full": float(normalized_mutual_info_score(full_topics, topics)),
                "npmi": gensim_npmi(words, texts, dictionary),
                "diversity": diversity(words),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def summary(rows: list[dict]) -> list[dict]:
    out = []
    for fraction in sorted({r["fraction"] for r in rows}):
        group = [r for r in rows if r["fraction"] == fraction]
        full = {r["seed"]: r for r in rows if r["fraction"] == 1.0}
        out.append(
            {
                "fraction": fraction,
                "sample": group[0]["sample"],
                "fit_s": float(np.mean([r["fit_s"] for r in group])),
                "n_topics": float(np.mean([r["n_topics"] for r in group])),
                "nmi_labels": float(np.mean([r["nmi_labels"] for r in group])),
                "nmi_gap": float(np.mean([full[r["seed"]]["nmi_labels"] - r["nmi_labels"] for r in group])),
                "nmi_vs_full": float(np.mean([r["nmi_vs_full"] for r in group])),
                "npmi": float(np.mean([r["npmi"] for r in group])),
                "diversity": float(np.mean([r["diversity"] for r in group])),
            }
        )
    return out


COST_CORPORA = ("octis_dblp", "crisislex_tweets", "20newsgroups")


def _timed_fit(n: int, size: int | None, queue) -> None:
    import resource

    from topicscope import TopicModel

    docs, emb = [], []
    for name in COST_CORPORA:
        d, _, e = load(name)
        docs += d
        emb.append(e)
    order = np.random.default_rng(0).permutation(len(docs))[:n]
    docs, embeddings = [docs[i] for i in order], np.concatenate(emb)[order]
    start = time.perf_counter()
    model = TopicModel(random_state=0, fit_sample_size=size).fit(docs, embeddings=embeddings)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(
        {"n": n, "sample": size, "fit_s": round(seconds, 1), "peak_mib": round(peak), "topics": len(model.topic_sizes_)}
    )


def cost() -> None:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    rows = []
    for n in (25_000, 50_000, 101_000):
        for size in (None, 20_000, 50_000):
            if size is not None and size >= n:
                continue
            queue = ctx.Queue()
            proc = ctx.Process(target=_timed_fit, args=(n, size, queue))
            proc.start()
            row = queue.get()
            proc.join()
            rows.append(row)
            print(json.dumps(row), flush=True)
    out = Path(__file__).resolve().parent / "results" / "sample_cost.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.05, 0.1, 0.2])
    parser.add_argument("--cost", action="store_true", help="time and peak memory of fits of 25k-101k documents")
    args = parser.parse_args()
    if args.cost:
        cost()
        return
    rows = run(args.seeds, args.fractions)
    table = summary(rows)
    print(f"\n{CORPUS} ({len(load(CORPUS)[0])} titles), mean over seeds {args.seeds}")
    print(f"{'sample':>8} {'fit s':>7} {'topics':>7} {'NMI':>6} {'gap':>7} {'vs full':>8} {'NPMI':>7} {'div':>5}")
    for r in table:
        print(
            f"{r['sample']:>8} {r['fit_s']:>7.1f} {r['n_topics']:>7.1f} {r['nmi_labels']:>6.3f} {r['nmi_gap']:>+7.3f} "
            f"{r['nmi_vs_full']:>8.3f} {r['npmi']:>7.3f} {r['diversity']:>5.2f}"
        )
    out = Path(__file__).resolve().parent / "results" / "sample_quality.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"corpus": CORPUS, "rows": rows, "summary": table}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
