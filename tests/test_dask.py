"""The Dask engine (topicscope.distributed) on a LocalCluster: the same model as one process, exact sums,
a worker killed mid-run, and clear errors that leave the cluster clean."""

from __future__ import annotations

import itertools
import os
import signal
import time

import dask
import dask.bag as db
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import SchedulerPlugin
from sklearn.feature_extraction.text import CountVectorizer

from conftest import assert_same_state, load_corpus
from topicscope import TopicModel
from topicscope import distributed as tsd
from topicscope._neighbors import index_vectors
from topicscope.embedding import resolve_embedder
from topicscope.exceptions import InputError
from topicscope.vectorize import grouped_counts

SAMPLE = 1000
# Uneven partitions: a one-document partition and an empty one among them.
CUTS = [0, 1, 300, 300, 1000, 1701, 2225]


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def corpus():
    return load_corpus("bbc_news")


def write_parts(folder, docs, emb, cuts):
    """Parquet files (text, id) and .npy embedding shards, one per partition."""
    (folder / "in").mkdir(parents=True)
    (folder / "emb").mkdir()
    for i, (a, b) in enumerate(itertools.pairwise(cuts)):
        frame = pd.DataFrame({"text": docs[a:b], "doc_id": np.arange(a, b, dtype=np.int64) * 10})
        frame.to_parquet(folder / "in" / f"part.{i:03d}.parquet", index=False)
        np.save(folder / "emb" / f"part.{i:05d}.npy", emb[a:b].astype(np.float16))
    return str(folder / "in" / "*.parquet"), str(folder / "emb")


@pytest.fixture(scope="module")
def files(tmp_path_factory, corpus):
    docs, _, emb = corpus
    return write_parts(tmp_path_factory.mktemp("parts"), docs, emb, CUTS)


@pytest.fixture(scope="module")
def local(corpus):
    docs, _, emb = corpus
    model = TopicModel(random_state=0, fit_sample_size=SAMPLE)
    _, probs = model.fit_transform(docs, emb)
    return model, probs


def cluster_is_clean(client) -> None:
    """Nothing of the run is left on the cluster: no task, no worker plugin of topicscope."""
    deadline = time.monotonic() + 10
    while True:
        tasks = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks))
        plugins = client.run(lambda dask_worker: [n for n in dask_worker.plugins if n.startswith("topicscope")])
        if not tasks and not any(plugins.values()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"left on the cluster: tasks {tasks[:5]}, plugins {plugins}")
        time.sleep(0.1)


def test_dask_fit_equals_the_single_process_fit(client, corpus, files, local):
    docs, _, emb = corpus
    model, probs = local
    data, shards = files
    remote = TopicModel(random_state=0, fit_sample_size=SAMPLE)
    frame = tsd.fit_transform(remote, data, embeddings=shards, id_column="doc_id", client=client)
    assert_same_state(model.state_, remote.state_)
    assert remote.get_topic_info().equals(model.get_topic_info())
    out = frame.compute()
    assert list(out.columns) == ["row", "doc_id", "Topic", "Probability"]
    assert out["Topic"].dtype == np.int64 and out["Probability"].dtype == np.float64
    assert np.array_equal(out["row"].to_numpy(), np.arange(len(docs)))
    assert np.array_equal(out["doc_id"].to_numpy(), np.arange(len(docs)) * 10)
    assert out["Topic"].tolist() == model.topics_
    assert np.array_equal(out["Probability"].to_numpy(), probs)
    assert frame.npartitions == len(CUTS) - 2  # the empty partition is left out
    # The fitted model works as any other: transform gives back the topics, verbs recognise the docs.
    assert remote.transform(docs, emb)[0] == model.topics_
    assert len(remote.topics_over_time(docs, [f"2020-{1 + i % 12:02d}-01" for i in range(len(docs))])) > 0
    del frame
    cluster_is_clean(client)


