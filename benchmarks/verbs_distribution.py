"""approximate_distribution and reduce_outliers against BERTopic 0.17.4 on identical topics (issue 10).

bbc_news (2,225 long articles): topicscope fitted on the precomputed embeddings, BERTopic fitted in
manual mode on the same labels (``verbs_common.paired_models``), so both compare windows with the
same topics and the benchmark times the verb alone.

* ``approximate_distribution(docs)`` with the defaults (window 4, stride 1, batch_size 1000), and
  with ``calculate_tokens=True``: best wall time and peak traced memory. Targets: >= 3x faster,
  peak memory <= BERTopic's. Reported too: rows left at zero, NaN, and how often a document's
  largest share is its own topic (each library against its own topics).
* ``reduce_outliers(docs, topics, strategy="c-tf-idf")`` and ``strategy="distributions"`` on a
  model with outliers (topicscope's UMAP + HDBSCAN pipeline; BERTopic manual on the same labels, -1
  included): best time, outliers left, and agreement of the two libraries' new topics (ids mapped).

Run: ``cd benchmarks && ../.venv/bin/python verbs_distribution.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from verbs_common import best_time, id_map, paired_models, peak_mib

RESULTS = Path(__file__).resolve().parent / "results"
CORPUS = "bbc_news"


def own_topic_rate(dist: np.ndarray, columns: np.ndarray, topics: list[int]) -> float:
    """Share of documents (of a topic other than -1, with a non-zero row) whose largest share is their topic."""
    topics_arr = np.asarray(topics)
    keep = (dist.sum(axis=1) > 0) & (topics_arr != -1)
    return float((columns[dist.argmax(axis=1)] == topics_arr)[keep].mean())


def distribution_rows(ts, bt, docs, topics, bt_topics, repeat: int) -> list[dict]:
    ts_cols = ts.state_.topic_ids[ts.state_.topic_ids != -1]
    bt_cols = np.array(sorted(t for t in set(bt.topics_) if t != -1))
    rows = []
    for label, kwargs, reps in (("defaults", {}, repeat), ("calculate_tokens=True", {"calculate_tokens": True}, 1)):
        t_ts, (d_ts, _) = best_time(lambda kw=kwargs: ts.approximate_distribution(docs, **kw), reps)
        t_bt, (d_bt, _) = best_time(lambda kw=kwargs: bt.approximate_distribution(docs, **kw), reps)
        m_ts = peak_mib(lambda kw=kwargs: ts.approximate_distribution(docs, **kw))
        m_bt = peak_mib(lambda kw=kwargs: bt.approximate_distribution(docs, **kw))
        rows.append(
            {
                "verb": f"approximate_distribution ({label})",
                "topicscope_s": t_ts,
                "bertopic_s": t_bt,
                "speedup": t_bt / t_ts,
                "topicscope_peak_mib": m_ts,
                "bertopic_peak_mib": m_bt,
                "topicscope_zero_rows": int((d_ts.sum(axis=1) == 0).sum()),
                "bertopic_zero_rows": int((np.asarray(d_bt).sum(axis=1) == 0).sum()),
                "topicscope_nan": int(np.isnan(d_ts).sum()),
                "bertopic_nan": int(np.isnan(np.asarray(d_bt, dtype=float)).sum()),
                "topicscope_own_topic_rate": own_topic_rate(d_ts, ts_cols, topics),
                "bertopic_own_topic_rate": own_topic_rate(np.asarray(d_bt), bt_cols, bt_topics),
            }
        )
    return rows


def outlier_rows(repeat: int) -> list[dict]:
    from topicscope.clustering import hdbscan_clusterer
    from topicscope.reduction import umap_reducer

    ts, bt, docs, _, topics, _ = paired_models(
        CORPUS, umap_model=umap_reducer(2225, 0), hdbscan_model=hdbscan_clusterer(15)
    )
    bt_topics = list(bt.topics_)
    to_ts = id_map(bt_topics, topics)
    n_out = int((np.asarray(topics) == -1).sum())
    rows = []
    for strategy in ("c-tf-idf", "distributions"):
        t_ts, new_ts = best_time(lambda s=strategy: ts.reduce_outliers(docs, topics, strategy=s), repeat)
        t_bt, new_bt = best_time(lambda s=strategy: bt.reduce_outliers(docs, bt_topics, strategy=s), repeat)
        new_bt_ts = np.array([to_ts.get(int(t), -2) for t in new_bt])
        outliers = np.asarray(topics) == -1
        rows.append(
            {
                "verb": f'reduce_outliers("{strategy}")',
                "outliers_before": n_out,
                "topicscope_s": t_ts,
                "bertopic_s": t_bt,
                "speedup": t_bt / t_ts,
                "topicscope_outliers_left": int((np.asarray(new_ts) == -1).sum()),
                "bertopic_outliers_left": int((np.asarray(new_bt) == -1).sum()),
                "same_new_topic_share": float((np.asarray(new_ts)[outliers] == new_bt_ts[outliers]).mean()),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ts, bt, docs, _, topics, _ = paired_models(CORPUS)
    rows = distribution_rows(ts, bt, docs, topics, list(bt.topics_), args.repeat)
    rows += outlier_rows(args.repeat)
    print(f"{CORPUS}: {len(docs)} documents, {len(set(topics)) - (-1 in topics)} topics (approximate_distribution)")
    print(f"{'verb':48} {'topicscope s':>12} {'BERTopic s':>11} {'speedup':>8} {'ts MiB':>8} {'BT MiB':>8}")
    for row in rows:
        ts_mib = f"{row['topicscope_peak_mib']:8.1f}" if "topicscope_peak_mib" in row else f"{'':8}"
        bt_mib = f"{row['bertopic_peak_mib']:8.1f}" if "bertopic_peak_mib" in row else f"{'':8}"
        print(
            f"{row['verb']:48} {row['topicscope_s']:12.3f} {row['bertopic_s']:11.3f} "
            f"{row['speedup']:7.1f}x {ts_mib} {bt_mib}"
        )
    for row in rows:
        extra = {k: v for k, v in row.items() if not k.endswith(("_s", "_mib")) and k not in ("verb", "speedup")}
        print(f"  {row['verb']}: {extra}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "verbs_distribution.json"
    out.write_text(json.dumps({"corpus": CORPUS, "n_docs": len(docs), "rows": rows}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
