"""Topic words: vocabulary, class-term counts and class-based TF-IDF."""

from __future__ import annotations

from .counts import count_documents, doc_term_for, document_frequency, grouped_counts, text_fingerprint
from .ctfidf import ClassTfidfTransformer, class_term_counts, ctfidf_weights, top_words
from .vocabulary import default_vectorizer, fit_doc_term

__all__ = [
    "ClassTfidfTransformer",
    "class_term_counts",
    "count_documents",
    "ctfidf_weights",
    "default_vectorizer",
    "doc_term_for",
    "document_frequency",
    "fit_doc_term",
    "grouped_counts",
    "text_fingerprint",
    "top_words",
]
