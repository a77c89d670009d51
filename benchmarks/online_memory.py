"""Online learning memory: stream all octis_dblp titles in batches vs one fit on everything.

Each measurement runs in its own subprocess and reports its peak resident memory (VmHWM from
/proc/self/status, i.e. resource.getrusage's ru_maxrss on Linux):

* baseline: import topicscope and its stages, nothing else;
* online: read ../shared/data/octis_dblp batch by batch (5,000 titles; the embeddings are
  memory-mapped and copied one batch at a time) and call ``partial_fit`` with IncrementalPCA,
  MiniBatchKMeans and OnlineCountVectorizer; the neighbour index is a reservoir of at most
  ``INDEX_ROWS_PER_TOPIC`` rows per topic;
* single: the default TopicModel (kNN graph + Leiden) fitted on all titles with their embeddings.

Run: .venv/bin/python benchmarks/online_memory.py  (a few minutes on 2 cores)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "octis_dblp"
BATCH = 5000
N_CLUSTERS = 50


def peak_rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _imports() -> None:
    import sklearn.cluster
    import sklearn.decomposition  # noqa: F401
    import umap  # noqa: F401

    from topicscope import TopicModel  # noqa: F401


def run_baseline() -> dict:
    _imports()
    return {}


def run_online() -> dict:
    import numpy as np
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import IncrementalPCA
    from sklearn.metrics import normalized_mutual_info_score

    from topicscope import TopicModel
    from topicscope.vectorize.online import OnlineCountVectorizer

    emb = np.load(DATA / "embeddings_minilm.npy", mmap_mode="r")
    model = TopicModel(
        umap_model=IncrementalPCA(n_components=5),
        hdbscan_model=MiniBatchKMeans(n_clusters=N_CLUSTERS, n_init=3, random_state=42),
        vectorizer_model=OnlineCountVectorizer(),
        random_state=42,
    )
    labels: list[str] = []
    start = 0
    with (DATA / "docs.jsonl").open(encoding="utf-8") as fh:
        while True:
            rows = [json.loads(line) for line in islice(fh, BATCH)]
            if not rows:
                break
            docs = [r["text"] for r in rows]
            labels.extend(r.get("label") for r in rows)
            model.partial_fit(docs, embeddings=np.asarray(emb[start : start + len(docs)], dtype=np.float32))
            start += len(docs)
    return {
        "docs": len(model.topics_),
        "topics": sum(1 for t in model.topic_sizes_ if t != -1),
        "index_rows": len(model.state_.index_topics),
        "nmi": normalized_mutual_info_score(labels, model.topics_),
    }


def run_single() -> dict:
    from common import load
    from sklearn.metrics import normalized_mutual_info_score

    from topicscope import TopicModel

    docs, labels, emb = load("octis_dblp")
    model = TopicModel(random_state=42).fit(docs, embeddings=emb)
    return {
        "docs": len(model.topics_),
        "topics": sum(1 for t in model.topic_sizes_ if t != -1),
        "index_rows": len(model.state_.index_topics),
        "nmi": normalized_mutual_info_score(labels, model.topics_),
    }


def child(mode: str) -> None:
    t = time.perf_counter()
    result = {"baseline": run_baseline, "online": run_online, "single": run_single}[mode]()
    result.update(mode=mode, seconds=time.perf_counter() - t, peak_rss_mib=peak_rss_mib())
    print("RESULT " + json.dumps(result))


def main() -> None:
    results = []
    for mode in ("baseline", "online", "single"):  # one at a time: never two heavy processes at once
        proc = subprocess.run([sys.executable, __file__, mode], capture_output=True, text=True, check=False)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            print(f"{mode} failed:\n{proc.stderr[-2000:]}")
            continue
        results.append(json.loads(line[len("RESULT ") :]))
    print(f"{'run':<10} {'docs':>6} {'topics':>6} {'index rows':>10} {'NMI':>6} {'seconds':>8} {'peak RSS MiB':>12}")
    for r in results:
        nmi = f"{r['nmi']:.3f}" if "nmi" in r else "-"
        print(
            f"{r['mode']:<10} {r.get('docs', '-'):>6} {r.get('topics', '-'):>6} {r.get('index_rows', '-'):>10} "
            f"{nmi:>6} {r['seconds']:>8.1f} {r['peak_rss_mib']:>12.0f}"
        )
    stages = f"IncrementalPCA(5) + MiniBatchKMeans({N_CLUSTERS})"
    print(f"(online: batches of {BATCH}, {stages}; single: the default pipeline)")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child(sys.argv[1])
    else:
        main()
