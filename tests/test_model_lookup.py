"""Embedding models found offline: the Hugging Face cache through huggingface_hub, and no local paths saved."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from topicscope import TopicModel
from topicscope.embedding.backends import (
    SentenceTransformerEmbedder,
    _find_in_hf_cache,
    default_model_path,
    embedding_reference,
    is_hub_name,
)
from topicscope.exceptions import InputError, ModelNotFoundError

CURRENT = "0a" * 20  # what refs/main names
NEWER_LOOKING = "ff" * 20  # sorts last: a resolver that sorts snapshot folders picks this one


def build_cache(hub: Path, repo: str = "acme/tiny-minilm", *, with_ref: bool = True) -> Path:
    """A Hugging Face hub cache as huggingface_hub lays it out: refs/main names the current snapshot.

    The current snapshot links to the files of a real sentence-transformers model (the packaged
    all-MiniLM-L6-v2), as the cache links snapshots to blobs; the other one is broken.
    """
    root = hub / ("models--" + repo.replace("/", "--"))
    current = root / "snapshots" / CURRENT
    current.mkdir(parents=True)
    for entry in default_model_path().iterdir():
        (current / entry.name).symlink_to(entry)
    stale = root / "snapshots" / NEWER_LOOKING
    stale.mkdir()
    (stale / "modules.json").write_text("not a model")
    (stale / "config.json").write_text("{")
    if with_ref:
        (root / "refs").mkdir()
        (root / "refs" / "main").write_text(CURRENT)
    return current


def test_the_cache_is_resolved_through_refs_main(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    current = build_cache(tmp_path / "hub")
    assert _find_in_hf_cache("acme/tiny-minilm") == current
    # sentence-transformers' short names live under sentence-transformers/.
    short = build_cache(tmp_path / "hub", "sentence-transformers/paraphrase-tiny")
    assert _find_in_hf_cache("paraphrase-tiny") == short
    assert _find_in_hf_cache("acme/not-cached") is None
    assert _find_in_hf_cache("../acme/tiny-minilm") is None
    # The environment is read at each call, not when huggingface_hub was imported.
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "elsewhere"))
    assert _find_in_hf_cache("acme/tiny-minilm") is None


def test_a_cache_without_refs_main_is_not_guessed(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    build_cache(tmp_path / "hub", with_ref=False)
    assert _find_in_hf_cache("acme/tiny-minilm") is None
    with pytest.raises(ModelNotFoundError, match="'acme/tiny-minilm' was not found offline"):
        SentenceTransformerEmbedder("acme/tiny-minilm").embed(["a text"])


def test_hf_home_is_honoured(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    current = build_cache(tmp_path / "hf" / "hub")
    assert _find_in_hf_cache("acme/tiny-minilm") == current


@pytest.mark.slow
def test_a_saved_hub_name_loads_the_cached_model(octis_bbc, tmp_path, monkeypatch):
    """End to end: fit with a hub name, save, load, embed new documents with the model from the cache."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    build_cache(tmp_path / "hub")
    docs, _, emb = octis_bbc
    model = TopicModel(
        embedding_model="acme/tiny-minilm",
        umap_model=PCA(8, random_state=0),
        hdbscan_model=KMeans(4, n_init=2, random_state=0),
    ).fit(docs[:300], embeddings=emb[:300])
    model.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "topicscope.json").read_text())
    assert meta["embedding_model"] == {"kind": "hub", "name": "acme/tiny-minilm"}
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.embedding_model == "acme/tiny-minilm"
    new = docs[300:320]
    vectors = loaded._embedder().embed(new)
    reference = SentenceTransformerEmbedder("default").embed(new)
    np.testing.assert_allclose(vectors, reference, atol=1e-5)  # the snapshot refs/main names was loaded
    assert loaded.transform(new)[0] == loaded.transform(new, embeddings=reference)[0]


@pytest.mark.slow
def test_a_local_folder_is_never_saved_and_must_be_passed_again(octis_bbc, tmp_path):
    folder = default_model_path()
    docs, _, emb = octis_bbc
    model = TopicModel(
        embedding_model=str(folder),
        umap_model=PCA(8, random_state=0),
        hdbscan_model=KMeans(4, n_init=2, random_state=0),
    ).fit(docs[:300], embeddings=emb[:300])
    model.save(tmp_path / "m")
    raw = b"".join(p.read_bytes() for p in (tmp_path / "m").iterdir())
    assert str(folder).encode() not in raw and str(folder.parent).encode() not in raw
    meta = json.loads((tmp_path / "m" / "topicscope.json").read_text())
    assert meta["embedding_model"] == {"kind": "local", "name": folder.name}
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.get_topic_info()["Name"].tolist() == model.get_topic_info()["Name"].tolist()
    with pytest.raises(InputError, match=rf"local embedding model folder '{folder.name}'.*embedding_model="):
        loaded.transform(docs[300:305])
    again = TopicModel.load(tmp_path / "m", embedding_model=str(folder))
    assert again.transform(docs[300:320])[0] == model.transform(docs[300:320])[0]


def test_embedding_references_hold_no_paths(tmp_path):
    local = tmp_path / "my-model"
    local.mkdir()
    assert embedding_reference(None) == {"kind": "default", "name": "sentence-transformers/all-MiniLM-L6-v2"}
    assert embedding_reference("all-MiniLM-L6-v2")["kind"] == "default"
    assert embedding_reference("BAAI/bge-small-en-v1.5") == {"kind": "hub", "name": "BAAI/bge-small-en-v1.5"}
    assert embedding_reference(str(local)) == {"kind": "local", "name": "my-model"}
    assert embedding_reference("~/models/x") == {"kind": "local", "name": "x"}
    assert embedding_reference("../models/x") == {"kind": "local", "name": "x"}
    assert embedding_reference(SentenceTransformerEmbedder("BAAI/bge-small-en-v1.5"))["kind"] == "hub"
    for name in ("BAAI/bge-small-en-v1.5", "all-MiniLM-L6-v2", "intfloat/e5-small"):
        assert is_hub_name(name), name
    for name in ("/abs/model", "../x", "a/../b", "a/b/c", "~/m", ".hidden", "a b", "", "a/", "x" * 300):
        assert not is_hub_name(name), name
