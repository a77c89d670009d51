"""Merge fitted topic models by topic similarity (federated or incremental topic modelling).

``merge_models(cls, models, min_similarity)`` returns a new, complete model; the inputs are not
modified. Topics are compared by the cosine similarity of their topic embeddings. A topic of a
later model whose most similar merged topic reaches ``min_similarity`` maps onto it; any other
topic is appended as a new topic. The outlier topic -1 always maps onto -1.

A merged topic combines the evidence of its parts: its class-term counts are the sum of the parts'
counts over the union of the vocabularies, so its c-TF-IDF, words and name are recomputed from all
of them; its size is the sum of the parts' sizes; its embedding is the size-weighted mean of the
parts' embeddings (renormalised); its representative documents are pooled from the parts and
re-ranked by closeness to the merged embedding. The neighbour index used by ``transform`` is the
concatenation of the models' indexes, so new documents are assigned with the evidence of all models,
and ``topics_`` lists the training documents of every model, in model order.

What depends on the order of ``models``:

* The first model wins: its topics keep their ids and zero-shot names, its parameters
  (``ctfidf_model``, ``representation_model``, ``top_n_words``, embedding model, ...) are the
  merged model's parameters, and its custom labels are kept.
* Later models are matched one after the other. Each topic of model ``j`` is compared with the
  merged topics as they stand after models ``0..j-1`` (topics appended from earlier models
  included, topics of model ``j`` itself excluded), with embeddings already updated by the earlier
  matches. Several topics of one model may map onto the same merged topic.
* Appended topics get the next free ids (after the largest id so far), in model order and then in
  the model's own topic order; ids are never renumbered by size.
* The union vocabulary lists the first model's terms, then the new terms of each later model in
  the order they appear.

The mapping from each model's topic ids to merged ids is kept, JSON-safe, in
``merged.state_.merge_mappings`` (one ``{source id: merged id}`` dict per input model, in order),
also ``merged.merge_mappings_``. Merging a
merged model records the mapping of that merge only.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._neighbors import NO_TOPIC, normalise_rows
from .._topics import N_REPRESENTATIVE, Describer, combine_topics, pool_candidates, remap_topics, state_evidence
from .._validation import check_float
from ..exceptions import InputError, NotFittedError
from ..state import TopicState

__all__ = ["check_models", "merge_states"]


def check_models(cls: type, models: Any, min_similarity: Any) -> tuple[list[Any], float]:
    """Validate ``merge_models`` inputs: fitted ``cls`` objects sharing one embedding model."""
    if isinstance(models, (str, bytes)) or not isinstance(models, Sequence):
        raise InputError(f"models must be a list of fitted TopicModel objects; got {type(models).__name__}")
    models = list(models)
    if not models:
        raise InputError("models must contain at least one fitted TopicModel; got an empty list")
    for i, model in enumerate(models):
        if not isinstance(model, cls):
            raise InputError(f"models must contain {cls.__name__} objects; item {i} is {type(model).__name__}")
        if getattr(model, "state_", None) is None:
            raise NotFittedError(
                f"models[{i}] is not fitted: call fit(documents) or TopicModel.load(path) before merging"
            )
    sim = check_float(min_similarity, "min_similarity", low=-1.0, high=1.0)
    from ..embedding import embedding_reference

    def space(spec: Any) -> dict[str, Any]:  # how long documents are read does not change the space
        return {k: v for k, v in embedding_reference(spec).items() if k != "long_documents"}

    first_ref = space(models[0].embedding_model)
    first_dim = models[0].state_.embedding_dim
    for i, model in enumerate(models[1:], start=1):
        ref = space(model.embedding_model)
        dim = model.state_.embedding_dim
        if ref != first_ref or dim != first_dim:
            raise InputError(
                "models must share one embedding model to be merged (topic embeddings must be comparable); "
                f"models[0] uses {_describe_ref(first_ref)} ({first_dim} dimensions) but models[{i}] uses "
                f"{_describe_ref(ref)} ({dim} dimensions)"
            )
    return models, sim


def _describe_ref(ref: dict[str, Any]) -> str:
    return ref.get("name") or ref.get("class") or str(ref)


def _union_vocabulary(states: list[TopicState]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The union vocabulary and, per state, the union column of each of its columns."""
    column: dict[str, int] = {}
    maps = []
    for state in states:
        cols = np.empty(len(state.vocabulary), dtype=np.int64)
        for i, term in enumerate(state.vocabulary):
            cols[i] = column.setdefault(str(term), len(column))
        maps.append(cols)
    vocab = np.empty(len(column), dtype=object)
    for term, i in column.items():
        vocab[i] = term
    return vocab, maps


def _match_topics(states: list[TopicState], threshold: float) -> tuple[list[dict[int, int]], list[int]]:
    """Map every topic of every state to a merged id; returns the mappings and the merged ids in order."""
    first = states[0]
    merged_ids = [int(t) for t in first.topic_ids]
    emb_sum = {
        int(t): first.topic_embeddings[r].astype(np.float64) * float(first.sizes[r])
        for r, t in enumerate(first.topic_ids)
    }
    mappings = [{int(t): int(t) for t in first.topic_ids}]
    next_id = max([t + 1 for t in merged_ids] + [0])
    for state in states[1:]:
        candidates = [t for t in merged_ids if t != -1]
        cand_emb = normalise_rows(np.stack([emb_sum[t] for t in candidates])) if candidates else None
        mapping: dict[int, int] = {}
        for r, topic in enumerate(int(t) for t in state.topic_ids):
            if topic == -1:
                mapping[topic] = -1
                continue
            target = None
            if cand_emb is not None:
                sims = cand_emb @ state.topic_embeddings[r].astype(np.float64)
                best = int(np.argmax(sims))  # ties: the lowest merged id
                if sims[best] >= threshold:
                    target = candidates[best]
            if target is None:
                target = next_id
                next_id += 1
            mapping[topic] = target
        # Update the merged topics only after the whole model is matched (its topics never match each other).
        for r, topic in enumerate(int(t) for t in state.topic_ids):
            target = mapping[topic]
            contribution = state.topic_embeddings[r].astype(np.float64) * float(state.sizes[r])
            if target in emb_sum:
                emb_sum[target] = emb_sum[target] + contribution
            else:
                emb_sum[target] = contribution
                merged_ids.append(target)
        mappings.append(mapping)
    return mappings, merged_ids


