"""BERTopic's ``visualize_*`` methods on ``TopicModel``: each a docstring and one call to ``topicscope.viz``.

Each ``visualize_*`` function of ``topicscope.viz`` checks its arguments and draws the figure
(plotly is imported only when a plot is asked for). The 2-D document layout is computed on first
need and kept in ``state_.doc_layout`` (saved with the model): see ``viz.layout``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..viz import datamap, distribution, documents, hierarchy, topic_map, trends, words
from .view import ViewMethods


class VizMethods(ViewMethods):
    # ------------------------------------------------------------------ topics
    def visualize_topics(
        self,
        topics: list[int] | None = None,
        top_n_topics: int | None = None,
        use_ctfidf: bool = False,
        custom_labels: bool | str = False,
        title: str = "<b>Intertopic Distance Map</b>",
        width: int = 650,
        height: int = 650,
    ) -> Any:
        """Topics as bubbles sized by their documents (see docs/porting.md for the positions).

        Positions: each topic's mean position in the stored document layout (computed once), or
        with ``use_ctfidf=True`` classical MDS of the topics' c-TF-IDF cosine distances.
        """
        return topic_map.visualize_topics(
            self._view(), topics, top_n_topics, use_ctfidf, custom_labels, title, width, height
        )

    def visualize_heatmap(
        self,
        topics: list[int] | None = None,
        top_n_topics: int | None = None,
        n_clusters: int | None = None,
        use_ctfidf: bool = False,
        custom_labels: bool | str = False,
        title: str = "<b>Similarity Matrix</b>",
        width: int = 800,
        height: int = 800,
    ) -> Any:
        """Cosine similarity between topics (embeddings, or c-TF-IDF with ``use_ctfidf``)."""
        return topic_map.visualize_heatmap(
            self._view(), topics, top_n_topics, n_clusters, use_ctfidf, custom_labels, title, width, height
        )

    # --------------------------------------------------------------- documents
    def visualize_documents(
        self,
        docs: list[str] | None,
        topics: list[int] | None = None,
        embeddings: np.ndarray | None = None,
        reduced_embeddings: np.ndarray | None = None,
        sample: float | None = None,
        hide_annotations: bool = False,
        hide_document_hover: bool = False,
        custom_labels: bool | str = False,
        title: str = "<b>Documents and Topics</b>",
        width: int = 1200,
        height: int = 750,
    ) -> Any:
        """The training documents on the stored 2-D layout (WebGL), coloured by topic.

        The layout is computed once (from ``embeddings``, or the training embeddings the model
        keeps) and saved with the model; ``reduced_embeddings`` draws a layout of yours instead.
        ``docs`` (the training documents, or None) give the hover text. The drawn documents'
        indices are each point's ``customdata`` and ``fig.layout.meta["sampled_indices"]``.
        """
        return documents.visualize_documents(
            self._view(),
            docs,
            topics,
            embeddings,
            reduced_embeddings,
            sample,
            hide_annotations,
            hide_document_hover,
            custom_labels,
            title,
            width,
            height,
        )

    def visualize_hierarchical_documents(
        self,
        docs: list[str] | None,
        hierarchical_topics: Any,
        topics: list[int] | None = None,
        embeddings: np.ndarray | None = None,
        reduced_embeddings: np.ndarray | None = None,
        sample: float | int | None = None,
        hide_annotations: bool = False,
        hide_document_hover: bool = True,
        nr_levels: int = 10,
        level_scale: str = "linear",
        custom_labels: bool | str = False,
        title: str = "<b>Hierarchical Documents and Topics</b>",
        width: int = 1200,
        height: int = 750,
    ) -> Any:
        """The documents coloured by the hierarchy's clusters, ``nr_levels`` levels on a slider."""
        return documents.visualize_hierarchical_documents(
            self._view(),
            docs,
            hierarchical_topics,
            topics,
            embeddings,
            reduced_embeddings,
            sample,
            hide_annotations,
            hide_document_hover,
            nr_levels,
            level_scale,
            custom_labels,
            title,
            width,
            height,
        )

    def visualize_document_datamap(
        self,
        docs: list[str] | None = None,
        topics: list[int] | None = None,
        embeddings: np.ndarray | None = None,
        reduced_embeddings: np.ndarray | None = None,
        custom_labels: bool | str = False,
        title: str = "Documents and Topics",
        sub_title: str | None = None,
        width: int = 1200,
        height: int = 750,
        interactive: bool = False,
        enable_search: bool = False,
        topic_prefix: bool = False,
        datamap_kwds: dict[str, Any] | None = None,
        int_datamap_kwds: dict[str, Any] | None = None,
    ) -> Any:
        """The stored layout drawn by DataMapPlot (``pip install "topicscope[datamap]"``): a matplotlib
        Figure, or DataMapPlot's interactive plot with ``interactive=True``."""
        return datamap.visualize_document_datamap(
            self._view(),
            docs,
            topics,
            embeddings,
            reduced_embeddings,
            custom_labels,
            title,
            sub_title,
            width,
            height,
            interactive,
            enable_search,
            topic_prefix,
            datamap_kwds,
            int_datamap_kwds,
        )

    # ------------------------------------------------------------------- words
    def visualize_term_rank(
        self,
        topics: list[int] | None = None,
        log_scale: bool = False,
        custom_labels: bool | str = False,
        title: str = "<b>Term score decline per Topic</b>",
        width: int = 800,
        height: int = 500,
    ) -> Any:
        """Each topic's word scores by rank; ``topics`` are drawn in red."""
        return words.visualize_term_rank(self._view(), topics, log_scale, custom_labels, title, width, height)

    def visualize_barchart(
        self,
        topics: list[int] | None = None,
        top_n_topics: int = 8,
        n_words: int = 5,
        custom_labels: bool | str = False,
        title: str = "Topic Word Scores",
        width: int = 250,
        height: int = 250,
        autoscale: bool = False,
    ) -> Any:
        """Bar charts of the best ``n_words`` words of each topic (the 8 largest by default)."""
        return words.visualize_barchart(
            self._view(), topics, top_n_topics, n_words, custom_labels, title, width, height, autoscale
        )

    # ---------------------------------------------------------- time and class
    def visualize_topics_over_time(
        self,
        topics_over_time: Any,
        top_n_topics: int | None = None,
        topics: list[int] | None = None,
        normalize_frequency: bool = False,
        custom_labels: bool | str = False,
        title: str = "<b>Topics over Time</b>",
        width: int = 1250,
        height: int = 450,
    ) -> Any:
        """One line per topic of the ``topics_over_time()`` DataFrame (Topic, Words, Frequency, Timestamp)."""
        return trends.visualize_topics_over_time(
            self._view(),
            topics_over_time,
            top_n_topics,
            topics,
            normalize_frequency,
            custom_labels,
            title,
            width,
            height,
        )

    def visualize_topics_per_class(
        self,
        topics_per_class: Any,
        top_n_topics: int = 10,
        topics: list[int] | None = None,
        normalize_frequency: bool = False,
        custom_labels: bool | str = False,
        title: str = "<b>Topics per Class</b>",
        width: int = 1250,
        height: int = 900,
    ) -> Any:
        """Bars per class for each topic of the ``topics_per_class()`` DataFrame (Topic, Words, Frequency, Class)."""
        return trends.visualize_topics_per_class(
            self._view(),
            topics_per_class,
            top_n_topics,
            topics,
            normalize_frequency,
            custom_labels,
            title,
            width,
            height,
        )

    # ------------------------------------------------------------ distributions
    def visualize_distribution(
        self,
        probabilities: np.ndarray,
        min_probability: float = 0.015,
        custom_labels: bool | str = False,
        title: str = "<b>Topic Probability Distribution</b>",
        width: int = 800,
        height: int = 600,
    ) -> Any:
        """One document's topic probabilities (a row over the topics other than -1) as bars."""
        return distribution.visualize_distribution(
            self._view(), probabilities, min_probability, custom_labels, title, width, height
        )

    def visualize_approximate_distribution(
        self, document: str, topic_token_distribution: np.ndarray, normalize: bool = False
    ) -> Any:
        """A pandas Styler of ``document``'s tokens (columns) against topics (rows), from
        ``approximate_distribution(document, calculate_tokens=True)``."""
        return distribution.visualize_approximate_distribution(
            self._view(), document, topic_token_distribution, normalize
        )

    # --------------------------------------------------------------- hierarchy
    def visualize_hierarchy(
        self,
        orientation: str = "left",
        topics: list[int] | None = None,
        top_n_topics: int | None = None,
        use_ctfidf: bool = True,
        custom_labels: bool | str = False,
        title: str = "<b>Hierarchical Clustering</b>",
        width: int = 1000,
        height: int = 600,
        hierarchical_topics: Any = None,
        linkage_function: Callable[[Any], np.ndarray] | None = None,
        distance_function: Callable[[Any], Any] | None = None,
        color_threshold: float = 1,
    ) -> Any:
        """The topics' dendrogram, drawn from ``hierarchical_topics`` (computed when not given, with
        ``use_ctfidf``, ``linkage_function`` and ``distance_function``); a selection prunes the tree."""
        return hierarchy.visualize_hierarchy(
            self._view(),
            orientation,
            topics,
            top_n_topics,
            use_ctfidf,
            custom_labels,
            title,
            width,
            height,
            hierarchical_topics,
            linkage_function,
            distance_function,
            color_threshold,
        )
