"""The vocabulary of documents spread over partitions, fixed as the vectorizer would fix it on all of them.

Each partition counts its documents over its own terms (``count_local``); the term statistics
(document frequency, total count) are added up in a tree (``merge_stats``); ``fix_vocabulary``
then applies the vectorizer's ``min_df`` / ``max_df`` / ``max_features`` to the totals exactly as
scikit-learn's ``CountVectorizer.fit`` does on all documents at once (same comparisons, same
ordering of terms, same sort for ``max_features``), so both engines find the same vocabulary.
Finally each partition's counts are moved onto the fixed vocabulary (``on_vocabulary``): the
text is analysed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..exceptions import InputError
from ..vectorize.counts import document_frequency


@dataclass
class LocalCounts:
    """One partition's term counts over its own sorted terms."""

    counts: sp.csr_matrix  # (documents, terms) int64
    terms: np.ndarray  # object array of str, sorted


@dataclass
class TermStats:
    """Document frequency and total count of each term (sorted), over some documents."""

    terms: np.ndarray
    df: np.ndarray  # int64
    tf: np.ndarray  # int64


def check_vectorizer(vectorizer: Any) -> Any:
    """``vectorizer`` if the Dask engine can reproduce its fit over partitions (a CountVectorizer)."""
    from sklearn.feature_extraction.text import CountVectorizer

    if type(vectorizer) is not CountVectorizer:
        raise InputError(
            "vectorizer_model must be a scikit-learn CountVectorizer for the Dask engine (its min_df, max_df, "
            "max_features and analyzer settings are honoured over all partitions); got "
            f"{type(vectorizer).__name__} (use TopicModel.fit for other vectorizers)"
        )
    return vectorizer


def _unlimited(vectorizer: Any) -> Any:
    from sklearn.base import clone

    return clone(vectorizer).set_params(min_df=1, max_df=1.0, max_features=None)


def count_local(texts: list[str], vectorizer: Any) -> LocalCounts:
    """Term counts of ``texts`` over their own terms (no vocabulary limits yet)."""
    counter = _unlimited(vectorizer)
    try:
        counts = sp.csr_matrix(counter.fit_transform(texts), dtype=np.int64)
    except ValueError as exc:
        if "empty vocabulary" not in str(exc):
            raise InputError(f"vectorizer_model failed on the documents: {exc}") from exc
        return LocalCounts(sp.csr_matrix((len(texts), 0), dtype=np.int64), np.array([], dtype=object))
    return LocalCounts(counts, np.asarray(counter.get_feature_names_out(), dtype=object))


def local_stats(local: LocalCounts) -> TermStats:
    counts = local.counts
    df = document_frequency(counts)
    tf = np.asarray(counts.sum(axis=0), dtype=np.int64).ravel()
    return TermStats(local.terms, df, tf)


def merge_stats(parts: list[TermStats]) -> TermStats:
    """The statistics of several sets of documents added up (terms sorted as Python sorts str)."""
    parts = [p for p in parts if len(p.terms)]
    if not parts:
        return TermStats(np.array([], dtype=object), np.zeros(0, np.int64), np.zeros(0, np.int64))
    if len(parts) == 1:
        return parts[0]
    terms, inverse = np.unique(np.concatenate([p.terms for p in parts]), return_inverse=True)
    df = np.zeros(len(terms), dtype=np.int64)
    tf = np.zeros(len(terms), dtype=np.int64)
    np.add.at(df, inverse, np.concatenate([p.df for p in parts]))
    np.add.at(tf, inverse, np.concatenate([p.tf for p in parts]))
    return TermStats(terms.astype(object), df, tf)


def fix_vocabulary(stats: TermStats, vectorizer: Any, n_docs: int) -> np.ndarray:
    """The vocabulary ``vectorizer.fit`` would keep on all ``n_docs`` documents (CountVectorizer's rules)."""
    if not len(stats.terms):
        return np.array([], dtype=object)  # every document is empty or stop words (as fit_doc_term)
    max_df, min_df, limit = vectorizer.max_df, vectorizer.min_df, vectorizer.max_features
    high = max_df if isinstance(max_df, Integral) else max_df * n_docs
    low = min_df if isinstance(min_df, Integral) else min_df * n_docs
    if high < low:
        raise InputError("vectorizer_model failed on the documents: max_df corresponds to < documents than min_df")
    mask = (stats.df <= high) & (stats.df >= low)
    if limit is not None and mask.sum() > limit:
        # The same sort as scikit-learn's (not stable: ties fall where its quicksort puts them).
        chosen = (-stats.tf[mask]).argsort()[:limit]
        keep = np.zeros(len(mask), dtype=bool)
        keep[np.flatnonzero(mask)[chosen]] = True
        mask = keep
    if not mask.any():
        raise InputError(
            "vectorizer_model failed on the documents: After pruning, no terms remain. "
            "Try a lower min_df or a higher max_df."
        )
    return np.asarray(stats.terms[mask], dtype=object)


def given_vocabulary(vectorizer: Any) -> np.ndarray | None:
    """The terms of a vectorizer built with a fixed ``vocabulary`` (in column order), else None."""
    from sklearn.base import clone

    if vectorizer.vocabulary is None:
        return None
    fitted = clone(vectorizer).fit([""])
    return np.asarray(fitted.get_feature_names_out(), dtype=object)


def fitted_vectorizer(vectorizer: Any, vocabulary: np.ndarray) -> Any:
    """An unfitted copy of ``vectorizer`` fitted to ``vocabulary`` (what fit would have left)."""
    from sklearn.base import clone

    fitted = clone(vectorizer)
    if len(vocabulary):
        fitted.vocabulary_ = {str(t): i for i, t in enumerate(vocabulary)}
        fitted.fixed_vocabulary_ = vectorizer.vocabulary is not None
    return fitted


def on_vocabulary(local: LocalCounts, columns: dict[str, int], n_terms: int) -> sp.csr_matrix:
    """A partition's counts moved onto the fixed vocabulary (``columns``: term -> column)."""
    counts = local.counts
    if not counts.shape[1] or not n_terms:
        return sp.csr_matrix((counts.shape[0], n_terms), dtype=np.int64)
    where = np.fromiter((columns.get(str(t), -1) for t in local.terms), dtype=np.int64, count=len(local.terms))
    coo = counts.tocoo()
    new_cols = where[coo.col]
    keep = new_cols >= 0
    return sp.csr_matrix(
        (coo.data[keep], (coo.row[keep], new_cols[keep])), shape=(counts.shape[0], n_terms), dtype=np.int64
    )
