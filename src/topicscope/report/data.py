"""The report's data: plain JSON-ready blocks built from a ``TopicState``, its layout and the verbs' tables.

Every block is built from explicit inputs (the state, the stored 2-D layout, the frames of
``hierarchical_topics``, ``topics_over_time`` and ``topics_per_class``, and, only when the user
asks for it, the documents' text), so the builder never touches a ``TopicModel``.

Document positions travel as base64 little-endian ``uint16`` arrays quantised to the layout's
bounding box (1/65,535 of its width: far below a pixel), and each document's topic as the
``uint16`` row of that topic in ``topics``; 100,000 documents take 0.8 MB that way instead of
about 4 MB of JSON numbers, and the page decodes them in milliseconds.
"""

from __future__ import annotations

import base64
import heapq
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..state import TopicState

#: Characters of a document shown in a tooltip or a search hit (whitespace collapsed).
SNIPPET_CHARS = 240
#: Representative documents shown per topic (only with the documents).
REPRESENTATIVE_DOCS = 3
#: Classes drawn in the topics-per-class chart (the most frequent ones).
MAX_CLASSES = 50
_SPACE = re.compile(r"\s+")


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """``text`` with whitespace collapsed, cut to ``limit`` characters (an ellipsis marks a cut)."""
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def topic_label(state: TopicState, topic: int) -> str:
    """The label users see: the custom label when set, else the topic's name."""
    if state.custom_labels and topic in state.custom_labels:
        return str(state.custom_labels[topic])
    return str(state.names.get(topic, str(topic)))


def short_label(label: str, topic: int | None = None, words: int = 3) -> str:
    """A map label: ``"3_game_team_season_cup"`` -> ``"game, team, season"``; other labels cut to 48 characters."""
    prefix = f"{topic}_" if topic is not None else None
    if prefix and label.startswith(prefix):
        parts = [p for p in label[len(prefix) :].split("_") if p]
        if parts:
            return ", ".join(parts[:words])
    return label if len(label) <= 48 else label[:47] + "…"


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()).decode()


def _finite(value: float) -> float | None:
    return round(float(value), 6) if np.isfinite(value) else None


def label_anchors(layout: np.ndarray, doc_topics: np.ndarray, topic_ids: np.ndarray, means: np.ndarray) -> np.ndarray:
    """(k, 2): per topic, the position of its document nearest its mean position (NaN for an empty topic).

    A topic whose documents form two islands has its mean between them, on empty ground; a map
    label sits on the topic's own documents instead.
    """
    out = np.full((len(topic_ids), 2), np.nan)
    if not len(doc_topics):
        return out
    rows = np.searchsorted(topic_ids, doc_topics)
    d2 = ((layout.astype(np.float64) - means[rows]) ** 2).sum(axis=1)
    order = np.lexsort((d2, rows))  # by topic, nearest first
    first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]
    out[rows[first]] = layout[first]
    return out


def topic_records(
    state: TopicState,
    positions: np.ndarray,
    anchors: np.ndarray,
    documents: Sequence[str] | None,
    *,
    with_representative: bool,
) -> list[dict[str, Any]]:
    """One record per topic, in ``state.topic_ids`` order (-1 first when present).

    ``positions`` (k, 2) are the topics' mean positions in the layout (the topic map's bubbles),
    ``anchors`` where their labels go on the document map (``label_anchors``). Representative
    documents are document text: they are included only when ``with_representative`` (the user
    asked for the documents).
    """
    records = []
    for row, (t, size) in enumerate(zip(state.topic_ids, state.sizes)):
        t = int(t)
        label = topic_label(state, t)
        record: dict[str, Any] = {
            "id": t,
            "size": int(size),
            "name": str(state.names.get(t, str(t))),
            "label": label,
            "short": "outliers" if t == -1 else short_label(label, t),
            "words": [[str(w), round(float(s), 5)] for w, s in state.words.get(t, [])],
            "x": _finite(positions[row, 0]),
            "y": _finite(positions[row, 1]),
            "ax": _finite(anchors[row, 0]),
            "ay": _finite(anchors[row, 1]),
        }
        if with_representative:
            record["docs"] = [snippet(d, 320) for d in state.representative_docs.get(t, [])[:REPRESENTATIVE_DOCS]]
        records.append(record)
    return records


