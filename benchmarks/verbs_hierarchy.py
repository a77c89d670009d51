"""hierarchical_topics (and merge_topics) against BERTopic 0.17.4 on identical topics (issue 10).

20newsgroups, about 100 topics: topicscope fitted with ``nr_topics=100`` on the precomputed
embeddings, BERTopic fitted in manual mode on the same labels (``verbs_common.paired_models``).

* Speed: the user call ``hierarchical_topics(docs)`` with each library's defaults (ward linkage,
  ``optimal_ordering=True``, cosine distance of the c-TF-IDF rows). Target: >= 10x.
* Tree shape: both libraries given the same distances (a condensed vector computed once from the
  topic embeddings, passed as ``distance_function``) and the same default linkage must build the same
  tree: the sets of topics under the parents are compared. With their own defaults the two libraries
  weigh words differently (topicscope's c-TF-IDF counts core documents and discounts shared words),
  so their trees may differ; the share of identical parents is reported for information.
* merge_topics(docs, [a, b]) once each on a fresh copy; how many unmerged topics changed words
  (BERTopic #1289).

Run: ``cd benchmarks && ../.venv/bin/python verbs_hierarchy.py [--limit N]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
from verbs_common import best_time, id_map, paired_models

RESULTS = Path(__file__).resolve().parent / "results"


def parent_sets(hier, to_ts: dict[int, int] | None = None) -> set[frozenset[int]]:
    """The set of topics under each parent (ids mapped to topicscope's when ``to_ts`` is given)."""
    out = set()
    for topics in hier.Topics:
        ids = [int(t) for t in topics]
        out.add(frozenset(to_ts[t] for t in ids) if to_ts else frozenset(ids))
    return out


def doc_map(before: list[int], after: list[int]) -> dict[int, int]:
    """Each topic before an edit -> its topic after it (read from the documents' topics)."""
    return {int(b): int(a) for b, a in zip(before, after)}


def time_merge(model, docs, groups, repeat: int) -> tuple[float, object]:
    """Best time of ``merge_topics`` on fresh copies (the copy is not timed); the last edited copy."""
    best, edited = float("inf"), None
    for _ in range(repeat):
        edited = copy.deepcopy(model)
        start = time.perf_counter()
        edited.merge_topics(docs, groups)
        best = min(best, time.perf_counter() - start)
    return best, edited


def changed_unmerged(before: dict, after: dict, mapping: dict[int, int], merged: set[int]) -> int:
    """How many topics outside ``merged`` have other words after the merge (ids through ``mapping``)."""
    count = 0
    for t, words in before.items():
        if t == -1 or t in merged:
            continue
        if [w for w, _ in words] != [w for w, _ in after[mapping[t]]]:
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="a sample of 20newsgroups (quick runs)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    ts, bt, docs, _, _, _ = paired_models("20newsgroups", args.limit, nr_topics=100)
    fit_s = time.perf_counter() - start
    to_ts = id_map(bt.topics_, ts.topics_)
    ts_ids = [t for t in ts.topic_labels_ if t != -1]
    n = len(ts_ids)
    print(f"20newsgroups: {len(docs)} documents, {n} topics (+ outliers: {-1 in ts.topic_labels_}); fits {fit_s:.0f} s")

    # Speed: each library's defaults.
    t_ts, hier_ts = best_time(lambda: ts.hierarchical_topics(docs), args.repeat)
    t_bt, hier_bt = best_time(lambda: bt.hierarchical_topics(docs), max(1, args.repeat - 1))
    own = len(parent_sets(hier_ts) & parent_sets(hier_bt, to_ts))

    # Tree shape: the same distances (cosine of the topic embeddings, in each library's row order), same linkage.
    from scipy.spatial.distance import pdist

    ts_rows = ts.topic_embeddings_[[ts.state_.row(t) for t in ts_ids]].astype(np.float64)
    condensed_ts = pdist(ts_rows, "cosine")
    bt_ids = sorted(t for t in set(bt.topics_) if t != -1)
    bt_rows = ts.topic_embeddings_[[ts.state_.row(to_ts[t]) for t in bt_ids]].astype(np.float64)
    condensed_bt = pdist(bt_rows, "cosine")
    same_ts = ts.hierarchical_topics(docs, distance_function=lambda _x: condensed_ts)
    same_bt = bt.hierarchical_topics(docs, distance_function=lambda _x: condensed_bt.copy())
    shared = parent_sets(same_ts) & parent_sets(same_bt, to_ts)
    same_shape = parent_sets(same_ts) == parent_sets(same_bt, to_ts)

    # merge_topics: two mid-sized topics.
    a, b = ts_ids[10], ts_ids[11]
    bt_of = {v: k for k, v in to_ts.items()}
    m_ts_s, merged_ts = time_merge(ts, docs, [a, b], args.repeat)
    m_bt_s, merged_bt = time_merge(bt, docs, [bt_of[a], bt_of[b]], 1)
    ts_map = doc_map(ts.topics_, merged_ts.topics_)
    bt_map = doc_map(bt.topics_, merged_bt.topics_)
    changed_ts = changed_unmerged(ts.get_topics(), merged_ts.get_topics(), ts_map, {a, b})
    changed_bt = changed_unmerged(bt.get_topics(), merged_bt.get_topics(), bt_map, {bt_of[a], bt_of[b]})

    rows = [
        ("hierarchical_topics(docs), defaults", t_bt, t_ts),
        ("merge_topics(docs, [a, b])", m_bt_s, m_ts_s),
    ]
    print(f"\n{'call':40} {'BERTopic s':>11} {'topicscope s':>13} {'speed-up':>9}")
    for name, b_s, t_s in rows:
        print(f"{name:40} {b_s:11.3f} {t_s:13.4f} {b_s / t_s:8.0f}x")
    print(f"\nsame distances + same linkage (ward, optimal_ordering): same tree = {same_shape} "
          f"({len(shared)}/{n - 1} parents hold the same topics)")  # fmt: skip
    print(f"each library's own c-TF-IDF distances: {own}/{n - 1} parents hold the same topics")
    print(f"merge_topics: unmerged topics whose words changed: BERTopic {changed_bt}/{n - 2}, "
          f"topicscope {changed_ts}/{n - 2}")  # fmt: skip

    RESULTS.mkdir(exist_ok=True)
    result = {
        "corpus": "20newsgroups",
        "documents": len(docs),
        "topics": n,
        "hierarchical_topics_s": {"bertopic": t_bt, "topicscope": t_ts, "speedup": t_bt / t_ts},
        "merge_topics_s": {"bertopic": m_bt_s, "topicscope": m_ts_s, "speedup": m_bt_s / m_ts_s},
        "same_tree_given_same_distances": same_shape,
        "same_parents_given_same_distances": len(shared),
        "same_parents_own_defaults": own,
        "parents": n - 1,
        "merge_unmerged_words_changed": {"bertopic": changed_bt, "topicscope": changed_ts, "of": n - 2},
    }
    (RESULTS / "verbs_hierarchy.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
