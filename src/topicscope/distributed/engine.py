"""The Dask engine's driver: the stages of a sample fit, each one task per partition.

1. Read and check every partition, embedding it on the workers (or reading its embeddings), and
   keep it in the workers' memory (``persist``).
2. Count each partition's terms and add the term statistics up in a tree, while this process
   fits the topic structure on the gathered sample.
3. Send the sample's plan (topics and neighbour index) once to every worker; assign every
   partition's documents.
4. Add up per-partition topic totals (term counts, sizes, embedding sums), then each topic's
   most central documents, in trees.
5. Describe the topics here (``pipeline.finish``), install the result in the model
   (``TopicModel.install``) and hand back the per-document results.

The engine reads the model through its public API only: ``settings()`` (checked by
``pipeline.check_params`` before any work, and ``pipeline.check_n_docs`` once the documents are
counted), ``embedder()``, ``fit`` (up to ``fit_sample_size`` documents), ``install`` and ``state_``.
Everything it holds on the cluster is released when it ends, on success or error.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .._logging import logger, progress, stage, verbose_logging
from ..exceptions import InputError
from . import partitions as P
from .inputs import partitions_of

if TYPE_CHECKING:
    from .._components import FittedComponents
    from ..model import TopicModel
    from ..settings import FitSettings
    from ..state import TopicState

SPLIT_EVERY = 8  # partitions combined per task of a tree reduction
_PROBABILITY_ROWS = 100_000  # documents per block when turning neighbour shares into probabilities


class Run:
    """One call's client and what it holds on the cluster (released when the call ends)."""

    def __init__(self, client: Any, *, owned: bool, cluster: Any = None) -> None:
        self.client = client
        self.owned = owned
        self.cluster = cluster
        self.held: list[Any] = []
        self.plugin: str | None = None

    def persist(self, items: list[Any]) -> list[Any]:
        from distributed import futures_of

        out = self.client.persist(items)
        self.held.extend(futures_of(out))
        return cast(list[Any], out)

    def wait(self, items: list[Any], *, desc: str, verbose: bool) -> None:
        """Wait for persisted ``items``, a progress bar moving as each partition's task ends (when verbose)."""
        from distributed import as_completed, futures_of

        futures = futures_of(items)
        if not verbose or not futures:
            return
        for future in progress(as_completed(futures), verbose=True, desc=desc, total=len(futures), every_step=True):
            if future.status == "error":  # raised here, as compute would
                future.result()

    def compute(self, items: list[Any]) -> list[Any]:
        futures = self.client.compute(items)
        try:
            return cast(list[Any], self.client.gather(futures))
        finally:
            for future in futures:  # (cancel would also cancel the persisted keys they share)
                future.release()

    def scatter(self, value: Any) -> Any:
        """``value`` sent once to every worker (one future, even for a list or a dict)."""
        (future,) = self.client.scatter([value], broadcast=True, hash=False)
        self.held.append(future)
        return future

    def register_embedder(self, spec: Any) -> str:
        name = f"{P.PLUGIN_PREFIX}-{uuid.uuid4().hex[:12]}"
        self.client.register_plugin(P.EmbedderPlugin(spec, name), name=name)
        self.plugin = name
        return name

    def release(self, *, cancel: bool) -> None:
        """Let go of what this run holds and remove its worker plugin.

        ``cancel`` (after an error) also stops the tasks still running and anything depending on them.
        """
        held, self.held = self.held, []
        if cancel and held:
            self.client.cancel(held)
        else:
            for future in held:
                future.release()
        if self.plugin is not None:
            name, self.plugin = self.plugin, None
            self.client.unregister_worker_plugin(name)

    def close(self) -> None:
        if self.owned:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


