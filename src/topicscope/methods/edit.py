"""update_topics, merge_topics, delete_topics and find_topics (see verbs.edit, verbs.search)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from ..exceptions import InputError
from .base import ModelHooks

if TYPE_CHECKING:
    from ..components import FittedComponents
    from ..state import TopicState


class EditMethods(ModelHooks):
    if TYPE_CHECKING:
        stages_: FittedComponents

    def _set_edited(self, state: TopicState, *, stages: Any = None, ends_stream: bool = True) -> None:
        """Install an edited state: probabilities follow; an online stream ends when topics or counts changed.

        Everything is computed before anything is assigned, so an edit that raises leaves the model as it was.
        """
        from ..components import FittedComponents
        from ..verbs.edit import follow_probabilities
        from ..verbs.online import OnlineStages

        current = stages if stages is not None else getattr(self, "stages_", None)
        if ends_stream and isinstance(current, OnlineStages):
            # Running totals are keyed by the old topics: partial_fit cannot continue (as after reduce_topics).
            current = FittedComponents(
                reducer=None, clusterer=None, vectorizer=current.vectorizer, ctfidf=current.ctfidf
            )
        probabilities = follow_probabilities(getattr(self, "probabilities_", None), state)
        self.state_, self.probabilities_ = state, probabilities
        if current is not None:
            self.stages_ = current

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
        documents went) follow. See docs/porting.md.
        """
        import scipy.sparse as sp

        from .._validation import check_int, check_labels
        from ..components import FittedComponents
        from ..topics import check_representation_model
        from ..vectorize import fit_doc_term, text_fingerprint
        from ..verbs.edit import new_ctfidf, new_vectorizer, update_topics

        if images is not None:
            raise InputError("images are not supported by topicscope; got images= (pass images=None)")
        state = self._state()
        documents = self._training_docs(docs)
        top_n_words = check_int(top_n_words, "top_n_words", minimum=1)
        check_representation_model(representation_model)
        new_topics = None if topics is None else check_labels(topics, len(documents), name="topics")
        old = getattr(self, "stages_", None)
        vectorizer = new_vectorizer(vectorizer_model, n_gram_range)
        doc_term: Any = None
        vocabulary = None
        if vectorizer is not None:
            counts, vocabulary = fit_doc_term(vectorizer, documents)
            doc_term = partial(sp.csr_matrix, counts)
        else:
            vectorizer = getattr(old, "vectorizer", None)
            if new_topics is not None:
                doc_term = partial(self._doc_term, documents)  # counted only if a topic is split
        ctfidf = new_ctfidf(ctfidf_model) or self._describer().ctfidf
        stages = FittedComponents(
            reducer=getattr(old, "reducer", None),
            clusterer=getattr(old, "clusterer", None),
            vectorizer=vectorizer,
            ctfidf=ctfidf,
        )
        describer = dataclasses.replace(
            self._describer(stages),
            top_n_words=top_n_words,
            representation_model=representation_model
            if representation_model is not None
            else self.representation_model,
        )
        new, whole = update_topics(
            state, describer, documents=documents, topics=new_topics, doc_term=doc_term, vocabulary=vocabulary
        )
        if vocabulary is not None:  # fit's matrix is over the old vocabulary: keep the new one for the same texts
            same = bool(state.training_fingerprint) and text_fingerprint(documents) == state.training_fingerprint
            new.training_doc_term = doc_term() if same else None
        if not whole:  # a classifier predicts the old topics, which no longer map to one topic each
            stages = dataclasses.replace(stages, reducer=None, clusterer=None)
        if new_topics is not None or vocabulary is not None or ctfidf_model is not None or old is None:
            self._set_edited(new, stages=stages)
        else:  # same topics, counts and weighting: only the words were described again
            self._set_edited(new, stages=old, ends_stream=False)

    def merge_topics(self, docs: Sequence[str] | None, topics_to_merge: Any, images: Any = None) -> None:
        """Merge topics: ``[1, 2, 3]`` merges three topics, ``[[1, 2], [3, 4]]`` two pairs (in place).

        BERTopic's signature (``docs`` are checked when given, not needed). Only merged topics are
        described again: the words of the others do not change (BERTopic #1289). Topics are then
        renumbered by size as in BERTopic (given labels keep their ids); probabilities and
        ``topic_mapper_`` follow.
        """
        from ..verbs.edit import check_merge_groups, merge_topics

        if images is not None:
            raise InputError("images are not supported by topicscope; got images= (pass images=None)")
        state = self._state()
        if docs is not None:
            self._training_docs(docs)
        groups = check_merge_groups(topics_to_merge, state)
        new, _ = merge_topics(state, groups, self._describer())
        self._set_edited(new)

    def delete_topics(self, topics_to_delete: Sequence[int]) -> None:
        """Send the documents of ``topics_to_delete`` to the outlier topic -1 (in place).

        The outlier topic is created when the model has none. The other topics keep their words and
        are renumbered by size as in BERTopic (given labels keep their ids).
        """
        from ..verbs.edit import delete_topics

        new, _ = delete_topics(self._state(), topics_to_delete)
        self._set_edited(new)

    def find_topics(self, search_term: str, top_n: int = 5, *, image: Any = None) -> tuple[list[int], list[float]]:
        """The ``top_n`` topics closest to ``search_term`` and their cosine similarities, best first.

        The term is embedded with the model's embedding model, so this works on a model fitted with
        precomputed embeddings (BERTopic refuses: #79, #1561). The outlier topic is never returned.
        """
        from .._validation import check_int
        from ..verbs.search import check_search_term, find_topics

        if image is not None:
            raise InputError("image search is not supported by topicscope; got image= (pass a search_term)")
        state = self._state()
        term = check_search_term(search_term)
        top_n = check_int(top_n, "top_n", minimum=1)
        vector = self._embedder().embed([term], verbose=False)
        return find_topics(state, vector, top_n)
