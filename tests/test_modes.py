"""Guided, semi-supervised, supervised and manual modes on real corpora."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from conftest import load_corpus
from topicscope import TopicModel
from topicscope.clustering import LabelsGiven, hdbscan_clusterer
from topicscope.reduction import Identity, umap_reducer
from topicscope.vectorize import ClassTfidfTransformer

SEEDS = [["hockey", "nhl", "puck", "goalie", "playoffs"], ["space", "nasa", "orbit", "shuttle", "launch"],
         ["encryption", "key", "clipper", "privacy"]]  # fmt: skip


@pytest.fixture(scope="module")
def bbc():
    texts, labels, emb = load_corpus("bbc_news")
    names = sorted(set(labels))
    return texts, np.array([names.index(lab) for lab in labels]), emb, names


def words(model: TopicModel, topic: int) -> list[str]:
    return [w for w, _ in model.get_topic(topic)]


def test_supervised_topics_are_the_labels(bbc):
    docs, y, emb, names = bbc
    model = TopicModel(umap_model=Identity(), hdbscan_model=LogisticRegression(max_iter=300))
    topics, _ = model.fit_transform(docs, embeddings=emb, y=y)
    assert topics == y.tolist()
    assert model.topic_sizes_ == dict(Counter(y.tolist()))
    assert "football" in words(model, names.index("sport")) or "game" in words(model, names.index("sport"))
    # PCA works as the reducer too, and the user's classifier is never fitted in place.
    clf = LogisticRegression(max_iter=300)
    pca = TopicModel(umap_model=PCA(n_components=20, random_state=0), hdbscan_model=clf).fit(docs, emb, y=y)
    assert pca.topics_ == y.tolist() and not hasattr(clf, "coef_")
    # New documents go through the fitted classifier (predict, predict_proba), as in BERTopic.
    fitted = model.stages_.clusterer
    new_topics, new_probs = model.transform(docs[:200], embeddings=emb[:200])
    expected = fitted.predict(
        emb[:200].astype("float16").astype("float32")
        / np.linalg.norm(emb[:200].astype("float16").astype("float32"), axis=1, keepdims=True)
    )
    assert new_topics == expected.tolist()
    assert new_topics != y[:200].tolist()  # the classifier disagrees with a few training labels
    proba = fitted.predict_proba(
        emb[:200].astype("float16").astype("float32")
        / np.linalg.norm(emb[:200].astype("float16").astype("float32"), axis=1, keepdims=True)
    )
    np.testing.assert_allclose(new_probs, proba.max(axis=1), rtol=1e-5)


def test_given_label_ids_are_stable_through_reduction(bbc):
    docs, y, emb, _ = bbc
    y = y + 10  # labels 10..14: ids must stay the labels, not be renumbered 0..4
    model = TopicModel(umap_model=Identity(), hdbscan_model=LogisticRegression(max_iter=300), nr_topics=5)
    topics, _ = model.fit_transform(docs, embeddings=emb, y=y)
    assert topics == y.tolist() and sorted(model.topic_labels_) == [10, 11, 12, 13, 14]
    model.reduce_topics(docs, 5)  # nothing merges: ids unchanged
    assert model.topics_ == y.tolist()
    model.reduce_topics(docs, 4)  # one merge: the merged topic keeps the smaller label
    merged = sorted(set(model.topics_))
    assert len(merged) == 4 and set(merged) < {10, 11, 12, 13, 14}
    assert model.transform(docs[:100], embeddings=emb[:100])[0] and set(
        model.transform(docs[:100], embeddings=emb[:100])[0]
    ) <= set(merged)
    manual = TopicModel(umap_model=Identity(), hdbscan_model=LabelsGiven(), nr_topics="auto").fit(docs, emb, y=y)
    assert set(manual.topics_) <= {10, 11, 12, 13, 14}


def test_manual_topics_are_the_labels_exactly(bbc):
    docs, y, emb, names = bbc
    y = y.copy()
    y[::50] = -1  # some documents left as outliers
    model = TopicModel(umap_model=Identity(), hdbscan_model=LabelsGiven())
    topics, _ = model.fit_transform(docs, embeddings=emb, y=y)
    assert topics == y.tolist()
    info = model.get_topic_info()
    assert dict(zip(info.Topic, info.Count)) == dict(Counter(y.tolist()))
    assert {"film", "music"} & set(words(model, names.index("entertainment")))
    assert {"election", "labour", "government", "blair"} & set(words(model, names.index("politics")))


def test_seed_multiplier_raises_seed_words_in_real_topics(bbc):
    docs, y, emb, names = bbc
    seed = ["oil", "bank"]
    plain = TopicModel(umap_model=Identity(), hdbscan_model=LabelsGiven(), top_n_words=30).fit(docs, emb, y=y)
    boosted = TopicModel(
        umap_model=Identity(),
        hdbscan_model=LabelsGiven(),
        top_n_words=30,
        ctfidf_model=ClassTfidfTransformer(seed_words=seed, seed_multiplier=3.0),
    ).fit(docs, emb, y=y)
    business = names.index("business")
    before, after = words(plain, business), words(boosted, business)
    for w in seed:
        assert w in after
        assert w not in before or after.index(w) < before.index(w)


class SpyReducer(PCA):
    """PCA that remembers the labels it was given (semi-supervised y must reach the reducer)."""

    def fit_transform(self, X, y=None):
        SpyReducer.seen_y = None if y is None else np.asarray(y).copy()
        return super().fit_transform(X)


def test_semi_supervised_labels_reach_the_reducer(bbc):
    docs, y, emb, _ = bbc
    partial = y.copy()
    partial[np.random.default_rng(1).random(len(y)) > 0.3] = -1
    model = TopicModel(umap_model=SpyReducer(n_components=5, random_state=0), hdbscan_model=hdbscan_clusterer(15))
    model.fit(docs, emb, y=partial)
    assert np.array_equal(SpyReducer.seen_y, partial)
    # Labels are only steering: the topics are still clusters (HDBSCAN's ids, outliers included),
    # not a copy of the partial labels, and they agree with the full labels well above chance.
    from sklearn.metrics import normalized_mutual_info_score

    topics = np.array(model.topics_)
    assert not np.array_equal(topics[partial >= 0], partial[partial >= 0])
    assert normalized_mutual_info_score(y, topics) > 0.4


@pytest.fixture(scope="module")
def newsgroups_2500():
    texts, labels, emb = load_corpus("20newsgroups")
    nonempty = np.array([i for i, t in enumerate(texts) if t.strip()])
    pick = np.sort(np.random.default_rng(0).choice(nonempty, 2500, replace=False))
    return [texts[i] for i in pick], np.array([labels[i] for i in pick]), emb[pick]


@pytest.mark.slow  # two UMAP fits (~45 s on 2 cores)
def test_seeds_gather_their_newsgroup_and_rank_seed_words(newsgroups_2500):
    """Measured (UMAP + HDBSCAN, random_state 42): the largest share of sci.space posts in one
    topic goes 0.31 -> 0.69 with seeds, sci.crypt 0.55 -> 0.82; "clipper" and "shuttle" enter
    that topic's top-10 words."""
    docs, groups, emb = newsgroups_2500

    def fit(**kwargs):
        return TopicModel(
            min_topic_size=15,
            random_state=42,
            umap_model=umap_reducer(len(docs), 42),
            hdbscan_model=hdbscan_clusterer(15),
            **kwargs,
        ).fit(docs, emb)

    base, guided = fit(), fit(seed_topic_list=SEEDS)
    for group, seed in (("sci.space", SEEDS[1]), ("sci.crypt", SEEDS[2])):
        shares, ranked = [], []
        for model in (base, guided):
            topics = np.array(model.topics_)[groups == group]
            topic, count = Counter(topics[topics >= 0].tolist()).most_common(1)[0]
            shares.append(count / len(topics))
            ranked.append(sum(w in words(model, topic) for w in seed))
        assert shares[1] >= shares[0] + 0.15, (group, shares)
        assert ranked[1] > ranked[0], (group, ranked)


