"""The analysis verbs from the command line: over-time, per-class, hierarchy, find."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import load_column, load_corpus
from test_cli import run

N = 1500


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A model fitted by the CLI on 1,500 crisis tweets, and the corpus with its timestamp and label columns."""
    texts, labels, emb = load_corpus("crisislex_tweets")
    stamps = load_column("crisislex_tweets", "timestamp")
    idx = np.sort(np.random.default_rng(0).permutation(len(texts))[:N])
    folder = tmp_path_factory.mktemp("verbs")
    frame = pd.DataFrame(
        {"text": [texts[i] for i in idx], "ts": [stamps[i] for i in idx], "event": [labels[i] for i in idx]}
    )
    frame.to_json(folder / "tweets.jsonl", orient="records", lines=True)
    np.save(folder / "emb.npy", emb[idx])
    res = run("fit", str(folder / "tweets.jsonl"), "--embeddings", str(folder / "emb.npy"),
              "--out", str(folder / "model"), "--quiet")  # fmt: skip
    assert res.returncode == 0, res.stderr
    return folder, frame


def test_over_time_writes_exact_counts(fitted, tmp_path):
    folder, _ = fitted
    out = tmp_path / "ot.csv"
    res = run("over-time", str(folder / "model"), str(folder / "tweets.jsonl"), "--timestamp-column", "ts",
              "--nr-bins", "10", "--output", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out)
    assert table.columns.tolist() == ["Topic", "Words", "Frequency", "Timestamp"]
    assert table.Frequency.sum() == N and table.Timestamp.nunique() <= 10
    from topicscope import TopicModel

    model = TopicModel.load(folder / "model")
    sizes = table.groupby("Topic").Frequency.sum().to_dict()
    assert sizes == {t: n for t, n in model.topic_sizes_.items() if n}


def test_per_class_writes_exact_counts(fitted, tmp_path):
    folder, frame = fitted
    out = tmp_path / "pc.csv"
    res = run("per-class", str(folder / "model"), str(folder / "tweets.jsonl"), "--class-column", "event",
              "--output", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out)
    assert table.columns.tolist() == ["Topic", "Words", "Frequency", "Class"]
    assert table.groupby("Class").Frequency.sum().to_dict() == frame.event.value_counts().to_dict()


def test_per_class_on_another_corpus_assigns_with_transform(fitted, tmp_path):
    folder, frame = fitted
    half = frame.iloc[: N // 2]
    half.to_json(tmp_path / "half.jsonl", orient="records", lines=True)
    np.save(tmp_path / "half.npy", np.load(folder / "emb.npy")[: N // 2])
    res = run("per-class", str(folder / "model"), str(tmp_path / "half.jsonl"), "--class-column", "event",
              "--embeddings", str(tmp_path / "half.npy"), "--output", "-")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "not the model's training corpus" in res.stderr
    from io import StringIO

    assert pd.read_csv(StringIO(res.stdout)).Frequency.sum() == N // 2


def test_hierarchy_prints_the_tree(fitted):
    folder, _ = fitted
    res = run("hierarchy", str(folder / "model"), str(folder / "tweets.jsonl"))
    assert res.returncode == 0, res.stderr
    from topicscope import TopicModel

    model = TopicModel.load(folder / "model")
    assert res.stdout.startswith(".\n")
    n_topics = len([t for t in model.topic_sizes_ if t != -1])
    assert res.stdout.count("■──") == n_topics  # every topic is a leaf of the tree


@pytest.mark.slow
def test_find_prints_the_closest_topics(fitted):
    folder, _ = fitted
    res = run("find", str(folder / "model"), "earthquake", "--top-n", "3")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 3
    sims = [float(line.split("\t")[1]) for line in lines]
    assert sims == sorted(sims, reverse=True)


@pytest.mark.parametrize(
    "args, message",
    [
        (["over-time", "{m}", "{c}", "--timestamp-column", "when", "--output", "-"],
         "column 'when' not found in tweets.jsonl; columns are \\['text', 'ts', 'event'\\] \\(choose one with "
         "--timestamp-column\\)"),
        (["per-class", "{m}", "{c}", "--class-column", "nope", "--output", "-"], "column 'nope' not found"),
        (["over-time", "{m}", "{c}", "--timestamp-column", "ts", "--nr-bins", "0", "--output", "-"],
         "--nr-bins must be an integer >= 1; got 0"),
        (["find", "{m}", "  "], "search_term"),
        (["over-time", "{m}", "{bad}", "--timestamp-column", "ts", "--output", "-"],
         "timestamps\\[3\\] = 'not a time' could not be parsed"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_code_2(fitted, tmp_path, args, message):
    import re

    folder, frame = fitted
    bad = frame.copy()
    bad.loc[3, "ts"] = "not a time"
    bad.to_json(tmp_path / "bad.jsonl", orient="records", lines=True)
    paths = {"m": str(folder / "model"), "c": str(folder / "tweets.jsonl"), "bad": str(tmp_path / "bad.jsonl")}
    res = run(*[a.format(**paths) for a in args])
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("topicscope: error: ")
    assert re.search(message, lines[0]), lines[0]
