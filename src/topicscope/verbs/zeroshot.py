"""Zero-shot topics: documents close enough to a user-named topic take it.

Each topic name is embedded by the same model as the documents; a document whose cosine
similarity with a name is at least ``zeroshot_min_similarity`` takes the most similar name.
The other documents are clustered as usual. ``suggest_threshold`` helps pick a threshold for a
model whose similarity scale is unfamiliar (they differ a lot between embedding models).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._logging import logger
from .._validation import check_float
from ..exceptions import InputError


def check_zeroshot_params(topic_list: Any, min_similarity: Any) -> list[str] | None:
    """Validate ``zeroshot_topic_list`` and ``zeroshot_min_similarity``."""
    if topic_list is None:
        return None
    if isinstance(topic_list, str) or not isinstance(topic_list, Sequence):
        raise InputError(f"zeroshot_topic_list must be a list of topic names; got {type(topic_list).__name__}")
    names = list(topic_list)
    if not names:
        raise InputError("zeroshot_topic_list must name at least one topic; got an empty list (use None for none)")
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"zeroshot_topic_list must hold non-empty strings; item {i} is {name!r}")
    seen: set[str] = set()
    dupes = [n for n in names if n.strip().lower() in seen or seen.add(n.strip().lower())]
    if dupes:
        raise InputError(f"zeroshot_topic_list must not repeat a name; got duplicates {dupes}")
    check_float(min_similarity, "zeroshot_min_similarity", low=-1.0, high=1.0)
    return names


def suggest_threshold(best_similarities: np.ndarray) -> float:
    """Otsu's split of the best name similarities: the threshold separating the two modes best."""
    values = np.sort(np.asarray(best_similarities, dtype=np.float64))
    if len(values) < 2 or values[0] == values[-1]:
        return float(values[-1]) if len(values) else 0.0
    hist, edges = np.histogram(values, bins=min(100, max(10, len(values) // 10)))
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centers) / np.maximum(w0, 1)
    m1 = ((hist * centers).sum() - np.cumsum(hist * centers)) / np.maximum(w1, 1)
    between = w0 * w1 * (m0 - m1) ** 2
    return float(edges[int(np.argmax(between[:-1])) + 1])


@dataclass
class ZeroShotResult:
    assigned: np.ndarray  # index into the names, -1 when no name is close enough
    name_embeddings: np.ndarray
    report: dict[str, Any] = field(default_factory=dict)


def zeroshot_assign(
    embeddings: np.ndarray,
    names: list[str],
    embed: Callable[[list[str]], np.ndarray],
    min_similarity: float,
    *,
    verbose: bool = False,
) -> ZeroShotResult:
    """Match documents to names; report per-name counts, the similarity spread and a suggestion."""
    name_emb = embed(names)
    sims = embeddings @ name_emb.T
    best = np.argmax(sims, axis=1)
    best_sim = sims[np.arange(len(sims)), best]
    assigned = np.where(best_sim >= min_similarity, best, -1)
    quantiles = {f"p{q}": float(np.percentile(best_sim, q)) for q in (50, 90, 99)}
    report = {
        "min_similarity": float(min_similarity),
        "matched": {name: int((assigned == i).sum()) for i, name in enumerate(names)},
        "best_similarity": {"min": float(best_sim.min()), **quantiles, "max": float(best_sim.max())},
        "suggested_min_similarity": round(suggest_threshold(best_sim), 3),
    }
    level = 20 if verbose else 10
    logger.log(level, "zero-shot: documents matched per name %s", report["matched"])
    logger.log(level, "zero-shot: best name similarity per document %s", report["best_similarity"])
    logger.log(level, "zero-shot: suggested zeroshot_min_similarity %.3f", report["suggested_min_similarity"])
    if not (assigned >= 0).any():
        logger.warning(
            "zero-shot: no document reached zeroshot_min_similarity=%.3f (best similarity seen %.3f; "
            "suggested threshold for this model and corpus %.3f); fitting an ordinary model",
            min_similarity,
            best_sim.max(),
            report["suggested_min_similarity"],
        )
    return ZeroShotResult(assigned=assigned, name_embeddings=name_emb, report=report)


def zeroshot_transform(
    embeddings: np.ndarray, name_embeddings: np.ndarray, name_topics: list[int | None], min_similarity: float
) -> np.ndarray:
    """Topic ids for documents clearing the threshold (-2 where no zero-shot topic applies)."""
    out = np.full(len(embeddings), -2, dtype=np.int64)
    if not len(name_embeddings):
        return out
    sims = embeddings @ name_embeddings.T
    best = np.argmax(sims, axis=1)
    ok = sims[np.arange(len(sims)), best] >= min_similarity
    for i in np.flatnonzero(ok):
        topic = name_topics[best[i]]
        if topic is not None:
            out[i] = topic
    return out
