"""``hierarchical_topics`` and ``get_topic_tree`` (see ``verbs.hierarchy``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .base import ModelHooks


class HierarchyMethods(ModelHooks):
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
        from ..verbs.hierarchy import hierarchical_topics

        state = self._state()
        if docs is not None:
            self._training_docs(docs)
        return hierarchical_topics(
            state,
            self._describer().ctfidf,
            use_ctfidf=bool(use_ctfidf),
            linkage_function=linkage_function,
            distance_function=distance_function,
        )

    @staticmethod
    def get_topic_tree(hier_topics: Any, max_distance: float | None = None, tight_layout: bool = False) -> str:
        """The output of ``hierarchical_topics`` as a printable tree (BERTopic's layout)."""
        from ..verbs.hierarchy import topic_tree

        return topic_tree(hier_topics, max_distance=max_distance, tight_layout=tight_layout)
