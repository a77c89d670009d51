"""One document's topics: ``visualize_distribution`` (bars) and ``visualize_approximate_distribution``
(a pandas Styler of its tokens against topics)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import InputError, missing_extra
from ..state import TopicState
from .common import (
    HOVERLABEL,
    check_figure_size,
    check_flag,
    escape,
    model_topics,
    plotly_modules,
    title_layout,
    topic_labels,
)

if TYPE_CHECKING:
    from ..verbs.view import ModelView

# Light to dark blue (the ends of matplotlib's "Blues", which BERTopic's Styler uses; no matplotlib here).
BLUE_LOW = np.array([247, 251, 255], dtype=np.float64)
BLUE_HIGH = np.array([8, 48, 107], dtype=np.float64)


def check_distribution(state: TopicState, probabilities: Any, min_probability: Any) -> tuple[np.ndarray, float]:
    """One document's probabilities over the topics other than -1, and ``min_probability``."""
    k = len(model_topics(state))
    try:
        probs = np.asarray(probabilities, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"probabilities must be an array of {k} numbers; got {type(probabilities).__name__}") from None
    if probs.ndim == 2 and probs.shape[0] == 1:
        probs = probs[0]
    if probs.ndim != 1:
        raise InputError(
            f"probabilities must be one document's row of {k} topic probabilities; got shape {probs.shape} "
            "(pass probs[i] from fit_transform with calculate_probabilities=True, or a row of approximate_distribution)"
        )
    if len(probs) != k:
        raise InputError(
            f"probabilities must have one value per topic other than -1 ({k}); got {len(probs)} "
            "(a model fitted with calculate_probabilities=False returns one value per document: refit with "
            "calculate_probabilities=True or use approximate_distribution)"
        )
    if not np.isfinite(probs).all():
        raise InputError("probabilities must hold finite numbers (found NaN or infinity)")
    if isinstance(min_probability, bool) or not isinstance(min_probability, (int, float, np.integer, np.floating)):
        raise InputError(f"min_probability must be a number; got {min_probability!r}")
    threshold = float(min_probability)
    if not (probs >= threshold).any():
        raise InputError(
            f"min_probability={threshold} is above every probability given (largest {probs.max():.4f}): "
            "lower min_probability"
        )
    return probs, threshold


def visualize_distribution(
    view: ModelView,
    probabilities: np.ndarray,
    min_probability: float = 0.015,
    custom_labels: bool | str = False,
    title: str = "<b>Topic Probability Distribution</b>",
    width: int = 800,
    height: int = 600,
) -> Any:
    """BERTopic's ``visualize_distribution``: one document's topic probabilities as bars."""
    state = view.state()
    width, height = check_figure_size(width, height)
    probs, threshold = check_distribution(state, probabilities, min_probability)
    return distribution_figure(
        state, probs, threshold, custom_labels=custom_labels, title=title, width=width, height=height
    )


def distribution_figure(
    state: TopicState,
    probabilities: np.ndarray,
    min_probability: float,
    *,
    custom_labels: Any,
    title: str,
    width: int,
    height: int,
) -> Any:
    """Horizontal bars of the topics whose probability is at least ``min_probability`` (in topic order)."""
    go = plotly_modules()
    topics = model_topics(state)
    shown = np.flatnonzero(probabilities >= min_probability)
    ids = [topics[i] for i in shown]
    labels = topic_labels(state, ids, custom_labels, "bold5")
    fig = go.Figure(
        go.Bar(
            x=probabilities[shown],
            y=labels,
            marker={"color": "#C8D2D7", "line": {"color": "#6E8484", "width": 1}},
            orientation="h",
            customdata=ids,
        )
    )
    fig.update_layout(
        xaxis_title="Probability",
        title=title_layout(title, y=0.95),
        template="simple_white",
        width=width,
        height=height,
        hoverlabel=HOVERLABEL,
        meta={"topics": ids},
    )
    return fig


def _blue(value: float, lo: float, hi: float) -> str:
    share = 0.0 if hi <= lo else (value - lo) / (hi - lo)
    r, g, b = np.rint(BLUE_LOW + (BLUE_HIGH - BLUE_LOW) * share).astype(int)
    text = "white" if share > 0.5 else "black"
    return f"background-color: rgb({r}, {g}, {b}); color: {text}"


def visualize_approximate_distribution(
    view: ModelView, document: str, topic_token_distribution: np.ndarray, normalize: bool = False
) -> Any:
    """BERTopic's ``visualize_approximate_distribution``: ``document``'s tokens (cut as
    ``approximate_distribution`` cuts them) against topics, from its ``calculate_tokens=True`` array."""
    from ..verbs.distribution import WindowText

    state = view.state()
    if not isinstance(document, str):
        raise InputError(f"document must be one string; got {type(document).__name__}")
    tokens = WindowText.from_vectorizer(view.vectorizer(), " ").tokenize(document)
    if not tokens:
        raise InputError("document must contain at least one token; got none")
    return token_distribution_styler(
        state, tokens, topic_token_distribution, normalize=check_flag(normalize, "normalize")
    )


def token_distribution_styler(
    state: TopicState, tokens: list[str], topic_token_distribution: Any, *, normalize: bool
) -> Any:
    """A Styler: one row per topic with a non-zero sum (its Name), one column per token.

    Columns are the tokens in order, made unique as BERTopic does (token ``i`` followed by ``i``
    spaces). Cells show 3 decimals on a blue gradient over the whole table; zeros are blank white.
    """
    import pandas as pd

    topics = model_topics(state)
    k, n = len(topics), len(tokens)
    try:
        dist = np.asarray(topic_token_distribution, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"topic_token_distribution must be a (tokens, topics) array; got {type(topic_token_distribution).__name__}"
        ) from None
    if dist.shape != (n, k):
        raise InputError(
            f"topic_token_distribution must be the document's ({n} tokens, {k} topics) array from "
            f"approximate_distribution(document, calculate_tokens=True)[1][0]; got shape {dist.shape}"
        )
    if normalize:
        total = dist.sum()
        dist = dist / total if total else dist
    frame = pd.DataFrame(
        dist.T,
        index=[escape(state.names.get(t, str(t))) for t in topics],
        columns=[f"{tok}{' ' * i}" for i, tok in enumerate(tokens)],
    )
    frame = frame.loc[frame.sum(axis=1) != 0]
    values = frame.to_numpy()
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)

    def colours(block: Any) -> Any:
        cells = [
            ["background-color: white; color: white" if v == 0 else _blue(v, lo, hi) for v in row]
            for row in block.to_numpy()
        ]
        return pd.DataFrame(cells, index=block.index, columns=block.columns)

    try:
        styler = frame.style  # pandas imports jinja2 here
    except ImportError as exc:
        raise missing_extra("jinja2", "viz", exc) from exc
    return styler.format("{:.3f}").apply(colours, axis=None)