def test_vocabulary_limits_and_topic_reduction_match(client, corpus, tmp_path):
    docs, _, emb = corpus
    vectorizer = CountVectorizer(stop_words="english", min_df=3, max_df=0.4, max_features=3000, ngram_range=(1, 2))
    params = dict(random_state=0, fit_sample_size=SAMPLE, nr_topics=3, vectorizer_model=vectorizer)
    model = TopicModel(**params).fit(docs, emb)
    frame = pd.DataFrame({"text": docs, "emb": list(emb.astype(np.float16).astype(np.float32))})
    frame.to_parquet(tmp_path / "all.parquet", row_group_size=500, index=False)
    data = dd.read_parquet(tmp_path / "all.parquet").repartition(npartitions=5)
    remote = TopicModel(**params)
    topics = tsd.fit_transform(remote, data, embeddings="emb", client=client, topics_out=tmp_path / "topics")
    assert_same_state(model.state_, remote.state_)
    assert len(remote.state_.vocabulary) == 3000 and len(remote.topic_sizes_) == 3
    assert topics.compute()["Topic"].tolist() == model.topics_  # topics after the reduction
    assert sorted(os.listdir(tmp_path / "topics"))[0].endswith(".parquet")
    cluster_is_clean(client)


def test_json_lines_up_to_the_sample_size_are_a_plain_fit(client, corpus, tmp_path):
    docs, _, emb = corpus
    docs, emb = docs[:600], emb[:600]
    (tmp_path / "emb").mkdir()
    for i, (a, b) in enumerate(itertools.pairwise([0, 250, 400, 600])):
        pd.DataFrame({"text": docs[a:b], "key": [f"d{j}" for j in range(a, b)]}).to_json(
            tmp_path / f"part{i}.jsonl", orient="records", lines=True
        )
        np.save(tmp_path / "emb" / f"part.{i:05d}.npy", emb[a:b])
    model = TopicModel(random_state=0).fit(docs, emb)
    remote = TopicModel(random_state=0)
    out = tsd.fit_transform(
        remote, str(tmp_path / "*.jsonl"), id_column="key", embeddings=tmp_path / "emb", client=client
    )
    assert_same_state(model.state_, remote.state_)
    table = out.compute()
    assert table["key"].tolist() == [f"d{j}" for j in range(600)] and table["Topic"].tolist() == model.topics_
    del out
    cluster_is_clean(client)


def test_summed_counts_equal_one_process_counts(client, corpus, files):
    """Per-partition topic x term counts, summed on the cluster, equal one process's counts exactly."""
    from dask import delayed

    from topicscope.distributed import partitions as P
    from topicscope.distributed.engine import tree
    from topicscope.distributed.vocabulary import count_local

    docs, _, emb = corpus
    topics = np.random.default_rng(0).integers(0, 7, len(docs))
    vectorizer = CountVectorizer(stop_words="english")
    doc_term = vectorizer.fit_transform(docs)
    vocabulary = vectorizer.get_feature_names_out()
    columns = {str(t): i for i, t in enumerate(vocabulary)}
    ids = np.arange(7)
    tasks = []
    for a, b in itertools.pairwise(CUTS):
        part = delayed(P.Part)(a, docs[a:b], emb[a:b].astype(np.float16))
        local = delayed(count_local)(docs[a:b], vectorizer)
        assigned = delayed(_assigned)(topics[a:b])
        tasks.append(delayed(P.totals_of)(part, local, assigned, columns, len(vocabulary), ids, np.zeros(0, int)))
    summed = client.compute(tree(tasks, P.add_all_totals)).result()
    expected = grouped_counts(doc_term, topics, 7)
    assert summed.class_term.dtype == np.float64 and (summed.class_term != expected).nnz == 0
    assert np.array_equal(summed.sizes, np.bincount(topics, minlength=7))
    fixed = np.rint(index_vectors(emb).astype(np.float64) * 2**24).astype(np.int64)
    assert np.array_equal(summed.embedding_sums, np.stack([fixed[topics == t].sum(axis=0) for t in ids]))
    cluster_is_clean(client)


def _assigned(topics):
    from topicscope.pipeline.sampling import Assigned

    n = len(topics)
    return Assigned(topics, np.zeros((n, 0), np.int64), np.zeros((n, 0), np.float32), np.ones(n, dtype=bool))


