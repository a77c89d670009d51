"""BERTopic's twelve ``visualize_*`` plots on real models: figures, exact counts, errors, the layout kept."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import pytest

from conftest import DATA, data_missing
from topicscope import TopicModel
from topicscope.exceptions import InputError, MissingDependencyError
from topicscope.viz import layout as viz_layout
from topicscope.viz.common import snippet


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def model(bbc):
    """The default pipeline on bbc_news (no outlier topic); its layout is computed by the first plot."""
    docs, _, emb = bbc
    return TopicModel(random_state=0).fit(docs, embeddings=emb)


@pytest.fixture(scope="module")
def laid_out(model):
    """``model`` once its layout exists (computed here, once for the module)."""
    model.visualize_topics()
    assert viz_layout.layout_is_valid(model.state_)
    return model


@pytest.fixture(scope="module")
def outlier_model(bbc):
    """HDBSCAN on the raw embeddings: a model with an outlier topic -1."""
    from topicscope.clustering import hdbscan_clusterer
    from topicscope.reduction import Identity

    docs, _, emb = bbc
    fitted = TopicModel(hdbscan_model=hdbscan_clusterer(15), umap_model=Identity(), random_state=0)
    fitted.fit(docs, embeddings=emb)
    assert -1 in fitted.topic_sizes_
    return fitted


@pytest.fixture(scope="module")
def tweets():
    """(texts, labels, timestamps, embeddings) of the first 3,000 crisislex tweets."""
    folder = DATA / "crisislex_tweets"
    if not (folder / "docs.jsonl").is_file():
        data_missing(f"corpus crisislex_tweets not found at {folder}")
    rows = []
    with (folder / "docs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if len(rows) == 3000:
                break
    emb = np.load(folder / "embeddings_minilm.npy")[:3000].astype("float32")
    return [r["text"] for r in rows], [r["label"] for r in rows], [r["timestamp"] for r in rows], emb


@pytest.fixture(scope="module")
def tweet_model(tweets):
    docs, _, _, emb = tweets
    return TopicModel(random_state=0).fit(docs, embeddings=emb)


def topics_of(m: TopicModel) -> list[int]:
    return [int(t) for t in m.state_.topic_ids if t != -1]


def custom(m: TopicModel) -> TopicModel:
    """A copy of ``m`` with custom labels (one holding markup that must be escaped)."""
    other = copy.deepcopy(m)
    other.set_topic_labels({t: f"Label {t} <i>x</i>" for t in topics_of(m)})
    return other


# ---------------------------------------------------------------------------- import and extras
def test_import_stays_light():
    code = (
        "import sys, topicscope, topicscope.viz, topicscope.viz.common, topicscope.viz.layout, "
        "topicscope.viz.documents, topicscope.viz.topic_map, topicscope.viz.words, topicscope.viz.trends, "
        "topicscope.viz.distribution, topicscope.viz.hierarchy, topicscope.viz.datamap, topicscope.methods.viz; "
        "print(','.join(m for m in ('plotly', 'umap', 'datamapplot', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_missing_plotly_names_the_viz_extra(model, monkeypatch):
    for name in [m for m in sys.modules if m == "plotly" or m.startswith("plotly.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "topicscope\[viz\]"'):
        model.visualize_barchart()
    with pytest.raises(ImportError, match="plotly"):  # still an ImportError for code that catches those
        model.visualize_heatmap()


def test_missing_datamapplot_names_the_datamap_extra(laid_out, monkeypatch):
    monkeypatch.setitem(sys.modules, "datamapplot", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "topicscope\[datamap\]"'):
        laid_out.visualize_document_datamap()


def test_datamap_draws_the_stored_layout(laid_out, bbc):
    pytest.importorskip("datamapplot")
    from matplotlib.figure import Figure

    figure = laid_out.visualize_document_datamap(bbc[0], topic_prefix=True)
    assert isinstance(figure, Figure)
    with pytest.raises(InputError, match="topics"):
        laid_out.visualize_document_datamap(topics=[999])


def test_datamap_labels_follow_bertopic(laid_out):
    from topicscope.viz.datamap import NOISE, datamap_labels

    state = laid_out.state_
    labels = datamap_labels(state, [0], False, True)
    assert len(labels) == len(state.doc_topics)
    words = " ".join(w for w, _ in state.words[0][:3])
    assert set(labels[state.doc_topics == 0]) == {f"Topic-0: {words}"}
    assert set(labels[state.doc_topics != 0]) == {NOISE}


# ----------------------------------------------------------------------------------- the layout
def test_layout_is_computed_once_and_looks_like_the_embeddings(model, bbc):
    from sklearn.manifold import trustworthiness

    docs, _, emb = bbc
    runs = viz_layout.LAYOUT_RUNS
    model.visualize_documents(docs)
    first = model.state_.doc_layout
    assert viz_layout.LAYOUT_RUNS - runs <= 1  # computed here unless an earlier test did
    after_first = viz_layout.LAYOUT_RUNS
    model.visualize_documents(docs, sample=0.5)
    model.visualize_topics()
    model.visualize_hierarchical_documents(docs, model.hierarchical_topics(docs))
    assert after_first == viz_layout.LAYOUT_RUNS
    assert model.state_.doc_layout is first
    assert first.dtype == np.float32 and first.shape == (len(docs), 2)
    # UMAP on the kNN graph keeps neighbourhoods (bbc_news measured 0.962; UMAP's own search 0.964).
    assert trustworthiness(emb, first, n_neighbors=10, metric="cosine") > 0.93


def test_layout_is_saved_and_a_loaded_model_plots_without_recomputing(laid_out, bbc, tmp_path):
    docs = bbc[0]
    laid_out.save(tmp_path / "m")
    loaded = TopicModel.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.state_.doc_layout, laid_out.state_.doc_layout)
    runs = viz_layout.LAYOUT_RUNS
    fig = loaded.visualize_documents(docs)
    assert runs == viz_layout.LAYOUT_RUNS
    again = laid_out.visualize_documents(docs)
    for a, b in zip(fig.data, again.data):
        np.testing.assert_array_equal(a.x, b.x)


def test_layout_needs_embeddings_when_the_model_keeps_none(bbc):
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import IncrementalPCA

    from topicscope.vectorize.online import OnlineCountVectorizer

    docs, _, emb = bbc
    online = TopicModel(
        umap_model=IncrementalPCA(n_components=5),
        hdbscan_model=MiniBatchKMeans(n_clusters=5, random_state=0, n_init=3),
        vectorizer_model=OnlineCountVectorizer(stop_words="english"),
        random_state=0,
    )
    for start in range(0, len(docs), 1200):
        online.partial_fit(docs[start : start + 1200], embeddings=emb[start : start + 1200])
    assert len(online.state_.index_embeddings) < len(docs)  # online models keep a capped index
    # no layout can be made: the topic map places topics by their embeddings (classical MDS)
    from topicscope.viz.layout import vector_positions

    state = online.state_
    trace = online.visualize_topics().data[0]
    expected = vector_positions(state.topic_embeddings[[state.row(t) for t in topics_of(online)]])
    np.testing.assert_allclose(np.column_stack([trace.x, trace.y]), expected)
    assert len(state.doc_layout) == 0
    with pytest.raises(InputError, match="embeddings="):
        online.visualize_documents(docs)
    reduced = np.random.default_rng(0).normal(size=(len(docs), 2))
    fig = online.visualize_documents(docs, reduced_embeddings=reduced)
    assert sum(len(t.x) for t in fig.data if t.mode == "markers") == len(docs)
    assert len(online.state_.doc_layout) == 0  # a layout of the user's is drawn, not stored
    with pytest.raises(InputError, match="reduced_embeddings"):
        online.visualize_documents(docs, reduced_embeddings=reduced[:, :1])
    fig = online.visualize_documents(docs, embeddings=emb)
    assert online.state_.doc_layout.shape == (len(docs), 2)
    trace = online.visualize_topics().data[0]  # now from the layout
    means = [state.doc_layout[state.doc_topics == t].astype(np.float64).mean(axis=0) for t in topics_of(online)]
    np.testing.assert_allclose(np.column_stack([trace.x, trace.y]), means, rtol=1e-6)


def test_sampling_keeps_every_topic_and_bertopics_rule():
    from topicscope.viz.layout import sample_documents

    topics = np.repeat([0, 1, 2, -1], [1000, 99, 150, 5])
    picked = sample_documents(topics, 0.001, seed=0)
    counts = {t: int((topics[picked] == t).sum()) for t in (0, 1, 2, -1)}
    assert counts == {0: 1, 1: 99, 2: 1, -1: 5}
    assert np.all(np.diff(picked) > 0)
    picked = sample_documents(topics, 0.25, seed=0)
    assert {t: int((topics[picked] == t).sum()) for t in (0, 2)} == {0: 250, 2: 37}
    np.testing.assert_array_equal(picked, sample_documents(topics, 0.25, seed=0))


# ----------------------------------------------------------------------------- visualize_topics
def test_topic_map_one_bubble_per_topic_at_its_documents_mean(laid_out):
    state = laid_out.state_
    fig = laid_out.visualize_topics()
    assert isinstance(fig, go.Figure)
    (trace,) = fig.data
    assert isinstance(trace, go.Scatter)
    ids = topics_of(laid_out)
    assert [int(c[0]) for c in trace.customdata] == ids
    np.testing.assert_array_equal(trace.marker.size, [laid_out.topic_sizes_[t] for t in ids])
    for t, x, y in zip(ids, trace.x, trace.y):
        mean = state.doc_layout[state.doc_topics == t].astype(np.float64).mean(axis=0)
        np.testing.assert_allclose([x, y], mean, rtol=1e-6)
    assert len(fig.layout.sliders[0].steps) == len(ids)
    words = " | ".join(w for w, _ in state.words[ids[0]][:5])
    assert trace.customdata[0][1] == words


def test_topic_map_selection_ctfidf_and_errors(laid_out):
    sizes = laid_out.topic_sizes_
    largest = sorted(sorted(topics_of(laid_out), key=lambda t: -sizes[t])[:3])
    fig = laid_out.visualize_topics(top_n_topics=3)
    assert [int(c[0]) for c in fig.data[0].customdata] == largest
    fig = laid_out.visualize_topics(topics=[2, 0], use_ctfidf=True)
    assert [int(c[0]) for c in fig.data[0].customdata] == [0, 2]
    assert len(laid_out.visualize_topics(use_ctfidf=True).data[0].x) == len(topics_of(laid_out))
    with pytest.raises(InputError, match=r"topics .*\[99, 123\]"):
        laid_out.visualize_topics(topics=[0, 99, 123])
    with pytest.raises(InputError, match="top_n_topics"):
        laid_out.visualize_topics(top_n_topics=0)
    with pytest.raises(InputError, match="custom_labels"):
        laid_out.visualize_topics(custom_labels="NoSuchAspect")
    with pytest.raises(InputError, match="width"):
        laid_out.visualize_topics(width=0)


def test_custom_labels_are_used_and_escaped(laid_out, bbc):
    labelled = custom(laid_out)
    ids = topics_of(labelled)
    expected = [f"Label {t} &lt;i&gt;x&lt;/i&gt;" for t in ids]
    assert [c[1] for c in labelled.visualize_topics(custom_labels=True).data[0].customdata] == expected
    plain = labelled.visualize_topics().data[0].customdata[0][1]
    assert plain.startswith(labelled.state_.words[ids[0]][0][0])
    docs_fig = labelled.visualize_documents(bbc[0], custom_labels=True)
    assert [t.name for t in docs_fig.data[1:-1]] == expected
    heat = labelled.visualize_heatmap(custom_labels=True)
    assert list(heat.layout.xaxis.ticktext) == expected
    bars = labelled.visualize_barchart(topics=ids[:2], custom_labels=True)
    assert [a.text for a in bars.layout.annotations] == expected[:2]
    tree = labelled.visualize_hierarchy(custom_labels=True)
    assert sorted(tree.layout.yaxis.ticktext) == sorted(expected)
    ranks = labelled.visualize_term_rank(custom_labels=True)
    assert [t.hovertext for t in ranks.data] == expected


def test_aspect_labels(laid_out):
    from topicscope.state import copy_state
    from topicscope.viz.common import topic_labels

    state = copy_state(laid_out.state_)
    state.aspects = {"Short": {t: [(w.upper(), s) for w, s in state.words[t][:2]] for t in topics_of(laid_out)}}
    ids = topics_of(laid_out)[:2]
    expected = [f"{t}_" + "_".join(w.upper() for w, _ in state.words[t][:2]) for t in ids]
    assert topic_labels(state, ids, "Short", "words") == expected
    assert topic_labels(state, ids, "Short", "bold5") == expected


# -------------------------------------------------------------------------- visualize_documents
def test_documents_one_webgl_trace_per_topic_with_exact_points(laid_out, bbc):
    docs = bbc[0]
    state = laid_out.state_
    fig = laid_out.visualize_documents(docs)
    ids = topics_of(laid_out)
    assert all(isinstance(t, go.Scattergl) for t in fig.data)
    assert [t.name for t in fig.data] == [
        "other",
        *[f"{t}_" + "_".join(w for w, _ in state.words[t][:3]) for t in ids],
        "labels",
    ]
    assert len(fig.data[0].x) == 0  # no outliers, every topic selected
    for t, trace in zip(ids, fig.data[1:-1]):
        members = np.flatnonzero(state.doc_topics == t)
        np.testing.assert_array_equal(trace.customdata, members)
        np.testing.assert_array_equal(trace.x, state.doc_layout[members, 0])
        assert list(trace.hovertext[:3]) == [snippet(docs[i], 150) for i in members[:3]]
    assert fig.layout.meta["sampled_indices"] == list(range(len(docs)))
    labels = fig.data[-1]
    assert labels.mode == "text" and len(labels.text) == len(ids)


def test_documents_sampling_selection_and_hover_options(laid_out, bbc):
    docs = bbc[0]
    state = laid_out.state_
    fig = laid_out.visualize_documents(docs, sample=0.05, hide_annotations=True, hide_document_hover=True)
    sampled = fig.layout.meta["sampled_indices"]
    drawn = np.sort(np.concatenate([t.customdata for t in fig.data]))
    assert list(drawn) == sampled
    for t, trace in zip(topics_of(laid_out), fig.data[1:]):
        size = laid_out.topic_sizes_[t]
        assert len(trace.x) == (size if size < 100 else max(1, int(size * 0.05)))
        assert trace.hovertext is None
    assert all(t.mode == "markers" for t in fig.data)  # no label trace
    fig = laid_out.visualize_documents(docs, topics=[1, 0])
    assert [t.name.split("_")[0] for t in fig.data] == ["other", "1", "0", "labels"]
    assert len(fig.data[0].x) == int(np.isin(state.doc_topics, [0, 1], invert=True).sum())
    fig = laid_out.visualize_documents(None)
    assert fig.data[1].hovertext is None and fig.data[1].hoverinfo == "name"


def test_documents_bad_input_names_the_argument(laid_out, bbc):
    docs = bbc[0]
    with pytest.raises(InputError, match="docs"):
        laid_out.visualize_documents(docs[:10])
    with pytest.raises(InputError, match="sample"):
        laid_out.visualize_documents(docs, sample=0)
    with pytest.raises(InputError, match=r"topics .*\[77\]"):
        laid_out.visualize_documents(docs, topics=[77])
    with pytest.raises(InputError, match="reduced_embeddings"):
        laid_out.visualize_documents(docs, reduced_embeddings=np.zeros((5, 2)))


def test_documents_of_a_model_with_outliers(outlier_model, bbc):
    docs = bbc[0]
    state = outlier_model.state_
    fig = outlier_model.visualize_documents(docs, hide_annotations=True)
    n_out = int((state.doc_topics == -1).sum())
    assert fig.data[0].name == "other" and len(fig.data[0].x) == n_out
    np.testing.assert_array_equal(fig.data[0].customdata, np.flatnonzero(state.doc_topics == -1))
    assert len(fig.data) == 1 + len(topics_of(outlier_model))


# ---------------------------------------------------------------------------------- hierarchy
def test_hierarchy_drawn_from_the_table(laid_out, bbc):
    table = laid_out.hierarchical_topics(bbc[0])
    fig = laid_out.visualize_hierarchy(hierarchical_topics=table)
    k = len(topics_of(laid_out))
    lines, joins = fig.data[:-1], fig.data[-1]
    assert len(lines) == k - 1 and all(isinstance(t, go.Scatter) and t.mode == "lines" for t in lines)
    assert len(joins.x) == k - 1
    assert sorted(fig.layout.meta["leaves"]) == topics_of(laid_out)
    assert len(fig.layout.yaxis.ticktext) == k
    hover_names = sorted(h.split("</b>")[0].removeprefix("<b>") for h in joins.hovertext)
    assert hover_names == sorted(table.Parent_Name)
    np.testing.assert_allclose(sorted(joins.x), sorted(table.Distance))
    # computed when not given: the same tree
    assert sorted(laid_out.visualize_hierarchy().data[-1].x) == sorted(joins.x)
    # a selection prunes the tree
    sub = laid_out.visualize_hierarchy(topics=[0, 1, 2], hierarchical_topics=table, orientation="bottom")
    assert len(sub.data) == 3 and sorted(sub.layout.meta["leaves"]) == [0, 1, 2]
    assert len(sub.layout.xaxis.ticktext) == 3


def test_hierarchy_errors(laid_out, bbc):
    table = laid_out.hierarchical_topics(bbc[0])
    with pytest.raises(InputError, match="orientation"):
        laid_out.visualize_hierarchy(orientation="diagonal")
    with pytest.raises(InputError, match="hierarchical_topics"):
        laid_out.visualize_hierarchy(hierarchical_topics=table.iloc[1:])
    with pytest.raises(InputError, match="hierarchical_topics"):
        laid_out.visualize_hierarchy(hierarchical_topics=table.drop(columns=["Distance"]))
    with pytest.raises(InputError, match=r"topics .*\[-5\]"):
        laid_out.visualize_hierarchy(topics=[-5, 0])
    one = copy.deepcopy(laid_out).reduce_topics(bbc[0], nr_topics=1)
    with pytest.raises(InputError, match="at least 2 topics"):
        one.visualize_hierarchy()
    with pytest.raises(InputError, match="at least 2 topics"):
        one.visualize_hierarchical_documents(bbc[0], table)


def test_hierarchical_documents_levels(laid_out, bbc):
    docs = bbc[0]
    table = laid_out.hierarchical_topics(docs)
    fig = laid_out.visualize_hierarchical_documents(docs, table, nr_levels=3, sample=0.5)
    from topicscope.viz.documents import level_thresholds

    levels = level_thresholds(table.Distance.to_numpy(), 3, "linear")
    steps = fig.layout.sliders[0].steps
    assert len(steps) == len(levels) == len(fig.layout.meta["level_thresholds"])
    n_drawn = len(fig.layout.meta["sampled_indices"])
    for step in steps:
        visible = [t for t, v in zip(fig.data, step.args[0]["visible"]) if v]
        assert sum(len(t.x) for t in visible if t.mode == "markers") == n_drawn
    first_level = [t for t in fig.data if t.visible is not False]
    clusters = [t for t in first_level if t.mode == "markers" and t.name != "other"]
    # level 1 applies the joins up to its threshold: one cluster fewer per join applied
    applied = int((table.Distance <= levels[0]).sum())
    assert len(clusters) == len(topics_of(laid_out)) - applied
    assert all(isinstance(t, go.Scattergl) for t in fig.data)
    with pytest.raises(InputError, match="level_scale"):
        laid_out.visualize_hierarchical_documents(docs, table, level_scale="cubic")
    with pytest.raises(InputError, match="hierarchical_topics"):
        laid_out.visualize_hierarchical_documents(docs, table.drop(columns=["Parent_ID"]))
    fig = laid_out.visualize_hierarchical_documents(docs, table, level_scale="log", hide_annotations=True)
    assert all(t.mode == "markers" for t in fig.data)


# --------------------------------------------------------------------------------- word plots
def test_barchart_bars_are_the_topic_words(laid_out):
    state = laid_out.state_
    fig = laid_out.visualize_barchart(n_words=4)
    ids = topics_of(laid_out)[:8]
    assert len(fig.data) == len(ids) and all(isinstance(t, go.Bar) for t in fig.data)
    for t, trace in zip(ids, fig.data):
        assert [w.strip() for w in trace.y] == [w for w, _ in state.words[t][:4]][::-1]
        np.testing.assert_allclose(trace.x, [s for _, s in state.words[t][:4]][::-1])
    assert [a.text for a in fig.layout.annotations] == [f"Topic {t}" for t in ids]
    assert len(laid_out.visualize_barchart(topics=[3, 1]).data) == 2
    with pytest.raises(InputError, match="n_words"):
        laid_out.visualize_barchart(n_words=0)


def test_term_rank_one_line_per_topic(outlier_model):
    state = outlier_model.state_
    fig = outlier_model.visualize_term_rank(topics=[0])
    assert len(fig.data) == len(state.topic_ids)  # -1 included, as BERTopic
    for t, trace in zip(state.topic_ids, fig.data):
        np.testing.assert_allclose(trace.y, [s for _, s in state.words[int(t)]])
        assert trace.line.color == ("red" if t == 0 else "black")
    logged = outlier_model.visualize_term_rank(log_scale=True)
    np.testing.assert_allclose(logged.data[1].y, np.log10([s for _, s in state.words[0]]))
    assert logged.layout.yaxis.title.text == "c-TF-IDF score (log scale)"


def test_heatmap_similarity_matrix(laid_out):
    from sklearn.metrics.pairwise import cosine_similarity

    fig = laid_out.visualize_heatmap()
    (heat,) = fig.data
    ids = topics_of(laid_out)
    emb = laid_out.topic_embeddings_[[laid_out.state_.row(t) for t in ids]]
    np.testing.assert_allclose(np.asarray(heat.z), cosine_similarity(emb), atol=1e-6)
    clustered = laid_out.visualize_heatmap(n_clusters=2, use_ctfidf=True)
    assert sorted(clustered.layout.meta["topics"]) == ids
    assert np.asarray(clustered.data[0].z).shape == (len(ids), len(ids))
    with pytest.raises(InputError, match="n_clusters"):
        laid_out.visualize_heatmap(n_clusters=len(ids))
    with pytest.raises(InputError, match=r"topics .*\[-1\]"):
        laid_out.visualize_heatmap(topics=[-1, 0])


# --------------------------------------------------------------------------- time and classes
def test_topics_over_time_lines(tweet_model, tweets):
    docs, _, stamps, _ = tweets
    frame = tweet_model.topics_over_time(docs, stamps, nr_bins=8)
    columns = list(frame.columns)
    fig = tweet_model.visualize_topics_over_time(frame, normalize_frequency=True)
    assert list(frame.columns) == columns  # the frame given is not changed
    present = sorted(set(frame.Topic) - {-1})
    assert [t.meta["topic"] for t in fig.data] == present
    for trace in fig.data:
        rows = frame[frame.Topic == trace.meta["topic"]].sort_values("Timestamp")
        expected = rows.Frequency.to_numpy(float)
        np.testing.assert_allclose(trace.y, expected / np.linalg.norm(expected))
        assert len(trace.x) == len(rows) and isinstance(trace, go.Scatter)
    top = tweet_model.visualize_topics_over_time(frame, top_n_topics=2)
    sizes = tweet_model.topic_sizes_
    assert [t.meta["topic"] for t in top.data] == sorted(sorted(topics_of(tweet_model), key=lambda t: -sizes[t])[:2])
    with pytest.raises(InputError, match="topics_over_time.*Timestamp"):
        tweet_model.visualize_topics_over_time(frame.drop(columns=["Timestamp"]))
    with pytest.raises(InputError, match="topics_over_time"):
        tweet_model.visualize_topics_over_time(frame.rename(columns={"Timestamp": "Class"}))
    with pytest.raises(InputError, match=r"topics .*\[500\]"):
        tweet_model.visualize_topics_over_time(frame, topics=[0, 500])


def test_topics_per_class_bars(tweet_model, tweets):
    docs, labels, _, _ = tweets
    frame = tweet_model.topics_per_class(docs, labels)
    fig = tweet_model.visualize_topics_per_class(frame, top_n_topics=3)
    sizes = tweet_model.topic_sizes_
    top3 = sorted(sorted(topics_of(tweet_model), key=lambda t: -sizes[t])[:3])
    assert [t.meta["topic"] for t in fig.data] == top3
    assert [t.visible for t in fig.data] == [True, "legendonly", "legendonly"]
    for trace in fig.data:
        rows = frame[frame.Topic == trace.meta["topic"]]
        assert isinstance(trace, go.Bar) and trace.orientation == "h"
        assert list(trace.y) == [str(c) for c in rows.Class]
        np.testing.assert_allclose(trace.x, rows.Frequency.to_numpy(float))
    with pytest.raises(InputError, match="topics_per_class.*Class"):
        tweet_model.visualize_topics_per_class(frame.drop(columns=["Class"]))
    with pytest.raises(InputError, match="topics_per_class"):
        tweet_model.visualize_topics_per_class(frame.to_dict())


# ------------------------------------------------------------------------------ distributions
def test_distribution_bars_over_min_probability(laid_out, bbc):
    dist, _ = laid_out.approximate_distribution(bbc[0][:3])
    row = dist[0]
    fig = laid_out.visualize_distribution(row, min_probability=0.05)
    (bars,) = fig.data
    keep = np.flatnonzero(row >= 0.05)
    ids = topics_of(laid_out)
    assert list(bars.customdata) == [ids[i] for i in keep]
    np.testing.assert_allclose(bars.x, row[keep])
    assert bars.y[0].startswith(f"<b>Topic {ids[keep[0]]}</b>")
    labelled = custom(laid_out)
    assert list(labelled.visualize_distribution(row, 0.05, custom_labels=True).data[0].y) == [
        f"Label {ids[i]} &lt;i&gt;x&lt;/i&gt;" for i in keep
    ]
    with pytest.raises(InputError, match="probabilities"):
        laid_out.visualize_distribution(dist)
    with pytest.raises(InputError, match="probabilities"):
        laid_out.visualize_distribution(row[:-1])
    with pytest.raises(InputError, match="min_probability"):
        laid_out.visualize_distribution(row, min_probability=1.5)


def test_approximate_distribution_styler(laid_out, bbc):
    from pandas.io.formats.style import Styler

    doc = bbc[0][0][:400]
    _, tokens = laid_out.approximate_distribution(doc, calculate_tokens=True)
    table = tokens[0]
    styler = laid_out.visualize_approximate_distribution(doc, table)
    assert isinstance(styler, Styler)
    frame = styler.data
    assert frame.shape == (int((table.sum(axis=0) != 0).sum()), table.shape[0])
    assert len(set(frame.columns)) == table.shape[0]
    html = styler.to_html()
    assert "background-color: rgb(" in html
    normalised = laid_out.visualize_approximate_distribution(doc, table, normalize=True).data
    np.testing.assert_allclose(normalised.to_numpy().sum(), 1.0)
    with pytest.raises(InputError, match="topic_token_distribution"):
        laid_out.visualize_approximate_distribution(doc, table[:-1])
    with pytest.raises(InputError, match="document"):
        laid_out.visualize_approximate_distribution(["a list"], table)
