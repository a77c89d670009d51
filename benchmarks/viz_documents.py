"""visualize_documents at 100,000 documents, and against BERTopic 0.17.4 on 20newsgroups (issue 11).

* Scale corpus, 100,000 real documents: octis_dblp (54,595 titles) + crisislex_tweets (27,933) with
  their precomputed all-MiniLM-L6-v2 embeddings, plus a seeded sample of 17,472 package_summaries
  embedded here by the same packaged model (same space). Fitted once with the defaults; then
  - the layout, computed once (``viz.layout.ensure_layout``: UMAP on the neighbour module's kNN
    graph) with its trustworthiness on a 3,000-document sample (sklearn, 10 neighbours, cosine);
  - ``visualize_documents(docs)`` once the layout exists (target: under 10 s), with ``sample=0.1``,
    with ``hide_document_hover=True``, and ``visualize_hierarchical_documents`` (10 levels).
* 20newsgroups (18,846 documents), both libraries on the same topics (``verbs_common.paired_models``):
  BERTopic's ``visualize_documents`` with ``embeddings`` (it runs UMAP inside, on every call) and
  with ``reduced_embeddings`` precomputed (UMAP as its docs suggest, timed apart); topicscope's first
  call (layout + plot) and a later one (plot only). The layouts' trustworthiness: topicscope's,
  BERTopic's suggested UMAP, and UMAP with topicscope's settings but its own neighbour search.

UMAP's numba code is compiled before the 20newsgroups timings (a first UMAP in a process spends
tens of seconds compiling). Run: ``cd benchmarks && nice -n 5 ../.venv/bin/python viz_documents.py
[--skip-scale] [--skip-bertopic] [--cache /tmp/summaries.npy]``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from common import DATA, load
from verbs_common import best_time, paired_models

RESULTS = Path(__file__).resolve().parent / "results"
SCALE_N = 100_000
TRUST_SAMPLE = 3000


def trust(emb: np.ndarray, coords: np.ndarray, seed: int = 0) -> float:
    """Trustworthiness (10 neighbours, cosine) of ``coords`` on a seeded sample of the documents."""
    from sklearn.manifold import trustworthiness

    rows = np.sort(np.random.default_rng(seed).choice(len(emb), size=min(TRUST_SAMPLE, len(emb)), replace=False))
    return float(trustworthiness(emb[rows], coords[rows], n_neighbors=10, metric="cosine"))


def scale_corpus(cache: Path | None = None) -> tuple[list[str], np.ndarray, float]:
    """(texts, embeddings, seconds spent embedding the package summaries) of the 100,000 documents.

    ``cache``: a .npy file keeping the package summaries' embeddings between runs (0 s when read)."""
    from topicscope.embedding import resolve_embedder

    texts, emb = [], []
    for name in ("octis_dblp", "crisislex_tweets"):
        t, _, e = load(name)
        texts += t
        emb.append(e)
    need = SCALE_N - len(texts)
    with (DATA / "package_summaries" / "docs.jsonl").open(encoding="utf-8") as fh:
        summaries = [json.loads(line)["text"] for line in fh]
    rows = np.sort(np.random.default_rng(0).choice(len(summaries), size=need, replace=False))
    extra = [summaries[i] for i in rows]
    start = time.perf_counter()
    if cache is not None and cache.is_file():
        extra_emb = np.load(cache)
    else:
        extra_emb = resolve_embedder(None).embed(extra)
        if cache is not None:
            np.save(cache, np.asarray(extra_emb, dtype=np.float32))
    embed_s = time.perf_counter() - start
    return texts + extra, np.vstack([*emb, np.asarray(extra_emb, dtype=np.float32)]), embed_s


