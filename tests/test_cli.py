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


# ---------------------------------------------------------------- CSV output (through the entry point, in process)

FORMULAS = ["=cmd|' /C calc'!A0", "+1+2", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR"]


@pytest.fixture(scope="module")
def labelled_model(tmp_path_factory, octis_bbc):
    """A saved model whose custom labels are spreadsheet formulas, and 300 documents to assign."""
    from topicscope import TopicModel

    docs, _, emb = octis_bbc
    folder = tmp_path_factory.mktemp("formulas")
    model = TopicModel(min_topic_size=5, random_state=0).fit(docs[:300], embeddings=emb[:300])
    ids = sorted(t for t in model.topic_labels_ if t != -1)
    assert len(ids) >= 3
    labels = {t: FORMULAS[i % len(FORMULAS)] for i, t in enumerate(ids)}
    model.set_topic_labels(labels)
    model.save(folder / "model")
    pd.DataFrame({"text": docs[:300]}).to_csv(folder / "docs.csv", index=False)
    np.save(folder / "emb.npy", emb[:300])
    return folder, labels


def transform_args(folder: Path, output: str) -> list[str]:
    return ["transform", str(folder / "model"), str(folder / "docs.csv"), "--embeddings", str(folder / "emb.npy"),
            "--output", output]  # fmt: skip


def test_csv_cells_cannot_run_as_formulas(labelled_model, tmp_path, capsys):
    import csv

    from topicscope.cli import main

    folder, labels = labelled_model
    assert main(transform_args(folder, str(tmp_path / "t.csv"))) == 0
    assert f"wrote topics of 300 documents to {tmp_path / 't.csv'}" in capsys.readouterr().out
    with (tmp_path / "t.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 300 and list(rows[0]) == ["document", "topic", "name", "probability", "custom_name"]
    seen = set()
    for row in rows:
        topic = int(row["topic"])  # numbers stay numbers: no quote added
        float(row["probability"])
        expected = labels.get(topic)
        if expected is not None:
            assert row["custom_name"] == "'" + expected
            seen.add(expected)
        for cell in row.values():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), row
    assert len(seen) >= 3  # several formula labels were written, each neutralised


def test_output_dash_writes_the_csv_to_stdout(labelled_model, tmp_path, capsys, monkeypatch):
    import io

    from topicscope.cli import main

    folder, _ = labelled_model
    monkeypatch.chdir(tmp_path)
    assert main(transform_args(folder, str(tmp_path / "file.csv"))) == 0
    capsys.readouterr()
    assert main(transform_args(folder, "-")) == 0
    captured = capsys.readouterr()
    assert not (tmp_path / "-").exists()
    assert "wrote topics of 300 documents to standard output" in captured.err
    from_stdout = pd.read_csv(io.StringIO(captured.out))
    pd.testing.assert_frame_equal(from_stdout, pd.read_csv(tmp_path / "file.csv"))
    assert from_stdout["topic"].dtype.kind == "i" and len(from_stdout) == 300


def test_neutralise_formulas_quotes_text_and_leaves_numbers():
    from topicscope.cli import neutralise_formulas

    frame = pd.DataFrame(
        {
            "topic": [-1, 2, 3],
            "probability": [-0.5, 0.25, 1.0],
            "name": ["-1_outlier_words", '=HYPERLINK("http://x")', "plain - words"],
            "words": ["@import", "\tcell", "ok=fine"],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["topic"].tolist() == [-1, 2, 3] and safe["topic"].dtype == frame["topic"].dtype
    assert safe["probability"].tolist() == [-0.5, 0.25, 1.0]
    assert safe["name"].tolist() == ["'-1_outlier_words", '\'=HYPERLINK("http://x")', "plain - words"]
    assert safe["words"].tolist() == ["'@import", "'\tcell", "ok=fine"]
    assert frame["name"][1].startswith("=")  # the caller's frame is not modified


def test_unwritable_output_is_a_one_line_error(labelled_model, tmp_path, capsys):
    from topicscope.cli import main

    folder, _ = labelled_model
    assert main(transform_args(folder, str(tmp_path / "no_such_dir" / "t.csv"))) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("topicscope: error: cannot write") and "no_such_dir" in err[0]
