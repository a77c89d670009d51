"""Fit on a sample, assign the rest, exact words over everything: the one home of the sample path.

Above ``fit_sample_size`` documents, the topic structure (graph, communities, or the user's
reducer and clusterer) is fitted on a seeded sample; every other document is assigned to it
with the sample's neighbour index, as ``transform`` would; then topic words, sizes, embeddings
and representative documents are computed over all documents. Both engines run the functions
below on row blocks: this process (``pipeline.fit_sampled``, called by ``TopicModel.fit``) and
Dask (``topicscope.distributed``, on partitions). Each function of a block is pure and gives the
same answer however the rows are split into blocks:

* term counts, sizes and embedding sums are added as integers (embeddings in fixed point), so
  the order of the additions does not matter;
* neighbour searches run in chunks of at least two rows (a one-row matrix product goes through
  another BLAS routine, whose last bits differ), and similarities to a topic are summed per row
  in float64;
* representative documents are each block's top candidates per topic, merged by the same
  ranking (similarity, then row number), which gives exactly the global top.

Which documents' words count for a topic (``state.class_term``, see ``_topics.core_documents``):
a sample document counts when most of its graph neighbours share its topic, as in a plain fit;
an assigned document counts when most of the sample neighbours it was assigned by share its
topic. A topic none of whose documents count keeps all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..settings import DEFAULT_FIT_SAMPLE_SIZE as DEFAULT_FIT_SAMPLE_SIZE  # the default fit_sample_size

SAMPLE_SEED = 0  # the sample's seed when random_state is None (the default clusterer's too)
BLOCK_ROWS = 20_000  # rows per block of this process's engine
_CHUNK = 512  # rows per neighbour search: at most one exact-search block (EXACT_LIMIT vectors)
_FIXED_POINT = float(2**24)  # embedding sums are added as integers at this scale


# The default clusterer on a sample: its resolution is raised by (documents / sample) ** this, so
# that it finds topics as fine as a fit of all documents does (a sparser graph merges more).
# Fitted on octis_dblp samples of 5, 10 and 20% (the resolution giving the full fit's 22-24
# topics); checked on 20newsgroups (10%: 12 topics against 11). At the default resolution a 10%
# sample of octis_dblp found 7 topics where the full fit finds 22.
RESOLUTION_EXPONENT = 0.37


def sample_clusterer(clusterer: Any, fraction: float) -> Any:
    """The default clusterer (``GraphCommunities``) set for a sample of ``fraction`` of the documents.

    ``min_topic_size`` counts documents of the corpus: on the sample the smallest community is that
    share of it (at least 2), and the modularity resolution is raised (``RESOLUTION_EXPONENT``).
    """
    min_size = max(2, int(np.ceil(clusterer.min_cluster_size * fraction)))
    resolution = clusterer.resolution * (1.0 / fraction) ** RESOLUTION_EXPONENT
    return clusterer.set_params(min_cluster_size=min_size, resolution=resolution)


def draw_sample(n: int, size: int, random_state: int | None) -> np.ndarray:
    """Sorted row numbers of a seeded sample of ``size`` of ``n`` rows (all rows when ``size >= n``)."""
    if size >= n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(SAMPLE_SEED if random_state is None else int(random_state))
    return np.sort(rng.choice(n, size=size, replace=False)).astype(np.int64)


# ------------------------------------------------------------------------------------ assignment
@dataclass
class SamplePlan:
    """What a block needs to assign its documents: the sample's topics and neighbour index.

    Sent once to every worker; the index is rebuilt there on first use (single-threaded, so
    identically) from the sample's vectors.
    """

    rows: np.ndarray  # sorted row numbers of the sample documents
    topics: np.ndarray  # their topics
    neighbor_topics: np.ndarray  # their kept neighbours (pipeline.assign.training_neighbors), self first
    neighbor_weights: np.ndarray
    core: np.ndarray  # whether most of their graph neighbours share their topic
    index: Any  # neighbors.NeighborIndex over the sample's vectors
    topic_ids: np.ndarray  # the topics a document can be assigned to
    keep_ids: bool  # labels are the topics (manual, supervised): documents keep their label
    width: int  # columns of the kept neighbour arrays
    zeroshot_embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    zeroshot_topics: list[int | None] = field(default_factory=list)
    zeroshot_min_similarity: float = 0.0


@dataclass
class Assigned:
    """Per-document results of a block: topics, kept neighbours (self first) and core flags."""

    topics: np.ndarray
    neighbor_topics: np.ndarray
    neighbor_weights: np.ndarray
    core: np.ndarray


def sample_plan(found: Any, rows: np.ndarray, vectors: np.ndarray) -> SamplePlan:
    """The plan of a structure (``pipeline.Structure``) fitted on the sample ``rows`` (their ``vectors``)."""
    from .._neighbors import DEFAULT_K, NeighborIndex, training_neighbors
    from .._topics import agreeing, graph_topics

    topics = found.doc_topics.astype(np.int64)
    nt, nw = training_neighbors(topics, found.graph_idx, found.graph_sim)
    index = found.index if found.index is not None else NeighborIndex(vectors)
    k = min(DEFAULT_K, len(index))
    zs = found.zs_info
    width = max(nt.shape[1], 1 + k + (1 if found.zs_names and zs is not None else 0))
    return SamplePlan(
        rows=np.asarray(rows, dtype=np.int64),
        topics=topics,
        neighbor_topics=nt,
        neighbor_weights=nw,
        core=np.ones(len(topics), dtype=bool)
        if found.keep_ids
        else agreeing(graph_topics(found.graph_idx, topics), topics),
        index=index,
        topic_ids=np.unique(topics),
        keep_ids=bool(found.keep_ids),
        width=width,
        zeroshot_embeddings=found.zs_emb if found.zs_names and zs is not None else np.zeros((0, 0), np.float32),
        zeroshot_topics=list(zs.topic_ids) if found.zs_names and zs is not None else [],
        zeroshot_min_similarity=float(zs.min_similarity) if zs is not None else 0.0,
    )


def _chunked(fn: Callable[[np.ndarray], tuple[np.ndarray, ...]], x: np.ndarray) -> tuple[np.ndarray, ...]:
    """``fn`` over row chunks of ``x`` (a one-row chunk is searched as two copies of the row)."""
    parts = []
    for start in range(0, len(x), _CHUNK):
        block = x[start : start + _CHUNK]
        if len(block) == 1:
            parts.append(tuple(a[:1] for a in fn(np.vstack([block, block]))))
        else:
            parts.append(fn(block))
    return tuple(np.concatenate(cols) for cols in zip(*parts))


def _assign_new(plan: SamplePlan, vectors: np.ndarray, labels: np.ndarray | None) -> Assigned:
    """Topics of documents outside the sample, from their nearest sample documents (as ``transform``)."""
    from .._neighbors import DEFAULT_K, NO_TOPIC
    from .._topics import agreeing
    from .assign import assign_topics, index_neighbors
    from .zeroshot import zeroshot_transform

    n = len(vectors)
    ntop, nwt, nearest = _chunked(lambda q: index_neighbors(q, plan.index, plan.topics, DEFAULT_K), vectors)
    topics, _ = assign_topics(ntop, nwt, plan.topic_ids, nearest)
    if plan.keep_ids and labels is not None:  # labels are the topics, as in a plain fit
        topics = np.asarray(labels, dtype=np.int64)
    cols, wcols = [ntop], [nwt]
    if len(plan.zeroshot_topics):  # a document close enough to a zero-shot name takes its topic
        forced, similarity = _chunked(
            lambda q: zeroshot_transform(
                q, plan.zeroshot_embeddings, plan.zeroshot_topics, plan.zeroshot_min_similarity
            ),
            vectors,
        )
        hit = forced != NO_TOPIC
        topics = np.where(hit, forced, topics)
        # The name counts as one more neighbour, weighted by its similarity (as in transform).
        cols.append(np.where(hit, forced, NO_TOPIC)[:, None])
        wcols.append(np.where(hit, np.clip(similarity, 1e-6, None), 0.0)[:, None].astype(np.float32))
    neighbours = np.hstack(cols).astype(np.int64)
    core = np.ones(n, dtype=bool) if plan.keep_ids else agreeing(neighbours, topics)
    nt = np.hstack([topics[:, None].astype(np.int64), neighbours])
    nw = np.hstack([np.ones((n, 1), dtype=np.float32), np.hstack(wcols).astype(np.float32)])
    return Assigned(topics.astype(np.int64), nt, nw, core)


def assign_block(plan: SamplePlan, vectors: np.ndarray, rows: np.ndarray, labels: np.ndarray | None = None) -> Assigned:
    """Topics, kept neighbours and core flags of the documents ``rows`` (their unit ``vectors``).

    Sample documents keep what the sample fit gave them; the others are assigned. ``labels``
    (one per row) are the topics of a model whose labels are its topics.
    """
    from .._neighbors import NO_TOPIC

    n, width = len(rows), plan.width
    out = Assigned(
        topics=np.full(n, -1, dtype=np.int64),
        neighbor_topics=np.full((n, width), NO_TOPIC, dtype=np.int64),
        neighbor_weights=np.zeros((n, width), dtype=np.float32),
        core=np.zeros(n, dtype=bool),
    )
    if not n:
        return out
    rows = np.asarray(rows, dtype=np.int64)
    pos = np.minimum(np.searchsorted(plan.rows, rows), max(len(plan.rows) - 1, 0))
    in_sample = plan.rows[pos] == rows if len(plan.rows) else np.zeros(n, dtype=bool)
    own, at = np.flatnonzero(in_sample), pos[in_sample]
    w0 = plan.neighbor_topics.shape[1]
    out.topics[own] = plan.topics[at]
    out.neighbor_topics[own, :w0] = plan.neighbor_topics[at]
    out.neighbor_weights[own, :w0] = plan.neighbor_weights[at]
    out.core[own] = plan.core[at]
    rest = np.flatnonzero(~in_sample)
    if len(rest):
        new = _assign_new(plan, np.asarray(vectors)[rest], None if labels is None else np.asarray(labels)[rest])
        w1 = new.neighbor_topics.shape[1]
        out.topics[rest] = new.topics
        out.neighbor_topics[rest, :w1] = new.neighbor_topics
        out.neighbor_weights[rest, :w1] = new.neighbor_weights
        out.core[rest] = new.core
    return out


def concat_assigned(parts: Sequence[Assigned]) -> Assigned:
    return Assigned(
        topics=np.concatenate([p.topics for p in parts]),
        neighbor_topics=np.concatenate([p.neighbor_topics for p in parts]),
        neighbor_weights=np.concatenate([p.neighbor_weights for p in parts]),
        core=np.concatenate([p.core for p in parts]),
    )


def uncounted_topics(topics: np.ndarray, core: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(all topic ids, the topics none of whose documents are core: they count all their documents)."""
    ids = np.unique(topics).astype(np.int64)
    with_core = np.unique(topics[core])
    return ids, np.setdiff1d(ids, with_core).astype(np.int64)


