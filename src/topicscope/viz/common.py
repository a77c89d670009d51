"""What every plot shares: the plotly import, topic selection, topic labels, the title style, and the
checks of the arguments every ``visualize_*`` takes (sizes, hover documents, the sampling seed).

plotly is imported inside :func:`plotly_modules` only, so importing ``topicscope.viz`` costs
nothing; a missing plotly raises ``MissingDependencyError`` naming ``topicscope[viz]``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_int
from ..exceptions import InputError, missing_extra
from ..state import TopicState

if TYPE_CHECKING:
    from ..verbs.view import ModelView

# BERTopic's colour cycle for lines and bars (Okabe-Ito, colour-blind safe).
COLORS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#0072B2", "#CC79A7")
GREY = "#CFD8DC"


def plotly_modules() -> Any:
    """``plotly.graph_objects``, or ``MissingDependencyError`` naming the ``viz`` extra."""
    try:
        import plotly.graph_objects as go
    except ImportError as exc:
        raise missing_extra("plotly", "viz", exc) from exc
    return go


def escape(text: Any) -> str:
    """User text (documents, labels, words) made safe for plotly's HTML-like text."""
    return html.escape(str(text), quote=False)


def snippet(text: str, limit: int) -> str:
    """``text`` with its white space collapsed, cut to ``limit`` characters (an ellipsis marks a cut), escaped."""
    flat = " ".join(str(text)[: 4 * limit].split())
    return escape(flat if len(flat) <= limit else flat[: limit - 1] + "…")


# ------------------------------------------------------------------------------ topic selection
def model_topics(state: TopicState, *, outliers: bool = False) -> list[int]:
    """The model's topic ids in order (without -1 unless ``outliers``)."""
    return [int(t) for t in state.topic_ids if outliers or int(t) != -1]


def check_topic_list(state: TopicState, topics: Any, name: str = "topics", *, outliers: bool = True) -> list[int]:
    """``topics`` as a list of the model's topic ids (``InputError`` naming ``name`` and the unknown ids)."""
    if isinstance(topics, (str, bytes)) or not isinstance(topics, (Sequence, np.ndarray, set, frozenset, range)):
        raise InputError(f"{name} must be a list of topic ids; got {type(topics).__name__}")
    ids = [check_int(t, f"{name} (topic ids)") for t in topics]
    known = set(model_topics(state, outliers=outliers))
    unknown = sorted({t for t in ids if t not in known})
    if unknown:
        raise InputError(f"{name} holds topic ids the model does not have: {unknown}; its topics are {sorted(known)}")
    return list(dict.fromkeys(ids))


def select_topics(
    state: TopicState, topics: Any, top_n_topics: Any, *, default_top: int | None = None, outliers: bool = True
) -> list[int]:
    """BERTopic's selection: ``topics`` as given, else the ``top_n_topics`` largest, else all.

    -1 is left out unless named in ``topics`` (and ``outliers`` allows it). The order is the
    given one for ``topics``, topic order otherwise.
    """
    if topics is not None:
        return check_topic_list(state, topics, outliers=outliers)
    ids = model_topics(state)
    n = top_n_topics if top_n_topics is not None else default_top
    if n is None:
        return ids
    n = check_int(n, "top_n_topics", minimum=1)
    sizes = state.size_map()
    rank = {t: i for i, t in enumerate(ids)}
    return sorted(sorted(ids, key=lambda t: (-sizes[t], rank[t]))[:n])


def check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_size(value: Any, name: str) -> int:
    return check_int(value, name, minimum=10)


def check_figure_size(width: Any, height: Any) -> tuple[int, int]:
    """``width`` and ``height`` in pixels (integers >= 10)."""
    return check_size(width, "width"), check_size(height, "height")


def hover_texts(view: ModelView, docs: Any, hide: Any = False) -> list[str] | None:
    """The training documents for hover text (checked), or None when hidden or not given."""
    if check_flag(hide, "hide_document_hover") or docs is None:
        return None
    return view.training_docs(docs)


