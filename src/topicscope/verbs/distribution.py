"""Topic distributions of documents from sliding token windows (BERTopic's ``approximate_distribution``).

``approximate_distribution`` checks BERTopic's arguments and runs ``model_distributions``, which
``reduce_outliers`` also uses; the algorithm itself is ``window_distributions``.

Each document is cut into windows of ``window`` tokens every ``stride`` tokens (tokens from the
fitted vectorizer's tokenizer). A window is compared with every topic: its term counts, weighted
like the topics' c-TF-IDF, by cosine similarity with the topics' c-TF-IDF rows (or, with
``use_embedding_model``, its embedding with the topic embeddings). Similarities below
``min_similarity`` are dropped, the rest are summed per document and each row is scaled to sum to
1 (a document no window matches keeps a zero row).

How it stays fast and small:

* Every distinct token is analysed once (``TokenTerms``); a window's term counts are then a sparse
  product of a windows x tokens indicator with the tokens' terms, for all windows of a chunk at
  once. No window is joined into a string or vectorised on its own. Vectorizers for which a window's
  terms are not the union of its tokens' terms (n-grams, character analyzers, custom callables)
  count the joined windows of a chunk with one ``count_documents`` call instead.
* Documents are processed ``batch_size`` at a time and a batch's windows in chunks of at most
  ``CHUNK_CELLS / n_topics`` windows, so the largest array is bounded whatever the corpus size:
  no all-windows x topics matrix is ever built.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._logging import progress
from .._neighbors import normalise_rows
from .._validation import check_documents, check_float, check_int
from ..exceptions import InputError
from ..state import TopicState
from ..vectorize import count_documents
from ..vectorize.ctfidf import ctfidf_idf

if TYPE_CHECKING:
    from .view import ModelView

# Largest (windows x topics) similarity block computed at once: 2**21 float64 cells = 16 MiB.
CHUNK_CELLS = 2**21
# At most this many windows at once (their token positions and counts are a few MiB).
MAX_CHUNK_WINDOWS = 2**16
# Topic c-TF-IDF rows are kept dense (vocabulary x topics) up to this many cells (32 MiB), sparse above.
DENSE_TOPIC_CELLS = 2**22
# The distinct-token cache is emptied between batches once it holds this many tokens.
MAX_CACHED_TOKENS = 2**17
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # scikit-learn's CountVectorizer default


# ------------------------------------------------------------------------------------------ the verb
def approximate_distribution(
    view: ModelView,
    documents: str | Sequence[str],
    window: int = 4,
    stride: int = 1,
    min_similarity: float = 0.1,
    batch_size: int | None = 1000,
    padding: bool = False,
    use_embedding_model: bool = False,
    calculate_tokens: bool = False,
    separator: str = " ",
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """BERTopic's ``approximate_distribution``: one string or a list of documents (see ``window_distributions``)."""
    view.state()
    docs = [documents] if isinstance(documents, str) else check_documents(documents, allow_empty=True)
    params = check_distribution_params(
        window=window,
        stride=stride,
        min_similarity=min_similarity,
        batch_size=batch_size,
        padding=padding,
        use_embedding_model=use_embedding_model,
        calculate_tokens=calculate_tokens,
        separator=separator,
    )
    return model_distributions(view, docs, params)


