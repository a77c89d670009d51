"""Part C: fit time (warm and cold), peak memory, embedding throughput; BERTopic / topicscope ratios."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import DATA, load

HERE = Path(__file__).resolve().parent
CORPORA = ("bbc_news", "20newsgroups", "octis_dblp")


def warm(corpora=CORPORA, log=print) -> list[dict]:
    """Second fit in the same process, default settings, precomputed embeddings."""
    from bertopic import BERTopic

    from topicscope import TopicModel

    rows = []
    for name in corpora:
        docs, _, emb = load(name)
        times = {}
        for lib, make in (("BERTopic", BERTopic), ("topicscope", TopicModel)):
            make().fit(docs, embeddings=emb)  # first fit: imports, compilation, caches
            start = time.perf_counter()
            make().fit(docs, embeddings=emb)
            times[lib] = time.perf_counter() - start
        rows.append(
            {
                "corpus": name,
                "docs": len(docs),
                "bertopic_s": times["BERTopic"],
                "topicscope_s": times["topicscope"],
                "ratio": times["BERTopic"] / times["topicscope"],
            }
        )
        log(f"C warm {name}: " + json.dumps(rows[-1]))
    return rows


def _run_peak(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, str(HERE / "_peak.py"), *args], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{args} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stderr.strip().splitlines()[-1])


def cold(corpora=CORPORA, log=print) -> list[dict]:
    """A fresh process each: topicscope's CLI vs the same job with BERTopic (import included)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in corpora:
            docs_path, emb_path = DATA / name / "docs.jsonl", DATA / name / "embeddings_minilm.npy"
            bt = _run_peak([str(HERE / "_bertopic_fit.py"), str(docs_path), str(emb_path), f"{tmp}/bt-{name}"])
            ts = _run_peak(
                [
                    "-m",
                    "topicscope.cli",
                    "fit",
                    str(docs_path),
                    "--embeddings",
                    str(emb_path),
                    "--out",
                    f"{tmp}/ts-{name}",
                    "--quiet",
                ]
            )
            rows.append(
                {
                    "corpus": name,
                    "bertopic_s": bt["wall_s"],
                    "topicscope_s": ts["wall_s"],
                    "ratio": bt["wall_s"] / ts["wall_s"],
                    "bertopic_peak_mib": bt["peak_mib"],
                    "topicscope_peak_mib": ts["peak_mib"],
                    "memory_ratio": bt["peak_mib"] / ts["peak_mib"],
                }
            )
            log(f"C cold {name}: " + json.dumps(rows[-1]))
    return rows


def embedding(n_docs: int = 500, log=print) -> list[dict]:
    """Docs/s of topicscope's embedding paths vs sentence-transformers on the same model, and the
    quality each gives (NMI of a default fit on all of bbc_news against its sections)."""
    from sentence_transformers import SentenceTransformer
    from sklearn.metrics import normalized_mutual_info_score

    from topicscope import TopicModel
    from topicscope.embedding import StaticEmbedder, resolve_embedder
    from topicscope.embedding.backends import default_model_path

    all_docs, labels, shared = load("bbc_news")
    docs = all_docs[:n_docs]
    st = SentenceTransformer(str(default_model_path()), device="cpu")
    st.encode(docs[:16])
    start = time.perf_counter()
    ref = st.encode(docs, normalize_embeddings=True)
    st_s = time.perf_counter() - start
    ours = resolve_embedder(None)
    ours.embed(docs[:16])
    start = time.perf_counter()
    emb = ours.embed(docs)
    ts_s = time.perf_counter() - start
    start = time.perf_counter()
    fast = StaticEmbedder.distill("default")
    distill_s = time.perf_counter() - start
    fast.embed(docs[:16])
    start = time.perf_counter()
    fast_emb = fast.embed(all_docs)
    fast_s = (time.perf_counter() - start) * n_docs / len(all_docs)

    def nmi(e) -> float:
        return float(
            normalized_mutual_info_score(labels, TopicModel(random_state=0).fit(all_docs, embeddings=e).topics_)
        )

    rows = [
        {
            "path": "sentence-transformers encode",
            "docs_s": n_docs / st_s,
            "speedup": 1.0,
            "min_cosine": 1.0,
            "bbc_nmi": nmi(shared),
        },
        {
            "path": "topicscope default",
            "docs_s": n_docs / ts_s,
            "speedup": st_s / ts_s,
            "min_cosine": float(np.sum(ref * emb, axis=1).min()),
            "bbc_nmi": nmi(shared),
        },
        {
            "path": f"topicscope StaticEmbedder (distilled in {distill_s:.0f}s, cached)",
            "docs_s": n_docs / fast_s,
            "speedup": st_s / fast_s,
            "min_cosine": float("nan"),
            "bbc_nmi": nmi(fast_emb),
        },
    ]
    for row in rows:
        log("C embedding: " + json.dumps(row))
    return rows
