"""Representation models: refine a topic's c-TF-IDF words, or write it a label.

Pass one as ``representation_model``, several in a list (a chain: each refines the previous
output), or a dict of named aspects (each its own column in ``get_topic_info()``).
LLM labellers (``LlamaCPP``, ``OpenAI``) load their client libraries on first use.
"""

from __future__ import annotations

from typing import Any

from .._mmr import mmr
from ..context import BaseRepresentation, RepresentationModel, TopicContext
from .keybert import KeyBERTInspired
from .mmr import MaximalMarginalRelevance

__all__ = [
    "BaseRepresentation",
    "KeyBERTInspired",
    "LlamaCPP",
    "MaximalMarginalRelevance",
    "OpenAI",
    "RepresentationModel",
    "TopicContext",
    "mmr",
]


def __getattr__(name: str) -> Any:
    if name in {"LlamaCPP", "OpenAI", "LLMLabeler"}:
        from .. import llm

        return getattr(llm, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