def test_semi_supervised_improves_nmi_with_the_default_pipeline(bbc):
    """Measured (graph clusterer, random_state 42): NMI 0.805 -> 0.867 with 30% of labels given,
    0.807 -> 0.840 on the unlabelled documents alone."""
    from sklearn.metrics import normalized_mutual_info_score as nmi

    docs, y, emb, _ = bbc
    partial = y.copy()
    unlabelled = np.random.default_rng(1).random(len(y)) > 0.3
    partial[unlabelled] = -1
    base = np.array(TopicModel(min_topic_size=15, random_state=42).fit(docs, emb).topics_)
    semi = np.array(TopicModel(min_topic_size=15, random_state=42).fit(docs, emb, y=partial).topics_)
    assert nmi(y, semi) >= nmi(y, base) + 0.03, (nmi(y, base), nmi(y, semi))
    assert nmi(y[unlabelled], semi[unlabelled]) >= nmi(y[unlabelled], base[unlabelled]) + 0.01


def test_seeds_purify_their_topic_with_the_default_pipeline(newsgroups_2500):
    """Measured (graph clusterer, random_state 42): the topic holding most sci.crypt posts goes from
    20% to 37% sci.crypt with seeds (sci.space 20% -> 34%), and holds more of the seed words."""
    docs, groups, emb = newsgroups_2500
    base = TopicModel(min_topic_size=15, random_state=42).fit(docs, emb)
    guided = TopicModel(min_topic_size=15, random_state=42, seed_topic_list=SEEDS).fit(docs, emb)
    for group, seed in (("sci.space", SEEDS[1]), ("sci.crypt", SEEDS[2])):
        purity, ranked = [], []
        for model in (base, guided):
            topics = np.array(model.topics_)
            inside = topics[groups == group]
            topic = Counter(inside[inside >= 0].tolist()).most_common(1)[0][0]
            purity.append((groups[topics == topic] == group).mean())
            ranked.append(sum(w in words(model, topic) for w in seed))
        assert purity[1] >= purity[0] + 0.08, (group, purity)
        assert ranked[1] > ranked[0], (group, ranked)


