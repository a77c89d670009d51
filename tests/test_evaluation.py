"""topicscope.evaluation on tiny, hand-checked inputs."""

from __future__ import annotations

import math

import pytest

from topicscope.evaluation import label_agreement, npmi_coherence, topic_diversity
from topicscope.exceptions import InputError


def test_diversity():
    assert topic_diversity([["a", "b"], ["c", "d"]]) == 1.0
    assert topic_diversity([["a", "b"], ["a", "c"]]) == 0.75
    with pytest.raises(InputError):
        topic_diversity([])


def test_npmi_by_hand():
    texts = [["a", "b"], ["a", "b"], ["c"], ["a"]]
    # p(a)=3/4, p(b)=2/4, p(ab)=2/4 -> pmi = log(0.5 / 0.375), npmi = pmi / -log(0.5)
    expected = math.log(0.5 / 0.375) / -math.log(0.5)
    assert npmi_coherence([["a", "b"]], texts, window=None) == pytest.approx(expected)
    # Never together: -1; always together: 1.
    assert npmi_coherence([["a", "c"]], texts, window=None) == -1.0
    assert npmi_coherence([["x", "y"]], [["x", "y"], ["z"]], window=None) == pytest.approx(1.0)


def test_npmi_sliding_windows_separate_distant_words():
    text = [["a", "x", "x", "x", "b"]]
    assert npmi_coherence([["a", "b"]], text, window=None) > 0
    assert npmi_coherence([["a", "b"]], text, window=2) == -1.0


def test_coherent_topics_score_higher_than_shuffled(octis_bbc):
    docs, _, _ = octis_bbc
    texts = [d.split() for d in docs]
    good = [["film", "award", "actor", "oscar"], ["election", "labour", "tory", "party"]]
    bad = [["film", "labour", "oscar", "tory"], ["election", "award", "actor", "party"]]
    assert npmi_coherence(good, texts) > npmi_coherence(bad, texts) + 0.1


def test_label_agreement():
    res = label_agreement(["a", "a", "b", "b"], [0, 0, 1, -1])
    assert res["outlier_share"] == 0.25 and 0 < res["nmi"] < 1
    assert label_agreement(["a", "a", "b"], [0, 0, -1], exclude_outliers=True)["nmi"] == 1.0
    with pytest.raises(InputError, match="same length"):
        label_agreement(["a"], [0, 1])
