"""Documents on the 2-D map: ``visualize_documents`` and ``visualize_hierarchical_documents``.

Both draw the stored layout (``viz.layout``) with WebGL (``Scattergl``) and never compute it.
Sampling is per topic (``layout.sample_documents``), so every topic keeps at least one point.
Which documents were drawn is on the figure (BERTopic #1830): each point's ``customdata`` is its
document's index in the training documents, and ``fig.layout.meta["sampled_indices"]`` lists
them all, sorted.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_int
from ..exceptions import InputError
from ..state import TopicState
from .common import (
    GREY,
    check_figure_size,
    check_flag,
    check_topic_list,
    escape,
    hover_texts,
    model_topics,
    plot_seed,
    plotly_modules,
    snippet,
    title_layout,
    topic_labels,
)
from .hierarchy import Tree, hierarchy_tree
from .layout import check_sample, plot_layout, sample_documents, topic_positions
from .topic_map import add_cross, padded_range

if TYPE_CHECKING:
    from ..verbs.view import ModelView

#: Characters of a document shown when hovering its point.
HOVER_CHARS = 150
MARKER = {"size": 5, "opacity": 0.5}


def _hover(texts: list[str] | None, indices: np.ndarray) -> np.ndarray | None:
    if texts is None:
        return None
    return np.array([snippet(texts[i], HOVER_CHARS) for i in indices], dtype=object)


def _groups(keys: np.ndarray) -> dict[int, np.ndarray]:
    """Positions of each distinct value of ``keys`` (one sort, no per-value scan)."""
    if not len(keys):
        return {}
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.r_[True, keys[order][1:] != keys[order][:-1], True])
    return {int(keys[order[lo]]): order[lo:hi] for lo, hi in itertools.pairwise(bounds)}


def _points(
    go: Any, xy: np.ndarray, indices: np.ndarray, hover: np.ndarray | None, where: np.ndarray, **kw: Any
) -> Any:
    """One ``Scattergl`` trace of the sampled documents at positions ``where`` of ``indices``."""
    text = None if hover is None else hover[where]
    return go.Scattergl(
        x=xy[indices[where], 0],
        y=xy[indices[where], 1],
        mode="markers",
        customdata=indices[where],
        hovertext=text,
        hoverinfo="text" if text is not None else "name",
        **kw,
    )


def _style(fig: Any, xy: np.ndarray, title: str, width: int, height: int, meta: dict[str, Any]) -> None:
    x_range, y_range = padded_range(xy[:, 0], 0.05), padded_range(xy[:, 1], 0.05)
    add_cross(fig, x_range, y_range)
    fig.update_layout(
        template="simple_white",
        title=title_layout(title),
        width=width,
        height=height,
        xaxis={"visible": False, "range": list(x_range)},
        yaxis={"visible": False, "range": list(y_range)},
        meta=meta,
    )


def visualize_documents(
    view: ModelView,
    docs: list[str] | None,
    topics: list[int] | None = None,
    embeddings: np.ndarray | None = None,
    reduced_embeddings: np.ndarray | None = None,
    sample: float | None = None,
    hide_annotations: bool = False,
    hide_document_hover: bool = False,
    custom_labels: bool | str = False,
    title: str = "<b>Documents and Topics</b>",
    width: int = 1200,
    height: int = 750,
) -> Any:
    """BERTopic's ``visualize_documents``: the training documents on the stored layout (``layout.plot_layout``)."""
    state = view.state()
    width, height = check_figure_size(width, height)
    selected = None if topics is None else check_topic_list(state, topics)
    texts = hover_texts(view, docs, hide_document_hover)
    coords = plot_layout(view, embeddings, reduced_embeddings)
    return documents_figure(
        state,
        coords,
        texts,
        topics=selected,
        sample=check_sample(sample),
        seed=plot_seed(view),
        hide_annotations=check_flag(hide_annotations, "hide_annotations"),
        custom_labels=custom_labels,
        title=title,
        width=width,
        height=height,
    )


