"""End-to-end with the real packaged embedding model (all-MiniLM-L6-v2, offline)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from conftest import load_corpus
from topicscope import TopicModel
from topicscope.embedding import QuantizedEmbedder, SentenceTransformerEmbedder, onnx_graph, quantized, resolve_embedder
from topicscope.embedding.backends import _TextCache, default_model_path, embedding_reference
from topicscope.exceptions import InputError, ModelNotFoundError
from topicscope.representation import KeyBERTInspired, MaximalMarginalRelevance

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bbc_sample(bbc_news):
    docs, labels, emb = bbc_news
    # 400 documents spread over the five sections.
    idx = np.linspace(0, len(docs) - 1, 400).astype(int)
    return [docs[i] for i in idx], [labels[i] for i in idx], emb[idx]


def test_default_model_matches_the_shared_embeddings(bbc_sample):
    docs, _, emb = bbc_sample
    ours = resolve_embedder(None).embed(docs[:40])
    cos = np.sum(ours * emb[:40], axis=1)
    assert cos.min() > 0.99, cos.min()


def test_end_to_end_with_real_model_and_representations(bbc_sample):
    docs, labels, _ = bbc_sample
    model = TopicModel(
        min_topic_size=10,
        random_state=0,
        representation_model={
            "Main": KeyBERTInspired(),
            "MMR": [KeyBERTInspired(), MaximalMarginalRelevance(diversity=0.5)],
        },
    )
    topics, probs = model.fit_transform(docs)
    assert len(topics) == 400 and probs.shape == (400,)
    kept = np.array(topics) != -1
    assert normalized_mutual_info_score(np.array(labels)[kept], np.array(topics)[kept]) > 0.4
    info = model.get_topic_info()
    assert "MMR" in info.columns
    row = info[info.Topic == 0].iloc[0]
    assert len(row.Representation) == 10 and len(row.MMR) == 10
    # transform embeds new documents with the same model and matches fit on training docs.
    again, _ = model.transform(docs[:50])
    assert again == topics[:50]
    # A new football sentence lands in the topic whose words are about football.
    new_topic = model.transform(["The striker scored twice as the club won the cup final."])[0][0]
    sport_words = {"match", "game", "cup", "club", "win", "football", "players", "team", "season", "league"}
    assert sport_words & {w for w, _ in model.get_topic(new_topic)}, model.get_topic(new_topic)


def test_unknown_model_name_gets_an_offline_error():
    with pytest.raises(ModelNotFoundError, match="not found offline.*never downloads"):
        TopicModel(embedding_model="thenlper/gte-small").fit(["a b c"] * 20)


def test_custom_encoder_object_is_used():
    class Encoder:
        def __init__(self):
            self.calls = 0

        def encode(self, texts, **_):
            self.calls += 1
            rng = np.random.default_rng(len(texts))
            return rng.normal(size=(len(texts), 16))

    enc = Encoder()
    from sklearn.cluster import KMeans

    from topicscope.reduction import Identity

    docs = [f"text {i} about {'cats' if i % 2 else 'dogs'}" for i in range(40)]
    model = TopicModel(embedding_model=enc, umap_model=Identity(), hdbscan_model=KMeans(2, n_init=2, random_state=0))
    model.fit(docs)
    assert enc.calls == 1
    model.fit(docs)  # a refit hits the text-hash cache: no new encode call
    assert enc.calls == 1


def test_static_fast_path_distils_once_and_finds_the_sections(bbc_sample, tmp_path, monkeypatch):
    from topicscope.embedding import StaticEmbedder

    monkeypatch.setenv("TOPICSCOPE_CACHE", str(tmp_path))
    fast = StaticEmbedder.distill("default")
    assert fast.vectors.shape == (30522, 384)
    files = sorted(tmp_path.iterdir())
    assert [p.suffix for p in files] == [".safetensors", ".sha256"]  # the vectors and their checksum
    again = StaticEmbedder.distill("default")  # from the cache
    np.testing.assert_array_equal(again.vectors, fast.vectors)
    # One flipped byte deep in the vectors (same size, still a valid safetensors file): detected, rebuilt.
    data = bytearray(files[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    files[0].write_bytes(bytes(data))
    np.testing.assert_array_equal(StaticEmbedder.distill("default").vectors, fast.vectors)
    docs, labels, _ = bbc_sample
    model = TopicModel(embedding_model=fast, random_state=0).fit(docs)
    # Measured 0.83 on all 2,225 bbc_news articles (MiniLM itself: 0.80).
    assert normalized_mutual_info_score(labels, model.topics_) > 0.6


# --- the default path: the packaged model as an int8 ONNX graph --------------------------------


@pytest.fixture(scope="module", autouse=True)
def graph_cache(tmp_path_factory):
    """One cache folder for this module: the int8 graph is built once, here, not in ~/.cache."""
    folder = tmp_path_factory.mktemp("topicscope-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOPICSCOPE_CACHE", str(folder))
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield folder


@pytest.fixture(scope="module")
def texts_and_reference(graph_cache):
    """120 bbc_news articles (long: most reach the 256-token limit) and 600 octis_dblp titles,
    with their vectors from plain sentence-transformers (float32, torch)."""
    bbc, _, _ = load_corpus("bbc_news")
    dblp, _, _ = load_corpus("octis_dblp")
    texts = [bbc[i] for i in np.linspace(0, len(bbc) - 1, 120).astype(int)]
    texts += [dblp[i] for i in np.linspace(0, len(dblp) - 1, 600).astype(int)]
    return texts, SentenceTransformerEmbedder("default").embed(texts)


@pytest.fixture(scope="module")
def default_embedder(graph_cache):
    embedder = resolve_embedder(None)
    embedder.embed(["loads the model"])
    return embedder


def test_default_path_is_the_int8_graph_within_the_cosine_bound(default_embedder, texts_and_reference):
    texts, reference = texts_and_reference
    assert isinstance(default_embedder, QuantizedEmbedder)
    assert isinstance(resolve_embedder("all-MiniLM-L6-v2"), QuantizedEmbedder)
    assert (
        embedding_reference(default_embedder)
        == embedding_reference(None)
        == {
            "kind": "default",
            "name": "sentence-transformers/all-MiniLM-L6-v2",
        }
    )
    ours = default_embedder.embed(texts)
    assert ours.dtype == np.float32 and ours.shape == (720, 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = np.sum(ours * reference, axis=1)
    # Measured on all of bbc_news / octis_dblp: min 0.998 / 0.997, mean 0.999 (BENCHMARKS.md, part C).
    # Here (measured): min 0.9984 on both halves, mean 0.9992. Per-batch quantisation scales (ONNX
    # Runtime's quantize_dynamic) fall to 0.98 on titles.
    assert cos[:120].min() >= 0.996, cos[:120].min()
    assert cos[120:].min() >= 0.995, cos[120:].min()
    assert cos.mean() >= 0.9985, cos.mean()


def test_float_graph_reproduces_sentence_transformers_exactly(texts_and_reference):
    """The same graph with float32 products: tokenisation, truncation at 256, masking and pooling
    match sentence-transformers to float rounding, so the int8 path differs by quantisation only."""
    import onnxruntime as ort
    from safetensors.numpy import load_file

    texts, reference = texts_and_reference
    path = default_model_path()
    config = quantized._read_json(path / "config.json")
    weights = load_file(str(path / "model.safetensors"))
    graph = onnx_graph.build_int8_encoder(weights, config, [], quantized.max_seq_length(path), int8=False)
    encoder = quantized.Int8Encoder(path)
    encoder.sessions = [ort.InferenceSession(graph, providers=["CPUExecutionProvider"])]
    ours = encoder.encode(texts[100:180], batch_size=16)
    np.testing.assert_allclose(ours, reference[100:180], atol=2e-5)


def test_tokeniser_matches_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    texts = ["  spaces around  ", "", "\ttab\nnew line", "Ünïcödé café – naïve 日本語 🙂", "word " * 600, "x" * 3000]
    model = SentenceTransformer(str(default_model_path()), device="cpu")
    features = model.preprocess(texts)
    ours = [e.ids for e in quantized.tokenizer(default_model_path()).encode_batch(texts)]
    for row, ids in enumerate(ours):
        mask = features["attention_mask"][row].numpy().astype(bool)
        assert features["input_ids"][row].numpy()[mask].tolist() == ids, texts[row][:20]
    assert len(ours[4]) == 256  # truncated at the model's max_seq_length, as sentence-transformers does


def test_vectors_do_not_depend_on_batch_order_or_threads(default_embedder, texts_and_reference):
    texts = texts_and_reference[0][90:150]  # 30 long articles and 30 titles, padded together
    encoder = default_embedder.encoder
    base = encoder.encode(texts, batch_size=64)
    for batch_size in (1, 7):
        np.testing.assert_allclose(encoder.encode(texts, batch_size=batch_size), base, atol=1e-6)
    order = np.random.default_rng(0).permutation(len(texts))
    np.testing.assert_allclose(encoder.encode([texts[i] for i in order], batch_size=16), base[order], atol=1e-6)
    one_thread = QuantizedEmbedder(threads=1)
    np.testing.assert_allclose(one_thread.embed(texts), base, atol=1e-6)
    assert len(one_thread.encoder.sessions) == 1
    # Threads are single-threaded sessions side by side, each taking the next batch: the vectors
    # are the same whichever session ran a batch.
    three = QuantizedEmbedder(threads=3, cache_size=0)
    np.testing.assert_allclose(three.embed(texts), base, atol=1e-6)
    np.testing.assert_allclose(three.encoder.encode(texts, batch_size=2), base, atol=1e-6)
    assert len(three.encoder.sessions) == 3
    assert len(encoder.sessions) == min(quantized.physical_cores(), 8)
    # Per-token scales: a document next to a 256-token article gets the vector it gets alone.
    alone = encoder.encode([texts[-1]], batch_size=1)
    np.testing.assert_allclose(encoder.encode([texts[0], texts[-1]], batch_size=2)[1], alone[0], atol=1e-6)


def test_a_used_default_embedder_pickles_without_its_session(default_embedder, texts_and_reference):
    """Dask ships the embedder to its workers: the copy carries the name, loads the graph again and
    gives the same vectors; the ONNX Runtime session and the cached vectors stay behind."""
    import copy
    import pickle

    texts = texts_and_reference[0][100:110]
    before = default_embedder.embed(texts)
    assert default_embedder.encoder is not None
    clone = pickle.loads(pickle.dumps(default_embedder))
    assert clone.encoder is None and clone.name_or_path == default_embedder.name_or_path
    np.testing.assert_allclose(clone.embed(texts), before, atol=1e-6)
    assert copy.deepcopy(default_embedder).encoder is None
    assert default_embedder.encoder is not None  # the original keeps its session


def test_graph_is_built_once_then_loaded_from_the_cache(tmp_path, monkeypatch, texts_and_reference):
    monkeypatch.setenv("TOPICSCOPE_CACHE", str(tmp_path))
    builds = []
    build = onnx_graph.build_int8_encoder

    def counting_build(*args, **kwargs):
        builds.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(onnx_graph, "build_int8_encoder", counting_build)
    texts = texts_and_reference[0][110:140]
    first = QuantizedEmbedder().embed(texts)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(builds) == 1 and len(files) == 2 and files[0].startswith("int8-model-") and files[0].endswith(".onnx")
    assert files[1] == files[0] + ".sha256"  # the graph's checksum, checked at every load
    second = QuantizedEmbedder().embed(texts)  # a new embedder: loads the cached graph
    assert len(builds) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # no temporary file left behind
    np.testing.assert_array_equal(second, first)
    cached = tmp_path / files[0]
    assert cached.stat().st_mode & 0o777 == 0o644  # readable by every user of a shared cache
    cached.write_bytes(cached.read_bytes()[:1000])  # damaged (a full disk, a killed copy): built again
    np.testing.assert_array_equal(QuantizedEmbedder().embed(texts), first)
    assert len(builds) == 2 and cached.stat().st_size > 1000
    # One flipped byte inside a weight: ONNX Runtime would load it and give other vectors. The
    # checksum catches it and the graph is built again.
    data = bytearray(cached.read_bytes())
    data[len(data) // 2] ^= 0x01
    cached.write_bytes(bytes(data))
    np.testing.assert_array_equal(QuantizedEmbedder().embed(texts), first)
    assert len(builds) == 3
    (tmp_path / files[1]).unlink()  # a graph without its checksum (an older version's cache): rebuilt
    np.testing.assert_array_equal(QuantizedEmbedder().embed(texts), first)
    assert len(builds) == 4 and sorted(p.name for p in tmp_path.iterdir()) == files


def test_more_distinct_texts_than_the_cache_holds(graph_cache, texts_and_reference):
    """The cache bound only limits what is kept for repeats: one call with more distinct texts than
    it holds embeds them all (the cache used to raise KeyError above 200,000 texts)."""
    texts = texts_and_reference[0][:300]
    reference = QuantizedEmbedder(cache_size=0).embed(texts)
    small = QuantizedEmbedder(cache_size=50)
    out = small.embed(texts + texts[:20])  # 300 distinct texts and 20 repeats, bound 50
    np.testing.assert_allclose(out[:300], reference, atol=1e-6)
    np.testing.assert_array_equal(out[300:], out[:20])
    cache = small._cache
    assert len(cache) == 50  # the bound holds: memory does not grow with the texts
    # The 50 kept are served from the cache: asking for them again embeds nothing.
    kept = [texts[i] for i in range(300) if cache.lookup(_TextCache.key(texts[i])) is not None]
    assert len(kept) == 50
    hits, misses = cache.hits, cache.misses
    again = small.embed(kept)
    assert (cache.hits, cache.misses) == (hits + 50, misses)
    np.testing.assert_allclose(again, QuantizedEmbedder(cache_size=0).embed(kept), atol=1e-6)


def test_embedding_progress_moves_per_chunk(graph_cache, texts_and_reference, capsys, monkeypatch):
    """verbose=True shows a bar that advances once per chunk of distinct texts, not 0/1 then 1/1."""
    from topicscope.embedding import backends

    texts = texts_and_reference[0][:200]
    monkeypatch.setattr(backends, "_EMBED_CHUNK", 64)
    QuantizedEmbedder(cache_size=0).embed(texts, verbose=True)
    err = capsys.readouterr().err
    # 200 texts in chunks of 64: four steps, and the bar shows one before the last (tqdm redraws at
    # most every 0.1 s, so which one depends on timing).
    assert "| 4/4 " in err and re.search(r"\| [123]/4 ", err), err


def test_int8_graph_refuses_models_it_does_not_reproduce():
    config = {"model_type": "bert", "hidden_act": "gelu", "hidden_size": 384, "num_attention_heads": 12}
    onnx_graph.check_bert_config(config, {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False})
    with pytest.raises(InputError, match="mean pooling only"):
        onnx_graph.check_bert_config(config, {"pooling_mode_cls_token": True})
    with pytest.raises(InputError, match="hidden_act='gelu'; got 'relu'"):
        onnx_graph.check_bert_config({**config, "hidden_act": "relu"}, {"pooling_mode_mean_tokens": True})
    with pytest.raises(InputError, match="model_type='bert'; got 'roberta'"):
        onnx_graph.check_bert_config({**config, "model_type": "roberta"}, {"pooling_mode_mean_tokens": True})


def test_length_batches_group_similar_lengths_within_the_token_budget():
    lengths = [256] * 70 + [10] * 100 + [100] * 5 + [250]
    batches = quantized._length_batches(lengths, 64, 256)
    # 64 titles; 36 titles + 5 x 100 tokens + the 250 (42 x 250 > 8192: cut); texts at the limit alone.
    assert [len(b) for b in batches] == [64, 41, 1, 32, 32, 6]
    assert sorted(i for b in batches for i in b) == list(range(176))  # every text once
    for b in batches:
        assert len(b) * max(lengths[i] for i in b) <= quantized._BATCH_TOKENS
    assert [lengths[i] for i in batches[1]] == [10] * 36 + [100] * 5  # ascending: the last is the longest
