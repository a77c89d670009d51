"""Topics over time and per class: c-TF-IDF words of every (topic, bin) or (topic, class) cell.

``topics_over_time`` and ``topics_per_class`` are BERTopic's methods; the tables themselves come
from ``over_time_table`` and ``per_class_table``. With ``topics`` (one per document) any documents
can be analysed; without, ``docs`` must be the training documents, recognised by the fingerprint
of their text (``analysed_topics``).

The documents are counted once (the fit-time document-term matrix for the training documents),
then summed per cell with ONE ``grouped_counts`` call on a combined key ``group * topics + topic``.
A cell's weights are its counts through the model's c-TF-IDF (fitted idf, same settings), then,
as BERTopic documents it:

* ``evolution_tuning`` (over time): the cell's L1-normalised row is averaged with the tuned row of
  the same topic in the previous bin, when the topic has documents there. (BERTopic 0.17 assigns the
  average into a temporary copy, so its option changes nothing; here it takes effect.)
* ``global_tuning``: the row is averaged with the topic's L1-normalised global c-TF-IDF row.

Tuning only reweighs: the words shown for a cell are picked among the terms its documents contain
(BERTopic #142, #688 show global words a bin never used). Frequency is the exact number of the
cell's documents. Rows: bins (classes) in ascending order, topics ascending within each.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._topics import fit_on_state
from .._validation import check_documents, check_int
from ..exceptions import InputError
from ..state import TopicState
from ..vectorize import ClassTfidfTransformer, grouped_counts

if TYPE_CHECKING:
    from .view import ModelView

SHOWN_WORDS = 5  # BERTopic joins the first five words of each cell


# ------------------------------------------------------------------------------------------ the verbs
def topics_over_time(
    view: ModelView,
    docs: Sequence[str],
    timestamps: Any,
    topics: Sequence[int] | None = None,
    nr_bins: int | None = None,
    datetime_format: str | None = None,
    evolution_tuning: bool = True,
    global_tuning: bool = True,
) -> Any:
    """BERTopic's ``topics_over_time``: the table of ``over_time_table`` for ``docs``.

    Everything is checked (timestamps parsed included) before any document is counted.
    """
    documents = check_documents(docs, name="docs")
    if nr_bins is not None:
        nr_bins = check_int(nr_bins, "nr_bins (or None)", minimum=1)
    parsed = parse_timestamps(timestamps, len(documents), datetime_format)
    doc_term, assigned = analysed_topics(view, documents, topics)
    return over_time_table(
        view.state(),
        model_weigher(view),
        doc_term,
        assigned,
        parsed,
        nr_bins=nr_bins,
        evolution_tuning=bool(evolution_tuning),
        global_tuning=bool(global_tuning),
        n_words=min(int(view.top_n_words), SHOWN_WORDS),
    )


def topics_per_class(
    view: ModelView,
    docs: Sequence[str],
    classes: Any,
    global_tuning: bool = True,
    topics: Sequence[int] | None = None,
) -> Any:
    """BERTopic's ``topics_per_class``: the table of ``per_class_table`` for ``docs``."""
    documents = check_documents(docs, name="docs")
    classes = as_column(classes, "classes", len(documents))  # checked before any counting
    doc_term, assigned = analysed_topics(view, documents, topics)
    return per_class_table(
        view.state(),
        model_weigher(view),
        doc_term,
        assigned,
        classes,
        global_tuning=bool(global_tuning),
        n_words=min(int(view.top_n_words), SHOWN_WORDS),
    )