def documents_figure(
    state: TopicState,
    layout: np.ndarray,
    texts: list[str] | None,
    *,
    topics: list[int] | None,
    sample: float | None,
    seed: int,
    hide_annotations: bool,
    custom_labels: Any,
    title: str,
    width: int,
    height: int,
) -> Any:
    """The training documents at ``layout`` (one row each), coloured by topic.

    Traces: "other" (grey: outliers and topics not in ``topics``), one per selected topic other
    than -1 (in topic order, named by its label), then unless ``hide_annotations`` one text trace
    with each selected topic's label at its mean position. ``texts`` (None: no document hover)
    are the training documents.
    """
    go = plotly_modules()
    doc_topics = state.doc_topics
    indices = sample_documents(doc_topics, sample, seed)
    drawn = doc_topics[indices]
    selected = [t for t in (model_topics(state) if topics is None else topics) if t != -1]
    hover = _hover(texts, indices)
    chosen = np.isin(drawn, selected)
    fig = go.Figure()
    fig.add_trace(
        _points(
            go,
            layout,
            indices,
            hover,
            np.flatnonzero(~chosen),
            name="other",
            showlegend=False,
            marker={"color": GREY, **MARKER},
        )
    )
    names = dict(zip(selected, topic_labels(state, selected, custom_labels, "id3")))
    groups = _groups(np.where(chosen, drawn, -1))
    for t in selected:
        fig.add_trace(
            _points(go, layout, indices, hover, groups.get(t, np.zeros(0, np.int64)), name=names[t], marker=MARKER)
        )
    if not hide_annotations and selected:
        centres = topic_positions(layout, doc_topics, selected)
        keep = ~np.isnan(centres[:, 0])
        fig.add_trace(
            go.Scattergl(
                x=centres[keep, 0],
                y=centres[keep, 1],
                mode="text",
                text=[names[t] for t, k in zip(selected, keep) if k],
                textfont={"size": 12},
                hoverinfo="skip",
                showlegend=False,
                name="labels",
            )
        )
    _style(
        fig, layout[indices] if len(indices) else layout, title, width, height, {"sampled_indices": indices.tolist()}
    )
    return fig


def level_thresholds(distances: np.ndarray, nr_levels: int, level_scale: str) -> list[float]:
    """BERTopic's levels: join distances chosen evenly (``linear``) or log-spaced (``log``) along the
    joins, from the finest level (the first join) up."""
    d = np.sort(np.asarray(distances, dtype=np.float64))[::-1]  # largest first, as the table
    m = len(d)
    if level_scale in ("log", "logarithmic"):
        picks = np.round(np.logspace(0, np.log10(max(m - 1, 1)), nr_levels)).astype(int)[::-1]
        values = [float(d[min(i, m - 1)]) for i in picks]
    else:
        values = [float(d[chunk[-1]]) for chunk in np.array_split(np.arange(m), min(nr_levels, m)) if len(chunk)]
    return sorted(set(values))


def _level_map(tree: Tree, threshold: float) -> dict[int, int]:
    """Each leaf topic -> its highest ancestor joined at or below ``threshold`` (itself if none)."""
    parent_of = {child: p for p, a, b in tree.joins for child in (a, b)}
    out = {}
    for leaf in tree.leaves:
        node = leaf
        while node in parent_of and tree.distance[parent_of[node]] <= threshold:
            node = parent_of[node]
        out[leaf] = node
    return out


def visualize_hierarchical_documents(
    view: ModelView,
    docs: list[str] | None,
    hierarchical_topics: Any,
    topics: list[int] | None = None,
    embeddings: np.ndarray | None = None,
    reduced_embeddings: np.ndarray | None = None,
    sample: float | int | None = None,
    hide_annotations: bool = False,
    hide_document_hover: bool = True,
    nr_levels: int = 10,
    level_scale: str = "linear",
    custom_labels: bool | str = False,
    title: str = "<b>Hierarchical Documents and Topics</b>",
    width: int = 1200,
    height: int = 750,
) -> Any:
    """BERTopic's ``visualize_hierarchical_documents``: the documents coloured by ``hierarchical_topics``'
    clusters, ``nr_levels`` levels on a slider."""
    state = view.state()
    width, height = check_figure_size(width, height)
    tree = hierarchy_tree(state, hierarchical_topics)
    selected = None if topics is None else check_topic_list(state, topics)
    texts = hover_texts(view, docs, hide_document_hover)
    coords = plot_layout(view, embeddings, reduced_embeddings)
    return hierarchical_documents_figure(
        state,
        coords,
        texts,
        tree,
        topics=selected,
        sample=check_sample(sample),
        seed=plot_seed(view),
        hide_annotations=check_flag(hide_annotations, "hide_annotations"),
        nr_levels=check_int(nr_levels, "nr_levels", minimum=1),
        level_scale=level_scale,
        custom_labels=custom_labels,
        title=title,
        width=width,
        height=height,
    )


