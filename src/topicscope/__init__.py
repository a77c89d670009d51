"""topicscope: turn a pile of documents into named, inspectable topics.

The public API (docs/api.md): ``TopicModel``, the exception tree of ``topicscope.exceptions``
(``TopicscopeError`` and its subclasses, also importable from here), ``TopicMapper``, and the
stage packages ``embedding``, ``reduction``, ``clustering``, ``vectorize``, ``representation``,
``llm``, ``distributed``. Modules and names starting with ``_``, and the internal packages
``pipeline``, ``persistence``, ``verbs``, ``methods`` and ``viz``, are not API.

``import topicscope`` is light: torch, sentence-transformers, umap, plotly, llama.cpp and dask
load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXCEPTIONS = (
    "InputError",
    "LLMConnectionError",
    "LLMError",
    "LLMResponseError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "NotFittedError",
    "PersistenceError",
    "TopicscopeError",
)
__all__ = ["TopicMapper", "TopicModel", "__version__", *_EXCEPTIONS]

if TYPE_CHECKING:
    from .exceptions import InputError as InputError
    from .exceptions import LLMConnectionError as LLMConnectionError
    from .exceptions import LLMError as LLMError
    from .exceptions import LLMResponseError as LLMResponseError
    from .exceptions import MissingDependencyError as MissingDependencyError
    from .exceptions import ModelNotFoundError as ModelNotFoundError
    from .exceptions import NotFittedError as NotFittedError
    from .exceptions import PersistenceError as PersistenceError
    from .exceptions import TopicscopeError as TopicscopeError
    from .methods.topic_mapper import TopicMapper
    from .model import TopicModel


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that ``import topicscope`` imports neither scikit-learn nor numpy.
    if name == "TopicModel":
        from .model import TopicModel

        return TopicModel
    if name == "TopicMapper":
        from .methods.topic_mapper import TopicMapper

        return TopicMapper
    if name in _EXCEPTIONS:
        from . import exceptions

        return getattr(exceptions, name)
    raise AttributeError(f"module 'topicscope' has no attribute {name!r}")
