"""``TopicModel.topic_mapper_``: BERTopic's ``TopicMapper``, as far as topicscope keeps its history.

BERTopic's ``TopicMapper.mappings_`` holds one row per original topic with every id it had, one
column per reduction or merge. topicscope keeps only the first and the last: the topic id at fit
(the label given, for manual and supervised models) and the topic id now. So each row of
``mappings_`` is ``[fit id, current id]``, and ``get_mappings()`` (``original_topics=True``, the
form BERTopic's documentation uses) gives the same dict as BERTopic's.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..exceptions import InputError

__all__ = ["TopicMapper"]


class TopicMapper:
    """Which topic each topic found at fit became (a read-only snapshot of the model's mapping).

    Attributes
    ----------
    mappings_ : list of ``[fit id, current id]`` rows (python ints), sorted by fit id.
    """

    def __init__(self, mapping: Mapping[int, int]) -> None:
        self.mappings_: list[list[int]] = [[int(src), int(dst)] for src, dst in sorted(mapping.items())]

    def get_mappings(self, original_topics: bool = True) -> dict[int, int]:
        """A dict from each topic at fit to its topic now (BERTopic's ``original_topics=True``).

        ``original_topics=False`` (from the topics before the last reduction) is refused: topicscope
        does not keep the ids between reductions.
        """
        if not isinstance(original_topics, bool):
            raise InputError(f"original_topics must be True or False; got {original_topics!r}")
        if not original_topics:
            raise InputError(
                "original_topics=False is not supported: topicscope keeps only each topic's id at fit and its id "
                "now, not the ids between reductions; use get_mappings() (original_topics=True)"
            )
        return {src: dst for src, dst in self.mappings_}

    def __repr__(self) -> str:
        return f"TopicMapper({len(self.mappings_)} topics)"