class KillOnAssignment(SchedulerPlugin):
    """Kills (SIGKILL) the worker given the ``nth`` assignment task, as the scheduler hands it over."""

    def __init__(self, scheduler, pids, nth=3):
        self.scheduler, self.pids, self.nth = scheduler, pids, nth
        self.seen = 0
        self.killed = None

    def transition(self, key, start, finish, *args, **kwargs):
        if self.killed is None and finish == "processing" and "assign_partition" in str(key):
            self.seen += 1
            if self.seen == self.nth:
                worker = self.scheduler.tasks[key].processing_on.address
                self.killed = worker
                os.kill(self.pids[worker], signal.SIGKILL)


def test_a_worker_killed_mid_assignment_changes_nothing(client, corpus, local, tmp_path):
    docs, _, emb = corpus
    model, _ = local
    cuts = np.linspace(0, len(docs), 13).astype(int).tolist()  # 12 partitions
    data, shards = write_parts(tmp_path, docs, emb, cuts)
    cluster = client.cluster
    plugin = KillOnAssignment(cluster.scheduler, client.run(os.getpid))
    cluster.scheduler.add_plugin(plugin, name="kill-on-assignment")
    try:
        remote = TopicModel(random_state=0, fit_sample_size=SAMPLE)
        tsd.fit(remote, data, embeddings=shards, client=client)
    finally:
        cluster.scheduler.remove_plugin(name="kill-on-assignment")
    assert plugin.killed is not None  # a worker did die during the assignment
    assert_same_state(model.state_, remote.state_)  # nothing lost, nothing counted twice
    client.wait_for_workers(2, timeout=60)
    cluster_is_clean(client)


def _no_texts() -> list[str]:
    return []


def test_an_all_empty_input_is_refused(client):
    """(An empty partition among others is skipped: see test_dask_fit_equals_the_single_process_fit.)"""
    empty = db.from_delayed([dask.delayed(_no_texts)() for _ in range(3)])
    with pytest.raises(InputError, match=r"data has no documents: its 3 partitions are all empty"):
        tsd.fit(TopicModel(), empty, client=client)
    cluster_is_clean(client)


def test_missing_or_non_string_text_names_the_partition_and_row(client, tmp_path):
    rows = [{"text": f"document number {i}"} for i in range(30)]
    rows[17] = {"text": None}
    with pytest.raises(InputError, match=r"partition 1, row 7 has no text in column 'text' \(a missing value\)"):
        tsd.fit(TopicModel(), db.from_sequence(rows, npartitions=3), embeddings=None, client=client)
    cluster_is_clean(client)
    rows[17] = {"text": 42}
    with pytest.raises(InputError, match=r"partition 1, row 7 holds int 42 in column 'text'; texts must be strings"):
        tsd.fit(TopicModel(), db.from_sequence(rows, npartitions=3), embeddings=None, client=client)
    cluster_is_clean(client)
    frame = pd.DataFrame({"text": ["a text"] * 20, "other": [None] * 20})
    with pytest.raises(InputError, match=r"partition \d, row 0 \(index \d+\) has no text in column 'other'"):
        tsd.fit(TopicModel(), dd.from_pandas(frame, npartitions=2), text_column="other", client=client)
    cluster_is_clean(client)


def test_a_missing_text_column_is_named_with_the_columns(client, files):
    data, shards = files
    with pytest.raises(InputError, match=r"data has no text_column 'body'; its columns are \['text', 'doc_id'\]"):
        tsd.fit(TopicModel(), data, text_column="body", embeddings=shards, client=client)
    with pytest.raises(InputError, match=r"no file matches '.*nothing-here/\*\.parquet'"):
        tsd.fit(TopicModel(), "/nothing-here/*.parquet", client=client)
    with pytest.raises(InputError, match=r"fit_sample_size \(or None\) must be an integer >= 10; got 3"):
        tsd.fit(TopicModel(fit_sample_size=3), data, embeddings=shards, client=client)
    with pytest.raises(InputError, match=r"found 3 \.npy files for 6 partitions"):
        tsd.fit(TopicModel(), data, embeddings=sorted(os.listdir(shards))[:3], client=client)
    cluster_is_clean(client)


