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

from .._validation import check_bool, check_float
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
    demote_filler_words: bool = False,
    doc_share: np.ndarray | None = None,
    counted_rows: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Class-based TF-IDF of a (topics, vocab) count matrix.

    tf is each class's term frequency normalised by the class's length (square-rooted with
    ``reduce_frequent_words``). idf weighs a term by how rare it is across classes relative to the
    average class length ``A``: ``log(1 + A / f_t)``, or with ``bm25_weighting`` the BM25 form
    ``log(1 + (A - f_t + 0.5) / (f_t + 0.5))``. ``word_multipliers`` (one per term) scales the idf,
    e.g. to boost seed words. ``exclusivity`` (a) scales each weight by ``(w / max_topics w) ** a``,
    the max taken over the topics for that word: a word keeps its full weight in the topic where it
    weighs most and loses some elsewhere, so fewer words name several topics.
    ``demote_filler_words``: see ``demote_fillers`` (``doc_share``: each term's share of documents;
    ``counted_rows``: the rows that count as topics, e.g. not the outlier topic; default all).
    """
    counts = sp.csr_matrix(class_term, dtype=np.float64)
    idf = ctfidf_idf(counts, bm25_weighting=bm25_weighting, word_multipliers=word_multipliers)
    weights = sp.csr_matrix(class_tf(counts, reduce_frequent_words=reduce_frequent_words) @ sp.diags(idf))
    if exclusivity > 0 and weights.nnz:
        weights = apply_exclusivity(weights, np.asarray(weights.max(axis=0).todense()).ravel(), exclusivity)
    if demote_filler_words and weights.nnz:
        weights = demote_fillers(weights, filler_terms(weights, doc_share, counted_rows))
    return weights


#: A term in more than this share of the documents is a filler word (see ``filler_terms``).
FILLER_DOC_SHARE = 0.3
#: A term among the top ``FILLER_TOP`` words of more than half of the topics is a filler word.
FILLER_TOP = 10
#: Filler words never rank among a topic's first ``FILLER_POSITIONS`` words (see ``demote_fillers``):
#: with the default ``top_n_words`` they are not among a topic's words at all. Issue 14 asks for 3;
#: 10 scored a higher NPMI on bbc_news (0.130 vs 0.120, docs/defaults.md).
FILLER_POSITIONS = 10


def filler_terms(
    weights: sp.spmatrix, doc_share: np.ndarray | None = None, counted_rows: np.ndarray | None = None
) -> np.ndarray:
    """A boolean mask of the terms that describe the corpus rather than a topic ("said", "mr", "use").

    A term is a filler word when it is among the top ``FILLER_TOP`` words of more than half of the
    topics (rows of ``weights``; only ``counted_rows`` when given, e.g. not the outlier topic), or in
    more than ``FILLER_DOC_SHARE`` of all documents (``doc_share``: each term's share of the
    documents; None when unknown, then only the first rule applies). Neither rule depends on the
    corpus's size or language: both are shares. With fewer than 3 topics, "more than half" of them is
    every topic, which a topic's own best words can be: the first rule then stays off.
    """
    weights = sp.csr_matrix(weights)
    filler = np.zeros(weights.shape[1], dtype=bool)
    if doc_share is not None:
        share = np.asarray(doc_share, dtype=np.float64)
        if share.shape != (weights.shape[1],) or not np.all((share >= 0) & (share <= 1)):
            raise InputError(
                f"doc_share must hold one share in [0, 1] per term ({weights.shape[1]} terms); "
                f"got shape {share.shape}, values {share[:3].tolist()}..."
            )
        filler |= share > FILLER_DOC_SHARE
    rows = _check_rows(counted_rows, weights.shape[0])
    if len(rows) >= 3:
        hits = np.zeros(weights.shape[1], dtype=np.int64)
        for i in rows:
            cols, vals = _row(weights, int(i))
            if len(vals) > FILLER_TOP:
                cols = cols[np.argpartition(-vals, FILLER_TOP - 1)[:FILLER_TOP]]
            hits[cols] += 1
        filler |= hits > len(rows) / 2
    return filler


def _check_rows(counted_rows: np.ndarray | None, n_rows: int) -> np.ndarray:
    """``counted_rows`` as distinct row indices in [0, n_rows) (InputError naming it otherwise)."""
    if counted_rows is None:
        return np.arange(n_rows)
    rows = np.asarray(counted_rows)
    if rows.ndim != 1 or rows.dtype.kind not in "iu":
        raise InputError(f"counted_rows must be a 1-D array of row indices; got {rows.dtype} of shape {rows.shape}")
    if len(rows) and (rows.min() < 0 or rows.max() >= n_rows or len(np.unique(rows)) != len(rows)):
        raise InputError(f"counted_rows must be distinct row indices in [0, {n_rows}); got {rows.tolist()[:10]}")
    return rows.astype(np.int64)


def demote_fillers(weights: sp.spmatrix, filler: np.ndarray, positions: int | None = None) -> sp.csr_matrix:
    """Scale the filler words of each row (``filler``: a mask over terms) below the row's
    ``positions``-th best other word, so none of them ranks among the row's first ``positions``
    words; their order among themselves, and every other weight, is kept. A row with fewer other
    words keeps its fillers below all of them. ``positions`` defaults to ``FILLER_POSITIONS``."""
    positions = FILLER_POSITIONS if positions is None else positions
    weights = sp.csr_matrix(weights, dtype=np.float64, copy=True)
    if not filler.any():
        return weights
    for i in range(weights.shape[0]):
        start, end = weights.indptr[i], weights.indptr[i + 1]
        vals = weights.data[start:end]
        is_filler = filler[weights.indices[start:end]] & (vals > 0)
        others = vals[~is_filler & (vals > 0)]
        if not is_filler.any() or not len(others):
            continue
        bar = np.sort(others)[::-1][min(positions, len(others)) - 1]
        top = vals[is_filler].max()
        if top >= bar:
            vals[is_filler] *= bar / top * (1 - 1e-6)
    return weights


def _row(weights: sp.csr_matrix, i: int) -> tuple[np.ndarray, np.ndarray]:
    start, end = weights.indptr[i], weights.indptr[i + 1]
    cols, vals = weights.indices[start:end], weights.data[start:end]
    keep = vals > 0
    return cols[keep], vals[keep]


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
        cols, vals = _row(weights, i)
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
    demote_filler_words : keep words that describe the corpus rather than a topic (in more than 30%
        of the documents, or among the top 10 words of more than half of the topics) out of each
        topic's first 10 words (``filler_terms``, ``demote_fillers``; docs/defaults.md): with the
        default ``top_n_words`` they are not among its words; they keep their weight order after
        those. False: plain c-TF-IDF order, as BERTopic.
    """

    def __init__(
        self,
        bm25_weighting: bool = False,
        reduce_frequent_words: bool = False,
        seed_words: Sequence[str] | None = None,
        seed_multiplier: float = 2.0,
        exclusivity: float = 0.5,
        demote_filler_words: bool = True,
    ) -> None:
        self.bm25_weighting = bm25_weighting
        self.reduce_frequent_words = reduce_frequent_words
        self.seed_words = seed_words
        self.seed_multiplier = seed_multiplier
        self.exclusivity = exclusivity
        self.demote_filler_words = demote_filler_words

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
        *,
        doc_share: np.ndarray | None = None,
        counted_rows: np.ndarray | None = None,
    ) -> sp.csr_matrix:
        """c-TF-IDF weights of a (topics, vocabulary) count matrix, without fitting this object.

        ``doc_share`` (each term's share of the documents) and ``counted_rows`` (the rows that are
        topics) serve ``demote_filler_words``.
        """
        return ctfidf_weights(
            class_term,
            bm25_weighting=self.bm25_weighting,
            reduce_frequent_words=self.reduce_frequent_words,
            word_multipliers=self.multipliers(vocabulary, extra_seed_words),
            exclusivity=check_float(self.exclusivity, "exclusivity", low=0.0, high=100.0),
            demote_filler_words=check_bool(self.demote_filler_words, "demote_filler_words"),
            doc_share=doc_share,
            counted_rows=counted_rows,
        )

    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        vocabulary: Sequence[str] | np.ndarray | None = None,
        doc_share: np.ndarray | None = None,
        counted_rows: np.ndarray | None = None,
    ) -> ClassTfidfTransformer:
        """Learn the idf of each term from ``X``, a (classes, vocabulary) matrix of term counts.

        ``vocabulary`` (the term of each column) is needed when ``seed_words`` is set. ``doc_share``
        (each term's share of the documents) adds the document rule of ``demote_filler_words``;
        ``counted_rows``: the rows of ``X`` that are topics for its topic rule (default all).
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
        demote = check_bool(self.demote_filler_words, "demote_filler_words")
        if doc_share is not None and np.shape(doc_share) != (counts.shape[1],):
            raise InputError(
                f"doc_share must have one value per column of X ({counts.shape[1]}); got {np.shape(doc_share)}"
            )
        fitted = (
            apply_exclusivity(weights, self.column_max_, exclusivity) if exclusivity > 0 and weights.nnz else weights
        )
        self.filler_ = (
            filler_terms(fitted, doc_share, counted_rows) if demote else np.zeros(counts.shape[1], dtype=bool)
        )
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
        return demote_fillers(weights, self.filler_)

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
