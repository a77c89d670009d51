"""Counting, the one home: documents' term counts summed per group with one sparse product.

Every verb that needs term counts per topic, per topic x time bin or per topic x class (topic
words, topics over time and per class, hierarchy parents, merging, outlier reduction) calls
``grouped_counts`` on a document-term matrix; nobody joins documents into strings per group or
vectorises per group. The document-term matrix comes from ``doc_term_for``: the one made at fit when
the documents are the training documents (recognised by a fingerprint of their text), otherwise
the documents counted once over the fitted vocabulary.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from ..exceptions import InputError


def grouped_counts(doc_term: sp.spmatrix, groups: np.ndarray, n_groups: int) -> sp.csr_matrix:
    """Sum the rows of ``doc_term`` per group: a (n_groups, vocab) float64 count matrix.

    ``groups[i]`` is row ``i``'s group in ``0..n_groups-1``; a negative value leaves the row out.
    A group key made of several parts (topic x bin) is one integer, e.g. ``topic_row * n_bins + bin``.
    """
    groups = np.asarray(groups, dtype=np.int64)
    if groups.shape != (doc_term.shape[0],):
        raise InputError(f"groups must have one entry per document ({doc_term.shape[0]}); got shape {groups.shape}")
    if len(groups) and groups.max(initial=-1) >= n_groups:
        raise InputError(f"groups must be < n_groups={n_groups}; got {int(groups.max())}")
    keep = np.flatnonzero(groups >= 0)
    indicator = sp.csr_matrix(
        (np.ones(len(keep)), (groups[keep], keep)),
        shape=(n_groups, doc_term.shape[0]),
    )
    return sp.csr_matrix(indicator @ sp.csr_matrix(doc_term, dtype=np.float64))


def document_frequency(doc_term: sp.spmatrix) -> np.ndarray:
    """Per term (column), how many documents (rows of ``doc_term``) contain it, as int64. Sums over
    blocks of documents add up exactly (the filler-word rule's shares, the Dask vocabulary)."""
    csr = sp.csr_matrix(doc_term)
    return np.bincount(csr.indices[csr.data > 0], minlength=csr.shape[1]).astype(np.int64)


def fingerprint_bytes(documents: Iterable[str]) -> bytes:
    """What ``text_fingerprint`` hashes for ``documents``, in order: each text's UTF-8 length (8
    bytes, little-endian), then the text. Computed where the texts are (a Dask worker sends one
    bytes object, not a list of strings, which Dask serialises string by string)."""
    pieces = []
    for text in documents:
        data = text.encode("utf-8", "surrogatepass")
        pieces.append(len(data).to_bytes(8, "little"))
        pieces.append(data)
    return b"".join(pieces)


def fingerprint_of_blocks(blocks: Iterable[bytes]) -> str:
    """The fingerprint of documents given as consecutive ``fingerprint_bytes`` blocks."""
    digest = hashlib.blake2b(digest_size=16)
    for block in blocks:
        digest.update(block)
    return digest.hexdigest()


def text_fingerprint(documents: Sequence[str]) -> str:
    """A digest of the documents' text and order (each text's length is hashed with it)."""
    texts = iter(documents)
    return fingerprint_of_blocks(iter(lambda: fingerprint_bytes(itertools.islice(texts, 4096)), b""))


def count_documents(
    documents: Sequence[str],
    vocabulary: Sequence[str] | np.ndarray,
    analyzer: Callable[[str], list[str]],
    *,
    binary: bool = False,
) -> sp.csr_matrix:
    """Term counts of ``documents`` over a fixed ``vocabulary`` (terms it lacks are ignored); with
    ``binary`` (a vectorizer's ``binary=True``), 1 for each term a document holds."""
    from sklearn.feature_extraction.text import CountVectorizer

    if not len(vocabulary):
        return sp.csr_matrix((len(documents), 0))
    counter = CountVectorizer(
        analyzer=analyzer, vocabulary={str(t): i for i, t in enumerate(vocabulary)}, binary=bool(binary)
    )
    return sp.csr_matrix(counter.transform(list(documents)), dtype=np.float64)


def doc_term_for(
    documents: Sequence[str],
    vocabulary: Sequence[str] | np.ndarray,
    analyzer: Callable[[str], list[str]],
    training_fingerprint: str = "",
    training_doc_term: sp.csr_matrix | None = None,
    *,
    binary: bool = False,
) -> sp.csr_matrix:
    """The documents' term counts over ``vocabulary``: fit's matrix when they are the training documents
    (``binary`` as in ``count_documents``)."""
    if (
        training_doc_term is not None
        and training_fingerprint
        and training_doc_term.shape == (len(documents), len(vocabulary))
        and text_fingerprint(documents) == training_fingerprint
    ):
        return training_doc_term
    return count_documents(documents, vocabulary, analyzer, binary=binary)