def open_run(client: Any, connect_timeout: float) -> Run:
    """The run's client: the one given, one connected to an address, the default one, or a local cluster."""
    from distributed import Client, LocalCluster, default_client

    if isinstance(client, Client):
        return Run(client, owned=False)
    if isinstance(client, str):
        try:
            return Run(Client(client, timeout=connect_timeout, set_as_default=False), owned=True)
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"client: no Dask scheduler answered at {client!r} within {connect_timeout:g} s ({exc}); check the "
                "address (e.g. 'tcp://scheduler-host:8786') and that the scheduler is running"
            ) from None
    if client is None:
        try:
            return Run(default_client(), owned=False)
        except ValueError:  # no client yet: a cluster of this machine's cores, for this call
            cluster = LocalCluster(processes=True, threads_per_worker=1, dashboard_address=":0")
            return Run(Client(cluster, set_as_default=False), owned=True, cluster=cluster)
    raise InputError(
        "client must be a distributed.Client, a scheduler address such as 'tcp://host:8786', or None; "
        f"got {type(client).__name__}"
    )


def tree(items: list[Any], combine: Any) -> Any:
    """One delayed value combining ``items`` in a tree of ``SPLIT_EVERY``-way tasks."""
    from dask import delayed

    while len(items) > 1:
        items = [delayed(combine, pure=True)(*items[i : i + SPLIT_EVERY]) for i in range(0, len(items), SPLIT_EVERY)]
    return items[0]


def fit_dask(
    model: TopicModel,
    data: Any,
    *,
    text_column: str,
    embeddings: Any,
    id_column: str | None,
    client: Any,
    connect_timeout: float,
    embeddings_out: str | None,
    topics_out: str | None,
    want_frame: bool,
) -> Any:
    """Fit ``model`` in place on ``data``; the per-document frame when ``want_frame`` or ``topics_out``."""
    from .._validation import check_float
    from ..pipeline.fit import check_params

    if not isinstance(text_column, str):
        raise InputError(f"text_column must be a column name (a str); got {type(text_column).__name__}")
    if id_column is not None and not isinstance(id_column, str):
        raise InputError(f"id_column must be a column name (a str) or None; got {type(id_column).__name__}")
    check_float(connect_timeout, "connect_timeout", low=0.1, high=86_400)
    # The model's own checks before any work (the number of documents is checked once known).
    settings = model.settings()
    check_params(settings)
    parts, sources, blocks = partitions_of(data, text_column, id_column, embeddings)
    if embeddings_out is not None:
        for source in sources:
            source.write_to = str(embeddings_out)
    run = open_run(client, connect_timeout)
    done = False
    try:
        with verbose_logging(bool(settings.verbose)):
            result = _fit(run, model, settings, parts, sources, blocks, text_column, id_column, topics_out, want_frame)
        done = True
        return result
    finally:
        try:
            run.release(cancel=not done)
        finally:
            run.close()


def _fit(
    run: Run,
    model: TopicModel,
    settings: FitSettings,
    parts: list[Any],
    sources: list[P.EmbeddingSource],
    blocks: list[Any],
    text_column: str,
    id_column: str | None,
    topics_out: str | None,
    want_frame: bool,
) -> Any:
    from dask import delayed

    from ..pipeline.fit import check_n_docs

    verbose = bool(settings.verbose)
    if any(s.column is None and s.shard is None for s in sources) and all(b is None for b in blocks):
        plugin = run.register_embedder(settings.embedding_model)
        for s in sources:
            s.plugin = plugin
    with stage("reading and embedding the partitions", verbose=verbose):
        prepared = run.persist(
            [delayed(P.prepare, pure=True)(part, i, text_column, sources[i], blocks[i]) for i, part in enumerate(parts)]
        )
        run.wait(prepared, desc="reading and embedding partitions", verbose=verbose)
        sizes = run.compute([delayed(P.size_of, pure=True)(p) for p in prepared])
    counts = [s[0] for s in sizes]
    n = int(sum(counts))
    if not n:
        raise InputError(f"data has no documents: its {len(parts)} partitions are all empty")
    dims = sorted({d for c, d in sizes if c})
    if len(dims) > 1:
        raise InputError(f"embeddings: partitions have different dimensions {dims}")
    empty = [i for i, c in enumerate(counts) if not c]
    if empty:
        logger.info("skipping %d empty partitions (numbers %s)", len(empty), empty[:10])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    kept = [i for i, c in enumerate(counts) if c]
    check_n_docs(settings, n)  # the model's own check of the number of documents
    size = settings.fit_sample_size
    if size is None or n <= size:
        _fit_whole(run, model, [prepared[i] for i in kept])
    else:
        embed = _embed_fn(model)
        state, stages = _fit_sample(run, settings, embed, [prepared[i] for i in kept], starts[kept], n, int(size))
        model.install(state, stages)  # the model assigns its fitted attributes
    if not (want_frame or topics_out is not None):
        return None
    return _output(run, model, [parts[i] for i in kept], starts[kept], id_column, topics_out)


