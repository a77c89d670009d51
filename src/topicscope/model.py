"""TopicModel, the estimator: it turns its parameters into ``FitSettings``, runs the pipeline, owns
its fitted attributes and hands every verb, lookup and plot to its module (see docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ._components import FittedComponents
from ._logging import logger, stage, verbose_logging
from ._neighbors import index_vectors, neighbor_shares, report_probabilities
from ._topics import Describer
from ._validation import check_documents, check_embeddings, check_labels
from .clustering import is_classifier_like
from .embedding import Embedder, resolve_embedder
from .exceptions import InputError, NotFittedError
from .methods.inspection import InspectionMethods
from .methods.report import ReportMethods
from .methods.verbs import VerbMethods
from .methods.viz import VizMethods
from .pipeline.assign import assign_documents
from .settings import DEFAULT_FIT_SAMPLE_SIZE, FitSettings
from .state import TopicState


class TopicModel(
    InspectionMethods,
    VerbMethods,
    VizMethods,
    ReportMethods,
    BaseEstimator,
):
    """Turn documents into named topics: embed -> reduce -> cluster -> c-TF-IDF -> represent.

    Parameters keep BERTopic's names so its users' code ports with an import change.

    Parameters
    ----------
    language : "english" (the packaged all-MiniLM-L6-v2 is the default embedding model) or
        "multilingual" (no multilingual model ships offline: pass ``embedding_model`` too).
    top_n_words : words kept per topic.
    n_gram_range : n-gram range of the default vectorizer.
    min_topic_size : the smallest topic (HDBSCAN's ``min_cluster_size``).
    nr_topics : None, an int (merge the most similar topics until that many remain) or "auto".
    low_memory : True keeps less in memory after fit: the training documents' term counts are
        dropped (verbs given the training documents then count them again). The default UMAP reducer
        always runs in UMAP's low-memory mode, whatever this says (see docs/porting.md).
    calculate_probabilities : return the full document-topic probability matrix.
    seed_topic_list : lists of seed words (guided topic modelling).
    zeroshot_topic_list, zeroshot_min_similarity : named topics matched by cosine similarity.
    embedding_model : None (the packaged all-MiniLM-L6-v2), a sentence-transformers name or
        path, or any object with ``encode(list[str])``.
    umap_model : the reducer. Default: none (``reduction.Identity()``) for the default clusterer,
        UMAP (5 components, cosine) for a clusterer of yours; ``reduction.umap_reducer`` builds it.
    hdbscan_model : the clusterer. Default: Leiden communities of the documents' nearest-neighbour
        graph (``clustering.GraphCommunities``); any scikit-learn clusterer (HDBSCAN via
        ``clustering.hdbscan_clusterer``), a classifier (supervised) or ``clustering.LabelsGiven()``
        (manual).
    vectorizer_model : default ``CountVectorizer(stop_words="english")``.
    ctfidf_model : a ``vectorize.ClassTfidfTransformer``.
    representation_model : a representation model, a list (chain) or a dict (named aspects).
    verbose : progress bars and stage timings.
    random_state : makes fits repeatable.
    fit_sample_size : fit the topic structure on a seeded sample of this many documents and assign
        the others to it (topic words, sizes and embeddings still count every document; see
        docs/scale.md); None never samples. Up to this many documents a fit is unchanged.
    """

    # Fitted attributes: only the estimator (this class and its method mixins) assigns them: fit, partial_fit,
    # load, merge_models, the verbs, and install for fits run elsewhere (the Dask engine's). Other modules
    # return values.
    state_: TopicState
    stages_: FittedComponents
    probabilities_: np.ndarray | None
    _embedder_cache: Embedder | None
    _embedder_spec: Any

    def __init__(
        self,
        language: str = "english",
        top_n_words: int = 10,
        n_gram_range: tuple[int, int] = (1, 1),
        min_topic_size: int = 10,
        nr_topics: int | str | None = None,
        low_memory: bool = False,
        calculate_probabilities: bool = False,
        seed_topic_list: list[list[str]] | None = None,
        zeroshot_topic_list: list[str] | None = None,
        zeroshot_min_similarity: float = 0.7,
        embedding_model: Any = None,
        umap_model: Any = None,
        hdbscan_model: Any = None,
        vectorizer_model: Any = None,
        ctfidf_model: Any = None,
        representation_model: Any = None,
        verbose: bool = False,
        random_state: int | None = None,
        fit_sample_size: int | None = DEFAULT_FIT_SAMPLE_SIZE,
    ) -> None:
        self.language = language
        self.top_n_words = top_n_words
        self.n_gram_range = n_gram_range
        self.min_topic_size = min_topic_size
        self.nr_topics = nr_topics
        self.low_memory = low_memory
        self.calculate_probabilities = calculate_probabilities
        self.seed_topic_list = seed_topic_list
        self.zeroshot_topic_list = zeroshot_topic_list
        self.zeroshot_min_similarity = zeroshot_min_similarity
        self.embedding_model = embedding_model
        self.umap_model = umap_model
        self.hdbscan_model = hdbscan_model
        self.vectorizer_model = vectorizer_model
        self.ctfidf_model = ctfidf_model
        self.representation_model = representation_model
        self.verbose = verbose
        self.random_state = random_state
        self.fit_sample_size = fit_sample_size

    # ------------------------------------------------------------------ fitting
    def settings(self) -> FitSettings:
        """The parameters as a frozen ``FitSettings`` (the values as given; the components are the
        user's objects). Built anew on each call, so it follows ``set_params``; checked by
        ``pipeline.check_params``. This is all the fitting core and the Dask engine read of the model."""
        return FitSettings.from_params(self.get_params(deep=False))

    def install(self, state: TopicState, stages: FittedComponents, *, embedder: Embedder | None = None) -> TopicModel:
        """Make this model the fitted model ``state`` and ``stages`` describe; returns self.

        What ``fit`` does with the result of ``pipeline.fit_topics``, for fits run elsewhere (the
        Dask engine) and models made from others (``merge_models``): ``state_`` and ``stages_`` are
        replaced in one step and ``probabilities_`` is reset to None. ``embedder``: an ``Embedder``
        already made for this model's ``embedding_model`` (shared, so that model loads once).
        """
        if not isinstance(state, TopicState):
            raise InputError(f"state must be a TopicState; got {type(state).__name__}")
        if not isinstance(stages, FittedComponents):
            raise InputError(f"stages must be a FittedComponents; got {type(stages).__name__}")
        if embedder is not None and not isinstance(embedder, Embedder):
            raise InputError(f"embedder must be an Embedder or None; got {type(embedder).__name__}")
        self.state_, self.stages_, self.probabilities_ = state, stages, None
        if embedder is not None:
            self._embedder_cache, self._embedder_spec = embedder, self.embedding_model
        return self

    def embedder(self) -> Embedder:
        """The embedding model as an ``Embedder``: made from ``embedding_model`` on first use (loading
        nothing yet) and kept until ``embedding_model`` changes. ``InputError`` naming
        ``embedding_model`` when it is not a model."""
        cached = getattr(self, "_embedder_cache", None)
        if cached is None or self._embedder_spec is not self.embedding_model:
            cached = self._embedder_cache = resolve_embedder(self.embedding_model)
            self._embedder_spec = self.embedding_model
        return cached

    def _embedder(self) -> Embedder:
        """The mixins' hook for ``embedder()`` (see ``methods.base.ModelHooks``)."""
        return self.embedder()

    def _embed_fn(self) -> Any:
        from .pipeline.fit import embed_function

        return embed_function(self.embedder())

    def _embed_documents(self, docs: list[str], embeddings: Any, *, dim: int | None = None) -> np.ndarray:
        """Unit rows at the precision of the neighbour index (see ``_neighbors.index_vectors``)."""
        if embeddings is not None:
            return index_vectors(check_embeddings(embeddings, len(docs), dim=dim))
        with stage("embedding", verbose=bool(self.verbose)):
            emb = self._embedder().embed(docs, verbose=bool(self.verbose))
        name = "embedding_model output"
        return index_vectors(check_embeddings(emb, len(docs), name=name, dim=dim), name=name)

    def _ctfidf(self, stages: FittedComponents | None = None) -> Any:
        """The fitted c-TF-IDF model (of ``stages`` when given), or the one a fit would use."""
        from .pipeline.fit import make_ctfidf

        stages = stages if stages is not None else getattr(self, "stages_", None)
        return getattr(stages, "ctfidf", None) or make_ctfidf(self.settings())

    def _describer(self, stages: FittedComponents | None = None) -> Describer:
        """The components that describe topics, for verbs that change them (reduce, merge, online)."""
        from .pipeline.fit import make_describer

        stages = stages if stages is not None else getattr(self, "stages_", None)
        ctfidf = self._ctfidf(stages)
        return make_describer(self.settings(), ctfidf, getattr(stages, "vectorizer", None), self._embed_fn())

    def fit(self, documents: Sequence[str], embeddings: Any = None, y: Any = None) -> TopicModel:
        """Fit the model on ``documents`` (with precomputed ``embeddings``; ``y`` for (semi-)supervised use)."""
        from .pipeline.fit import check_n_docs, check_params, fit_topics, new_text_embed

        with verbose_logging(bool(self.verbose)):
            docs = check_documents(documents)
            settings = self.settings()
            check_params(settings)
            check_n_docs(settings, len(docs))
            labels = check_labels(y, len(docs)) if y is not None else None
            emb = self._embed_documents(docs, embeddings)
            # The model is loaded only if a stage really needs it (zero-shot names, KeyBERT words).
            embed = (
                self._embed_fn()
                if embeddings is None
                else new_text_embed(self.embedder, "Precomputed embeddings were given")
            )
            # Everything is computed first and assigned in one step: a fit that raises (a representation
            # model that fails, say) leaves a fitted model as it was.
            state, stages = fit_topics(settings, docs, emb, embed, y=labels)
            self.install(state, stages)
        return self

    def fit_transform(
        self, documents: Sequence[str], embeddings: Any = None, y: Any = None
    ) -> tuple[list[int], np.ndarray]:
        """Fit, then return (topics, probabilities) of the training documents.

        Probabilities come from the neighbour graph built during fit (no second search).
        """
        self.fit(documents, embeddings=embeddings, y=y)
        state = self.state_
        shares = neighbor_shares(state.neighbor_topics, state.neighbor_weights, state.topic_ids)
        probabilities = self._report_probabilities(shares, state.doc_topics)
        self.probabilities_ = probabilities
        return self.topics_, probabilities

    # ---------------------------------------------------------------- inference
    def _state(self) -> TopicState:
        state = getattr(self, "state_", None)
        if state is None:
            raise NotFittedError(
                "This TopicModel is not fitted yet: call fit(documents) or TopicModel.load(path) first"
            )
        return state

    def _training_docs(self, docs: Any) -> list[str]:
        """``docs`` checked to be the training documents (as many, as strings), for verbs that take them."""
        documents = check_documents(docs, name="docs")
        n = len(self._state().doc_topics)
        if len(documents) != n:
            raise InputError(f"docs must be the {n} training documents, in order; got {len(documents)}")
        return documents

    def _vectorizer(self) -> Any:
        """The fitted vectorizer; for a model without one (loaded from settings it could not save),
        ``vectorizer_model`` or the default vectorizer."""
        from .vectorize import default_vectorizer

        for vectorizer in (getattr(getattr(self, "stages_", None), "vectorizer", None), self.vectorizer_model):
            if callable(getattr(vectorizer, "build_analyzer", None)):
                return vectorizer
        return default_vectorizer(self.n_gram_range)

    def _analyzer(self) -> Any:
        """The fitted vectorizer's text -> terms function."""
        return self._vectorizer().build_analyzer()

    def _doc_term(self, docs: list[str]) -> Any:
        """Term counts of ``docs`` over the fitted vocabulary (fit's own matrix for the training documents),
        counted as the fitted vectorizer counts (``binary``: presence, not frequency)."""
        from .vectorize import doc_term_for

        state = self._state()
        binary = bool(getattr(self._vectorizer(), "binary", False))
        return doc_term_for(
            docs, state.vocabulary, self._analyzer(), state.training_fingerprint, state.training_doc_term, binary=binary
        )

    def _training_topics(self, docs: list[str]) -> np.ndarray | None:
        """The training topics when ``docs`` are the training documents, else None (``_topics.training_topics``)."""
        from ._topics import training_topics

        return training_topics(self._state(), docs)

    def _report_probabilities(self, shares: np.ndarray, topics: np.ndarray) -> np.ndarray:
        """The probabilities returned to users (see ``pipeline.assign.report_probabilities``)."""
        return report_probabilities(self._state().topic_ids, shares, topics, full=bool(self.calculate_probabilities))

    def _assign(self, emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(topics, probabilities) of new documents' embeddings (unit rows at index precision)."""
        topics, shares = assign_documents(self._state(), emb, self._fitted_classifier())
        return topics, self._report_probabilities(shares, topics)

    def _fitted_classifier(self) -> tuple[Any, Any] | None:
        """(reducer, classifier) of a supervised model fitted in this process, else None.

        A supervised model assigns new documents with its own classifier, as BERTopic does. A
        loaded one has no classifier (nothing executable is saved) and uses the neighbour index;
        that is logged once.
        """
        state = self._state()
        if not state.labels_given:
            return None
        stages = getattr(self, "stages_", None)
        clusterer = getattr(stages, "clusterer", None)
        if (
            stages is not None
            and clusterer is not None
            and is_classifier_like(clusterer)
            and callable(getattr(clusterer, "predict", None))
        ):
            return stages.reducer, clusterer
        told = getattr(self, "_told_no_classifier", False)
        if clusterer is None and not told:  # a loaded supervised model
            logger.info(
                "this model has given labels but no fitted classifier (manual mode, or a loaded supervised model): "
                "new documents are assigned by its neighbour index"
            )
            self._told_no_classifier = True
        return None

    def transform(self, documents: Sequence[str], embeddings: Any = None) -> tuple[list[int], np.ndarray]:
        """Topics and probabilities of new documents (on training documents: the topics of fit).

        A document takes the topic of its nearest training documents (see ``pipeline.assign``); a
        supervised model's classifier predicts it instead. -1 (outlier) is returned only by a
        model that has an outlier topic.
        """
        state = self._state()
        with verbose_logging(bool(self.verbose)):
            docs = check_documents(documents, allow_empty=True)
            if not docs:
                return [], self._assign(np.zeros((0, state.embedding_dim), dtype=np.float32))[1]
            emb = self._embed_documents(docs, embeddings, dim=state.embedding_dim)
            topics, probs = self._assign(emb)
        return [int(t) for t in topics], probs

    # -------------------------------------------------------------- persistence
    def save(
        self,
        path: str | Path,
        serialization: str = "safetensors",
        save_ctfidf: bool = True,
        save_embedding_model: bool | str = True,
        *,
        save_documents: bool = False,
    ) -> None:
        """Save to a folder in a safe format (JSON + safetensors, never pickle), atomically.

        BERTopic's arguments are accepted: ``serialization`` "safetensors" or "pytorch" (both write
        this format; "pickle" is refused, since loading a pickle can run arbitrary code).
        ``save_ctfidf=False`` leaves out the c-TF-IDF weights, recomputed from the per-topic term
        counts at load (the counts are always saved: reduce, merge and online updates need them).
        ``save_embedding_model``: True stores a reference to the embedding model (the default model
        or a hub name; a local folder or an object of yours is named but must be passed again to
        ``load``), a string stores that hub name, False stores none. The training documents' text
        (representative documents) is stored only with ``save_documents=True``.
        """
        from .persistence.files import check_save_options, save_model

        check_save_options(serialization, save_ctfidf, save_embedding_model)  # before the NotFittedError
        save_model(
            Path(path),
            self.settings(),
            self._state(),
            getattr(self, "stages_", None),
            serialization=serialization,
            save_ctfidf=save_ctfidf,
            save_embedding_model=save_embedding_model,
            save_documents=save_documents,
        )

    @classmethod
    def load(cls, path: str | Path, *, embedding_model: Any = None, representation_model: Any = None) -> TopicModel:
        """Load a saved model (a malformed folder raises ``PersistenceError``).

        The embedding model is ``embedding_model`` when given, else the one the file names: the
        packaged default or a hub name (loaded offline from the Hugging Face cache on first use). A
        model fitted with a local folder or an object of yours, or saved with
        ``save_embedding_model=False``, loads without one: everything that needs no new embeddings
        works, and anything that must embed raises an ``InputError`` asking for ``embedding_model=``.

        Representation models (KeyBERT, LLM labellers) are not saved: their words and labels are.
        Pass ``representation_model`` again to use it when topics are re-described (reduce, merge).
        """
        from .persistence.files import load_model

        loaded = load_model(Path(path), embedding_model=embedding_model)
        model = cls(**loaded.params)
        model.representation_model = representation_model
        model.state_, model.stages_ = loaded.state, loaded.stages
        return model

    # ------------------------------------------ verbs (the analysis verbs are in methods/verbs.py)
    @classmethod
    def merge_models(
        cls, models: Sequence[TopicModel], min_similarity: float = 0.7, embedding_model: Any = None
    ) -> TopicModel:
        """Combine fitted models: similar topics map together, the others are appended.

        ``embedding_model`` is the merged model's (default: the first model's).
        """
        from .pipeline.fit import embed_function, make_describer
        from .verbs.merge import check_models, merge_states

        models, threshold = check_models(cls, models, min_similarity)
        first = models[0]
        params = first.get_params(deep=False)
        if embedding_model is not None:
            params["embedding_model"] = embedding_model
        merged = cls(**params)
        settings = merged.settings()
        first_stages = getattr(first, "stages_", None)
        stages = FittedComponents(
            reducer=None,
            clusterer=None,
            vectorizer=getattr(first_stages, "vectorizer", None),
            ctfidf=first._ctfidf(),
        )
        # The first model's embedder is shared (its embedding model loads at most once).
        embedder = first.embedder() if embedding_model is None else merged.embedder()
        describer = make_describer(settings, stages.ctfidf, stages.vectorizer, embed_function(embedder))
        state = merge_states([m.state_ for m in models], threshold, describer)
        return merged.install(state, stages, embedder=embedder)

    def partial_fit(
        self,
        documents: Sequence[str],
        embeddings: Any = None,
        y: Any = None,
        *,
        index_rows_per_topic: int | None = None,
    ) -> TopicModel:
        """Update the model with a batch of documents (online learning; see ``verbs.online``).

        ``y`` is accepted for BERTopic's signature; labels cannot steer online clustering, so a
        value other than None is refused. ``index_rows_per_topic`` (first call only) caps the
        neighbour index kept for ``transform`` (default ``verbs.online.INDEX_ROWS_PER_TOPIC``).
        A call that raises (a representation model that fails, say) leaves the model as it was, so the
        same batch can be passed again.
        """
        from .pipeline.fit import check_params
        from .verbs.online import check_online_params, continued_stream, online_update, start_online

        if y is not None:
            raise InputError("y is not supported by partial_fit (online clustering takes no labels); got labels")
        with verbose_logging(bool(self.verbose)):
            docs = check_documents(documents)
            state: TopicState | None = getattr(self, "state_", None)
            stages = getattr(self, "stages_", None)
            if state is not None:
                stages = continued_stream(stages)
            else:
                settings = self.settings()
                check_online_params(settings)
                check_params(settings)  # no document count: a batch may be smaller than min_topic_size
                stages = start_online(settings, index_rows_per_topic)
            emb = self._embed_documents(docs, embeddings, dim=None if state is None else state.embedding_dim)
            # The batch is learnt on copies (online_update leaves state and stages as they were); the
            # model takes them only once the topics are described, so a call that raises changes nothing.
            new_state, new_stages = online_update(state, stages, docs, emb, verbose=bool(self.verbose))
            with stage("topic representations", verbose=bool(self.verbose)):
                self._describer(new_stages)(new_state)
            if new_state.custom_labels is not None:
                for t in new_state.topic_ids:
                    new_state.custom_labels.setdefault(int(t), new_state.names[int(t)])
            self.install(new_state, new_stages)
        return self
