"""The default embedding model's throughput per Dask worker on package_summaries, projected to the
whole corpus (issue 12: the static fast path runs the full-scale benchmark; this says what the
default model would cost there).

    cd benchmarks && ../.venv/bin/python embed_throughput.py [--n 8000]

A seeded sample of ``n`` summaries is embedded by ``resolve_embedder(None)`` (the int8 ONNX graph)
with one ONNX Runtime thread, as a worker of ``LocalCluster(threads_per_worker=1)`` runs it, after
a warm-up on 200 other summaries (the graph is built or read from its cache there). Projection:
862,756 / (docs/s x workers), for 2 workers (this machine) and for 16 and 64. Writes
results/embed_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[0].parent / "shared" / "data" / "package_summaries" / "docs.jsonl"
RESULTS = HERE / "results"


def main() -> None:
    from topicscope.embedding import QuantizedEmbedder

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=8000)
    args = parser.parse_args()
    with CORPUS.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    rng = np.random.default_rng(0)
    picked = rng.choice(len(texts), size=args.n + 200, replace=False)
    sample, warm = [texts[i] for i in picked[: args.n]], [texts[i] for i in picked[args.n :]]
    embedder = QuantizedEmbedder(threads=1)
    embedder.embed(warm)
    start = time.perf_counter()
    embedder.embed(sample)
    seconds = time.perf_counter() - start
    rate = args.n / seconds
    total = len(texts)
    out = {
        "documents_timed": args.n,
        "seconds": seconds,
        "docs_per_s_per_worker": rate,
        "corpus_documents": total,
        "projected_embedding_s": {str(w): total / (rate * w) for w in (2, 16, 64)},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "embed_throughput.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