def _fit_whole(run: Run, model: TopicModel, prepared: list[Any]) -> None:
    """Up to ``fit_sample_size`` documents: a plain fit of all of them, here (nothing is sampled)."""

    # Whole Parts travel as one pickle each (a bare list of texts would go string by string).
    gathered = run.compute(prepared)
    texts = [t for part in gathered for t in part.texts]
    emb = np.concatenate([part.embeddings for part in gathered]).astype(np.float32)
    model.fit(texts, embeddings=emb)


def _embed_fn(model: TopicModel) -> Callable[[Sequence[str]], np.ndarray]:
    """The model's embedder here (zero-shot names, seeds, KeyBERT words)."""
    from ..pipeline.fit import new_text_embed

    return new_text_embed(model.embedder, "The documents' embeddings are computed or read on the workers")


def _fit_sample(
    run: Run,
    settings: FitSettings,
    embed: Callable[[Sequence[str]], np.ndarray],
    prepared: list[Any],
    starts: np.ndarray,
    n: int,
    size: int,
) -> tuple[TopicState, FittedComponents]:
    """The fitted (state, stages) of more than ``fit_sample_size`` documents (the stages 2 to 5 above)."""
    from dask import delayed

    from .._neighbors import index_vectors
    from ..pipeline.fit import SampleSteps, fit_on_sample, make_vectorizer
    from ..pipeline.sampling import Assigned, Candidates, SamplePlan, TopicTotals, concat_assigned, draw_sample
    from .vocabulary import check_vectorizer, fitted_vectorizer, fix_vocabulary, given_vocabulary

    verbose = bool(settings.verbose)
    vectorizer = check_vectorizer(make_vectorizer(settings))
    rows = draw_sample(n, size, settings.random_state)
    local = run.persist([delayed(P.count_part, pure=True)(p, vectorizer) for p in prepared])
    given = given_vocabulary(vectorizer)
    stats_future = None
    if given is None:  # the term statistics are added up while the sample is fitted here
        stats_future = run.client.compute(tree([delayed(P.stats_of, pure=True)(c) for c in local], P.merge_term_stats))
        run.held.append(stats_future)
    where = np.searchsorted(starts, rows, side="right") - 1
    with stage("gathering the sample", verbose=verbose):
        picked = [(i, rows[where == i] - starts[i]) for i in range(len(prepared)) if (where == i).any()]
        sample = run.compute([delayed(P.take, pure=True)(prepared[i], local_rows) for i, local_rows in picked])
    vectors = index_vectors(np.concatenate(sample))
    held: dict[str, Any] = {}

    def count() -> tuple[Any, np.ndarray]:
        with stage("vocabulary over all documents", verbose=verbose):
            if stats_future is not None:
                vocabulary = fix_vocabulary(stats_future.result(), vectorizer, n)
            else:
                assert given is not None  # no statistics are gathered for a given vocabulary
                vocabulary = given
        held["columns"] = {str(t): i for i, t in enumerate(vocabulary)}
        return fitted_vectorizer(vectorizer, vocabulary), vocabulary

    def assign(plan: SamplePlan) -> Assigned:
        plan_future = run.scatter(plan)
        held["assigned"] = run.persist(
            [delayed(P.assign_partition, pure=True)(p, plan_future, int(s)) for p, s in zip(prepared, starts)]
        )
        run.wait(held["assigned"], desc="assigning partitions", verbose=verbose)
        return concat_assigned(run.compute(held["assigned"]))

    def totals(assigned: Assigned, topic_ids: np.ndarray, uncounted: np.ndarray) -> TopicTotals:
        columns = run.scatter(held["columns"])
        tasks = [
            delayed(P.totals_of, pure=True)(p, c, a, columns, len(held["columns"]), topic_ids, uncounted)
            for p, c, a in zip(prepared, local, held["assigned"])
        ]
        (out,) = run.compute([tree(tasks, P.add_all_totals)])
        return cast(TopicTotals, out)

    def candidates(assigned: Assigned, topic_ids: np.ndarray, centres: np.ndarray) -> Candidates:
        tasks = [
            delayed(P.candidates_of, pure=True)(p, a, int(s), topic_ids, centres)
            for p, a, s in zip(prepared, held["assigned"], starts)
        ]
        (out,) = run.compute([tree(tasks, P.merge_all_candidates)])
        return cast(Candidates, out)

    def fingerprint() -> tuple[str, Any]:
        with stage("fingerprint of the documents' text", verbose=verbose):
            return _fingerprint(run, prepared), None

    return fit_on_sample(settings, rows, vectors, n, embed, SampleSteps(count, assign, totals, candidates, fingerprint))