def hierarchical_documents_figure(
    state: TopicState,
    layout: np.ndarray,
    texts: list[str] | None,
    tree: Tree,
    *,
    topics: list[int] | None,
    sample: float | None,
    seed: int,
    hide_annotations: bool,
    nr_levels: int,
    level_scale: str,
    custom_labels: Any,
    title: str,
    width: int,
    height: int,
) -> Any:
    """The documents coloured by the hierarchy's clusters at ``nr_levels`` levels, a slider between them.

    Each level holds: one "other" trace (outliers and documents of topics not in ``topics``), one
    trace per cluster (a topic, or a join named ``"<id>_<Parent_Name>"``), and unless
    ``hide_annotations`` one text trace of the cluster labels; only the first level is visible.
    """
    go = plotly_modules()
    if level_scale not in ("log", "logarithmic", "lin", "linear"):
        raise InputError(f"level_scale must be 'log' or 'linear'; got {level_scale!r}")
    doc_topics = state.doc_topics
    indices = sample_documents(doc_topics, sample, seed)
    drawn = doc_topics[indices]
    hover = _hover(texts, indices)
    selected = [t for t in (model_topics(state) if topics is None else topics) if t != -1]
    chosen = np.isin(drawn, selected)
    leaf_names = dict(zip(tree.leaves, topic_labels(state, tree.leaves, custom_labels, "id3")))
    centres = topic_positions(layout, doc_topics, tree.leaves)
    sizes = state.size_map()
    leaf_ids = np.array(tree.leaves, dtype=np.int64)  # sorted
    thresholds = level_thresholds(np.array(list(tree.distance.values())), nr_levels, level_scale)
    fig = go.Figure()
    level_traces: list[range] = []
    for level, threshold in enumerate(thresholds):
        first = len(fig.data)
        visible = level == 0
        mapping = _level_map(tree, threshold)
        fig.add_trace(
            _points(
                go,
                layout,
                indices,
                hover,
                np.flatnonzero(~chosen),
                name="other",
                showlegend=False,
                visible=visible,
                marker={"color": GREY, **MARKER},
            )
        )
        top = np.array([mapping[leaf] for leaf in tree.leaves], dtype=np.int64)
        at = np.clip(np.searchsorted(leaf_ids, drawn), 0, len(leaf_ids) - 1)
        cluster = np.where(leaf_ids[at] == drawn, top[at], -1)
        groups = _groups(np.where(chosen, cluster, -1))
        label_x, label_y, label_text = [], [], []
        for node in sorted({mapping[t] for t in selected}):
            if node in leaf_names:
                name, plot_text = leaf_names[node][:40], leaf_names[node][:40]
            else:
                full = f"{node}_{escape(tree.name[node])}"
                name, plot_text = full[:40], "_".join(part[:20] for part in full.split("_")[:3])[:40]
            where = groups.get(node, np.zeros(0, np.int64))
            fig.add_trace(_points(go, layout, indices, hover, where, name=name, visible=visible, marker=MARKER))
            leaves = [leaf for leaf in tree.leaves if mapping[leaf] == node and leaf in selected]
            rows = [tree.leaves.index(leaf) for leaf in leaves if sizes.get(leaf, 0) > 0]
            if rows:
                weights = np.array([sizes[tree.leaves[r]] for r in rows], dtype=np.float64)
                centre = (centres[rows] * weights[:, None]).sum(axis=0) / weights.sum()
                label_x.append(float(centre[0]))
                label_y.append(float(centre[1]))
                label_text.append(plot_text)
        if not hide_annotations:
            fig.add_trace(
                go.Scattergl(
                    x=label_x,
                    y=label_y,
                    text=label_text,
                    mode="text",
                    hoverinfo="skip",
                    showlegend=False,
                    visible=visible,
                    name="labels",
                )
            )
        level_traces.append(range(first, len(fig.data)))
    steps = []
    for level, span in enumerate(level_traces):
        shown = [i in span for i in range(len(fig.data))]
        steps.append({"method": "update", "label": str(level + 1), "args": [{"visible": shown}]})
    fig.update_layout(sliders=[{"currentvalue": {"prefix": "Level: "}, "pad": {"t": 20}, "steps": steps}])
    meta = {"sampled_indices": indices.tolist(), "level_thresholds": thresholds}
    _style(fig, layout[indices] if len(indices) else layout, title, width, height, meta)
    return fig
