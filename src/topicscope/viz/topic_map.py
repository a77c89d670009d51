"""Topics against topics: the intertopic map (``visualize_topics``) and the similarity heatmap
(``visualize_heatmap``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_int
from ..exceptions import InputError
from ..state import TopicState
from .common import (
    GREY,
    HOVERLABEL,
    check_figure_size,
    check_flag,
    plotly_modules,
    select_topics,
    title_layout,
    topic_labels,
)

if TYPE_CHECKING:
    from ..verbs.view import ModelView


def padded_range(values: np.ndarray, share: float = 0.15) -> tuple[float, float]:
    """The span of ``values`` widened by ``share`` of it at each end (room for bubbles and labels)."""
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    pad = max((hi - lo) * share, 1e-3)
    return lo - pad, hi + pad


def add_cross(fig: Any, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
    """BERTopic's grid: a plus through the middle, with the axes named D1 and D2."""
    mx, my = sum(x_range) / 2, sum(y_range) / 2
    fig.add_shape(type="line", x0=mx, y0=y_range[0], x1=mx, y1=y_range[1], line={"color": GREY, "width": 2})
    fig.add_shape(type="line", x0=x_range[0], y0=my, x1=x_range[1], y1=my, line={"color": "#9E9E9E", "width": 2})
    fig.add_annotation(x=x_range[0], y=my, text="D1", showarrow=False, yshift=10)
    fig.add_annotation(y=y_range[1], x=mx, text="D2", showarrow=False, xshift=10)


def visualize_topics(
    view: ModelView,
    topics: list[int] | None = None,
    top_n_topics: int | None = None,
    use_ctfidf: bool = False,
    custom_labels: bool | str = False,
    title: str = "<b>Intertopic Distance Map</b>",
    width: int = 650,
    height: int = 650,
) -> Any:
    """BERTopic's ``visualize_topics``: each topic at its mean position in the stored document layout
    (computed once), or with ``use_ctfidf=True`` by classical MDS of its c-TF-IDF cosine distances."""
    from .._logging import logger
    from .layout import layout_is_valid, plot_layout, topic_positions, vector_positions

    state = view.state()
    width, height = check_figure_size(width, height)
    selected = sorted(select_topics(state, topics, top_n_topics))
    rows = [state.row(t) for t in selected]
    if check_flag(use_ctfidf, "use_ctfidf"):
        positions = vector_positions(state.ctfidf[rows])
    elif layout_is_valid(state) or len(state.index_embeddings) == len(state.doc_topics):
        positions = topic_positions(plot_layout(view), state.doc_topics, selected)
    else:
        logger.info("no document layout and no training embeddings: topics are placed by their embeddings")
        positions = vector_positions(state.topic_embeddings[rows])
    return topics_figure(
        state, positions, selected, custom_labels=custom_labels, title=title, width=width, height=height
    )


def topics_figure(
    state: TopicState,
    positions: np.ndarray,
    topics: list[int],
    *,
    custom_labels: Any = False,
    title: str,
    width: int,
    height: int,
) -> Any:
    """Topics as bubbles sized by their document counts at ``positions`` (one row per topic).

    One ``Scatter`` trace, one point per topic (``customdata``: topic, words, size); a slider
    highlights one topic at a time, as in BERTopic.
    """
    go = plotly_modules()
    if len(topics) == 0:
        raise InputError("topics must name at least one topic to draw; got none")
    sizes = state.size_map()
    counts = np.array([sizes[t] for t in topics], dtype=np.float64)
    words = topic_labels(state, topics, custom_labels, "words")
    xy = np.asarray(positions, dtype=np.float64)
    # plotly's area sizing, as plotly express does it: the largest bubble is 40 px across.
    sizeref = 2.0 * counts.max() / (40.0**2) if counts.max() > 0 else 1.0
    fig = go.Figure(
        go.Scatter(
            x=xy[:, 0],
            y=xy[:, 1],
            mode="markers",
            marker={
                "size": counts,
                "sizemode": "area",
                "sizeref": sizeref,
                "sizemin": 4,
                "color": GREY,
                "line": {"width": 2, "color": "DarkSlateGrey"},
            },
            customdata=np.array([[t, w, int(c)] for t, w, c in zip(topics, words, counts)], dtype=object),
            hovertemplate="<b>Topic %{customdata[0]}</b><br>%{customdata[1]}<br>Size: %{customdata[2]}<extra></extra>",
            name="topics",
        )
    )
    steps = []
    for t in topics:
        colors = ["red" if other == t else GREY for other in topics]
        steps.append({"label": f"Topic {t}", "method": "update", "args": [{"marker.color": [colors]}]})
    x_range, y_range = padded_range(xy[:, 0]), padded_range(xy[:, 1])
    fig.update_layout(
        template="simple_white",
        title=title_layout(title, y=0.95),
        width=width,
        height=height,
        hoverlabel=HOVERLABEL,
        xaxis={"visible": False, "range": list(x_range)},
        yaxis={"visible": False, "range": list(y_range)},
        sliders=[{"active": 0, "pad": {"t": 50}, "steps": steps}],
    )
    add_cross(fig, x_range, y_range)
    return fig