def model_distributions(
    view: ModelView, docs: list[str], params: DistributionParams
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """``window_distributions`` of ``docs`` with the model's tokenizer, c-TF-IDF (or embedding model)."""
    state = view.state()
    text = WindowText.from_vectorizer(view.vectorizer(), params.separator)
    if params.use_embedding_model:
        embedder = view.embedder()
        return window_distributions(
            state,
            docs,
            text,
            params,
            embed=lambda texts: embedder.embed(texts, verbose=False),
            verbose=bool(view.verbose),
        )
    describer = view.describer()
    matcher = TopicMatcher.from_state(state, describer.ctfidf, describer.seed_words)
    return window_distributions(state, docs, text, params, matcher=matcher, verbose=bool(view.verbose))


@dataclass(frozen=True)
class DistributionParams:
    """``approximate_distribution``'s options, checked (see ``check_distribution_params``)."""

    window: int = 4
    stride: int = 1
    min_similarity: float = 0.1
    batch_size: int | None = 1000
    padding: bool = False
    use_embedding_model: bool = False
    calculate_tokens: bool = False
    separator: str = " "


def check_distribution_params(**params: Any) -> DistributionParams:
    """``DistributionParams`` from keyword values, each checked (an ``InputError`` names the bad one)."""
    allowed = DistributionParams.__dataclass_fields__
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise InputError(f"approximate_distribution has no parameter {unknown}; allowed: {sorted(allowed)}")
    values = {**{k: f.default for k, f in allowed.items()}, **params}
    separator = values["separator"]
    if not isinstance(separator, str):
        raise InputError(f"separator must be a string; got {type(separator).__name__} {separator!r}")
    for flag in ("padding", "use_embedding_model", "calculate_tokens"):
        if not isinstance(values[flag], (bool, np.bool_)):
            raise InputError(f"{flag} must be True or False; got {values[flag]!r}")
    return DistributionParams(
        window=check_int(values["window"], "window", minimum=1),
        stride=check_int(values["stride"], "stride", minimum=1),
        min_similarity=check_float(values["min_similarity"], "min_similarity", low=-1.0, high=1.0),
        batch_size=check_int(values["batch_size"], "batch_size (or None)", minimum=1, allow_none=True),
        padding=bool(values["padding"]),
        use_embedding_model=bool(values["use_embedding_model"]),
        calculate_tokens=bool(values["calculate_tokens"]),
        separator=separator,
    )


# ------------------------------------------------------------------------------ comparing with topics
@dataclass(frozen=True, eq=False)
class TopicMatcher:
    """Cosine similarity of term-count rows, weighted like the topics' c-TF-IDF, with each topic.

    A row of counts is weighted as the c-TF-IDF model weighs a class: term frequency (square-rooted
    with ``reduce_frequent_words``) times the idf the topics were weighted with (seed-word
    multipliers included). The row's length does not matter to a cosine, so frequencies are not
    divided by it. Exclusivity only reweighs words across topics, so it stays on the topic side.
    """

    idf: np.ndarray  # (V,)
    sqrt_tf: bool
    topics_t: np.ndarray | sp.csr_matrix  # (V, k): unit c-TF-IDF rows of the topics, transposed
    topic_ids: np.ndarray  # (k,): the topics other than -1, in column order

    @classmethod
    def from_state(cls, state: TopicState, ctfidf: Any, seed_words: Sequence[str] | None = None) -> TopicMatcher:
        multipliers = None
        if callable(getattr(ctfidf, "multipliers", None)):
            multipliers = ctfidf.multipliers(state.vocabulary, seed_words or ())
        idf = ctfidf_idf(
            state.class_term,
            bm25_weighting=bool(getattr(ctfidf, "bm25_weighting", False)),
            word_multipliers=multipliers,
        )
        rows = np.flatnonzero(state.topic_ids != -1)
        weights = sp.csr_matrix(state.ctfidf, dtype=np.float64)[rows]
        norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
        unit = sp.csr_matrix(sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ weights)
        topics_t: np.ndarray | sp.csr_matrix
        if unit.shape[0] * unit.shape[1] <= DENSE_TOPIC_CELLS:
            topics_t = np.ascontiguousarray(unit.T.toarray())
        else:
            topics_t = sp.csr_matrix(unit.T)
        return cls(
            idf=idf,
            sqrt_tf=bool(getattr(ctfidf, "reduce_frequent_words", False)),
            topics_t=topics_t,
            topic_ids=state.topic_ids[rows].astype(np.int64),
        )

    def similarity(self, counts: sp.spmatrix) -> np.ndarray:
        """(rows, topics) cosine similarities, float64; a row without known terms gives zeros."""
        X = sp.csr_matrix(counts, dtype=np.float64, copy=True)
        X.sum_duplicates()
        if self.sqrt_tf:
            np.sqrt(X.data, out=X.data)
        X.data *= self.idf[X.indices]
        row_of = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        norms = np.sqrt(np.bincount(row_of, weights=X.data**2, minlength=X.shape[0]))
        product = X @ self.topics_t
        sims = np.asarray(product.toarray() if sp.issparse(product) else product, dtype=np.float64)
        sims /= np.where(norms > 0, norms, 1.0)[:, None]
        return sims


def embedding_similarity(embeddings: np.ndarray, state: TopicState) -> np.ndarray:
    """(rows, topics) cosine similarities of embeddings with the topic embeddings (outliers excluded)."""
    topics = normalise_rows(np.asarray(state.topic_embeddings, dtype=np.float32)[state.topic_ids != -1])
    return np.asarray(normalise_rows(np.asarray(embeddings, dtype=np.float32)) @ topics.T, dtype=np.float64)


# ------------------------------------------------------------------------------------- windows of text
@dataclass(frozen=True)
class WindowText:
    """How windows are cut and counted: the vectorizer's tokenizer and analyzer.

    ``tokenwise``: a window's terms are the union of its tokens' terms (true for scikit-learn's
    word analyzer on unigrams with its default tokenizer, when ``separator`` holds no word
    character), so windows are counted from each distinct token's terms without joining strings.
    """

    tokenize: Callable[[str], list[str]]
    analyze: Callable[[str], list[str]]
    tokenwise: bool

    @classmethod
    def from_vectorizer(cls, vectorizer: Any, separator: str) -> WindowText:
        from sklearn.feature_extraction.text import CountVectorizer

        build_tokenizer = getattr(vectorizer, "build_tokenizer", None)
        build_analyzer = getattr(vectorizer, "build_analyzer", None)
        if not callable(build_analyzer):
            raise InputError(
                f"vectorizer_model must have build_analyzer() to count windows; got {type(vectorizer).__name__}"
            )
        tokenize = build_tokenizer() if callable(build_tokenizer) else re.compile(DEFAULT_TOKEN_PATTERN).findall
        tokenwise = (
            isinstance(vectorizer, CountVectorizer)
            and vectorizer.analyzer == "word"
            and tuple(vectorizer.ngram_range)[1] == 1
            and vectorizer.tokenizer is None
            and vectorizer.preprocessor is None
            and vectorizer.token_pattern == DEFAULT_TOKEN_PATTERN
            and separator != ""
            and re.search(r"\w", separator) is None
        )
        return cls(tokenize=tokenize, analyze=build_analyzer(), tokenwise=tokenwise)


class TokenTerms:
    """Each distinct token's vocabulary terms, found by analysing the token once."""

    def __init__(self, analyze: Callable[[str], list[str]], vocabulary: Sequence[str] | np.ndarray) -> None:
        self.analyze = analyze
        self.index = {str(t): i for i, t in enumerate(vocabulary)}
        self.n_terms = len(vocabulary)
        self.clear()

    def clear(self) -> None:
        self.uid: dict[str, int] = {}
        self.indptr: list[int] = [0]
        self.indices: list[int] = []

    def ids(self, tokens: list[str]) -> list[int]:
        """The token id of each token (new tokens are analysed and added)."""
        uid = self.uid
        for token in tokens:
            if token not in uid:
                uid[token] = len(uid)
                self.indices.extend(self.index[t] for t in self.analyze(token) if t in self.index)
                self.indptr.append(len(self.indices))
        return [uid[t] for t in tokens]

    def matrix(self) -> sp.csr_matrix:
        """(tokens known, vocabulary) term counts of each token."""
        indices = np.asarray(self.indices, dtype=np.int64)
        return sp.csr_matrix(
            (np.ones(len(indices)), indices, np.asarray(self.indptr, dtype=np.int64)),
            shape=(len(self.uid), self.n_terms),
        )


def window_spans(n_tokens: np.ndarray, window: int, stride: int, padding: bool) -> tuple[np.ndarray, ...]:
    """(document, first token, length) of every window, documents in order, BERTopic's windows.

    A document shorter than ``window`` is one window (an empty document, one empty window).
    Otherwise a window starts every ``stride`` tokens; windows cut short by the end of the document
    are kept only with ``padding``, which also adds ``ceil(window / stride) - 1`` growing windows
    before the first one.
    """
    n_tokens = np.asarray(n_tokens, dtype=np.int64)
    short = n_tokens < window
    n_pre = (math.ceil(window / stride) - 1) if padding else 0
    if padding:
        n_regular = -(-n_tokens // stride)
    else:
        n_regular = np.maximum(n_tokens - window, -1) // stride + 1
    count = np.where(short, 1, n_pre + n_regular)
    doc = np.repeat(np.arange(len(n_tokens)), count)
    local = np.arange(len(doc)) - np.repeat(np.cumsum(count) - count, count)
    size = n_tokens[doc]
    is_short = short[doc]
    is_pre = ~is_short & (local < n_pre)
    start = np.where(is_short | is_pre, 0, (local - n_pre) * stride)
    length = np.where(
        is_short, size, np.where(is_pre, window - (n_pre - local) * stride, np.minimum(window, size - start))
    )
    return doc, start, length


def _positions(first: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The token positions ``first[i] .. first[i] + length[i] - 1`` of every window, flattened."""
    total = int(length.sum())
    offsets = np.repeat(first - (np.cumsum(length) - length), length)
    return offsets + np.arange(total)


# ------------------------------------------------------------------------------------ the distributions
def window_distributions(
    state: TopicState,
    documents: list[str],
    text: WindowText,
    params: DistributionParams,
    *,
    matcher: TopicMatcher | None = None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    verbose: bool = False,
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """(documents x topics distribution, per-document tokens x topics arrays or None).

    Topics are the columns of ``state.topic_ids`` other than -1, in order. ``matcher`` compares
    windows by c-TF-IDF; ``embed`` (with ``params.use_embedding_model``) by embeddings.
    """
    k = int((state.topic_ids != -1).sum())
    if params.use_embedding_model and embed is None:
        raise InputError("use_embedding_model=True needs an embedding model (pass embedding_model=)")
    if not params.use_embedding_model and matcher is None:
        raise InputError("approximate_distribution needs a TopicMatcher when use_embedding_model=False")
    terms = TokenTerms(text.analyze, state.vocabulary) if text.tokenwise and not params.use_embedding_model else None
    batch = params.batch_size or max(len(documents), 1)
    starts = range(0, len(documents), batch)
    distributions = np.zeros((len(documents), k), dtype=np.float64)
    token_arrays: list[np.ndarray] | None = [] if params.calculate_tokens else None
    for first in progress(starts, verbose=verbose, desc="topic distributions", total=len(starts)):
        docs = documents[first : first + batch]
        rows, tokens = _batch(state, docs, text, params, terms, matcher, embed, k)
        distributions[first : first + len(docs)] = rows
        if token_arrays is not None and tokens is not None:
            token_arrays.extend(tokens)
    totals = np.abs(distributions).sum(axis=1, keepdims=True)
    np.divide(distributions, totals, out=distributions, where=totals > 0)
    return distributions, token_arrays


@dataclass
class _BatchTokens:
    """A batch's tokens: per document their number, and either their ids (tokenwise) or their text."""

    n_tokens: np.ndarray  # (documents,)
    ids: np.ndarray | None  # (tokens,) ids in TokenTerms, when counting token by token
    terms: sp.csr_matrix | None  # (token ids, vocabulary) terms of each token id
    text: list[str]  # the tokens themselves otherwise

    @classmethod
    def read(cls, docs: list[str], text: WindowText, terms: TokenTerms | None) -> _BatchTokens:
        n_tokens = np.zeros(len(docs), dtype=np.int64)
        if terms is None:
            flat: list[str] = []
            for i, doc in enumerate(docs):
                tokens = text.tokenize(doc)
                n_tokens[i] = len(tokens)
                flat.extend(tokens)
            return cls(n_tokens, None, None, flat)
        if len(terms.uid) > MAX_CACHED_TOKENS:
            terms.clear()
        ids: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        for i, doc in enumerate(docs):  # keep each token's id only, not its text
            tokens = text.tokenize(doc)
            n_tokens[i] = len(tokens)
            ids.append(np.asarray(terms.ids(tokens), dtype=np.int64))
        return cls(n_tokens, np.concatenate(ids), terms.matrix(), [])

    def joined(self, first: np.ndarray, length: np.ndarray, separator: str) -> list[str]:
        """Each window's tokens joined by ``separator`` (only when the tokens' text is kept)."""
        return [separator.join(self.text[s : s + n]) for s, n in zip(first, length)]


def _batch(
    state: TopicState,
    docs: list[str],
    text: WindowText,
    params: DistributionParams,
    terms: TokenTerms | None,
    matcher: TopicMatcher | None,
    embed: Callable[[list[str]], np.ndarray] | None,
    k: int,
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Summed window similarities of one batch of documents (and each token's, with calculate_tokens)."""
    tokens = _BatchTokens.read(docs, text, terms)
    n_tokens = tokens.n_tokens
    doc_offset = np.cumsum(n_tokens) - n_tokens
    window_doc, start, length = window_spans(n_tokens, params.window, params.stride, params.padding)
    first_token = doc_offset[window_doc] + start
    sums = np.zeros((len(docs), k), dtype=np.float64)
    token_sums = np.zeros((int(n_tokens.sum()), k), dtype=np.float64) if params.calculate_tokens else None
    step = max(1, min(MAX_CHUNK_WINDOWS, CHUNK_CELLS // max(k, 1)))
    for lo in range(0, len(window_doc), step):
        part = slice(lo, lo + step)
        w_first, w_len, w_doc = first_token[part], length[part], window_doc[part]
        positions = _positions(w_first, w_len)
        indptr = np.concatenate([[0], np.cumsum(w_len)])
        if params.use_embedding_model:
            sims = np.zeros((len(w_doc), k), dtype=np.float64)
            filled = np.flatnonzero(w_len > 0)
            if len(filled) and k and embed is not None:
                windows = tokens.joined(w_first[filled], w_len[filled], params.separator)
                sims[filled] = embedding_similarity(embed(windows), state)
        else:
            assert matcher is not None
            if tokens.ids is not None and tokens.terms is not None:
                windows_tokens = sp.csr_matrix(
                    (np.ones(len(positions)), tokens.ids[positions], indptr),
                    shape=(len(w_doc), tokens.terms.shape[0]),
                )
                counts = windows_tokens @ tokens.terms
            else:
                windows = tokens.joined(w_first, w_len, params.separator)
                counts = count_documents(windows, state.vocabulary, text.analyze)
            sims = matcher.similarity(counts)
        sims[sims < params.min_similarity] = 0.0
        if token_sums is not None:
            if len(positions):  # each token adds up the windows that hold it
                base = int(positions.min())
                cover = sp.csr_matrix(
                    (np.ones(len(positions)), positions - base, indptr),
                    shape=(len(w_doc), int(positions.max()) - base + 1),
                )
                token_sums[base : base + cover.shape[1]] += cover.T @ sims
        else:
            boundaries = np.flatnonzero(np.r_[True, w_doc[1:] != w_doc[:-1]])
            sums[w_doc[boundaries]] += np.add.reduceat(sims, boundaries, axis=0)
    if token_sums is None:
        return sums, None
    # As BERTopic: with calculate_tokens a document's distribution is the sum of its tokens' rows.
    arrays = [token_sums[o : o + n].copy() for o, n in zip(doc_offset, n_tokens)]
    for i, arr in enumerate(arrays):
        sums[i] = arr.sum(axis=0)
    return sums, arrays
