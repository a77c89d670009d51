"""The topic hierarchy as a dendrogram (``visualize_hierarchy``), drawn from ``hierarchical_topics``' table.

BERTopic draws its dendrogram from a second linkage it computes inside the plot, and names the
joins by matching topic sets against the table; here the table is the tree (``Tree``), so the
drawing and the names cannot disagree. A selection of topics (``topics``, ``top_n_topics``) prunes
the tree to those leaves, keeping each join's distance and name.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_float
from ..exceptions import InputError
from ..state import TopicState
from .common import (
    COLORS,
    HOVERLABEL,
    check_figure_size,
    check_flag,
    check_frame,
    escape,
    model_topics,
    plotly_modules,
    select_topics,
    title_layout,
    topic_labels,
)

if TYPE_CHECKING:
    from ..verbs.view import ModelView

HIERARCHY_COLUMNS = ("Parent_ID", "Parent_Name", "Topics", "Child_Left_ID", "Child_Right_ID", "Distance")
ABOVE_THRESHOLD = "#607D8B"


@dataclass
class Tree:
    """A binary tree over topics: leaves are topic ids, joins are ``(parent, left, right)`` node ids.

    ``joins`` are in creation order (children before parents); ``distance`` and ``name`` are per join.
    """

    leaves: list[int]
    joins: list[tuple[int, int, int]]
    distance: dict[int, float] = field(default_factory=dict)
    name: dict[int, str] = field(default_factory=dict)

    @property
    def root(self) -> int:
        return self.joins[-1][0] if self.joins else self.leaves[0]

    def children(self) -> dict[int, tuple[int, int]]:
        return {p: (a, b) for p, a, b in self.joins}

    def leaf_order(self) -> list[int]:
        """Leaves from the root's left branch to its right one (the dendrogram's order)."""
        kids = self.children()
        order: list[int] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node in kids:
                stack.extend(reversed(kids[node]))
            else:
                order.append(node)
        return order

    def members(self) -> dict[int, list[int]]:
        """Each node's leaves."""
        out: dict[int, list[int]] = {leaf: [leaf] for leaf in self.leaves}
        for p, a, b in self.joins:
            out[p] = out[a] + out[b]
        return out

    def pruned(self, keep: list[int]) -> Tree:
        """The tree over the leaves ``keep`` only: a join that loses one side becomes its other side."""
        wanted = set(keep)
        stand_in: dict[int, int | None] = {leaf: (leaf if leaf in wanted else None) for leaf in self.leaves}
        joins = []
        for p, a, b in self.joins:
            left, right = stand_in[a], stand_in[b]
            if left is not None and right is not None:
                joins.append((p, left, right))
                stand_in[p] = p
            else:
                stand_in[p] = left if left is not None else right
        return Tree([leaf for leaf in self.leaves if leaf in wanted], joins, dict(self.distance), dict(self.name))


