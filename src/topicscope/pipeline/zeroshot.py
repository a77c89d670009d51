"""Zero-shot topics: documents close enough to a user-named topic take it.

Each topic name is embedded by the same model as the documents; a document whose cosine
similarity with a name is at least ``zeroshot_min_similarity`` takes the most similar name.
The other documents are clustered as usual. ``zeroshot_report`` (``TopicModel.zeroshot_report_``)
and ``suggest_threshold`` help pick a threshold for a model whose similarity scale is unfamiliar
(they differ a lot between embedding models: see docs/zeroshot.md).
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
    dupes = []
    for name in names:
        key = name.strip().lower()
        if key in seen:
            dupes.append(name)
        seen.add(key)
    if dupes:
        raise InputError(f"zeroshot_topic_list must not repeat a name; got duplicates {dupes}")
    check_float(min_similarity, "zeroshot_min_similarity", low=-1.0, high=1.0)
    return names


SUGGEST_Z = 3.0


def name_similarities(embeddings: np.ndarray, name_embeddings: np.ndarray) -> np.ndarray:
    """Cosine similarities (documents, names) at the precision of the transform index.

    Documents are rounded to float16 as the neighbour index stores them and the products are
    taken in float64, so fit and transform decide the same way for a document on the threshold.
    """
    docs = np.asarray(embeddings, dtype=np.float32).astype(np.float16).astype(np.float64)
    names = np.asarray(name_embeddings, dtype=np.float64)
    if docs.shape[1] != names.shape[1]:
        raise InputError(
            f"zero-shot topic names were embedded with {names.shape[1]} dimensions but the documents have "
            f"{docs.shape[1]}: pass as embedding_model the model that computed the document embeddings"
        )
    return docs @ names.T


def suggest_threshold(similarities: np.ndarray, z: float = SUGGEST_Z) -> float:
    """A threshold for an unfamiliar embedding model: where a similarity stands out from the corpus.

    For each name, the similarities of all documents with it are mostly unrelated pairs; a
    document ``z`` standard deviations above that name's mean is an outlier of the bulk. The
    suggestion is the median over names of ``mean + z * std``. Measured with all-MiniLM-L6-v2 on
    20newsgroups (docs/zeroshot.md) it gives ~0.29, where zero-shot precision is ~0.8.
    """
    sims = np.asarray(similarities, dtype=np.float64)
    if sims.ndim == 1:
        sims = sims[:, None]
    if not sims.size:
        return 0.0
    per_name = sims.mean(axis=0) + z * sims.std(axis=0)
    return float(np.clip(np.median(per_name), -1.0, 1.0))


@dataclass
class ZeroShotResult:
    assigned: np.ndarray  # index into the names, -1 when no name is close enough
    name_embeddings: np.ndarray
    report: dict[str, Any] = field(default_factory=dict)


def zeroshot_report(sims: np.ndarray, names: list[str], min_similarity: float) -> dict[str, Any]:
    """JSON-safe summary to choose a threshold: matched documents per name, similarity spread, suggestion."""
    best = np.argmax(sims, axis=1)
    best_sim = sims[np.arange(len(sims)), best]
    assigned = np.where(best_sim >= min_similarity, best, -1)
    suggested = round(suggest_threshold(sims), 3)
    quantiles = {f"p{q}": round(float(np.percentile(best_sim, q)), 4) for q in (50, 90, 95, 99)}
    per_name = {
        name: {
            "matched": int((assigned == i).sum()),
            "matched_at_suggested": int(((best == i) & (best_sim >= suggested)).sum()),
            "mean": round(float(sims[:, i].mean()), 4),
            "std": round(float(sims[:, i].std()), 4),
            "max": round(float(sims[:, i].max()), 4),
        }
        for i, name in enumerate(names)
    }
    return {
        "min_similarity": float(min_similarity),
        "n_documents": len(sims),
        "matched": {name: per_name[name]["matched"] for name in names},
        "unmatched": int((assigned < 0).sum()),
        "best_similarity": {
            "min": round(float(best_sim.min()), 4),
            **quantiles,
            "max": round(float(best_sim.max()), 4),
        },
        "per_name": per_name,
        "suggested_min_similarity": suggested,
    }


def zeroshot_assign(
    embeddings: np.ndarray,
    names: list[str],
    embed: Callable[[list[str]], np.ndarray],
    min_similarity: float,
    *,
    verbose: bool = False,
) -> ZeroShotResult:
    """Match documents to names; report per-name counts, the similarity spread and a suggestion."""
    name_emb = np.asarray(embed(names), dtype=np.float32)
    sims = name_similarities(embeddings, name_emb)
    best = np.argmax(sims, axis=1)
    best_sim = sims[np.arange(len(sims)), best]
    assigned = np.where(best_sim >= min_similarity, best, -1)
    report = zeroshot_report(sims, names, min_similarity)
    level = 20 if verbose else 10
    logger.log(level, "zero-shot: documents matched per name %s (%d unmatched)", report["matched"], report["unmatched"])
    logger.log(level, "zero-shot: best name similarity per document %s", report["best_similarity"])
    logger.log(
        level,
        "zero-shot: suggested zeroshot_min_similarity %.3f (documents matched at it %s)",
        report["suggested_min_similarity"],
        {n: v["matched_at_suggested"] for n, v in report["per_name"].items()},
    )
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
) -> tuple[np.ndarray, np.ndarray]:
    """(topic ids, similarity) of documents clearing the threshold of their closest zero-shot name.

    Topic ids are ``NO_TOPIC`` where no zero-shot topic applies.
    """
    from .._neighbors import NO_TOPIC

    out = np.full(len(embeddings), NO_TOPIC, dtype=np.int64)
    if not len(name_embeddings) or not len(embeddings):
        return out, np.zeros(len(embeddings))
    sims = name_similarities(embeddings, name_embeddings)
    best = np.argmax(sims, axis=1)
    best_sim = sims[np.arange(len(sims)), best]
    for i in np.flatnonzero(best_sim >= min_similarity):
        topic = name_topics[best[i]]
        if topic is not None:
            out[i] = topic
    return out, best_sim
