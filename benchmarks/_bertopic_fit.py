"""BERTopic's equivalent of `topicscope fit INPUT --embeddings EMB --out DIR`: read, fit, save, print."""

from __future__ import annotations

import json
import sys

import numpy as np
from bertopic import BERTopic

docs_path, emb_path, out = sys.argv[1:4]
with open(docs_path, encoding="utf-8") as fh:
    docs = [json.loads(line)["text"] for line in fh]
emb = np.load(emb_path).astype("float32")
model = BERTopic()
model.fit(docs, embeddings=emb)
model.save(out, serialization="safetensors", save_ctfidf=True)
print(model.get_topic_info()[["Topic", "Count", "Name"]].head(30).to_string(index=False))