def test_an_unreachable_scheduler_times_out_naming_the_address(corpus):
    start = time.monotonic()
    with pytest.raises(InputError, match=r"no Dask scheduler answered at 'tcp://127\.0\.0\.1:1' within 2 s"):
        tsd.fit(
            TopicModel(),
            dd.from_pandas(pd.DataFrame({"text": ["a"]}), npartitions=1),
            client="tcp://127.0.0.1:1",
            connect_timeout=2,
        )
    assert time.monotonic() - start < 10


def test_workers_embed_with_the_model_loaded_once_each(client, tmp_path):
    """No embeddings given: each worker loads the embedding model once (a worker plugin); the shards
    written with embeddings_out make a later run give the same model."""
    docs, _, _ = load_corpus("octis_dblp", limit=120)
    data = dd.from_pandas(pd.DataFrame({"text": docs}), npartitions=4)
    first = TopicModel(random_state=0, min_topic_size=5)
    tsd.fit(first, data, client=client, embeddings_out=tmp_path / "emb")
    assert sorted(os.listdir(tmp_path / "emb")) == [f"part.{i:05d}.npy" for i in range(4)]
    shards = np.concatenate([np.load(tmp_path / "emb" / f"part.{i:05d}.npy") for i in range(4)])
    assert shards.shape == (120, 384) and shards.dtype == np.float16
    here = resolve_embedder(None).embed(docs)
    assert np.min(np.sum(index_vectors(shards) * index_vectors(here), axis=1)) > 0.999
    again = TopicModel(random_state=0, min_topic_size=5)
    tsd.fit(again, data, client=client, embeddings=tmp_path / "emb")
    assert_same_state(first.state_, again.state_)
    cluster_is_clean(client)


def test_progress_moves_per_partition_when_verbose(client, corpus, files, capfd):
    """verbose=True: a bar for reading and embedding the partitions, one for assigning them, each moving
    as partitions end (tqdm on stderr); nothing when not verbose."""
    import re

    data, shards = files
    tsd.fit(TopicModel(random_state=0, fit_sample_size=SAMPLE), data, embeddings=shards, client=client)
    assert "partitions" not in capfd.readouterr().err
    tsd.fit(TopicModel(random_state=0, fit_sample_size=SAMPLE, verbose=True), data, embeddings=shards, client=client)
    err = capfd.readouterr().err
    for desc in ("reading and embedding partitions", "assigning partitions"):
        steps = [(int(k), int(n)) for k, n in re.findall(re.escape(desc) + r":[^\r\n]*?\| *(\d+)/(\d+)", err)]
        assert steps, err[-2000:]
        total = steps[0][1]
        assert total >= 5 and [k for k, _ in steps] == list(range(total + 1)), steps  # 0/n, 1/n, ... n/n
    cluster_is_clean(client)


def test_worker_embedder_threads_follow_the_worker(client):
    """The default int8 model on a worker runs one ONNX Runtime thread per worker thread, not per core."""
    from topicscope.distributed.partitions import EmbedderPlugin
    from topicscope.embedding import QuantizedEmbedder

    names = ["topicscope-test-threads", "topicscope-test-threads-object", "topicscope-test-threads-set"]
    mine, set_by_user = QuantizedEmbedder(), QuantizedEmbedder(threads=2)
    for name, spec in zip(names, [None, mine, set_by_user]):
        client.register_plugin(EmbedderPlugin(spec, name), name=name)
    try:
        got = client.run(lambda dask_worker: [dask_worker.plugins[n].embedder().threads for n in names])
    finally:
        for name in names:
            client.unregister_worker_plugin(name)
    # threads_per_worker=1: the default and an object left to size itself run one thread each;
    # a thread count the user set is kept; the user's own object is never changed (each worker has a copy).
    assert list(got.values()) == [[1, 1, 2], [1, 1, 2]]
    assert mine.threads is None and set_by_user.threads == 2
