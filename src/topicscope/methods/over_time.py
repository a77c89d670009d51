"""``topics_over_time`` and ``topics_per_class`` (see ``verbs.over_time``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import ModelHooks


class OverTimeMethods(ModelHooks):
    def _analysed_topics(self, documents: list[str], topics: Any) -> tuple[Any, np.ndarray]:
        """(document-term matrix, topic of each document) for the analysis verbs.

        With ``topics`` any documents can be analysed. Without, ``docs`` must be the documents the
        model was fitted on (recognised by the fingerprint of their text; a merged or online model
        keeps none, so it needs ``topics``), else an InputError says to pass ``topics``. Either way
        the text is hashed once and counted at most once.
        """
        from ..exceptions import InputError
        from ..verbs.over_time import check_document_topics

        state = self._state()
        if topics is not None:
            assigned = check_document_topics(topics, state, len(documents))
            return self._doc_term(documents), assigned
        n = len(state.doc_topics)
        if not state.training_fingerprint:
            raise InputError(
                "topics is needed: this model (made by merge_models or partial_fit) cannot recognise its "
                "documents, so pass topics= with each document's topic (topics=model.topics_ when docs are "
                "all the documents it was built from, in order; else topics, _ = model.transform(docs))"
            )
        advice = "pass topics= with each document's topic (e.g. topics, _ = model.transform(docs))"
        if len(documents) != n:
            raise InputError(
                f"docs are not the {n} documents this model was fitted on (got {len(documents)}): {advice}"
            )
        if state.training_doc_term is None:  # a loaded model: recognise the text before counting it
            recognised = self._training_topics(documents)
            if recognised is None:
                raise InputError(f"docs are not the documents this model was fitted on (their text differs): {advice}")
            return self._doc_term(documents), recognised
        doc_term = self._doc_term(documents)  # fit's own matrix exactly when docs are the training documents
        if doc_term is not state.training_doc_term:
            raise InputError(f"docs are not the documents this model was fitted on (their text differs): {advice}")
        return doc_term, state.doc_topics

    def _cell_weigher(self) -> Any:
        from ..verbs.over_time import cell_weigher

        describer = self._describer()
        return cell_weigher(describer.ctfidf, self._state(), describer.seed_words or ())

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
        from .._validation import check_documents, check_int
        from ..verbs.over_time import parse_timestamps, topics_over_time

        documents = check_documents(docs, name="docs")
        if nr_bins is not None:
            check_int(nr_bins, "nr_bins (or None)", minimum=1)
        parsed = parse_timestamps(timestamps, len(documents), datetime_format)  # checked before any counting
        doc_term, assigned = self._analysed_topics(documents, topics)
        return topics_over_time(
            self._state(),
            self._cell_weigher(),
            doc_term,
            assigned,
            parsed,
            nr_bins=nr_bins,
            datetime_format=datetime_format,
            evolution_tuning=bool(evolution_tuning),
            global_tuning=bool(global_tuning),
            n_words=min(int(self.top_n_words), 5),
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
        from .._validation import check_documents
        from ..verbs.over_time import as_column, topics_per_class

        documents = check_documents(docs, name="docs")
        classes = as_column(classes, "classes", len(documents))  # checked before any counting
        doc_term, assigned = self._analysed_topics(documents, topics)
        return topics_per_class(
            self._state(),
            self._cell_weigher(),
            doc_term,
            assigned,
            classes,
            global_tuning=bool(global_tuning),
            n_words=min(int(self.top_n_words), 5),
        )
