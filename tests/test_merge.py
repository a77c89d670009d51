"""merge_models: federated topic modelling on 20newsgroups shards, and the merged model's contract."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import load_corpus
from topicscope import TopicModel
from topicscope.exceptions import InputError, NotFittedError

N_DOCS, N_SHARDS = 6000, 3
SHARD = N_DOCS // N_SHARDS
# Measured on this setup (PCA(20) + KMeans(20), min_similarity 0.7): merged NMI 0.522 vs single-model
# NMI 0.475 (the merged model has more, finer topics); the test allows the merged model to be this much worse.
NMI_MARGIN = 0.05


def _cheap_model() -> TopicModel:
    # Cheap stages keep the test file fast; the default UMAP + HDBSCAN is measured in benchmarks/federated.py.
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    return TopicModel(
        umap_model=PCA(n_components=20, random_state=0),
        hdbscan_model=KMeans(n_clusters=20, n_init=3, random_state=0),
        random_state=42,
    )


@pytest.fixture(scope="module")
def corpus():
    docs, labels, emb = load_corpus("20newsgroups")
    return docs[:N_DOCS], labels[:N_DOCS], emb[:N_DOCS]


@pytest.fixture(scope="module")
def shards(corpus):
    docs, _, emb = corpus
    return [
        _cheap_model().fit(docs[i * SHARD : (i + 1) * SHARD], embeddings=emb[i * SHARD : (i + 1) * SHARD])
        for i in range(N_SHARDS)
    ]


@pytest.fixture(scope="module")
def merged(shards):
    return TopicModel.merge_models(shards, min_similarity=0.7)


def test_merged_nmi_close_to_single_model(corpus, shards, merged):
    from sklearn.metrics import normalized_mutual_info_score

    docs, labels, emb = corpus
    single = _cheap_model().fit(docs, embeddings=emb)
    nmi_single = normalized_mutual_info_score(labels, single.topics_)
    nmi_merged = normalized_mutual_info_score(labels, merged.topics_)
    assert nmi_merged >= nmi_single - NMI_MARGIN, (nmi_merged, nmi_single)


def test_ids_and_labels_order(shards, merged):
    first_ids = list(shards[0].topic_labels_)
    ids = list(merged.topic_labels_)
    assert ids == sorted(ids)
    assert ids[: len(first_ids)] == first_ids
    appended = ids[len(first_ids) :]
    assert appended == list(range(max(first_ids) + 1, max(first_ids) + 1 + len(appended)))
    # Appended ids follow model order, then each model's own topic order.
    maps = merged.merge_mappings_
    seen = set(first_ids)
    expected = []
    for mapping in maps[1:]:
        for source in sorted(mapping):
            target = mapping[source]
            if target not in seen:
                seen.add(target)
                expected.append(target)
    assert expected == appended
    # The example of the docs: the new topics are the last labels.
    nr_new = len(set(merged.topics_)) - len(set(shards[0].topics_))
    assert nr_new == len(appended) > 0
    assert list(merged.topic_labels_.values())[-nr_new:] == [merged.topic_labels_[t] for t in appended]


def test_mapping_counts_and_topics(shards, merged):
    maps = merged.merge_mappings_
    assert len(maps) == N_SHARDS
    assert merged.merge_mappings_ == maps
    assert shards[0].merge_mappings_ is None
    assert maps[0] == {t: t for t in shards[0].topic_labels_}
    assert merged.state_.merge_mappings[1] == maps[1]
    for mapping, model in zip(maps, shards):
        assert set(mapping) == set(model.topic_sizes_)
        assert mapping.get(-1, -1) == -1
    assert len(merged.topics_) == N_DOCS
    expected_topics = [maps[i][t] for i, m in enumerate(shards) for t in m.topics_]
    assert merged.topics_ == expected_topics
    expected_sizes: dict[int, int] = {}
    for mapping, model in zip(maps, shards):
        for t, n in model.topic_sizes_.items():
            expected_sizes[mapping[t]] = expected_sizes.get(mapping[t], 0) + n
    assert merged.topic_sizes_ == dict(sorted(expected_sizes.items()))
    info = merged.get_topic_info()
    assert dict(zip(info["Topic"], info["Count"])) == expected_sizes
    assert int(info["Count"].sum()) == N_DOCS
    # Some topics of later models matched topics of the first, some were appended.
    assert any(v in shards[0].topic_sizes_ for v in maps[1].values())


def test_matched_topics_are_similar(shards, merged):
    maps = merged.merge_mappings_
    first = shards[0].state_
    for t, target in maps[1].items():
        if target in shards[0].topic_sizes_ and t != -1:
            sim = float(
                first.topic_embeddings[first.row(target)] @ shards[1].state_.topic_embeddings[shards[1].state_.row(t)]
            )
            assert sim >= 0.7 - 1e-6


def test_union_vocabulary_in_ctfidf(shards, merged):
    s0, s1 = shards[0].state_, shards[1].state_
    vocab0 = set(map(str, s0.vocabulary))
    merged_state = merged.state_
    col = {str(w): i for i, w in enumerate(merged_state.vocabulary)}
    assert set(col) == vocab0 | set(map(str, s1.vocabulary)) | set(map(str, shards[2].state_.vocabulary))
    mapping = merged.merge_mappings_[1]
    found = 0
    for t in s1.topic_ids:
        target = mapping[int(t)]
        if t == -1 or target not in shards[0].topic_sizes_:
            continue  # only topics merged into a topic of the first model
        counts = s1.class_term[s1.row(int(t))].toarray().ravel()
        only_in_1 = [
            i for i in np.argsort(-counts, kind="stable")[:200] if counts[i] > 0 and str(s1.vocabulary[i]) not in vocab0
        ]
        for i in only_in_1:
            word = str(s1.vocabulary[i])
            assert merged_state.ctfidf[merged_state.row(target), col[word]] > 0, word
            found += 1
    assert found > 0


def test_inputs_untouched(shards, merged):
    first = shards[0]
    before = (dict(first.topic_sizes_), dict(first.topic_labels_), len(first.state_.vocabulary), len(first.topics_))
    TopicModel.merge_models(shards[:2])
    assert before == (
        dict(first.topic_sizes_),
        dict(first.topic_labels_),
        len(first.state_.vocabulary),
        len(first.topics_),
    )
    assert merged.state_ is not first.state_


def test_transform_on_docs_of_both_models(corpus, merged):
    docs, _, emb = corpus
    pick = list(range(0, 200)) + list(range(SHARD, SHARD + 200)) + list(range(2 * SHARD, 2 * SHARD + 200))
    topics, probs = merged.transform([docs[i] for i in pick], embeddings=emb[pick])
    expected = [merged.topics_[i] for i in pick]
    agree = np.mean(np.array(topics) == np.array(expected))
    assert agree >= 0.98
    assert len(probs) == len(pick)
    assert len(merged.state_.index_topics) == N_DOCS


def test_save_load_round_trip(tmp_path, merged):
    merged.save(tmp_path / "m")
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.topic_labels_ == merged.topic_labels_
    assert loaded.topic_sizes_ == merged.topic_sizes_
    assert loaded.topics_ == merged.topics_
    assert loaded.merge_mappings_ == merged.merge_mappings_
    new = slice(N_DOCS, N_DOCS + 100)
    all_docs, _, all_emb = load_corpus("20newsgroups")
    assert (
        loaded.transform(all_docs[new], embeddings=all_emb[new])[0]
        == merged.transform(all_docs[new], embeddings=all_emb[new])[0]
    )
    # A loaded model (no candidate documents in memory) merges too.
    again = TopicModel.merge_models([loaded, loaded])
    assert again.topic_sizes_ == {t: 2 * n for t, n in merged.topic_sizes_.items()}


def test_merge_single_model_keeps_it(shards):
    one = TopicModel.merge_models([shards[0]])
    assert one.topic_sizes_ == shards[0].topic_sizes_
    assert one.topics_ == shards[0].topics_
    assert one.topic_labels_ == shards[0].topic_labels_


def test_cli_merge(tmp_path, shards):
    exe = Path(sys.executable).with_name("topicscope")
    shards[0].save(tmp_path / "a")
    shards[1].save(tmp_path / "b")
    out = tmp_path / "merged"
    proc = subprocess.run(
        [str(exe), "merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out), "--min-similarity", "0.7"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "merged 2 models" in proc.stdout
    loaded = TopicModel.load(out)
    expected = TopicModel.merge_models(shards[:2], min_similarity=0.7)
    assert loaded.topic_sizes_ == expected.topic_sizes_
    assert loaded.merge_mappings_ == expected.merge_mappings_


def test_errors(shards):
    with pytest.raises(InputError, match="models"):
        TopicModel.merge_models([])
    with pytest.raises(NotFittedError):
        TopicModel.merge_models([shards[0], TopicModel()])
    for bad in (1.5, -1.01, float("nan"), "0.7"):
        with pytest.raises(InputError, match="min_similarity"):
            TopicModel.merge_models(shards[:2], min_similarity=bad)
    other = copy.deepcopy(shards[1])
    other.set_params(embedding_model="paraphrase-MiniLM-L3-v2")
    with pytest.raises(InputError, match="models"):
        TopicModel.merge_models([shards[0], other])
    narrow = copy.deepcopy(shards[1])
    narrow.state_.topic_embeddings = narrow.state_.topic_embeddings[:, :100]
    with pytest.raises(InputError, match="models"):
        TopicModel.merge_models([shards[0], narrow])
    with pytest.raises(InputError, match="models"):
        TopicModel.merge_models(shards[0])


def test_merging_given_label_models_of_different_sizes_round_trips(tmp_path):
    """Neighbour lists of different widths are padded with no topic; given labels stay given."""
    from topicscope.clustering import LabelsGiven
    from topicscope.reduction import Identity

    rng = np.random.default_rng(0)
    emb = rng.normal(size=(23, 16)).astype(np.float32)
    docs = [f"word{i % 4} other{i % 3} text" for i in range(23)]
    a = TopicModel(umap_model=Identity(), hdbscan_model=LabelsGiven(), min_topic_size=2)
    a.fit(docs[:20], embeddings=emb[:20], y=np.array([5, 7] * 10))
    b = TopicModel(umap_model=Identity(), hdbscan_model=LabelsGiven(), min_topic_size=2)
    b.fit(docs[20:], embeddings=emb[20:], y=np.array([5, 5, 7]))
    assert a.state_.neighbor_topics.shape[1] != b.state_.neighbor_topics.shape[1]
    merged = TopicModel.merge_models([a, b], min_similarity=-1.0)
    assert merged.state_.labels_given
    merged.save(tmp_path / "m")
    loaded = TopicModel.load(tmp_path / "m")
    assert loaded.topics_ == merged.topics_ and loaded.state_.labels_given
    info = loaded.get_document_info(docs)
    assert ((info.Probability > 0) & (info.Probability <= 1)).all()