# ---------------------------------------------------------------------------------- exact words
@dataclass
class TopicTotals:
    """Sums over documents, per topic (rows follow ``topic_ids``): exact whatever the blocks."""

    class_term: sp.csr_matrix  # summed term counts of the documents that count (float64 integers)
    sizes: np.ndarray  # documents per topic
    embedding_sums: np.ndarray  # int64 sums of the unit embeddings in fixed point (2**24)
    doc_freq: np.ndarray  # int64, per term: the documents (all of them, counted or not) that contain it


def _topic_rows(topics: np.ndarray, topic_ids: np.ndarray) -> np.ndarray:
    """Each document's row in the per-topic arrays (its topic's position in ``topic_ids``)."""
    rows = np.searchsorted(topic_ids, topics)
    ok = rows < len(topic_ids)
    ok[ok] = topic_ids[rows[ok]] == topics[ok]
    if not ok.all():
        raise ValueError(f"topic {int(topics[~ok][0])} is not among the topic ids {topic_ids.tolist()}")
    return rows.astype(np.int64)


def block_totals(
    doc_term: sp.spmatrix,
    vectors: np.ndarray,
    topics: np.ndarray,
    counted: np.ndarray,
    topic_ids: np.ndarray,
) -> TopicTotals:
    """Term counts (of the ``counted`` documents), sizes and embedding sums of one block, per topic."""
    from ..vectorize import document_frequency, grouped_counts

    k = len(topic_ids)
    rows = _topic_rows(np.asarray(topics, dtype=np.int64), topic_ids)
    class_term = grouped_counts(doc_term, np.where(counted, rows, -1), k)
    sizes = np.bincount(rows, minlength=k).astype(np.int64)
    dim = vectors.shape[1]
    sums = np.zeros((k, dim), dtype=np.int64)
    if len(rows):
        fixed = np.rint(np.asarray(vectors, dtype=np.float64) * _FIXED_POINT).astype(np.int64)
        order = np.argsort(rows, kind="stable")
        present, starts = np.unique(rows[order], return_index=True)
        sums[present] = np.add.reduceat(fixed[order], starts, axis=0)
    return TopicTotals(class_term, sizes, sums, document_frequency(doc_term))


