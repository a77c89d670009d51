"""Missing test data: skipped on a developer's machine, a failure in CI (conftest.load_corpus)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")

TEST_FILE = """
from conftest import load_corpus


def test_needs_a_corpus():
    texts, labels, emb = load_corpus("some_corpus")
    assert len(texts) == emb.shape[0]
"""


def run_pytest(folder: Path, data: Path, ci: str | None) -> subprocess.CompletedProcess:
    """Run pytest on a one-test project that uses our conftest, with the data folder ``data``."""
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "TOPICSCOPE_TEST_DATA", "PYTEST_ADDOPTS"}}
    env["TOPICSCOPE_TEST_DATA"] = str(data)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(folder)],
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=300,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(CONFTEST, folder / "conftest.py")
    (folder / "test_data_user.py").write_text(TEST_FILE)
    (folder / "pytest.ini").write_text("[pytest]\n")  # keeps pytest from reading the repository's settings
    return folder


@pytest.mark.parametrize("ci", [None, ""])
def test_missing_corpus_is_skipped_outside_ci(project, tmp_path, ci):
    res = run_pytest(project, tmp_path / "no_data_here", ci)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 skipped" in res.stdout and "corpus some_corpus not found at" in res.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_corpus_fails_in_ci(project, tmp_path, ci):
    res = run_pytest(project, tmp_path / "no_data_here", ci)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "1 failed" in res.stdout and "skipped" not in res.stdout
    assert "corpus some_corpus not found at" in res.stdout and "CI is set" in res.stdout


def test_missing_embeddings_file_fails_in_ci(project, tmp_path):
    data = tmp_path / "data"
    (data / "some_corpus").mkdir(parents=True)
    (data / "some_corpus" / "docs.jsonl").write_text(json.dumps({"text": "a"}) + "\n")
    res = run_pytest(project, data, "true")
    assert res.returncode == 1 and "corpus some_corpus has no embeddings_minilm.npy" in res.stdout, res.stdout


def test_present_corpus_loads(project, tmp_path):
    import numpy as np

    data = tmp_path / "data"
    (data / "some_corpus").mkdir(parents=True)
    (data / "some_corpus" / "docs.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in "abc"))
    np.save(data / "some_corpus" / "embeddings_minilm.npy", np.ones((3, 4), dtype=np.float16))
    res = run_pytest(project, data, "true")
    assert res.returncode == 0 and "1 passed" in res.stdout, res.stdout
