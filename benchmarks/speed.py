"""Part C: warm fit and fit_transform, transform of new documents, cold fit with peak memory, embedding
throughput and quality; BERTopic / topicscope ratios."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import DATA, holdout_split, load, load_limited

HERE = Path(__file__).resolve().parent
CORPORA = ("bbc_news", "20newsgroups", "octis_dblp")


def _ratio_row(name: str, n_docs: int, times: dict[str, float]) -> dict:
    return {
        "corpus": name,
        "docs": n_docs,
        "bertopic_s": times["BERTopic"],
        "topicscope_s": times["topicscope"],
        "ratio": times["BERTopic"] / times["topicscope"],
    }


def warm(corpora=CORPORA, log=print, limit: int | None = None) -> list[dict]:
    """Second ``fit`` in the same process, default settings, precomputed embeddings."""
    from bertopic import BERTopic

    from topicscope import TopicModel

    rows = []
    for name in corpora:
        docs, _, emb = load_limited(name, limit)
        times = {}
        for lib, make in (("BERTopic", BERTopic), ("topicscope", TopicModel)):
            make().fit(docs, embeddings=emb)  # first fit: imports, compilation, caches
            start = time.perf_counter()
            make().fit(docs, embeddings=emb)
            times[lib] = time.perf_counter() - start
        rows.append(_ratio_row(name, len(docs), times))
        log(f"C warm fit {name}: " + json.dumps(rows[-1]))
    return rows


def _nmi(labels: list, topics) -> float:
    """NMI with the gold labels; outliers (-1) count as one cluster, as in parts A and B."""
    from sklearn.metrics import normalized_mutual_info_score

    if any(label is None for label in labels):
        return float("nan")
    return float(normalized_mutual_info_score(labels, np.asarray(topics)))


def warm_fit_transform(corpora=CORPORA, log=print, limit: int | None = None) -> list[dict]:
    """``fit_transform`` against ``fit_transform``: the same call on both sides (defaults, precomputed
    embeddings), one warm-up call first, then the timed call on a fresh model. The NMI of the
    returned topics against the gold labels shows the speed is not bought with nonsense."""
    from bertopic import BERTopic

    from topicscope import TopicModel

    rows = []
    for name in corpora:
        docs, labels, emb = load_limited(name, limit)
        times, nmi = {}, {}
        for lib, make in (("BERTopic", BERTopic), ("topicscope", TopicModel)):
            make().fit_transform(docs, embeddings=emb)  # warm-up: imports, compilation, caches
            start = time.perf_counter()
            topics, _ = make().fit_transform(docs, embeddings=emb)
            times[lib] = time.perf_counter() - start
            nmi[lib] = _nmi(labels, topics)
        rows.append(
            {**_ratio_row(name, len(docs), times), "bertopic_nmi": nmi["BERTopic"], "topicscope_nmi": nmi["topicscope"]}
        )
        log(f"C warm fit_transform {name}: " + json.dumps(rows[-1]))
    return rows


# (corpus fitted on, corpus the new documents come from, how many new documents: a count, or a share
# of the fitted corpus held out when both are the same). Where both are one corpus, a seeded
# permutation splits it into disjoint fit / warm-up / new documents; bbc_news has only 2,225
# documents, so it is measured twice: its held-out 20% (with gold labels), and, at the target's
# size, 10,000 unseen 20newsgroups posts given to a model fitted on all of bbc_news (no NMI: the
# newsgroups are not BBC sections).
TRANSFORM_CASES: tuple[tuple[str, str, float | int], ...] = (
    ("bbc_news", "bbc_news", 0.2),
    ("bbc_news", "20newsgroups", 10_000),
    ("20newsgroups", "20newsgroups", 10_000),
    ("octis_dblp", "octis_dblp", 10_000),
)
N_WARM = 200  # transform warm-up documents: neither fitted on nor timed


def _transform_split(fit_on: str, new_from: str, size: float | int, limit: int | None):
    """(fit docs, fit embeddings, warm-up docs, warm-up embeddings, new docs, new embeddings, new labels)."""
    docs, labels, emb = load_limited(fit_on, limit)
    if fit_on == new_from:
        n = len(docs)
        n_new = round(size * n) if isinstance(size, float) else min(int(size), n // 2)
        n_warm = min(N_WARM, max(1, n_new // 10))
        fit, warm_idx, new = holdout_split(n, n_new, n_warm)
        pick = lambda idx: ([docs[i] for i in idx], emb[idx])  # noqa: E731
        return (*pick(fit), *pick(warm_idx), *pick(new), [labels[i] for i in new])
    other, _, other_emb = load(new_from)
    n_new = int(size) if limit is None else min(int(size), limit)
    n_warm = min(N_WARM, max(1, n_new // 10))
    _, warm_idx, new = holdout_split(len(other), n_new, n_warm)
    return (
        docs,
        emb,
        [other[i] for i in warm_idx],
        other_emb[warm_idx],
        [other[i] for i in new],
        other_emb[new],
        [None] * len(new),
    )


def transform_new(cases=TRANSFORM_CASES, log=print, limit: int | None = None) -> list[dict]:
    """``transform(new_docs, embeddings=new_emb)`` of documents the model did not see, on both sides
    with the same default models fitted on the same documents: one warm-up ``transform`` on other
    unseen documents, then the timed call. NMI of the new documents' topics against their gold labels
    (outliers, -1, as one cluster) for both libraries, where the labels exist."""
    from bertopic import BERTopic

    from topicscope import TopicModel

    rows = []
    for fit_on, new_from, size in cases:
        fit_docs, fit_emb, warm_docs, warm_emb, new_docs, new_emb, new_labels = _transform_split(
            fit_on, new_from, size, limit
        )
        times, nmi, outliers = {}, {}, {}
        for lib, make in (("BERTopic", BERTopic), ("topicscope", TopicModel)):
            model = make().fit(fit_docs, embeddings=fit_emb)
            model.transform(warm_docs, embeddings=warm_emb)
            start = time.perf_counter()
            topics, _ = model.transform(new_docs, embeddings=new_emb)
            times[lib] = time.perf_counter() - start
            nmi[lib] = _nmi(new_labels, topics)
            outliers[lib] = float(np.mean(np.asarray(topics) == -1))
        rows.append(
            {
                "fit_on": fit_on,
                "new_from": new_from if new_from != fit_on else f"{fit_on} (held out)",
                "fit_docs": len(fit_docs),
                "new_docs": len(new_docs),
                "bertopic_s": times["BERTopic"],
                "topicscope_s": times["topicscope"],
                "ratio": times["BERTopic"] / times["topicscope"],
                "bertopic_nmi": nmi["BERTopic"],
                "topicscope_nmi": nmi["topicscope"],
                "bertopic_outliers": outliers["BERTopic"],
                "topicscope_outliers": outliers["topicscope"],
            }
        )
        log(f"C transform {fit_on} -> {new_from}: " + json.dumps(rows[-1]))
    return rows


def _run_peak(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, str(HERE / "_peak.py"), *args], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{args} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stderr.strip().splitlines()[-1])


def _corpus_files(name: str, limit: int | None, tmp: str) -> tuple[Path, Path]:
    """The corpus' docs.jsonl and embeddings, or (with ``limit``) a sample of them written under ``tmp``."""
    if limit is None:
        return DATA / name / "docs.jsonl", DATA / name / "embeddings_minilm.npy"
    docs, labels, emb = load_limited(name, limit)
    docs_path, emb_path = Path(tmp) / f"{name}.jsonl", Path(tmp) / f"{name}.npy"
    with docs_path.open("w", encoding="utf-8") as fh:
        for text, label in zip(docs, labels):
            fh.write(json.dumps({"text": text, "label": label}) + "\n")
    np.save(emb_path, emb.astype(np.float16))
    return docs_path, emb_path