def _combine(states: list[TopicState], mappings: list[dict[int, int]], topic_ids: np.ndarray) -> TopicState:
    """A new TopicState holding the summed evidence of ``states`` under ``mappings`` (undescribed)."""
    vocab, col_maps = _union_vocabulary(states)
    parts = []
    for state, cols in zip(states, col_maps):
        part = state_evidence(state)
        part.columns = cols
        parts.append(part)
    class_term, sizes, emb = combine_topics(parts, mappings, topic_ids, len(vocab))
    k, v = len(topic_ids), len(vocab)
    dim = states[0].embedding_dim
    topic_emb = normalise_rows(emb).astype(np.float32)

    cand_docs: dict[int, list[str]] = {}
    cand_emb: dict[int, np.ndarray] = {}
    rep_docs: dict[int, list[str]] = {}
    for row, topic in enumerate(int(t) for t in topic_ids):
        docs: list[str] = []
        vecs: list[np.ndarray] = []
        reps: list[str] = []
        for state, mapping in zip(states, mappings):
            for src in (int(t) for t in state.topic_ids):
                if mapping[src] != topic:
                    continue
                src_docs = state.candidate_docs.get(src, [])
                src_vecs = state.candidate_embeddings.get(src)
                if src_docs and src_vecs is not None and len(src_vecs) == len(src_docs):
                    docs.extend(src_docs)
                    vecs.append(np.asarray(src_vecs, dtype=np.float32))
                reps.extend(d for d in state.representative_docs.get(src, []) if d not in reps)
        if docs:
            cand_docs[topic], cand_emb[topic] = pool_candidates(docs, np.concatenate(vecs), topic_emb[row])
            rep_docs[topic] = cand_docs[topic][:N_REPRESENTATIVE]
        elif reps:
            # Loaded models keep no candidate embeddings: take each part's best documents in turn.
            rep_docs[topic] = reps[:N_REPRESENTATIVE]

    def remap(values: np.ndarray, mapping: dict[int, int]) -> np.ndarray:
        lookup = {int(t): m for t, m in mapping.items()}
        return np.array([lookup[int(t)] for t in values], dtype=np.int64)

    first = states[0]
    # Every model's zero-shot names survive, on their merged topics (the first model's name wins).
    zs_names: dict[int, str] = {}
    for state, mapping in zip(states, mappings):
        for t, name in state.zeroshot_names.items():
            zs_names.setdefault(mapping[int(t)], name)
    index_parts = [s.index_embeddings.astype(np.float16) for s in states if len(s.index_topics)]
    return TopicState(
        topic_ids=topic_ids,
        sizes=sizes,
        vocabulary=vocab,
        class_term=sp.csr_matrix(class_term),
        ctfidf=sp.csr_matrix((k, v)),
        topic_embeddings=topic_emb,
        words={},
        names={},
        representative_docs=rep_docs,
        custom_labels=dict(first.custom_labels) if first.custom_labels else None,
        zeroshot_names=zs_names,
        zeroshot_embeddings=first.zeroshot_embeddings.copy(),
        doc_topics=np.concatenate([remap(s.doc_topics, m) for s, m in zip(states, mappings)]),
        index_embeddings=np.concatenate(index_parts) if index_parts else np.zeros((0, dim), dtype=np.float16),
        index_topics=np.concatenate([remap(s.index_topics, m) for s, m in zip(states, mappings)]),
        neighbor_topics=_stack_neighbors(
            [remap_topics(s.neighbor_topics, m) for s, m in zip(states, mappings)], NO_TOPIC
        ).astype(np.int64),
        neighbor_weights=_stack_neighbors([s.neighbor_weights for s in states], 0.0).astype(np.float32),
        labels_given=all(s.labels_given for s in states),
        topic_mapper={int(t): int(t) for t in topic_ids},
        zeroshot=copy.deepcopy(first.zeroshot),
        online=copy.deepcopy(first.online),
        candidate_docs=cand_docs,
        candidate_embeddings=cand_emb,
    )


def merge_states(states: list[TopicState], min_similarity: float, describer: Describer) -> TopicState:
    """The merged, described state of fitted ``states``; see the module docstring."""
    mappings, merged_ids = _match_topics(states, min_similarity)
    topic_ids = np.array(sorted(merged_ids), dtype=np.int64)
    state = _combine(states, mappings, topic_ids)
    state.merge_mappings = [{int(t): int(m) for t, m in mapping.items()} for mapping in mappings]
    describer(state)
    if state.custom_labels is not None:
        for t in state.topic_ids:
            state.custom_labels.setdefault(int(t), state.names[int(t)])
    return state


def _stack_neighbors(parts: list[np.ndarray], fill: float) -> np.ndarray:
    """Per-document neighbour arrays of several models as one, narrower ones padded with ``fill``."""
    width = max((p.shape[1] for p in parts), default=0)
    padded = [np.pad(p, ((0, 0), (0, width - p.shape[1])), constant_values=fill) for p in parts]
    return np.concatenate(padded) if padded else np.zeros((0, 0))
