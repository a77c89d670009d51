"""The console script, run as a user would."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

EXE = shutil.which("topicscope") or str(Path(sys.executable).with_name("topicscope"))


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory, octis_bbc):
    docs, labels, emb = octis_bbc
    folder = tmp_path_factory.mktemp("cli")
    n = 700
    with (folder / "docs.jsonl").open("w") as fh:
        for d, lab in zip(docs[:n], labels[:n]):
            fh.write(json.dumps({"body": d, "label": lab}) + "\n")
    pd.DataFrame({"body": docs[:n]}).to_csv(folder / "docs.csv", index=False)
    (folder / "docs.txt").write_text("\n".join(docs[:n]) + "\n")
    np.save(folder / "emb.npy", emb[:n])
    return folder


def test_fit_info_transform(corpus_files, tmp_path):
    out = tmp_path / "model"
    res = run(
        "fit",
        str(corpus_files / "docs.jsonl"),
        "--text-column",
        "body",
        "--embeddings",
        str(corpus_files / "emb.npy"),
        "--out",
        str(out),
        "--min-topic-size",
        "5",
        "--quiet",
    )
    assert res.returncode == 0, res.stderr
    assert "Topic" in res.stdout and "700 documents" in res.stdout
    assert (out / "topicscope.json").exists()
    info = run("info", str(out))
    assert info.returncode == 0 and "Count" in info.stdout
    res = run(
        "transform",
        str(out),
        str(corpus_files / "docs.csv"),
        "--text-column",
        "body",
        "--embeddings",
        str(corpus_files / "emb.npy"),
        "--output",
        str(tmp_path / "t.csv"),
    )
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(tmp_path / "t.csv")
    assert list(table.columns) == ["document", "topic", "name", "probability"] and len(table) == 700
    saved = json.loads((out / "topicscope.json").read_text())
    assert saved["sizes"] and sum(saved["sizes"]) == 700


def test_txt_input(corpus_files, tmp_path):
    res = run(
        "fit",
        str(corpus_files / "docs.txt"),
        "--embeddings",
        str(corpus_files / "emb.npy"),
        "--out",
        str(tmp_path / "m"),
        "--min-topic-size",
        "5",
        "--quiet",
        "--nr-topics",
        "4",
    )
    assert res.returncode == 0, res.stderr
    assert "4 topics" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("fit", "missing.jsonl", "--out", "m"), "input file not found: missing.jsonl"),
        (("fit", "{d}/docs.jsonl", "--out", "m", "--text-column", "nope"), "column 'nope' not found"),
        (("fit", "{d}/empty.txt", "--out", "m"), "is empty"),
        (("fit", "{d}/docs.xml", "--out", "m"), "unsupported input type"),
        (("info", "no_such_model"), "model folder not found"),
        (("fit", "{d}/docs.txt", "--out", "m", "--nr-topics", "lots"), "--nr-topics must be an integer"),
        (
            ("fit", "{d}/docs.txt", "--out", "m", "--embeddings", "{d}/emb.npy", "--min-topic-size", "0"),
            "min_topic_size must be an integer >= 2; got 0",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code_2(corpus_files, tmp_path, args, message):
    (corpus_files / "empty.txt").write_text("\n\n")
    (corpus_files / "docs.xml").write_text("<a/>")
    res = run(*(a.format(d=corpus_files) for a in args), cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], res.stderr
