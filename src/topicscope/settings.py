"""What a fit is told: the estimator's parameters as one frozen, typed object.

``TopicModel.settings()`` builds a :class:`FitSettings` from ``get_params(deep=False)``; the fitting
core (``pipeline.fit_topics``), the Dask engine, persistence and the verbs that re-describe topics
read their parameters from it and never from the estimator. ``pipeline.check_params`` checks the
settings and ``pipeline.check_n_docs`` checks them against a number of documents.

The fields hold the values as the user gave them: nothing is checked, converted or copied here, and
the components (``embedding_model``, ``umap_model``, ``hdbscan_model``, ``vectorizer_model``,
``ctfidf_model``, ``representation_model``) are the user's objects themselves. The fitting core
fits copies of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

#: The default ``fit_sample_size``. Up to this many documents a fit is exact and unchanged; above it the
#: structure is fitted on this many (docs/scale.md: a 10% sample of octis_dblp scores within 0.013 NMI
#: of a full fit).
DEFAULT_FIT_SAMPLE_SIZE = 100_000


@dataclass(frozen=True)
class FitSettings:
    """The parameters of a ``TopicModel`` (see its docstring for what each one means).

    The defaults are ``TopicModel()``'s. The annotations say what ``pipeline.check_params`` accepts;
    values that were not checked yet may be anything.
    """

    language: str = "english"
    top_n_words: int = 10
    n_gram_range: tuple[int, int] = (1, 1)
    min_topic_size: int = 10
    nr_topics: int | str | None = None
    low_memory: bool = False
    calculate_probabilities: bool = False
    seed_topic_list: list[list[str]] | None = None
    zeroshot_topic_list: list[str] | None = None
    zeroshot_min_similarity: float = 0.7
    embedding_model: Any = None
    umap_model: Any = None
    hdbscan_model: Any = None
    vectorizer_model: Any = None
    ctfidf_model: Any = None
    representation_model: Any = None
    verbose: bool = False
    random_state: int | None = None
    fit_sample_size: int | None = DEFAULT_FIT_SAMPLE_SIZE

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> FitSettings:
        """Settings from an estimator's ``get_params(deep=False)`` (keys that are not settings are ignored)."""
        return cls(**{f.name: params[f.name] for f in fields(cls) if f.name in params})
