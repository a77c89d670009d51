"""The exceptions topicscope raises.

Every error the library raises on purpose derives from :class:`TopicscopeError`::

    TopicscopeError
    ├── InputError            bad documents, embeddings or parameter values
    │                         (also a ValueError and a TypeError)
    ├── NotFittedError        a fitted attribute or method used before fit
    │                         (also scikit-learn's NotFittedError)
    ├── MissingDependencyError  an optional extra is not installed (an ImportError)
    ├── ModelNotFoundError    an embedding model or GGUF file cannot be found offline
    ├── PersistenceError      a saved model that cannot be read
    └── LLMError              a language model failed to answer
        ├── LLMConnectionError  the server cannot be reached / timed out
        └── LLMResponseError    the server answered with an error status
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

__all__ = [
    "EXTRAS",
    "InputError",
    "LLMConnectionError",
    "LLMError",
    "LLMResponseError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "NotFittedError",
    "PersistenceError",
    "TopicscopeError",
]


class TopicscopeError(Exception):
    """Base class of every error topicscope raises on purpose."""


class InputError(TopicscopeError, ValueError, TypeError):
    """A parameter or an input has the wrong type or value.

    The message names the parameter, what is allowed and what was given.
    """


class NotFittedError(TopicscopeError, _SklearnNotFittedError):
    """The model must be fitted (or loaded) before this call."""


class MissingDependencyError(TopicscopeError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class ModelNotFoundError(TopicscopeError, OSError):
    """A model (embedding model, GGUF file) cannot be found locally."""


class PersistenceError(TopicscopeError):
    """A saved model is missing, corrupt or of an unsupported format version."""


class LLMError(TopicscopeError):
    """A language model could not produce an answer."""


class LLMConnectionError(LLMError):
    """The language model server could not be reached or did not answer in time."""


class LLMResponseError(LLMError):
    """The language model server answered with an error."""


#: The extras of ``pyproject.toml``'s ``[project.optional-dependencies]`` (a test keeps them in sync).
EXTRAS: tuple[str, ...] = ("parquet", "sentence-transformers", "llm", "test", "bench", "viz", "dask", "datamap")


def missing_extra(package: str, extra: str | None, exc: ImportError) -> MissingDependencyError:
    """Build the error raised when a dependency is not installed (or fails to import).

    ``extra`` is the extra that provides ``package`` (one of :data:`EXTRAS`), or None for a core
    dependency: the message then says to reinstall topicscope, which installs its dependencies.
    """
    if extra is None:
        hint = (
            f"it is a dependency of topicscope: reinstall topicscope (pip install topicscope) or pip install {package}"
        )
    elif extra in EXTRAS:
        hint = f'install it with: pip install "topicscope[{extra}]"'
    else:
        raise ValueError(f"missing_extra: extra must be one of {EXTRAS} or None (a core dependency); got {extra!r}")
    err = MissingDependencyError(f"{package} is needed for this feature but is not installed; {hint}")
    err.__cause__ = exc
    return err
