"""What a verb or a plot may use of the model: ``ModelView``, the small object ``TopicModel`` passes them.

The analysis verbs (``verbs.edit``, ``verbs.reduce``, ``verbs.hierarchy``, ...) and the plots
(``viz.*``) receive the model as a ``ModelView`` (built by ``methods.view.ViewMethods._view``) and
use nothing else of it. They never assign to the model: a verb that changes it returns its new
state (``verbs.edit.Edited``) and the model assigns that in one step, so a verb that raises leaves
the model as it was.

The functions are the model's own, called when the verb needs them, so a verb checks its
arguments in its own order (``state()`` raises ``NotFittedError`` on a model that is not fitted,
at the point the verb first needs the state); the values are read when the view is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse as sp

    from .._components import FittedComponents
    from .._topics import Describer
    from ..embedding import Embedder
    from ..state import TopicState


@dataclass(frozen=True)
class ModelView:
    """The model as its verbs and plots see it.

    * ``state()``: the fitted state (``NotFittedError`` before fit);
    * ``describer(stages=None)``: the components that turn class-term counts into words and names
      (with ``stages``, those of other fitted components);
    * ``ctfidf()``: the fitted c-TF-IDF model alone (or the one a fit would use), no embedder resolved;
    * ``training_docs(docs)``: ``docs`` checked to be the training documents (as many, as strings);
    * ``vectorizer()``: the fitted vectorizer (for a model that has none, the one it would use);
    * ``doc_term(docs)``: the documents' term counts over the fitted vocabulary (fit's own matrix
      when they are the training documents);
    * ``training_topics(docs)``: the training topics when ``docs`` are the training documents, else None;
    * ``embedder()``: the embedding model (``InputError`` naming ``embedding_model`` when none);
    * ``top_n_words``, ``representation_model``, ``verbose``, ``random_state``: the model's parameters;
    * ``stages``: the fitted components (None when the model keeps none);
    * ``probabilities``: the model's ``probabilities_`` (what ``fit_transform`` returned, or None).
    """

    state: Callable[[], TopicState]
    describer: Callable[..., Describer]
    ctfidf: Callable[[], Any]
    training_docs: Callable[[Any], list[str]]
    vectorizer: Callable[[], Any]
    doc_term: Callable[[list[str]], sp.csr_matrix]
    training_topics: Callable[[list[str]], np.ndarray | None]
    embedder: Callable[[], Embedder]
    top_n_words: int
    representation_model: Any
    verbose: bool
    random_state: Any
    stages: FittedComponents | None
    probabilities: np.ndarray | None
