"""Topic words: the per-topic bar charts (``visualize_barchart``) and the term score decline
(``visualize_term_rank``)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_int
from ..state import TopicState
from .common import (
    HOVERLABEL,
    check_figure_size,
    check_flag,
    check_topic_list,
    escape,
    plotly_modules,
    select_topics,
    title_layout,
    topic_labels,
)

if TYPE_CHECKING:
    from ..verbs.view import ModelView

BAR_COLORS = ("#D55E00", "#0072B2", "#CC79A7", "#E69F00", "#56B4E9", "#009E73", "#F0E442")
COLUMNS = 4


def visualize_barchart(
    view: ModelView,
    topics: list[int] | None = None,
    top_n_topics: int = 8,
    n_words: int = 5,
    custom_labels: bool | str = False,
    title: str = "Topic Word Scores",
    width: int = 250,
    height: int = 250,
    autoscale: bool = False,
) -> Any:
    """BERTopic's ``visualize_barchart``: the best ``n_words`` words of the selected topics."""
    state = view.state()
    width, height = check_figure_size(width, height)
    selected = select_topics(state, topics, top_n_topics, default_top=6)
    return barchart_figure(
        state,
        selected,
        n_words=check_int(n_words, "n_words", minimum=1),
        custom_labels=custom_labels,
        title=title,
        width=width,
        height=height,
        autoscale=check_flag(autoscale, "autoscale"),
    )


def barchart_figure(
    state: TopicState,
    topics: list[int],
    *,
    n_words: int,
    custom_labels: Any,
    title: str,
    width: int,
    height: int,
    autoscale: bool,
) -> Any:
    """One horizontal bar chart per topic (its ``n_words`` best words, best on top), four per row."""
    go = plotly_modules()
    from plotly.subplots import make_subplots

    rows = max(1, int(np.ceil(len(topics) / COLUMNS)))
    titles = topic_labels(state, topics, custom_labels, "plain")
    fig = make_subplots(
        rows=rows,
        cols=COLUMNS,
        shared_xaxes=False,
        horizontal_spacing=0.1,
        vertical_spacing=0.4 / rows if rows > 1 else 0,
        subplot_titles=titles or None,
    )
    colors = itertools.cycle(BAR_COLORS)
    for i, t in enumerate(topics):
        pairs = state.words.get(int(t), [])[:n_words][::-1]
        words = [escape(w) + "  " for w, _ in pairs]
        fig.add_trace(
            go.Bar(x=[float(s) for _, s in pairs], y=words, orientation="h", marker_color=next(colors), name=titles[i]),
            row=i // COLUMNS + 1,
            col=i % COLUMNS + 1,
        )
        if autoscale and len(words) > 9:
            tall = 250 + (len(words) - 12) * 11 if len(words) > 12 else height
            fig.update_yaxes(
                tickfont={"size": max((tall - 140) // len(words), 6)}, row=i // COLUMNS + 1, col=i % COLUMNS + 1
            )
            height = max(height, tall)
    fig.update_layout(
        template="plotly_white",
        showlegend=False,
        title=title_layout(title),
        width=width * 4,
        height=height * rows if rows > 1 else height * 1.3,
        hoverlabel=HOVERLABEL,
        meta={"topics": [int(t) for t in topics]},
    )
    fig.update_xaxes(showgrid=True)
    fig.update_yaxes(showgrid=True)
    return fig


def visualize_term_rank(
    view: ModelView,
    topics: list[int] | None = None,
    log_scale: bool = False,
    custom_labels: bool | str = False,
    title: str = "<b>Term score decline per Topic</b>",
    width: int = 800,
    height: int = 500,
) -> Any:
    """BERTopic's ``visualize_term_rank``: each topic's word scores by rank, ``topics`` in red."""
    state = view.state()
    width, height = check_figure_size(width, height)
    highlighted = [] if topics is None else check_topic_list(state, topics)
    return term_rank_figure(
        state,
        highlighted,
        log_scale=check_flag(log_scale, "log_scale"),
        custom_labels=custom_labels,
        title=title,
        width=width,
        height=height,
    )


def term_rank_figure(
    state: TopicState,
    highlighted: list[int],
    *,
    log_scale: bool,
    custom_labels: Any,
    title: str,
    width: int,
    height: int,
) -> Any:
    """One line per topic with words (-1 included): its word scores by rank (1 = best word).

    Topics in ``highlighted`` are drawn red and opaque, the others black and faint. With
    ``log_scale`` scores are log10, a zero score taking the smallest positive score of all topics.
    """
    go = plotly_modules()
    topics = [int(t) for t in state.topic_ids if state.words.get(int(t))]
    labels = topic_labels(state, topics, custom_labels, "rank")
    scores = [np.array([s for _, s in state.words[t]], dtype=np.float64) for t in topics]
    positive = np.concatenate([s[s > 0] for s in scores]) if scores else np.zeros(0)
    floor = float(positive.min()) if len(positive) else 1e-12
    lines = []
    longest = 0
    for t, label, y in zip(topics, labels, scores):
        longest = max(longest, len(y))
        if log_scale:
            y = np.log10(np.where(y > 0, y, floor))
        mark = t in highlighted
        lines.append(
            go.Scatter(
                x=np.arange(1, len(y) + 1),
                y=y,
                name="",
                hovertext=label,
                hoverinfo="text",
                mode="lines",
                opacity=1.0 if mark else 0.1,
                line={"color": "red" if mark else "black", "width": 1.5},
                meta={"topic": t},
            )
        )
    fig = go.Figure(data=lines)
    fig.update_xaxes(range=[0, longest], tick0=1, dtick=2, title_text="Term Rank")
    fig.update_yaxes(title_text="c-TF-IDF score (log scale)" if log_scale else "c-TF-IDF score")
    fig.update_layout(
        showlegend=False,
        template="plotly_white",
        title=title_layout(title, y=0.9),
        width=width,
        height=height,
        hoverlabel=HOVERLABEL,
        meta={"topics": topics},
    )
    return fig