def point_block(layout: np.ndarray, doc_topics: np.ndarray, topic_ids: np.ndarray) -> dict[str, Any]:
    """The documents' positions and topic rows, quantised and base64-encoded (see the module notes)."""
    xy = np.asarray(layout, dtype=np.float64)
    lo = xy.min(axis=0)
    span = np.maximum(xy.max(axis=0) - lo, 1e-9)
    q = np.rint((xy - lo) / span * 65535).astype(np.uint16)
    rows = np.searchsorted(topic_ids, doc_topics).astype(np.uint16)
    return {
        "n": len(xy),
        "bounds": [float(lo[0]), float(lo[1]), float(lo[0] + span[0]), float(lo[1] + span[1])],
        "x": _b64(q[:, 0]),
        "y": _b64(q[:, 1]),
        "topic": _b64(rows),
    }


def parse_tree(hierarchy: Any) -> dict[str, tuple[str, str, float, str]]:
    """Parent id -> (left child id, right child id, distance, parent name) of a ``hierarchical_topics`` frame."""
    return {
        str(p): (str(a), str(b), float(d), str(name))
        for p, a, b, d, name in zip(
            hierarchy.Parent_ID, hierarchy.Child_Left_ID, hierarchy.Child_Right_ID, hierarchy.Distance,
            hierarchy.Parent_Name,
        )
    }  # fmt: skip


def _tree_root(tree: Mapping[str, tuple[str, str, float, str]]) -> str:
    children = {c for left, right, _, _ in tree.values() for c in (left, right)}
    roots = [p for p in tree if p not in children]
    return max(roots, key=lambda p: tree[p][2])


def label_levels(records: list[dict[str, Any]], tree: Mapping[str, tuple[str, str, float, str]] | None) -> list[Any]:
    """The map's labels at each zoom level: coarse clusters of topics first, the topics themselves last.

    A level of ``k`` clusters cuts the hierarchy by undoing its ``k - 1`` highest merges (as a
    dendrogram is cut at a height); levels have 4, 8, 16, ... clusters, then every topic. Each
    cluster: [label, x, y, documents, topic rows], placed at the label anchor of its largest topic
    (a cluster's mean position may fall between its topics, where there is no document).
    Outliers (-1) are never labelled.
    """
    row_of = {r["id"]: i for i, r in enumerate(records)}
    topics = [r for r in records if r["id"] != -1 and r["ax"] is not None]

    def cluster(label: str, rows: list[int]) -> list[Any]:
        largest = records[max(rows, key=lambda i: (records[i]["size"], -i))]
        return [label, largest["ax"], largest["ay"], sum(records[i]["size"] for i in rows), rows]

    leaves = [cluster(r["short"], [row_of[r["id"]]]) for r in topics]
    if tree is None or len(topics) < 5:
        return [leaves]
    placed = {str(r["id"]) for r in topics}
    leaf_rows: dict[str, list[int]] = {}

    def rows_under(node: str) -> list[int]:
        if node not in leaf_rows:
            if node in tree:
                left, right, _, _ = tree[node]
                leaf_rows[node] = rows_under(left) + rows_under(right)
            else:
                leaf_rows[node] = [row_of[int(node)]] if node in placed else []
        return leaf_rows[node]

    levels: list[Any] = []
    root = _tree_root(tree)
    heap = [(-tree[root][2], root)]
    current: list[str] = []
    target = 4
    while heap:
        _, node = heapq.heappop(heap)
        left, right, _, _ = tree[node]
        current = [c for c in current if c != node]
        for child in (left, right):
            if child in tree:
                heapq.heappush(heap, (-tree[child][2], child))
            else:
                current.append(child)
        open_nodes = current + [n for _, n in heap]
        if len(open_nodes) >= target and heap:
            level = []
            for node_id in open_nodes:
                rows = rows_under(node_id)
                if not rows:
                    continue
                if node_id in tree:
                    label = ", ".join([w for w in tree[node_id][3].split("_") if w][:3]) or records[rows[0]]["short"]
                else:
                    label = records[rows[0]]["short"]
                level.append(cluster(label, rows))
            levels.append(level)
            target *= 2
    levels.append(leaves)
    return levels


def tree_block(tree: Mapping[str, tuple[str, str, float, str]] | None) -> list[Any] | None:
    """The hierarchy for the dendrogram: [parent id, left id, right id, distance, name] per merge."""
    if tree is None:
        return None
    return [[int(p), int(a), int(b), round(d, 6), name] for p, (a, b, d, name) in tree.items()]


def _bin_label(value: Any) -> str:
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:-9] if text.endswith("T00:00:00") else text


