"""`topicscope fit --engine dask` and `--sample-size`: the same model as the local engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import load_corpus
from test_cli import run
from test_dask import write_parts

SAMPLE = 800
CUTS = [0, 500, 1200, 1600]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    docs, _, emb = load_corpus("bbc_news")
    docs, emb = docs[:1600], emb[:1600]
    folder = tmp_path_factory.mktemp("scale")
    parts, shards = write_parts(folder, docs, emb, CUTS)
    pd.DataFrame({"text": docs}).to_json(folder / "all.jsonl", orient="records", lines=True)
    np.save(folder / "all.npy", emb.astype(np.float16))
    return folder, parts, shards


@pytest.mark.slow
def test_dask_engine_matches_the_local_engine(corpus, tmp_path):
    folder, parts, shards = corpus
    common = ["--sample-size", str(SAMPLE), "--random-state", "0", "--quiet"]
    local = run("fit", str(folder / "all.jsonl"), "--embeddings", str(folder / "all.npy"),
                "--out", str(tmp_path / "local"), "--topics-out", str(tmp_path / "local.parquet"), *common)  # fmt: skip
    assert local.returncode == 0, local.stderr
    dask = run("fit", parts, "--engine", "dask", "--workers", "2", "--embeddings", shards,
               "--out", str(tmp_path / "dask"), "--topics-out", str(tmp_path / "dask_topics"), *common)  # fmt: skip
    assert dask.returncode == 0, dask.stderr
    assert "1600 documents" in dask.stdout and "1600 documents" in local.stdout
    a = pd.read_parquet(tmp_path / "local.parquet")
    b = pd.read_parquet(tmp_path / "dask_topics").sort_values("row")
    assert a.Topic.tolist() == b.Topic.tolist() and len(a) == 1600
    np.testing.assert_allclose(a.Probability.to_numpy(), b.Probability.to_numpy(), rtol=1e-6)
    from topicscope import TopicModel

    m_local, m_dask = TopicModel.load(tmp_path / "local"), TopicModel.load(tmp_path / "dask")
    assert m_local.get_topics() == m_dask.get_topics() and m_local.topic_sizes_ == m_dask.topic_sizes_
    assert m_local.get_params()["fit_sample_size"] == SAMPLE


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--workers", "2"], "exclude each other"),
        (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler and --workers need --engine dask"),
        (["--engine", "dask", "--workers", "0"], "--workers must be an integer >= 1; got 0"),
        (["--sample-size", "1"], "fit_sample_size"),
    ],
)
def test_bad_engine_options_are_one_line_errors(corpus, tmp_path, extra, message):
    folder, _, _ = corpus
    res = run("fit", str(folder / "all.jsonl"), "--embeddings", str(folder / "all.npy"), "--out",
              str(tmp_path / "m"), "--quiet", *extra)  # fmt: skip
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_an_unreachable_scheduler_is_named(corpus, tmp_path):
    _, parts, shards = corpus
    res = run("fit", parts, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--embeddings", shards,
              "--out", str(tmp_path / "m"), "--quiet")  # fmt: skip
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "tcp://127.0.0.1:9" in res.stderr and len(res.stderr.strip().splitlines()) == 1
