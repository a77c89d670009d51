"""One library's ``fit_transform`` from raw text (part R), in its own process: ``LIB CORPUS LIMIT OUT``.

LIB is ``topicscope`` (its defaults) or ``BERTopic`` (its defaults with
``SentenceTransformer(<the packaged all-MiniLM-L6-v2 folder>)``, its documented default model).
Each is warmed up on 300 documents of another corpus (models loaded, graphs built, numba compiled),
then ``fit_transform(docs)`` is timed whole. The embedding calls made inside it are timed by wrapping
the embedder's entry point (``QuantizedEmbedder.embed`` / ``SentenceTransformer.encode``), so the
share of time spent embedding costs no second pass. Writes a JSON row to OUT.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import load, load_limited
from sklearn.metrics import normalized_mutual_info_score

lib, corpus, limit_arg, out = sys.argv[1:5]
limit = None if limit_arg == "all" else int(limit_arg)
docs, labels, emb = load_limited(corpus, limit)
warm_docs = load("octis_m10" if corpus != "octis_m10" else "bbc_news")[0][:300]
spent = {"embed_s": 0.0}


def timed(func):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            spent["embed_s"] += time.perf_counter() - start

    return wrapper


if lib == "topicscope":
    from topicscope import TopicModel
    from topicscope.embedding.quantized import QuantizedEmbedder

    QuantizedEmbedder.embed = timed(QuantizedEmbedder.embed)

    def make():
        return TopicModel()
elif lib == "BERTopic":
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer

    from topicscope.embedding.backends import default_model_path

    encoder = SentenceTransformer(str(default_model_path()), device="cpu")
    encoder.encode = timed(encoder.encode)

    def make():
        return BERTopic(embedding_model=encoder)
else:
    raise SystemExit(f"LIB must be topicscope or BERTopic; got {lib!r}")

make().fit_transform(warm_docs)
spent["embed_s"] = 0.0
model = make()
start = time.perf_counter()
topics, _ = model.fit_transform(docs)
fit_s = time.perf_counter() - start
topics = np.asarray(topics)
row = {
    "corpus": corpus,
    "n_docs": len(docs),
    "lib": lib,
    "fit_s": fit_s,
    "embed_s": spent["embed_s"],
    "embed_share": spent["embed_s"] / fit_s,
    "n_topics": len(set(topics.tolist()) - {-1}),
    "outliers": float(np.mean(topics == -1)),
    "nmi": float(normalized_mutual_info_score(labels, topics)),
}
if lib == "topicscope":
    # The same defaults on the packaged MiniLM's own (sentence-transformers) embeddings of these documents.
    from topicscope import TopicModel

    own, _ = TopicModel().fit_transform(docs, emb)
    row["nmi_own_embeddings"] = float(normalized_mutual_info_score(labels, np.asarray(own)))
Path(out).write_text(json.dumps(row), encoding="utf-8")