def analysed_topics(view: ModelView, documents: list[str], topics: Any) -> tuple[Any, np.ndarray]:
    """(document-term matrix, topic of each document) of the documents to analyse.

    With ``topics`` any documents can be analysed. Without, ``documents`` must be the documents the
    model was fitted on (recognised by the fingerprint of their text; a merged or online model
    keeps none, so it needs ``topics``), else an InputError says to pass ``topics``. Either way
    the text is hashed once and counted at most once.
    """
    state = view.state()
    if topics is not None:
        assigned = check_document_topics(topics, state, len(documents))
        return view.doc_term(documents), assigned
    n = len(state.doc_topics)
    if not state.training_fingerprint:
        raise InputError(
            "topics is needed: this model (made by merge_models or partial_fit) cannot recognise its "
            "documents, so pass topics= with each document's topic (topics=model.topics_ when docs are "
            "all the documents it was built from, in order; else topics, _ = model.transform(docs))"
        )
    advice = "pass topics= with each document's topic (e.g. topics, _ = model.transform(docs))"
    if len(documents) != n:
        raise InputError(f"docs are not the {n} documents this model was fitted on (got {len(documents)}): {advice}")
    if state.training_doc_term is None:  # a loaded model: recognise the text before counting it
        recognised = view.training_topics(documents)
        if recognised is None:
            raise InputError(f"docs are not the documents this model was fitted on (their text differs): {advice}")
        return view.doc_term(documents), recognised
    doc_term = view.doc_term(documents)  # fit's own matrix exactly when docs are the training documents
    if doc_term is not state.training_doc_term:
        raise InputError(f"docs are not the documents this model was fitted on (their text differs): {advice}")
    return doc_term, state.doc_topics


def model_weigher(view: ModelView) -> Any:
    """``cell_weigher`` of the model's c-TF-IDF and seed words."""
    describer = view.describer()
    return cell_weigher(describer.ctfidf, view.state(), describer.seed_words or ())


# ------------------------------------------------------------------------------------------- the cells


def cell_weigher(ctfidf: ClassTfidfTransformer, state: TopicState, seed_words: Sequence[str] = ()) -> Any:
    """A copy of the model's c-TF-IDF fitted on the topics' counts: ``transform`` weighs any count rows.

    Its idf (seed-word boosts included) and exclusivity reference are those of the model's topic
    words, so ``transform(state.class_term)`` gives ``state.ctfidf``.
    """
    words = sorted(set(ctfidf.seed_words or ()) | set(seed_words))
    weigher = ClassTfidfTransformer(**ctfidf.get_params()).set_params(seed_words=words or None)
    return fit_on_state(weigher, state)


def check_document_topics(topics: Any, state: TopicState, n_docs: int) -> np.ndarray:
    """``topics`` as int64 topic ids of the model, one per document (InputError naming ``topics``)."""
    arr = np.asarray(topics.tolist() if hasattr(topics, "tolist") else list(topics), dtype=object)
    if arr.ndim != 1 or len(arr) != n_docs:
        shape = len(arr) if arr.ndim == 1 else arr.shape
        raise InputError(f"topics must have one entry per document in docs ({n_docs}); got {shape}")
    ints = np.zeros(n_docs, dtype=np.int64)
    for i, value in enumerate(arr):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise InputError(f"topics must hold integer topic ids; topics[{i}] is {value!r}")
        ints[i] = int(value)
    known = np.isin(ints, state.topic_ids)
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise InputError(
            f"topics must be topic ids of this model {state.topic_ids.tolist()[:20]}; topics[{i}] is {int(ints[i])}"
        )
    return ints


def as_column(values: Any, name: str, n_docs: int) -> Any:
    """``values`` as a pandas Series with one entry per document (InputError naming ``name``)."""
    import pandas as pd

    if values is None or isinstance(values, (str, bytes)):
        raise InputError(f"{name} must be a list with one entry per document ({n_docs}); got {values!r}"[:200])
    if isinstance(values, (pd.Series, pd.Index, np.ndarray)):
        if getattr(values, "ndim", 1) != 1:
            raise InputError(f"{name} must be 1-D (one entry per document); got shape {values.shape}")
        series = pd.Series(np.asarray(values) if isinstance(values, np.ndarray) else values.array)
    else:
        try:
            series = pd.Series(list(values))
        except TypeError:
            raise InputError(
                f"{name} must be a list with one entry per document; got {type(values).__name__}"
            ) from None
    if len(series) != n_docs:
        raise InputError(f"{name} must have one entry per document in docs ({n_docs}); got {len(series)}")
    return series.reset_index(drop=True)


def _first_missing(series: Any, name: str, what: str) -> None:
    missing = np.flatnonzero(series.isna().to_numpy())
    if len(missing):
        i = int(missing[0])
        raise InputError(f"{name}[{i}] is missing ({series.iloc[i]!r}); every document needs {what}")