def cold(corpora=CORPORA, log=print, limit: int | None = None) -> list[dict]:
    """A fresh process each: topicscope's CLI vs the same job with BERTopic (import included)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in corpora:
            docs_path, emb_path = _corpus_files(name, limit, tmp)
            bt = _run_peak([str(HERE / "_bertopic_fit.py"), str(docs_path), str(emb_path), f"{tmp}/bt-{name}"])
            ts = _run_peak(
                [
                    "-m",
                    "topicscope.cli",
                    "fit",
                    str(docs_path),
                    "--embeddings",
                    str(emb_path),
                    "--out",
                    f"{tmp}/ts-{name}",
                    "--quiet",
                ]
            )
            rows.append(
                {
                    "corpus": name,
                    "bertopic_s": bt["wall_s"],
                    "topicscope_s": ts["wall_s"],
                    "ratio": bt["wall_s"] / ts["wall_s"],
                    "bertopic_peak_mib": bt["peak_mib"],
                    "topicscope_peak_mib": ts["peak_mib"],
                    "memory_ratio": bt["peak_mib"] / ts["peak_mib"],
                }
            )
            log(f"C cold {name}: " + json.dumps(rows[-1]))
    return rows


EMBEDDING_PATHS = {
    "st": "sentence-transformers encode",
    "default": "topicscope default",
    "static": "topicscope StaticEmbedder",
    "shared": "precomputed file (../shared/data)",
}


def _best_interleaved(calls: dict, repeats: int) -> tuple[dict[str, float], dict]:
    """Best wall time of each call over ``repeats`` rounds, the calls taking turns within a round (a
    slow spell of a shared machine then hits every side alike), and each call's last result."""
    times: dict[str, list[float]] = {key: [] for key in calls}
    out = {}
    for _ in range(repeats):
        for key, call in calls.items():
            start = time.perf_counter()
            out[key] = call()
            times[key].append(time.perf_counter() - start)
    return {key: min(t) for key, t in times.items()}, out


