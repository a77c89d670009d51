"""Secret: an API key that never shows in a repr, ``get_params``, a notebook or an error message.

``OpenAI(api_key="sk-...")`` stores the key as ``Secret("sk-...")``: ``repr``, ``str`` and
scikit-learn's HTML view (what Jupyter shows for a model) print ``Secret('***')``, and
``.get()`` gives the key back. A Secret passed in is stored as it is, so ``sklearn.base.clone``
(which checks that the constructor keeps the object it was given) works; equality, ``copy``,
``deepcopy`` and pickling keep the key (a pickle holds it, as it holds any explicit parameter).

:func:`redact` takes known keys out of a text (a server's error message can echo a request's
``Authorization`` header).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from ..exceptions import InputError

MASK = "***"
# Shorter "keys" are placeholders (the openai package's "no-key", a test's "k"): redacting them
# would mangle ordinary words in messages without hiding anything.
MIN_REDACTED_LENGTH = 8


class Secret:
    """A string kept out of every representation; ``get()`` reveals it.

    >>> key = Secret("sk-abc123456")
    >>> key, str(key), key.get()
    (Secret('***'), '***', 'sk-abc123456')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.get()
        if not isinstance(value, str):
            raise InputError(f"Secret needs a string (the key); got {type(value).__name__}")
        object.__setattr__(self, "_value", value)

    def get(self) -> str:
        """The key itself (send it; never log or print it)."""
        return str(object.__getattribute__(self, "_value"))

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Secret cannot be changed; make a new one")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.get().encode("utf-8"), other.get().encode("utf-8"))

    def __hash__(self) -> int:
        return hash((Secret, self.get()))

    def __copy__(self) -> Secret:
        return self  # immutable, like str

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (Secret, (self.get(),))


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every occurrence of the given keys replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= MIN_REDACTED_LENGTH and secret in text:
            text = text.replace(secret, MASK)
    return text
