"""The vectorizer stage: documents -> (doc-term counts, vocabulary)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..exceptions import InputError


def default_vectorizer(n_gram_range: tuple[int, int] = (1, 1)) -> Any:
    """A CountVectorizer that drops English stop words (no "the, of, and" topics)."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(stop_words="english", ngram_range=tuple(n_gram_range))


def fit_doc_term(vectorizer: Any, documents: list[str]) -> tuple[sp.csr_matrix, np.ndarray]:
    """Fit ``vectorizer`` and return the document-term counts and the vocabulary."""
    try:
        doc_term = vectorizer.fit_transform(documents)
    except ValueError as exc:
        if "empty vocabulary" in str(exc):
            # Every document is empty or made of stop words: no words to describe topics with.
            return sp.csr_matrix((len(documents), 0)), np.array([], dtype=object)
        raise InputError(f"vectorizer_model failed on the documents: {exc}") from exc
    vocab = np.asarray(vectorizer.get_feature_names_out(), dtype=object)
    return sp.csr_matrix(doc_term), vocab


# The settings of a vectorizer that decide how text becomes counts, saved with a model so that a
# loaded model counts new documents as the fitted one did (its vocabulary is saved apart). The others
# matter only at fit (min_df, max_df, max_features: the vocabulary is fixed) or not for str documents
# (encoding, decode_error); dtype is the counts' storage type (topicscope counts in float64).
COUNTING_SETTINGS = ("lowercase", "strip_accents", "stop_words", "token_pattern", "ngram_range", "analyzer", "binary")


def analyzer_settings(vectorizer: Any) -> dict[str, Any] | None:
    """JSON-able counting settings of a scikit-learn ``CountVectorizer`` or an ``OnlineCountVectorizer``, or
    None when the vectorizer cannot be rebuilt from settings (another class, a callable preprocessor,
    tokenizer, analyzer or strip_accents, or ``input`` other than 'content')."""
    from sklearn.feature_extraction.text import CountVectorizer

    from .online import OnlineCountVectorizer

    if type(vectorizer) not in (CountVectorizer, OnlineCountVectorizer):
        return None
    params = vectorizer.get_params()
    if params.get("preprocessor") is not None or params.get("tokenizer") is not None:
        return None
    if params.get("input", "content") != "content" or callable(params.get("strip_accents")):
        return None
    out = {name: params[name] for name in COUNTING_SETTINGS if name in params}
    out["ngram_range"] = [int(v) for v in out["ngram_range"]]
    if "binary" in out:
        out["binary"] = bool(out["binary"])
    if isinstance(out.get("stop_words"), (list, tuple, set, frozenset)):
        out["stop_words"] = sorted(str(w) for w in out["stop_words"])
    if not isinstance(out.get("analyzer", "word"), str) or not isinstance(
        out.get("stop_words"), (str, list, type(None))
    ):
        return None
    return out


def rebuild_vectorizer(settings: dict[str, Any], vocabulary: np.ndarray) -> Any:
    """A ``CountVectorizer`` with saved ``settings`` and a fixed ``vocabulary`` (what a loaded model counts with).

    Settings a file lacks take scikit-learn's defaults (files saved before ``binary`` was saved: False).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    params = dict(settings)
    params["ngram_range"] = tuple(params["ngram_range"])
    return CountVectorizer(vocabulary={str(t): i for i, t in enumerate(vocabulary)} or None, **params)