def embedding(
    n_docs: int = 500, n_titles: int = 4000, repeats: int = 3, log=print, limit: int | None = None
) -> list[dict]:
    """Docs/s of topicscope's embedding paths vs sentence-transformers on the same model, on long
    documents (the first ``n_docs`` bbc_news articles: most reach the model's 256-token limit) and
    short ones (the first ``n_titles`` octis_dblp titles, columns ``dblp_*``), each warmed up on
    other documents. sentence-transformers' ``encode`` and the default path's ``embed`` take turns,
    best of ``repeats``; the default path's text cache is emptied before each call, so every call
    embeds every document. ``min_cosine``: the lowest per-document cosine to sentence-transformers'
    vectors (all of bbc_news; the timed titles). ``bbc_nmi``: the quality each path gives, the NMI
    against the sections of a default fit on all of bbc_news with the embeddings that path computed
    itself. The last row is the shared precomputed file, for reference."""
    from sentence_transformers import SentenceTransformer

    from topicscope import TopicModel
    from topicscope.embedding import StaticEmbedder, resolve_embedder
    from topicscope.embedding.backends import default_model_path

    all_docs, labels, shared = load_limited("bbc_news", limit)
    n_docs = min(n_docs, len(all_docs) - 16)
    docs, warmup = all_docs[:n_docs], all_docs[-16:]  # warm-up texts are not timed (nor cached for the timing)
    all_titles, _, shared_titles = load_limited("octis_dblp", limit)
    n_titles = min(n_titles, len(all_titles) - 16)
    titles, shared_titles = all_titles[:n_titles], shared_titles[:n_titles]
    st = SentenceTransformer(str(default_model_path()), device="cpu")
    ours = resolve_embedder(None)
    for warm in (warmup, all_titles[-16:]):
        st.encode(warm)
        ours.embed(warm)  # the default path's graph is built (or read from its cache) here

    def ours_fresh(texts: list[str]):
        ours.clear_cache()
        return ours.embed(texts)

    times, out = {}, {}
    for corpus, texts in (("bbc", docs), ("dblp", titles)):
        best, last = _best_interleaved(
            {"st": lambda t=texts: st.encode(t, normalize_embeddings=True), "default": lambda t=texts: ours_fresh(t)},
            repeats,
        )
        times |= {(corpus, k): v for k, v in best.items()}
        out |= {(corpus, k): v for k, v in last.items()}
    st_all = np.vstack([out["bbc", "st"], st.encode(all_docs[n_docs:], normalize_embeddings=True)])
    ours_all = np.asarray(ours.embed(all_docs), dtype=np.float32)  # the timed slice comes from its cache
    start = time.perf_counter()
    fast = StaticEmbedder.distill("default")
    distill_s = time.perf_counter() - start
    fast.embed(warmup)
    start = time.perf_counter()
    fast_emb = fast.embed(all_docs)
    fast_s = (time.perf_counter() - start) * n_docs / len(all_docs)
    start = time.perf_counter()
    fast.embed(titles)
    fast_titles_s = time.perf_counter() - start

    def nmi(e) -> float:
        return _nmi(labels, TopicModel(random_state=0).fit(all_docs, embeddings=e).topics_)

    def min_cos(a, b) -> float:
        return float(np.sum(np.asarray(a, dtype=np.float32) * b, axis=1).min())

    nan = float("nan")
    rows = [
        {
            "path": EMBEDDING_PATHS["st"],
            "docs_s": n_docs / times["bbc", "st"],
            "speedup": 1.0,
            "min_cosine": 1.0,
            "bbc_nmi": nmi(st_all),
            "dblp_docs_s": n_titles / times["dblp", "st"],
            "dblp_speedup": 1.0,
            "dblp_min_cosine": 1.0,
        },
        {
            "path": EMBEDDING_PATHS["default"],
            "docs_s": n_docs / times["bbc", "default"],
            "speedup": times["bbc", "st"] / times["bbc", "default"],
            "min_cosine": min_cos(st_all, ours_all),
            "bbc_nmi": nmi(ours_all),
            "dblp_docs_s": n_titles / times["dblp", "default"],
            "dblp_speedup": times["dblp", "st"] / times["dblp", "default"],
            "dblp_min_cosine": min_cos(out["dblp", "st"], out["dblp", "default"]),
        },
        {
            "path": f"{EMBEDDING_PATHS['static']} (distilled in {distill_s:.0f}s, cached)",
            "docs_s": n_docs / fast_s,
            "speedup": times["bbc", "st"] / fast_s,
            "min_cosine": nan,
            "bbc_nmi": nmi(fast_emb),
            "dblp_docs_s": n_titles / fast_titles_s,
            "dblp_speedup": times["dblp", "st"] / fast_titles_s,
            "dblp_min_cosine": nan,
        },
        {
            "path": EMBEDDING_PATHS["shared"],
            "docs_s": nan,
            "speedup": nan,
            "min_cosine": min_cos(st_all, shared),
            "bbc_nmi": nmi(shared),
            "dblp_docs_s": nan,
            "dblp_speedup": nan,
            "dblp_min_cosine": min_cos(out["dblp", "st"], shared_titles),
        },
    ]
    for row in rows:
        log("C embedding: " + json.dumps(row))
    return rows
