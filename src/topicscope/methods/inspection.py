"""The model's attributes and lookups at BERTopic's names: ``topics_``, ``topic_sizes_``, ``get_topic``,
``get_topic_info``, ``get_document_info``, custom labels and the fitted components.

What they return is the caller's to change: lists and dicts are copies, arrays read-only views
(``np.array(model.topic_embeddings_)`` gives a writable copy), so no change to a result reaches the
model; the model changes only through its methods (``set_topic_labels``, ``update_topics``, ...).
The fitted components (``vectorizer_model_``, ...) are the model's own objects, as in scikit-learn, and
``probabilities_`` is the very array ``fit_transform`` returned, as in BERTopic (the model never reads
its values).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._components import FittedComponents
from .._neighbors import neighbor_shares
from .._validation import check_int
from ..exceptions import InputError
from .view import ViewMethods


class InspectionMethods(ViewMethods):
    @property
    def topics_(self) -> list[int]:
        """The topic of every training document (after ``partial_fit``: of every batch so far)."""
        return [int(t) for t in self._state().doc_topics]

    @topics_.setter
    def topics_(self, value: Any) -> None:
        raise InputError(
            "topics_ is read-only: its topics must stay in step with the topic sizes, words and probabilities. "
            "After reduce_outliers, call topic_model.update_topics(docs, topics=new_topics), which changes all of "
            "them; after an online loop it is not needed (topics_ holds every batch, where BERTopic keeps only "
            "the last one); see docs/porting.md"
        )

    @property
    def topic_sizes_(self) -> dict[int, int]:
        return self._state().size_map()

    @property
    def topic_labels_(self) -> dict[int, str]:
        state = self._state()
        return {int(t): state.names[int(t)] for t in state.topic_ids}

    @property
    def topic_embeddings_(self) -> np.ndarray:
        """Each topic's embedding (rows in topic order, -1 first when present), a read-only view."""
        return read_only(self._state().topic_embeddings)

    @property
    def custom_labels_(self) -> list[str] | None:
        """BERTopic's attribute: the custom labels in topic order (-1 first when present), or None."""
        state = self._state()
        if state.custom_labels is None:
            return None
        return [state.custom_labels.get(int(t), state.names[int(t)]) for t in state.topic_ids]

    # The components fit used (BERTopic exposes them as umap_model, hdbscan_model, ... after fit;
    # here those keep what was passed, None by default, and these hold the fitted copies).
    @property
    def umap_model_(self) -> Any:
        """The fitted reducer (None for a loaded or merged model, which keep no executable component)."""
        return getattr(self._fitted_stages(), "reducer", None)

    @property
    def hdbscan_model_(self) -> Any:
        """The fitted clusterer (None for a loaded or merged model)."""
        return getattr(self._fitted_stages(), "clusterer", None)

    @property
    def vectorizer_model_(self) -> Any:
        """The fitted vectorizer (None for a loaded model: its vocabulary is ``state_.vocabulary``)."""
        return getattr(self._fitted_stages(), "vectorizer", None)

    @property
    def ctfidf_model_(self) -> Any:
        """The c-TF-IDF model whose settings weigh the topic words."""
        return getattr(self._fitted_stages(), "ctfidf", None)

    def _fitted_stages(self) -> FittedComponents | None:
        self._state()
        return getattr(self, "stages_", None)

    @property
    def topic_aspects_(self) -> dict[str, dict[int, list[tuple[str, float]]]]:
        return {aspect: {int(t): list(w) for t, w in words.items()} for aspect, words in self._state().aspects.items()}

    @property
    def zeroshot_report_(self) -> dict[str, Any] | None:
        zs = self._state().zeroshot
        return None if zs is None else copy.deepcopy(zs.report)

    @property
    def merge_mappings_(self) -> list[dict[int, int]] | None:
        """For a model made by ``merge_models``: per input model, its topic ids -> merged ids (else None)."""
        mappings = self._state().merge_mappings
        return None if mappings is None else [dict(m) for m in mappings]

    @property
    def topic_representations_(self) -> dict[int, list[tuple[str, float]]]:
        """BERTopic's attribute: each topic's (word, score) pairs, in topic order (-1 first when present)."""
        state = self._state()
        return {int(t): list(state.words.get(int(t), [])) for t in state.topic_ids}

    @property
    def c_tf_idf_(self) -> Any:
        """BERTopic's attribute: a copy of the (topics, vocabulary) c-TF-IDF matrix, a scipy CSR matrix.

        Rows follow the topic order (-1 first when present); columns are the vocabulary at fit.
        """
        import scipy.sparse as sp

        return sp.csr_matrix(self._state().ctfidf, copy=True)

    @property
    def representative_docs_(self) -> dict[int, list[str]]:
        """BERTopic's attribute: each topic's representative documents (empty after ``load`` unless the model
        was saved with ``save_documents=True``)."""
        state = self._state()
        docs = state.representative_docs
        return {int(t): list(docs[int(t)]) for t in state.topic_ids if int(t) in docs}

    @property
    def topic_mapper_(self) -> Any:
        """BERTopic's attribute: a ``TopicMapper`` from each topic at fit to its topic now.

        Its ``mappings_`` rows are ``[fit id, current id]`` (BERTopic keeps every id in between);
        ``get_mappings()`` is BERTopic's dict. See ``topicscope.TopicMapper`` and docs/porting.md.
        """
        from .topic_mapper import TopicMapper

        return TopicMapper(self._state().topic_mapper)

    def get_topic(self, topic: int, full: bool = False) -> list[tuple[str, float]] | dict[str, Any] | bool:
        """The words of ``topic`` (False if it does not exist); ``full`` adds the aspects."""
        state = self._state()
        topic = check_int(topic, "topic")
        if topic not in state.words:
            return False
        if full:
            return {"Main": list(state.words[topic]), **{k: list(v.get(topic, [])) for k, v in state.aspects.items()}}
        return list(state.words[topic])

    def get_topics(self, full: bool = False) -> dict[int, Any]:
        return {int(t): self.get_topic(int(t), full=full) for t in self._state().topic_ids}

    def get_topic_info(self, topic: int | None = None) -> Any:
        """A DataFrame: Topic, Count, Name, (CustomName), Representation, one column per aspect,
        Representative_Docs."""
        from ..report.tables import topic_info

        return topic_info(self._state(), topic)

    def get_topic_freq(self, topic: int | None = None) -> Any:
        """BERTopic's: a DataFrame of Topic and Count, largest first (ties in topic order); with ``topic``,
        that topic's count as an int (an unknown topic raises ``InputError``)."""
        import pandas as pd

        sizes = self._state().size_map()
        if topic is None:
            table = pd.DataFrame(list(sizes.items()), columns=["Topic", "Count"])
            return table.sort_values("Count", ascending=False, kind="stable")
        topic = check_int(topic, "topic")
        if topic not in sizes:
            raise InputError(f"topic must be one of the model's topics {sorted(sizes)}; got {topic}")
        return sizes[topic]

    def get_document_info(
        self,
        docs: Sequence[str],
        df: Any = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        passages: bool = False,
    ) -> Any:
        """A DataFrame with one row per training document (BERTopic's columns).

        Columns: ``df``'s own columns first when given, then Document, Topic, Name, (CustomName),
        Representation, one column per aspect, Representative_Docs, Top_n_words, Probability (the
        share of the document's neighbours in its topic, outliers included), Representative_document,
        then one column per ``metadata`` key. Probabilities come from the neighbour graph kept at
        fit (or at each ``partial_fit`` batch): nothing is searched again.

        ``passages=True`` (not in BERTopic) adds a Passages column: where in the document each topic
        sits, as a list of {"start", "end", "topic", "similarity"} per passage of 128 words
        (character offsets; see ``topic_passages``, which embeds every passage: the cost of
        embedding the documents again).
        """
        from ..report.tables import document_info
        from ..verbs import passages as passage_verbs

        state = self._state()
        documents = self._training_docs(docs)
        if not isinstance(passages, (bool, np.bool_)):
            raise InputError(f"passages must be True or False; got {passages!r}")
        shares = neighbor_shares(state.neighbor_topics, state.neighbor_weights, state.topic_ids)
        col = np.searchsorted(state.topic_ids, state.doc_topics)
        probability = shares[np.arange(len(col)), col] if len(col) else np.zeros(0)
        table = document_info(state, documents, probability, df=df, metadata=metadata)
        if passages:
            found = passage_verbs.model_passages(
                self._view(), documents, passage_verbs.PASSAGE_WORDS, passage_verbs.PASSAGE_OVERLAP
            )
            table["Passages"] = passage_verbs.passages_by_document(found, len(documents))
        return table

    def get_representative_docs(self, topic: int | None = None) -> dict[int, list[str]] | list[str]:
        docs = self._state().representative_docs
        return {int(t): list(d) for t, d in docs.items()} if topic is None else list(docs.get(int(topic), []))

    def generate_topic_labels(
        self,
        nr_words: int = 3,
        topic_prefix: bool = True,
        word_length: int | None = None,
        separator: str = "_",
        aspect: str | None = None,
    ) -> list[str]:
        """Labels made of each topic's first words, in topic order."""
        state = self._state()
        source = state.words if aspect is None else state.aspects.get(aspect)
        if source is None:
            raise InputError(f"aspect must be one of {sorted(state.aspects)}; got {aspect!r}")
        labels = []
        for t in state.topic_ids:
            words = [w[:word_length] if word_length else w for w, _ in source.get(int(t), [])[:nr_words]]
            labels.append((f"{int(t)}{separator}" if topic_prefix else "") + separator.join(words))
        return labels

    def set_topic_labels(self, topic_labels: Mapping[int, str] | Sequence[str]) -> None:
        """Custom labels (a dict topic -> label, or a list in topic order); shown as CustomName."""
        state = self._state()
        ids = [int(t) for t in state.topic_ids]
        if isinstance(topic_labels, Mapping):
            keys = [check_int(t, "topic_labels keys (topic ids)") for t in topic_labels]
            unknown = [t for t in keys if t not in ids]
            if unknown:
                raise InputError(f"topic_labels names unknown topics {unknown}; topics are {ids}")
            custom = {t: state.names[t] for t in ids}
            custom.update({int(t): str(v) for t, v in topic_labels.items()})
        elif isinstance(topic_labels, Sequence) and not isinstance(topic_labels, str):
            if len(topic_labels) != len(ids):
                raise InputError(f"topic_labels must have one label per topic ({len(ids)}); got {len(topic_labels)}")
            custom = {t: str(v) for t, v in zip(ids, topic_labels)}
        else:
            raise InputError(f"topic_labels must be a dict or a list of labels; got {type(topic_labels).__name__}")
        state.custom_labels = custom


def read_only(arr: np.ndarray) -> np.ndarray:
    """A view of ``arr`` that cannot be written through (``arr`` itself stays writable)."""
    view = np.asarray(arr).view()
    view.flags.writeable = False
    return view