def visualize_heatmap(
    view: ModelView,
    topics: list[int] | None = None,
    top_n_topics: int | None = None,
    n_clusters: int | None = None,
    use_ctfidf: bool = False,
    custom_labels: bool | str = False,
    title: str = "<b>Similarity Matrix</b>",
    width: int = 800,
    height: int = 800,
) -> Any:
    """BERTopic's ``visualize_heatmap``: cosine similarity of the topics' embeddings (or c-TF-IDF rows)."""
    state = view.state()
    width, height = check_figure_size(width, height)
    selected = select_topics(state, topics, top_n_topics, outliers=False)
    rows = [state.row(t) for t in selected]
    vectors = state.ctfidf[rows] if check_flag(use_ctfidf, "use_ctfidf") else state.topic_embeddings[rows]
    clusters = check_int(n_clusters, "n_clusters", minimum=1, allow_none=True)
    return heatmap_figure(
        state,
        vectors,
        selected,
        n_clusters=clusters,
        custom_labels=custom_labels,
        title=title,
        width=width,
        height=height,
    )


def heatmap_figure(
    state: TopicState,
    vectors: Any,
    topics: list[int],
    *,
    n_clusters: int | None,
    custom_labels: Any = False,
    title: str,
    width: int,
    height: int,
) -> Any:
    """Cosine similarity of the topics' ``vectors`` (one row per topic of ``topics``) as a heatmap.

    With ``n_clusters`` the topics are grouped by a Ward clustering of their vectors (clusters in
    order of first appearance, topics in their given order within a cluster), as BERTopic does.
    Axis positions are integers with the labels as tick text, so two equal labels stay two rows.
    """
    import scipy.sparse as sp
    from sklearn.metrics.pairwise import cosine_similarity

    go = plotly_modules()
    X = vectors.toarray() if sp.issparse(vectors) else np.asarray(vectors, dtype=np.float64)
    order = list(range(len(topics)))
    if n_clusters is not None:
        from scipy.cluster.hierarchy import fcluster, linkage

        if n_clusters >= len(topics):
            raise InputError(
                f"n_clusters must be lower than the number of topics shown ({len(topics)}); got {n_clusters}"
            )
        clusters = fcluster(linkage(cosine_similarity(X), "ward"), t=n_clusters, criterion="maxclust")
        first_seen = {c: i for i, c in reversed(list(enumerate(clusters)))}
        order = sorted(order, key=lambda i: (first_seen[clusters[i]], i))
    shown = [topics[i] for i in order]
    sim = cosine_similarity(X[order])
    labels = topic_labels(state, shown, custom_labels, "id3short")
    ticks = list(range(len(shown)))
    fig = go.Figure(
        go.Heatmap(
            z=sim,
            x=ticks,
            y=ticks,
            customdata=np.array([[[a, b] for a in labels] for b in labels], dtype=object),
            hovertemplate="x: %{customdata[0]}<br>y: %{customdata[1]}<br>Similarity Score: %{z:.3f}<extra></extra>",
            colorscale="GnBu",
            colorbar={"title": {"text": "Similarity Score"}},
        )
    )
    fig.update_layout(
        title=title_layout(title, x=0.55, y=0.95),
        width=width,
        height=height,
        hoverlabel=HOVERLABEL,
        xaxis={"tickmode": "array", "tickvals": ticks, "ticktext": labels, "constrain": "domain"},
        yaxis={"tickmode": "array", "tickvals": ticks, "ticktext": labels, "autorange": "reversed", "scaleanchor": "x"},
        showlegend=True,
        legend_title_text="Trend",
        plot_bgcolor="white",
        meta={"topics": [int(t) for t in shown]},
    )
    return fig
