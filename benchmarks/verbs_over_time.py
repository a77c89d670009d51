"""topics_over_time and topics_per_class against BERTopic 0.17.4 on identical topics (issue 10).

Both libraries hold the same topics (``verbs_common.paired_models``: topicscope fitted on the
precomputed embeddings, BERTopic in manual mode on its labels), so the benchmark times the verb alone.

* ``topics_over_time`` on crisislex_tweets (27,933 tweets), ``nr_bins=20`` and one bin per day
  (timestamps floored to the day). Both get the same pandas Series of datetimes: BERTopic 0.17.4
  cannot parse string timestamps under pandas 3 (it passes ``infer_datetime_format``, removed
  there), so topicscope's time with the ISO strings is reported apart.
* ``topics_per_class`` on 20newsgroups (classes = newsgroups).
* For each call: speed-up (target >= 10x), whether the Frequency columns are identical (rows sorted,
  BERTopic's topic ids mapped to topicscope's), and how many shown words do not occur in their
  cell's documents (each library's own tokens, checked with a CountVectorizer over its vocabulary).
* topicscope is timed on the training documents (fit's document-term matrix reused); the time
  when the documents are not recognised (one character changed, ``topics=`` given, so they are
  counted again) is reported too.

Run: ``cd benchmarks && ../.venv/bin/python verbs_over_time.py [--limit N]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from common import DATA
from verbs_common import best_time, id_map, paired_models

RESULTS = Path(__file__).resolve().parent / "results"


def raw_timestamps(n: int | None) -> list[str]:
    with (DATA / "crisislex_tweets" / "docs.jsonl").open(encoding="utf-8") as fh:
        stamps = [json.loads(line)["timestamp"] for line in fh]
    return stamps if n is None else stamps[:n]


def frequencies(table, key: str, to_ts: dict[int, int] | None = None) -> list[tuple]:
    topics = [to_ts[int(t)] if to_ts else int(t) for t in table.Topic]
    return sorted((str(k), t, int(f)) for k, t, f in zip(table[key], topics, table.Frequency))


def leaked(table, key: str, doc_keys, doc_topics, texts: list[str], analyzer, vocabulary) -> int:
    """Shown words absent from every document of their (key, topic) cell."""
    from sklearn.feature_extraction.text import CountVectorizer

    index = {str(w): i for i, w in enumerate(vocabulary)}
    present = CountVectorizer(analyzer=analyzer, vocabulary=index).transform(texts)
    cells = pd.MultiIndex.from_arrays([pd.Index([str(k) for k in doc_keys]), pd.Index(np.asarray(doc_topics))])
    codes, uniques = pd.factorize(cells)
    indicator = sp.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(uniques), len(codes)))
    summed = sp.csr_matrix(indicator @ present)
    position = {cell: i for i, cell in enumerate(uniques)}
    count = 0
    for k, topic, words in zip(table[key], table.Topic, table.Words):
        row = position[(str(k), int(topic))]
        for word in (w for w in str(words).split(", ") if w):
            col = index.get(word)
            count += int(col is None or summed[row, col] == 0)
    return count


def compare(name, key, call_ts, call_bt, ts, bt, docs, doc_keys, repeat: int) -> dict:
    t_ts, table_ts = best_time(call_ts, repeat)
    t_bt, table_bt = best_time(call_bt, 1)
    to_ts = id_map(bt.topics_, ts.topics_)
    same = frequencies(table_ts, key) == frequencies(table_bt, key, to_ts)
    bt_texts = bt._preprocess_text(np.asarray(docs, dtype=object))
    words = int(sum(len([w for w in str(x).split(", ") if w]) for x in table_ts.Words))
    words_bt = int(sum(len([w for w in str(x).split(", ") if w]) for x in table_bt.Words))
    leak_ts = leaked(
        table_ts, key, doc_keys, ts.topics_, docs, ts.stages_.vectorizer.build_analyzer(), ts.state_.vocabulary
    )
    leak_bt = leaked(
        table_bt, key, doc_keys, bt.topics_, bt_texts, bt.vectorizer_model.build_analyzer(),
        bt.vectorizer_model.get_feature_names_out(),
    )  # fmt: skip
    print(
        f"{name:44} {t_bt:9.2f} {t_ts:10.3f} {t_bt / t_ts:7.0f}x  rows {len(table_ts):5d}/{len(table_bt):5d}  "
        f"same Frequency {same}  leaked words: BERTopic {leak_bt}/{words_bt}, topicscope {leak_ts}/{words}"
    )
    return {
        "bertopic_s": t_bt,
        "topicscope_s": t_ts,
        "speedup": t_bt / t_ts,
        "rows": {"bertopic": len(table_bt), "topicscope": len(table_ts)},
        "same_frequency": bool(same),
        "leaked_words": {
            "bertopic": leak_bt,
            "bertopic_shown": words_bt,
            "topicscope": leak_ts,
            "topicscope_shown": words,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="the first N tweets / a sample of 20newsgroups")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result: dict = {}
    print(f"{'call':44} {'BERTopic s':>9} {'topicscope s':>10} {'speed-up':>8}")

    # ------------------------------------------------------------------ topics over time
    start = time.perf_counter()
    # --limit: the first N tweets (not a sample: the timestamps are read in file order)
    ts, bt, docs, _, _, _ = _first(args.limit) if args.limit else paired_models("crisislex_tweets", None)
    strings = raw_timestamps(len(docs))
    stamps = pd.Series(pd.to_datetime(pd.Series(strings)))
    days = stamps.dt.floor("D")
    result["crisislex_tweets"] = {
        "documents": len(docs),
        "topics": len(set(ts.topics_)),
        "fit_s": time.perf_counter() - start,
    }
    cut = pd.cut(stamps, bins=20)
    left20 = pd.Series(cut.cat.categories.left.take(cut.cat.codes.to_numpy()))
    result["topics_over_time_nr_bins_20"] = compare(
        "topics_over_time(docs, ts, nr_bins=20)", "Timestamp",
        lambda: ts.topics_over_time(docs, stamps, nr_bins=20), lambda: bt.topics_over_time(docs, stamps, nr_bins=20),
        ts, bt, docs, left20, args.repeat,
    )  # fmt: skip
    result["topics_over_time_days"] = compare(
        f"topics_over_time(docs, days) ({days.nunique()} days)", "Timestamp",
        lambda: ts.topics_over_time(docs, days), lambda: bt.topics_over_time(docs, days),
        ts, bt, docs, days, args.repeat,
    )  # fmt: skip
    t_strings, _ = best_time(lambda: ts.topics_over_time(docs, strings, nr_bins=20), args.repeat)
    edited = list(docs)
    edited[0] = edited[0] + "!"
    t_new, _ = best_time(lambda: ts.topics_over_time(edited, stamps, topics=ts.topics_, nr_bins=20), args.repeat)
    print(
        f"topicscope, nr_bins=20, ISO strings parsed by topicscope: {t_strings:.3f} s "
        "(BERTopic: TypeError under pandas 3)"
    )
    print(f"topicscope, nr_bins=20, documents not recognised (counted again, topics= given): {t_new:.3f} s")
    result["topics_over_time_nr_bins_20"]["topicscope_iso_strings_s"] = t_strings
    result["topics_over_time_nr_bins_20"]["topicscope_unrecognised_docs_s"] = t_new
    result["topics_over_time_nr_bins_20"]["speedup_unrecognised_docs"] = (
        result["topics_over_time_nr_bins_20"]["bertopic_s"] / t_new
    )
    del ts, bt

    # ------------------------------------------------------------------ topics per class
    start = time.perf_counter()
    ts, bt, docs, _, _, labels = paired_models("20newsgroups", args.limit)
    result["20newsgroups"] = {
        "documents": len(docs),
        "topics": len(set(ts.topics_)),
        "fit_s": time.perf_counter() - start,
    }
    result["topics_per_class"] = compare(
        "topics_per_class(docs, newsgroups)", "Class",
        lambda: ts.topics_per_class(docs, labels), lambda: bt.topics_per_class(docs, labels),
        ts, bt, docs, labels, args.repeat,
    )  # fmt: skip
    edited = list(docs)
    edited[0] = edited[0] + "!"
    t_new, _ = best_time(lambda: ts.topics_per_class(edited, labels, topics=ts.topics_), args.repeat)
    print(f"topicscope, per class, documents not recognised (counted again, topics= given): {t_new:.3f} s")
    result["topics_per_class"]["topicscope_unrecognised_docs_s"] = t_new
    result["topics_per_class"]["speedup_unrecognised_docs"] = result["topics_per_class"]["bertopic_s"] / t_new

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "verbs_over_time.json").write_text(json.dumps(result, indent=2))


def _first(n: int):
    """paired_models on the first ``n`` tweets (crisislex_tweets is in time order within each event)."""
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from common import load

    from topicscope import TopicModel

    texts, labels, emb = load("crisislex_tweets")
    docs, emb = texts[:n], emb[:n]
    ts = TopicModel(random_state=0)
    topics, _ = ts.fit_transform(docs, embeddings=emb)
    bt = BERTopic(hdbscan_model=BaseCluster(), umap_model=BaseDimensionalityReduction())
    bt.fit(docs, embeddings=emb, y=np.asarray(topics))
    return ts, bt, docs, emb, topics, labels[:n]


if __name__ == "__main__":
    main()
