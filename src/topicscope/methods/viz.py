"""BERTopic's ``visualize_*`` methods (see ``topicscope.viz``; plotly is imported only when a plot is asked for).

Each method checks its arguments and calls a function of ``topicscope.viz`` with the state and
plain arrays. The 2-D document layout is computed on first need and kept in ``state_.doc_layout``
(saved with the model): see ``viz.layout``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .base import ModelHooks


class VizMethods(ModelHooks):
    # ------------------------------------------------------------------ helpers
    def _plot_layout(self, embeddings: Any = None, reduced_embeddings: Any = None) -> np.ndarray:
        """``reduced_embeddings`` when given (not stored), else the stored layout (computed once)."""
        from ..viz.layout import check_reduced, ensure_layout

        state = self._state()
        if reduced_embeddings is not None:
            return check_reduced(reduced_embeddings, len(state.doc_topics))
        return ensure_layout(state, embeddings, getattr(self, "random_state", None))

    def _plot_texts(self, docs: Any, hide: bool = False) -> list[str] | None:
        """The training documents for hover text (checked), or None when hidden or not given."""
        from ..viz.common import check_flag

        if check_flag(hide, "hide_document_hover") or docs is None:
            return None
        return self._training_docs(docs)

    def _plot_seed(self) -> int:
        seed = getattr(self, "random_state", None)
        return int(seed) if isinstance(seed, (int, np.integer)) else 0

    def _plot_tree(self, hierarchical_topics: Any) -> Any:
        from ..exceptions import InputError
        from ..viz.hierarchy import parse_hierarchy

        state = self._state()
        n = int((state.topic_ids != -1).sum())
        if n < 2:
            raise InputError(
                f"a topic hierarchy needs at least 2 topics other than -1 and this model has {n}: "
                "hierarchical_topics cannot be drawn (fit with a smaller min_topic_size, or more documents)"
            )
        if hierarchical_topics is None:
            raise InputError("hierarchical_topics must be the DataFrame of topic_model.hierarchical_topics(docs)")
        return parse_hierarchy(state, hierarchical_topics)

    @staticmethod
    def _plot_size(width: Any, height: Any) -> tuple[int, int]:
        from .._validation import check_int

        return check_int(width, "width", minimum=10), check_int(height, "height", minimum=10)

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
        from .._logging import logger
        from ..viz import common, layout, topic_map

        state = self._state()
        width, height = self._plot_size(width, height)
        selected = sorted(common.select_topics(state, topics, top_n_topics))
        rows = [state.row(t) for t in selected]
        if common.check_flag(use_ctfidf, "use_ctfidf"):
            positions = layout.vector_positions(state.ctfidf[rows])
        elif layout.layout_is_valid(state) or len(state.index_embeddings) == len(state.doc_topics):
            coords = self._plot_layout()
            positions = layout.topic_positions(coords, state.doc_topics, selected)
        else:
            logger.info("no document layout and no training embeddings: topics are placed by their embeddings")
            positions = layout.vector_positions(state.topic_embeddings[rows])
        return topic_map.visualize_topics(
            state, positions, selected, custom_labels=custom_labels, title=title, width=width, height=height
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
        from .._validation import check_int
        from ..viz import common, topic_map

        state = self._state()
        width, height = self._plot_size(width, height)
        selected = common.select_topics(state, topics, top_n_topics, outliers=False)
        rows = [state.row(t) for t in selected]
        vectors = state.ctfidf[rows] if common.check_flag(use_ctfidf, "use_ctfidf") else state.topic_embeddings[rows]
        clusters = check_int(n_clusters, "n_clusters", minimum=1, allow_none=True)
        return topic_map.visualize_heatmap(
            state,
            vectors,
            selected,
            n_clusters=clusters,
            custom_labels=custom_labels,
            title=title,
            width=width,
            height=height,
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
        from ..viz import common, documents, layout

        state = self._state()
        width, height = self._plot_size(width, height)
        selected = None if topics is None else common.check_topic_list(state, topics)
        texts = self._plot_texts(docs, hide_document_hover)
        coords = self._plot_layout(embeddings, reduced_embeddings)
        return documents.visualize_documents(
            state,
            coords,
            texts,
            topics=selected,
            sample=layout.check_sample(sample),
            seed=self._plot_seed(),
            hide_annotations=common.check_flag(hide_annotations, "hide_annotations"),
            custom_labels=custom_labels,
            title=title,
            width=width,
            height=height,
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
        from .._validation import check_int
        from ..viz import common, documents, layout

        state = self._state()
        width, height = self._plot_size(width, height)
        tree = self._plot_tree(hierarchical_topics)
        selected = None if topics is None else common.check_topic_list(state, topics)
        texts = self._plot_texts(docs, hide_document_hover)
        coords = self._plot_layout(embeddings, reduced_embeddings)
        return documents.visualize_hierarchical_documents(
            state,
            coords,
            texts,
            tree,
            topics=selected,
            sample=layout.check_sample(sample),
            seed=self._plot_seed(),
            hide_annotations=common.check_flag(hide_annotations, "hide_annotations"),
            nr_levels=check_int(nr_levels, "nr_levels", minimum=1),
            level_scale=level_scale,
            custom_labels=custom_labels,
            title=title,
            width=width,
            height=height,
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
        from ..viz import common, datamap

        state = self._state()
        width, height = self._plot_size(width, height)
        selected = None if topics is None else common.check_topic_list(state, topics)
        texts = self._plot_texts(docs)
        coords = self._plot_layout(embeddings, reduced_embeddings)
        return datamap.visualize_document_datamap(
            state,
            coords,
            texts,
            topics=selected,
            custom_labels=custom_labels,
            title=title,
            sub_title=sub_title,
            width=width,
            height=height,
            interactive=common.check_flag(interactive, "interactive"),
            enable_search=common.check_flag(enable_search, "enable_search"),
            topic_prefix=common.check_flag(topic_prefix, "topic_prefix"),
            datamap_kwds=datamap_kwds or {},
            int_datamap_kwds=int_datamap_kwds or {},
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
        from ..viz import common, words

        state = self._state()
        width, height = self._plot_size(width, height)
        highlighted = [] if topics is None else common.check_topic_list(state, topics)
        return words.visualize_term_rank(
            state,
            highlighted,
            log_scale=common.check_flag(log_scale, "log_scale"),
            custom_labels=custom_labels,
            title=title,
            width=width,
            height=height,
        )

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
        from .._validation import check_int
        from ..viz import common, words

        state = self._state()
        width, height = self._plot_size(width, height)
        selected = common.select_topics(state, topics, top_n_topics, default_top=6)
        return words.visualize_barchart(
            state,
            selected,
            n_words=check_int(n_words, "n_words", minimum=1),
            custom_labels=custom_labels,
            title=title,
            width=width,
            height=height,
            autoscale=common.check_flag(autoscale, "autoscale"),
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
        from ..viz import common, trends

        return self._plot_trend(
            trends.visualize_topics_over_time,
            topics_over_time,
            common.select_topics(self._state(), topics, top_n_topics),
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
        from ..viz import common, trends

        return self._plot_trend(
            trends.visualize_topics_per_class,
            topics_per_class,
            common.select_topics(self._state(), topics, top_n_topics),
            normalize_frequency,
            custom_labels,
            title,
            width,
            height,
        )

    def _plot_trend(
        self,
        draw: Callable[..., Any],
        frame: Any,
        selected: list[int],
        normalize_frequency: Any,
        custom_labels: Any,
        title: str,
        width: Any,
        height: Any,
    ) -> Any:
        from ..viz import common

        width, height = self._plot_size(width, height)
        return draw(
            self._state(),
            frame,
            selected,
            normalize_frequency=common.check_flag(normalize_frequency, "normalize_frequency"),
            custom_labels=custom_labels,
            title=title,
            width=width,
            height=height,
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
        from ..viz import distribution

        state = self._state()
        width, height = self._plot_size(width, height)
        probs, threshold = distribution.check_distribution(state, probabilities, min_probability)
        return distribution.visualize_distribution(
            state, probs, threshold, custom_labels=custom_labels, title=title, width=width, height=height
        )

    def visualize_approximate_distribution(
        self, document: str, topic_token_distribution: np.ndarray, normalize: bool = False
    ) -> Any:
        """A pandas Styler of ``document``'s tokens (columns) against topics (rows), from
        ``approximate_distribution(document, calculate_tokens=True)``."""
        from ..exceptions import InputError
        from ..viz import common, distribution

        state = self._state()
        if not isinstance(document, str):
            raise InputError(f"document must be one string; got {type(document).__name__}")
        tokens = self._plot_tokenizer()(document)
        if not tokens:
            raise InputError("document must contain at least one token; got none")
        return distribution.visualize_approximate_distribution(
            state, tokens, topic_token_distribution, normalize=common.check_flag(normalize, "normalize")
        )

    def _plot_tokenizer(self) -> Callable[[str], list[str]]:
        """The tokenizer ``approximate_distribution`` cuts windows with (the fitted vectorizer's)."""
        from ..verbs.distribution import WindowText

        return WindowText.from_vectorizer(self._vectorizer(), " ").tokenize

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
        from .._validation import check_float
        from ..verbs.hierarchy import hierarchical_topics as build_hierarchy
        from ..viz import common, hierarchy

        state = self._state()
        width, height = self._plot_size(width, height)
        if hierarchical_topics is None and int((state.topic_ids != -1).sum()) >= 2:
            hierarchical_topics = build_hierarchy(
                state,
                self._describer().ctfidf,
                use_ctfidf=common.check_flag(use_ctfidf, "use_ctfidf"),
                linkage_function=linkage_function,
                distance_function=distance_function,
            )
        tree = self._plot_tree(hierarchical_topics)
        selected = common.select_topics(state, topics, top_n_topics, outliers=False)
        return hierarchy.visualize_hierarchy(
            state,
            tree,
            selected,
            orientation=orientation,
            custom_labels=custom_labels,
            color_threshold=check_float(color_threshold, "color_threshold", low=0.0),
            title=title,
            width=width,
            height=height,
        )