def parse_timestamps(timestamps: Any, n_docs: int, datetime_format: str | None = None) -> Any:
    """The timestamps as a pandas Series: strings parsed as dates, numbers and datetimes kept.

    Strings go through ``pd.to_datetime(format=datetime_format)`` (BERTopic's rule; pandas infers
    the format from the first one when it is None). An entry that is missing or cannot be parsed is
    an InputError naming its row and value.
    """
    import pandas as pd

    series = as_column(timestamps, "timestamps", n_docs)
    _first_missing(series, "timestamps", "a timestamp")
    if pd.api.types.is_bool_dtype(series.dtype):
        raise InputError("timestamps must be dates (strings or datetimes) or numbers; got booleans")
    if pd.api.types.is_numeric_dtype(series.dtype) or isinstance(series.dtype, pd.DatetimeTZDtype):
        return series
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    kinds = {type(v) for v in series}
    if not all(issubclass(k, str) for k in kinds):
        if all(issubclass(k, (pd.Timestamp, np.datetime64)) or k.__name__ in ("datetime", "date") for k in kinds):
            strings = None
        else:
            i = next(i for i, v in enumerate(series) if not isinstance(v, str))
            raise InputError(
                f"timestamps must all be date strings, all datetimes or all numbers; timestamps[{i}] is "
                f"{series.iloc[i]!r} ({type(series.iloc[i]).__name__})"
            )
    else:
        strings = series
    how = f"datetime_format={datetime_format!r}" if datetime_format else "the format of the first timestamp"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' format-inference and mixed-offset notes
            parsed = pd.to_datetime(series, format=datetime_format, errors="coerce")
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"timestamps could not be parsed as dates with {how}: {exc}") from None
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        i = int(bad[0])
        hint = " (pass datetime_format, e.g. '%d/%m/%Y', 'ISO8601' or 'mixed')" if strings is not None else ""
        raise InputError(
            f"timestamps[{i}] = {series.iloc[i]!r} could not be parsed as a date with {how}{hint}; "
            f"{len(bad)} timestamp(s) could not be parsed"
        )
    if not pd.api.types.is_datetime64_any_dtype(parsed.dtype):
        raise InputError("timestamps mix time zones: give them all one offset (or convert them to UTC first)")
    return parsed


def bin_timestamps(series: Any, nr_bins: int | None) -> tuple[np.ndarray, Any]:
    """(bin of each document, label of each bin in ascending order).

    Without ``nr_bins`` each distinct timestamp is a bin; with it, ``pd.cut`` makes ``nr_bins``
    equal-width bins labelled by their left edge (BERTopic's labels) and only bins holding
    documents are kept.
    """
    import pandas as pd

    if nr_bins is None:
        codes, labels = pd.factorize(series, sort=True)
        return codes.astype(np.int64), labels
    cut = pd.cut(series, bins=nr_bins)
    codes = cut.cat.codes.to_numpy().astype(np.int64)
    used = np.unique(codes)
    return np.searchsorted(used, codes), cut.cat.categories.left.take(used)


def class_labels(classes: Any, n_docs: int) -> tuple[np.ndarray, Any]:
    """(class of each document, the classes in ascending order; first-seen order if they do not sort)."""
    import pandas as pd

    series = as_column(classes, "classes", n_docs)
    _first_missing(series, "classes", "a class")
    try:
        codes, labels = pd.factorize(series, sort=True)
    except TypeError:  # classes of types that do not compare (e.g. str and int)
        codes, labels = pd.factorize(series, sort=False)
    return codes.astype(np.int64), labels


def top_terms(weights: sp.csr_matrix, n: int) -> list[np.ndarray]:
    """The column indices of each row's ``n`` largest positive weights (ties: lower column first)."""
    weights = sp.csr_matrix(weights)
    weights.sort_indices()
    rows = np.repeat(np.arange(weights.shape[0]), np.diff(weights.indptr))
    keep = weights.data > 0
    rows, cols, vals = rows[keep], weights.indices[keep], weights.data[keep]
    order = np.lexsort((cols, -vals, rows))
    rows, cols = rows[order], cols[order]
    starts = np.searchsorted(rows, np.arange(weights.shape[0] + 1))
    return [cols[starts[i] : min(starts[i] + n, starts[i + 1])] for i in range(weights.shape[0])]


