"""reduce_outliers and approximate_distribution (see verbs.outliers, verbs.distribution)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .base import ModelHooks


class OutlierMethods(ModelHooks):
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
        from .._validation import check_documents
        from ..verbs.distribution import check_distribution_params

        self._state()
        docs = [documents] if isinstance(documents, str) else check_documents(documents, allow_empty=True)
        params = check_distribution_params(
            window=window,
            stride=stride,
            min_similarity=min_similarity,
            batch_size=batch_size,
            padding=padding,
            use_embedding_model=use_embedding_model,
            calculate_tokens=calculate_tokens,
            separator=separator,
        )
        return self._distributions(docs, params)

    def _distributions(self, docs: list[str], params: Any) -> tuple[np.ndarray, list[np.ndarray] | None]:
        from ..verbs.distribution import TopicMatcher, WindowText, approximate_distribution

        state = self._state()
        text = WindowText.from_vectorizer(self._vectorizer(), params.separator)
        if params.use_embedding_model:
            embedder = self._embedder()
            return approximate_distribution(
                state,
                docs,
                text,
                params,
                embed=lambda texts: embedder.embed(texts, verbose=False),
                verbose=bool(self.verbose),
            )
        describer = self._describer()
        matcher = TopicMatcher.from_state(state, describer.ctfidf, describer.seed_words)
        return approximate_distribution(state, docs, text, params, matcher=matcher, verbose=bool(self.verbose))

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
        from .._logging import logger
        from .._validation import check_documents, check_embeddings, check_float, check_labels
        from ..exceptions import InputError
        from ..verbs.distribution import TopicMatcher, check_distribution_params, embedding_similarity
        from ..verbs.outliers import OutlierEvidence, check_probabilities, check_strategy, reduce_outliers

        if images is not None:
            raise InputError("images are not supported by topicscope; got images= (pass images=None)")
        state = self._state()
        name = check_strategy(strategy)
        docs = check_documents(documents, allow_empty=True)
        labels = check_labels(topics, len(docs), name="topics")
        limit = check_float(threshold, "threshold", low=-1.0, high=1.0)
        n_topics = int((state.topic_ids != -1).sum())
        probs = None
        if name == "probabilities":
            if probabilities is None:
                raise InputError(
                    'strategy="probabilities" needs probabilities: the (documents, topics) matrix of '
                    "fit_transform with calculate_probabilities=True"
                )
            probs = check_probabilities(probabilities, len(docs), n_topics)
        emb = None if embeddings is None else check_embeddings(embeddings, len(docs), dim=state.embedding_dim)
        if not isinstance(distributions_params, Mapping):
            raise InputError(f"distributions_params must be a dict; got {type(distributions_params).__name__}")
        if "min_similarity" in distributions_params:
            raise InputError("distributions_params must not set min_similarity: pass it as threshold")
        dist_params = check_distribution_params(
            **{**distributions_params, "min_similarity": limit, "calculate_tokens": False}
        )
        if not (labels == -1).any():
            logger.info("reduce_outliers: the topics have no outliers (-1); they are returned unchanged")
            return [int(t) for t in labels]

        def ctfidf(rows: np.ndarray) -> np.ndarray:
            training = state.training_doc_term
            if training is not None and training.shape[0] == len(docs):
                counts = self._doc_term(docs)[rows]  # fit's own counts when docs are the training documents
            else:
                counts = self._doc_term([docs[i] for i in rows])
            describer = self._describer()
            return TopicMatcher.from_state(state, describer.ctfidf, describer.seed_words).similarity(counts)

        def by_embedding(rows: np.ndarray) -> np.ndarray:
            vectors = emb[rows] if emb is not None else self._embedder().embed([docs[i] for i in rows])
            return embedding_similarity(vectors, state)

        evidence = OutlierEvidence(
            probabilities=lambda rows: np.asarray(probs)[rows],
            distributions=lambda rows: self._distributions([docs[i] for i in rows], dist_params)[0],
            ctfidf=ctfidf,
            embeddings=by_embedding,
        )
        new = reduce_outliers(state, labels, name, threshold=limit, evidence=evidence)
        return [int(t) for t in new]
