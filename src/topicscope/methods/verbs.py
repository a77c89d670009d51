"""BERTopic's analysis and editing verbs on ``TopicModel``: each a docstring and one call to ``topicscope.verbs``.

Each function of ``topicscope.verbs`` owns its verb: argument checks, the algorithm and what it
returns. A verb that changes the model returns a ``verbs.edit.Edited``, which ``_apply_edit`` assigns
in one step (so a verb that raises leaves the model as it was).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ..verbs import distribution, edit, hierarchy, outliers, over_time, passages, reduce, search
from .view import ViewMethods

if TYPE_CHECKING:
    from .._components import FittedComponents

Model = TypeVar("Model", bound="VerbMethods")


class VerbMethods(ViewMethods):
    if TYPE_CHECKING:
        stages_: FittedComponents

    def _apply_edit(self, edited: edit.Edited) -> None:
        """Assign what a verb computed, in one step."""
        self.state_, self.probabilities_ = edited.state, edited.probabilities
        if edited.stages is not None:
            self.stages_ = edited.stages

    # ------------------------------------------------------------------ changing the topics
    def reduce_topics(self: Model, docs: Any = None, nr_topics: int | str = 20, images: Any = None) -> Model:
        """Merge the most similar topics until ``nr_topics`` remain (in place; returns self).

        BERTopic's signature: ``reduce_topics(docs, nr_topics=20)``. ``docs`` are not needed (the
        per-topic term counts kept at fit are merged) but are checked when given; images are not
        supported. ``reduce_topics(10)`` (the number alone) also works. See ``verbs.reduce``.
        """
        self._apply_edit(reduce.reduce_topics(self._view(), docs, nr_topics, images))
        return self

    def update_topics(
        self,
        docs: Sequence[str],
        topics: Sequence[int] | None = None,
        top_n_words: int = 10,
        n_gram_range: tuple[int, int] | None = None,
        vectorizer_model: Any = None,
        ctfidf_model: Any = None,
        representation_model: Any = None,
        images: Any = None,
    ) -> None:
        """Describe the topics again, optionally with new document topics or components (in place).

        BERTopic's signature. Unlike BERTopic, the model's fitted vectorizer, c-TF-IDF and
        representation model are kept unless new ones are passed (BERTopic silently resets them to
        its defaults); ``n_gram_range`` alone means the default vectorizer with that range. A new
        vectorizer is fitted (a copy: your object is not changed) on ``docs`` and becomes the model's,
        so later verbs count with it. ``top_n_words`` and ``representation_model`` apply to this
        update; the model's own parameters are not changed. With ``topics`` (one per document),
        sizes, term counts, topic embeddings (means of the training embeddings), representative
        documents, probabilities and ``topic_mapper_`` (each topic at fit -> where most of its
        documents went) follow. See docs/porting.md and ``verbs.edit``.
        """
        self._apply_edit(
            edit.update_topics(
                self._view(),
                docs,
                topics,
                top_n_words,
                n_gram_range,
                vectorizer_model,
                ctfidf_model,
                representation_model,
                images,
            )
        )

    def merge_topics(self, docs: Sequence[str] | None, topics_to_merge: Any, images: Any = None) -> None:
        """Merge topics: ``[1, 2, 3]`` merges three topics, ``[[1, 2], [3, 4]]`` two pairs (in place).

        BERTopic's signature (``docs`` are checked when given, not needed). Only merged topics are
        described again: the words of the others do not change (BERTopic #1289). Topics are then
        renumbered by size as in BERTopic (given labels keep their ids); probabilities and
        ``topic_mapper_`` follow.
        """
        self._apply_edit(edit.merge_topics(self._view(), docs, topics_to_merge, images))

    def delete_topics(self, topics_to_delete: Sequence[int]) -> None:
        """Send the documents of ``topics_to_delete`` to the outlier topic -1 (in place).

        The outlier topic is created when the model has none. The other topics keep their words and
        are renumbered by size as in BERTopic (given labels keep their ids).
        """
        self._apply_edit(edit.delete_topics(self._view(), topics_to_delete))

    # ------------------------------------------------------------------ reading the topics
    def find_topics(self, search_term: str, top_n: int = 5, *, image: Any = None) -> tuple[list[int], list[float]]:
        """The ``top_n`` topics closest to ``search_term`` and their cosine similarities, best first.

        The term is embedded with the model's embedding model, so this works on a model fitted with
        precomputed embeddings (BERTopic refuses: #79, #1561). The outlier topic is never returned.
        """
        return search.find_topics(self._view(), search_term, top_n, image=image)

    def hierarchical_topics(
        self,
        docs: Sequence[str] | None = None,
        use_ctfidf: bool = True,
        linkage_function: Any = None,
        distance_function: Any = None,
    ) -> Any:
        """The hierarchy of the topics (BERTopic's DataFrame; see ``verbs.hierarchy``).

        ``docs`` (BERTopic's first argument) are not needed: parents are named from the summed
        class-term counts kept at fit. When given, they are checked against the training documents.
        """
        return hierarchy.hierarchical_topics(self._view(), docs, use_ctfidf, linkage_function, distance_function)

    @staticmethod
    def get_topic_tree(hier_topics: Any, max_distance: float | None = None, tight_layout: bool = False) -> str:
        """The output of ``hierarchical_topics`` as a printable tree (BERTopic's layout)."""
        return hierarchy.get_topic_tree(hier_topics, max_distance, tight_layout)

    def topics_over_time(
        self,
        docs: Sequence[str],
        timestamps: Any,
        topics: Sequence[int] | None = None,
        nr_bins: int | None = None,
        datetime_format: str | None = None,
        evolution_tuning: bool = True,
        global_tuning: bool = True,
    ) -> Any:
        """Topic words and document counts per time bin: BERTopic's DataFrame (Topic, Words, Frequency, Timestamp).

        ``topics`` (one per document) lets any documents be analysed; without it ``docs`` must be
        the documents the model was fitted on. Words come from each bin's own documents.
        """
        return over_time.topics_over_time(
            self._view(), docs, timestamps, topics, nr_bins, datetime_format, evolution_tuning, global_tuning
        )

    def topics_per_class(
        self,
        docs: Sequence[str],
        classes: Any,
        global_tuning: bool = True,
        topics: Sequence[int] | None = None,
    ) -> Any:
        """Topic words and document counts per class: BERTopic's DataFrame (Topic, Words, Frequency, Class).

        ``topics`` (not in BERTopic) lets documents other than the training documents be analysed.
        """
        return over_time.topics_per_class(self._view(), docs, classes, global_tuning, topics)

    def approximate_distribution(
        self,
        documents: str | Sequence[str],
        window: int = 4,
        stride: int = 1,
        min_similarity: float = 0.1,
        batch_size: int | None = 1000,
        padding: bool = False,
        use_embedding_model: bool = False,
        calculate_tokens: bool = False,
        separator: str = " ",
    ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """Each document's mix of topics, from the topics of its sliding token windows (BERTopic's method).

        Returns ``(topic_distributions, topic_token_distributions)``: a (documents, topics) float64
        array over the topics other than -1, each row summing to 1 (0 for a document no window
        matches: empty, too short or made of unknown words), and with ``calculate_tokens`` one
        (tokens, topics) array per document (else None). Memory is bounded by ``batch_size``.
        """
        return distribution.approximate_distribution(
            self._view(),
            documents,
            window,
            stride,
            min_similarity,
            batch_size,
            padding,
            use_embedding_model,
            calculate_tokens,
            separator,
        )

    def topic_passages(
        self,
        documents: str | Sequence[str],
        window_words: int = passages.PASSAGE_WORDS,
        overlap_words: int = passages.PASSAGE_OVERLAP,
    ) -> Any:
        """Where in each document each topic sits (not in BERTopic): one row per passage.

        Each document is cut into passages of ``window_words`` words sharing ``overlap_words`` with
        the next (a shorter document is one passage); each passage is embedded with the model's
        embedding model and matched with the most similar topic. Returns a DataFrame with columns
        Document (position in ``documents``), Passage, Start and End (character offsets:
        ``documents[i][Start:End]`` is the passage), Topic, Name, Similarity (cosine with the
        topic) and Text. ``get_document_info(docs, passages=True)`` gives the same per training
        document, and ``approximate_distribution(..., use_embedding_model=True,
        calculate_tokens=True)`` a topic mix per token.
        """
        return passages.topic_passages(self._view(), documents, window_words, overlap_words)

    def reduce_outliers(
        self,
        documents: Sequence[str],
        topics: Sequence[int] | np.ndarray,
        images: Any = None,
        strategy: str = "distributions",
        probabilities: np.ndarray | None = None,
        threshold: float = 0,
        embeddings: np.ndarray | None = None,
        distributions_params: Mapping[str, Any] = {},  # BERTopic's default; never mutated
    ) -> list[int]:
        """New topics for the outlier documents (-1) of ``topics``; the model is not changed (BERTopic's method).

        ``strategy``: "distributions", "probabilities" (needs the (documents, topics) ``probabilities``
        of ``calculate_probabilities=True``), "c-tf-idf" or "embeddings" (``embeddings`` or the
        embedding model). An outlier keeps -1 when its best score is below ``threshold`` or not
        positive. Topics without -1 come back unchanged (with a logged note).
        """
        return outliers.reduce_outliers(
            self._view(),
            documents,
            topics,
            images,
            strategy,
            probabilities,
            threshold,
            embeddings,
            distributions_params,
        )