def _as_int(value: Any, column: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise InputError(
            f"hierarchical_topics column {column} must hold topic ids; got {value!r} "
            "(pass the DataFrame returned by hierarchical_topics())"
        ) from None


def parse_hierarchy(state: TopicState, frame: Any) -> Tree:
    """The tree of a ``hierarchical_topics`` DataFrame, checked against the model's topics."""
    check_frame(frame, "hierarchical_topics", HIERARCHY_COLUMNS)
    rows = []
    for parent, name, left, right, dist in zip(
        frame.Parent_ID, frame.Parent_Name, frame.Child_Left_ID, frame.Child_Right_ID, frame.Distance
    ):
        rows.append(
            (
                _as_int(parent, "Parent_ID"),
                _as_int(left, "Child_Left_ID"),
                _as_int(right, "Child_Right_ID"),
                float(dist),
                str(name),
            )
        )
    rows.sort(key=lambda r: r[0])
    parents = {r[0] for r in rows}
    children = [c for r in rows for c in r[1:3]]
    leaves = sorted(c for c in children if c not in parents)
    topics = model_topics(state)
    if leaves != topics or len(rows) != len(topics) - 1 or len(set(children)) != len(children):
        raise InputError(
            f"hierarchical_topics does not describe this model's topics: its leaves are {leaves[:20]} "
            f"({len(leaves)} leaves, {len(rows)} joins); the model's topics other than -1 are {topics[:20]} "
            f"({len(topics)}). Compute it again with hierarchical_topics() after changing the topics"
        )
    known = set(leaves)
    joins = []
    for parent, left, right, _, _ in rows:
        if left not in known or right not in known:
            raise InputError(
                f"hierarchical_topics joins node {left if left not in known else right} before creating it "
                f"(Parent_ID {parent}): pass the DataFrame returned by hierarchical_topics()"
            )
        known.add(parent)
        joins.append((parent, left, right))
    return Tree(
        leaves=leaves,
        joins=joins,
        distance={r[0]: r[3] for r in rows},
        name={r[0]: r[4] for r in rows},
    )


def visualize_hierarchy(
    view: ModelView,
    orientation: str = "left",
    topics: list[int] | None = None,
    top_n_topics: int | None = None,
    use_ctfidf: bool = True,
    custom_labels: bool | str = False,
    title: str = "<b>Hierarchical Clustering</b>",
    width: int = 1000,
    height: int = 600,
    hierarchical_topics: Any = None,
    linkage_function: Callable[[Any], np.ndarray] | None = None,
    distance_function: Callable[[Any], Any] | None = None,
    color_threshold: float = 1,
) -> Any:
    """BERTopic's ``visualize_hierarchy``: the dendrogram of ``hierarchical_topics`` (computed when not
    given, by ``verbs.hierarchy.hierarchy_table``); a selection of topics prunes the tree."""
    from ..verbs.hierarchy import hierarchy_table

    state = view.state()
    width, height = check_figure_size(width, height)
    if hierarchical_topics is None and len(model_topics(state)) >= 2:
        hierarchical_topics = hierarchy_table(
            state,
            view.ctfidf(),
            use_ctfidf=check_flag(use_ctfidf, "use_ctfidf"),
            linkage_function=linkage_function,
            distance_function=distance_function,
        )
    tree = hierarchy_tree(state, hierarchical_topics)
    selected = select_topics(state, topics, top_n_topics, outliers=False)
    return hierarchy_figure(
        state,
        tree,
        selected,
        orientation=orientation,
        custom_labels=custom_labels,
        color_threshold=check_float(color_threshold, "color_threshold", low=0.0),
        title=title,
        width=width,
        height=height,
    )


def hierarchy_tree(state: TopicState, hierarchical_topics: Any) -> Tree:
    """``hierarchical_topics`` (the DataFrame of ``hierarchical_topics()``) as the ``Tree`` of ``state``'s topics."""
    n = len(model_topics(state))
    if n < 2:
        raise InputError(
            f"a topic hierarchy needs at least 2 topics other than -1 and this model has {n}: "
            "hierarchical_topics cannot be drawn (fit with a smaller min_topic_size, or more documents)"
        )
    if hierarchical_topics is None:
        raise InputError("hierarchical_topics must be the DataFrame of topic_model.hierarchical_topics(docs)")
    return parse_hierarchy(state, hierarchical_topics)


def hierarchy_figure(
    state: TopicState,
    tree: Tree,
    topics: list[int],
    *,
    orientation: str,
    custom_labels: Any,
    color_threshold: float,
    title: str,
    width: int,
    height: int,
) -> Any:
    """The dendrogram of ``tree`` pruned to ``topics``: one line trace per join, then one marker trace
    at the joins whose hover names them (``Parent_Name``, topics, distance)."""
    go = plotly_modules()
    if orientation not in ("left", "bottom"):
        raise InputError(f"orientation must be 'left' or 'bottom'; got {orientation!r}")
    if len(topics) < 2:
        raise InputError(f"topics must select at least 2 topics to draw a hierarchy; got {topics}")
    tree = tree.pruned(topics)
    order = tree.leaf_order()
    labels = dict(zip(order, topic_labels(state, order, custom_labels, "id3short")))
    pos: dict[int, float] = {leaf: 10.0 * i + 5.0 for i, leaf in enumerate(order)}
    height_of: dict[int, float] = {leaf: 0.0 for leaf in order}
    members = tree.members()
    # Colour: a join at or below the threshold takes the colour of the highest such join above it.
    group: dict[int, int] = {}
    colour_of: dict[int, str] = {}
    for p, a, b in reversed(tree.joins):
        if tree.distance[p] <= color_threshold:
            group[p] = group.get(p, p)
            for child in (a, b):
                group[child] = group[p]
    palette = itertools.cycle(COLORS)
    lines, apex_x, apex_y, apex_text = [], [], [], []
    for p, a, b in tree.joins:
        pos[p] = (pos[a] + pos[b]) / 2
        h = height_of[p] = tree.distance[p]
        if p in group and group[p] not in colour_of:
            colour_of[group[p]] = next(palette)
        colour = colour_of[group[p]] if p in group else ABOVE_THRESHOLD
        along = [pos[a], pos[a], pos[b], pos[b]]
        up = [height_of[a], h, h, height_of[b]]
        x, y = (up, along) if orientation == "left" else (along, up)
        lines.append(
            go.Scatter(x=x, y=y, mode="lines", line={"color": colour, "width": 1.5}, hoverinfo="skip", showlegend=False)
        )
        apex_x.append(h if orientation == "left" else pos[p])
        apex_y.append(pos[p] if orientation == "left" else h)
        apex_text.append(
            f"<b>{escape(tree.name[p])}</b><br>Topics: {sorted(members[p])}<br>Distance: {tree.distance[p]:.3f}"
        )
    fig = go.Figure(lines)
    fig.add_trace(
        go.Scatter(
            x=apex_x,
            y=apex_y,
            mode="markers",
            marker={"color": "black", "size": 6},
            hovertext=apex_text,
            hoverinfo="text",
            showlegend=False,
            name="joins",
        )
    )
    ticks = {"tickmode": "array", "tickvals": [pos[leaf] for leaf in order], "ticktext": [labels[x] for x in order]}
    fig.update_layout(
        plot_bgcolor="#ECEFF1",
        template="plotly_white",
        title=title_layout(title),
        hoverlabel=HOVERLABEL,
        showlegend=False,
        meta={"leaves": [int(t) for t in order]},
    )
    span = [0.0, 10.0 * len(order)]
    if orientation == "left":
        fig.update_layout(
            width=width,
            height=200 + 15 * len(order),
            yaxis={**ticks, "range": span, "showgrid": False, "zeroline": False},
            xaxis={"title": {"text": "Distance"}, "zeroline": False},
        )
    else:
        fig.update_layout(
            width=200 + 15 * len(order),
            height=height,
            xaxis={**ticks, "range": span, "showgrid": False, "zeroline": False},
            yaxis={"title": {"text": "Distance"}, "zeroline": False},
        )
    return fig
