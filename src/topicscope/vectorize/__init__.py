"""Topic words: vocabulary, class-term counts and class-based TF-IDF."""

from __future__ import annotations

from .ctfidf import ClassTfidfTransformer, class_term_counts, ctfidf_weights, top_words
from .vocabulary import default_vectorizer, fit_doc_term

__all__ = [
    "ClassTfidfTransformer",
    "class_term_counts",
    "ctfidf_weights",
    "default_vectorizer",
    "fit_doc_term",
    "top_words",
]
