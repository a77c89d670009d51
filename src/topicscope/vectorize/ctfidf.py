"""Class-based TF-IDF as pure functions of sparse matrices, plus a thin estimator.

The documents of a topic are treated as one class document: ``class_term_counts`` sums the
document-term counts per topic; ``ctfidf_weights`` turns class-term counts into weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_non_negative

from .._validation import check_float
from ..exceptions import InputError, NotFittedError
from .counts import grouped_counts


def class_term_counts(
    doc_term: sp.spmatrix, labels: np.ndarray, topic_ids: Sequence[int] | np.ndarray
) -> sp.csr_matrix:
    """Sum the rows of ``doc_term`` per topic: a (len(topic_ids), vocab) count matrix.

    Row ``i`` belongs to ``topic_ids[i]``; documents whose label is not in ``topic_ids`` are ignored.
    """
    labels = np.asarray(labels, dtype=np.int64)
    ids = np.asarray(topic_ids, dtype=np.int64)
    rows = np.full(labels.shape, -1, dtype=np.int64)
    if len(ids):
        order = np.argsort(ids, kind="stable")
        pos = np.minimum(np.searchsorted(ids[order], labels), len(ids) - 1)
        hit = ids[order][pos] == labels
        rows[hit] = order[pos][hit]
    return grouped_counts(doc_term, rows, len(ids))


def ctfidf_weights(
    class_term: sp.spmatrix,
    *,
    bm25_weighting: bool = False,
    reduce_frequent_words: bool = False,
    word_multipliers: np.ndarray | None = None,
    exclusivity: float = 0.0,
) -> sp.csr_matrix:
    """Class-based TF-IDF of a (topics, vocab) count matrix.

    tf is each class's term frequency normalised by the class's length (square-rooted with
    ``reduce_frequent_words``). idf weighs a term by how rare it is across classes relative to the
    average class length ``A``: ``log(1 + A / f_t)``, or with ``bm25_weighting`` the BM25 form
    ``log(1 + (A - f_t + 0.5) / (f_t + 0.5))``. ``word_multipliers`` (one per term) scales the idf,
    e.g. to boost seed words. ``exclusivity`` (a) scales each weight by ``(w / max_topics w) ** a``,
    the max taken over the topics for that word: a word keeps its full weight in the topic where it
    weighs most and loses some elsewhere, so fewer words name several topics.
    """
    counts = sp.csr_matrix(class_term, dtype=np.float64)
    idf = ctfidf_idf(counts, bm25_weighting=bm25_weighting, word_multipliers=word_multipliers)
    weights = sp.csr_matrix(class_tf(counts, reduce_frequent_words=reduce_frequent_words) @ sp.diags(idf))
    if exclusivity > 0 and weights.nnz:
        weights = apply_exclusivity(weights, np.asarray(weights.max(axis=0).todense()).ravel(), exclusivity)
    return weights


def ctfidf_idf(
    class_term: sp.spmatrix, *, bm25_weighting: bool = False, word_multipliers: np.ndarray | None = None
) -> np.ndarray:
    """The idf part of c-TF-IDF (see ``ctfidf_weights``): one weight per term, 0 for unseen terms."""
    counts = sp.csr_matrix(class_term, dtype=np.float64)
    row_sums = np.asarray(counts.sum(axis=1)).ravel()
    col_sums = np.asarray(counts.sum(axis=0)).ravel()
    avg_len = row_sums.sum() / max(counts.shape[0], 1)
    safe_cols = np.where(col_sums > 0, col_sums, 1.0)
    if bm25_weighting:
        idf = np.log1p(np.maximum((avg_len - safe_cols + 0.5) / (safe_cols + 0.5), 0.0))
    else:
        idf = np.log1p(avg_len / safe_cols)
    idf[col_sums == 0] = 0.0
    if word_multipliers is not None:
        idf = idf * np.asarray(word_multipliers, dtype=np.float64)
    return idf


def class_tf(class_term: sp.spmatrix, *, reduce_frequent_words: bool = False) -> sp.csr_matrix:
    """Each row's term frequencies divided by the row's total (square-rooted with ``reduce_frequent_words``)."""
    counts = sp.csr_matrix(class_term, dtype=np.float64)
    row_sums = np.asarray(counts.sum(axis=1)).ravel()
    inv_rows = sp.diags(np.divide(1.0, row_sums, out=np.zeros_like(row_sums), where=row_sums > 0))
    tf = sp.csr_matrix(inv_rows @ counts)
    if reduce_frequent_words:
        tf.data = np.sqrt(tf.data)
    return tf


def apply_exclusivity(weights: sp.csr_matrix, column_max: np.ndarray, exclusivity: float) -> sp.csr_matrix:
    """Scale each weight by ``min(w / column_max, 1) ** exclusivity`` (see ``ctfidf_weights``)."""
    weights = sp.csr_matrix(weights, copy=True)
    cols = weights.indices
    ratio = weights.data / np.where(column_max[cols] > 0, column_max[cols], 1.0)
    weights.data = weights.data * np.minimum(ratio, 1.0) ** exclusivity
    return weights


def top_words(weights: sp.spmatrix, vocabulary: Sequence[str] | np.ndarray, n: int) -> list[list[tuple[str, float]]]:
    """The ``n`` highest-weighted terms of each row, ties broken by vocabulary order."""
    weights = sp.csr_matrix(weights)
    out: list[list[tuple[str, float]]] = []
    for i in range(weights.shape[0]):
        start, end = weights.indptr[i], weights.indptr[i + 1]
        cols, vals = weights.indices[start:end], weights.data[start:end]
        keep = vals > 0
        cols, vals = cols[keep], vals[keep]
        if len(vals) > n > 0:  # only values tied with or above the n-th largest can make the cut
            kth = np.partition(vals, len(vals) - n)[len(vals) - n]
            cols, vals = cols[vals >= kth], vals[vals >= kth]
        order = np.lexsort((cols, -vals))[:n]
        out.append([(str(vocabulary[c]), float(vals[j])) for j, c in zip(order, cols[order])])
    return out


class ClassTfidfTransformer(TransformerMixin, BaseEstimator):
    """Class-based TF-IDF (the ``ctfidf_model`` of a TopicModel), a scikit-learn transformer.

    ``fit`` takes a (classes, vocabulary) matrix of term counts, one row per topic, and learns
    each term's idf (``idf_``); ``transform`` turns count rows into c-TF-IDF weights with it.
    ``fit_transform(X)`` equals ``weights(X, vocabulary)``, which the topic model calls.

    Parameters
    ----------
    bm25_weighting : use the BM25-style idf, more robust to stop words on small corpora.
    reduce_frequent_words : take the square root of term frequencies.
    seed_words : words whose idf is multiplied by ``seed_multiplier`` (guided topic words).
    seed_multiplier : the boost for ``seed_words``.
    exclusivity : how much a word shared by several topics is weakened outside the topic where it
        weighs most (0 = plain c-TF-IDF). The default 0.5 was chosen by the benchmark: on
        octis_m10 (nr_topics 10/30/50) topic diversity 0.90 -> 0.95 for NPMI 0.027 -> 0.013, and on
        octis_bbc diversity 0.86 -> 0.91 for NPMI 0.157 -> 0.155 (BENCHMARKS.md).
    """

    def __init__(
        self,
        bm25_weighting: bool = False,
        reduce_frequent_words: bool = False,
        seed_words: Sequence[str] | None = None,
        seed_multiplier: float = 2.0,
        exclusivity: float = 0.5,
    ) -> None:
        self.bm25_weighting = bm25_weighting
        self.reduce_frequent_words = reduce_frequent_words
        self.seed_words = seed_words
        self.seed_multiplier = seed_multiplier
        self.exclusivity = exclusivity

    def multipliers(
        self, vocabulary: Sequence[str] | np.ndarray, extra_seed_words: Sequence[str] = ()
    ) -> np.ndarray | None:
        """The idf multiplier of each term (``seed_multiplier`` for seed words), or None when there are none."""
        words = set(self.seed_words or ()) | set(extra_seed_words)
        if not words:
            return None
        boost = check_float(self.seed_multiplier, "seed_multiplier", low=0.0, high=1e6)
        mult = np.ones(len(vocabulary))
        for i, term in enumerate(vocabulary):
            if term in words:
                mult[i] = boost
        return mult

    def weights(
        self,
        class_term: sp.spmatrix,
        vocabulary: Sequence[str] | np.ndarray,
        extra_seed_words: Sequence[str] = (),
    ) -> sp.csr_matrix:
        """c-TF-IDF weights of a (topics, vocabulary) count matrix, without fitting this object."""
        return ctfidf_weights(
            class_term,
            bm25_weighting=self.bm25_weighting,
            reduce_frequent_words=self.reduce_frequent_words,
            word_multipliers=self.multipliers(vocabulary, extra_seed_words),
            exclusivity=check_float(self.exclusivity, "exclusivity", low=0.0, high=100.0),
        )

    def fit(
        self, X: Any, y: Any = None, *, vocabulary: Sequence[str] | np.ndarray | None = None
    ) -> ClassTfidfTransformer:
        """Learn the idf of each term from ``X``, a (classes, vocabulary) matrix of term counts.

        ``vocabulary`` (the term of each column) is needed when ``seed_words`` is set.
        """
        counts = self._check_counts(X, reset=True)
        exclusivity = check_float(self.exclusivity, "exclusivity", low=0.0, high=100.0)
        multipliers = None
        if self.seed_words:
            if vocabulary is None:
                raise InputError("seed_words needs the term of each column: call fit(X, vocabulary=terms)")
            if len(vocabulary) != counts.shape[1]:
                raise InputError(
                    f"vocabulary must have one term per column of X ({counts.shape[1]}); got {len(vocabulary)}"
                )
            multipliers = self.multipliers(vocabulary)
        self.idf_ = ctfidf_idf(counts, bm25_weighting=self.bm25_weighting, word_multipliers=multipliers)
        weights = sp.csr_matrix(
            class_tf(counts, reduce_frequent_words=self.reduce_frequent_words) @ sp.diags(self.idf_)
        )
        self.column_max_ = (
            np.asarray(weights.max(axis=0).todense()).ravel() if weights.nnz else np.zeros(counts.shape[1])
        )
        self.exclusivity_ = exclusivity
        return self

    def transform(self, X: Any) -> sp.csr_matrix:
        """c-TF-IDF weights of the count rows ``X`` with the fitted idf (a sparse float64 matrix)."""
        if not hasattr(self, "idf_"):
            raise NotFittedError("ClassTfidfTransformer is not fitted: call fit(class_term_counts) first")
        counts = self._check_counts(X, reset=False)
        weights = sp.csr_matrix(
            class_tf(counts, reduce_frequent_words=self.reduce_frequent_words) @ sp.diags(self.idf_)
        )
        if self.exclusivity_ > 0 and weights.nnz:
            weights = apply_exclusivity(weights, self.column_max_, self.exclusivity_)
        return weights

    def _check_counts(self, X: Any, *, reset: bool) -> sp.csr_matrix:
        try:
            X = check_array(X, accept_sparse="csr", dtype=np.float64)
            check_non_negative(X, "ClassTfidfTransformer (X)")
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"X must be a finite, non-negative 2-D matrix of term counts (classes x vocabulary): {exc}"
            ) from exc
        if reset:
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise InputError(
                f"X has {X.shape[1]} features, but ClassTfidfTransformer is expecting {self.n_features_in_} "
                "features as input (one column per vocabulary term)"
            )
        return sp.csr_matrix(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        return tags
