"""Shared fixtures: real corpora from ../shared/data with their precomputed embeddings."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@cache
def load_corpus(name: str, limit: int | None = None) -> tuple[list[str], list, np.ndarray]:
    """(texts, labels, float32 embeddings) of a corpus in ../shared/data, in file order."""
    folder = DATA / name
    if not folder.is_dir():
        pytest.skip(f"corpus {name} not found at {folder}")
    texts, labels = [], []
    with (folder / "docs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(row["text"])
            labels.append(row.get("label"))
            if limit is not None and len(texts) == limit:
                break
    emb = np.load(folder / "embeddings_minilm.npy")[: len(texts)].astype("float32")
    return texts, labels, emb


@pytest.fixture(scope="session")
def octis_bbc():
    return load_corpus("octis_bbc")


@pytest.fixture(scope="session")
def bbc_news():
    return load_corpus("bbc_news")


@pytest.fixture(scope="session")
def newsgroups():
    return load_corpus("20newsgroups")


@pytest.fixture(scope="session")
def fitted_bbc(octis_bbc):
    """One default-settings model on octis_bbc (min_topic_size 5, as in the BERTopic paper)."""
    from topicscope import TopicModel

    docs, _, emb = octis_bbc
    model = TopicModel(min_topic_size=5, random_state=42)
    topics, probs = model.fit_transform(docs, embeddings=emb)
    return model, topics, probs