def test_seed_words_are_boosted_whatever_their_case(bbc):
    docs, y, emb, names = bbc
    manual = {"umap_model": Identity(), "hdbscan_model": LabelsGiven(), "top_n_words": 30}
    plain = TopicModel(**manual).fit(docs, emb, y=y)
    seeded = TopicModel(seed_topic_list=[["OIL", "Bank"]], **manual).fit(docs, emb, y=y)
    before, after = words(plain, names.index("business")), words(seeded, names.index("business"))
    assert seeded.topics_ == plain.topics_  # manual mode: seeds only change the words
    for w in ("oil", "bank"):
        assert w in after and (w not in before or after.index(w) < before.index(w))


@pytest.mark.slow
def test_zeroshot_with_given_labels_does_not_shift_them(bbc):
    """Zero-shot topics are numbered after the largest label; the labels stay the topic ids."""
    docs, y, emb, _ = bbc
    docs, y, emb = docs[:600], y[:600] + 3, emb[:600]
    model = TopicModel(
        umap_model=Identity(),
        hdbscan_model=LabelsGiven(),
        zeroshot_topic_list=["football match", "film awards"],
        zeroshot_min_similarity=0.45,
    )
    topics = np.array(model.fit_transform(docs, embeddings=emb, y=y)[0])
    zs = {name: t for t, name in model.state_.zeroshot_names.items()}
    assert zs and min(zs.values()) == int(y.max()) + 1  # after the labels
    matched = np.isin(topics, list(zs.values()))
    assert matched.any() and (topics[~matched] == y[~matched]).all()


class LetterEmbedder:
    """A small deterministic embedder: letter counts (26 dimensions), enough for zero-shot names."""

    def encode(self, texts, **kwargs):
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for i, text in enumerate(texts):
            for ch in text.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out + 1e-3


def test_supervised_transform_applies_zeroshot_names():
    """A classifier never sees the zero-shot topics, so transform applies the name match after it."""
    rng = np.random.default_rng(0)
    words = ["apple banana", "cherry date", "eggplant fig"]
    docs = [f"{words[i % 3]} {'x' * int(rng.integers(1, 4))}" for i in range(60)] + ["zzzz quiz jazz"] * 6
    y = np.array([i % 3 for i in range(60)] + [0] * 6)
    model = TopicModel(
        embedding_model=LetterEmbedder(),
        umap_model=Identity(),
        hdbscan_model=LogisticRegression(max_iter=300),
        zeroshot_topic_list=["zzzz jazz"],
        zeroshot_min_similarity=0.8,
    )
    topics, _ = model.fit_transform(docs, y=y)
    zs_topic = next(iter(model.state_.zeroshot_names))
    assert zs_topic == 3 and topics[-6:] == [3] * 6  # numbered after the labels 0..2
    new_topics, new_probs = model.transform(["jazz zzz quiz", "apple banana xx"])
    assert new_topics == [3, 0] and new_probs[0] == 1.0
