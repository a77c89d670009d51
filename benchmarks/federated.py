"""Federated topic modelling on 20newsgroups: models fitted on shards and merged vs one model on all.

Part 1 is the merge example of the documentation, run as is (only the imports and the data
changed: the documents of ../shared/data/20newsgroups with their precomputed MiniLM embeddings).
Part 2 measures it: the NMI with the newsgroup labels and the number of topics of the merged model
(shards of 5,000 documents fitted separately) and of one model fitted on all documents, with the
same settings. Outliers (topic -1) count as one cluster in the NMI.

Run: .venv/bin/python benchmarks/federated.py  (a few minutes on 2 cores)
"""

from __future__ import annotations

import time

from common import load  # benchmarks/ is on sys.path when this script runs
from sklearn.metrics import normalized_mutual_info_score

from topicscope import TopicModel
from topicscope.representation import KeyBERTInspired

all_docs, all_labels, all_embeddings = load("20newsgroups")
start = time.perf_counter()
shard_seconds = []

# ---- Part 1: the documented example (embeddings passed to fit) ------------------------------------
doc_chunks = [all_docs[i : i + 5000] for i in range(0, len(all_docs), 5000)]
emb_chunks = [all_embeddings[i : i + 5000] for i in range(0, len(all_docs), 5000)]
representation_model = KeyBERTInspired()
t = time.perf_counter()
base_model = TopicModel(representation_model=representation_model, min_topic_size=15).fit(
    doc_chunks[0], embeddings=emb_chunks[0]
)
shard_seconds.append(time.perf_counter() - t)
shard_models = [base_model]
for docs, emb in zip(doc_chunks[1:], emb_chunks[1:]):
    t = time.perf_counter()
    new_model = TopicModel(representation_model=representation_model, min_topic_size=15).fit(docs, embeddings=emb)
    shard_seconds.append(time.perf_counter() - t)
    shard_models.append(new_model)
    updated_model = TopicModel.merge_models([base_model, new_model])
    nr_new_topics = len(set(updated_model.topics_)) - len(set(base_model.topics_))
    new_topics = list(updated_model.topic_labels_.values())[-nr_new_topics:]
    print("The following topics are newly found:")
    print(f"{new_topics}\n")
    base_model = updated_model
federated_seconds = time.perf_counter() - start

# ---- Part 2: federated (merged shards) vs one model on everything ---------------------------------
t = time.perf_counter()
single = TopicModel(representation_model=representation_model, min_topic_size=15).fit(
    all_docs, embeddings=all_embeddings
)
single_seconds = time.perf_counter() - t
t = time.perf_counter()
merged_at_once = TopicModel.merge_models(shard_models)  # all shards in one call: the same result
merge_seconds = time.perf_counter() - t


def n_topics(model: TopicModel) -> int:
    return sum(1 for t in model.topic_sizes_ if t != -1)


def outliers(model: TopicModel) -> float:
    return model.topic_sizes_.get(-1, 0) / len(model.topics_)


rows = [
    (
        f"shard {i} ({len(m.topics_)} docs)",
        n_topics(m),
        outliers(m),
        normalized_mutual_info_score(all_labels[i * 5000 : i * 5000 + len(m.topics_)], m.topics_),
        shard_seconds[i],
    )
    for i, m in enumerate(shard_models)
]
rows.append(
    (
        "merged shards (loop)",
        n_topics(base_model),
        outliers(base_model),
        normalized_mutual_info_score(all_labels, base_model.topics_),
        federated_seconds,
    )
)
rows.append(
    (
        "merged shards (one call)",
        n_topics(merged_at_once),
        outliers(merged_at_once),
        normalized_mutual_info_score(all_labels, merged_at_once.topics_),
        merge_seconds,
    )
)
rows.append(
    (
        f"single model ({len(all_docs)} docs)",
        n_topics(single),
        outliers(single),
        normalized_mutual_info_score(all_labels, single.topics_),
        single_seconds,
    )
)
print(f"{'model':<30} {'topics':>6} {'outliers':>9} {'NMI':>6} {'seconds':>8}")
for name, k, out, nmi, secs in rows:
    print(f"{name:<30} {k:>6} {out:>9.1%} {nmi:>6.3f} {secs:>8.1f}")
print("(merge thresholds: min_similarity=0.7; NMI with the 20 newsgroup labels, outliers as one cluster)")