def add_totals(a: TopicTotals, b: TopicTotals) -> TopicTotals:
    return TopicTotals(
        sp.csr_matrix(a.class_term + b.class_term),
        a.sizes + b.sizes,
        a.embedding_sums + b.embedding_sums,
        a.doc_freq + b.doc_freq,
    )


def topic_centres(totals: TopicTotals) -> np.ndarray:
    """Each topic's L2-normalised mean embedding, from its fixed-point sum."""
    from .._neighbors import normalise_rows

    return np.asarray(normalise_rows(totals.embedding_sums.astype(np.float64)), dtype=np.float32)


# ---------------------------------------------------------------------- representative documents
@dataclass
class Candidates:
    """Per topic, its most central distinct documents so far: (similarity, row, text, vector)."""

    by_topic: dict[int, list[tuple[float, int, str, np.ndarray]]] = field(default_factory=dict)


def _top_distinct(
    items: Iterable[tuple[float, int, str, np.ndarray]], n: int
) -> list[tuple[float, int, str, np.ndarray]]:
    """The first ``n`` distinct non-blank texts by (similarity desc, row asc)."""
    from .._topics import first_distinct

    ordered = sorted(items, key=lambda it: (-it[0], it[1]))
    return [ordered[i] for i in first_distinct(range(len(ordered)), [it[2] for it in ordered], n)]


