"""Topics across time and classes: ``visualize_topics_over_time`` and ``visualize_topics_per_class``.

They draw the DataFrames of ``topics_over_time`` (Topic, Words, Frequency, Timestamp) and
``topics_per_class`` (Topic, Words, Frequency, Class). The frame given is never changed
(BERTopic adds a Name column to it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..state import TopicState
from .common import (
    COLORS,
    HOVERLABEL,
    check_figure_size,
    check_flag,
    check_frame,
    escape,
    plotly_modules,
    select_topics,
    title_layout,
    topic_labels,
)

if TYPE_CHECKING:
    from ..verbs.view import ModelView

OVER_TIME_COLUMNS = ("Topic", "Words", "Frequency", "Timestamp")
PER_CLASS_COLUMNS = ("Topic", "Words", "Frequency", "Class")


def _normalised(values: np.ndarray) -> np.ndarray:
    """Values divided by their L2 norm (BERTopic's ``normalize_frequency``)."""
    norm = float(np.linalg.norm(values))
    return values / norm if norm > 0 else values


def _rows_by_topic(frame: Any, name: str, columns: tuple[str, ...]) -> Any:
    """The frame's rows grouped by topic id (an ``InputError`` naming ``name`` for bad topic ids)."""
    from ..exceptions import InputError

    check_frame(frame, name, columns)
    try:
        ids = frame["Topic"].to_numpy().astype(np.int64)
    except (TypeError, ValueError):
        raise InputError(f"{name} column Topic must hold integer topic ids; got {frame['Topic'].dtype}") from None
    try:
        freq = frame["Frequency"].to_numpy().astype(np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} column Frequency must hold numbers; got {frame['Frequency'].dtype}") from None
    return ids, freq


def visualize_topics_over_time(
    view: ModelView,
    topics_over_time: Any,
    top_n_topics: int | None = None,
    topics: list[int] | None = None,
    normalize_frequency: bool = False,
    custom_labels: bool | str = False,
    title: str = "<b>Topics over Time</b>",
    width: int = 1250,
    height: int = 450,
) -> Any:
    """BERTopic's ``visualize_topics_over_time``: one line per topic of the ``topics_over_time()`` frame."""
    selected = select_topics(view.state(), topics, top_n_topics)
    return _trend(
        over_time_figure, view, topics_over_time, selected, normalize_frequency, custom_labels, title, width, height
    )


def visualize_topics_per_class(
    view: ModelView,
    topics_per_class: Any,
    top_n_topics: int = 10,
    topics: list[int] | None = None,
    normalize_frequency: bool = False,
    custom_labels: bool | str = False,
    title: str = "<b>Topics per Class</b>",
    width: int = 1250,
    height: int = 900,
) -> Any:
    """BERTopic's ``visualize_topics_per_class``: bars per class for each topic of the ``topics_per_class()`` frame."""
    selected = select_topics(view.state(), topics, top_n_topics)
    return _trend(
        per_class_figure, view, topics_per_class, selected, normalize_frequency, custom_labels, title, width, height
    )


def _trend(
    draw: Callable[..., Any],
    view: ModelView,
    frame: Any,
    selected: list[int],
    normalize_frequency: Any,
    custom_labels: Any,
    title: str,
    width: Any,
    height: Any,
) -> Any:
    width, height = check_figure_size(width, height)
    return draw(
        view.state(),
        frame,
        selected,
        normalize_frequency=check_flag(normalize_frequency, "normalize_frequency"),
        custom_labels=custom_labels,
        title=title,
        width=width,
        height=height,
    )


def over_time_figure(
    state: TopicState,
    frame: Any,
    topics: list[int],
    *,
    normalize_frequency: bool,
    custom_labels: Any,
    title: str,
    width: int,
    height: int,
) -> Any:
    """One line per topic of ``topics`` present in ``frame``, over its timestamps (sorted)."""
    go = plotly_modules()
    ids, freq = _rows_by_topic(frame, "topics_over_time", OVER_TIME_COLUMNS)
    names = dict(zip(topics, topic_labels(state, topics, custom_labels, "name")))
    stamps = frame["Timestamp"].to_numpy()
    words = frame["Words"].to_numpy()
    fig = go.Figure()
    drawn = 0
    for t in sorted(topics):
        rows = np.flatnonzero(ids == t)
        if not len(rows):
            continue
        rows = rows[np.argsort(stamps[rows], kind="stable")]
        y = _normalised(freq[rows]) if normalize_frequency else freq[rows]
        fig.add_trace(
            go.Scatter(
                x=stamps[rows],
                y=y,
                mode="lines",
                marker_color=COLORS[drawn % len(COLORS)],
                hoverinfo="text",
                name=names[t],
                hovertext=[f"<b>Topic {t}</b><br>Words: {escape(w)}" for w in words[rows]],
                meta={"topic": int(t)},
            )
        )
        drawn += 1
    fig.update_xaxes(showgrid=True)
    fig.update_yaxes(showgrid=True)
    fig.update_layout(
        yaxis_title="Normalized Frequency" if normalize_frequency else "Frequency",
        title=title_layout(title, x=0.40, y=0.95),
        template="simple_white",
        width=width,
        height=height,
        hoverlabel=HOVERLABEL,
        legend={"title": {"text": "<b>Global Topic Representation"}},
    )
    return fig


def per_class_figure(
    state: TopicState,
    frame: Any,
    topics: list[int],
    *,
    normalize_frequency: bool,
    custom_labels: Any,
    title: str,
    width: int,
    height: int,
) -> Any:
    """One horizontal bar trace per topic of ``topics`` present in ``frame`` (bars: its classes).

    As in BERTopic, the first topic is shown and the others start hidden in the legend.
    """
    go = plotly_modules()
    ids, freq = _rows_by_topic(frame, "topics_per_class", PER_CLASS_COLUMNS)
    names = dict(zip(topics, topic_labels(state, topics, custom_labels, "name")))
    classes = frame["Class"].to_numpy()
    words = frame["Words"].to_numpy()
    fig = go.Figure()
    for t in topics:
        rows = np.flatnonzero(ids == t)
        if not len(rows):
            continue
        x = _normalised(freq[rows]) if normalize_frequency else freq[rows]
        fig.add_trace(
            go.Bar(
                y=[escape(c) for c in classes[rows]],
                x=x,
                visible=True if not len(fig.data) else "legendonly",
                marker_color=COLORS[len(fig.data) % len(COLORS)],
                hoverinfo="text",
                name=names[t],
                orientation="h",
                hovertext=[f"<b>Topic {t}</b><br>Words: {escape(w)}" for w in words[rows]],
                meta={"topic": int(t)},
            )
        )
    fig.update_xaxes(showgrid=True)
    fig.update_yaxes(showgrid=True)
    fig.update_layout(
        xaxis_title="Normalized Frequency" if normalize_frequency else "Frequency",
        yaxis_title="Class",
        title=title_layout(title, x=0.40, y=0.95),
        template="simple_white",
        width=width,
        height=height,
        hoverlabel=HOVERLABEL,
        legend={"title": {"text": "<b>Global Topic Representation"}},
    )
    return fig