def over_time_block(frame: Any) -> dict[str, Any] | None:
    """``topics_over_time``'s frame as bins and one series per topic: [topic id, counts, words per bin]."""
    if frame is None or not len(frame):
        return None
    bins = sorted(frame.Timestamp.unique().tolist())
    col = {b: i for i, b in enumerate(bins)}
    series: dict[int, tuple[list[int], list[str]]] = {}
    for topic, words, freq, stamp in zip(frame.Topic, frame.Words, frame.Frequency, frame.Timestamp):
        counts, texts = series.setdefault(int(topic), ([0] * len(bins), [""] * len(bins)))
        counts[col[stamp]] = int(freq)
        texts[col[stamp]] = str(words)
    return {
        "bins": [_bin_label(b) for b in bins],
        "series": [[t, counts, texts] for t, (counts, texts) in sorted(series.items())],
    }


def per_class_block(frame: Any) -> dict[str, Any] | None:
    """``topics_per_class``'s frame as classes (most documents first) and [topic, class index, count, words] cells."""
    if frame is None or not len(frame):
        return None
    totals: dict[str, int] = {}
    for cls, freq in zip(frame.Class, frame.Frequency):
        totals[str(cls)] = totals.get(str(cls), 0) + int(freq)
    classes = sorted(totals, key=lambda c: (-totals[c], c))
    shown = classes[:MAX_CLASSES]
    col = {c: i for i, c in enumerate(shown)}
    cells = [
        [int(t), col[str(c)], int(f), str(w)]
        for t, w, f, c in zip(frame.Topic, frame.Words, frame.Frequency, frame.Class)
        if str(c) in col
    ]
    return {"classes": shown, "totals": [totals[c] for c in shown], "hidden": len(classes) - len(shown), "cells": cells}


def describe(component: Any, default: str) -> str:
    """A component's class name (and its main settings), or ``default`` when it is None."""
    if component is None:
        return default
    if isinstance(component, (list, tuple)):
        return " -> ".join(describe(c, default) for c in component)
    if isinstance(component, dict):
        return "; ".join(f"{k}: {describe(v, default)}" for k, v in component.items())
    name = type(component).__name__
    return "none (Identity)" if name == "Identity" else name


def overview_block(
    state: TopicState,
    params: Mapping[str, Any],
    *,
    embedding: Mapping[str, Any],
    reducer: Any,
    clusterer: Any,
    generated: str,
    version: str,
) -> list[list[str]]:
    """[name, value] rows about the model: its size, embedding model and how it was fitted."""
    n_docs = len(state.doc_topics)
    outliers = int(state.sizes[state.topic_ids == -1].sum()) if len(state.sizes) else 0
    n_topics = int((state.topic_ids != -1).sum())
    if embedding.get("kind") == "custom":
        emb = f"custom object ({embedding.get('class', '?')})"
    else:
        emb = f"{embedding.get('name', 'not saved')} ({embedding.get('kind', 'none')})"
    if state.merge_mappings is not None:
        how = f"merged from {len(state.merge_mappings)} models (merge_models)"
    elif state.online is not None:
        how = f"online: {state.online.batches} batches of partial_fit"
    elif state.zeroshot is not None:
        how = "zero-shot topics, then clustering of the other documents"
    elif state.labels_given:
        how = "topics given as labels (manual or supervised)"
    else:
        how = "fit: embeddings -> reduction -> clustering -> c-TF-IDF"
    ngram = params.get("n_gram_range", (1, 1))
    if reducer is None and params.get("umap_model") is None:
        reduction = "UMAP (default with a clusterer of yours)" if params.get("hdbscan_model") is not None else "none"
    else:
        reduction = describe(reducer if reducer is not None else params.get("umap_model"), "none")
    rows = [
        ["Documents", f"{n_docs:,}"],
        ["Topics", f"{n_topics:,} (outlier topic -1 not counted)"],
        ["Outliers", f"{outliers:,} documents ({outliers / max(n_docs, 1):.1%})"],
        ["Embedding model", emb],
        ["Built by", how],
        ["Reduction", reduction],
        [
            "Clustering",
            describe(
                clusterer if clusterer is not None else params.get("hdbscan_model"), "default (graph communities)"
            ),
        ],
        ["Representation", describe(params.get("representation_model"), "c-TF-IDF words")],
        [
            "Settings",
            f"min_topic_size={params.get('min_topic_size')}, nr_topics={params.get('nr_topics')}, "
            f"top_n_words={params.get('top_n_words')}, n_gram_range={tuple(ngram)}, "
            f"random_state={params.get('random_state')}",
        ],
        ["Fitted at", "not recorded by the model"],
        ["Report generated", f"{generated} by topicscope {version}"],
    ]
    return rows