def plot_seed(view: ModelView) -> int:
    """The seed of document sampling: the model's ``random_state``, else 0."""
    seed = view.random_state
    return int(seed) if isinstance(seed, (int, np.integer)) else 0


# ------------------------------------------------------------------------------------ labels
def _words(state: TopicState, topic: int, aspect: str | None = None) -> list[str]:
    source = state.words if aspect is None else state.aspects[aspect]
    return [escape(w) for w, _ in source.get(topic, [])]


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) < limit else label[: limit - 3] + "..."


def check_custom_labels(state: TopicState, custom_labels: Any) -> bool | str:
    """``custom_labels``: True/False (the labels of ``set_topic_labels``) or an aspect's name."""
    if isinstance(custom_labels, str):
        if custom_labels not in state.aspects:
            raise InputError(
                f"custom_labels must be True, False or the name of an aspect {sorted(state.aspects)}; "
                f"got {custom_labels!r}"
            )
        return custom_labels
    return check_flag(custom_labels, "custom_labels")


def topic_labels(state: TopicState, topics: Sequence[int], custom_labels: Any, style: str) -> list[str]:
    """One label per topic, as BERTopic labels that plot (``style``), or the custom/aspect label.

    Styles: ``"words"`` (five words joined by " | ": the topic map), ``"id3"`` (id and three
    words: document maps), ``"id3short"`` (id and three words, 30 characters: heatmap, hierarchy),
    ``"name"`` (the topic's Name, 40 characters: over time, per class), ``"bold5"`` (bold "Topic n"
    and five words, 40 characters: distribution), ``"rank"`` (bold "Topic n" and all words, 50
    characters: term rank), ``"plain"`` ("Topic n": bar chart titles).
    """
    mode = check_custom_labels(state, custom_labels)
    labels = []
    for t in topics:
        t = int(t)
        if isinstance(mode, str):
            labels.append(_short("_".join([str(t), *_words(state, t, mode)[:3]])))
        elif mode and state.custom_labels is not None:
            labels.append(escape(state.custom_labels.get(t, state.names.get(t, str(t)))))
        elif style == "words":
            labels.append(" | ".join(_words(state, t)[:5]))
        elif style == "id3":
            labels.append("_".join([str(t), *_words(state, t)[:3]]))
        elif style == "id3short":
            labels.append(_short("_".join([str(t), *_words(state, t)[:3]])))
        elif style == "name":
            name = escape(state.names.get(t, str(t)))
            labels.append(name[:40] + "..." if len(name) > 40 else name)
        elif style == "bold5":
            label = f"<b>Topic {t}</b>: " + "_".join(_words(state, t)[:5])
            labels.append(label[:40] + "..." if len(label) > 40 else label)
        elif style == "rank":
            labels.append((f"<b>Topic {t}</b>:" + "_".join(_words(state, t)))[:50])
        elif style == "plain":
            labels.append(f"Topic {t}")
        else:  # pragma: no cover - a programming error
            raise ValueError(f"unknown label style {style!r}")
    return labels


# ------------------------------------------------------------------------------------ styling
def title_layout(title: str, *, x: float = 0.5, y: float | None = None) -> dict[str, Any]:
    """BERTopic's title: centred, 22 px, black."""
    spec: dict[str, Any] = {
        "text": str(title),
        "x": x,
        "xanchor": "center",
        "yanchor": "top",
        "font": {"size": 22, "color": "Black"},
    }
    if y is not None:
        spec["y"] = y
    return spec


HOVERLABEL = {"bgcolor": "white", "font_size": 16, "font_family": "Rockwell"}


def check_frame(frame: Any, name: str, columns: Sequence[str]) -> Any:
    """``frame`` checked to be a DataFrame with ``columns`` (``InputError`` naming ``name``)."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{name} must be a DataFrame with columns {list(columns)}; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{name} must have the columns {list(columns)} (the output of {name}()); "
            f"missing {missing}, got {list(frame.columns)}"
        )
    return frame