def run_scale(repeat: int, cache: Path | None = None) -> dict:
    from topicscope import TopicModel
    from topicscope.viz import layout as viz_layout

    docs, emb, embed_s = scale_corpus(cache)
    print(f"scale corpus: {len(docs)} documents ({embed_s:.0f} s to embed the package summaries)")
    start = time.perf_counter()
    model = TopicModel(random_state=0).fit(docs, embeddings=emb)
    fit_s = time.perf_counter() - start
    n_topics = len(model.topic_sizes_)
    print(f"fit: {fit_s:.0f} s, {n_topics} topics")
    start = time.perf_counter()
    coords = viz_layout.ensure_layout(model.state_, None, 0)
    layout_s = time.perf_counter() - start
    t_ours = trust(emb, coords)
    print(f"layout (once): {layout_s:.1f} s, trustworthiness {t_ours:.3f}")
    runs = viz_layout.LAYOUT_RUNS
    hier = model.hierarchical_topics(docs)
    calls = {
        "visualize_documents(docs)": lambda: model.visualize_documents(docs),
        "visualize_documents(docs, sample=0.1)": lambda: model.visualize_documents(docs, sample=0.1),
        "visualize_documents(docs, hide_document_hover=True)": lambda: model.visualize_documents(
            docs, hide_document_hover=True
        ),
        "visualize_hierarchical_documents(docs, hier)": lambda: model.visualize_hierarchical_documents(docs, hier),
    }
    timings = {}
    for name, call in calls.items():
        seconds, fig = best_time(call, repeat)
        points = sum(len(t.x) for t in fig.data if t.mode == "markers")
        timings[name] = {"seconds": round(seconds, 3), "points": int(points), "traces": len(fig.data)}
        print(f"  {name:55} {seconds:7.2f} s  {points:>8} points  {len(fig.data):>4} traces")
    assert runs == viz_layout.LAYOUT_RUNS, "a plot ran the layout again"
    fig = model.visualize_documents(docs)
    start = time.perf_counter()
    size_mb = len(fig.to_json()) / 1e6
    timings["fig.to_json() of visualize_documents(docs)"] = {
        "seconds": round(time.perf_counter() - start, 3),
        "megabytes": round(size_mb, 1),
    }
    print(f"  fig.to_json() (what a notebook or write_html serialises): {timings[next(reversed(timings))]}")
    return {
        "documents": len(docs),
        "topics": n_topics,
        "embed_package_summaries_s": round(embed_s, 1),
        "fit_s": round(fit_s, 1),
        "layout_once_s": round(layout_s, 1),
        "layout_trustworthiness": round(t_ours, 4),
        "plots_after_layout": timings,
    }


def run_bertopic(repeat: int) -> dict:
    from umap import UMAP

    from topicscope.viz import layout as viz_layout

    ts, bt, docs, emb, _, _ = paired_models("20newsgroups")
    print(f"\n20newsgroups: {len(docs)} documents, {len(ts.topic_sizes_)} topics")
    with warnings.catch_warnings():  # compile UMAP's numba code (threaded and not) outside the timings
        warnings.simplefilter("ignore")
        for seed in (None, 0):
            UMAP(n_neighbors=10, metric="cosine", random_state=seed, n_jobs=1 if seed is not None else -1).fit(
                emb[:5000]
            )
    out: dict = {"documents": len(docs), "topics": len(ts.topic_sizes_)}
    start = time.perf_counter()
    ts.visualize_documents(docs)
    out["topicscope_first_call_s"] = round(time.perf_counter() - start, 2)
    out["topicscope_later_call_s"] = round(best_time(lambda: ts.visualize_documents(docs), repeat)[0], 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # best of 2: a process's first full-size UMAP still compiles code after the warm-up
        out["bertopic_with_embeddings_s"] = round(
            best_time(lambda: bt.visualize_documents(docs, embeddings=emb), 2)[0], 2
        )
        precompute_s, reduced = best_time(
            lambda: UMAP(n_neighbors=10, n_components=2, min_dist=0.0, metric="cosine").fit_transform(emb), 2
        )
        out["bertopic_precompute_umap_s"] = round(precompute_s, 2)
        out["bertopic_with_reduced_embeddings_s"] = round(
            best_time(lambda: bt.visualize_documents(docs, reduced_embeddings=reduced), repeat)[0], 3
        )
        start = time.perf_counter()
        own = UMAP(
            n_neighbors=viz_layout.N_NEIGHBORS,
            min_dist=viz_layout.MIN_DIST,
            metric="cosine",
            random_state=0,
            n_jobs=1,
            low_memory=True,
        ).fit_transform(emb)
        out["umap_own_knn_same_settings_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    viz_layout.document_layout(emb, 0)
    out["topicscope_layout_s"] = round(time.perf_counter() - start, 2)
    out["trustworthiness"] = {
        "topicscope layout": round(trust(emb, ts.state_.doc_layout), 4),
        "BERTopic's suggested UMAP": round(trust(emb, reduced), 4),
        "UMAP, same settings, own kNN": round(trust(emb, own), 4),
    }
    for key, value in out.items():
        print(f"  {key:40} {value}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=None, help="a .npy file for the package summaries' embeddings")
    args = parser.parse_args()
    result = {}
    if not args.skip_scale:
        result["scale_100k"] = run_scale(args.repeat, args.cache)
    if not args.skip_bertopic:
        result["newsgroups_vs_bertopic"] = run_bertopic(args.repeat)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "viz_documents.json"
    previous = json.loads(path.read_text()) if path.is_file() else {}
    path.write_text(json.dumps({**previous, **result}, indent=2))  # a partial run keeps the other part


if __name__ == "__main__":
    main()
