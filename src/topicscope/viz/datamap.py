"""``visualize_document_datamap``: the stored layout drawn by DataMapPlot (the ``datamap`` extra).

As in BERTopic the result is DataMapPlot's: a matplotlib ``Figure`` (static), or its interactive
HTML plot object with ``interactive=True``. What differs: the layout is the model's stored one,
and the static plot uses installed fonts (``use_system_fonts=True``, where DataMapPlot would fetch
fonts from Google; pass ``datamap_kwds={"use_system_fonts": False}`` for those).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import InputError, missing_extra
from ..state import TopicState
from .common import check_custom_labels, check_figure_size, check_flag, check_topic_list, hover_texts, model_topics
from .layout import plot_layout

if TYPE_CHECKING:
    from ..verbs.view import ModelView

NOISE = "Unlabelled"


def datamap_labels(state: TopicState, topics: list[int] | None, custom_labels: Any, topic_prefix: bool) -> np.ndarray:
    """Each training document's label text ("Unlabelled" for -1 and topics left out), as BERTopic names them."""
    mode = check_custom_labels(state, custom_labels)
    names = {}
    for t in model_topics(state):
        if isinstance(mode, str):
            label = " ".join([str(t), *[w for w, _ in state.aspects[mode].get(t, [])[:3]]])
            names[t] = label if len(label) < 30 else label[:27] + "..."
        elif mode and state.custom_labels is not None:
            names[t] = state.custom_labels.get(t, state.names.get(t, str(t)))
        else:
            words = " ".join(w for w, _ in state.words.get(t, [])[:3])
            names[t] = f"Topic-{t}: {words}" if topic_prefix else words
    if topics is not None:
        names = {t: (name if t in topics else NOISE) for t, name in names.items()}
    return np.array([names.get(int(t), NOISE) for t in state.doc_topics], dtype=object)


def visualize_document_datamap(
    view: ModelView,
    docs: list[str] | None = None,
    topics: list[int] | None = None,
    embeddings: np.ndarray | None = None,
    reduced_embeddings: np.ndarray | None = None,
    custom_labels: bool | str = False,
    title: str = "Documents and Topics",
    sub_title: str | None = None,
    width: int = 1200,
    height: int = 750,
    interactive: bool = False,
    enable_search: bool = False,
    topic_prefix: bool = False,
    datamap_kwds: dict[str, Any] | None = None,
    int_datamap_kwds: dict[str, Any] | None = None,
) -> Any:
    """BERTopic's ``visualize_document_datamap``: the stored layout drawn by DataMapPlot."""
    state = view.state()
    width, height = check_figure_size(width, height)
    selected = None if topics is None else check_topic_list(state, topics)
    texts = hover_texts(view, docs)
    coords = plot_layout(view, embeddings, reduced_embeddings)
    return datamap_figure(
        state,
        coords,
        texts,
        topics=selected,
        custom_labels=custom_labels,
        title=title,
        sub_title=sub_title,
        width=width,
        height=height,
        interactive=check_flag(interactive, "interactive"),
        enable_search=check_flag(enable_search, "enable_search"),
        topic_prefix=check_flag(topic_prefix, "topic_prefix"),
        datamap_kwds=datamap_kwds or {},
        int_datamap_kwds=int_datamap_kwds or {},
    )


def datamap_figure(
    state: TopicState,
    layout: np.ndarray,
    texts: list[str] | None,
    *,
    topics: list[int] | None,
    custom_labels: Any,
    title: str,
    sub_title: str | None,
    width: int,
    height: int,
    interactive: bool,
    enable_search: bool,
    topic_prefix: bool,
    datamap_kwds: Mapping[str, Any],
    int_datamap_kwds: Mapping[str, Any],
) -> Any:
    """DataMapPlot's static figure (or interactive plot) of ``layout`` labelled by topic."""
    import importlib

    try:
        datamapplot = importlib.import_module("datamapplot")
    except ImportError as exc:
        raise missing_extra("datamapplot", "datamap", exc) from exc
    for name, kwds in (("datamap_kwds", datamap_kwds), ("int_datamap_kwds", int_datamap_kwds)):
        if not isinstance(kwds, Mapping):
            raise InputError(f"{name} must be a dict of keyword arguments for DataMapPlot; got {type(kwds).__name__}")
    labels = datamap_labels(state, topics, custom_labels, topic_prefix)
    if interactive:
        return datamapplot.create_interactive_plot(
            layout,
            labels,
            hover_text=texts,
            enable_search=enable_search,
            width=width,
            height=height,
            **dict(int_datamap_kwds),
        )
    figure, _ = datamapplot.create_plot(
        layout,
        labels,
        figsize=(width / 100, height / 100),
        dpi=100,
        title=title,
        sub_title=sub_title,
        **{"use_system_fonts": True, **datamap_kwds},
    )
    return figure
