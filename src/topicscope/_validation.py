"""Input checks shared by the pipeline: each raises an InputError naming the parameter."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Literal, cast, overload

import numpy as np

from .exceptions import InputError


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}"


def check_documents(documents: Any, *, name: str = "documents", allow_empty: bool = False) -> list[str]:
    """Return ``documents`` as a list of str, or raise an InputError saying what is wrong."""
    if documents is None:
        raise InputError(f"{name} must be a list of strings; got None")
    if isinstance(documents, (str, bytes)):
        raise InputError(
            f"{name} must be a list of strings; got a single {type(documents).__name__} "
            f"(wrap one document in a list: [{_describe(documents)[:40]}...])"
        )
    type_name = type(documents).__name__
    if type_name == "DataFrame":
        cols = list(getattr(documents, "columns", []))[:5]
        raise InputError(
            f"{name} must be a list of strings; got a pandas DataFrame with columns {cols}: "
            f'pass one column, e.g. df["text"].tolist()'
        )
    if isinstance(documents, np.ndarray):
        if documents.ndim != 1:
            raise InputError(f"{name} must be a 1-D list of strings; got an array of shape {documents.shape}")
        documents = documents.tolist()
    elif type_name == "Series":
        documents = documents.tolist()
    elif not isinstance(documents, Sequence):
        try:
            documents = list(documents)
        except TypeError:
            raise InputError(f"{name} must be a list of strings; got {_describe(documents)}") from None
    docs = list(documents)
    for i, doc in enumerate(docs):
        if not isinstance(doc, str):
            raise InputError(
                f"{name} must be a list of strings; item {i} is {_describe(doc)}"
                + (" (missing values must be replaced, e.g. with '')" if doc is None or _is_nan(doc) else "")
            )
    if not docs and not allow_empty:
        raise InputError(f"{name} must contain at least one document; got an empty list")
    return docs


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def check_embeddings(embeddings: Any, n_rows: int, *, name: str = "embeddings", dim: int | None = None) -> np.ndarray:
    """Return embeddings as a finite float32 2-D array with ``n_rows`` rows.

    Wider input (float64, integers) is checked before it is cast, so a value float32 cannot hold
    is reported as such, not as the inf the cast would make of it.
    """
    try:
        arr = np.asarray(embeddings)
        if arr.dtype not in (np.float16, np.float32):
            arr = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a 2-D numeric array; got {_describe(embeddings)}") from None
    if arr.ndim != 2:
        raise InputError(f"{name} must be a 2-D array (one row per document); got shape {arr.shape}")
    if arr.shape[0] != n_rows:
        raise InputError(f"{name} must have one row per document: expected {n_rows} rows, got {arr.shape[0]}")
    if dim is not None and arr.shape[1] != dim:
        raise InputError(
            f"{name} must have {dim} columns (the dimension the model was fitted with); got {arr.shape[1]}"
        )
    if not np.isfinite(arr).all():
        bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        raise InputError(
            f"{name} must be finite; rows {bad[:5].tolist()}{'...' if len(bad) > 5 else ''} contain NaN or inf"
        )
    if arr.dtype == np.float64 and arr.size:
        _check_float32_range(arr, name)
    return arr.astype(np.float32, copy=False)


def _check_float32_range(arr: np.ndarray, name: str) -> None:
    """No value beyond float32's range (the cast would make it inf)."""
    peak = np.max(np.abs(arr), axis=1)
    limit = float(np.finfo(np.float32).max)
    rows = np.flatnonzero(peak > limit)
    if len(rows):
        raise InputError(
            f"{name} must hold values float32 can hold (magnitudes up to {limit:.3g}); rows "
            f"{rows[:5].tolist()}{'...' if len(rows) > 5 else ''} hold magnitudes up to {float(peak[rows].max()):.3g} "
            "(scale them down: embeddings are compared by direction)"
        )


@overload
def check_int(value: Any, name: str, *, minimum: int | None = None, allow_none: Literal[False] = False) -> int: ...
@overload
def check_int(value: Any, name: str, *, minimum: int | None = None, allow_none: bool) -> int | None: ...
def check_int(value: Any, name: str, *, minimum: int | None = None, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer{_bound(minimum)}; got {_describe(value)}")
    if minimum is not None and value < minimum:
        raise InputError(f"{name} must be an integer{_bound(minimum)}; got {value}")
    return int(value)


def check_float(value: Any, name: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise InputError(f"{name} must be a number in [{low}, {high}]; got {_describe(value)}")
    # typeshed's numbers.Real declares only < and <=, but every Real orders against a float.
    number = cast(float, value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise InputError(f"{name} must be a number in [{low}, {high}]; got {value}")
    return float(value)


def check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be True or False; got {_describe(value)}")
    return bool(value)


def _bound(minimum: int | None) -> str:
    return f" >= {minimum}" if minimum is not None else ""


def check_labels(y: Any, n_rows: int, *, name: str = "y") -> np.ndarray:
    """Integer labels, one per document, -1 meaning unlabelled."""
    try:
        arr = np.asarray(y)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a list of integer labels; got {_describe(y)}") from None
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        raise InputError(f"{name} must have one label per document: expected {n_rows}, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"{name} must hold integers (-1 for unlabelled); got dtype {arr.dtype}")
    if (arr < -1).any():
        raise InputError(f"{name} must hold integers >= -1 (-1 for unlabelled); got {int(arr.min())}")
    return arr.astype(np.int64)


LANGUAGES = ("english", "multilingual")


def check_language(language: Any, embedding_model: Any) -> None:
    """``language``: "english", or "multilingual" with an ``embedding_model`` (none ships offline)."""
    if not isinstance(language, str) or language.lower() not in LANGUAGES:
        raise InputError(
            f"language must be one of {list(LANGUAGES)} (for another language use 'multilingual' with a "
            f"multilingual embedding_model); got {language!r}"
        )
    if language.lower() == "multilingual" and embedding_model is None:
        raise InputError(
            "language='multilingual' needs a multilingual embedding_model, and none ships offline with topicscope: "
            "pass embedding_model='paraphrase-multilingual-MiniLM-L12-v2' (BERTopic's choice, loaded from your "
            "Hugging Face cache) or another multilingual sentence-transformers model or folder"
        )


# The longest n-grams topicscope counts (n_gram_range at fit, a saved vectorizer's ngram_range): an
# n-gram of n words costs n times a word to form and to hash, so a bound keeps counting linear in the text.
MAX_N_GRAM = 10


def check_n_gram_range(value: Any) -> tuple[int, int]:
    """``n_gram_range``: a pair (min_n, max_n) of integers with 1 <= min_n <= max_n <= MAX_N_GRAM."""
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or not 1 <= value[0] <= value[1] <= MAX_N_GRAM
    ):
        raise InputError(
            f"n_gram_range must be a pair (min_n, max_n) with 1 <= min_n <= max_n <= {MAX_N_GRAM}; got {value!r}"
        )
    return (int(value[0]), int(value[1]))
