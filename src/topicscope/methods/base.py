"""What the method mixins may use of the model: a few documented hooks, nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse as sp

    from .._topics import Describer
    from ..embedding import Embedder
    from ..state import TopicState


class ModelHooks:
    """The hooks ``TopicModel`` provides to its method mixins (declared here for type checking).

    * ``_state()``: the fitted state (``NotFittedError`` before fit);
    * ``_describer()``: the components that turn class-term counts into words and names;
    * ``_training_docs(docs)``: ``docs`` checked to be the training documents;
    * ``_vectorizer()``: the fitted vectorizer (or, for a model that has none, the one it would use);
    * ``_doc_term(docs)``: the documents' term counts over the fitted vocabulary (fit's matrix when
      they are the training documents: see ``vectorize.counts``);
    * ``_training_topics(docs)``: the training topics when ``docs`` are the training documents
      (recognised by a fingerprint of their text, kept through save/load), else None;
    * ``_embedder()``: the embedding model (``InputError`` naming ``embedding_model`` when none).

    Public methods of the estimator that one mixin calls and another mixin (or scikit-learn's
    ``BaseEstimator``) defines are declared here too, with loose signatures: ``get_params``,
    ``hierarchical_topics``, ``topics_over_time`` and ``topics_per_class`` (used by ``report``).
    """

    if TYPE_CHECKING:
        state_: TopicState
        probabilities_: np.ndarray | None
        top_n_words: int
        representation_model: Any
        verbose: bool

        def _state(self) -> TopicState: ...

        def _describer(self, stages: Any = None) -> Describer: ...

        def _ctfidf(self) -> Any: ...

        def _training_docs(self, docs: Any) -> list[str]: ...

        def _vectorizer(self) -> Any: ...

        def _doc_term(self, docs: list[str]) -> sp.csr_matrix: ...

        def _training_topics(self, docs: list[str]) -> np.ndarray | None: ...

        def _embedder(self) -> Embedder: ...

        def get_params(self, deep: bool = True) -> dict[str, Any]: ...

        def hierarchical_topics(self, *args: Any, **kwargs: Any) -> Any: ...

        def topics_over_time(self, *args: Any, **kwargs: Any) -> Any: ...

        def topics_per_class(self, *args: Any, **kwargs: Any) -> Any: ...