def _fingerprint(run: Run, prepared: list[Any]) -> str:
    """``vectorize.text_fingerprint`` of all texts: each worker encodes its partitions' texts
    (``fingerprint_bytes``, one bytes object per partition), hashed here in order."""
    from dask import delayed

    from ..vectorize.counts import fingerprint_of_blocks

    futures = run.client.compute([delayed(P.fingerprint_part, pure=True)(p) for p in prepared])
    run.held.extend(futures)

    def blocks() -> Iterator[bytes]:
        for future in futures:
            yield future.result()
            future.release()

    return fingerprint_of_blocks(blocks())


def probabilities(state: Any) -> np.ndarray:
    """Each document's probability of its own topic (as ``fit_transform`` reports it), block by block."""
    from .._neighbors import neighbor_shares, report_probabilities

    out = np.zeros(len(state.doc_topics), dtype=np.float64)
    for start in range(0, len(out), _PROBABILITY_ROWS):
        sl = slice(start, start + _PROBABILITY_ROWS)
        shares = neighbor_shares(state.neighbor_topics[sl], state.neighbor_weights[sl], state.topic_ids)
        out[sl] = report_probabilities(state.topic_ids, shares, state.doc_topics[sl], full=False)
    return out


def _output(
    run: Run, model: TopicModel, parts: list[Any], starts: np.ndarray, id_column: str | None, topics_out: str | None
) -> Any:
    """The per-document frame (columns: row, the id column, Topic, Probability).

    Its partitions are those of the input (empty ones left out). Each is made from the input
    partition (for the ids, read again) and its slice of the results, sent to every worker: it
    never needs the embeddings again.
    """
    import dask.dataframe as dd
    from dask import delayed
    from distributed import wait

    state = model.state_
    topics, probs = state.doc_topics, probabilities(state)
    stops = [*[int(s) for s in starts[1:]], len(topics)]
    pieces = [(topics[int(a) : b], probs[int(a) : b]) for a, b in zip(starts, stops)]
    shared = run.client.scatter(pieces, broadcast=True, hash=False)
    run.held.extend(shared)
    frames = [
        delayed(P.output_frame, pure=True)(part if id_column is not None else None, piece, int(s), id_column)
        for part, piece, s in zip(parts, shared, starts)
    ]
    meta = run.compute([frames[0]])[0].iloc[:0]
    frame = dd.from_delayed(frames, meta=meta)
    if topics_out is not None:
        run.compute([frame.to_parquet(topics_out, write_index=False, compute=False)])
        return dd.read_parquet(topics_out)
    if run.owned:  # the cluster goes away with this call: hand back the frame in memory
        (table,) = run.compute([frame])
        return dd.from_pandas(table, npartitions=len(frames), sort=False)
    out = run.client.persist(frame)
    wait(out)
    return out