def block_candidates(
    texts: Sequence[str],
    vectors: np.ndarray,
    rows: np.ndarray,
    topics: np.ndarray,
    topic_ids: np.ndarray,
    centres: np.ndarray,
) -> Candidates:
    """Each topic's most central distinct documents of one block (similarity to its topic's centre)."""
    from .._topics import N_CANDIDATES, first_distinct

    topics = np.asarray(topics, dtype=np.int64)
    trow = _topic_rows(topics, topic_ids)
    vectors = np.asarray(vectors, dtype=np.float32)
    sims = np.empty(len(rows), dtype=np.float64)
    centres64 = centres.astype(np.float64)
    for start in range(0, len(rows), 4096):  # per-row float64 sums: the same whatever the block
        sl = slice(start, start + 4096)
        sims[sl] = (vectors[sl].astype(np.float64) * centres64[trow[sl]]).sum(axis=1)
    order = np.lexsort((rows, -sims, trow))
    out = Candidates()
    bounds = np.flatnonzero(np.r_[True, trow[order][1:] != trow[order][:-1]]) if len(order) else np.zeros(0, int)
    ends = [*bounds[1:].tolist(), len(order)]
    for first, stop in zip(bounds.tolist(), ends):
        picked = first_distinct(order[first:stop], texts, N_CANDIDATES)
        out.by_topic[int(topic_ids[trow[order[first]]])] = [
            (float(sims[i]), int(rows[i]), texts[i], vectors[i]) for i in picked
        ]
    return out


def merge_candidates(a: Candidates, b: Candidates) -> Candidates:
    from .._topics import N_CANDIDATES

    keys = sorted(set(a.by_topic) | set(b.by_topic))
    return Candidates({t: _top_distinct(a.by_topic.get(t, []) + b.by_topic.get(t, []), N_CANDIDATES) for t in keys})


# ------------------------------------------------------------------------------------ the state
def sampled_state(
    *,
    plan: SamplePlan,
    assigned: Assigned,
    topic_ids: np.ndarray,
    totals: TopicTotals,
    centres: np.ndarray,
    candidates: Candidates,
    vocabulary: np.ndarray,
) -> Any:
    """The fitted state of a sample fit (``pipeline`` adds the structure's extras, words and names)."""
    from .._topics import N_REPRESENTATIVE
    from ..state import TopicState

    dim = centres.shape[1]
    cand_docs = {t: [c[2] for c in candidates.by_topic.get(int(t), [])] for t in topic_ids}
    cand_emb = {
        t: np.array([c[3] for c in candidates.by_topic.get(int(t), [])], dtype=np.float32).reshape(-1, dim)
        for t in topic_ids
    }
    state = TopicState(
        topic_ids=np.asarray(topic_ids, dtype=np.int64),
        sizes=totals.sizes.astype(np.int64),
        vocabulary=vocabulary,
        class_term=sp.csr_matrix(totals.class_term),
        term_doc_share=(totals.doc_freq / max(int(totals.sizes.sum()), 1)).astype(np.float32),
        ctfidf=sp.csr_matrix((len(topic_ids), len(vocabulary))),
        topic_embeddings=centres,
        words={},
        names={},
        representative_docs={int(t): d[:N_REPRESENTATIVE] for t, d in cand_docs.items()},
        doc_topics=assigned.topics.astype(np.int64),
        index_embeddings=plan.index.vectors.astype(np.float16),
        index_topics=plan.topics.astype(np.int64),
        candidate_docs={int(t): d for t, d in cand_docs.items()},
        candidate_embeddings={int(t): e for t, e in cand_emb.items()},
    )
    state.neighbor_topics, state.neighbor_weights = assigned.neighbor_topics, assigned.neighbor_weights
    state.neighbor_index = plan.index
    return state


def blocks(n: int) -> list[slice]:
    """Row blocks of this process's engine."""
    return [slice(start, min(start + BLOCK_ROWS, n)) for start in range(0, n, BLOCK_ROWS)]
