"""Topic search: the topics closest to an embedded search term (``find_topics``).

The term is embedded by the model's embedding model and compared by cosine similarity with the
topic embeddings (the normalised mean embedding of each topic's documents). Only the term is
embedded, so a model fitted on precomputed document embeddings can search as long as its
embedding model can embed text (BERTopic refuses it: #79, #1561). The outlier topic -1 is not a
topic and is never returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._neighbors import normalise_rows
from .._validation import check_int
from ..exceptions import InputError
from ..state import TopicState

if TYPE_CHECKING:
    from .view import ModelView


def find_topics(
    view: ModelView, search_term: str, top_n: int = 5, *, image: Any = None
) -> tuple[list[int], list[float]]:
    """BERTopic's ``find_topics``: the ``top_n`` topics closest to ``search_term``, best first, and their cosines."""
    if image is not None:
        raise InputError("image search is not supported by topicscope; got image= (pass a search_term)")
    state = view.state()
    term = check_search_term(search_term)
    top_n = check_int(top_n, "top_n", minimum=1)
    vector = view.embedder().embed([term], verbose=False)
    return closest_topics(state, vector, top_n)


def check_search_term(search_term: object) -> str:
    """``search_term`` as a non-blank string, else an ``InputError`` naming it."""
    if not isinstance(search_term, str):
        raise InputError(f"search_term must be a string; got {type(search_term).__name__}")
    if not search_term.strip():
        raise InputError(f"search_term must contain text; got {search_term!r}")
    return search_term


def closest_topics(state: TopicState, term_embedding: np.ndarray, top_n: int) -> tuple[list[int], list[float]]:
    """The ``top_n`` topics most similar to ``term_embedding``, most similar first, with their cosines.

    Ties are broken by topic id. Fewer than ``top_n`` are returned when the model has fewer topics.
    """
    vector = np.asarray(term_embedding, dtype=np.float64).reshape(-1)
    if vector.shape[0] != state.embedding_dim:
        raise InputError(
            f"embedding_model must embed into the model's {state.embedding_dim} dimensions (the topic "
            f"embeddings'); it gave a vector of {vector.shape[0]}"
        )
    if not np.isfinite(vector).all():
        raise InputError("embedding_model returned a vector with NaN or infinite values for the search term")
    rows = np.flatnonzero(state.topic_ids != -1)
    ids = state.topic_ids[rows]
    topics = normalise_rows(np.asarray(state.topic_embeddings[rows], dtype=np.float64))
    sims = topics @ normalise_rows(vector[None, :])[0]
    order = np.lexsort((ids, -sims))[:top_n]
    return [int(t) for t in ids[order]], [float(s) for s in sims[order]]