def _l1(matrix: sp.csr_matrix) -> sp.csr_matrix:
    sums = np.asarray(abs(matrix).sum(axis=1)).ravel()
    return sp.csr_matrix(sp.diags(np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)) @ matrix)


def _entries(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``matrix[rows[i], cols[i]]`` for every i (0 where not stored), by one sorted search."""
    coo = sp.coo_matrix(matrix)
    stored = coo.row.astype(np.int64) * matrix.shape[1] + coo.col
    order = np.argsort(stored, kind="stable")
    stored = stored[order]
    wanted = np.asarray(rows, dtype=np.int64) * matrix.shape[1] + np.asarray(cols, dtype=np.int64)
    if not len(stored):
        return np.zeros(len(wanted))
    pos = np.minimum(np.searchsorted(stored, wanted), len(stored) - 1)
    return np.where(stored[pos] == wanted, coo.data[order][pos], 0.0)


def tuned_weights(
    own: sp.csr_matrix,
    cell_topic: np.ndarray,
    cell_group: np.ndarray,
    glob: sp.csr_matrix | None,
    *,
    evolution: bool,
) -> sp.csr_matrix:
    """The tuned weights of every cell, at the terms the cell contains (``own``'s non-zeros).

    ``own``: each cell's (L1-normalised) c-TF-IDF row; ``glob``: each topic's L1-normalised global
    row (None: no global tuning). With ``evolution``, a cell whose topic has a cell in the previous
    group is averaged with that cell's tuned row, then with the global row. Unrolled, a cell at
    position ``p`` of a run of consecutive groups is ``c_p * glob + H``, with ``c_p`` a geometric sum
    and ``H = alpha * own + beta**gap * H_prev`` over the previous cell of the run holding the same
    term; only a cell's own terms are ever shown, so ``H`` is followed along each (topic, term) run
    at those terms alone, never over whole rows.
    """
    own = sp.csr_matrix(own)
    own.sort_indices()
    n_cells = own.shape[0]
    cell = np.repeat(np.arange(n_cells), np.diff(own.indptr))
    term, value = own.indices.astype(np.int64), own.data
    half = 0.5 if glob is not None else 1.0  # the weight of a cell's own row after global tuning
    if evolution:
        by_topic = np.lexsort((cell_group, cell_topic))
        topic_s, group_s = cell_topic[by_topic], cell_group[by_topic]
        starts = np.ones(n_cells, dtype=bool)
        starts[1:] = (topic_s[1:] != topic_s[:-1]) | (group_s[1:] != group_s[:-1] + 1)
        run_s = np.cumsum(starts)
        pos_s = np.arange(n_cells) - np.maximum.accumulate(np.where(starts, np.arange(n_cells), 0))
        run, pos = np.empty_like(run_s), np.empty_like(pos_s)
        run[by_topic], pos[by_topic] = run_s, pos_s
        beta = half / 2  # (own + previous) / 2, then (that + global) / 2
        alpha = np.where(pos[cell] > 0, beta, half)
        scale = half * (1 - beta ** (pos + 1.0)) / (1 - beta) if glob is not None else np.zeros(n_cells)
        order = np.lexsort((cell_group[cell], term, run[cell]))
        tuned = alpha[order] * value[order]
        same = np.zeros(len(order), dtype=bool)
        same[1:] = (run[cell[order]][1:] == run[cell[order]][:-1]) & (term[order][1:] == term[order][:-1])
        gap = np.diff(pos[cell[order]], prepend=0)
        depth = np.arange(len(order)) - np.maximum.accumulate(np.where(same, 0, np.arange(len(order))))
        by_depth = np.argsort(depth, kind="stable")
        bounds = np.searchsorted(depth[by_depth], np.arange(1, int(depth.max(initial=0)) + 2))
        for d in range(len(bounds) - 1):  # one vector step per position along the runs
            idx = by_depth[bounds[d] : bounds[d + 1]]
            tuned[idx] += beta ** gap[idx] * tuned[idx - 1]
        out = np.empty_like(tuned)
        out[order] = tuned
    else:
        out = half * value
        scale = np.full(n_cells, 0.5 if glob is not None else 0.0)
    if glob is not None:
        out = out + scale[cell] * _entries(glob, cell_topic[cell], term)
    return sp.csr_matrix((out, own.indices, own.indptr), shape=own.shape)


def cell_words(
    state: TopicState,
    weigher: Any,
    doc_term: sp.csr_matrix,
    doc_rows: np.ndarray,
    doc_groups: np.ndarray,
    n_groups: int,
    *,
    global_tuning: bool,
    evolution_tuning: bool,
    n_words: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(topic row, group, documents, words) of every non-empty cell, ordered by group then topic."""
    k = len(state.topic_ids)
    key = doc_groups * k + doc_rows
    freq = np.bincount(key, minlength=n_groups * k)
    cells = np.flatnonzero(freq)
    counts = grouped_counts(doc_term, np.searchsorted(cells, key), len(cells))
    cell_topic, cell_group = cells % k, cells // k
    weights = weigher.transform(counts)
    if global_tuning or evolution_tuning:
        weights = _l1(weights)
    glob = _l1(sp.csr_matrix(state.ctfidf, dtype=np.float64)) if global_tuning else None
    # Tuning reweighs the cell's own terms only: a word shown occurs in the cell's documents.
    shown = tuned_weights(weights, cell_topic, cell_group, glob, evolution=bool(evolution_tuning))
    vocab = state.vocabulary
    words = [", ".join(str(vocab[c]) for c in picked) for picked in top_terms(shown, n_words)]
    return cell_topic, cell_group, freq[cells].astype(np.int64), words


# ------------------------------------------------------------------------------------------- the tables
def over_time_table(
    state: TopicState,
    weigher: Any,
    doc_term: sp.csr_matrix,
    doc_topics: np.ndarray,
    timestamps: Any,
    *,
    nr_bins: int | None = None,
    evolution_tuning: bool = True,
    global_tuning: bool = True,
    n_words: int = SHOWN_WORDS,
) -> Any:
    """BERTopic's ``topics_over_time`` table (Topic, Words, Frequency, Timestamp) of the documents.

    ``doc_term`` and ``doc_topics`` hold one row per document, ``timestamps`` is ``parse_timestamps``'
    Series and ``weigher`` is ``cell_weigher``'s.
    """
    import pandas as pd

    groups, labels = bin_timestamps(timestamps, nr_bins)
    rows = np.searchsorted(state.topic_ids, doc_topics)
    topic, group, freq, words = cell_words(
        state,
        weigher,
        doc_term,
        rows,
        groups,
        len(labels),
        global_tuning=bool(global_tuning),
        evolution_tuning=bool(evolution_tuning),
        n_words=n_words,
    )
    return pd.DataFrame(
        {
            "Topic": state.topic_ids[topic].astype(np.int64),
            "Words": pd.Series(words),
            "Frequency": freq,
            "Timestamp": pd.Series(labels.take(group)),
        }
    )


def per_class_table(
    state: TopicState,
    weigher: Any,
    doc_term: sp.csr_matrix,
    doc_topics: np.ndarray,
    classes: Any,
    *,
    global_tuning: bool = True,
    n_words: int = SHOWN_WORDS,
) -> Any:
    """BERTopic's ``topics_per_class`` table (Topic, Words, Frequency, Class) of the documents."""
    import pandas as pd

    groups, labels = class_labels(classes, doc_term.shape[0])
    rows = np.searchsorted(state.topic_ids, doc_topics)
    topic, group, freq, words = cell_words(
        state,
        weigher,
        doc_term,
        rows,
        groups,
        len(labels),
        global_tuning=bool(global_tuning),
        evolution_tuning=False,
        n_words=n_words,
    )
    return pd.DataFrame(
        {
            "Topic": state.topic_ids[topic].astype(np.int64),
            "Words": pd.Series(words),
            "Frequency": freq,
            "Class": pd.Series(list(labels.take(group))),
        }
    )
